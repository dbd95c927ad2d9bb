#!/bin/sh
# Hostile input, bounded resources: a Maildir of hostile messages
# generated on the fly (tests/servers/hostile.py: MIME nested 5,000 deep, a 50 MB
# message, a 1 MB header line, 10,000 recipients, invalid charsets, NUL
# bytes, broken base64 and boundaries, a Message-ID with ../ and /, a
# Subject with an encoded CR/LF) between two ordinary ones.  Each is
# processed or skipped with a one-line error, nothing is written outside
# OUT, no header is injected, and the peak RSS summed over the poll's
# process tree (gravity, the parser spawner and worker: tests/servers/
# treerss.py) stays under the bound documented in README ("Limits and
# safety").
. "${top_srcdir:-.}/tests/cli/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is needed"; exit 0; }
mktmp
plan 16
RSS_BOUND_KB=65536      # 64 MiB: README "Limits and safety"
box="$T/box"
out="$T/out"
python3 "$top_srcdir/tests/servers/hostile.py" "$box"
n_in=$(ls "$box/new" | wc -l)
touch "$T/.mark"
python3 "$top_srcdir/tests/servers/treerss.py" "$T/rss" \
	"$GRAVITY" poll --source "maildir:$box" --rules "$top_srcdir/contrib/demo/rules" \
	--out "$out" --state "$T/state.db" >"$T/stdout" 2>"$T/stderr"
check "poll over hostile mail exits 0" 0 $?
diag "$(head -c 2000 "$T/stderr")"
check "one log line per message ($n_in)" "$n_in" "$(wc -l < "$out/log.jsonl")"
st() { grep -F "$1\"" "$out/log.jsonl" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p'; }
check "ordinary message before the hostile ones is processed" ok "$(st normal1)"
check "ordinary message after the hostile ones is processed" ok "$(st normal2)"
ok "the first ordinary message got its reminder" \
	sh -c "grep -F 'normal1\"' '$out/log.jsonl' | grep -q 'reminders/'"
for k in deep big rcpts charset nul broken traversal crlf longsubject; do
	s=$(st "$k")
	[ "$s" = ok ] || [ "$s" = failed ] || echo "# $k: status '$s'"
done
ok "every hostile message was processed or skipped (none lost)" \
	sh -c "for k in deep big longheader rcpts charset nul broken traversal crlf longsubject; do grep -qF \".\$k\\\"\" '$out/log.jsonl' || exit 1; done"
fails=$(grep -c '"status":"failed"' "$out/log.jsonl")
ok "each skipped message has exactly one error line on stderr ($fails)" \
	test "$(grep -c 'skipped:' "$T/stderr")" -eq "$fails"
ok "no error line is longer than 300 bytes" sh -c "! awk 'length > 300' '$T/stderr' | grep -q ."
stray=$(find "$T" /tmp/evil -newer "$T/.mark" -type f 2>/dev/null | grep -v -e "^$out/" -e "^$T/state.db" -e "^$T/std" -e "^$T/rss$")
check "no file written outside OUT" "" "$stray"
bad=$(cd "$out" && find reminders drafts -type f | grep -vE '^(reminders|drafts)/[0-9a-f]{16}-[a-z0-9_-]+\.(ics|eml)$')
check "output file names are sanitised" "" "$bad"
ok "no Bcc header injected into a draft" \
	sh -c "! awk '/^\r?\$/{exit} /^Bcc:/{f=1} END{exit !f}' '$out'/drafts/*.eml 2>/dev/null"
ok "no forged line on the summary output" sh -c "! grep -q '^Bcc:' '$T/stdout'"
ok "the long Subject got its reply draft" \
	sh -c "grep -F 'longsubject\"' '$out/log.jsonl' | grep -q 'drafts/'"
# RFC 5322 section 2.1.1: a line is at most 998 octets, CRLF excluded
ok "no draft header line is longer than 998 octets" \
	sh -c "! awk '/^\r?\$/{nextfile} { sub(/\r\$/, \"\"); if (length > 998) { print FILENAME; exit 1 } }' '$out'/drafts/*.eml | grep -q ."
ok "every output parses (libical, libetpan)" "$GR_VERIFY" "$out"/reminders/*.ics "$out"/drafts/*.eml
read -r rss nproc _ <"$T/rss"
diag "peak RSS summed over the poll's $nproc processes: $rss KiB (bound $RSS_BOUND_KB KiB)"
# A sanitizer build's RSS is mostly the sanitizer's (shadow memory).
if ldd "$GRAVITY" 2>/dev/null | grep -q -e libasan -e libubsan; then
	skip "summed peak RSS under the documented bound" "sanitizer build"
else
	ok "summed peak RSS under the documented bound" test "$rss" -lt "$RSS_BOUND_KB"
fi
done_testing
