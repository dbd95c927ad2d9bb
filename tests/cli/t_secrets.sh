#!/bin/bash
# Secrets and files: a poll against a private Dovecot with a
# distinctive password (read by passcmd from a file).  While the poll runs,
# the password is looked for in /proc/PID/cmdline and environ of gravity, of
# its parser spawner and of the spawner's worker, and in the spawner's and
# the worker's whole memory; their open files must be only their socket and
# /dev/null.  After it: every output file, log.jsonl, a dump of the state
# database, stdout and stderr; and the modes (files 0600, directories 0700,
# state 0600).  Then a poll whose first message crashes the worker
# (GR_PARSER_CRASH_ON): the replacement worker, started after the login, must
# not hold the password either, and must be the spawner's child, not
# gravity's.
. "${top_srcdir:-.}/tests/cli/lib.sh"
# The parser worker is held still by test hooks (GR_PARSER_*).
need_test_hooks
. "$top_srcdir/tests/servers/dovecot.sh"
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
plan 15
PW="Gr4v-T3st-Zq9xW-s3cr3t"
dv_setup "$D" || { echo "Bail out! dv_setup failed"; exit 1; }
echo "test:{PLAIN}$PW" > "$D/passwd"
python3 "$top_srcdir/tests/servers/crashmail.py" "$T/mail" 400
for f in "$T"/mail/new/*; do dv_msg "$D" "$(basename "$f")" "" "$f"; done
read -r PORT SPORT < <(dv_start "$D") || { echo "Bail out! dovecot did not start"; exit 1; }
printf '%s\n' "$PW" > "$T/pw"; chmod 600 "$T/pw"
# the password command also notes when it ran (seconds since boot), so a
# worker can be told to have been forked after the poller held the password
cat > "$T/pwcmd" <<'EOS'
cut -d' ' -f1 /proc/uptime > "$1.at"; cat "$1"
EOS
cat > "$T/config" <<EOC
rules-dir $top_srcdir/contrib/demo/rules
out-dir $T/out
state $T/st/state.db
account work
	source imaps://test@127.0.0.1:$SPORT/INBOX
	cafile $D/ca.crt
	passcmd "sh $T/pwcmd $T/pw"
EOC
# scan PID PW CONTROL: "P C", P 1 if PW is in PID's memory, C 1 if CONTROL
# is (a string the process does hold: the scan works); nothing when the
# memory cannot be read.  One pass over the pages, in memory or swapped
# out (/proc/PID/pagemap), of every map that can hold data the process made
# (anonymous or writable): an ASan process reserves hundreds of MB it never
# touches, and reading those would keep it stopped for many seconds.
scan() {
$PY - "$@" <<'PY'
import array, os, sys
pid, needles = sys.argv[1], [x.encode() for x in sys.argv[2:4]]
PAGE = os.sysconf("SC_PAGE_SIZE")
try:
    maps = open("/proc/%s/maps" % pid).read().splitlines()
    mem = open("/proc/%s/mem" % pid, "rb", 0)
    pagemap = open("/proc/%s/pagemap" % pid, "rb", 0)
except OSError:
    sys.exit(2)
found = [0, 0]
keep = max(len(n) for n in needles)

def runs(a, b):  # [start, end) of the runs of pages present or swapped
    pagemap.seek(a // PAGE * 8)
    ent = array.array("Q")
    ent.frombytes(pagemap.read((b - a) // PAGE * 8))
    start = None
    for i, e in enumerate(ent):
        if e >> 62:
            if start is None:
                start = a + i * PAGE
        elif start is not None:
            yield start, a + i * PAGE
            start = None
    if start is not None:
        yield start, b

for line in maps:
    f = line.split()
    a, b = (int(x, 16) for x in f[0].split("-"))
    if "r" not in f[1] or b - a > (1 << 30) or (f[4] != "0" and "w" not in f[1]):
        continue
    try:
        spans = list(runs(a, b))
    except OSError:
        continue
    for x, y in spans:
        tail = b""
        while x < y:
            n = min(y - x, 1 << 20)
            try:
                mem.seek(x); chunk = mem.read(n)
            except (OSError, ValueError, OverflowError):
                break
            for i, nd in enumerate(needles):
                if nd in tail + chunk:
                    found[i] = 1
            tail = chunk[-keep:]
            x += n
if not os.path.exists("/proc/%s/mem" % pid):
    sys.exit(2)
print(found[0], found[1])
PY
}
# started PID: when PID started, in seconds since boot
started() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print $20 / hz }' "/proc/$1/stat" 2>/dev/null
}
# after_pw PID: PID was started after the password was read
after_pw() {
	local t
	t=$(started "$1") && [ -s "$T/pw.at" ] &&
		awk -v a="$t" -v b="$(cat "$T/pw.at")" 'BEGIN { exit !(a > b) }'
}
# same_exe_kids PID: PID's children running gravity (its spawner; its worker)
same_exe_kids() {
	for c in $(cat /proc/$1/task/*/children 2>/dev/null); do
		[ "$(readlink /proc/$c/exe 2>/dev/null)" = "$(readlink /proc/$gpid/exe)" ] && echo $c
	done
}
# m100 makes the worker hang until its alarm ends it (10 s): the poll's
# processes are there to be seen, after the login, however slow this
# machine is.  (A shorter alarm would not do: the poller waits for its
# worker the alarm's time plus 2 s, then for the spawner 5 s, and the
# inspection below, with both stopped, takes seconds under ASan on a busy
# machine.)
GR_PARSER_HANG_ON="<m100@client.example>" \
	"$GRAVITY" poll --config "$T/config" >"$T/stdout" 2>"$T/stderr" & gpid=$!
