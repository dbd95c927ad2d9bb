#!/bin/bash
# A poll with no news costs one STATUS per folder (RFC 3501 6.3.10), whatever
# the folder's size: against a private Dovecot recording each session's
# commands (rawlog), the second poll of an INBOX and a Sent folder sends
# STATUS for each and nothing that opens or reads a folder (no EXAMINE,
# SELECT, SEARCH or FETCH); a message delivered afterwards is seen by the
# next poll (STATUS shows it, the folder is examined and the message
# fetched), and a folder whose UIDVALIDITY changed is rescanned.
. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/servers/dovecot.sh"
if ! dv_have; then
	plan 1; skip "no-news cost" "dovecot or openssl not installed"
	done_testing
fi
mktmp
chmod 755 "$T"
D="$T/dv"
trap 'dv_stop "$D"; rm -rf "$T"' EXIT
plan 8
dv_setup "$D" || { echo "Bail out! dv_setup failed"; exit 1; }
i=0
for f in "$top_srcdir"/contrib/demo/inbox/new/*; do
	i=$((i + 1))
	dv_msg "$D" "17000000$i.m$i.h" S "$f"
done
M="$D/home/test/Maildir"
mkdir -p "$M/.Sent/cur" "$M/.Sent/new" "$M/.Sent/tmp" "$T/raw"
chmod 777 "$T/raw"
DV_EXTRA_CONF="protocol imap {
  rawlog_dir = $T/raw
}"
export DV_EXTRA_CONF
read -r PORT SPORT < <(dv_start "$D") || { echo "Bail out! dovecot did not start"; exit 1; }
cat > "$T/config" <<EOC
rules-dir $top_srcdir/contrib/demo/rules
out-dir $T/out
state $T/state.db
account t
	source imaps://test@127.0.0.1:$SPORT/INBOX
	sent-folder Sent
	passcmd "printf 'test-pass-123\\\\n'"
	cafile $D/ca.crt
EOC
# poll: one poll; the commands it sent in $T/cmds (tag and verb, one a line)
poll() {
	rm -f "$T"/raw/*
	"$GRAVITY" poll --config "$T/config" -q >"$T/out.txt" 2>"$T/err.txt"
	_rc=$?
	cat "$T"/raw/*.in 2>/dev/null | tr -d '\r' | awk '{ print toupper($3), toupper($4) }' > "$T/cmds"
	return $_rc
}
poll
check "first poll exits 0" 0 $?
n1=$(wc -l < "$T/out/log.jsonl")
poll
check "no-news poll exits 0" 0 $?
check "no-news poll: one STATUS per folder, nothing else but LOGOUT" \
	"STATUS \"INBOX\"|STATUS \"SENT\"|LOGOUT |" "$(tr '\n' '|' < "$T/cmds")"
check "no-news poll logged nothing" "$n1" "$(wc -l < "$T/out/log.jsonl")"
# a new message arrives in INBOX
{
	printf 'From: New Client <new@clients.example>\r\nTo: Sam <sam@riverastudio.example>\r\n'
	printf 'Subject: New website?\r\nMessage-ID: <nonews-new@clients.example>\r\n'
	printf 'Date: Mon, 16 Nov 2026 10:00:00 -0800\r\n\r\nHi Sam, could you build us a new website?\r\n'
} > "$T/new.eml"
dv_doveadm "$D" save -u test -m INBOX < "$T/new.eml"
poll
check "poll after a delivery exits 0" 0 $?
ok "STATUS showed the news: INBOX examined and fetched" \
	sh -c "grep -q '^EXAMINE' '$T/cmds' && grep -q '^UID FETCH' '$T/cmds'"
ok "the new message was processed" grep -q 'nonews-new@clients.example' "$T/out/log.jsonl"
# a new UIDVALIDITY (the folder recreated on the server): rescanned
sqlite3 "$T/state.db" "UPDATE folders SET uidvalidity = uidvalidity + 1" 2>/dev/null ||
	python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('UPDATE folders SET uidvalidity = uidvalidity + 1'); c.commit()" "$T/state.db"
poll
ok "a folder whose UIDVALIDITY differs from the state's is examined again" \
	grep -q '^EXAMINE' "$T/cmds"
done_testing
