#!/bin/sh
# Build gravity's libFuzzer harnesses with clang and run each for a while.
# Usage: tests/fuzz/run.sh [SECONDS] [HARNESS...]      (default 60 s each)
# One line per harness (executions, coverage); the last line is
# "N passed, N failed" (a harness that crashes or does not build fails).
# The library is the one the Makefile builds (libgravity.a, configured with
# clang and the fuzzer's instrumentation in $FUZZ_LIB, default
# _build/fuzz-lib); each harness links it, so the linker takes the modules
# that harness reaches.  SECONDS 0 only builds the library.
# Seeds: ../shared/corpus (when present) and tests/data.  Crashes are kept
# in $FUZZ_OUT/crashes (default _build/fuzz); make each one a regression
# test in tests/data/regress/.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
out=${FUZZ_OUT:-$top/_build/fuzz}
lib=${FUZZ_LIB:-$top/_build/fuzz-lib}
shared=${GR_SHARED:-$top/../shared}
mkdir -p "$out/crashes" "$lib"
command -v clang >/dev/null || { echo "fuzz: clang is needed (apt-get install clang)"; exit 77; }
pc() { pkg-config --cflags --libs libcurl libetpan libical libcjson sqlite3 libpcre2-8 gnutls; }
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-g -O1 $SAN -D_GNU_SOURCE -I$top/include -I$top/src"
# libgravity.a with coverage instrumentation (make is incremental: a second
# run, or a second run.sh at the same time after the first built it, only
# checks it is up to date).
[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null 2>&1)
if [ ! -f "$lib/Makefile" ]; then
	(cd "$lib" && "$top/configure" -q CC=clang \
		CFLAGS="-g -O1 -fsanitize=fuzzer-no-link $SAN") >"$lib/configure.out" 2>&1 ||
		{ tail -n 20 "$lib/configure.out"; echo "fuzz: configure with clang failed"; echo "0 passed, 1 failed"; exit 1; }
fi
make -C "$lib" -s libgravity.a >"$lib/make.out" 2>&1 ||
	{ tail -n 20 "$lib/make.out"; echo "fuzz: libgravity.a does not build"; echo "0 passed, 1 failed"; exit 1; }
[ "$secs" -eq 0 ] && exit 0
harnesses=${*:-"message msgpack rules template imap config"}
total=0
failed=0
for h in $harnesses; do
	[ -f "$top/tests/fuzz/fuzz_$h.c" ] || { echo "fuzz: unknown harness $h" >&2; exit 64; }
	bin="$out/fuzz_$h"
	# shellcheck disable=SC2046
	clang $CFLAGS -fsanitize=fuzzer -o "$bin" "$top/tests/fuzz/fuzz_$h.c" "$lib/libgravity.a" $(pc) 2>"$out/build_$h.log" ||
		{ tail -n 20 "$out/build_$h.log"; echo "fuzz: $h does not build"; failed=$((failed + 1)); continue; }
	seeds="$out/seeds_$h"
	mkdir -p "$seeds"
	case $h in
	message|msgpack) [ -d "$shared/corpus" ] && find "$shared/corpus" -type f ! -name '*.ics' ! -name '*.tsv' ! -name '*.md' -size -200k -exec cp {} "$seeds/" \; 2>/dev/null || true
	                 [ -d "$shared/examples" ] && cp "$shared"/examples/*/*.eml "$seeds/" 2>/dev/null || true ;;
	rules)	# first byte picks the file: 0 .rules 1 profile 2 services 3 partners
		for f in "$top"/rules/*.rules "$top"/contrib/demo/rules/*.rules; do
			[ -f "$f" ] && { printf '\000'; cat "$f"; } >"$seeds/r-$(basename "$f")"
		done
		i=1
		for n in profile services partners overrides contacts; do
			for f in "$top/rules/$n" "$top/contrib/demo/rules/$n"; do
				[ -f "$f" ] && { printf "\\$(printf %o $i)"; cat "$f"; } >"$seeds/$n-$(echo "$f" | tr / _)"
			done
			i=$((i + 1))
		done ;;
	template) cp "$top"/rules/templates/* "$top"/contrib/demo/rules/templates/* "$seeds/" 2>/dev/null || true ;;
	imap) cp "$top"/tests/data/imap/*.txt "$seeds/" 2>/dev/null || true ;;
	config) : ;;
	esac
	cp "$top"/tests/fuzz/seeds/"$h"-* "$seeds/" 2>/dev/null || true
	corpus="$out/corpus_$h"
	mkdir -p "$corpus"
	echo "fuzz: $h for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -max_len=262144 -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$out/crashes/${h}-" -print_final_stats=1 "$corpus" "$seeds" \
		>"$out/run_$h.log" 2>&1; then
		grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' "$out/run_$h.log" | head -n 5
		echo "fuzz: $h found a crash (see $out/crashes)"
		failed=$((failed + 1))
		continue
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/run_$h.log")
	cov=$(grep -o 'cov: [0-9]*' "$out/run_$h.log" | tail -n 1)
	echo "fuzz: $h clean: ${execs:-?} execs, ${cov:-cov: ?}"
	total=$((total + 1))
done
echo "$total passed, $failed failed"
[ $failed -eq 0 ]
