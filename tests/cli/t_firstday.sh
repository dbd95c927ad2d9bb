#!/bin/bash
# The first day with a real inbox, scripted: a Dovecot (127.0.0.1) whose
# Sent and Drafts folders have German names and are found by their
# special use; "gravity init --non-interactive" and nothing else edited; a
# first poll, a second one, the owner's reply in "Gesendete Objekte", a
# third poll, "gravity status", then a profile change and "gravity redo".
# Every draft is From the owner as the profile says, every time is in the
# profile's zone, and every recipient comes from the mail itself (nothing
# from the shipped examples or another owner).
. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/servers/dovecot.sh"
if ! dv_have || ! command -v sqlite3 >/dev/null 2>&1; then
	echo "1..0 # SKIP dovecot, openssl or sqlite3 not installed"; exit 0
fi
mktmp
chmod 755 "$T"          # Dovecot runs as nobody when the tests run as root
D="$T/dv"
trap 'dv_stop "$D"; rm -rf "$T"' EXIT
plan 29
demo="$top_srcdir/contrib/demo/inbox/new"
U=hannah@example.com

dv_setup "$D" || { echo "Bail out! dv_setup failed"; exit 1; }
read -r _p SPORT < <(DV_MAILBOXES="$(printf 'Gesendete Objekte=\\Sent\nEntwürfe=\\Drafts\nArchiv=\\Archive')" \
	dv_start "$D") || { echo "Bail out! dovecot did not start"; exit 1; }
