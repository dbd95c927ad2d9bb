# tests/cli/lib.sh - TAP helpers for gravity's shell tests (after mblaze's t/lib.sh).
# Source it, call plan N, then ok/check/skip; finish with done_testing.
set -u
: "${GRAVITY:=gravity}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${GR_SHARED:=$top_srcdir/../shared}"
_t_n=0
_t_fail=0
plan() { echo "1..$1"; }
ok() {  # ok DESCRIPTION COMMAND...
	_t_n=$((_t_n + 1)); _d=$1; shift
	if "$@"; then echo "ok $_t_n - $_d"; else echo "not ok $_t_n - $_d"; _t_fail=$((_t_fail + 1)); fi
}
check() {  # check DESCRIPTION EXPECTED ACTUAL
	_t_n=$((_t_n + 1))
	if [ "$2" = "$3" ]; then echo "ok $_t_n - $1"
	else echo "not ok $_t_n - $1"; echo "# expected: $2"; echo "#   actual: $3"; _t_fail=$((_t_fail + 1)); fi
}
skip() { _t_n=$((_t_n + 1)); echo "ok $_t_n - $1 # SKIP $2"; }
# need_test_hooks: skip the whole test in a build without the test hooks
# (GRAVITY_NOW, GR_PARSER_*: ./configure --enable-test-hooks).
need_test_hooks() {
	[ "${GR_TEST_HOOKS:-yes}" = yes ] ||
		{ echo "1..0 # SKIP needs a build configured with --enable-test-hooks"; exit 0; }
}
# have_test_hooks: true in a build with them.
have_test_hooks() { [ "${GR_TEST_HOOKS:-yes}" = yes ]; }
diag() { echo "# $*"; }
done_testing() { exit 0; }
# A private temporary directory removed at exit.
mktmp() { T=$(mktemp -d "${TMPDIR:-/tmp}/gravity-test.XXXXXX"); trap 'rm -rf "$T"' EXIT; }

# --- shared by the crash and fault tests ------------------------------------
# out_sums DIR: "sha256  name" of every reminder, draft and the feed in the
# output directory DIR: what a poll wrote (compare two listings with cmp).
# A draft's Message-ID is keyed by its state's secret, so two states (a
# reference run and a crashed one) differ there only: it is hashed as
# "gravity.KEYED@domain".
out_sums() {
	(cd "$1" && find reminders drafts gravity.ics -type f 2>/dev/null |
		LC_ALL=C sort | /usr/bin/python3 -c '
import hashlib, re, sys
mid = re.compile(rb"^(Message-ID: <gravity\.)[0-9a-f]{32}@", re.M)
for name in sys.stdin.read().splitlines():
    data = open(name, "rb").read()
    if name.startswith("drafts/"):
        data = mid.sub(rb"\1KEYED@", data, 1)
    print("%s  %s" % (hashlib.sha256(data).hexdigest(), name))')
}
# kill_delay SEED I MS: seconds to wait before the I-th kill, at random
# within 15-95% of MS (an uninterrupted poll's duration), from SEED.
kill_delay() {
	awk -v s="$1" -v i="$2" -v ms="$3" \
		'BEGIN { srand(s * 1000 + i); printf "%.3f\n", ms * (0.15 + rand() * 0.8) / 1000 }'
}
# round_faults ROUND OUT DB REF: after a crash series finished in OUT with
# the state DB, append to $bad what differs from the uninterrupted run
# (REF: its out_sums): outputs, temporary files left, integrity_check.
round_faults() {
	if ! out_sums "$2" | cmp -s - "$4"; then
		bad="$bad round $1 outputs differ ($(out_sums "$2" | diff "$4" - | grep -c '^[<>]') lines);"
		out_sums "$2" | diff "$4" - | head -n 6 | sed 's/^/# /'
	fi
	_tmps=$(find "$2" -name '*.tmp.*' | wc -l)
	[ "$_tmps" -eq 0 ] || bad="$bad round $1 left $_tmps temporary files;"
	_ic=$(sqlite3 "$3" 'PRAGMA integrity_check')
	[ "$_ic" = ok ] || bad="$bad round $1 integrity_check: $_ic;"
}

# --- shared by the conversation tests (t_lifecycle, t_caldav) ---------------
# lifecycle_mail: under $T, the Maildir $box (three demo messages and an
# inquiry the owner already answered) and $sent (that answer); sets data,
# demo, rules, box, sent, out and db.
lifecycle_mail() {
	data="$top_srcdir/tests/data/lifecycle"
	demo="$top_srcdir/contrib/demo/inbox/new"
	rules="$top_srcdir/contrib/demo/rules"
	box="$T/inbox"; sent="$T/sent"; out="$T/out"; db="$T/state.db"
	mkdir -p "$box/new" "$box/cur" "$box/tmp" "$sent/new" "$sent/cur" "$sent/tmp"
	cp "$demo/1763370000.M1P100.demo" "$demo/1763380000.M2P100.demo" \
		"$demo/1763390000.M3P100.demo" "$box/new/"
	cp "$data/answered-inquiry.eml" "$box/new/1763395000.M9P1.test"
	cp "$data/sent-answer.eml" "$sent/new/1763396000.M1P1.test"
}
