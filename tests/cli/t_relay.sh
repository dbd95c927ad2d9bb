#!/bin/sh
# Relays are people, notices are machines (issue 14).  A person's words
# relayed by a platform (a web form sent from a no-reply address with the
# visitor in Reply-To, a marketplace lead whose Reply-To is a relay
# address, a social network's message notice from a no-reply or notice
# mailbox) are classified by those words; a draft goes only to a Reply-To
# that reaches the person, and when none does no draft is written and the
# reminder says where to answer, with the message's link.  A platform's
# notice of an event (a booking made or moved, a review, a payment) is
# automated and gets no draft, even with a person in Reply-To.
# Fixtures: tests/data/relay (owner: tests/personas/photo).  With
# ../shared, the same holds for kofi's Instagram, Facebook, form,
# WeddingWire, LinkedIn and Calendly mail.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
plan 28
mktmp
d="$top_srcdir/tests/data/relay"
owner="$top_srcdir/tests/personas/photo"

# 1-8: the classes
"$GRAVITY" classify --json --rules "$owner" "$d"/*.eml >"$T/classes.json" 2>"$T/err"
class_of() { sed -n "s/.*\"path\":\"[^\"]*\/$1\".*\"class\":\"\([a-z_]*\)\".*/\1/p" "$T/classes.json"; }
for f in form-noreply:inquiry marketplace-lead:inquiry social-dm:inquiry \
         page-message:out_of_scope booking-new:automated booking-moved:automated \
         review-posted:automated payment-received:automated; do
	check "${f%%:*}: ${f#*:}" "${f#*:}" "$(class_of "${f%%:*}.eml")"
done

# 9-10: one poll of them all
md="$T/md"
mkdir -p "$md/new" "$md/cur" "$md/tmp"
cp "$d"/*.eml "$md/new/"
GRAVITY_NOW=1774000000 "$GRAVITY" poll --rules "$owner" --source "maildir:$md" \
	--out "$T/out" --state "$T/db" >"$T/poll.txt" 2>&1
check "poll exits 0" 0 $?
ok "every message was read" grep -q '^gravity: 8 new messages' "$T/poll.txt"

# outputs_of FILE: the outputs the log names for message FILE
outputs_of() { grep "\"source_id\":\"[^\"]*/$1\"" "$T/out/log.jsonl" | sed -n 's/.*"outputs":\[\([^]]*\)\].*/\1/p'; }
# draft_to FILE: the To lines of the drafts written for FILE
draft_to() {
	for o in $(outputs_of "$1" | tr ',' ' ' | tr -d '"'); do
		case $o in drafts/*) sed -n 's/^To: //p' "$T/out/$o" | tr -d '\r' ;; esac
	done
}
# reminder_of FILE: the unfolded reminder of FILE
reminder_of() {
	for o in $(outputs_of "$1" | tr ',' ' ' | tr -d '"'); do
		case $o in reminders/*-reply.ics) sed ':a;N;$!ba;s/\r\{0,1\}\n //g' "$T/out/$o" ;; esac
	done
}

# 11-14: a draft to the Reply-To that reaches the person
check "form from a no-reply sender: the draft goes to the visitor" \
	"Ailsa Fraser <ailsa.fraser@mailbox.example>" "$(draft_to form-noreply.eml)"
check "marketplace lead: the draft goes to the relay's Reply-To" \
	"Fiona Walsh <reply+8f2a1c9e04d7@messages.weddingbook.example>" "$(draft_to marketplace-lead.eml)"
lead=$(outputs_of marketplace-lead.eml | tr ',' '\n' | tr -d '"' | grep '^drafts/')
ok "... quoting her words" grep -q '^> 40 guests. Are you available' "$T/out/$lead"
ok "... and not the owner's dashboard link or the platform's footer" \
	sh -c "! grep -q -e 'suppliers/leads' -e 'Manage notifications' -e 'You have a new lead' '$T/out/$lead'"

# 15-20: no address reaches the person: no draft, the reminder says where
check "social message from a no-reply sender: no draft" "" "$(draft_to social-dm.eml)"
reminder_of social-dm.eml >"$T/dm.ics"
ok "... the reminder says to reply on the platform, to the person" \
	grep -q '^SUMMARY:Reply on Photogram to skye.and.rory' "$T/dm.ics"
ok "... with the message's reply link" \
	grep -q 'Answer on Photogram: https://www.photogram.example/direct/t/340918827716/' "$T/dm.ics"
ok "... never its unsubscribe link" sh -c "! grep -q unsubscribe '$T/dm.ics'"
check "page message from a notice mailbox: no draft, not even to the partner" "" \
	"$(draft_to page-message.eml)"
reminder_of page-message.eml >"$T/page.ics"
ok "... the reminder names Morag and where to answer" \
	grep -q '^SUMMARY:Ask Callum.*offer Morag an introduction.*reply on Socialbook' "$T/page.ics"

# 21-24: notices of events: never a draft
for f in booking-new booking-moved review-posted payment-received; do
	check "$f: no draft" "" "$(outputs_of $f.eml | grep -o 'drafts/[^"]*')"
done

# 25-28: kofi's relays and notices
ex="$GR_SHARED/examples/kofi"
if [ ! -f "$ex/labels.tsv" ]; then
	for i in 25 26 27 28; do skip "kofi's relays" "no $ex (../shared is absent)"; done
	exit 0
fi
md="$T/kofi"
mkdir -p "$md/new" "$md/cur" "$md/tmp"
for f in msg01 msg03 msg07 msg21 msg29 msg42 msg45 msg46; do cp "$ex/$f.eml" "$md/new/"; done
GRAVITY_NOW=1900000000 "$GRAVITY" poll --rules "$top_srcdir/tests/personas/kofi" \
	--source "maildir:$md" --out "$T/out" --state "$T/kofi.db" >"$T/kofi.txt" 2>&1
check "kofi: poll exits 0" 0 $?
check "kofi: drafts only to the form's visitor and the lead's and LinkedIn's relays" \
	"Emily Hartwell <emily.hartwell@gmail.com>|Nadia Haddad <reply-c6f4ca613c606b3e@messages.weddingwire.ca>|Sandra Obi <reply+0995af55df029c636d1e4ae9@reply.linkedin.com>|" \
	"$(for f in msg01 msg03 msg07 msg21 msg29 msg42 msg45 msg46; do draft_to $f.eml; done | tr '\n' '|')"
reminder_of msg01.eml >"$T/ig.ics"
ok "kofi: the Instagram message's reminder says reply on Instagram, with its link" \
	sh -c "grep -q '^SUMMARY:Reply on Instagram to tayo.and.bisi' '$T/ig.ics' &&
	       grep -q 'Answer on Instagram: https://www.instagram.com/direct/t/62263382336979753/' '$T/ig.ics'"
reminder_of msg45.eml >"$T/fb.ics"
ok "kofi: the Facebook message's reminder names Rosa and says reply on Facebook" \
	grep -q '^SUMMARY:.*Rosa.*reply on Facebook' "$T/fb.ics"
