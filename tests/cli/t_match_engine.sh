#!/bin/sh
# The one-pass scan (pattern.h, "Scanners") changes no match: over the
# corpus of ../shared, every labelled set of ../shared/examples (each with
# its persona's rules) and the messages of tests/data, each with the
# default rules and the owner's phrases, gravity explain --json
#  - in the check mode (GRAVITY_TEST_MATCH=check) matches every pattern of
#    a scanner both through the scan and by PCRE2 alone over the whole
#    text, and stops at the first difference of match or span: it must
#    finish;
#  - gives the same output (rules, excerpts, scores, classes, actions)
#    through the scan as with PCRE2 alone (GRAVITY_TEST_MATCH=old).
# The shared sets are skipped when ../shared is absent.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
plan 12
mktmp
GRAVITY_NOW=2026-11-20T10:00:00Z; export GRAVITY_NOW

# same NAME RULES FILES-LIST: the two checks over the files listed.
same() {
	_n=$1; _r=$2; _l=$3
	: > "$T/new"; : > "$T/old"; : > "$T/err"
	split -l 100 "$_l" "$T/chunk."
	_rc=0
	for _c in "$T"/chunk.*; do
		tr '\n' '\0' < "$_c" | GRAVITY_TEST_MATCH=check xargs -0 \
			"$GRAVITY" explain --json --rules "$_r" >/dev/null 2>>"$T/err" ||
			{ [ $? -ge 124 ] && _rc=1; }
		tr '\n' '\0' < "$_c" | xargs -0 "$GRAVITY" explain --json \
			--rules "$_r" >>"$T/new" 2>/dev/null
		tr '\n' '\0' < "$_c" | GRAVITY_TEST_MATCH=old xargs -0 \
			"$GRAVITY" explain --json --rules "$_r" >>"$T/old" 2>/dev/null
	done
	rm -f "$T"/chunk.*
	grep -A2 'scan check' "$T/err" | head -c 1500 | sed 's/^/# /'
	ok "$_n: every match through the scan is PCRE2's alone" \
		test $_rc -eq 0 -a "$(grep -c 'scan check' "$T/err")" -eq 0
	diag "$_n: $(wc -l < "$_l") files, $(grep -c . "$T/new") lines of output"
	if cmp -s "$T/old" "$T/new"; then
		ok "$_n: the same explanations and classes" true
	else
		diff "$T/old" "$T/new" | head -n 8 | cut -c1-300 | sed 's/^/# /'
		ok "$_n: the same explanations and classes" false
	fi
}

# the messages of tests/data, with the default rules and an owner
find "$top_srcdir/tests/data" -type f \( -name '*.eml' -o -name '*.txt' \) |
	LC_ALL=C sort > "$T/data"
same "tests/data" "$top_srcdir/tests/personas/maya" "$T/data"

# the corpus
c="$GR_SHARED/corpus"
if [ -f "$c/INDEX.tsv" ]; then
	tail -n +2 "$c/INDEX.tsv" |
		awk -F '\t' -v c="$c" '$2 != "icalendar" { print c "/" $1 }' > "$T/corpus"
	same "corpus" "$top_srcdir/tests/personas/maya" "$T/corpus"
else
	skip "corpus: every match" "no $c (../shared is absent)"
	skip "corpus: same output" "no $c"
fi

# every labelled set, with its persona's rules
for p in ana jonas kofi maya; do
	ex="$GR_SHARED/examples/$p"
	if [ -f "$ex/labels.tsv" ]; then
		ls "$ex"/*.eml > "$T/ex"
		same "examples/$p" "$top_srcdir/tests/personas/$p" "$T/ex"
	else
		skip "examples/$p: every match" "no $ex (../shared is absent)"
		skip "examples/$p: same output" "no $ex"
	fi
done
done_testing
