#!/bin/sh
# End to end: gravity poll on a Maildir (the demo inbox), outputs checked
# with libical and libetpan (gr_verify), and a second poll writes nothing.
. "${top_srcdir:-.}/tests/cli/lib.sh"
mktmp
plan 16
box="$T/inbox"
cp -R "$top_srcdir/contrib/demo/inbox" "$box"
rules="$top_srcdir/contrib/demo/rules"
out="$T/out"
poll() { "$GRAVITY" poll --source "maildir:$box" --rules "$rules" --out "$out" --state "$T/state.db" "$@"; }

poll >"$T/run1.txt" 2>"$T/err1.txt"
check "first poll exits 0" 0 $?
diag "$(cat "$T/run1.txt" "$T/err1.txt")"
n_ics=$(ls "$out"/reminders/*.ics 2>/dev/null | wc -l)
n_eml=$(ls "$out"/drafts/*.eml 2>/dev/null | wc -l)
ok "reminders were written ($n_ics)" test "$n_ics" -ge 3
ok "drafts were written ($n_eml)" test "$n_eml" -ge 4
ok "every .ics parses with libical, every .eml with libetpan" \
	"$GR_VERIFY" "$out"/reminders/*.ics "$out"/drafts/*.eml
check "one log line per message" 8 "$(wc -l < "$out/log.jsonl")"
cls() { grep -F "\"source_id\":\"maildir:$(cd "$box" && pwd -P)/$1\"" "$out/log.jsonl" | sed -n 's/.*"class":"\([a-z_]*\)".*/\1/p'; }
check "newsletter is automated" automated "$(cls 1763410000.M5P100.demo)"
check "out-of-office is automated" automated "$(cls 1763420000.M6P100.demo)"
ok "no draft for automated mail" sh -c "! grep -l -e 'dw212.20261118060000' -e 'oof-77120' '$out'/drafts/*.eml"
ok "drafts and reminders are mode 0600" sh -c "[ -z \"\$(find '$out/reminders' '$out/drafts' -type f ! -perm 0600)\" ]"
ok "output directories are mode 0700" sh -c "[ -z \"\$(find '$out/reminders' '$out/drafts' -type d ! -perm 0700)\" ]"

before=$(cd "$out" && find reminders drafts -type f -exec sha256sum {} + | sort)
poll >"$T/run2.txt" 2>&1
check "second poll exits 0" 0 $?
after=$(cd "$out" && find reminders drafts -type f -exec sha256sum {} + | sort)
check "second poll writes nothing new" "$before" "$after"
check "second poll logs nothing new" 8 "$(wc -l < "$out/log.jsonl")"
ok "second poll says nothing is new" grep -q "0 new messages" "$T/run2.txt"

rm -rf "$T/dry"
"$GRAVITY" poll --source "maildir:$box" --rules "$rules" --out "$T/dry" --state "$T/dry.db" --dry-run >/dev/null 2>&1
ok "--dry-run writes no file" test ! -e "$T/dry" -a ! -e "$T/dry.db"

# A message on standard input (procmail/sieve pipe).
"$GRAVITY" poll --source - --rules "$rules" --out "$T/stdin" --state "$T/stdin.db" \
	< "$box/new/1763370000.M1P100.demo" >/dev/null 2>&1
ok "a message on stdin gets its reminder" sh -c "ls '$T'/stdin/reminders/*.ics >/dev/null 2>&1"
