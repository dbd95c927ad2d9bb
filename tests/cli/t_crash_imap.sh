#!/bin/bash
# Crash consistency over IMAP: like tests/cli/t_crash.sh, but the
# source is a private Dovecot on 127.0.0.1 (tests/servers/dovecot.sh) holding ~300
# messages.  gravity poll is killed with SIGKILL at seeded random points
# (15-95% into the time an uninterrupted poll takes), rerun and killed again
# until a run completes; each finished round must have exactly the
# reminders and drafts of an uninterrupted run (same names, same bytes:
# GRAVITY_NOW fixes the clock), no temporary file, every message recorded
# once and a state database that passes PRAGMA integrity_check.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
. "$top_srcdir/tests/servers/dovecot.sh"
PY=$(command -v /usr/bin/python3 || command -v python3)
if ! dv_have || [ -z "$PY" ] || ! command -v sqlite3 >/dev/null 2>&1; then
	plan 1; skip "IMAP crash consistency" "dovecot, openssl, python3 or sqlite3 not installed"
	done_testing
fi
[ -d /dev/shm ] && [ -w /dev/shm ] && TMPDIR=/dev/shm
mktmp
chmod 755 "$T"          # Dovecot runs as nobody when the tests run as root
D="$T/dv"
cleanup() {
	dv_stop "$D"
	rm -rf "$T"
}
trap cleanup EXIT
KILLS=${GR_CRASH_KILLS:-6}
NMSG=${GR_CRASH_MESSAGES:-300}
plan 8
GRAVITY_NOW=1718010000; export GRAVITY_NOW
GR_TEST_PW=test-pass-123; export GR_TEST_PW

dv_setup "$D" || { echo "Bail out! dv_setup failed"; exit 1; }
"$PY" "$top_srcdir/tests/servers/crashmail.py" "$D/home/test/Maildir" "$NMSG"
read -r _ SPORT < <(dv_start "$D") || { echo "Bail out! dovecot did not start"; exit 1; }

# gpoll OUT STATE: one poll; its stderr appended to $T/stderr.  Run in the
# background as "gpoll_bg OUT STATE", $! is gravity's own PID.
gpoll() {
	"$GRAVITY" poll --source "imaps://test@127.0.0.1:$SPORT/INBOX" \
		--cafile "$D/ca.crt" --password-env GR_TEST_PW \
		--rules "$top_srcdir/contrib/demo/rules" \
		--out "$1" --state "$2" >/dev/null 2>>"$T/stderr"
}
gpoll_bg() {
	"$GRAVITY" poll --source "imaps://test@127.0.0.1:$SPORT/INBOX" \
		--cafile "$D/ca.crt" --password-env GR_TEST_PW \
		--rules "$top_srcdir/contrib/demo/rules" \
		--out "$1" --state "$2" >/dev/null 2>>"$T/stderr" &
}
: >"$T/stderr"
gpoll "$T/ref" "$T/ref.db"
check "the uninterrupted poll exits 0" 0 $?
# the kills fall within the time a poll takes once Dovecot has its caches
# (the first poll above paid for Dovecot's first read of every message, and
# a kill delay measured on it often came after a later poll had finished)
t0=$(date +%s%N)
gpoll "$T/warm" "$T/warm.db"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ -s "$T/stderr" ] && diag "$(head -c 300 "$T/stderr")"
out_sums "$T/ref" >"$T/ref.sum"
nref=$(wc -l < "$T/ref.sum")
nmsg_ref=$(sqlite3 "$T/ref.db" 'SELECT count(*) FROM messages')
diag "reference: $nref output files, $nmsg_ref messages in $ms ms"
ok "the reference recorded every message and wrote outputs" \
	test "$nmsg_ref" -eq "$NMSG" -a "$nref" -gt 10

# random kill delays within the reference poll's duration, from the seed
seed=${GR_CRASH_SEED:-$$}
diag "seed $seed"
kills=0 round=0 bad="" fails=0 midway=0
while [ $kills -lt "$KILLS" ] && [ $round -lt 10 ]; do
	round=$((round + 1))
	o="$T/r$round" db="$T/r$round.db" done=0 runs=0
	while [ $done -eq 0 ] && [ $runs -lt 40 ]; do
		runs=$((runs + 1))
		: >"$T/stderr"
		if [ $kills -lt "$KILLS" ] && [ $runs -le 3 ]; then
			gpoll_bg "$o" "$db"; pid=$!
			sleep "$(kill_delay "$seed" $((round * 100 + runs)) "$ms")"
			if kill -KILL $pid 2>/dev/null; then
				kills=$((kills + 1))
				wait $pid 2>/dev/null
				n=$(sqlite3 "$db" 'SELECT count(*) FROM messages' 2>/dev/null)
				[ "${n:-0}" -gt 0 ] && [ "$n" -lt "$nmsg_ref" ] && midway=$((midway + 1))
				continue
			fi
			wait $pid
		else
			gpoll "$o" "$db"
		fi
		r=$?
		if [ $r -eq 0 ]; then done=1; else
			fails=$((fails + 1)); diag "run $runs of round $round exited $r: $(head -c 300 "$T/stderr")"
		fi
	done
	[ $done -eq 1 ] || { bad="$bad round $round never completed;"; break; }
	round_faults "$round" "$o" "$db" "$T/ref.sum"
	n=$(sqlite3 "$db" 'SELECT count(*) FROM messages')
	[ "$n" = "$nmsg_ref" ] || bad="$bad round $round recorded $n messages, not $nmsg_ref;"
	diag "round $round: $runs runs, $kills kills so far"
done
diag "$midway of $kills kills left a partly recorded poll behind"
check "no rerun after a crash failed" 0 "$fails"
ok "killed $kills times in $round rounds" test "$kills" -ge "$KILLS"
check "after each crash series: same reminders and drafts as the uninterrupted run, every message once, no temporary file, integrity_check ok" "" "$bad"
n_db=$(sqlite3 "$T/r$round.db" "SELECT count(*) FROM outputs" 2>/dev/null)
n_dref=$(sqlite3 "$T/ref.db" "SELECT count(*) FROM outputs" 2>/dev/null)
check "the last crashed round recorded as many outputs as the reference" "$n_dref" "$n_db"
check "and has as many files as the reference" \
	"$(cd "$T/ref" && find reminders drafts -type f | wc -l)" \
	"$(cd "$T/r$round" && find reminders drafts -type f | wc -l)"
# a poll after a completed one finds nothing new and changes nothing
same_as_ref() { [ "$1" = 0 ] && out_sums "$2" | cmp -s - "$T/ref.sum"; }
gpoll "$T/r$round" "$T/r$round.db"
r=$?
ok "a further poll exits 0 and changes no output" \
	same_as_ref "$r" "$T/r$round"
done_testing
