#!/bin/sh
# No fictional owner, and a setup error never consumes mail: the shipped
# default rules hold no owner, partners or services; poll and rules check
# refuse without the owner's profile (name, email, timezone, hours) with one
# line naming the file to write (exit 78), reading nothing; missing services
# or partners are a warning; a per-message error that comes from the setup
# stops the poll before that message is recorded, and the poll after the
# fix reads it.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
mktmp
plan 33
shipped="$top_srcdir/rules"
demo="$top_srcdir/contrib/demo/rules"
box="$T/inbox"
cp -R "$top_srcdir/contrib/demo/inbox" "$box"
# No config file anywhere: only what the command line says.
XDG_CONFIG_HOME="$T/config"; export XDG_CONFIG_HOME
HOME="$T/home"; export HOME
lines() { wc -l < "$1" | tr -d ' '; }

# --- the shipped defaults: no owner ----------------------------------------
ok "the default rules ship no profile, services or partners" \
	test ! -e "$shipped/profile" -a ! -e "$shipped/services" -a ! -e "$shipped/partners"
ok "... and no address of anyone" sh -c "! grep -rlE '^[^#]*[a-z0-9.]+@[a-z0-9.-]+\.[a-z]+' '$shipped'"

# A poll of an IMAP server that is not there: reaching the server would be
# EX_TEMPFAIL; the profile check comes first.
src="imap://someone@127.0.0.1:1/INBOX"
"$GRAVITY" poll --source "$src" --password-env NOPE --out "$T/out0" \
	--state "$T/s0.db" >"$T/o.txt" 2>"$T/e.txt"
check "poll without a profile: exit 78" 78 $?
check "... one line" 1 "$(lines "$T/e.txt")"
ok "... naming the file to write (beside the config, where init puts it)" \
	grep -qF "write $T/config/gravity/rules/profile" "$T/e.txt"
ok "... and what it needs" grep -q "name, email, timezone and hours" "$T/e.txt"
ok "... nothing was read or recorded" \
	test ! -e "$T/out0" -a ! -e "$T/s0.db" -a ! -s "$T/o.txt"

# --- a user directory with services and partners but no profile ------------
mkdir -p "$T/nop"
cp "$demo/services" "$demo/partners" "$T/nop/"
"$GRAVITY" poll --source "maildir:$box" --rules "$T/nop" --out "$T/out1" \
	--state "$T/s1.db" >"$T/o.txt" 2>"$T/e.txt"
check "profile missing from the rules directory: exit 78" 78 $?
check "... one line" 1 "$(lines "$T/e.txt")"
ok "... naming DIR/profile" grep -qF "write $T/nop/profile" "$T/e.txt"
ok "... nothing recorded" test ! -e "$T/out1" -a ! -e "$T/s1.db"
"$GRAVITY" rules check --rules "$T/nop" >"$T/o.txt" 2>"$T/e.txt"
check "rules check says the same: exit 78" 78 $?
ok "... the same line, no 'rules OK'" sh -c "grep -qF 'write $T/nop/profile' '$T/e.txt' && ! grep -q 'rules OK' '$T/o.txt'"

# --- a profile without hours -------------------------------------------------
mkdir -p "$T/noh"
grep -v '^hours' "$demo/profile" > "$T/noh/profile"
cp "$demo/services" "$demo/partners" "$T/noh/"
"$GRAVITY" rules check --rules "$T/noh" >"$T/o.txt" 2>"$T/e.txt"
check "rules check: a profile without hours: exit 78" 78 $?
ok "... names the file and 'hours'" grep -qF "$T/noh/profile: the owner's profile has no hours" "$T/e.txt"
"$GRAVITY" poll --source "maildir:$box" --rules "$T/noh" --out "$T/out2" \
	--state "$T/s2.db" >"$T/o.txt" 2>"$T/e.txt"
check "poll: the same, exit 78" 78 $?
check "... one line, nothing recorded" "1 no" \
	"$(lines "$T/e.txt") $(test -e "$T/s2.db" && echo yes || echo no)"

