#!/bin/sh
# A double opt-in followed to its end, across polls (GRAVITY_NOW): an
# out-of-scope request gets a note asking the partner and an offer to the
# requester; the ledger calls that drafted, not a referral, until the
# owner's sent mail shows each step.  The partner's reply to the owner's
# note and the requester's reply to the offer are recognised (whatever
# their class): with both yes, the three-way introduction is drafted (To
# the requester, Cc the partner; the need in the owner's words, none of
# the requester's message) with a reminder; only when the owner's
# introduction is seen sent does `gravity referrals` say "you referred".
# A partner who says no gets no introduction: a reminder to tell the
# requester.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
mktmp
plan 29
data="$top_srcdir/tests/data/optin"
demo="$top_srcdir/contrib/demo/inbox/new"
rules="$top_srcdir/contrib/demo/rules"
box="$T/inbox"; out="$T/out"; db="$T/state.db"
mkdir -p "$box/new" "$box/cur" "$box/tmp"
cp "$demo/1763390000.M3P100.demo" "$box/new/"
cp "$data/request-books.eml" "$box/new/1763390001.M1P1.test"
poll() {
	GRAVITY_NOW=$1 "$GRAVITY" poll --source "maildir:$box" --rules "$rules" \
		--out "$out" --state "$db" >>"$T/polls.txt" 2>&1
}
add() { cp "$data/$1" "$box/new/$2.M1P1.test"; }
given() {  # given EMAIL FIELD: a field of the referral given to EMAIL
	"$GRAVITY" referrals --state "$db" --json | /usr/bin/python3 -c "
import json, sys
d = json.load(sys.stdin)
print([r.get('$2') for r in d['referrals'] if r['partner_email'] == '$1'][0])"
}
text() { "$GRAVITY" referrals --state "$db"; }
intro() { ls "$out"/drafts/*-introduce.eml 2>/dev/null | head -1; }

# Poll 1, Tue 17 Nov 2026 18:00Z: the two requests.
poll 1795456800; check "poll 1 exits 0" 0 $?
check "a note asking Ines was drafted" 1 \
	"$(grep -l -i '^To:.*ines@duartephoto' "$out"/drafts/*-ask-partner.eml | wc -l)"
check "the ledger: drafted, not made" drafted "$(given ines@duartephoto.example status)"
check "not sent" False "$(given ines@duartephoto.example sent)"
ok "gravity referrals does not say 'you referred' for a draft" \
	sh -c "! \"$GRAVITY\" referrals --state '$db' | grep -q 'you referred'"
text | grep -q "asking Ines Duarte.*whether to take Marco Vela"
check "it says what is under way" 0 $?

# Poll 2: the owner sent the note and the offer.
add owner-ask.eml 1763500001; add owner-offer.eml 1763500002
add owner-ask-omar.eml 1763500003
poll 1795460000; check "poll 2 exits 0" 0 $?
check "the note to Ines was seen sent" True "$(given ines@duartephoto.example partner_asked)"
check "the offer to Marco was seen sent" True "$(given ines@duartephoto.example offer_sent)"
check "still asking" asking "$(given ines@duartephoto.example status)"

# Poll 3: Ines says yes; nothing to introduce yet, and no reply draft to
# her as if her answer were a new request.
n=$(ls "$out"/drafts | wc -l)
add partner-yes.eml 1763600001
poll 1795540000; check "poll 3 exits 0" 0 $?
check "Ines's yes recorded" yes "$(given ines@duartephoto.example partner_said)"
check "no draft for her answer (the requester has not said yes)" "$n" "$(ls "$out"/drafts | wc -l)"
grep -q 'ines-yes-1' "$out/log.jsonl"
check "her answer is logged" 0 $?

# Poll 4: Marco says yes: the introduction.
add contact-yes.eml 1763600002
poll 1795545000; check "poll 4 exits 0" 0 $?
d=$(intro)
ok "the three-way introduction is drafted" test -n "$d"
ok "to Marco" grep -q -i "^To: Marco Vela <marco@vela-coffee.example>" "$d"
ok "Ines in copy" grep -q -i "^Cc: Ines Duarte <ines@duartephoto.example>" "$d"
ok "it names the need in the owner's words" grep -q -i "photography" "$d"
ok "and carries none of Marco's message (no phone, no date, no words)" \
	sh -c "! grep -E -i '510-555|December 3|coffee bags|relaunch' '$d'"
ok "a new conversation: it answers no message" sh -c "! grep -q -i '^In-Reply-To:' '$d'"
ok "a reminder to introduce them" grep -q "^SUMMARY:Introduce Marco and Ines Duarte" "$out"/reminders/*-introduce.ics
check "the ledger: introduction drafted" introduction-drafted "$(given ines@duartephoto.example status)"
ok "still no 'you referred' before it is sent" \
	sh -c "! \"$GRAVITY\" referrals --state '$db' | grep -q 'you referred'"

# Poll 5: the owner sent it: now the referral is made.
add owner-intro.eml 1763700001
poll 1795550000; check "poll 5 exits 0" 0 $?
check "the ledger: made" made "$(given ines@duartephoto.example status)"
check "gravity referrals says so, once" 1 \
	"$(text | grep -c "you referred Marco Vela <marco@vela-coffee.example> to Ines Duarte")"

# Omar says no: no introduction, a reminder to tell Rosa.
add partner-no.eml 1763600003
poll 1795555000
check "Omar's no recorded" no "$(given omar@haddadbooks.example partner_said)"
ok "a reminder to tell Rosa" grep -l -q "^SUMMARY:Omar Haddad declined: tell Rosa" "$out"/reminders/*.ics
diag "$(cat "$T/polls.txt")"
diag "$(text)"
diag "$(cat "$d")"
done_testing
