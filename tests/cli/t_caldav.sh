#!/bin/sh
# CalDAV push against a real Radicale on 127.0.0.1 over
# TLS (a self-signed certificate given as caldav-cafile), HTTP basic auth
# from caldav-password-env (and caldav-netrc).  A poll pushes one resource per reminder (read
# back with Python's caldav and icalendar); a rerun pushes nothing; the
# owner's reply updates the resource (same UID, SEQUENCE 1, CANCELLED);
# with Radicale stopped the poll still does its local work and says so in
# one line, and the next poll pushes what was missed - through a stale ETag
# (412, re-read, retry) and a lost one (If-None-Match: *, 412, retry)
# without a duplicate.  With caldav-delete a cancelled reminder is DELETEd.
# Without the CA the push fails the TLS check.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
py=/usr/bin/python3
if ! [ -x $py ] || ! $py -c 'import radicale, caldav, icalendar' 2>/dev/null ||
   ! command -v openssl >/dev/null || ! command -v sqlite3 >/dev/null ||
   ! command -v curl >/dev/null; then
	echo "1..0 # SKIP needs radicale, python3-caldav, python3-icalendar, openssl, sqlite3, curl"
	exit 0
fi
mktmp
plan 38
lifecycle_mail

# --- a private Radicale ---------------------------------------------------
pw="dav-Secr3t-$$"
port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" \
	-out "$T/cert.pem" >/dev/null 2>&1
printf 'maya:%s\n' "$pw" >"$T/users"
cat >"$T/radicale.conf" <<EOF
[server]
hosts = 127.0.0.1:$port
ssl = True
certificate = $T/cert.pem
key = $T/key.pem
[auth]
type = htpasswd
htpasswd_filename = $T/users
htpasswd_encryption = plain
[rights]
type = owner_only
[storage]
filesystem_folder = $T/collections
[web]
type = none
[logging]
level = warning
EOF
dav_start() {
	$py -m radicale --config "$T/radicale.conf" >>"$T/radicale.log" 2>&1 &
	echo $! >"$T/radicale.pid"
	for _i in $(seq 1 100); do
		curl -s -o /dev/null --cacert "$T/cert.pem" "https://127.0.0.1:$port/" && return 0
		kill -0 "$(cat "$T/radicale.pid")" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}
dav_stop() {
	[ -f "$T/radicale.pid" ] || return 0
	_pid=$(cat "$T/radicale.pid"); kill "$_pid" 2>/dev/null
	for _i in $(seq 1 50); do kill -0 "$_pid" 2>/dev/null || break; sleep 0.1; done
	rm -f "$T/radicale.pid"
}
trap 'dav_stop; rm -rf "$T"' EXIT
coll="https://127.0.0.1:$port/maya/gravity/"
dav_curl() { curl -s --cacert "$T/cert.pem" -u "maya:$pw" "$@"; }

if ! dav_start; then
	diag "$(cat "$T/radicale.log")"
	echo "Bail out! radicale did not start"
	exit 1
fi
check "MKCALENDAR makes the collection" 201 \
	"$(dav_curl -o /dev/null -w '%{http_code}' -X MKCALENDAR "$coll")"

# --- gravity ----------------------------------------------------------------
cat >"$T/config" <<EOF
account work
	source maildir:$box
	caldav $coll
	caldav-user maya
	caldav-password-env GR_TEST_DAV_PW
	caldav-cafile $T/cert.pem
