#!/bin/sh
# A new owner's setup without a mail server: paths as users write them
# ("~" and "$HOME" in every path key and in maildir:/mbox: source URIs, in
# the config and on the command line); errors that say what to do (an
# output directory that cannot be made) and --dry-run's counts; gravity
# init with flags, on a non-terminal and on a (pseudo-)terminal, never
# overwriting a file.
. "${top_srcdir:-.}/tests/cli/lib.sh"
mktmp
plan 58
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

# --- one configuration for every command ------------------------------------------
# An override in the user's rules (named only by the config's rules-dir)
# must be seen by rules check, classify, explain, eval and poll alike.
printf 'sender hello@crumbandcoal.example always cold_pitch\n' \
	>"$H/.config/gravity/rules/overrides"
"$GRAVITY" rules check >"$T/rc0.txt" 2>&1
ok "rules check reads the config's rules-dir" \
	grep -q "rules OK: .* + $H/.config/gravity/rules" "$T/rc0.txt"
msg1="$H/Mail/work/new/1763370000.M1P100.demo"
check "classify reads it" cold_pitch "$("$GRAVITY" classify "$msg1" | awk '{print $1}')"
ok "explain reads it (and shows the override)" sh -c \
	"'$GRAVITY' explain '$msg1' | grep -q 'override: .*overrides:1'"
"$GRAVITY" explain "$H/Mail/work/new/1763380000.M2P100.demo" >"$T/x2.txt" 2>&1
ok "explain shows the text a rule matched" grep -q "^      matched: \"I'd like to introduce\"" "$T/x2.txt"
"$GRAVITY" explain "$H/Mail/work/new/1763390000.M3P100.demo" >"$T/x3.txt" 2>&1
ok "... and, out of scope, the services phrase that decided it and the file to change" \
	grep -q "the scope came from the services phrase \"photographer\" of refer photography: change its phrases in $H/.config/gravity/rules/services" "$T/x3.txt"
printf '%s\tinquiry\n' "$msg1" >"$T/labels.tsv"
ok "eval reads it" sh -c "'$GRAVITY' eval '$T/labels.tsv' | grep -q 'labelled inquiry, got cold_pitch'"
"$GRAVITY" poll --source "maildir:$H/Mail/work" --out "$T/o5" --state "$T/s5.db" -q >/dev/null 2>&1
check "poll --source reads it too" cold_pitch \
	"$(grep -F 1763370000.M1P100.demo "$T/o5/log.jsonl" | sed -n 's/.*"class":"\([a-z_]*\)".*/\1/p')"
printf 'rules-dir %s\n' "$top_srcdir/contrib/demo/rules" >"$T/other.conf"
check "--config names another config, for all of them" inquiry \
	"$("$GRAVITY" classify --config "$T/other.conf" "$msg1" | awk '{print $1}')"
rm "$H/.config/gravity/rules/overrides"

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

# --- files in the wrong place ------------------------------------------------------
HOME="$T/w"; export HOME
mkdir -p "$HOME/.gravity" "$HOME/.config/gravity/rules"
cp "$top_srcdir/contrib/demo/rules/profile" "$HOME/.config/gravity/rules/"
printf 'account work\n\tsource maildir:%s\n' "$H/Mail/work" >"$HOME/.gravity/config"
"$GRAVITY" poll >"$T/w1.txt" 2>&1
check "a config in ~/.gravity/config: poll says so in one line (EX_USAGE)" "64 1" "$? $(wc -l <"$T/w1.txt")"
ok "... naming the file gravity reads and the one it found" \
	grep -qF "the config file is $HOME/.config/gravity/config, and $HOME/.gravity/config is not read: move it there" "$T/w1.txt"
mv "$HOME/.gravity/config" "$HOME/.config/gravity/config"
"$GRAVITY" poll --out "$T/wo" --state "$T/ws.db" >"$T/w2.txt" 2>&1
check "the profile where init puts it, but no rules-dir in the config: EX_CONFIG, one line" "78 1" "$? $(wc -l <"$T/w2.txt")"
ok "... saying which line to add" \
	grep -qF "$HOME/.config/gravity/rules/profile is not read, as no rules directory is named: add 'rules-dir $HOME/.config/gravity/rules' to the config" "$T/w2.txt"
echo 'rules-dir ~/.config/gravity/rules' >>"$HOME/.config/gravity/config"
mv "$HOME/.config/gravity/rules/profile" "$HOME/.config/gravity/profile"
"$GRAVITY" rules check >"$T/w3.txt" 2>&1
check "the profile one directory up: EX_CONFIG, one line" "78 1" "$? $(wc -l <"$T/w3.txt")"
ok "... saying where to move it" \
	grep -qF "$HOME/.config/gravity/profile is not read; gravity reads $HOME/.config/gravity/rules/profile: move it there" "$T/w3.txt"
