#!/bin/sh
# gravity classify --json on the labelled example messages of ../shared:
# at least 30 of 36 right with the default rules plus the persona's
# profile, services and partners (tests/personas/maya).
. "${top_srcdir:-.}/tests/cli/lib.sh"
plan 2
ex="$GR_SHARED/examples/maya"
if [ ! -f "$ex/labels.tsv" ]; then
	skip "classify the maya examples" "no $ex (../shared is absent)"
	skip "at least 30 of 36 right" "no $ex"
	exit 0
fi
mktmp
"$GRAVITY" classify --json --rules "$top_srcdir/tests/personas/maya" "$ex"/*.eml > "$T/out.json" 2>"$T/err.txt"
check "classify exits 0" 0 $?
right=0; total=0
while IFS="$(printf '\t')" read -r file want why; do
	got=$(grep -F "\"path\":\"$ex/$file\"" "$T/out.json" | sed -n 's/.*"class":"\([a-z_]*\)".*/\1/p')
	total=$((total + 1))
	if [ "$got" = "$want" ]; then right=$((right + 1)); else diag "$file: labelled $want, got ${got:-nothing}"; fi
done < "$ex/labels.tsv"
diag "$right of $total right"
ok "at least 30 of $total right ($right)" test "$right" -ge 30
