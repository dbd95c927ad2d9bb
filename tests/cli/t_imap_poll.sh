#!/bin/bash
# End to end over IMAP: the real "gravity poll" binary against a private
# Dovecot on 127.0.0.1 (tests/servers/dovecot.sh), driven by a config file written
# here.  Read-only proof at the CLI level, incremental polls, a message the
# parser dies on, the state lock, and the failure modes (refused, TLS,
# login, timeout, a connection dropped mid-fetch) each with one line and a
# sysexits code, the next poll resuming where the failed one stopped.
. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/servers/dovecot.sh"
N=68
if ! dv_have || ! command -v sqlite3 >/dev/null 2>&1; then
	plan 1; skip "IMAP end-to-end" "dovecot, openssl or sqlite3 not installed"
	done_testing
fi
# /usr/bin/python3 first: a version-manager shim can cost a second a call.
PY=$(command -v /usr/bin/python3 || command -v python3)
have_py=0
[ -n "$PY" ] && have_py=1
mktmp
chmod 755 "$T"          # Dovecot runs as nobody when the tests run as root
D="$T/dv"
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	dv_stop "$D"
	rm -rf "$T"
}
trap cleanup EXIT
plan $N

# --- the mailbox ----------------------------------------------------------
dv_setup "$D" || { echo "Bail out! dv_setup failed"; exit 1; }
i=0
for f in "$top_srcdir"/contrib/demo/inbox/new/*; do
	i=$((i + 1))
	case $i in 1|4) fl=S ;; 2) fl=F ;; 3) fl=RS ;; *) fl= ;; esac
	dv_msg "$D" "17000000$i.m$i.h" "$fl" "$f"
done
# A folder of 40 small inquiries for the dropped-connection test.
mkdir -p "$D/home/test/Maildir/.Bulk/cur" "$D/home/test/Maildir/.Bulk/new" \
	"$D/home/test/Maildir/.Bulk/tmp"
for i in $(seq 1 40); do
	{
		printf 'From: Client %d <c%d@clients.example>\r\n' "$i" "$i"
		printf 'To: Sam Rivera <sam@riverastudio.example>\r\n'
		printf 'Subject: Website project %d\r\n' "$i"
		printf 'Date: Mon, 16 Nov 2026 09:%02d:00 -0800\r\n' "$((i % 60))"
		printf 'Message-ID: <bulk-%d@clients.example>\r\n\r\n' "$i"
		printf 'Hi Sam, could you build us a new website? What would it cost?\r\n'
		head -c 1500 /dev/zero | tr '\0' 'x'; printf '\r\n'
	} > "$D/home/test/Maildir/.Bulk/new/17100000$i.b$i.h"
done
mkdir -p "$D/home/test/Maildir/.Drafts/cur" "$D/home/test/Maildir/.Drafts/new" \
	"$D/home/test/Maildir/.Drafts/tmp"
read -r PORT SPORT < <(dv_start "$D") || { echo "Bail out! dovecot did not start"; exit 1; }

rules="$top_srcdir/contrib/demo/rules"
# conf NAME SOURCE [EXTRA-ACCOUNT-LINES...]: a config for one account.
conf() {
	_n=$1; _src=$2; shift 2
	{
		echo "rules-dir $rules"
		echo "out-dir $T/out-$_n"
		echo "state $T/state-$_n.db"
		echo "account $_n"
		echo "	source $_src"
		echo "	cafile $D/ca.crt"
		echo "	timeout 5"
		echo "	connect-timeout 5"
		for _l in "$@"; do echo "	$_l"; done
		grep -q passcmd <<<"$*" || echo "	passcmd \"printf 'test-pass-123\\\\n'\""
	} > "$T/$_n.conf"
}
# gpoll NAME: poll with NAME's config; sets RC, OUT, ERR.
gpoll() {
	"$GRAVITY" poll --config "$T/$1.conf" >"$T/out.txt" 2>"$T/err.txt"
	RC=$?
	OUT=$(cat "$T/out.txt"); ERR=$(cat "$T/err.txt")
}
flags() {  # every INBOX message's UID and flags, \Recent left out
	dv_doveadm "$D" fetch -u test "uid flags" mailbox INBOX 2>/dev/null |
		sed 's/\\Recent//g; s/  */ /g' | tr '\n' ' '
}
outputs() { (cd "$T/out-$1" 2>/dev/null && find reminders drafts -type f -exec sha256sum {} + | sort); }
# log lines of messages (a poll that stops adds one "poll-failed" line)
nlog() { { grep -v '"status":"poll-failed"' "$T/out-$1/log.jsonl" 2>/dev/null || true; } | wc -l; }
sql() { sqlite3 "$T/state-$1.db" "$2"; }
IN="imaps://test@127.0.0.1:$SPORT/INBOX"

