#!/bin/sh
# One log line per message.  A message is its source identity (here the
# Maildir unique name); a Message-ID is a key for threads and for the same
# message met again.  Two messages from different senders with the same
# Message-ID are two messages, each classified and each with its own
# outputs; so are two whose malformed Message-IDs share a first token
# ("<a> junk <b@x>", "<a> other <c@y>").  Only a true copy (same Message-ID,
# From, Date and body) is a duplicate.
. "${top_srcdir:-.}/tests/cli/lib.sh"
command -v sqlite3 >/dev/null 2>&1 || { echo "1..0 # SKIP sqlite3 is needed"; exit 0; }
mktmp
plan 12
rules="$top_srcdir/contrib/demo/rules"
box="$T/box"
mkdir -p "$box/new" "$box/cur" "$box/tmp"
# put NAME FROM MESSAGE-ID BODY-WORD: an inquiry in the box
put() {
	printf 'From: %s\r\nTo: Sam Rivera <sam@riverastudio.example>\r\nSubject: New website for %s\r\nMessage-ID: %s\r\nDate: Mon, 16 Nov 2026 09:00:00 -0800\r\n\r\nHi Sam,\r\n\r\nCould you send me a quote for a new website for my %s? Our budget is about 5k.\r\n\r\nThanks\r\n' \
		"$2" "$4" "$3" "$4" >"$box/new/$1"
}
put 1763300001.M1P1.ana "Ana Ruiz <ana@client.example>" "<dup@client.example>" bakery
put 1763300002.M2P1.bob "Bob Stone <bob@other.example>" "<dup@client.example>" garage
put 1763300003.M3P1.carl "Carl Diaz <carl@third.example>" "<a> junk <b@x>" bookshop
put 1763300004.M4P1.dana "Dana Wu <dana@fourth.example>" "<a> other <c@y>" florist
# a true copy of Ana's message under another name (a second delivery)
cp "$box/new/1763300001.M1P1.ana" "$box/new/1763300005.M5P1.anacopy"
poll() { "$GRAVITY" poll --source "maildir:$box" --rules "$rules" --out "$T/out" \
	--state "$T/state.db" >"$T/out.txt" 2>"$T/err.txt"; }
poll
check "the poll exits 0" 0 $?
log="$T/out/log.jsonl"
check "one log line per message file" 5 "$(wc -l <"$log")"
st() { grep -F ".$1\"" "$log" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p'; }
check "Ana's message is processed" ok "$(st ana)"
check "Bob's message, with Ana's Message-ID, is processed too" ok "$(st bob)"
check "the copy of Ana's message is a duplicate" duplicate "$(st anacopy)"
check "both malformed Message-IDs are processed" "ok ok" "$(st carl) $(st dana)"
check "four messages classified, one already seen" \
	"gravity: 4 new messages" "$(sed -n 's/^\(gravity: [0-9]* new messages\).*/\1/p' "$T/out.txt")"
ok "Bob got his own reminder (not Ana's overwritten)" \
	sh -c "grep -rl 'Bob Stone' '$T/out/reminders' | grep -q . && grep -rl 'Ana Ruiz' '$T/out/reminders' | grep -q ."
check "the malformed Message-IDs are kept verbatim" "<a> junk <b@x>|<a> other <c@y>" \
	"$(sqlite3 "$T/state.db" "SELECT group_concat(message_id, '|') FROM (SELECT message_id FROM messages WHERE source_id LIKE '%carl' OR source_id LIKE '%dana' ORDER BY source_id)")"
check "five messages in the state" 5 "$(sqlite3 "$T/state.db" 'SELECT count(*) FROM messages')"
poll
check "a second poll logs nothing" 5 "$(wc -l <"$log")"
ok "and says all five were seen" grep -q "0 new messages.*5 already seen" "$T/out.txt"
done_testing
