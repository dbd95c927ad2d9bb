#!/bin/sh
# The one follow-up, with judgment (time made to pass by GRAVITY_NOW):
# only where the owner's last message to the lead asked something or
# offered a next step (Bo, told "I'll wait for your logo", gets none);
# only to the lead: Tom, the one Priya introduced, not Priya, although the
# owner's thank-you to her in the same thread came last and asked her
# something; later (15 business days, "followup later") for Anna, who
# said there is no rush; naming the owner's open question rather than the
# subject; in the conversation's language and register (Carmen wrote in
# formal Spanish).
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
mktmp
plan 18
data="$top_srcdir/tests/data/followup"
demo="$top_srcdir/contrib/demo/inbox/new"
rules="$top_srcdir/contrib/demo/rules"
box="$T/inbox"; out="$T/out"; db="$T/state.db"
mkdir -p "$box/new" "$box/cur" "$box/tmp"
cp "$demo/1763370000.M1P100.demo" "$demo/1763380000.M2P100.demo" "$box/new/"
i=0
for f in inquiry-norush inquiry-bo inquiry-es; do
	i=$((i + 1)); cp "$data/$f.eml" "$box/new/176339000$i.M1P1.test"
done
poll() {
	GRAVITY_NOW=$1 "$GRAVITY" poll --source "maildir:$box" --rules "$rules" \
		--out "$out" --state "$db" >>"$T/polls.txt" 2>&1
}
fu_to() {  # fu_to ADDR: follow-up drafts to ADDR
	grep -l -i "^To:.*$1" "$out"/drafts/*-followup.eml 2>/dev/null | wc -l
}
fu_of() { grep -l -i "^To:.*$1" "$out"/drafts/*-followup.eml 2>/dev/null | head -1; }
body() { /usr/bin/python3 -c "
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
print(m.get_body(('plain',)).get_content())" "$1"; }

# Mon 16 Nov 2026 23:00Z: the inquiries and the introduction.
poll 1794870000; check "poll 1 exits 0" 0 $?
# Tue 17 Nov: the owner answers each, and thanks Priya in the thread.
j=0
for f in "$top_srcdir/tests/data/lifecycle/owner-reply.eml" "$data/owner-to-tom.eml" \
	"$data/owner-thanks-priya.eml" "$data/owner-to-anna.eml" \
	"$data/owner-to-bo.eml" "$data/owner-to-carmen.eml"; do
	j=$((j + 1)); cp "$f" "$box/new/176340000$j.M1P1.test"
done
poll 1794945600; check "poll 2 exits 0" 0 $?

# Tue 24 Nov 19:00Z: five business days of silence.
poll 1795546800; check "poll 3 exits 0" 0 $?
check "Lena, asked a question, gets the one follow-up" 1 "$(fu_to hello@crumbandcoal.example)"
check "Tom, the one introduced, gets it" 1 "$(fu_to tom@beckerbikes.example)"
check "Priya, thanked, gets none" 0 "$(fu_to priya.nair@northwind.example)"
check "Bo, asked nothing and offered nothing, gets none" 0 "$(fu_to bo@lindqvistframes.example)"
check "Anna, who said no rush, gets none yet" 0 "$(fu_to anna@bergyoga.example)"
tom=$(fu_of tom@beckerbikes.example)
body "$tom" >"$T/tom.txt"
ok "Tom's follow-up names the open question" \
	grep -q "Would Tuesday at 10 work for a first call about the shop's site?" "$T/tom.txt"
ok "and not the raw subject" sh -c "! grep -q 'Intro: Sam' '$T/tom.txt'"
ok "its reminder says what to follow up on" \
	grep -q "^SUMMARY:Follow up with Tom: Would Tuesday at 10" "$out"/reminders/*-followup.ics
carmen=$(fu_of carmen@ruizabogados.example)
ok "Carmen's follow-up is in Spanish" grep -q "Espero que todo vaya bien" "$carmen"
ok "and formal, as she wrote" grep -q "^Atentamente," "$carmen"

# Tue 8 Dec: not yet fifteen business days for Anna; Thu 10 Dec: there.
poll 1796756400
check "Anna: none before fifteen business days" 0 "$(fu_to anna@bergyoga.example)"
poll 1796929200; check "poll 5 exits 0" 0 $?
anna=$(fu_of anna@bergyoga.example)
body "$anna" >"$T/anna.txt" 2>/dev/null
ok "Anna's follow-up names the next step offered" \
	grep -q "I can send you two studio sites I made last year, with what" "$T/anna.txt"
ok "its reminder is due fifteen business days after the owner wrote" \
	grep -q "^DTSTART;TZID=America/Los_Angeles:20261209T100000" "$out"/reminders/*-followup.ics
check "and still none to Bo" 0 "$(fu_to bo@lindqvistframes.example)"
diag "$(cat "$T/polls.txt")"
diag "$(cat "$T/tom.txt")"
done_testing