# The demo inbox, written to Hannah (a book editor) instead of its owner.
mkdir -p "$T/mail"
for f in "$demo"/*; do
	sed -e "s/sam@riverastudio\.example/$U/g" -e 's/Sam Rivera/Hannah Berger/g' \
		-e 's/\bSam\b/Hannah/g' "$f" >"$T/mail/$(basename "$f")"
	dv_doveadm "$D" save -u "$U" -m INBOX <"$T/mail/$(basename "$f")" ||
		{ echo "Bail out! doveadm save failed"; exit 1; }
done

# A new owner's home: nothing but what init writes.
H="$T/home"; mkdir -p "$H"
HOME=$H; export HOME
unset XDG_CONFIG_HOME XDG_STATE_HOME XDG_DATA_HOME
cfg="$H/.config/gravity/config"
rules="$H/.config/gravity/rules"
"$GRAVITY" init --non-interactive --name "Hannah Berger" --email "$U" \
	--timezone Europe/Berlin --hours "mon-fri 09:00-17:00" \
	--source "imaps://$U@127.0.0.1:$SPORT/INBOX" \
	--passcmd "printf 'hannah-pass-456\\n'" --cafile "$D/ca.crt" >"$T/init.txt" 2>&1
check "gravity init --non-interactive exits 0" 0 $?
"$GRAVITY" rules check >"$T/rc.txt" 2>&1
check "rules check passes on what init wrote" 0 $?
"$GRAVITY" folders >"$T/folders.txt" 2>&1
ok "gravity folders finds 'Gesendete Objekte' as the Sent folder" \
	grep -q 'Gesendete Objekte *\\Sent *read' "$T/folders.txt"
diag "$(cat "$T/folders.txt")"

out="$H/gravity"
"$GRAVITY" poll >"$T/p1.txt" 2>"$T/e1.txt"
check "first poll exits 0" 0 $?
diag "$(tail -n 1 "$T/p1.txt") $(cat "$T/e1.txt")"
ok "... reads the 8 messages" grep -q "^gravity: 8 new messages" "$T/p1.txt"
check "... with no warning" "" "$(cat "$T/e1.txt")"
nd=$(ls "$out"/drafts/*.eml 2>/dev/null | wc -l)
nr=$(ls "$out"/reminders/*.ics 2>/dev/null | wc -l)
ok "... and writes drafts ($nd) and reminders ($nr)" test "$nd" -ge 2 -a "$nr" -ge 2
sums1=$(out_sums "$out")

"$GRAVITY" poll >"$T/p2.txt" 2>&1
check "second poll exits 0" 0 $?
ok "... finds nothing new" grep -q "^gravity: 0 new messages" "$T/p2.txt"
check "... and changes no output" "$sums1" "$(out_sums "$out")"

# Hannah answers Lena from her mail client: the reply lands in Sent.
lena=$(grep -l '^Message-ID: <20261116171244.4411@crumbandcoal.example>' "$T/mail"/*)
{
	printf 'From: Hannah Berger <%s>\r\nTo: Lena Ortiz <hello@crumbandcoal.example>\r\n' "$U"
	printf 'Subject: Re: New website for our bakery?\r\nDate: Tue, 17 Nov 2026 10:00:00 +0100\r\n'
	printf 'Message-ID: <reply-1@example.com>\r\nIn-Reply-To: <20261116171244.4411@crumbandcoal.example>\r\n\r\n'
	printf 'Hello Lena, thank you, let us talk on Friday.\r\n'
} >"$T/reply.eml"
dv_doveadm "$D" save -u "$U" -m "Gesendete Objekte" <"$T/reply.eml"
"$GRAVITY" poll >"$T/p3.txt" 2>&1
check "the poll after the reply exits 0" 0 $?
ok "... and sees it in 'Gesendete Objekte': Lena's reminder is answered" grep -q "1 answered" "$T/p3.txt"
lrem="$out/reminders/3fc38d1994fabd71-reply.ics"
ok "... her reminder is CANCELLED" grep -q "^STATUS:CANCELLED" "$lrem"

"$GRAVITY" status >"$T/s.txt" 2>&1
check "gravity status exits 0" 0 $?
diag "$(cat "$T/s.txt")"
ok "... shows the account's last poll, ok" grep -Eq "^  work: .*, ok: 0 new messages$" "$T/s.txt"
ok "... and Lena's draft no longer waiting" sh -c "! grep -q '3fc38d1994fabd71-reply.eml' '$T/s.txt'"
ok "... while other drafts still wait" grep -q "drafts/.*\.eml" "$T/s.txt"
ok "... the follow-up to Lena among them, named as such" \
	grep -q "^  drafts/.*-followup.eml  follow-up to hello@crumbandcoal.example: " "$T/s.txt"

# The owner's files only: From, zone, recipients.
froms() { for f in "$out"/drafts/*.eml; do sed -n 's/\r$//; /^$/q; s/^From: //p' "$f"; done | sort -u; }
check "every draft is From the owner, as the profile says" "Hannah Berger <$U>" "$(froms)"
zones() { cat "$out"/reminders/*.ics | tr -d '\r' | sed -n 's/^TZID://p' | sort -u; }
check "every reminder is in the profile's zone" "Europe/Berlin" "$(zones)"
dates() { for f in "$out"/drafts/*.eml; do sed -n 's/\r$//; /^$/q; s/^Date: .* \([-+][0-9]\{4\}\)$/\1/p' "$f"; done | sort -u | tr '\n' ' '; }
ok "every draft's Date is at Berlin's offset ($(dates))" sh -c "test -n '$(dates)' && ! echo '$(dates)' | grep -qv -E '^(\\+0100 |\\+0200 )+\$'"
# Recipients: addresses of the mail itself, never the owner's own address
# and never one that comes from elsewhere (the shipped examples).
known=$(cat "$T/mail"/* | grep -oiE '[a-z0-9._+-]+@[a-z0-9.-]+\.[a-z]+' | tr 'A-Z' 'a-z' | sort -u)
rcpts() {
	for f in "$out"/drafts/*.eml; do
		sed -n 's/\r$//; /^$/q; /^\(To\|Cc\|Bcc\):/p' "$f"
	done | grep -oiE '[a-z0-9._+-]+@[a-z0-9.-]+\.[a-z]+' | tr 'A-Z' 'a-z' | sort -u
}
stray=""
for a in $(rcpts); do
	echo "$known" | grep -qxF "$a" || stray="$stray $a"
	[ "$a" = "$U" ] && stray="$stray $a(owner)"
done
check "every recipient comes from the mail itself ($(rcpts | wc -l) addresses)" "" "$stray"
examples=$(cat "$top_srcdir"/contrib/demo/rules/* "$top_srcdir"/rules/profile "$top_srcdir"/rules/partners \
	"$top_srcdir"/rules/services 2>/dev/null | grep -oiE '[a-z0-9._+-]+@[a-z0-9.-]+\.[a-z]+' | sort -u)
leak=""
for a in $examples; do grep -rqiF "$a" "$out/drafts" "$out/reminders" && leak="$leak $a"; done
check "no address of the shipped examples in any output" "" "$leak"

# The owner changes her profile; redo brings the outputs along.
sed -i 's|^name .*|name "Hannah M. Berger"|; s|^timezone Europe/Berlin|timezone Europe/Lisbon|' "$rules/profile"
names0=$(cd "$out" && ls drafts reminders)
"$GRAVITY" redo >"$T/r.txt" 2>"$T/re.txt"
check "gravity redo after the profile change exits 0" 0 $?
diag "$(tail -n 1 "$T/r.txt") $(cat "$T/re.txt")"
check "the same file names" "$names0" "$(cd "$out" && ls drafts reminders)"
# (Lena's message is answered: her draft and reminder are left as they
# were; the follow-up planned from the answer is redone like the rest.)
check "the drafts are From the new name (quoted: it has a period)" "\"Hannah M. Berger\" <$U>" \
	"$(for f in "$out"/drafts/*.eml; do [ "$f" = "$out/drafts/3fc38d1994fabd71-reply.eml" ] && continue
		sed -n 's/\r$//; /^$/q; s/^From: //p' "$f"; done | sort -u)"
fud=$(ls "$out"/drafts/*-followup.eml 2>/dev/null)
ok "... the follow-up to Lena too ($(echo $fud | wc -w) follow-up draft)" sh -c \
	"test -n '$fud' && grep -q '^To: .*hello@crumbandcoal.example' $fud && grep -q '^From: \"Hannah M. Berger\"' $fud"
ok "the pending reminders, the follow-up's too, are in the new zone, SEQUENCE 1" sh -c \
	"ls '$out'/reminders/*-followup.ics >/dev/null && for f in \$(grep -L -e '^STATUS:CANCELLED' '$out'/reminders/*.ics); do grep -q '^TZID:Europe/Lisbon' \$f && grep -q '^SEQUENCE:1' \$f || exit 1; done"
ok "the answered one is left alone" sh -c "grep -q '^STATUS:CANCELLED' '$lrem' && grep -q '^TZID:Europe/Berlin' '$lrem'"
done_testing
