#!/bin/sh
# Build gravity from scratch and run its whole test suite ("make check").
# Usage: tests/run.sh [--sanitize] [--distcheck]
# Tests that need something absent here (the shared data in ../shared or
# $GR_SHARED, a server, a tool) are skipped, not failed.  --distcheck also
# builds the release tarball and runs its make check as a fresh checkout
# would, without the shared data, so a test that needs it and fails instead
# of skipping fails the run.
# Ends with a line "N skipped" and then "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
build=_build/check
conf=""
distcheck=0
for a in "$@"; do
	case $a in
	--sanitize) build=_build/asan; conf="--enable-sanitizers" ;;
	--distcheck) distcheck=1 ;;
	*) echo "usage: tests/run.sh [--sanitize] [--distcheck]" >&2; exit 64 ;;
	esac
done
sh contrib/install-deps.sh --test || exit 1
./autogen.sh >/dev/null 2>&1 || { echo "autogen.sh failed" >&2; exit 1; }
rm -rf "$build"
mkdir -p "$build"
cd "$build" || exit 1
# The test hooks (GRAVITY_NOW, GR_PARSER_*) are what many tests drive.
"$top/configure" -q --enable-test-hooks $conf || { echo "configure failed" >&2; exit 1; }
make -s -j"$(nproc)" >make.log 2>&1 || { cat make.log; echo "0 passed, 1 failed"; exit 1; }
if [ -n "$conf" ]; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1; export ASAN_OPTIONS
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1; export UBSAN_OPTIONS
fi
make -s -j"$(nproc)" check >check.log 2>&1
rc=$?
grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP|XFAIL):' check.log | grep -v '^PASS' || true
if [ $rc -ne 0 ]; then
	for f in $(find tests -name '*.log' 2>/dev/null); do
		grep -lE '^not ok|ERROR|AddressSanitizer|runtime error' "$f" >/dev/null 2>&1 &&
			{ echo "== $f"; tail -n 60 "$f"; }
	done
fi
if [ $distcheck -eq 1 ] && [ $rc -eq 0 ]; then
	# -j as for make check: distcheck's own build and check would run
	# one job at a time
	GR_SHARED="$top/$build/no-shared" make -s -j"$(nproc)" distcheck \
		>distcheck.log 2>&1 ||
		{ tail -n 40 distcheck.log; rc=1; echo "distcheck failed"; }
fi
count() { sed -n "s/^# $1: *\([0-9]*\).*/\1/p" test-suite.log 2>/dev/null | head -n 1; }
pass=$(count PASS); fail=$(count FAIL); err=$(count ERROR); xpass=$(count XPASS)
skipped=$(count SKIP)
pass=${pass:-0}; fail=$((${fail:-0} + ${err:-0} + ${xpass:-0}))
[ $rc -ne 0 ] && [ $fail -eq 0 ] && fail=1
echo "${skipped:-0} skipped"
echo "$pass passed, $fail failed"
[ $rc -eq 0 ] && [ $fail -eq 0 ]