# --- a profile alone: services and partners are a warning ------------------
mkdir -p "$T/only"
cp "$demo/profile" "$T/only/"
"$GRAVITY" rules check --rules "$T/only" >"$T/o.txt" 2>"$T/e.txt"
check "rules check with a profile alone: exit 0" 0 $?
check "... two warnings" 2 "$(grep -c '^gravity: warning: no \(services\|partners\):' "$T/e.txt")"
ok "... naming the files to write" sh -c "grep -qF '$T/only/services' '$T/e.txt' && grep -qF '$T/only/partners' '$T/e.txt'"
"$GRAVITY" poll --source "maildir:$box" --rules "$T/only" --out "$T/out3" \
	--state "$T/s3.db" >"$T/o.txt" 2>"$T/e.txt"
check "poll with a profile alone: exit 0" 0 $?
ok "... nothing out of scope without services" sh -c "! grep -q '\"class\":\"out_of_scope\"' '$T/out3/log.jsonl'"
ok "... drafts are signed by the owner of the profile" \
	sh -c "grep -l '^From: Sam Rivera <sam@riverastudio.example>' '$T'/out3/drafts/*.eml >/dev/null"
"$GRAVITY" rules check --rules "$demo" >"$T/o.txt" 2>"$T/e.txt"
check "the demo owner's rules check without a warning" "0 0" "$? $(lines "$T/e.txt")"

# --- a setup error met on a message: nothing consumed -----------------------
# Open on Saturdays only, and every Saturday of the next ten years a
# holiday: the rules load, but no reminder can be given a due time.
now=1763500000         # Tue 18 Nov 2026
mkdir -p "$T/hol"
cp "$demo/services" "$demo/partners" "$T/hol/"
{ grep -v -e '^hours' -e '^holiday' "$demo/profile"; echo "hours sat 09:00-17:00"
  i=0; while [ $i -lt 530 ]; do
	printf 'holiday %s\n' "$(date -u -d "@$((now + 345600 + i * 604800))" +%F)"
	i=$((i + 1)); done; } > "$T/hol/profile"
"$GRAVITY" rules check --rules "$T/hol" >/dev/null 2>&1
check "a Saturday-only owner on holiday for ten years passes rules check" 0 $?
GRAVITY_NOW=$now "$GRAVITY" poll --source "maildir:$box" --rules "$T/hol" \
	--out "$T/out4" --state "$T/s4.db" >"$T/o.txt" 2>"$T/e.txt"
check "poll: a setup error on a message stops it with exit 78" 78 $?
check "... one line" 1 "$(lines "$T/e.txt")"
ok "... saying what is wrong and that nothing was recorded" \
	sh -c "grep -q 'profile: no open business hour' '$T/e.txt' && grep -q 'not recorded' '$T/e.txt'"
ok "... no 'skipped' line, no '0 new messages' summary" \
	sh -c "! grep -q skipped '$T/e.txt' && ! grep -q 'new message' '$T/o.txt'"
check "... and no message recorded failed" 0 \
	"$(sqlite3 "$T/s4.db" "SELECT count(*) FROM messages WHERE status != 'ok'")"
# The owner fixes the profile: the next poll reads every message.
{ grep -v -e '^hours' "$T/hol/profile"; echo "hours mon-fri 09:00-17:00"; } > "$T/hol/p2"
mv "$T/hol/p2" "$T/hol/profile"
GRAVITY_NOW=$now "$GRAVITY" poll --source "maildir:$box" --rules "$T/hol" \
	--out "$T/out4" --state "$T/s4.db" >"$T/o.txt" 2>"$T/e.txt"
check "after the fix the poll exits 0" 0 $?
check "... and reads all 8 messages" 8 "$(sqlite3 "$T/s4.db" "SELECT count(*) FROM messages WHERE status = 'ok'")"
n_ics=$(ls "$T"/out4/reminders/*.ics 2>/dev/null | wc -l)
ok "... with their reminders ($n_ics)" test "$n_ics" -ge 3
done_testing