mv "$HOME/.config/gravity/profile" "$HOME/.config/gravity/rules/profile"
"$GRAVITY" poll --out "$T/wo" --state "$T/ws.db" >"$T/w4.txt" 2>&1
check "moved where it belongs, the poll runs" 0 $?
# A password command that fails: which key, where, and what to do.
printf 'account imap\n\tsource imaps://u@127.0.0.1:1/INBOX\n\tpasscmd "gravity-no-such-command"\n' \
	>"$T/pw.conf"
"$GRAVITY" folders --config "$T/pw.conf" >"$T/pw.txt" 2>"$T/pw.err"
check "a passcmd that is not there: EX_NOPERM" 77 $?
ok "... gravity's line names the key, its line, 'command not found' and what to do" \
	grep -q "^gravity: passcmd ($T/pw.conf:3): the command failed (exit 127: command not found); run it in a shell" "$T/pw.err"
check "... and is the only line of its own" 1 "$(grep -c '^gravity:' "$T/pw.err")"

# --- gravity init -----------------------------------------------------------------
HOME="$T/h2"; export HOME
mkdir -p "$HOME"
cfg="$HOME/.config/gravity/config"
udir="$HOME/.config/gravity/rules"
"$GRAVITY" init --non-interactive --name "Hannah Berger" --email hannah@example.com \
	--timezone Europe/Berlin --hours "mon-fri 09:00-17:00" \
	--imap-host 127.0.0.1 --imap-user hannah@example.com \
	--passcmd "pass show mail/work" >"$T/i1.txt" 2>&1
check "init --non-interactive exits 0" 0 $?
check "it writes the config and four files in the rules directory" 5 "$(grep -c '^wrote ' "$T/i1.txt")"
ok "rules-dir is active in the config" grep -q "^rules-dir ~/.config/gravity/rules$" "$cfg"
ok "the account's source and passcmd come from the flags" sh -c \
	"grep -q '^	source imaps://hannah@example.com@127.0.0.1/INBOX$' '$cfg' && grep -q '^	passcmd \"pass show mail/work\"' '$cfg'"
ok "the profile holds the owner, not an example" sh -c \
	"grep -q '^name \"Hannah Berger\"' '$udir/profile' && grep -q '^email hannah@example.com ' '$udir/profile' && grep -q '^timezone Europe/Berlin ' '$udir/profile' && grep -q '^hours mon-fri 09:00-17:00 ' '$udir/profile'"
ok "services and partners are commented stubs" sh -c \
	"! grep -qv '^#' '$udir/services' && ! grep -qv '^#' '$udir/partners' && grep -q '^#offer' '$udir/services'"
# (it runs the passcmd, then connects: either says where it got)
ok "the config it wrote loads (gravity folders gets to the account's login)" sh -c \
	"'$GRAVITY' folders 2>&1 | grep -Eq '127.0.0.1:993|passcmd \\($cfg:[0-9]+\\)'"
