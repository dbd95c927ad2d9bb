#!/bin/sh
# SPDX-License-Identifier: MIT
# objgraph.sh [-v] ARCHIVE|-: the graph of which object file of a static
# library uses which other's symbols (an undefined symbol of one object
# that another object defines), from nm; exits 1 and prints each cycle
# found.  "-" reads `nm -A -P` output from standard input instead.
# -v also prints every edge with the symbols that make it.
set -u
verbose=0
if [ "${1:-}" = -v ]; then verbose=1; shift; fi
if [ $# -ne 1 ]; then
	echo "usage: objgraph.sh [-v] ARCHIVE|-" >&2
	exit 64
fi
if [ "$1" = - ]; then
	cat
else
	[ -r "$1" ] || { echo "objgraph.sh: cannot read $1" >&2; exit 66; }
	nm -A -P "$1"
fi | awk -v verbose="$verbose" '
# "lib.a[obj.o]: sym T ..." (GNU, BSD) or "lib.a:obj.o: sym T ...".
function objname(s) {
	sub(/:$/, "", s)
	if (s ~ /\[.*\]$/) {
		sub(/^.*\[/, "", s)
		sub(/\]$/, "", s)
	} else {
		sub(/^.*:/, "", s)
	}
	return s
}
{
	o = objname($1); sym = $2; t = $3
	if (!(o in seen)) { seen[o] = 1; objs[++nobj] = o }
	if (t == "U")
		uses[o, sym] = 1
	else if (t ~ /^[A-Z]$/)
		def[sym] = o
}
END {
	for (k in uses) {
		split(k, p, SUBSEP)
		if (!(p[2] in def) || def[p[2]] == p[1])
			continue
		e = p[1] SUBSEP def[p[2]]
		if (!(e in why)) {
			why[e] = p[2]
			nout[p[1]]++
			out[p[1], nout[p[1]]] = def[p[2]]
		} else if (length(why[e]) < 60) {
			why[e] = why[e] " " p[2]
		}
	}
	# Edges in a stable order, for reading and for the DFS.
	for (i = 1; i <= nobj; i++) {
		a = objs[i]
		for (j = 1; j <= nout[a]; j++)
			for (k = j + 1; k <= nout[a]; k++)
				if (out[a, k] < out[a, j]) {
					x = out[a, j]; out[a, j] = out[a, k]; out[a, k] = x
				}
		if (verbose)
			for (j = 1; j <= nout[a]; j++)
				printf "%s -> %s (%s)\n", a, out[a, j], why[a SUBSEP out[a, j]]
	}
	ncycles = 0
	for (i = 1; i <= nobj; i++)
		if (!state[objs[i]])
			dfs(objs[i], 0)
	if (ncycles) {
		printf "%d cycle(s) in the object graph\n", ncycles
		exit 1
	}
	printf "no cycle among %d objects\n", nobj
}
# state: 0 unseen, 1 on the path, 2 done.
function dfs(a, depth,   j, b, s, d) {
	state[a] = 1
	path[depth] = a
	for (j = 1; j <= nout[a]; j++) {
		b = out[a, j]
		if (state[b] == 1) {
			s = ""
			for (d = 0; d <= depth; d++)
				if (s != "" || path[d] == b)
					s = s path[d] " -> "
			printf "cycle: %s%s\n", s, b
			for (d = 0; d <= depth; d++)
				if (path[d] == b) break
			for (; d <= depth; d++)
				printf "  %s -> %s uses %s\n", path[d],
				    d < depth ? path[d + 1] : b,
				    why[path[d] SUBSEP (d < depth ? path[d + 1] : b)]
			ncycles++
		} else if (!state[b]) {
			dfs(b, depth + 1)
		}
	}
	state[a] = 2
}'
