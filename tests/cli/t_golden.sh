#!/bin/sh
# Golden tests: the drafts and reminders of every maya example message (in
# $GR_SHARED, skipped without it) and every demo message (contrib/demo),
# polled with a fixed clock, rendered one reviewable text file per message
# (tests/cli/golden.py: headers and decoded body of each draft; summary,
# due time and description of each reminder; volatile fields left out)
# and compared with the reviewed files in tests/data/golden/OWNER/.
#
# When a change of wording, of the rules or of the classes changes them on
# purpose, regenerate them with "make golden-update" (this test with
# GR_GOLDEN_UPDATE=1, which writes tests/data/golden/ in the source tree),
# read the diff as the owner would, and commit it.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
plan 4
if ! command -v python3 >/dev/null 2>&1; then
	for o in maya demo; do
		skip "$o: outputs written" "python3 is needed"
		skip "$o: every message as reviewed" "python3 is needed"
	done
	exit 0
fi
mktmp
# Fri 4 Dec 2026 17:00Z, after every example message.
now=1796403600
golden() {  # golden OWNER RULES FILE...: poll FILEs, compare
	o=$1; rules=$2; shift 2
	box="$T/$o/box"; exp="$top_srcdir/tests/data/golden/$o"
	mkdir -p "$box/new" "$box/cur" "$box/tmp"
	for f in "$@"; do
		b=$(basename "$f"); label=${b%.eml}
		case $b in *.demo) label=demo-${b%%.*} ;; esac
		cp "$f" "$box/new/$((1700000000 + ${n:=0})).M1P1.$label"
		n=$((n + 1))
	done
	GRAVITY_NOW=$now "$GRAVITY" poll --source "maildir:$box" --rules "$rules" \
		--out "$T/$o/out" --state "$T/$o/state.db" -q >"$T/$o/poll.txt" 2>&1
	ok "$o: outputs written" test -s "$T/$o/out/log.jsonl"
	python3 "$top_srcdir/tests/cli/golden.py" "$T/$o/out" "$T/$o/got"
	if [ -n "${GR_GOLDEN_UPDATE:-}" ]; then
		rm -rf "$exp"; mkdir -p "$exp"; cp "$T/$o/got"/*.txt "$exp/"
		diag "$o: wrote $(ls "$exp" | wc -l) files to $exp"
	fi
	diff -ru "$exp" "$T/$o/got" >"$T/$o/diff.txt" 2>&1
	rc=$?
	head -n 200 "$T/$o/diff.txt" | sed 's/^/# /'
	ok "$o: every message as reviewed ($(ls "$T/$o/got" | wc -l) files; make golden-update regenerates)" \
		test $rc -eq 0
}
if [ -d "$GR_SHARED/examples/maya" ]; then
	golden maya "$top_srcdir/tests/personas/maya" "$GR_SHARED/examples/maya"/*.eml
else
	skip "maya: outputs written" "no $GR_SHARED/examples (../shared is absent)"
	skip "maya: every message as reviewed" "no $GR_SHARED/examples"
fi
n=0
golden demo "$top_srcdir/contrib/demo/rules" "$top_srcdir/contrib/demo/inbox/new"/*
done_testing
