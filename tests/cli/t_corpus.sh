#!/bin/sh
# Every message of ../shared/corpus/INDEX.tsv goes through gravity classify
# without a crash (exit codes below 128, no sanitizer report).  All files go
# through a few invocations; if one crashes, its files are rerun one by one
# to name the culprit.
. "${top_srcdir:-.}/tests/cli/lib.sh"
plan 2
c="$GR_SHARED/corpus"
if [ ! -f "$c/INDEX.tsv" ]; then
	skip "classify the corpus" "no $c (../shared is absent)"
	skip "no crash" "no $c"
	exit 0
fi
mktmp
tail -n +2 "$c/INDEX.tsv" | awk -F '\t' -v c="$c" '$2 != "icalendar" { print c "/" $1 }' > "$T/files"
n=$(wc -l < "$T/files")
: > "$T/crashed"
split -l 200 "$T/files" "$T/chunk."
for chunk in "$T"/chunk.*; do
	tr '\n' '\0' < "$chunk" | xargs -0 "$GRAVITY" classify >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -ge 124 ] || grep -q -e AddressSanitizer -e 'runtime error' "$T/err"; then
		while IFS= read -r f; do
			"$GRAVITY" classify "$f" >/dev/null 2>"$T/err1"
			r=$?
			if [ $r -ge 128 ] || grep -q -e AddressSanitizer -e 'runtime error' "$T/err1"; then
				echo "$f (exit $r)" >> "$T/crashed"
				head -c 2000 "$T/err1" >> "$T/crashed"
			fi
		done < "$chunk"
	fi
	cat "$T/out" >> "$T/all"
done
classified=$(grep -c . "$T/all")
diag "$n files, $classified messages classified"
ok "classified the corpus ($n files, $classified messages)" test "$classified" -ge "$n"
if [ -s "$T/crashed" ]; then diag "$(cat "$T/crashed")"; fi
ok "no crash and no sanitizer report" test ! -s "$T/crashed"