# --- 1. first poll, read-only, second poll -----------------------------------
conf main "$IN"
before=$(flags)
gpoll main
check "first poll exits 0" 0 "$RC"
diag "$OUT"; [ -n "$ERR" ] && diag "stderr: $ERR"
ok "first poll reads all 8 messages" grep -q "gravity: 8 new messages" "$T/out.txt"
nr=$(ls "$T"/out-main/reminders/*.ics 2>/dev/null | wc -l)
nd=$(ls "$T"/out-main/drafts/*.eml 2>/dev/null | wc -l)
ok "reminders were written ($nr)" test "$nr" -ge 3
ok "drafts were written ($nd)" test "$nd" -ge 4
if [ -n "${GR_VERIFY:-}" ] && [ -x "$GR_VERIFY" ]; then
	ok "outputs parse with libical and libetpan" "$GR_VERIFY" "$T"/out-main/reminders/*.ics "$T"/out-main/drafts/*.eml
else
	skip "outputs parse with libical and libetpan" "gr_verify not built"
fi
after=$(flags)
ok "flags were read ($(echo "$before" | grep -o Seen | wc -l) \\Seen)" grep -q Seen <<<"$before"
check "every message's flags are unchanged by the poll" "$before" "$after"
ok "no new message is marked \\Seen" test "$(grep -o Seen <<<"$after" | wc -l)" = 3

o1=$(outputs main); l1=$(nlog main)
gpoll main
check "second poll exits 0" 0 "$RC"
ok "second poll says 0 new" grep -q "gravity: 0 new messages" "$T/out.txt"
check "second poll writes no file" "$o1" "$(outputs main)"
check "second poll logs nothing" "$l1" "$(nlog main)"

# --- 2. one new message: exactly one more --------------------------------------
dv_doveadm "$D" save -u test -m INBOX < "$top_srcdir/tests/data/imap/mail/1-plain.eml"
gpoll main
check "a new message: exactly one more" "gravity: 1 new message" "$(sed -n 's/^\(gravity: [0-9]* new message\).*/\1/p' "$T/out.txt")"
check "one more log line" "$((l1 + 1))" "$(nlog main)"

# --- 3. a message the parser dies on ----------------------------------------
# (the crash is a test hook: only in a build with them)
if have_test_hooks; then
	sed 's/^Message-ID: .*/Message-ID: <crash-1@clients.example>/; s/^Hi,/Hi, MARKER-CRASH-7/' \
		"$top_srcdir/tests/data/imap/mail/1-plain.eml" > "$T/crash.eml"
	grep -q MARKER-CRASH-7 "$T/crash.eml" || echo "MARKER-CRASH-7" >> "$T/crash.eml"
	sed 's/^Message-ID: .*/Message-ID: <after-crash@clients.example>/' \
		"$top_srcdir/tests/data/imap/mail/1-plain.eml" > "$T/after.eml"
	dv_doveadm "$D" save -u test -m INBOX < "$T/crash.eml"
	dv_doveadm "$D" save -u test -m INBOX < "$T/after.eml"
	l2=$(nlog main)
	GR_PARSER_CRASH_ON=MARKER-CRASH-7 gpoll main
	check "a parser crash does not stop the poll" 0 "$RC"
	ok "it is logged on stderr and skipped" grep -q "UID=10: skipped" "$T/err.txt"
	ok "the message after it is processed" grep -q "gravity: 1 new message" "$T/out.txt"
	check "the failure is recorded in the state" "failed" "$(sql main "SELECT status FROM messages WHERE source_id LIKE '%;UID=10'")"
	check "the high-water mark moved past both" 11 "$(sql main "SELECT last_uid FROM folders WHERE folder LIKE '%/INBOX'")"
	ok "and the failure is in log.jsonl" grep -q '"status":"failed"' "$T/out-main/log.jsonl"
	gpoll main
	ok "the next poll does not retry it" grep -q "gravity: 0 new messages" "$T/out.txt"
else
	for i in $(seq 1 7); do skip "parser crash over IMAP" "a build without --enable-test-hooks"; done
fi

# --- 4. the lock ------------------------------------------------------------------
conf slow "$IN" "passcmd \"touch $T/started; sleep 3; printf 'test-pass-123\\\\n'\""
sed -i "s|state-slow|state-main|; s|out-slow|out-main|" "$T/slow.conf"
"$GRAVITY" poll --config "$T/slow.conf" >/dev/null 2>&1 &
slowpid=$!
for _i in $(seq 1 50); do [ -e "$T/started" ] && break; sleep 0.1; done
t0=$(date +%s%N)
gpoll main
t1=$(date +%s%N)
check "a second concurrent poll exits EX_TEMPFAIL" 75 "$RC"
ok "at once ($(( (t1 - t0) / 1000000 )) ms)" test $(( (t1 - t0) / 1000000 )) -lt 2000
ok "with a clear message" grep -q "another gravity poll is running" "$T/err.txt"
wait $slowpid
check "the first poll finishes normally" 0 $?

# --- 5. drafts to the server (opt-in): once each, with \Draft --------------------
ndrafts() { dv_doveadm "$D" search -u test mailbox Drafts 2>/dev/null | wc -l; }
conf drafts "$IN" "append-drafts yes"
before=$(flags)
gpoll drafts
nd=$(ls "$T"/out-drafts/drafts/*.eml 2>/dev/null | wc -l)
check "append-drafts: the poll exits 0" 0 "$RC"
ok "every draft written is in Drafts, once ($nd)" test "$nd" -gt 0 -a "$(ndrafts)" = "$nd"
check "each with the \\Draft flag" "$nd" "$(dv_doveadm "$D" fetch -u test flags mailbox Drafts 2>/dev/null | grep -c 'Draft')"
mid=$(sed -n 's/^Message-ID: *//p' "$(ls "$T"/out-drafts/drafts/*.eml | head -n 1)" | tr -d '\r')
check "found by its Message-ID" 1 "$(dv_doveadm "$D" search -u test mailbox Drafts header message-id "$mid" 2>/dev/null | wc -l)"
check "INBOX flags still unchanged" "$before" "$(flags)"
# A rerun from scratch as after a crash before the commit: no output and
# nothing recorded, but the state's key (made when the state was opened,
# before any draft) is kept, so the drafts get the same Message-IDs.
rm -rf "$T/out-drafts"
/usr/bin/python3 - "$T/state-drafts.db" <<'EOF2'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                       "AND name NOT IN ('secrets', 'counters')").fetchall():
    db.execute("DELETE FROM %s" % t)
db.commit()
EOF2
gpoll drafts
check "a rerun appends nothing twice" "0 $nd" "$RC $(ndrafts)"
"$GRAVITY" poll --config "$T/main.conf" --append-drafts >/dev/null 2>&1
check "--append-drafts with nothing new appends nothing" "$nd" "$(ndrafts)"

# --- 6. progress on a terminal only -------------------------------------------
conf prog "imaps://test@127.0.0.1:$SPORT/Bulk" "batch 10"
if command -v script >/dev/null 2>&1; then
	script -qec "'$GRAVITY' poll --config '$T/prog.conf' -q" /dev/null > "$T/tty.txt" 2>&1
	ok "a long first poll on a terminal shows progress" grep -q "Bulk: fetched 40/40" "$T/tty.txt"
else
	skip "a long first poll on a terminal shows progress" "script(1) not installed"
fi
rm -rf "$T/out-prog" "$T"/state-prog.db*
gpoll prog
ok "and none when stderr is not a terminal" test "$RC" = 0 -a ! -s "$T/err.txt"

# --- 6b. a folder named in UTF-8 (sent as modified UTF-7, RFC 3501 5.1.3) ------
box8=$(printf '\303\211l\303\251ments envoy\303\251s')   # "Éléments envoyés"
dv_doveadm "$D" mailbox create -u test "$box8" 2>/dev/null
dv_doveadm "$D" save -u test -m "$box8" < "$top_srcdir/tests/data/imap/mail/1-plain.eml"
conf utf8 "imaps://test@127.0.0.1:$SPORT/Bulk" "folders \"$box8\"" "batch 50"
gpoll utf8
check "a folder with a non-ASCII name is read (exit 0)" 0 "$RC"
[ "$RC" = 0 ] || diag "$ERR"
check "its message and the other folder's 40 are logged" 41 "$(nlog utf8)"
check "the state keeps the folder under its UTF-8 name" 1 \
	"$(sql utf8 "SELECT count(*) FROM folders WHERE folder LIKE '%$box8'")"

# --- 6c. forwarded as an attachment: the message inside is read --------------
# Two messages with no text of their own but a message/rfc822 part (one
# multipart/alternative inside, one plain): over IMAP the first text part
# of the forwarded message is fetched, so they classify as the files do.
dv_doveadm "$D" mailbox create -u test Fwd 2>/dev/null
for f in 5-forward-attached 6-forward-single; do
	dv_doveadm "$D" save -u test -m Fwd < "$top_srcdir/tests/data/imap/mail/$f.eml"
done
conf fwd "imaps://test@127.0.0.1:$SPORT/Fwd"
gpoll fwd
check "a folder of forwarded messages is read (exit 0)" 0 "$RC"
want=$("$GRAVITY" classify --rules "$rules" "$top_srcdir/tests/data/imap/mail/5-forward-attached.eml" \
	"$top_srcdir/tests/data/imap/mail/6-forward-single.eml" | awk '{ print $1 }' | tr '\n' ' ')
got=$(sed -n 's/.*"class":"\([a-z_]*\)".*/\1/p' "$T/out-fwd/log.jsonl" | tr '\n' ' ')
check "over IMAP they classify as the files do ($want)" "$want" "$got"
check "... which is not 'other': the forwarded text was read" "" \
	"$(echo "$got" | grep -w other)"

# --- 7. failure modes: one line and a sysexits code each ------------------------
one_line() { test "$(wc -l < "$T/err.txt")" -eq 1; }
conf nopw "$IN" "passcmd \"printf 'wrong-secret-42\\\\n'\""
gpoll nopw
check "login refused: EX_NOPERM" 77 "$RC"
ok "login refused: one line naming the server, no secret" sh -c "grep -q '127.0.0.1:$SPORT' '$T/err.txt' && ! grep -q wrong-secret '$T/err.txt' && [ \$(wc -l < '$T/err.txt') -eq 1 ]"
ok "login refused: says which user and where the password came from" \
	grep -q "user 'test' with the password from passcmd ($T/nopw.conf:[0-9]*)" "$T/err.txt"
conf tls "$IN"
sed -i '/cafile/d' "$T/tls.conf"
gpoll tls
check "unknown certificate authority: EX_PROTOCOL" 76 "$RC"
ok "TLS failure: one line" sh -c "grep -q 'TLS' '$T/err.txt' && [ \$(wc -l < '$T/err.txt') -eq 1 ]"
ok "... that says to name the CA with cafile" grep -q "self-signed or from an unknown authority.*'cafile FILE'" "$T/err.txt"
ok "after a fatal error no summary follows" test ! -s "$T/out.txt"
# the wrong scheme for the port: found within seconds, with the fix
conf plainontls "imap://test@127.0.0.1:$SPORT/INBOX" "timeout 60" "connect-timeout 60"
t0=$(date +%s)
gpoll plainontls
t1=$(date +%s)
check "imap:// on the implicit-TLS port: one line" "1" "$(wc -l < "$T/err.txt")"
ok "... within seconds ($((t1 - t0)) s, timeout 60)" test $((t1 - t0)) -le 15
ok "... saying to use imaps://" grep -q "no IMAP greeting.*use imaps://" "$T/err.txt"
conf tlsonplain "imaps://test@127.0.0.1:$PORT/INBOX" "timeout 60" "connect-timeout 60"
t0=$(date +%s)
gpoll tlsonplain
t1=$(date +%s)
check "imaps:// on the STARTTLS port: EX_PROTOCOL, one line" "76 1" "$RC $(wc -l < "$T/err.txt")"
ok "... within seconds ($((t1 - t0)) s), saying to use imap://" sh -c \
	"[ $((t1 - t0)) -le 15 ] && grep -q 'TLS handshake failed.*use imap://' '$T/err.txt'"
conf wk "imap://test@127.0.0.1:993/INBOX"
gpoll wk
check "imap:// on port 993: refused before connecting, EX_CONFIG" "78 1" "$RC $(wc -l < "$T/err.txt")"
ok "... saying imaps://" grep -q "use imaps://127.0.0.1/" "$T/err.txt"
free=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 1)
conf refused "imaps://test@127.0.0.1:$free/INBOX"
gpoll refused
check "connection refused: EX_TEMPFAIL, one line" "75 1" "$RC $(wc -l < "$T/err.txt")"
diag "refused: $ERR"

