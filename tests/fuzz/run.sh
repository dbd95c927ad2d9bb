#!/bin/sh
# Build gravity's libFuzzer harnesses with clang and run each for a while.
# Usage: tests/fuzz/run.sh [SECONDS] [HARNESS...]      (default 60 s each)
# Seeds: ../shared/corpus (when present) and tests/data.  Crashes are kept
# in $FUZZ_OUT/crashes (default _build/fuzz); make each one a regression
# test in tests/data/regress/.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
out=${FUZZ_OUT:-$top/_build/fuzz}
shared=${GR_SHARED:-$top/../shared}
mkdir -p "$out/crashes"
command -v clang >/dev/null || { echo "fuzz: clang is needed (apt-get install clang)"; exit 77; }
pc() { pkg-config --cflags --libs libcurl libetpan libical libcjson sqlite3 libpcre2-8 gnutls; }
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE -I$top/include -I$top/src"
util="status buf util conf fileio"
srcs() { for m in "$@"; do printf '%s/src/%s.c ' "$top" "$m"; done; }
harnesses=${*:-"message msgpack rules template imap config"}
total=0
for h in $harnesses; do
	case $h in
	message|msgpack) mods="message msgtext msgpack parser $util" ;;
	rules) mods="rules profile classify message msgtext msgpack parser $util" ;;
	template) mods="template $util" ;;
	imap) mods="imap_proto imap_conn source_imap secret config source source_maildir source_mbox source_stdin state $util" ;;
	config) mods="config secret $util" ;;
	*) echo "fuzz: unknown harness $h" >&2; exit 64 ;;
	esac
	bin="$out/fuzz_$h"
	# shellcheck disable=SC2046
	clang $CFLAGS -o "$bin" "$top/tests/fuzz/fuzz_$h.c" $(srcs $mods) $(pc) 2>"$out/build_$h.log" ||
		{ cat "$out/build_$h.log"; echo "fuzz: $h does not build"; exit 1; }
	seeds="$out/seeds_$h"
	mkdir -p "$seeds"
	case $h in
	message|msgpack) [ -d "$shared/corpus" ] && find "$shared/corpus" -type f ! -name '*.ics' ! -name '*.tsv' ! -name '*.md' -size -200k -exec cp {} "$seeds/" \; 2>/dev/null || true
	                 [ -d "$shared/examples" ] && cp "$shared"/examples/*/*.eml "$seeds/" 2>/dev/null || true ;;
	rules) cp "$top"/rules/*.rules "$top"/rules/profile "$top"/rules/services "$top"/rules/partners "$seeds/" 2>/dev/null || true ;;
	template) cp "$top"/rules/templates/* "$seeds/" 2>/dev/null || true ;;
	imap) cp "$top"/tests/data/imap/* "$seeds/" 2>/dev/null || true ;;
	config) cp "$top"/tests/data/config/* "$seeds/" 2>/dev/null || true ;;
	esac
	corpus="$out/corpus_$h"
	mkdir -p "$corpus"
	echo "fuzz: $h for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -max_len=262144 -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$out/crashes/${h}-" -print_final_stats=1 "$corpus" "$seeds" \
		>"$out/run_$h.log" 2>&1; then
		tail -n 40 "$out/run_$h.log"
		echo "fuzz: $h found a crash (see $out/crashes)"
		exit 1
	fi
	grep -E '^stat::number_of_executed_units|cov:' "$out/run_$h.log" | tail -n 2
	total=$((total + 1))
done
echo "fuzz: $total harnesses ran clean"
