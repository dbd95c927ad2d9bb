#!/bin/bash
# gravity redo: mail already seen is classified and planned again with the
# current rules.  What comes out the same is left alone (same bytes); a
# draft or reminder that changes is written again under the same name (a
# reminder with a higher SEQUENCE); one no longer planned is withdrawn (a
# reminder cancelled, a draft removed) unless the owner edited the draft;
# log.jsonl says what changed.  Maildir, mbox and IMAP (fetched again by
# UID from the private Dovecot, tests/servers/dovecot.sh), the selections
# (--since, --class, Message-IDs), and failed messages tried again.
. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/servers/dovecot.sh"
command -v sqlite3 >/dev/null 2>&1 || { echo "1..0 # SKIP sqlite3 not installed"; exit 0; }
mktmp
chmod 755 "$T"
D="$T/dv"
trap 'dv_stop "$D" 2>/dev/null; rm -rf "$T"' EXIT
plan 56
demo="$top_srcdir/contrib/demo/inbox/new"
rules="$T/rules"
cp -R "$top_srcdir/contrib/demo/rules" "$rules"
box="$T/box"
mkdir -p "$box/new" "$box/cur" "$box/tmp"
cp "$demo"/* "$box/new/"
out="$T/out"; db="$T/state.db"
lena=3fc38d1994fabd71           # the bakery inquiry's outputs
ana=af7e88ccc60f6a45            # the yoga studio's (a web form)
g() {  # g CMD ARGS...: gravity CMD on the Maildir; output in $T/g.out
	_c=$1; shift
	"$GRAVITY" "$_c" --source "maildir:$box" --rules "$rules" --out "$out" \
		--state "$db" "$@" >"$T/g.out" 2>"$T/g.err"
}
seq_of() { sed -n 's/^SEQUENCE://p' "$out/reminders/$1-reply.ics" | tr -d '\r'; }
redo_line() {  # the last redo log line of a Message-ID
	grep '"status":"redo"' "$out/log.jsonl" | grep -F "\"message_id\":\"$1\"" | tail -n 1
}

g poll -q
check "the first poll exits 0" 0 $?
sums0=$(out_sums "$out")
nlog0=$(wc -l <"$out/log.jsonl")

# --- nothing changed: nothing written ---------------------------------------------
g redo
check "redo with the same rules exits 0" 0 $?
diag "$(tail -n 1 "$T/g.out")"
ok "... says it redid all 8 and changed nothing" \
	grep -q "^gravity: redid 8 messages (0 changed class); 0 outputs replaced, 11 unchanged, 0 withdrawn$" "$T/g.out"
check "... every output keeps its bytes" "$sums0" "$(out_sums "$out")"
check "... one log line per message redone" 8 $(( $(wc -l <"$out/log.jsonl") - nlog0 ))
ok "... which names the outputs left alone" sh -c \
	"grep '\"status\":\"redo\"' '$out/log.jsonl' | grep -q '\"unchanged\":\\[\"reminders/$lena-reply.ics\",\"drafts/$lena-reply.eml\"\\]'"

# --- the owner moves: time zone and signature -----------------------------------
sed -i 's|^timezone .*|timezone Europe/Berlin|; s|Rivera Studio - websites|Rivera Studio, websites|' "$rules/profile"
echo "I wrote this myself." >>"$out/drafts/$ana-reply.eml"
edited=$(sha256sum <"$out/drafts/$ana-reply.eml")
names0=$(cd "$out" && find reminders drafts -type f | sort)
g redo
check "redo after a profile change exits 0" 0 $?
diag "$(tail -n 1 "$T/g.out")"
check "the same file names, none added or lost" "$names0" "$(cd "$out" && find reminders drafts -type f | sort)"
check "a changed reminder has the next SEQUENCE" 1 "$(seq_of $lena)"
ok "... and the new zone" grep -q "^DTSTART;TZID=Europe/Berlin:" "$out/reminders/$lena-reply.ics"
ok "the drafts have the new signature" grep -q "Rivera Studio, websites" "$out/drafts/$lena-reply.eml"
check "the draft the owner edited is left alone" "$edited" "$(sha256sum <"$out/drafts/$ana-reply.eml")"
ok "... and the summary says so" grep -q "1 edited draft kept" "$T/g.out"
ok "the log says what was replaced" sh -c \
	"echo '$(redo_line 20261116171244.4411@crumbandcoal.example)' | grep -q '\"replaced\":\\[\"reminders/$lena-reply.ics\",\"drafts/$lena-reply.eml\"\\]'"
ok "the feed has the new time" grep -q "DTSTART;TZID=Europe/Berlin:" "$out/gravity.ics"

# --- a class changes: its outputs are withdrawn -----------------------------------
printf 'sender hello@crumbandcoal.example always cold_pitch\n' >"$rules/overrides"
g redo --class inquiry
check "redo --class inquiry exits 0" 0 $?
ok "... redid the two inquiries only" grep -q "^gravity: redid 2 messages (1 changed class)" "$T/g.out"
ok "the reminder no longer planned is CANCELLED" grep -q "^STATUS:CANCELLED" "$out/reminders/$lena-reply.ics"
check "... with the next SEQUENCE" 2 "$(seq_of $lena)"
ok "the draft no longer planned is removed" test ! -e "$out/drafts/$lena-reply.eml"
check "the state has its new class" cold_pitch \
	"$(sqlite3 "$db" "SELECT class FROM messages WHERE message_id = '20261116171244.4411@crumbandcoal.example'")"
ok "the log says what was withdrawn" sh -c \
	"echo '$(redo_line 20261116171244.4411@crumbandcoal.example)' | grep -q '\"was\":\"inquiry\".*\"cancelled\":\\[\"reminders/$lena-reply.ics\"\\],\"removed\":\\[\"drafts/$lena-reply.eml\"\\]'"

# --- selections -------------------------------------------------------------------
rm "$rules/overrides"
g redo --since 2099-01-01
ok "--since a date after every message redoes nothing" grep -q "^gravity: redid 0 messages" "$T/g.out"
g redo '<20261116171244.4411@crumbandcoal.example>'
ok "one Message-ID (with <>) redoes that message only" grep -q "^gravity: redid 1 message (1 changed class)" "$T/g.out"
check "... its reminder is back, SEQUENCE 3" "3 no" \
	"$(seq_of $lena) $(grep -q '^STATUS:CANCELLED' "$out/reminders/$lena-reply.ics" && echo yes || echo no)"
ok "... and its draft" test -s "$out/drafts/$lena-reply.eml"
g redo '<nobody@nowhere.example>'
check "a Message-ID never seen: exit 0, one line naming it" "0 1" "$? $(grep -c 'no message with Message-ID <nobody@nowhere.example> was seen' "$T/g.err")"
g redo --since yesterday
check "a --since that is no date: EX_USAGE, one line" "64 1" "$? $(wc -l <"$T/g.err")"
g redo --class nonsense
check "an unknown --class: EX_USAGE" 64 $?

# --- two different messages with one Message-ID ------------------------------------------
sb="$T/same"; mkdir -p "$sb/new" "$sb/cur" "$sb/tmp"
cp "$demo/1763370000.M1P100.demo" "$sb/new/1.A.test"
sed 's/bakery/cafe/g; s/^From: .*/From: Ana Lima <ana@cafe.example>/' \
	"$demo/1763370000.M1P100.demo" >"$sb/new/2.B.test"