# --- logins as providers have them: a whole address ---------------------------
HPW="passcmd \"printf 'hannah-pass-456\\\\n'\""
dv_doveadm "$D" save -u hannah@example.com -m INBOX < "$top_srcdir/tests/data/imap/mail/1-plain.eml"
# (a first login makes the user's mailbox: give it time on a busy machine)
conf addr "imaps://hannah@example.com@127.0.0.1:$SPORT/INBOX" "$HPW" "timeout 30" "connect-timeout 30"
gpoll addr
diag "$ERR"
check "a whole address as the URL's user (the last @ ends it)" "0 1" \
	"$RC $(grep -c 'gravity: 1 new message' "$T/out.txt")"
conf addr2 "imaps://hannah%40example.com@127.0.0.1:$SPORT/INBOX" "$HPW"
gpoll addr2
check "... or with %40" 0 "$RC"
conf addr3 "imaps://127.0.0.1:$SPORT/INBOX" "user hannah@example.com" "$HPW"
gpoll addr3
check "... or the account's 'user' key and a URL without one" 0 "$RC"
conf nouser "imaps://127.0.0.1:$SPORT/INBOX"
gpoll nouser
check "no user anywhere: EX_CONFIG, one line" "78 1" "$RC $(wc -l < "$T/err.txt")"
ok "... that says where to write it" grep -q "imaps://you@example.com@127.0.0.1/INBOX.*'user NAME'" "$T/err.txt"
conf nosrc "$IN"
sed -i '/passcmd/d' "$T/nosrc.conf"
gpoll nosrc
check "no password source: EX_CONFIG, one line" "78 1" "$RC $(wc -l < "$T/err.txt")"
ok "... that names the keys to add" grep -q "no password source for user 'test': add passcmd" "$T/err.txt"
diag "$ERR"

