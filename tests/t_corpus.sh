#!/bin/sh
# Every message of ../shared/corpus/INDEX.tsv goes through gravity classify
# without a crash (exit codes below 128, no sanitizer report).
. "${top_srcdir:-.}/tests/lib.sh"
plan 2
c="$GR_SHARED/corpus"
if [ ! -f "$c/INDEX.tsv" ]; then
	skip "classify the corpus" "no $c (../shared is absent)"
	skip "no crash" "no $c"
	exit 0
fi
mktmp
n=0; crashed=0
tail -n +2 "$c/INDEX.tsv" | while IFS="$(printf '\t')" read -r path kind rest; do
	[ "$kind" = icalendar ] && continue
	"$GRAVITY" classify "$c/$path" >/dev/null 2>"$T/err"
	rc=$?
	if [ $rc -ge 128 ] || grep -q -e AddressSanitizer -e 'runtime error' "$T/err"; then
		echo "$path (exit $rc)" >> "$T/crashed"
		cat "$T/err" >> "$T/crashlog"
	fi
	echo x >> "$T/count"
done
n=$(wc -l < "$T/count")
ok "classified every corpus message ($n)" test "$n" -gt 700
if [ -s "$T/crashed" ]; then diag "$(cat "$T/crashed")"; diag "$(head -c 4000 "$T/crashlog")"; fi
ok "no crash and no sanitizer report" test ! -s "$T/crashed"
