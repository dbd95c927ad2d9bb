#!/bin/sh
# A conversation followed across polls, with time made to pass by
# GRAVITY_NOW: inquiry -> reply reminder; the owner answers -> the same UID
# comes back with SEQUENCE 1 and STATUS:CANCELLED; silence -> exactly one
# follow-up, never a second; the other side writes back -> the follow-up is
# withdrawn.  The referral ledger records the introduction and the
# partner referral, and marks the introducer thanked.  Every .ics (and the
# combined OUT/gravity.ics) parses with libical and Python's icalendar,
# every draft with Python's email (no defects), and one opens in mutt -H.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
mktmp
plan 41
lifecycle_mail
poll() {  # poll NOW [SOURCE]
	GRAVITY_NOW=$1 "$GRAVITY" poll --source "maildir:${2:-$box}" \
		--rules "$rules" --out "$out" --state "$db" >>"$T/polls.txt" 2>&1
}
field() {  # field FILE NAME: value of an unfolded top-level property
	grep -m1 "^$2[:;]" "$1" | tr -d '\r' | sed 's/^[^:]*://'
}
lena_mid=20261116171244.4411@crumbandcoal.example
lena_rem() { grep -l -F "$lena_mid" "$out"/reminders/*-reply.ics | head -1; }
followups_to() { grep -l -i "^To:.*$1" "$out"/drafts/*-followup.eml 2>/dev/null | wc -l; }
ledger() { "$GRAVITY" referrals --state "$db" --json; }
jq_py() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# Poll 1, Mon 16 Nov 2026 23:00Z: the Sent folder first, then the inbox.
poll 1794870000 "$sent"; check "poll of the Sent folder exits 0" 0 $?
poll 1794870000; check "first inbox poll exits 0" 0 $?
rem=$(lena_rem)
ok "the inquiry got a reply reminder" test -n "$rem"
uid=$(field "$rem" UID)
check "new reminder: SEQUENCE 0" 0 "$(field "$rem" SEQUENCE)"
check "new reminder: STATUS:CONFIRMED" CONFIRMED "$(field "$rem" STATUS)"
ok "combined feed written" test -s "$out/gravity.ics"
ok "the feed holds the reminder" grep -q "^UID:$uid" "$out/gravity.ics"
check "the feed has one VTIMEZONE per zone" 1 "$(grep -c '^BEGIN:VTIMEZONE' "$out/gravity.ics")"
check "the feed holds every reminder file" \
	"$(cat "$out"/reminders/*.ics | grep -c '^BEGIN:VEVENT')" \
	"$(grep -c '^BEGIN:VEVENT' "$out/gravity.ics")"
ok "no draft for mail the owner had already answered" \
	sh -c "! grep -l -i 'maria@gomezcafe.example' '$out'/drafts/*.eml"
ok "no reminder for mail the owner had already answered" \
	sh -c "! grep -l 'maria-q-1' '$out'/reminders/*.ics"
ledger >"$T/l1.json"; check "gravity referrals --json exits 0" 0 $?
check "ledger: one introduction, one referral given" "received given" \
	"$(jq_py "' '.join(sorted((r['kind'] for r in d['referrals']), reverse=True))" <"$T/l1.json")"
check "ledger: who introduced whom" "priya.nair@northwind.example tom@beckerbikes.example False" \
	"$(jq_py "' '.join(str(x) for r in d['referrals'] if r['kind']=='received' for x in (r['introducer_email'], r['contact_email'], r['thanked']))" <"$T/l1.json")"
check "ledger: the out-of-scope request went to the partner" ines@duartephoto.example \
	"$(jq_py "[r['partner_email'] for r in d['referrals'] if r['kind']=='given'][0]" <"$T/l1.json")"
check "ledger: most recent first" True \
	"$(jq_py "[r['time'] for r in d['referrals']] == sorted((r['time'] for r in d['referrals']), reverse=True)" <"$T/l1.json")"
ndrafts=$(ls "$out"/drafts | wc -l)

# Poll 2, Tue 17 Nov 20:00Z: the owner answers Lena and thanks Priya.
cp "$data/owner-reply.eml" "$box/new/1763400001.M1P1.test"
cp "$data/owner-thanks.eml" "$box/new/1763400002.M1P1.test"
poll 1794945600; check "poll 2 exits 0" 0 $?
check "answered: same UID" "$uid" "$(field "$rem" UID)"
check "answered: SEQUENCE 1" 1 "$(field "$rem" SEQUENCE)"
check "answered: STATUS:CANCELLED" CANCELLED "$(field "$rem" STATUS)"
check "answered: new DTSTAMP" 20261117T200000Z "$(field "$rem" DTSTAMP)"
feed_status() {  # feed_status UID: STATUS of that UID in gravity.ics
	tr -d '\r' <"$out/gravity.ics" | awk -v uid="UID:$1" '
		/^BEGIN:(VEVENT|VTODO)/ { u = 0; s = "" }
		$0 == uid { u = 1 }
		/^STATUS:/ { s = substr($0, 8) }
		/^END:(VEVENT|VTODO)/ && u { print s }'
}
check "the feed carries the cancellation" CANCELLED "$(feed_status "$uid")"
check "the owner's own mail gets no draft" "$ndrafts" "$(ls "$out"/drafts | wc -l)"
check "ledger: the introducer is thanked" True \
	"$(ledger | jq_py "[r['thanked'] for r in d['referrals'] if r['kind']=='received'][0]")"

# Poll 3, Fri 20 Nov: not yet five business days of silence.
poll 1795204800
check "no follow-up before the silence is long enough" 0 "$(followups_to hello@crumbandcoal.example)"
# Poll 4, Tue 24 Nov 19:00Z: five business days; no new mail.
poll 1795546800; check "poll 4 (no new mail) exits 0" 0 $?
check "exactly one follow-up draft to Lena" 1 "$(followups_to hello@crumbandcoal.example)"
fu=$(grep -l -F "sam-reply-1@riverastudio.example" "$out"/reminders/*-followup.ics | head -1)
ok "a follow-up reminder too" test -n "$fu"
ok "gravity status lists the follow-up draft, to Lena" sh -c \
	"'$GRAVITY' status --state '$db' | grep -q '^  drafts/.*-followup.eml  follow-up to hello@crumbandcoal.example: '"
ok "the follow-up draft answers the owner's message" \
	grep -q -i "^In-Reply-To: <sam-reply-1@riverastudio.example>" "$out"/drafts/*-followup.eml
# Poll 5, a week later: never a second nudge.
poll 1796151600
check "no second follow-up" 1 "$(followups_to hello@crumbandcoal.example)"
check "the follow-up reminder is unchanged" 0 "$(field "$fu" SEQUENCE)"
# Poll 6: Lena writes back.
cp "$data/peer-back.eml" "$box/new/1763500001.M1P1.test"
poll 1796238000; check "poll 6 exits 0" 0 $?
check "the follow-up is withdrawn (SEQUENCE 1)" 1 "$(field "$fu" SEQUENCE)"
check "the follow-up is withdrawn (CANCELLED)" CANCELLED "$(field "$fu" STATUS)"
ok "... and gravity status no longer lists its draft as waiting" sh -c \
	"'$GRAVITY' status --state '$db' >'$T/st6.txt' && ! grep -q -- '-followup.eml' '$T/st6.txt'"
diag "$(cat "$T/polls.txt")"

# Every output, read by real tools.
ok "every .ics and gravity.ics parse with libical, drafts with libetpan" \
	"$GR_VERIFY" "$out"/gravity.ics "$out"/reminders/*.ics "$out"/drafts/*.eml
py=/usr/bin/python3
if [ -x $py ] && $py -c 'import icalendar' 2>/dev/null; then
	ok "every .ics and gravity.ics parse with Python icalendar" $py - "$out"/gravity.ics "$out"/reminders/*.ics <<'PY'
import sys, icalendar
for f in sys.argv[1:]:
    cal = icalendar.Calendar.from_ical(open(f, 'rb').read())
    items = [c for c in cal.walk() if c.name in ('VEVENT', 'VTODO')]
    assert items, f + ': no VEVENT/VTODO'
    for c in items:
        for p in ('UID', 'DTSTAMP', 'SEQUENCE', 'SUMMARY', 'STATUS'):
            assert p in c, '%s: no %s' % (f, p)
    zones = [c['TZID'] for c in cal.walk('VTIMEZONE')]
    assert len(zones) == len(set(zones)), f + ': a zone twice'
PY
else
	skip "every .ics parses with Python icalendar" "python3-icalendar not installed"
fi
if [ -x $py ]; then
	ok "every draft parses with Python email (policy default, no defects)" $py - "$out"/drafts/*.eml <<'PY'
import sys, email
from email import policy
for f in sys.argv[1:]:
    m = email.message_from_binary_file(open(f, 'rb'), policy=policy.default)
    bad = [d for p in m.walk() for d in p.defects]
    for k, v in m.items():
        bad += list(getattr(v, 'defects', ()))
    assert not bad, '%s: %s' % (f, bad)
    for h in ('From', 'To', 'Date', 'Message-ID', 'Subject'):
        assert m[h], '%s: no %s' % (f, h)
    assert m.get_body(('plain',)).get_content().strip(), f + ': empty'
PY
else
	skip "every draft parses with Python email" "no /usr/bin/python3"
fi
mutt=$(command -v mutt || command -v neomutt)
if [ -n "$mutt" ] && command -v script >/dev/null 2>&1; then
	# Open the follow-up draft with -H and postpone it at once (a
	# send2-hook pushes P in the compose menu), then read the mbox back.
	draft=$(grep -l -i "^To:.*hello@crumbandcoal" "$out"/drafts/*-followup.eml)
	: >"$T/spool"
	cat >"$T/muttrc" <<EOF
set postponed="$T/postponed"
set mbox_type=mbox
set folder="$T"
set spoolfile="$T/spool"
set editor=/bin/true
set edit_headers=yes
set autoedit=yes
set recall=no
set postpone=yes
set record=
set sendmail=/bin/false
set charset=utf-8
send2-hook . 'push P'
EOF
	TERM=vt100 HOME="$T" timeout 20 script -qec \
		"$mutt -n -F '$T/muttrc' -H '$draft'" /dev/null >/dev/null 2>&1
	ok "mutt -H opened the draft (postponed copy keeps the recipient)" \
		grep -q "^To: Lena Ortiz <hello@crumbandcoal.example>" "$T/postponed"
	ok "mutt decoded the quoted-printable body" \
		grep -q "I hope all is well" "$T/postponed"
else
	skip "mutt -H opened the draft" "no mutt/neomutt or script"
	skip "mutt decoded the body" "no mutt/neomutt or script"
fi
done_testing