"$GRAVITY" rules check --rules "$udir" >"$T/rc.txt" 2>&1
check "rules check passes on what init wrote" 0 $?
sums=$(sha256sum "$cfg" "$udir"/*)
"$GRAVITY" init --non-interactive --name "Someone Else" >"$T/i2.txt" 2>&1
check "a second init keeps every file" "0 5" "$? $(grep -c '^kept ' "$T/i2.txt")"
check "... byte for byte" "$sums" "$(sha256sum "$cfg" "$udir"/*)"
"$GRAVITY" init --non-interactive --timezone Mars/Olympus_Mons --config "$T/x/config" >"$T/i3.txt" 2>&1
check "a time zone the system does not know: EX_USAGE, nothing written" "64 no" \
	"$? $(test -e "$T/x" && echo yes || echo no)"
# Hours as people write them: what init takes, the profile takes.
"$GRAVITY" init --non-interactive --name "Ana Lopes" --email ana@lopes.example \
	--timezone Europe/Lisbon --hours "mon-fri 9:00-12:30,14:00-18:00" \
	--imap-host imap.lopes.example:143 --passcmd "pass show ana" \
	--config "$T/h5/config" >"$T/i5.txt" 2>&1
check "init --hours with H:MM and a lunch break exits 0" 0 $?
"$GRAVITY" rules check --config "$T/h5/config" >"$T/rc5.txt" 2>&1
check "... and the profile it wrote passes rules check" 0 $?
diag "$(cat "$T/rc5.txt")"
ok "... an --imap-host on port 143 gets imap:// (STARTTLS)" \
	grep -q '^	source imap://imap.lopes.example:143/INBOX$' "$T/h5/config"
"$GRAVITY" init --non-interactive --hours "mon-fri 09:00-12:00,11:00-13:00" --config "$T/h6/config" >/dev/null 2>&1
check "hours that overlap: EX_USAGE, nothing written" "64 no" "$? $(test -e "$T/h6" && echo yes || echo no)"
"$GRAVITY" init --non-interactive --hours "lun-ven 9h-17h" --config "$T/h6/config" >"$T/i6.txt" 2>&1
check "hours in another language: EX_USAGE, one line with an example" "64 1" \
	"$? $(grep -c "^gravity: --hours 'lun-ven 9h-17h': write days and a span, such as 'mon-fri 09:00-17:00'" "$T/i6.txt")"
"$GRAVITY" init --non-interactive --timezone toronto --config "$T/h7/config" >"$T/i7.txt" 2>&1
check "--timezone toronto: EX_USAGE, one line" "64 1" "$? $(wc -l <"$T/i7.txt")"
ok "... asking whether America/Toronto was meant" grep -q "did you mean --timezone America/Toronto?" "$T/i7.txt"
mkdir -p "$T/tz"; sed 's|^timezone .*|timezone America/Toronot|' "$top_srcdir/contrib/demo/rules/profile" >"$T/tz/profile"
"$GRAVITY" rules check --rules "$T/tz" >"$T/tz.txt" 2>&1
ok "a profile's mistyped zone: rules check asks whether America/Toronto was meant" \
	grep -q "profile:[0-9]*:10: error: unknown time zone 'America/Toronot': did you mean America/Toronto?" "$T/tz.txt"
# on a non-terminal, without --non-interactive, it asks nothing
"$GRAVITY" init --config "$T/h3/config" </dev/null >"$T/i4.txt" 2>&1
check "init on a non-terminal asks nothing and exits 0" 0 $?
ok "... the account and profile are left as commented examples" sh -c \
	"grep -q '^#account work' '$T/h3/config' && grep -q '^#name ' '$T/h3/rules/profile'"
# on a terminal it asks (a pseudo-terminal drives it)
PY=$(command -v /usr/bin/python3 || command -v python3)
if [ -n "$PY" ]; then
	$PY - "$GRAVITY" "$T/h4/config" >"$T/pty.txt" 2>&1 <<'PY'
import os, pty, sys, time, select
gravity, cfg = sys.argv[1], sys.argv[2]
answers = [("Your name", "Ines Duarte"),
           ("Your email address", "ines@duarte.example"),
           ("Your time zone", "lisboa"),          # refused, with a guess
           ("Your time zone", "Europe/Lisbon"),
           ("Your business hours", ""),          # the default
           ("Your IMAP server", "mail.duarte.example:1993"),
           ("Your IMAP login", ""),              # the address
           ("A command that prints", "pass show ines")]
pid, fd = pty.fork()
if pid == 0:
    os.execv(gravity, [gravity, "init", "--config", cfg])
out, i, deadline = b"", 0, time.time() + 20
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.5)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    if i < len(answers) and answers[i][0].encode() in out.split(b"\n")[-1]:
        os.write(fd, answers[i][1].encode() + b"\r")
        i += 1
# A question asked again (an answer refused) would wait forever: end it.
r = os.waitpid(pid, os.WNOHANG)
if r == (0, 0):
    time.sleep(1)
    r = os.waitpid(pid, os.WNOHANG)
    if r == (0, 0):
        os.kill(pid, 9)
        r = os.waitpid(pid, 0)
status = r[1]
sys.stdout.write(out.decode(errors="replace"))
print("\nEXIT %d ASKED %d" % (os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1, i))
PY
	ok "init on a terminal asks seven questions (one twice) and exits 0" grep -q "EXIT 0 ASKED 8" "$T/pty.txt"
	ok "... a zone it does not know is asked again, with a guess" grep -q "did you mean Europe/Lisbon?" "$T/pty.txt"
	ok "... the time zone question offers the system's zone" grep -q "Your time zone \[.*/.*\]:" "$T/pty.txt"
	ok "... the answers are in the profile, the default hours too" sh -c \
		"grep -q '^name \"Ines Duarte\"' '$T/h4/rules/profile' && grep -q '^timezone Europe/Lisbon ' '$T/h4/rules/profile' && grep -q '^hours mon-fri 09:00-17:00 ' '$T/h4/rules/profile'"
	ok "... and the login defaults to the address (the server on a port of its own)" \
		grep -q '^	source imaps://ines@duarte.example@mail.duarte.example:1993/INBOX$' "$T/h4/config"
else
	for i in 1 2 3 4 5; do skip "init on a terminal" "no python3 for a pseudo-terminal"; done
fi
done_testing