# inspect PID WHAT: its argv/environ, open files and memory hold no secret
# (the caller stops the worker first: that holds the whole poll still)
inspect() {
	local fds
	for k in cmdline environ; do
		tr '\0' '\n' < /proc/$1/$k 2>/dev/null | grep -qF "$PW" && leak="$leak $2 $1/$k"
	done
	fds=$(for fd in /proc/$1/fd/*; do readlink "$fd"; done 2>/dev/null | sed 's/socket:.*/socket/' | sort | uniq -c | tr -s ' ' | tr '\n' ';')
	case $fds in " 3 /dev/null; 1 socket;") ;; *) fdbad="$fdbad $2 $1: $fds" ;; esac
	case $(scan "$1" "$PW" "$T/config") in
	"0 1") ;;
	"1 "*) wmem="$wmem $2 $1 memory: password found" ;;
	"0 0") wmem="$wmem (control: the scan of $2 $1 memory did not find its argv)" ;;
	*) wmem="$wmem $2 $1 memory: unreadable (the process ended?)" ;;
	esac
}
# sample the running poll, its spawner and the spawner's worker
seen=0 leak="" fdbad="" wmem=""
for i in $(seq 1 1000); do
	kill -0 $gpid 2>/dev/null || break
	[ -s "$T/pw.at" ] || { sleep 0.05; continue; }
	for s in $(same_exe_kids $gpid); do
		w=$(same_exe_kids $s | head -n 1)
		[ -n "$w" ] || continue
		seen=1
		for k in cmdline environ; do
			tr '\0' '\n' < /proc/$gpid/$k 2>/dev/null | grep -qF "$PW" && leak="$leak gravity/$k"
		done
		kill -STOP "$w" "$s"
		inspect "$w" worker
		inspect "$s" spawner
		kill -CONT "$s" "$w"
		break 2
	done
	sleep 0.05
done
wait $gpid
check "the poll over IMAP exits 0" 0 $?
diag "$(tail -n 2 "$T/stdout") $(head -c 300 "$T/stderr")"
ok "the parser spawner and its worker were seen while the poll ran" test $seen -eq 1
check "password not in cmdline/environ of gravity, spawner or worker" "" "$leak"
check "spawner's and worker's open files: a socket and /dev/null only" "" "$fdbad"
check "the spawner's and the worker's memory never held the password" "" "$wmem"
ok "reminders and drafts were written" sh -c "ls '$T'/out/drafts/*.eml >/dev/null 2>&1"
sqlite3 "$T/st/state.db" .dump > "$T/dump.sql"
ok "password in no output file, log, state dump, stdout or stderr" \
	sh -c "! grep -rlF '$PW' '$T/out' '$T/dump.sql' '$T/stdout' '$T/stderr' '$T'/st"
ok "output files are mode 0600" sh -c "[ -z \"\$(find '$T/out' -type f ! -perm 0600)\" ]"
ok "output directories are mode 0700" sh -c "[ -z \"\$(find '$T/out' -type d ! -perm 0700)\" ]"
check "state database is mode 0600" 600 "$(stat -c %a "$T/st/state.db")"
# m200 crashes the worker halfway through the poll: its replacement,
# forked after the poller read the password, comes from the spawner and
# holds no password either.  It hangs on m201, to be seen.
sed -e "s|$T/out|$T/out2|" -e "s|$T/st/|$T/st2/|" "$T/config" > "$T/config2"
rm -f "$T/pw.at"
GR_PARSER_CRASH_ON="<m200@client.example>" GR_PARSER_HANG_ON="<m201@client.example>" \
	"$GRAVITY" poll --config "$T/config2" >"$T/stdout3" 2>"$T/stderr3" & gpid=$!
rseen="" leak="" fdbad="" wmem=""
for i in $(seq 1 1000); do
	kill -0 $gpid 2>/dev/null || break
	s=$(same_exe_kids $gpid | head -n 1)
	w=""
	[ -z "$s" ] || w=$(same_exe_kids "$s" | head -n 1)
	if [ -z "$w" ] || ! after_pw "$w"; then sleep 0.02; continue; fi
	rseen=$w
	kill -STOP "$w" "$s"
	inspect "$w" replacement
	inspect "$s" "child-of-gravity"
	kill -CONT "$s" "$w"
	break
done
wait $gpid; rc=$?
diag "crash poll: rc $rc; $(grep -m1 'parser worker died' "$T/stderr3")"
ok "the crash poll reported the worker's death and went on ($rc)" sh -c \
	"grep -q 'UID=201: skipped: parser worker died' '$T/stderr3' && grep -q '398 new messages.*2 failed' '$T/stdout3'"
ok "a replacement worker, the spawner's child, was seen after the crash" test -n "$rseen"
check "the replacement worker and spawner never held the password" "" "$leak$fdbad$wmem"
# a wrong password: the error names the account, never the secret
echo "wrong-$PW" > "$T/pw"
"$GRAVITY" poll --config "$T/config" >"$T/stdout2" 2>"$T/stderr2"; rc=$?
ok "a refused login is a sysexits code ($rc), one line" sh -c "[ $rc -ge 64 ] && [ $rc -le 78 ] && [ \$(wc -l < '$T/stderr2') -eq 1 ]"
diag "$(cat "$T/stderr2")"
ok "the refused login's error does not quote the secret" sh -c "! grep -qF '$PW' '$T/stderr2' '$T/stdout2'"
done_testing
