#!/bin/sh
# Terminal escapes: an encoded From name and Subject carrying ESC, OSC, C1
# CSI, CR and LF (a forged "decision: other" line) reach no terminal raw.
# Every command's text output goes through the one function the poll
# summary uses: explain, classify, referrals, poll, rules check, warnings.
. "${top_srcdir:-.}/tests/cli/lib.sh"
command -v base64 >/dev/null || { echo "1..0 # SKIP base64 is needed"; exit 0; }
mktmp
plan 14
rules="$top_srcdir/contrib/demo/rules"
# ESC ] 0 ; ... BEL (set the title), ESC [ 2 J (clear), CR LF and a forged
# line, U+009B (the one-byte CSI) and a right-to-left override.
evil=$(printf 'Priya\033]0;owned\007\033[2J\r\ndecision: other\302\2331m\342\200\256x' | base64 -w0)
box="$T/box"
mkdir -p "$box/new" "$box/cur" "$box/tmp"
sed -e "s/^From: Priya Nair/From: =?utf-8?B?$evil?=/" \
    -e "s/^Subject: .*/Subject: =?utf-8?B?$evil?=/" \
	"$top_srcdir/contrib/demo/inbox/new/1763380000.M2P100.demo" >"$box/new/1763380000.M2P100.demo"
msg="$box/new/1763380000.M2P100.demo"
# clean FILE: the file holds no control byte (other than LF), no C1
# control and no bidirectional override
CTL='[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]'
clean() { ! LC_ALL=C grep -qaP "$CTL" "$1"; }

"$GRAVITY" explain --rules "$rules" "$msg" >"$T/explain" 2>&1
ok "explain shows the message" grep -q '^subject: *Priya' "$T/explain"
ok "explain prints no control character" clean "$T/explain"
check "explain has one decision line, its own" 1 "$(grep -c '^decision:' "$T/explain")"
"$GRAVITY" classify --rules "$rules" "$msg" >"$T/classify" 2>&1
ok "classify prints the subject" grep -q 'Priya' "$T/classify"
ok "classify prints no control character" clean "$T/classify"
check "classify prints one line" 1 "$(wc -l <"$T/classify")"
"$GRAVITY" poll -v --source "maildir:$box" --rules "$rules" --out "$T/out" \
	--state "$T/state.db" >"$T/poll" 2>&1
ok "the poll summary shows the message" grep -q Priya "$T/poll"
ok "the poll summary prints no control character" clean "$T/poll"
ok "no forged line in the poll summary" sh -c "! grep -q '^decision: other' '$T/poll'"
"$GRAVITY" referrals --state "$T/state.db" >"$T/referrals" 2>&1
ok "referrals lists the introducer" grep -q 'Priya' "$T/referrals"
ok "referrals prints no control character" clean "$T/referrals"
ok "no forged line in referrals" sh -c "! grep -q '^decision: other' '$T/referrals'"
# A rule file with escapes in it: rules check quotes the bad line cleanly.
mkdir -p "$T/rules"
cp -r "$rules"/. "$T/rules/"
printf 'rule \033]0;owned\007\033[2J\r\ndecision: other\n' >"$T/rules/evil.rules"
"$GRAVITY" rules check --rules "$T/rules" >"$T/check" 2>&1
ok "rules check reports the file" grep -q 'evil.rules' "$T/check"
ok "rules check prints no control character" clean "$T/check"
done_testing