EOF
poll() {  # poll NOW [SOURCE]: stdout+stderr to $T/last.txt, kept in polls.txt
	GR_TEST_DAV_PW=$pw GRAVITY_NOW=$1 "$GRAVITY" poll --config "$T/config" \
		--source "maildir:${2:-$box}" --rules "$rules" --out "$out" \
		--state "$db" >"$T/last.txt" 2>&1
	_rc=$?; cat "$T/last.txt" >>"$T/polls.txt"; return $_rc
}
# One line per resource on the server: UID SEQUENCE STATUS.
dav_dump() {
	$py - "$coll" "$pw" "$T/cert.pem" <<'PY'
import sys, caldav, icalendar
url, pw, ca = sys.argv[1:]
cli = caldav.DAVClient(url, username='maya', password=pw, ssl_verify_cert=ca)
rows = []
for obj in cli.calendar(url=url).objects():
    try:
        obj.load()
    except caldav.lib.error.NotFoundError:
        continue    # a sync-collection report also names deleted ones
    cal = icalendar.Calendar.from_ical(obj.data)
    for c in cal.walk():
        if c.name in ('VEVENT', 'VTODO'):
            rows.append('%s %s %s' % (c['UID'], c['SEQUENCE'], c['STATUS']))
print('\n'.join(sorted(rows)))
PY
}
field() { grep -m1 "^$2[:;]" "$1" | tr -d '\r' | sed 's/^[^:]*://'; }
local_dump() {
	for f in "$out"/reminders/*.ics; do
		echo "$(field "$f" UID) $(field "$f" SEQUENCE) $(field "$f" STATUS)"
	done | sort
}
etag_list() { dav_curl -X PROPFIND -H "Depth: 1" "$coll" | tr "<" "\n" | grep -i "getetag>\"" | sort; }
pending() { sqlite3 "$db" "SELECT count(*) FROM reminders WHERE push_seq < sequence"; }
lena_mid=20261116171244.4411@crumbandcoal.example

# Poll 1: Sent, then the inbox; every reminder reaches the server.
poll 1794870000 "$sent"; check "poll of Sent exits 0" 0 $?
poll 1794870000; check "inbox poll exits 0" 0 $?
n=$(ls "$out"/reminders/*.ics | wc -l)
ok "the poll wrote reminders" test "$n" -ge 2
ok "the summary counts the pushes" grep -q "; $n pushed to CalDAV" "$T/last.txt"
dav_dump >"$T/dav1.txt"; check "read back with python caldav" 0 $?
check "one resource per reminder, same UID/SEQUENCE/STATUS" "$(local_dump)" "$(cat "$T/dav1.txt")"
check "the state has an ETag and href for each" "$n" \
	"$(sqlite3 "$db" "SELECT count(*) FROM reminders WHERE etag IS NOT NULL AND href LIKE '$coll%.ics' AND push_seq = sequence")"
uid=$(field "$(grep -l -F "$lena_mid" "$out"/reminders/*-reply.ics | head -1)" UID)
ok "Lena's reply reminder is on the server" grep -q "^$uid 0 CONFIRMED$" "$T/dav1.txt"
etag_list >"$T/etags1.txt"
check "PROPFIND lists one ETag per reminder (and the collection)" $((n + 1)) "$(wc -l <"$T/etags1.txt")"

# A rerun pushes nothing.
poll 1794870000; check "rerun exits 0" 0 $?
ok "rerun: nothing pushed" sh -c "! grep -q 'pushed to CalDAV' '$T/last.txt'"
check "rerun: resources untouched (same ETags)" "$(cat "$T/etags1.txt")" "$(etag_list)"

# Radicale down: the owner answers; local work done, one clear line.
dav_stop
cp "$data/owner-reply.eml" "$box/new/1763400001.M1P1.test"
cp "$data/owner-thanks.eml" "$box/new/1763400002.M1P1.test"
poll 1794945600; check "poll with the server down still exits 0" 0 $?
rem=$(grep -l -F "$lena_mid" "$out"/reminders/*-reply.ics | head -1)
check "locally cancelled: SEQUENCE 1" 1 "$(field "$rem" SEQUENCE)"
check "one warning line about CalDAV" 1 "$(grep -c 'caldav.*will retry next poll' "$T/last.txt")"
diag "$(grep caldav "$T/last.txt")"
ok "the push is pending in the state" test "$(pending)" -ge 1

# Server back; meanwhile someone touched the resource (stale ETag: 412,
# re-read, retry) and gravity lost another one's ETag (as if it crashed
# after a PUT: If-None-Match: * gets 412, re-read, retry).
dav_start; check "radicale restarted" 0 $?
href=$(sqlite3 "$db" "SELECT href FROM reminders WHERE uid = '$uid'")
dav_curl -o "$T/lena.ics" "$href"
sed 's/^DESCRIPTION:/DESCRIPTION:edited /' "$T/lena.ics" >"$T/lena2.ics"
code=$(dav_curl -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: text/calendar' --data-binary @"$T/lena2.ics" "$href")
check "the resource is changed behind gravity's back" 2 "${code%??}"
other=$(sqlite3 "$db" "SELECT uid FROM reminders WHERE uid != '$uid' ORDER BY uid LIMIT 1")
sqlite3 "$db" "UPDATE reminders SET etag = NULL, href = NULL, push_seq = -1 WHERE uid = '$other'"
poll 1794945600; check "next poll exits 0" 0 $?
check "it pushed the two missed ones" 1 "$(grep -c '; 2 pushed to CalDAV' "$T/last.txt")"
ok "no warning this time" sh -c "! grep -q caldav '$T/last.txt'"
dav_dump >"$T/dav2.txt"
ok "server: same UID, SEQUENCE 1, CANCELLED" grep -q "^$uid 1 CANCELLED$" "$T/dav2.txt"
ok "gravity's newer version replaced the edited one" \
	sh -c "dav_curl() { curl -s --cacert '$T/cert.pem' -u 'maya:$pw' \"\$@\"; }; ! dav_curl '$href' | grep -q 'DESCRIPTION:edited'"
check "server matches local files, no duplicates" "$(local_dump)" "$(cat "$T/dav2.txt")"
check "nothing pending" 0 "$(pending)"
poll 1794945600
ok "and a rerun pushes nothing" sh -c "! grep -q 'pushed to CalDAV' '$T/last.txt'"

# The password from a netrc file instead (machine = the collection's host,
# login = caldav-user), through the same credential code as IMAP.
printf 'machine 127.0.0.1 login maya password %s\n' "$pw" >"$T/netrc"
sed -i "s|caldav-password-env GR_TEST_DAV_PW|caldav-netrc $T/netrc|" "$T/config"
sqlite3 "$db" "UPDATE reminders SET push_seq = -1 WHERE uid = '$other'"
poll 1794945600; check "poll with caldav-netrc exits 0" 0 $?
check "caldav-netrc: the reminder is pushed" 1 "$(grep -c '; 1 pushed to CalDAV' "$T/last.txt")"
printf 'machine 127.0.0.1 login maya password wrong-%s\n' "$pw" >"$T/netrc"
sqlite3 "$db" "UPDATE reminders SET push_seq = -1 WHERE uid = '$other'"
poll 1794945600
ok "a wrong netrc password: one warning, no password" sh -c \
	"grep -q 'caldav.*will retry' '$T/last.txt' && ! grep -q -F -- '$pw' '$T/last.txt'"
printf 'machine 127.0.0.1 login maya password %s\n' "$pw" >"$T/netrc"

# caldav-delete yes: a cancelled reminder pending a push is DELETEd.
printf '\tcaldav-delete yes\n' >>"$T/config"
sqlite3 "$db" "UPDATE reminders SET push_seq = 0 WHERE uid = '$uid'"
poll 1794945600; check "poll with caldav-delete exits 0" 0 $?
check "the cancelled resource is gone (404)" 404 \
	"$(dav_curl -o /dev/null -w '%{http_code}' "$href")"
check "the others stay" "$(local_dump | grep -v -F "$uid")" "$(dav_dump)"
check "the state forgets its ETag and URL" "|" \
	"$(sqlite3 "$db" "SELECT etag, href FROM reminders WHERE uid = '$uid'")"
sed -i '/caldav-delete/d' "$T/config"

# No CA: the certificate check fails, nothing is pushed, still exit 0.
grep -v caldav-cafile "$T/config" >"$T/config2" && mv "$T/config2" "$T/config"
sqlite3 "$db" "UPDATE reminders SET push_seq = -1 WHERE uid = '$uid'"
poll 1794945600; check "poll without the CA exits 0" 0 $?
ok "and says TLS" grep -q 'caldav.*TLS' "$T/last.txt"
ok "the password is never printed" sh -c "! grep -q -F '$pw' '$T/polls.txt'"
ok "no sanitizer reports" sh -c "! grep -q -E 'Sanitizer|runtime error' '$T/polls.txt'"
dav_stop
