#!/bin/sh
# The command line contract: --help/--version everywhere, sysexits codes,
# rules check with FILE:LINE errors.
. "${top_srcdir:-.}/tests/cli/lib.sh"
mktmp
plan 13
for c in poll classify explain rules eval; do
	"$GRAVITY" $c --help >/dev/null 2>&1
	check "gravity $c --help exits 0" 0 $?
done
v=$("$GRAVITY" --version)
ok "gravity --version prints a version ($v)" sh -c "echo '$v' | grep -q '^gravity [0-9]'"
"$GRAVITY" frobnicate >/dev/null 2>&1
check "unknown command is a usage error (64)" 64 $?
"$GRAVITY" rules check >"$T/check.txt" 2>&1
check "the shipped rules hold no owner: rules check alone exits 78" 78 $?
ok "... saying the profile is missing, and only that" sh -c \
	"grep -q 'no owner profile' '$T/check.txt' && [ \$(wc -l < '$T/check.txt') -eq 1 ]"
diag "$(cat "$T/check.txt")"
"$GRAVITY" rules check --rules "$top_srcdir/contrib/demo/rules" >/dev/null 2>&1
check "the demo rules pass rules check" 0 $?
mkdir -p "$T/bad"
printf 'rule broken\n    describe "a rule with a bad regex"\n    subject ~ /(unclosed/\n    score inquiry +1\n' > "$T/bad/broken.rules"
"$GRAVITY" rules check --rules "$T/bad" >"$T/bad.txt" 2>&1
check "broken rules exit 65" 65 $?
ok "the error names FILE:LINE" grep -q "$T/bad/broken.rules:3:" "$T/bad.txt"
"$GRAVITY" poll --rules "$T/bad" --source "maildir:$top_srcdir/contrib/demo/inbox" \
	--out "$T/o" --state "$T/s.db" >/dev/null 2>&1
check "a poll with broken rules refuses to run (65)" 65 $?