"$GRAVITY" poll --source "maildir:$sb" --rules "$rules" --out "$T/so" --state "$T/s.db" -q
s0=$(out_sums "$T/so")
check "one Message-ID, two messages: each has its own draft" 2 "$(ls "$T/so/drafts" | wc -l)"
"$GRAVITY" redo --source "maildir:$sb" --rules "$rules" --out "$T/so" --state "$T/s.db" >"$T/s.out" 2>&1
ok "redo judges them as the poll did: both redone, nothing replaced" \
	grep -q "^gravity: redid 2 messages (0 changed class); 0 outputs replaced, 4 unchanged, 0 withdrawn$" "$T/s.out"
check "... every output keeps its bytes" "$s0" "$(out_sums "$T/so")"

# --- mbox -----------------------------------------------------------------------------
for f in "$demo"/*; do printf 'From sender@example.org Mon Nov 16 00:00:00 2026\n'; cat "$f"; echo; done >"$T/box.mbox"
"$GRAVITY" poll --source "mbox:$T/box.mbox" --rules "$rules" --out "$T/mo" --state "$T/m.db" -q
sed -i 's|^timezone .*|timezone Asia/Tokyo|' "$rules/profile"
"$GRAVITY" redo --source "mbox:$T/box.mbox" --rules "$rules" --out "$T/mo" --state "$T/m.db" >"$T/m.out" 2>&1
check "mbox: redo exits 0" 0 $?
ok "... the reminders move to the new zone, SEQUENCE 1" sh -c \
	"grep -q '^DTSTART;TZID=Asia/Tokyo:' '$T/mo/reminders/$lena-reply.ics' && grep -q '^SEQUENCE:1' '$T/mo/reminders/$lena-reply.ics'"

# --- failed messages get a new try ----------------------------------------------------
if have_test_hooks; then
	fb="$T/fbox"; mkdir -p "$fb/new" "$fb/cur" "$fb/tmp"
	sed 's/^Subject: .*/Subject: Quote please (KILL-ME-42)/' "$demo/1763380000.M2P100.demo" >"$fb/new/1.M1.test"
	for i in 1 2; do
		GR_PARSER_CRASH_ON=KILL-ME-42 "$GRAVITY" poll --source "maildir:$fb" --rules "$rules" \
			--out "$T/fo" --state "$T/f.db" -q 2>/dev/null
	done
	check "a message the parser died on twice is failed for good" "failed 2" \
		"$(sqlite3 -separator ' ' "$T/f.db" 'SELECT status, tries FROM messages')"
	"$GRAVITY" redo --source "maildir:$fb" --rules "$rules" --out "$T/fo" --state "$T/f.db" >"$T/f.out" 2>&1
	check "redo tries it again (the parser is well now)" 0 $?
	ok "... and processes it" sh -c "grep -q '1 failed message tried again (1 new, 0 failed)' '$T/f.out' && test \"\$(sqlite3 '$T/f.db' 'SELECT status FROM messages')\" = ok && ls '$T'/fo/drafts/*.eml >/dev/null"
