#!/bin/bash
# OAuth2 for IMAP: "gravity poll" trades a refresh token for an access token
# at an HTTPS token endpoint (RFC 6749 section 6) and logs in with
# AUTHENTICATE XOAUTH2; the endpoint and a tiny IMAPS server are
# tests/servers/oauth2_server.py on 127.0.0.1 with the test's own CA; then the same
# against a real Dovecot whose oauth2 passdb checks the token at that
# server's introspection endpoint (RFC 7662).  No secret may appear in any
# output.
. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/servers/dovecot.sh"
PY=$(command -v /usr/bin/python3 || command -v python3)
if [ -z "$PY" ] || ! command -v openssl >/dev/null 2>&1; then
	plan 1; skip "OAuth2" "python3 or openssl not installed"
	done_testing
fi
mktmp
D="$T/pki"
SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; dv_stop "$T/dv" 2>/dev/null; rm -rf "$T"' EXIT
plan 18
dv_setup "$D" >/dev/null 2>&1 || { echo "Bail out! no certificates"; exit 1; }
REFRESH='1//refresh-secret-xyz'
CSECRET='client-secret-abc'
ACCESS='ya29.access-token-for-test-7f3a'
"$PY" "$top_srcdir/tests/servers/oauth2_server.py" "$T" "$D/server.crt" "$D/server.key" \
	gravity-test-client "$CSECRET" "$REFRESH" 2>"$T/server.err" &
SPID=$!
for _i in $(seq 1 50); do [ -s "$T/ports" ] && break; sleep 0.1; done
read -r HP IP XP < "$T/ports" || { echo "Bail out! oauth2_server.py did not start"; cat "$T/server.err"; exit 1; }

conf() {  # conf REFRESH-CMD-VALUE [TOKEN-URL [IMAPS-PORT]]
	cat > "$T/config" <<EOC
rules-dir $top_srcdir/contrib/demo/rules
out-dir $T/out
state $T/state.db
account o
	source imaps://test@127.0.0.1:${3:-$IP}/INBOX
	cafile $D/ca.crt
	oauth2-token-url ${2:-https://127.0.0.1:$HP/token}
	oauth2-client-id gravity-test-client
	oauth2-client-secret-env GR_TEST_CSECRET
	oauth2-refresh-token-cmd "printf '$1\\\\n'"
	oauth2-cafile $D/ca.crt
	timeout 5
EOC
}
gpoll() {
	GR_TEST_CSECRET=$CSECRET "$GRAVITY" poll --config "$T/config" -v "$@" >"$T/out.txt" 2>"$T/err.txt"
	RC=$?
}
nosecret() { ! grep -q -e "$REFRESH" -e "$CSECRET" -e "$ACCESS" -e refresh-secret "$T/out.txt" "$T/err.txt"; }

conf "$REFRESH"
gpoll
check "a poll with the refresh-token flow exits 0" 0 "$RC"
diag "$(cat "$T/out.txt" "$T/err.txt")"
ok "the token endpoint got a refresh_token grant for the client" \
	grep -q "('client_id', \['gravity-test-client'\]).*('grant_type', \['refresh_token'\]).*('refresh_token', \['$REFRESH'\])" "$T/token.log"
ok "with the client secret" grep -q "('client_secret', \['$CSECRET'\])" "$T/token.log"
check "the IMAP login was AUTHENTICATE XOAUTH2 with the access token" \
	"user=test^Aauth=Bearer $ACCESS^A^A" "$(tail -n 1 "$T/xoauth2.log" 2>/dev/null)"
ok "no secret in any output" nosecret

conf 'revoked-refresh-9'
gpoll
check "a refused refresh token: EX_NOPERM" 77 "$RC"
ok "one line with the endpoint's error code" sh -c "grep -q invalid_grant '$T/err.txt' && [ \$(wc -l < '$T/err.txt') -eq 1 ]"
ok "and no secret" sh -c "! grep -q -e revoked-refresh -e '$CSECRET' '$T/err.txt' '$T/out.txt'"
check "no login was tried" 1 "$(wc -l < "$T/xoauth2.log")"

free=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
conf "$REFRESH" "https://127.0.0.1:$free/token"
gpoll
check "token endpoint unreachable: EX_TEMPFAIL, one line" "75 1" "$RC $(wc -l < "$T/err.txt")"

conf "$REFRESH" "http://127.0.0.1:$HP/token"
gpoll
ok "a plain http:// token endpoint is refused" sh -c "[ $RC -ne 0 ] && grep -q 'https:// URL is required' '$T/err.txt'"

# A real Dovecot, its oauth2 passdb asking our introspection endpoint.
# (It serves the certificate of the test's CA, like the fake server; its
# mail processes run as an unprivileged user when we are root.)
chmod 755 "$T"
if ! command -v dovecot >/dev/null 2>&1; then
	for _i in 1 2 3 4 5 6; do skip "Dovecot with an oauth2 passdb" "dovecot not installed"; done
elif DV_OAUTH2_INTROSPECT="http://127.0.0.1:$XP/introspect" dv_setup "$T/dv" >/dev/null 2>&1 &&
	cp "$D"/ca.crt "$D"/server.crt "$D"/server.key "$T/dv/" &&
	dv_msg "$T/dv" 1700000001.M1P1.test "" "$top_srcdir/contrib/demo/inbox/new/1763370000.M1P100.demo" &&
	read -r _p DSP < <(DV_OAUTH2_INTROSPECT="http://127.0.0.1:$XP/introspect" dv_start "$T/dv"); then
	rm -rf "$T/out" "$T/state.db"*
	conf "$REFRESH" "https://127.0.0.1:$HP/token" "$DSP"
	gpoll
	check "Dovecot: a poll logged in with XOAUTH2 exits 0" 0 "$RC"
	[ "$RC" = 0 ] || diag "$(cat "$T/err.txt"; grep -i -e error -e fatal "$T/dv/dovecot.log" | tail -n 5)"
	check "Dovecot checked the access token at the introspection endpoint" \
		"$ACCESS" "$(tail -n 1 "$T/introspect.log" 2>/dev/null)"
	check "Dovecot: the message was read" 1 "$(wc -l < "$T/out/log.jsonl" 2>/dev/null)"
	ok "Dovecot: no secret in any output" nosecret
	: >"$T/revoked"
	gpoll
	check "Dovecot refuses a revoked token: EX_NOPERM" 77 "$RC"
	ok "one line, no secret" sh -c "[ \$(wc -l < '$T/err.txt') -eq 1 ] && ! grep -q -e '$ACCESS' -e '$REFRESH' '$T/err.txt' '$T/out.txt'"
	rm -f "$T/revoked"
	dv_stop "$T/dv"
	conf "$REFRESH"
else    # installed but would not start with an oauth2 passdb: a failure
	for _i in 1 2 3 4 5 6; do ok "Dovecot with an oauth2 passdb starts" false; done
	diag "$(tail -n 5 "$T/dv/dovecot.log" 2>/dev/null)"
fi

sed -i '/oauth2-client-id/d' "$T/config"
gpoll
ok "an incomplete OAuth2 account is a config error naming the file" \
	sh -c "[ $RC -ne 0 ] && grep -q '$T/config.*oauth2-client-id' '$T/err.txt'"
done_testing
