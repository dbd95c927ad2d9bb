#!/bin/sh
# An owner refits the weights on their own corrections, as a new owner
# would: 'gravity init' writes a config and a rules directory; 'gravity
# learn CLASS FILE' (no --rules: the config's rules-dir) keeps the message
# labelled; 'gravity train' (no --rules: the same directory) fits the
# shipped examples and the learned ones and writes DIR/weights; classify,
# explain and poll then give the learned class, and mail the owner did not
# correct keeps its class.  Explain shows each contribution: the rules
# that fired, the learned facts and words, and how to teach it.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
plan 16
mktmp
export HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config"
mkdir -p "$HOME" "$T/md/new" "$T/md/cur" "$T/md/tmp"
rules="$XDG_CONFIG_HOME/gravity/rules"

"$GRAVITY" init --non-interactive --name "Lena Ortiz" --email lena@ortizphoto.example \
	--timezone America/Toronto --hours 'mon-fri 09:00-17:00' \
	--source "maildir:$T/md" --out "$T/out" --state "$T/state.db" >"$T/init.txt" 2>&1
check "init exits 0" 0 $?
cat >"$rules/services" <<'S'
offer weddings "Wedding photography"
	phrases wedding, "getting married", elopement, "our big day"
offer portraits "Portraits"
	phrases portrait, headshots, "family photos", "engagement shoot"
S
msg() {  # msg NAME FROM SUBJECT TEXT
	printf 'From: %s\nTo: Lena Ortiz <lena@ortizphoto.example>\nSubject: %s\nDate: Mon, 30 Nov 2026 10:12:00 -0500\nMessage-ID: <%s@t.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n' \
		"$2" "$3" "$1" "$4" >"$T/$1.eml"
}
msg q "Marc Dubois <marc@duboisreno.example>" "quick question" \
	"Hello, my daughter is getting married next summer in Kingston and I wondered if you travel that far and what a full day costs. Regards, Marc Dubois"
msg news "Camera World <news@cameraworld.example>" "Black Friday: 30% off lenses" \
	"This week only: 30% off every prime lens. Unsubscribe: https://cameraworld.example/u"
class_of() { "$GRAVITY" classify "$1" 2>/dev/null | awk '{ print $1 }'; }
before=$(class_of "$T/q.eml")
news_before=$(class_of "$T/news.eml")
# the correction: any class but the one the shipped weights give
want=other
[ "$before" = other ] && want=inquiry
diag "shipped weights: $before; learning it as $want"
ok "classify with the shipped weights gives a class" test -n "$before"

"$GRAVITY" learn "$want" "$T/q.eml" >"$T/learn.txt" 2>&1
check "learn without --rules exits 0 (the config's rules-dir)" 0 $?
ok "it kept the message and its label in the rules directory" sh -c \
	"ls '$rules/examples/'*.eml >/dev/null 2>&1 && grep -q '	$want	' '$rules/examples/labels.tsv'"
"$GRAVITY" train >"$T/train.txt" 2>&1
check "train without --rules exits 0" 0 $?
ok "it wrote the rules directory's weights, fitted on the shipped and the learned examples" \
	sh -c "grep -q 'examples: .* examples 1' '$rules/weights'"
check "classify now gives the learned class" "$want" "$(class_of "$T/q.eml")"
check "a message not corrected keeps its class" "$news_before" "$(class_of "$T/news.eml")"

"$GRAVITY" explain "$T/q.eml" >"$T/explain.txt" 2>&1
check "explain exits 0" 0 $?
ok "explain decides the learned class" grep -q "^decision: *$want" "$T/explain.txt"
ok "explain lists the rules that fired, with their file and line" sh -c \
	"grep -q '^rules that fired:' '$T/explain.txt' && grep -q '\.rules:[0-9]*)\$' '$T/explain.txt'"
ok "... the learned weights: biases, facts and the words that weighed most" sh -c \
	"grep -q '^learned weights' '$T/explain.txt' && grep -q '^  bias ' '$T/explain.txt' &&
	 grep -q '^  fact:' '$T/explain.txt' && grep -q '^  word:' '$T/explain.txt'"
ok "... and how to teach it" grep -q "gravity learn CLASS FILE" "$T/explain.txt"

cp "$T/q.eml" "$T/md/new/q.eml"
GRAVITY_NOW=1796000000 "$GRAVITY" poll >"$T/poll.txt" 2>&1
check "poll with the config exits 0" 0 $?
ok "poll classifies with the learned weights" grep -q "\"class\":\"$want\"" "$T/out/log.jsonl"

"$GRAVITY" learn "$want" "$T/none.eml" >"$T/missing.txt" 2>&1
rc=$?
ok "learn of a file that cannot be read fails ($rc), naming it" sh -c \
	"test $rc -ne 0 && grep -q none.eml '$T/missing.txt'"
