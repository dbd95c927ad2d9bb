#!/bin/sh
# A time budget per message.  A copied rule `header X-A ~ /^(a|a?)+$/`
# against a message with 28,000 X-A fields used to cost seconds per rule
# (each field a match stopped by the match limit); header rules now see a
# bounded number of a header's fields, and the rules of one message stop
# when its CPU time is used up: the message is classified with the rules
# evaluated before, the log says so, and the next message is classified
# in full.  `rules check` warns about such a pattern, not about the
# shipped rules.
. "${top_srcdir:-.}/tests/cli/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is needed"; exit 0; }
# Under a sanitizer the parser worker alone needs more than its 10 s
# alarm for 28,000 fields: the timings measured here mean nothing there.
ldd "$GRAVITY" 2>/dev/null | grep -q -e libasan -e libubsan &&
	{ echo "1..0 # SKIP timings of a sanitizer build"; exit 0; }
mktmp
plan 11
box="$T/box"
mkdir -p "$box/new" "$box/cur" "$box/tmp"
python3 - "$box/new" <<'EOF'
import sys
d = sys.argv[1]
with open(d + "/1718000000.M1P1.fields", "w") as f:
    f.write("From: Sam Stranger <sam@stranger.example>\n"
            "To: maya@example.com\nSubject: hello from the field test\n"
            "Date: Mon, 10 Jun 2024 10:00:00 +0000\n"
            "Message-ID: <fields@stranger.example>\n")
    for i in range(28000):
        f.write("X-A: " + "a" * 30 + "b\n")
    f.write("\nHello, can you help me buy a house in Sacramento?\n")
with open(d + "/1718000100.M2P1.plain", "w") as f:
    f.write("From: Pat Plain <pat@plain.example>\n"
            "To: maya@example.com\nSubject: plain question\n"
            "Date: Mon, 10 Jun 2024 11:00:00 +0000\n"
            "Message-ID: <plain@plain.example>\n\n"
            "Hello, can you help me buy a house in Sacramento?\n")
EOF
# rules DIR N: the demo owner's files, a rule that holds on both messages,
# then N copies of the costly rule.
rules() {
	mkdir -p "$1"
	cp "$top_srcdir/contrib/demo/rules/"* "$1/"
	{
		printf 'rule first_seen\n\tdescribe "says hello"\n\tbody ~ /hello/\n\tscore inquiry 0.5\n\n'
		i=1
		while [ $i -le "$2" ]; do
			printf 'rule costly%d\n\tdescribe "copied"\n\theader X-A ~ /^(a|a?)+$/\n\tscore inquiry 1\n\n' $i
			i=$((i + 1))
		done
		printf 'rule last_rule\n\tdescribe "after the costly ones"\n\tbody ~ /hello/\n\tscore inquiry 0.5\n'
	} >"$1/60-local.rules"
}
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# --- header fields bounded: four costly rules (32 s before) --------------------
rules "$T/four" 4
t0=$(date +%s%N)
timeout 120 "$GRAVITY" classify --json --rules "$T/four" "$box/new/1718000000.M1P1.fields" >"$T/four.json" 2>"$T/four.err"
rc=$? t=$(ms "$t0")
diag "four costly rules over 28,000 fields: $t ms"
check "classify with four costly rules exits 0" 0 "$rc"
ok "and takes less than 10 s ($t ms)" test "$t" -lt 10000
ok "the rules after the costly ones were evaluated" grep -q last_rule "$T/four.json"

# --- the deadline: many costly rules -------------------------------------------
rules "$T/many" 150
t0=$(date +%s%N)
timeout 300 "$GRAVITY" poll --source "maildir:$box" --rules "$T/many" --out "$T/out" \
	--state "$T/db" >"$T/poll.out" 2>"$T/poll.err"
rc=$? t=$(ms "$t0")
diag "150 costly rules, two messages: $t ms"
check "the poll exits 0" 0 "$rc"
ok "and takes less than 15 s ($t ms)" test "$t" -lt 15000
grep -F 'fields@stranger' "$T/out/log.jsonl" >"$T/costly.line"
grep -F 'plain@plain' "$T/out/log.jsonl" >"$T/plain.line"
diag "$(grep -o '"deadline":"[^"]*"' "$T/costly.line")"
ok "the costly message's log line says the deadline hit" \
	grep -q '"deadline":"the rules used up the message.s 1.0 s of CPU time at rule costly[0-9]*: classified with the [0-9]* of [0-9]* rules evaluated before"' "$T/costly.line"
ok "it was classified with the rules evaluated before (first_seen, not last_rule)" \
	sh -c "grep -q '\"first_seen\"' '$T/costly.line' && ! grep -q last_rule '$T/costly.line'"
ok "the next message had its whole time: no deadline, every rule" \
	sh -c "grep -q last_rule '$T/plain.line' && ! grep -q deadline '$T/plain.line'"

# --- rules check -------------------------------------------------------------
"$GRAVITY" rules check --rules "$T/four" >"$T/check.out" 2>"$T/check.err"
check "rules check with costly rules still exits 0" 0 $?
ok "it warns once per costly rule, naming FILE:LINE:COL" \
	test "$(grep -c "^$T/four/60-local.rules:[0-9]*:15: warning: rule 'costly[1-4]': this regex hits the match limit on a torture text" "$T/check.err")" -eq 4
# (The shipped rules hold no owner: checked under the demo owner's files.)
"$GRAVITY" rules check --rules "$top_srcdir/contrib/demo/rules" >"$T/shipped.out" 2>"$T/shipped.err"
rc=$?
ok "the shipped rules have no such pattern" sh -c "[ $rc -eq 0 ] && ! grep -q 'match limit' '$T/shipped.err'"
done_testing
