#!/bin/bash
# The documentation matches the program: the man pages built from
# contrib/man/*.in name the configured paths (no @placeholder@ left); every
# command gravity lists is in gravity(1) with each option its usage gives in
# its synopsis; every exit status the code uses is in EXIT STATUS; every
# config key is in gravity-config(5); "gravity help CMD" is "CMD --help".
. "${top_srcdir:-.}/tests/cli/lib.sh"
: "${top_builddir:?}"
PY=$(command -v /usr/bin/python3 || command -v python3)
[ -n "$PY" ] || { echo "1..0 # SKIP no python3"; exit 0; }
mktmp
plan 10
man1="$top_builddir/contrib/man/gravity.1"
man5c="$top_builddir/contrib/man/gravity-config.5"
man5r="$top_builddir/contrib/man/gravity-rules.5"
ok "the three man pages are built" test -s "$man1" -a -s "$man5c" -a -s "$man5r"
ok "... with no @placeholder@ left" sh -c "! grep -n '@[a-zA-Z]*@' '$man1' '$man5c' '$man5r'"
ok "... and the installed rules directory named by its configured path" \
	grep -q '^\.IR /.*/gravity/rules ;$' "$man1"

cmds=$("$GRAVITY" --help | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p')
missing=""
for c in $cmds; do
	grep -q "^\.B gravity $c\b" "$man1" || missing="$missing $c(synopsis)"
	grep -Eq "^\.BI? $c\b" "$man1" || missing="$missing $c(commands)"
done
check "every command is in gravity(1)'s synopsis and COMMANDS" "" "$missing"

# Each long option a command's usage shows is in that command's synopsis.
for c in $cmds; do "$GRAVITY" help "$c" >"$T/help-$c.txt" 2>&1; done
missing=$($PY - "$man1" "$T" $cmds <<'PY'
import re, sys
man, tdir, cmds = sys.argv[1], sys.argv[2], sys.argv[3:]
text = open(man).read()
syn = text[text.index(".SH SYNOPSIS"):text.index(".SH DESCRIPTION")]
blocks = {}
for b in syn.split(".br\n"):
    m = re.search(r"^\.B gravity (\w+)", b, re.M)
    if m:
        blocks.setdefault(m.group(1), "")
        blocks[m.group(1)] += b.replace("\\-", "-")
out = []
for c in cmds:
    usage = open("%s/help-%s.txt" % (tdir, c)).read()
    # the usage lines: "usage:" and the indented lines right after it
    lines, on = [], False
    for l in usage.splitlines():
        if l.startswith("usage:"):
            on = True
        elif on and not l.startswith(" "):
            on = False
        if on:
            lines.append(l)
    for o in sorted(set(re.findall(r"--[a-z][a-z0-9-]*", "\n".join(lines)))):
        if o not in blocks.get(c, ""):
            out.append("%s %s" % (c, o))
print(" ".join(out))
PY
)
check "every option of every usage is in its synopsis" "" "$missing"

# Every exit status the code returns (sysexits names in src/, and the
# status table) is described.
codes=$(grep -ohE '\bEX_[A-Z]+\b' "$top_srcdir"/src/*.c | sort -u | grep -v '^EX_MAX$' |
	while read -r n; do
		printf '#include <sysexits.h>\n%s\n' "$n" | cpp -P 2>/dev/null | tail -n 1
	done | sort -un | tr '\n' ' ')
diag "exit statuses used: $codes"
ok "the sources use several exit statuses" test "$(echo $codes | wc -w)" -ge 8
missing=""
for n in $codes; do
	sed -n '/^\.SH EXIT STATUS/,/^\.SH FILES/p' "$man1" | grep -qx "\.B $n" ||
		{ [ "$n" = 0 ] && sed -n '/^\.SH EXIT STATUS/,/^\.SH FILES/p' "$man1" | grep -qx '\.B 0'; } ||
		missing="$missing $n"
done
check "gravity(1) EXIT STATUS describes each of them" "" "$missing"

# Every key the config reader knows is in gravity-config(5).
keys=$(grep -o '\[K_[A-Z0-9]*\] = "[a-z0-9-]*"' "$top_srcdir/src/config.c" | sed 's/.*"\(.*\)"/\1/';
	grep -o 'strcmp(key, "[a-z-]*")' "$top_srcdir/src/config.c" | sed 's/.*"\(.*\)".*/\1/')
missing=""
for k in $(echo "$keys" | sort -u); do
	grep -q "$(echo "$k" | sed 's/-/\\\\-/g')" "$man5c" || missing="$missing $k"
done
check "gravity-config(5) documents every config key ($(echo "$keys" | sort -u | wc -l))" "" "$missing"

# The README goes: what gravity does, quick start, then setting it up for
# one's own inbox (init, profile, first poll, scheduling, calendar), then
# the rest.
readme="$top_srcdir/README.md"
at() { grep -n -m1 -F -- "$1" "$readme" | cut -d: -f1; }
order=""
for h in "## Quick start" "## Set it up for your inbox" "**1. Write the config" "**2. Your profile" \
	"**3. The first poll" "**4. Scheduling" "**5. Your calendar" "## Using it"; do
	order="$order $(at "$h")"
done
ok "README: quick start, then init, profile, first poll, scheduling, calendar, then the rest ($order)" \
	sh -c "[ \$(echo '$order' | wc -w) -eq 8 ] && [ \$(grep -n -m1 -v '^#' '$readme' | cut -d: -f1) -lt \$(echo '$order' | awk '{print \$1}') ] && echo '$order' | tr ' ' '\n' | grep . | sort -n -c"

"$GRAVITY" redo --help >"$T/redo-help.txt" 2>&1
check "gravity help redo prints what redo --help does" "$(cat "$T/redo-help.txt")" "$(cat "$T/help-redo.txt")"
done_testing
