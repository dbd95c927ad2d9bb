#!/bin/bash
# Scheduling that cannot fail silently: "make install" (into a prefix of
# this test's own) writes the systemd user units, the template units
# gravity@.service/gravity@.timer and the crontab lines with gravity's
# installed path; systemd-analyze verify passes on the installed units;
# a crontab line run as cron runs it (its bare PATH, its HOME) appends the
# poll's error to the log file it names; "make uninstall" removes them.
. "${top_srcdir:-.}/tests/cli/lib.sh"
: "${top_builddir:?}"
command -v make >/dev/null 2>&1 || { echo "1..0 # SKIP make not installed"; exit 0; }
mktmp
plan 14
P="$T/prefix"
U="$P/lib/systemd/user"
# This make is not part of the one running the tests.
unset MAKEFLAGS MFLAGS MAKELEVEL
make -s -C "$top_builddir" install prefix="$P" >"$T/install.log" 2>&1
check "make install prefix=... exits 0" 0 $?
diag "$(tail -n 3 "$T/install.log")"
check "it installs the four units" \
	"gravity.service gravity.timer gravity@.service gravity@.timer" \
	"$(cd "$U" 2>/dev/null && ls gravity.service gravity.timer gravity@.service gravity@.timer | tr '\n' ' ' | sed 's/ $//')"
ok "gravity.service runs the installed gravity by its full path" \
	grep -qx "ExecStart=$P/bin/gravity poll" "$U/gravity.service"
ok "gravity@.service polls the account named by the instance" \
	grep -qx "ExecStart=$P/bin/gravity poll --account %i" "$U/gravity@.service"
ok "... and its output goes to the journal" sh -c \
	"grep -qx 'StandardError=journal' '$U/gravity@.service' && grep -qx 'StandardError=journal' '$U/gravity.service'"
ok "no @placeholder@ is left in what was installed" sh -c \
	"! grep -rq '@[a-z]*@' '$U' '$P/share/gravity/gravity.cron'"
cron="$P/share/gravity/gravity.cron"
check "the crontab has three lines, each with the full path and a log file" 3 \
	"$(grep -v '^#' "$cron" | grep -c "$P/bin/gravity poll --quiet >>\"\$HOME/.local/state/gravity/cron.log\" 2>&1$")"

# A crontab line as cron runs it: /bin/sh -c, PATH=/usr/bin:/bin, HOME.
# No config: the poll fails, and says why in the log file.
line=$(grep -v '^#' "$cron" | head -n 1 | sed -E 's/^([^ ]+ +){5}//')
mkdir -p "$T/home"
env -i HOME="$T/home" PATH=/usr/bin:/bin LOGNAME=test SHELL=/bin/sh \
	GRAVITY_DEFAULT_RULES="${GRAVITY_DEFAULT_RULES:-}" /bin/sh -c "$line"
check "the crontab line's poll fails without a config (EX_USAGE)" 64 $?
ok "... and its error is in the log file the line names" \
	grep -q "^gravity: no source: .*gravity init" "$T/home/.local/state/gravity/cron.log"

if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$T/run"
	man=--man=no
	command -v man >/dev/null 2>&1 && man=--man=yes
	XDG_RUNTIME_DIR="$T/run" MANPATH="$P/share/man" systemd-analyze verify --user $man \
		"$U/gravity.service" "$U/gravity.timer" >"$T/v1.txt" 2>&1
	check "systemd-analyze verify passes on gravity.service and gravity.timer ($man)" "0 " \
		"$? $(cat "$T/v1.txt")"
	XDG_RUNTIME_DIR="$T/run" MANPATH="$P/share/man" systemd-analyze verify --user $man \
		"$U/gravity@.service" "$U/gravity@.timer" >"$T/v2.txt" 2>&1
	check "... and on the template units" "0 " "$? $(cat "$T/v2.txt")"
	# A unit that names gravity without its path is what systemd rejects.
	sed "s|^ExecStart=.*|ExecStart=gravity-not-installed poll|" "$U/gravity.service" >"$T/bad.service"
	XDG_RUNTIME_DIR="$T/run" systemd-analyze verify --user --man=no "$T/bad.service" >/dev/null 2>&1
	ok "(verify does fail a unit whose command is not there)" test $? -ne 0
else
	for i in 1 2 3; do skip "systemd-analyze verify" "systemd-analyze not installed"; done
fi

make -s -C "$top_builddir" uninstall prefix="$P" >"$T/uninstall.log" 2>&1
check "make uninstall exits 0" 0 $?
check "... and removes the units and the crontab file" "" \
	"$(ls "$U" 2>/dev/null; ls "$cron" 2>/dev/null)"
done_testing
