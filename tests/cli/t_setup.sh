#!/bin/sh
# A new owner's setup without a mail server: paths as users write them
# ("~" and "$HOME" in every path key and in maildir:/mbox: source URIs, in
# the config and on the command line); errors that say what to do (an
# output directory that cannot be made) and --dry-run's counts.
. "${top_srcdir:-.}/tests/cli/lib.sh"
mktmp
plan 14
H="$T/home"
mkdir -p "$H/Mail" "$H/.config/gravity"
cp -R "$top_srcdir/contrib/demo/inbox" "$H/Mail/work"
cp -R "$top_srcdir/contrib/demo/rules" "$H/.config/gravity/rules"
HOME=$H; export HOME
unset XDG_CONFIG_HOME XDG_STATE_HOME XDG_DATA_HOME

# --- paths as users write them ------------------------------------------------
cat >"$H/.config/gravity/config" <<'EOF'
rules-dir ~/.config/gravity/rules
out-dir ~/gravity
state $HOME/.local/state/gravity/state.db
account work
	source maildir:~/Mail/work
EOF
"$GRAVITY" poll >"$T/p1.txt" 2>&1
check "poll with '~' and \$HOME in the config exits 0" 0 $?
diag "$(cat "$T/p1.txt")"
ok "... read the Maildir named maildir:~/Mail/work" grep -q "gravity: 8 new messages" "$T/p1.txt"
ok "... wrote under ~/gravity" test -s "$H/gravity/log.jsonl"
ok "... kept its state under \$HOME" test -s "$H/.local/state/gravity/state.db"
"$GRAVITY" poll --source 'maildir:~/Mail/work' --rules '~/.config/gravity/rules' \
	--out "$T/o2" --state "$T/s2.db" >"$T/p2.txt" 2>&1
check "--source 'maildir:~/...' on the command line exits 0" 0 $?
ok "... and reads the same 8 messages" grep -q "gravity: 8 new messages" "$T/p2.txt"
check "classify 'maildir:\$HOME/...' classifies all 8" 8 \
	"$("$GRAVITY" classify --rules "$H/.config/gravity/rules" 'maildir:$HOME/Mail/work' | wc -l)"

# --- errors that say what to do -------------------------------------------------
touch "$T/afile"
"$GRAVITY" poll --source 'maildir:~/Mail/work' --rules "$H/.config/gravity/rules" \
	--out "$T/afile/out" --state "$T/s3.db" >"$T/p3.txt" 2>"$T/e3.txt"
check "an output directory that cannot be made: EX_IOERR, one line" "74 1" "$? $(wc -l < "$T/e3.txt")"
ok "... naming it and what to do" grep -q "output directory $T/afile/out cannot be created or written (.*Not a directory).*out-dir in the config or --out" "$T/e3.txt"
ok "... and no summary after it" test ! -s "$T/p3.txt"
check "nothing was recorded" "" "$(ls "$T"/s3.db 2>/dev/null)"
"$GRAVITY" poll --source 'maildir:~/Mail/work' --rules "$H/.config/gravity/rules" \
	--out "$T/o4" --state "$T/s4.db" --dry-run >"$T/p4.txt" 2>&1
check "--dry-run exits 0" 0 $?
ok "--dry-run counts what it would write" grep -Eq "would write [1-9][0-9]* reminders?, [1-9][0-9]* drafts?" "$T/p4.txt"
diag "$(tail -n 1 "$T/p4.txt")"
ok "... and writes nothing" test ! -e "$T/o4" -a ! -e "$T/s4.db"
done_testing
