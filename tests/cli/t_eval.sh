#!/bin/sh
# gravity eval at the command line: the report has a confusion
# matrix, per-class precision/recall/F1, the macro-F1 and the misclassified
# files with their top rules, and exits 0.  The same shipped rules are
# measured on two owners they were not written for (tests/personas/photo,
# tests/personas/accounts: a wedding photographer and an accountant, with
# their own fixtures under tests/data/rules/) and on the maya examples.
. "${top_srcdir:-.}/tests/cli/lib.sh"
mktmp
plan 14
tab=$(printf '\t')

# macro_f1 FILE: the macro-F1 value of an eval report, times 1000.
macro_f1() { sed -n 's/^macro-F1: *\([0-9]\)\.\([0-9][0-9][0-9]\).*/\1\2/p' "$1" | sed 's/^0*//;s/^$/0/'; }

for p in photo accounts; do
	"$GRAVITY" eval --rules "$top_srcdir/tests/personas/$p" \
		"$top_srcdir/tests/data/rules/$p/labels.tsv" >"$T/$p.txt" 2>&1
	check "eval on the $p persona exits 0" 0 $?
	sed 's/^/# /' "$T/$p.txt"
	f=$(macro_f1 "$T/$p.txt")
	ok "$p: macro-F1 >= 0.90 ($f/1000)" test "${f:-0}" -ge 900
	n=$(grep -c . "$top_srcdir/tests/data/rules/$p/labels.tsv")
	right=$(sed -n 's/^accuracy: *\([0-9]*\)\/.*/\1/p' "$T/$p.txt")
	ok "$p: at least $((n - 1)) of $n right (${right:-?})" test "${right:-0}" -ge $((n - 1))
done

# The report's parts, on a small set with one deliberately wrong label.
d="$top_srcdir/tests/data/rules/photo"
mkdir "$T/set"
cp "$d/inquiry.eml" "$d/pitch.eml" "$d/newsletter.eml" "$T/set/"
printf 'inquiry.eml%sinquiry\npitch.eml%sinquiry\tmislabelled on purpose\nnewsletter.eml%sautomated\n' \
	"$tab" "$tab" "$tab" >"$T/set/labels.tsv"
"$GRAVITY" eval --rules "$top_srcdir/tests/personas/photo" "$T/set/labels.tsv" >"$T/set.txt" 2>&1
check "eval with a misclassified file still exits 0" 0 $?
ok "prints a confusion matrix with every class" sh -c \
	"grep -q '^confusion matrix' '$T/set.txt' && grep -Eq '^cold_pitch +0 +0 +0 +0 +0 +0' '$T/set.txt' && grep -Eq '^inquiry +1 +0 +0 +1 +0 +0' '$T/set.txt'"
ok "prints per-class precision, recall and F1" sh -c \
	"grep -Eq '^class +precision +recall +f1' '$T/set.txt' && grep -Eq '^inquiry +1\.000 +0\.500 +0\.667 +2' '$T/set.txt'"
ok "prints the macro-F1" grep -Eq '^macro-F1: [01]\.[0-9]{3}' "$T/set.txt"
ok "lists the misclassified file with its top rules" grep -Eq \
	'^  pitch\.eml: labelled inquiry, got cold_pitch \(.*pitch_' "$T/set.txt"
ok "does not list the right ones" sh -c "! grep -q '^  inquiry.eml:' '$T/set.txt'"

# The example persona (its profile, services and partners; default rules).
ex="$GR_SHARED/examples/maya"
if [ -f "$ex/labels.tsv" ]; then
	"$GRAVITY" eval --rules "$top_srcdir/tests/personas/maya" "$ex/labels.tsv" >"$T/maya.txt" 2>&1
	check "eval on the maya examples exits 0" 0 $?
	sed 's/^/# /' "$T/maya.txt"
	f=$(macro_f1 "$T/maya.txt")
	ok "maya: macro-F1 >= 0.90 ($f/1000)" test "${f:-0}" -ge 900
else
	skip "eval on the maya examples" "no $ex (../shared is absent)"
	skip "maya: macro-F1 >= 0.90" "no $ex"
fi