else
	for i in 1 2 3; do skip "failed messages" "needs --enable-test-hooks"; done
fi

# --- follow-ups: planned from the owner's answer, planned again --------------
# Lena's inquiry, the owner's answer, five business days of silence: a
# follow-up draft and reminder.  A profile change must reach them as it
# reaches every other output.
if have_test_hooks; then
	ldata="$top_srcdir/tests/data/lifecycle"
	fr="$T/furules"; cp -R "$top_srcdir/contrib/demo/rules" "$fr"
	fb="$T/fubox"; mkdir -p "$fb/new" "$fb/cur" "$fb/tmp"
	cp "$demo/1763370000.M1P100.demo" "$fb/new/"
	fu() {  # fu NOW CMD [ARGS]
		_now=$1 _c=$2; shift 2
		GRAVITY_NOW=$_now "$GRAVITY" "$_c" --source "maildir:$fb" --rules "$fr" \
			--out "$T/fo2" --state "$T/fu.db" "$@" >"$T/fu.out" 2>"$T/fu.err"
	}
	fu 1794870000 poll -q
	cp "$ldata/owner-reply.eml" "$fb/new/1763400001.M1P1.test"
	fu 1794945600 poll -q
	fu 1795546800 poll
	fd=$(ls "$T"/fo2/drafts/*-followup.eml 2>/dev/null | head -n 1)
	fr_ics=$(ls "$T"/fo2/reminders/*-followup.ics 2>/dev/null | head -n 1)
	ok "five business days after the owner's answer: a follow-up draft and reminder" \
		test -n "$fd" -a -n "$fr_ics"
	sed -i 's|^name .*|name "Samuel Rivera"|; s|^timezone .*|timezone Europe/Berlin|' "$fr/profile"
	fu 1795550000 redo
	check "redo after the profile change exits 0" 0 $?
	diag "$(cat "$T/fu.out" "$T/fu.err")"
	ok "... and says the follow-up was planned again" grep -q "; 1 follow-up planned again$" "$T/fu.out"
	ok "the follow-up draft is From the new name" grep -q "^From: Samuel Rivera <sam@riverastudio.example>" "$fd"
	ok "... its reminder in the new zone, SEQUENCE 1" sh -c \
		"grep -q '^DTSTART;TZID=Europe/Berlin:' '$fr_ics' && grep -q '^SEQUENCE:1' '$fr_ics'"
	ok "... and the feed too" grep -q "^DTSTART;TZID=Europe/Berlin:" "$T/fo2/gravity.ics"
	ok "the log says the follow-up's outputs were replaced" sh -c \
		"grep '\"status\":\"redo\"' '$T/fo2/log.jsonl' | grep -F '\"message_id\":\"sam-reply-1@riverastudio.example\"' | grep -q '\"replaced\":\\[\"reminders/.*-followup.ics\",\"drafts/.*-followup.eml\"\\]'"
	s1=$(out_sums "$T/fo2")
	fu 1795550000 redo
	check "a second redo changes nothing" "$s1" "$(out_sums "$T/fo2")"
	# No follow-ups any more: the one written is withdrawn.
	sed 's/^followup max .*/followup max 0/' "$top_srcdir/rules/actions" >"$fr/actions"
	fu 1795550000 redo
	check "with 'followup max 0' redo exits 0" 0 $?
	ok "... the follow-up reminder is CANCELLED, SEQUENCE 2" sh -c \
		"grep -q '^STATUS:CANCELLED' '$fr_ics' && grep -q '^SEQUENCE:2' '$fr_ics'"
	ok "... and its draft removed" test ! -e "$fd"
else
	for i in 1 2 3 4 5 6 7 8 9 10 11; do skip "follow-ups redone" "needs --enable-test-hooks"; done
fi

# --- IMAP: fetched again by UID -----------------------------------------------------------
if dv_have && dv_setup "$D" && {
	i=0; for f in "$demo"/*; do i=$((i + 1)); dv_msg "$D" "17000000$i.m$i.h" "" "$f"; done
	read -r PORT SPORT < <(dv_start "$D"); }; then
	sed -i 's|^timezone .*|timezone America/Los_Angeles|' "$rules/profile"
	cat >"$T/imap.conf" <<CONF
rules-dir $rules
out-dir $T/io
state $T/i.db
account work
	source imaps://test@127.0.0.1:$SPORT/INBOX
	cafile $D/ca.crt
	passcmd "printf 'test-pass-123\\\\n'"
	timeout 10
CONF
	"$GRAVITY" poll --config "$T/imap.conf" -q >/dev/null 2>"$T/i.err"
	check "IMAP: the first poll exits 0" 0 $?
	# new mail after the poll is the next poll's, not the redo's
	sed 's/^Message-ID: .*/Message-ID: <late@clients.example>/' "$demo/1763370000.M1P100.demo" >"$T/late.eml"
	dv_doveadm "$D" save -u test -m INBOX <"$T/late.eml" 2>/dev/null ||
		cp "$T/late.eml" "$D/home/test/Maildir/new/1800000000.late.h"
	sed -i 's|^timezone .*|timezone Europe/Lisbon|' "$rules/profile"
	"$GRAVITY" redo --config "$T/imap.conf" >"$T/i.out" 2>"$T/i.err"
	check "IMAP: redo exits 0" 0 $?
	diag "$(tail -n 1 "$T/i.out") $(cat "$T/i.err")"
	ok "... redid the 8 messages seen, not the new one" grep -q "^gravity: redid 8 messages" "$T/i.out"
	ok "... the reminders have the new zone, SEQUENCE 1" sh -c \
		"grep -q '^DTSTART;TZID=Europe/Lisbon:' '$T/io/reminders/$lena-reply.ics' && grep -q '^SEQUENCE:1' '$T/io/reminders/$lena-reply.ics'"
	"$GRAVITY" poll --config "$T/imap.conf" >"$T/i2.out" 2>&1
	ok "the next poll reads the new message" grep -q "^gravity: 1 new message" "$T/i2.out"
	# The server renumbers INBOX: its UIDs now name other messages.
	sums=$(out_sums "$T/io")
	dv_doveadm "$D" mailbox update -u test --uid-validity 777 INBOX
	"$GRAVITY" redo --config "$T/imap.conf" >"$T/i3.out" 2>"$T/i3.err"
	check "after a UIDVALIDITY change, redo exits 0 with one line" "0 1" "$? $(wc -l <"$T/i3.err")"
	ok "... which says so and how many messages were not redone" \
		grep -q "UIDVALIDITY is 777 now, not .*; 9 messages there not redone" "$T/i3.err"
	diag "$(cat "$T/i3.err")"
	check "... and nothing was rewritten" "$sums" "$(out_sums "$T/io")"
else
	for i in 1 2 3 4 5 6 7 8; do skip "IMAP redo" "dovecot not available"; done
fi
done_testing
