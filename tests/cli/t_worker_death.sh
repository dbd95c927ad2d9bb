#!/bin/sh
# Only a message's own faults consume it.  A parser worker killed from
# outside while it parses (as the OOM killer would) does not make the
# message "failed": it is parsed again in a fresh worker and processed.  A
# message that kills the worker every time is recorded "failed", tried once
# more by the next poll, and after that left alone.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
mktmp
plan 15
rules="$top_srcdir/contrib/demo/rules"
demo="$top_srcdir/contrib/demo/inbox/new"
box="$T/box"
mkdir -p "$box/new" "$box/cur" "$box/tmp"
cp "$demo/1763370000.M1P100.demo" "$box/new/"
sed 's/^Subject: .*/Subject: Quote please (KILL-ME-42)/' "$demo/1763380000.M2P100.demo" \
	>"$box/new/1763380000.M2P100.demo"
poll() {  # poll NAME [ENV...]: poll the box into $T/out with the state $T/NAME.db
	n=$1; shift
	env "$@" "$GRAVITY" poll --source "maildir:$box" --rules "$rules" \
		--out "$T/out-$n" --state "$T/$n.db" >"$T/$n.out" 2>"$T/$n.err"
}
status_of() {  # status_of NAME ID: the state's status of the message ID
	sqlite3 "$T/$1.db" "SELECT status FROM messages WHERE source_id LIKE '%$2'"
}
kids() { cat /proc/$1/task/*/children 2>/dev/null; }
descendants() { for k in $(kids "$1"); do echo "$k"; descendants "$k"; done; }

# --- 1. killed from outside ---------------------------------------------------
# The first worker hangs on the message (a test hook) under the name
# gravity-hang; this test kills it with SIGKILL, from outside the poll.
poll killed GR_PARSER_HANG_ON=KILL-ME-42 GR_PARSER_HANG_FIRST=1 \
	GR_PARSER_TIMEOUT=20 &
gpid=$!
victim=""
for i in $(seq 1 600); do
	for w in $(descendants $gpid); do
		[ "$(cat /proc/$w/comm 2>/dev/null)" = gravity-hang ] && victim=$w
	done
	[ -n "$victim" ] && break
	kill -0 $gpid 2>/dev/null || break
	sleep 0.05
done
ok "the worker hanging on the message was found ($victim)" test -n "$victim"
[ -n "$victim" ] && kill -KILL "$victim"
wait $gpid
check "the poll exits 0" 0 $?
check "the message the worker was killed on is processed" ok "$(status_of killed M2P100.demo)"
ok "it has its log line, ok" sh -c "grep -F 'M2P100' '$T/out-killed/log.jsonl' | grep -q '\"status\":\"ok\"'"
ok "and its outputs" sh -c "grep -F 'M2P100' '$T/out-killed/log.jsonl' | grep -q 'reminders/'"
ok "nothing is reported failed" sh -c "! grep -q 'failed' '$T/killed.out' && ! grep -q skipped '$T/killed.err'"
check "no message recorded failed" 0 "$(sqlite3 "$T/killed.db" "SELECT count(*) FROM messages WHERE status = 'failed'")"

# --- 2. a message that kills every worker ---------------------------------------
poll crash GR_PARSER_CRASH_ON=KILL-ME-42
check "a crash on every try: the poll exits 0" 0 $?
check "the message is recorded failed" failed "$(status_of crash M2P100.demo)"
ok "the error says it died again in a fresh worker" \
	grep -q "skipped: parser worker died on this message (signal 11); again when retried in a fresh worker" "$T/crash.err"
ok "the other message is processed" sh -c "[ \"\$(grep -c '\"status\":\"ok\"' '$T/out-crash/log.jsonl')\" -eq 1 ]"
# The retry rule: the next poll tries it once more (here it fails again),
# the one after leaves it.
poll crash GR_PARSER_CRASH_ON=KILL-ME-42
ok "the next poll tries the failed message once more" grep -q "0 new messages.*1 already seen; 1 failed" "$T/crash.out"
poll crash GR_PARSER_CRASH_ON=KILL-ME-42
ok "after a second failure no poll tries it again" grep -q "0 new messages.*2 already seen" "$T/crash.out"
check "and it stays failed" failed "$(status_of crash M2P100.demo)"
# A failed message that no longer kills the worker is processed by its retry.
sqlite3 "$T/crash.db" "UPDATE messages SET tries = 1 WHERE status = 'failed'"
poll crash
check "a retried message that parses now is processed" ok "$(status_of crash M2P100.demo)"
done_testing
