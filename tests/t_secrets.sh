#!/bin/bash
# Secrets and files (issue 6): a poll against a private Dovecot with a
# distinctive password (read by passcmd from a file).  While the poll runs,
# the password is looked for in /proc/PID/cmdline and environ of gravity and
# of its parser worker, and in the worker's whole memory; the worker's open
# files must be only its socket and /dev/null.  After it: every output file,
# log.jsonl, a dump of the state database, stdout and stderr; and the modes
# (files 0600, directories 0700, state 0600).
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/dovecot.sh"
if ! dv_have || ! command -v sqlite3 >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP dovecot, openssl, sqlite3 or python3 not installed"; exit 0
fi
[ -d /dev/shm ] && [ -w /dev/shm ] && TMPDIR=/dev/shm
mktmp
chmod 755 "$T"
# /usr/bin/python3 first: a version-manager shim can cost a second a call.
PY=$(command -v /usr/bin/python3 || command -v python3)
D="$T/dv"
trap 'dv_stop "$D"; rm -rf "$T"' EXIT
plan 12
PW="Gr4v-T3st-Zq9xW-s3cr3t"
dv_setup "$D" || { echo "Bail out! dv_setup failed"; exit 1; }
echo "test:{PLAIN}$PW" > "$D/passwd"
python3 "$top_srcdir/tests/crashmail.py" "$T/mail" 400
for f in "$T"/mail/new/*; do dv_msg "$D" "$(basename "$f")" "" "$f"; done
read -r PORT SPORT < <(dv_start "$D") || { echo "Bail out! dovecot did not start"; exit 1; }
printf '%s\n' "$PW" > "$T/pw"; chmod 600 "$T/pw"
cat > "$T/config" <<EOC
rules-dir $top_srcdir/contrib/demo/rules
out-dir $T/out
state $T/st/state.db
account work
	source imaps://test@127.0.0.1:$SPORT/INBOX
	cafile $D/ca.crt
	passcmd "cat $T/pw"
EOC
"$GRAVITY" poll --config "$T/config" >"$T/stdout" 2>"$T/stderr" & gpid=$!
# sample the running poll and its worker
seen=0 leak="" fdbad="" wmem=""
for i in $(seq 1 100); do
	kill -0 $gpid 2>/dev/null || break
	for w in $(cat /proc/$gpid/task/*/children 2>/dev/null); do
		[ "$(readlink /proc/$w/exe 2>/dev/null)" = "$(readlink /proc/$gpid/exe)" ] || continue
		seen=1
		for p in $gpid $w; do
			for k in cmdline environ; do
				tr '\0' '\n' < /proc/$p/$k 2>/dev/null | grep -qF "$PW" && leak="$leak $p/$k"
			done
		done
		fds=$(for fd in /proc/$w/fd/*; do readlink "$fd"; done 2>/dev/null | sed 's/socket:.*/socket/' | sort | uniq -c | tr -s ' ' | tr '\n' ';')
		case $fds in " 3 /dev/null; 1 socket;") ;; *) fdbad="$fds" ;; esac
		scan() {  # scan PID STRING: 1 if STRING is in PID's memory, 2 unreadable
		$PY - "$1" "$2" <<'PY'

import re, sys
pid, pw = sys.argv[1], sys.argv[2].encode()
try:
    maps = open("/proc/%s/maps" % pid).read().splitlines()
    mem = open("/proc/%s/mem" % pid, "rb", 0)
except OSError:
    sys.exit(2)
for line in maps:
    a, b = (int(x, 16) for x in line.split()[0].split("-"))
    # skip unreadable maps and huge reservations (ASan's shadow memory)
    if "r" not in line.split()[1] or b - a > (1 << 30):
        continue
    tail = b""
    while a < b:
        n = min(b - a, 1 << 20)
        try:
            mem.seek(a); chunk = mem.read(n)
        except (OSError, ValueError, OverflowError):
            break
        if pw in tail + chunk:
            sys.exit(1)
        tail = chunk[-len(pw):]
        a += n
PY
		}
		kill -STOP "$w"         # hold it still while its memory is read
		scan "$w" "$PW"; r1=$?
		# control: the scan does find what the worker does hold (its argv)
		scan "$w" "$T/config"; r2=$?
		kill -CONT "$w"
		[ $r1 -eq 0 ] || wmem="worker $w memory: password found or unreadable ($r1)"
		[ $r2 -eq 1 ] || wmem="$wmem (control: the scan of worker $w memory did not find its argv: $r2)"
		break 2
	done
	sleep 0.05
done
wait $gpid
check "the poll over IMAP exits 0" 0 $?
diag "$(tail -n 2 "$T/stdout") $(head -c 300 "$T/stderr")"
ok "the parser worker was seen while the poll ran" test $seen -eq 1
check "password not in cmdline/environ of gravity or its worker" "" "$leak"
check "the worker's open files are its socket and /dev/null only" "" "$fdbad"
check "the worker's memory never held the password" "" "$wmem"
ok "reminders and drafts were written" sh -c "ls '$T'/out/drafts/*.eml >/dev/null 2>&1"
sqlite3 "$T/st/state.db" .dump > "$T/dump.sql"
ok "password in no output file, log, state dump, stdout or stderr" \
	sh -c "! grep -rlF '$PW' '$T/out' '$T/dump.sql' '$T/stdout' '$T/stderr' '$T'/st"
ok "output files are mode 0600" sh -c "[ -z \"\$(find '$T/out' -type f ! -perm 0600)\" ]"
ok "output directories are mode 0700" sh -c "[ -z \"\$(find '$T/out' -type d ! -perm 0700)\" ]"
check "state database is mode 0600" 600 "$(stat -c %a "$T/st/state.db")"
# a wrong password: the error names the account, never the secret
echo "wrong-$PW" > "$T/pw"
"$GRAVITY" poll --config "$T/config" >"$T/stdout2" 2>"$T/stderr2"; rc=$?
ok "a refused login is a sysexits code ($rc), one line" sh -c "[ $rc -ge 64 ] && [ $rc -le 78 ] && [ \$(wc -l < '$T/stderr2') -eq 1 ]"
diag "$(cat "$T/stderr2")"
ok "the refused login's error does not quote the secret" sh -c "! grep -qF '$PW' '$T/stderr2' '$T/stdout2'"
done_testing
