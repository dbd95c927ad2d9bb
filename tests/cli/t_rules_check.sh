#!/bin/sh
# gravity rules check at the command line: one broken rules
# directory per kind of error, each layered over the shipped defaults;
# every one must exit 65 (EX_DATAERR) and name the exact FILE:LINE[:COL].
# Then a poll over broken rules must refuse to run and write nothing.
. "${top_srcdir:-.}/tests/cli/lib.sh"
mktmp
plan 29

# expect NAME WHERE: rules check on $T/NAME exits 65 and prints WHERE.
expect() {
	"$GRAVITY" rules check --rules "$T/$1" >"$T/$1.out" 2>&1
	check "$1: rules check exits 65" 65 $?
	if grep -qF -- "$2" "$T/$1.out"; then
		ok "$1: reports $2" true
	else
		ok "$1: reports $2" false
		sed 's/^/#   /' "$T/$1.out"
	fi
}
# owner DIR: the demo owner's profile, services and partners in $T/DIR (the
# defaults hold no owner, and rules check wants one).
owner() {
	mkdir -p "$T/$1"
	cp "$top_srcdir/contrib/demo/rules/profile" "$top_srcdir/contrib/demo/rules/services" \
		"$top_srcdir/contrib/demo/rules/partners" "$T/$1/"
}
# tpl DIR FILE LINE: a clean template whose third line is LINE.
tpl() {
	mkdir -p "$T/$1/templates"
	printf 'Hi {{sender_first_name|there}},\n\n%s\n\nBest regards,\n{{owner_first_name}}\n' \
		"$3" >"$T/$1/templates/$2"
}

mkdir "$T/unknown_field"
printf 'rule typo_field\n\tdescribe "a field keyword with a typo"\n\tsubjekt ~ /invoice/\n\tscore automated 1\n' \
	>"$T/unknown_field/60-local.rules"
expect unknown_field "$T/unknown_field/60-local.rules:3:2: error: unknown keyword or field 'subjekt'"

mkdir "$T/bad_regex"
printf 'rule broken_regex\n\tdescribe "an unclosed group"\n\tsubject ~ /quote (for|about/\n\tscore inquiry 1\n' \
	>"$T/bad_regex/60-local.rules"
expect bad_regex "$T/bad_regex/60-local.rules:3:12: error: bad regex /quote (for|about/: missing closing parenthesis at offset 16"

mkdir "$T/dup_rule"
printf 'rule mine\n\tdescribe "first"\n\tbody ~ /cheers/\n\tscore other 1\n\nrule mine\n\tdescribe "second"\n\tbody ~ /ta/\n\tscore other 1\n' \
	>"$T/dup_rule/60-local.rules"
expect dup_rule "$T/dup_rule/60-local.rules:6:6: error: duplicate rule name 'mine'"

mkdir "$T/undef_list"
printf 'rule uses_missing_list\n\tdescribe "refers to a list nobody defined"\n\tbody ~ @no_such_list\n\tscore inquiry 1\n' \
	>"$T/undef_list/60-local.rules"
expect undef_list "$T/undef_list/60-local.rules:3:9: error: undefined list '@no_such_list'"

tpl bad_placeholder inquiry.txt 'Thank you for writing about {{service_nickname}}.'
expect bad_placeholder "$T/bad_placeholder/templates/inquiry.txt:3:29: error: unknown placeholder \"service_nickname\""

mkdir "$T/no_address"
printf 'partner "Sam Okoye"\n\torg "Okoye Words"\n\tserves copywriting\n' >"$T/no_address/partners"
expect no_address "$T/no_address/partners:1:1: error: partner 'Sam Okoye' has no email address"

# Emptying the only file that scores cold_pitch leaves a class no rule can
# reach: an error (there is no FILE:LINE for a missing rule, so it names
# the user's rules directory) ...  The shipped rules reach every class
# from many files and through their weights, so this is shown on small
# defaults of two rule files and no weights.
mkdir "$T/small"
cp -R "$GRAVITY_DEFAULT_RULES/actions" "$GRAVITY_DEFAULT_RULES/templates" \
	"$GRAVITY_DEFAULT_RULES/tone" "$top_srcdir/contrib/demo/rules/profile" "$T/small/"
