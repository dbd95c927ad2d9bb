#!/bin/sh
# Crash consistency: gravity poll over ~2,000 generated messages
# is killed with SIGKILL at many points (at random within the time an
# uninterrupted poll takes, rerun and killed again until a run completes), in several rounds from
# scratch; each finished round must have exactly the reminders and drafts
# of an uninterrupted run (same names, same bytes: GRAVITY_NOW fixes the
# clock), no temporary file left, and a state database that passes
# PRAGMA integrity_check.  Runs on /dev/shm when there is one: a SIGKILL is
# a process crash, not a power cut, so fsync costs nothing to the point
# being tested and the test stays fast.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is needed"; exit 0; }
command -v sqlite3 >/dev/null 2>&1 || { echo "1..0 # SKIP sqlite3 is needed"; exit 0; }
[ -d /dev/shm ] && [ -w /dev/shm ] && TMPDIR=/dev/shm
mktmp
KILLS=${GR_CRASH_KILLS:-15}
NMSG=${GR_CRASH_MESSAGES:-2000}
plan 9
GRAVITY_NOW=1718010000; export GRAVITY_NOW
box="$T/box"
python3 "$top_srcdir/tests/servers/crashmail.py" "$box" "$NMSG"
poll() {  # poll OUT STATE
	"$GRAVITY" poll --source "maildir:$box" --rules "$top_srcdir/contrib/demo/rules" \
		--out "$1" --state "$2" >/dev/null 2>>"$T/stderr"
}
t0=$(date +%s%N)
poll "$T/ref" "$T/ref.db"
check "the uninterrupted poll exits 0" 0 $?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
out_sums "$T/ref" >"$T/ref.sum"
nref=$(wc -l < "$T/ref.sum")
diag "reference: $nref output files in $ms ms"

# random kill delays within the reference poll's duration (a faster
# gravity must still be killed mid-poll; a round whose first run is not
# killed shortens that span), reproducible from the seed
seed=${GR_CRASH_SEED:-$$}
diag "seed $seed"
kills=0 round=0 bad="" fails=0
while [ $kills -lt "$KILLS" ] && [ $round -lt 20 ]; do
	round=$((round + 1))
	o="$T/r$round" db="$T/r$round.db" done=0 runs=0
	while [ $done -eq 0 ] && [ $runs -lt 60 ]; do
		runs=$((runs + 1))
		: >"$T/stderr"
		if [ $kills -lt "$KILLS" ]; then
			"$GRAVITY" poll --source "maildir:$box" --rules "$top_srcdir/contrib/demo/rules" \
				--out "$o" --state "$db" >/dev/null 2>>"$T/stderr" & pid=$!
			sleep "$(kill_delay "$seed" $((round * 100 + runs)) "$ms")"
			if kill -KILL $pid 2>/dev/null; then
				kills=$((kills + 1))
				wait $pid 2>/dev/null
				continue
			fi
			wait $pid; r=$?
			# finished before the kill: the reference poll ran
			# slower than this one (a loaded machine), so the
			# delays are drawn from a shorter span from now on
			[ $runs -eq 1 ] && ms=$((ms * 3 / 4))
		else
			poll "$o" "$db"; r=$?
		fi
		if [ $r -eq 0 ]; then done=1; else
			fails=$((fails + 1)); diag "run $runs of round $round exited $r: $(head -c 300 "$T/stderr")"
		fi
	done
	[ $done -eq 1 ] || { bad="$bad round $round never completed;"; break; }
	round_faults "$round" "$o" "$db" "$T/ref.sum"
	diag "round $round: $runs runs, $kills kills so far"
done
check "no rerun after a crash failed" 0 "$fails"
ok "killed $kills times in $round rounds" test "$kills" -ge "$KILLS"
check "after each crash series: same reminders and drafts as the uninterrupted run, no temporary file, integrity_check ok" "" "$bad"
# the database agrees with the files: one output row per file, none twice
n_db=$(sqlite3 "$T/r$round.db" "SELECT count(*) FROM outputs" 2>/dev/null)
n_files=$(cd "$T/r$round" && find reminders drafts -type f | wc -l)
n_dref=$(sqlite3 "$T/ref.db" "SELECT count(*) FROM outputs" 2>/dev/null)
check "the last crashed round recorded as many outputs as the reference" "$n_dref" "$n_db"
check "and has as many files as the reference" "$(cd "$T/ref" && find reminders drafts -type f | wc -l)" "$n_files"
check "every message is recorded once" "$(sqlite3 "$T/ref.db" 'SELECT count(*) FROM messages')" \
	"$(sqlite3 "$T/r$round.db" 'SELECT count(*) FROM messages')"

# Overlapping polls (cron firing twice): the second must refuse (EX_TEMPFAIL)
# without touching the first one's temporary files.  (Found by this test:
# the stale-temp cleanup used to run before the lock was taken.)
o="$T/overlap" db="$T/overlap.db"
"$GRAVITY" poll --source "maildir:$box" --rules "$top_srcdir/contrib/demo/rules" \
	--out "$o" --state "$db" >/dev/null 2>"$T/first.err" & pid=$!
# running PID: PID has not exited (kill -0 also succeeds on a zombie: the
# first poll may have ended, not yet reaped, while the second one ran)
running() { [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -c1)" != Z ]; }
# the others start once the first holds OUT's lock (flock(2), as gravity
# takes it): a fixed pause let a loaded machine start a second poll first
i=0
while running $pid && [ $i -lt 400 ]; do
	[ -e "$o/.gravity.lock" ] && ! flock -n "$o/.gravity.lock" true 2>/dev/null && break
	sleep 0.025; i=$((i + 1))
done
codes="" tries=0
while running $pid && [ $tries -lt 50 ]; do
	poll "$o" "$db"; c=$?
	running $pid && { codes="$codes $c"; tries=$((tries + 1)); }
	sleep 0.05
done
wait $pid
check "a poll running while others start and refuse still completes" 0 $?
diag "$(head -c 300 "$T/first.err")"
ok "polls started meanwhile ($tries) all refused with EX_TEMPFAIL (75):$codes" \
	test $tries -gt 0 -a -z "$(echo "$codes" | tr -d ' 75')"
done_testing
