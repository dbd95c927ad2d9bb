# tests/lib.sh - TAP helpers for gravity's shell tests (after mblaze's t/lib.sh).
# Source it, call plan N, then ok/check/skip; finish with done_testing.
set -u
: "${GRAVITY:=gravity}"
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
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
diag() { echo "# $*"; }
done_testing() { exit 0; }
# A private temporary directory removed at exit.
mktmp() { T=$(mktemp -d "${TMPDIR:-/tmp}/gravity-test.XXXXXX"); trap 'rm -rf "$T"' EXIT; }