# The tone file lints with the phrase lists; those files define lists only.
cp "$GRAVITY_DEFAULT_RULES/lists.rules" "$GRAVITY_DEFAULT_RULES"/lang-*.rules "$T/small/"
printf 'rule asks\n\tdescribe "asks"\n\tbody ~ /\\?/\n\tscore inquiry 2, out_of_scope 1, referral_intro 1\n' \
	>"$T/small/10-asks.rules"
printf 'rule sells\n\tdescribe "sells"\n\tbody ~ /buy now/\n\tscore cold_pitch 3\n' >"$T/small/20-pitch.rules"
mkdir "$T/unreachable"
: >"$T/unreachable/20-pitch.rules"
shipped=$GRAVITY_DEFAULT_RULES
GRAVITY_DEFAULT_RULES="$T/small"; export GRAVITY_DEFAULT_RULES
expect unreachable "$T/unreachable: error: no rule gives class 'cold_pitch' a positive score"
# ... unless an override deliberately sends someone there.
mkdir "$T/reach_by_override"
: >"$T/reach_by_override/20-pitch.rules"
printf 'sender spam@pitches.example always cold_pitch\n' >"$T/reach_by_override/overrides"
"$GRAVITY" rules check --rules "$T/reach_by_override" >"$T/rbo.out" 2>&1
check "a class reached only by an 'always' override is fine" 0 $?
GRAVITY_DEFAULT_RULES=$shipped; export GRAVITY_DEFAULT_RULES

tpl urgency inquiry.txt 'Please act now, I have few openings.'
expect urgency "$T/urgency/templates/inquiry.txt:3:8: error: tone: pushy phrase \"act now\""

tpl guilt followup.txt 'Just bumping this in case it got lost.'
expect guilt "$T/guilt/templates/followup.txt:3:1: error: tone: pushy phrase \"just bumping this\""

tpl caps inquiry.txt 'Thank you for writing, it is GREAT news.'
expect caps "$T/caps/templates/inquiry.txt:3:30: error: tone: ALL-CAPS word \"GREAT\""

tpl bang referral-thanks.txt 'Thank you so much!! It means a lot.'
expect bang "$T/bang/templates/referral-thanks.txt:3:18: error: tone: \"!!\" sounds pushy"

# The same clean template passes: the failures above are the lines' fault.
tpl clean inquiry.txt 'Thank you for writing; I am glad you got in touch!'
owner clean
"$GRAVITY" rules check --rules "$T/clean" >"$T/clean.out" 2>&1
check "a clean template passes rules check" 0 $?

# A poll with broken rules refuses to run rather than guessing.
mkdir -p "$T/md/cur" "$T/md/new" "$T/md/tmp"
cp "$top_srcdir/tests/data/rules/photo/inquiry.eml" "$T/md/new/1.eml"
"$GRAVITY" poll --rules "$T/bad_regex" --source "maildir:$T/md" \
	--out "$T/out" --state "$T/state.db" >"$T/poll.out" 2>&1
check "poll with broken rules exits 65" 65 $?
ok "poll names the broken rule file" grep -qF "$T/bad_regex/60-local.rules:3:12" "$T/poll.out"
ok "poll wrote no drafts, reminders or log" sh -c \
	"! ls '$T/out/drafts/'* '$T/out/reminders/'* '$T/out/log.jsonl' >/dev/null 2>&1"

# The man page's examples of every condition are valid rules.
owner man
awk '/^\.SS Examples of every condition/{f=1;next} f&&/^\.fi/{exit} f&&!/^\./' \
	"$top_srcdir/contrib/man/gravity-rules.5.in" | sed 's/\\e/\\/g' |
	sed -E 's/(rule |any |all |^[[:space:]]+)(shouting_subject|sequence_not_thread|web_form|many_recipients|known_sender_offer|request_not_pitch|sales_sign|sales_reply)/\1man_\2/' \
	>"$T/man/70-man.rules"
"$GRAVITY" rules check --rules "$T/man" >"$T/man.out" 2>&1
check "gravity-rules(5) examples pass rules check" 0 $?
ok "... and there are at least 8 of them" test "$(grep -c '^rule ' "$T/man/70-man.rules")" -ge 8
