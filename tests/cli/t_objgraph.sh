#!/bin/sh
# The library's modules depend on each other one way only: no object file
# of libgravity.a may reach itself again through the symbols it uses
# (tests/cli/objgraph.sh over nm).  First the check itself must catch a cycle.
. "${top_srcdir:-.}/tests/cli/lib.sh"
mktmp
plan 4
graph="$top_srcdir/tests/cli/objgraph.sh"
lib="${top_builddir:-.}/libgravity.a"

# a.o -> b.o -> c.o -> a.o, and d.o off to the side
cat >"$T/cycle.nm" <<'EOF'
lib.a[a.o]: a_fn T 0 10
lib.a[a.o]: b_fn U
lib.a[b.o]: b_fn T 0 10
lib.a[b.o]: c_fn U
lib.a[c.o]: c_fn T 0 10
lib.a[c.o]: a_fn U
lib.a[d.o]: d_fn T 0 10
lib.a[d.o]: a_fn U
EOF
sh "$graph" - <"$T/cycle.nm" >"$T/cycle.out" 2>&1
check "a cycle fails the check" 1 $?
ok "the cycle is printed" grep -q 'cycle: a.o -> b.o -> c.o -> a.o' "$T/cycle.out"

if ! command -v nm >/dev/null 2>&1; then
	skip "no cycle in libgravity.a" "nm not found"
	skip "the graph covers the library" "nm not found"
	done_testing
fi
sh "$graph" -v "$lib" >"$T/lib.out" 2>&1
rc=$?
check "no cycle in libgravity.a" 0 $rc
[ $rc -eq 0 ] || grep -A3 '^cycle' "$T/lib.out" | sed 's/^/# /'
ok "the graph covers the library" grep -q '^[^ ]*classify\.o -> [^ ]*rules\.o ' "$T/lib.out"
done_testing
