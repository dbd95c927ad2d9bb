#!/bin/bash
# STARTTLS response injection (CVE-2020-15953, CVE-2021-22947 style; RFC 3501
# 6.2.1): a fake server (tests/servers/tls_inject_server.py) sends plaintext lines in
# the same write as its "OK Begin TLS" -- a fake CAPABILITY, tagged OKs and a
# "* 1 FETCH" with a whole message -- before the handshake.  gravity poll
# must not act on them: it fails with one line and a sysexits code, or goes
# on without ever taking them as the server's (no message, log line or
# output file).  The control, the same server without the injected bytes,
# lets the poll log in over TLS and finish with an empty INBOX.
. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/servers/dovecot.sh"
PY=$(command -v /usr/bin/python3 || command -v python3)
if [ -z "$PY" ] || ! command -v openssl >/dev/null 2>&1 ||
   ! command -v sqlite3 >/dev/null 2>&1; then
	plan 1; skip "STARTTLS injection" "python3, openssl or sqlite3 not installed"
	done_testing
fi
mktmp
D="$T/pki"
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
plan 17
dv_setup "$D" || { echo "Bail out! could not make test certificates"; exit 1; }
export GR_TEST_PW=inject-pass-456

# start MODE: start the fake server; sets PORT.
start() {
	rm -f "$T/port.$1"
	"$PY" "$top_srcdir/tests/servers/tls_inject_server.py" "$T/port.$1" "$T/log.$1" \
		"$D/server.crt" "$D/server.key" "$1" "$GR_TEST_PW" &
	PIDS="$PIDS $!"
	for _i in $(seq 1 100); do
		[ -s "$T/port.$1" ] && break
		sleep 0.05
	done
	PORT=$(cat "$T/port.$1" 2>/dev/null)
}
# gpoll MODE: poll that server; sets RC, ERR.
gpoll() {
	"$GRAVITY" poll --source "imap://test@127.0.0.1:$PORT/INBOX" \
		--cafile "$D/ca.crt" --password-env GR_TEST_PW \
		--rules "$top_srcdir/contrib/demo/rules" --out "$T/out-$1" \
		--state "$T/state-$1.db" >"$T/out.$1" 2>"$T/err.$1"
	RC=$?
	ERR=$(cat "$T/err.$1")
}
nfiles() { ls "$T/out-$1"/reminders/*.ics "$T/out-$1"/drafts/*.eml 2>/dev/null | wc -l; }
# log lines of messages (a poll that stops adds one "poll-failed" line)
nlog() { { grep -v '"status":"poll-failed"' "$T/out-$1/log.jsonl" 2>/dev/null || true; } | wc -l; }
nmsg() { sqlite3 "$T/state-$1.db" 'SELECT count(*) FROM messages' 2>/dev/null || echo 0; }

# --- control: no injected bytes -------------------------------------------
start clean
ok "fake server (clean) is listening" test -n "$PORT"
gpoll clean
check "control: the poll succeeds" 0 "$RC"
[ "$RC" = 0 ] || diag "$ERR"
ok "control: logged in over TLS with the password, then EXAMINE" \
	sh -c "grep -q '^TLS-UP' '$T/log.clean' && grep -q '^TLS .* LOGIN <pw>' '$T/log.clean' && grep -q '^TLS .* EXAMINE' '$T/log.clean'"
ok "control: the password never went over plaintext" \
	sh -c "! grep -q '^PLAIN .* LOGIN' '$T/log.clean'"
check "control: nothing recorded from an empty INBOX" "0 0 0" \
	"$(nfiles clean) $(nlog clean) $(nmsg clean)"

# --- injected plaintext after "OK Begin TLS" ------------------------------
start inject
ok "fake server (inject) is listening" test -n "$PORT"
gpoll inject
diag "inject: exit $RC: $ERR"
diag "inject: the server saw: $(tr '\n' ';' < "$T/log.inject" 2>/dev/null)"
if [ "$RC" = 0 ]; then
	# It went on: then it must have discarded the injected bytes.
	ok "inject: the poll went on over TLS" grep -q '^TLS-UP' "$T/log.inject"
	check "inject: same commands as the control run" \
		"$(sed 's/^[A-Z]*[0-9]* //' "$T/log.clean" | cut -d' ' -f2- | sort)" \
		"$(sed 's/^[A-Z]*[0-9]* //' "$T/log.inject" | cut -d' ' -f2- | sort)"
	skip "inject: one-line error" "the poll went on"
else
	ok "inject: exit code is a sysexits code (64-78)" \
		test "$RC" -ge 64 -a "$RC" -le 78
	check "inject: exactly one line on stderr" 1 "$(wc -l < "$T/err.inject")"
	ok "inject: the error names the server" grep -q "127.0.0.1:$PORT" "$T/err.inject"
fi
ok "inject: the password was never sent in plaintext" \
	sh -c "! grep -q '^PLAIN .* LOGIN' '$T/log.inject'"
ok "inject: no password in any output" \
	sh -c "! grep -rqsF '$GR_TEST_PW' '$T/out.inject' '$T/err.inject' '$T/log.inject' '$T/out-inject'"
check "inject: no reminder or draft, no log line, no message recorded" \
	"0 0 0" "$(nfiles inject) $(nlog inject) $(nmsg inject)"
ok "inject: nothing anywhere mentions the injected message" \
	sh -c "! grep -rqs -e INJECTED -e injected-1 -e attacker.example '$T/out.inject' '$T/err.inject' '$T/out-inject' '$T/state-inject.db'"
# The test can tell: the control run against the injecting server's bytes
# is not what an honest server looks like.
ok "inject: the server did send the injected bytes (log shows STARTTLS)" \
	grep -q '^PLAIN .* STARTTLS' "$T/log.inject"

# --- a server that does not offer STARTTLS: refused, never plaintext -------
start nostarttls
gpoll nostarttls
ok "no STARTTLS offered: the poll is refused (exit $RC)" \
	test "$RC" -ge 64 -a "$RC" -le 78
diag "$ERR"
check "no STARTTLS offered: exactly one line on stderr" 1 "$(wc -l < "$T/err.nostarttls")"
ok "no STARTTLS offered: no plaintext LOGIN or AUTHENTICATE was sent" \
	sh -c "! grep -q -e '^PLAIN .* LOGIN' -e '^PLAIN .* AUTHENTICATE' '$T/log.nostarttls'"
done_testing
