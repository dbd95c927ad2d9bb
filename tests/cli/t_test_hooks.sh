#!/bin/sh
# Test hooks (GRAVITY_NOW, GR_PARSER_*) exist only in a build configured
# with --enable-test-hooks: a plain build, the one that is installed,
# ignores those variables.  In a build with the hooks, tests/cli/gravity-plain is
# the same program built without them; in a plain build, gravity itself is.
. "${top_srcdir:-.}/tests/cli/lib.sh"
mktmp
plan 8
if [ "${GR_TEST_HOOKS:-no}" = yes ]; then
	plain=${GRAVITY_PLAIN:-}
	hooked=$GRAVITY
else
	plain=$GRAVITY
	hooked=""
fi
[ -x "$plain" ] || { echo "Bail out! no plain build at '$plain'"; exit 1; }
box="$T/box"
mkdir -p "$box/new" "$box/cur" "$box/tmp"
cp "$top_srcdir/contrib/demo/inbox/new/1763370000.M1P100.demo" "$box/new/"
sed 's/^Subject: .*/Subject: HOOK-MARKER-42/' \
	"$top_srcdir/contrib/demo/inbox/new/1763380000.M2P100.demo" \
	>"$box/new/1763380000.M2P100.demo"
rules="$top_srcdir/contrib/demo/rules"
# poll BINARY NAME: poll the box into $T/NAME with every hook's variable set.
poll() {
	GRAVITY_NOW=1718010000 GR_PARSER_CRASH_ON=HOOK-MARKER-42 \
	GR_PARSER_HANG_ON=HOOK-MARKER-42 GR_PARSER_TIMEOUT=1 \
		"$1" poll --source "maildir:$box" --rules "$rules" \
		--out "$T/$2" --state "$T/$2.db" >"$T/$2.txt" 2>&1
}
# hooks_named BINARY: how many of the hooks' names the binary holds.
hooks_named() {
	n=0
	for v in GRAVITY_NOW GR_PARSER_CRASH_ON GR_PARSER_HANG_ON \
	         GR_PARSER_HANG_HARD GR_PARSER_HANG_FIRST GR_PARSER_TIMEOUT; do
		grep -aq "$v" "$1" && n=$((n + 1))
	done
	echo $n
}
check "the plain build names none of the hooks' variables" 0 "$(hooks_named "$plain")"
poll "$plain" plain
check "the plain build polls with the variables set" 0 $?
ok "it parses the message the crash hook names" \
	sh -c "grep -F 'M2P100' '$T/plain/log.jsonl' | grep -q '\"status\":\"ok\"'"
ok "it ignores GRAVITY_NOW: no reminder stamped with that day" \
	sh -c "! grep -rq '^DTSTAMP:20240610' '$T/plain/reminders'"
ok "it wrote reminders, stamped today" \
	sh -c "grep -rq '^DTSTAMP:$(date -u +%Y%m%d)' '$T/plain/reminders'"
if [ -z "$hooked" ]; then
	for d in "the hooked build names them all" "the hooked build obeys the crash hook" \
	         "the hooked build obeys GRAVITY_NOW"; do
		skip "$d" "a build without --enable-test-hooks"
	done
	done_testing
fi
# The same checks fail on a build with the hooks: they can tell.
check "the hooked build names them all" 6 "$(hooks_named "$hooked")"
poll "$hooked" hooked
ok "the hooked build obeys the crash hook" \
	sh -c "grep -F 'M2P100' '$T/hooked/log.jsonl' | grep -q '\"status\":\"failed\"'"
ok "the hooked build obeys GRAVITY_NOW" \
	grep -rq '^DTSTAMP:20240610' "$T/hooked/reminders"
done_testing
