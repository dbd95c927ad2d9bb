#!/bin/sh
# Bounded memory for any message (README "Limits and safety"): a poll over
# a 200 MB message, a 73 MB one-line body and a 143 MB base64 message, and
# over a 120 MB mbox with three 40 MB messages, made on the fly
# (tests/servers/bigmail.py).  The summed RSS of the whole process tree (gravity,
# the parser spawner and worker), sampled from /proc (tests/servers/treerss.py),
# stays under the documented bound, and each message is still classified
# from its text.
. "${top_srcdir:-.}/tests/cli/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is needed"; exit 0; }
mktmp
plan 10
BOUND_KB=49152          # 48 MiB for big messages: README "Limits and safety"
# A sanitizer build's RSS is mostly the sanitizer's (shadow memory,
# quarantine): the bound is checked on normal builds only.
san=""
ldd "$GRAVITY" 2>/dev/null | grep -q -e libasan -e libubsan && san="sanitizer build"
rss_ok() {  # rss_ok DESCRIPTION KIB
	if [ -n "$san" ]; then skip "$1" "$san"; else ok "$1" test "$2" -lt "$BOUND_KB"; fi
}
rules="$top_srcdir/contrib/demo/rules"
python3 "$top_srcdir/tests/servers/bigmail.py" "$T" || { echo "Bail out! cannot write the test mail"; exit 1; }
python3 "$top_srcdir/tests/servers/treerss.py" "$T/rss1" "$GRAVITY" poll -q --source "maildir:$T/box" \
	--rules "$rules" --out "$T/out1" --state "$T/s1.db" 2>"$T/err1"
check "poll over the big Maildir exits 0" 0 $?
read -r kb n _ < "$T/rss1"
diag "Maildir: peak summed RSS $kb KiB over $n processes (bound $BOUND_KB KiB)"
rss_ok "summed RSS of the process tree under the bound (Maildir)" "$kb"
ok "the parser's processes were part of the sum" test "$n" -ge 2
# The parser's spawner is forked before the config and the rules are
# loaded: it holds its own small image, not a copy of gravity's heap (which
# it held, and the worker after it, when it was forked by the poll: 6 MB).
spawner=$(awk '$1 == "child" { if ($3 > m) m = $3 } END { print m + 0 }' "$T/rss1")
diag "Maildir: the parser spawner's peak RSS $spawner KiB"
if [ -n "$san" ]; then skip "the parser spawner stays small" "$san"
else ok "the parser spawner stays small (under 4 MiB)" test "$spawner" -gt 0 -a "$spawner" -lt 4096; fi
check "every big message processed" 3 "$(grep -c '"status":"ok"' "$T/out1/log.jsonl")"
check "the ones with text classified from it" 2 \
	"$(grep -E 'big200|oneline' "$T/out1/log.jsonl" | grep -c '"class":"inquiry"')"
python3 "$top_srcdir/tests/servers/treerss.py" "$T/rss2" "$GRAVITY" poll -q --source "mbox:$T/big.mbox" \
	--rules "$rules" --out "$T/out2" --state "$T/s2.db" 2>"$T/err2"
check "poll over the big mbox exits 0" 0 $?
read -r kb n _ < "$T/rss2"
diag "mbox: peak summed RSS $kb KiB over $n processes (bound $BOUND_KB KiB)"
rss_ok "summed RSS of the process tree under the bound (mbox)" "$kb"
check "every message of the mbox logged" 12 "$(grep -c '"status":"ok"' "$T/out2/log.jsonl")"
check "the big ones classified from their text" 12 "$(grep -c '"class":"inquiry"' "$T/out2/log.jsonl")"
done_testing
