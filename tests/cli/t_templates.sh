#!/bin/sh
# Templates chosen by context, through a user's rules layer over the
# defaults: a template for the service (templates/inquiry-SERVICE.txt), a
# known contact's variant (-known), a partner's (-partner: the thank-you
# to a partner who introduced someone); a service
# named in the owner's words (its "say" line); and urgency: an
# out-of-scope need that cannot wait ("this week") gets an offer that
# leads with the partner's phone, and a note to the partner that says it
# is time-sensitive, while one that can wait gets neither.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
mktmp
plan 10
rules="$T/rules"; box="$T/inbox"; out="$T/out"
mkdir -p "$rules/templates" "$box/new" "$box/cur" "$box/tmp"
cp "$top_srcdir/contrib/demo/rules/profile" "$rules/"
sed 's/^offer webdesign "Website design and build"$/&\n\tsay "a new website"/' \
	"$top_srcdir/contrib/demo/rules/services" >"$rules/services"
sed 's/^\temail ines@duartephoto.example$/&\n\tphone "(510) 555-0199"/' \
	"$top_srcdir/contrib/demo/rules/partners" >"$rules/partners"
echo "kim@oldclient.example" >"$rules/contacts"
cat >"$rules/templates/inquiry-maintenance.txt" <<'T'
{{greeting}}

Thank you: site care is what I do every week.
{{#each asks}}

> {{.}}

[...{{.note}}]
{{/each}}

{{owner_first_name}}
T
n=0
msg() {  # msg FROM SUBJECT BODY
	n=$((n + 1))
	printf 'From: %s\nTo: Sam Rivera <sam@riverastudio.example>\nSubject: %s\nDate: Tue, 17 Nov 2026 10:0%d:00 -0800\nMessage-ID: <t%d@test.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\nHi Sam,\n\n%s\n\nThanks,\nA\n' \
		"$1" "$2" "$n" "$n" "$3" >"$box/new/17634000$n.M1P1.t$n"
}
msg "Rita Moss <rita@mossdeli.example>" "Menu update" \
	"Could you update our site with the new winter menu? It needs the site maintenance you mentioned."
msg "Kim Old <kim@oldclient.example>" "New website" \
	"We are ready for a new website for the second shop. Could we talk about a redesign next month?"
msg "Lou Park <lou@parkbakery.example>" "New website" \
	"We need a new website for our bakery with online ordering. Can you build one?"
n=$((n + 1))
printf 'From: June Park <june@parkwords.example>\nTo: Sam Rivera <sam@riverastudio.example>\nCc: Tess Grant <tess@grantyoga.example>\nSubject: Intro: Sam <> Tess (new website)\nDate: Tue, 17 Nov 2026 10:09:00 -0800\nMessage-ID: <t%d@test.example>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\nHi Sam,\n\nI would like to introduce you to Tess (cc), who needs a new website for her yoga studio. Tess, Sam is the web designer I told you about.\n\nJune\n' \
	"$n" >"$box/new/17634000$n.M1P1.t$n"
msg "Ada Vale <ada@valetea.example>" "Photos this week?" \
	"Our product photos must be redone this week for the launch. Can you recommend a photographer?"
msg "Ben Voss <ben@vossbikes.example>" "Photos for the shop" \
	"Sometime next year we would like product photos for the shop. Do you know a photographer?"
GRAVITY_NOW=1795460000 "$GRAVITY" poll --source "maildir:$box" --rules "$rules" \
	--out "$out" --state "$T/state.db" >"$T/poll.txt" 2>&1
check "poll exits 0" 0 $?
body() {  # body TO ACTION: the decoded body of the draft ACTION to TO
	f=$(grep -l -i "^To:.*$1" "$out"/drafts/*-"$2".eml | head -1)
	[ -n "$f" ] && /usr/bin/python3 -c "
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
print(' '.join(m.get_body(('plain',)).get_content().split()))" "$f"
}
body rita@ reply | grep -q "site care is what I do every week"
check "the service's own template (inquiry-maintenance.txt)" 0 $?
body kim@ reply | grep -q "Good to hear from you again"
check "a known contact's variant (inquiry-known.txt)" 0 $?
body kim@ reply | grep -q "thinking of me for a new website"
check "the service in the owner's words (its say line)" 0 $?
body lou@ reply | grep -q "Thank you for your message about a new website"
check "and in the plain inquiry too" 0 $?
body june@ thanks | grep -q "It's always a pleasure working with you"
check "a partner's variant (referral-thanks-partner.txt)" 0 $?
body ada@ offer-intro | grep -q "call Ines directly at (510) 555-0199"
check "urgent: the offer leads with the partner's phone" 0 $?
body ines@ ask-partner | grep -q "It sounds time-sensitive"
check "urgent: the partner is told it is time-sensitive" 0 $?
body ben@ offer-intro | grep -q "555-0199"
check "not urgent: no phone in the offer" 1 $?
n_ask=$(grep -l -i "^To:.*ines@" "$out"/drafts/*-ask-partner.eml | xargs grep -l -c "time-sensitive" 2>/dev/null | wc -l)
check "not urgent: only the urgent note says time-sensitive" 1 "$n_ask"
diag "$(cat "$T/poll.txt")"
done_testing