if [ $have_py -eq 1 ]; then
	proxy() {  # proxy NAME MODE [TARGET [N]]: start; port in $PP
		rm -f "$T/$1.port"
		"$PY" "$top_srcdir/tests/servers/imap_proxy.py" "$T/$1.port" "${@:2}" &
		PIDS="$PIDS $!"
		for _i in $(seq 1 50); do [ -s "$T/$1.port" ] && break; sleep 0.1; done
		PP=$(cat "$T/$1.port")
	}
	proxy silent silent
	conf silent "imaps://test@127.0.0.1:$PP/INBOX" "connect-timeout 1"
	gpoll silent
	check "a server that never answers: EX_TEMPFAIL, one line" "75 1" "$RC $(wc -l < "$T/err.txt")"
	diag "silent: $ERR"
	proxy stall stall "$SPORT" 30000
	conf stall "imaps://test@127.0.0.1:$PP/Bulk" "timeout 1" "batch 5"
	gpoll stall
	check "a server that stops mid-fetch: EX_TEMPFAIL" 75 "$RC"
	ok "timeout: one line saying so" sh -c "grep -q 'timed out' '$T/err.txt' && [ \$(wc -l < '$T/err.txt') -eq 1 ]"
	proxy cut cut "$SPORT" 30000
	conf cut "imaps://test@127.0.0.1:$PP/Bulk" "batch 5"
	gpoll cut
	k=$(sql cut "SELECT count(*) FROM messages")
	check "a connection dropped mid-fetch: EX_TEMPFAIL, one line" "75 1" "$RC $(wc -l < "$T/err.txt")"
	diag "cut after $k messages: $ERR"
	ok "messages before the drop were recorded ($k of 40)" test "$k" -gt 0 -a "$k" -lt 40
	gpoll cut       # the proxy relays the next connection untouched
	check "the next poll resumes: exactly the rest, nothing seen twice" \
		"0 gravity: $((40 - k)) new 40 40" \
		"$RC $(grep -v 'already seen' "$T/out.txt" | sed -n 's/^\(gravity: [0-9]* new\).*/\1/p') $(sql cut "SELECT count(*) FROM messages") $(nlog cut)"
else
	for d in "never answers" "stops mid-fetch" "timeout line" "dropped mid-fetch" \
		"recorded before the drop" "next poll resumes"; do
		skip "$d" "python3 not installed"
	done
fi
done_testing
