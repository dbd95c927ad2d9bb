#!/bin/sh
# Faults: a full disk for OUT (a 1 MiB tmpfs when root, else
# RLIMIT_FSIZE), an unwritable state file (chattr +i when root, else
# chmod 000 as a user), a corrupt state database.  Each gives one clear
# error line and a sysexits code, loses nothing already recorded, and the
# next poll after the fault is cleared completes the work: the outputs are
# then exactly those of a poll that met no fault.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is needed"; exit 0; }
mktmp
trap 'umount "$T/full" 2>/dev/null; chattr -i "$T/ro.db" 2>/dev/null; rm -rf "$T"' EXIT
plan 14
GRAVITY_NOW=1718010000; export GRAVITY_NOW
box="$T/box"
python3 "$top_srcdir/tests/servers/crashmail.py" "$box" 400
poll() {  # poll OUT STATE
	"$GRAVITY" poll --source "maildir:$box" --rules "$top_srcdir/contrib/demo/rules" \
		--out "$1" --state "$2" >/dev/null 2>"$T/err"
}
sysexit() { [ "$1" -ge 64 ] && [ "$1" -le 78 ]; }
poll "$T/ref" "$T/ref.db"
out_sums "$T/ref" >"$T/ref.sum"
root=0; [ "$(id -u)" -eq 0 ] && root=1

# --- 1. full disk for OUT ------------------------------------------------
o="$T/full"; mkdir -p "$o"
how=""
if [ $root -eq 1 ] && mount -t tmpfs -o size=1m,mode=0700 gravity-test "$o" 2>/dev/null; then
	how=tmpfs
	poll "$o" "$T/full.db"; rc=$?
else
	how=fsize
	(trap '' XFSZ; ulimit -f 512; poll "$o" "$T/full.db"); rc=$?
fi
diag "full disk ($how): exit $rc: $(cat "$T/err")"
ok "full disk: the poll stops with a sysexits code ($rc)" sysexit "$rc"
ok "full disk: one clear error line" sh -c "[ \$(wc -l < '$T/err') -eq 1 ] && grep -qiE 'space|too large|quota' '$T/err'"
rec=$(sqlite3 "$T/full.db" 'SELECT relpath FROM outputs' 2>/dev/null | sort)
miss=""
for f in $rec; do [ -s "$o/$f" ] || miss="$miss $f"; done
check "full disk: every output recorded in the state is on disk" "" "$miss"
if [ "$how" = tmpfs ]; then mount -o remount,size=64m "$o"; fi
poll "$o" "$T/full.db"; rc=$?
check "full disk cleared: the next poll exits 0" 0 "$rc"
out_sums "$o" | cmp -s - "$T/ref.sum"; check "full disk cleared: outputs identical to the reference" 0 $?
[ "$how" = tmpfs ] && umount "$o"

# --- 2. unwritable state file --------------------------------------------
o="$T/ro"; db="$T/ro.db"
python3 - "$box" <<'PY'
import os, sys
# hold back the second half of the mail for the poll after the fault
box = sys.argv[1]; os.makedirs(box + "/held", exist_ok=True)
for n in sorted(os.listdir(box + "/new"))[200:]:
    os.rename(box + "/new/" + n, box + "/held/" + n)
PY
poll "$o" "$db"
n1=$(sqlite3 "$db" 'SELECT count(*) FROM messages')
for n in "$box"/held/*; do mv "$n" "$box/new/"; done
how=""
if [ $root -eq 1 ] && chattr +i "$db" 2>/dev/null; then how="chattr +i"
elif [ $root -eq 0 ]; then chmod 000 "$db"; how="chmod 000"; fi
if [ -n "$how" ]; then
	poll "$o" "$db"; rc=$?
	diag "unwritable state ($how): exit $rc: $(cat "$T/err")"
	ok "unwritable state: a sysexits code ($rc)" sysexit "$rc"
	ok "unwritable state: one clear error line naming the state file" \
		sh -c "[ \$(wc -l < '$T/err') -eq 1 ] && grep -qF '$db' '$T/err'"
	[ "$how" = "chattr +i" ] && chattr -i "$db" || chmod 600 "$db"
	check "unwritable state: nothing recorded was lost" "$n1" "$(sqlite3 "$db" 'SELECT count(*) FROM messages')"
	poll "$o" "$db"
	check "unwritable state cleared: the next poll exits 0" 0 $?
	out_sums "$o" | cmp -s - "$T/ref.sum"
	check "unwritable state cleared: outputs identical to the reference" 0 $?
else
	for i in 1 2 3 4 5; do skip "unwritable state" "chattr +i is not supported here"; done
fi

# --- 3. corrupt state database -------------------------------------------
o="$T/bad"; db="$T/bad.db"
head -c 65536 /dev/urandom >"$db"
poll "$o" "$db"; rc=$?
diag "corrupt state: exit $rc: $(cat "$T/err")"
ok "corrupt state: a sysexits code ($rc)" sysexit "$rc"
ok "corrupt state: one clear error line naming the state file" \
	sh -c "[ \$(wc -l < '$T/err') -eq 1 ] && grep -qF '$db' '$T/err'"
ok "corrupt state: nothing written" test ! -e "$o/reminders" -o -z "$(ls "$o/reminders" 2>/dev/null)"
mv "$db" "$db.corrupt"
poll "$o" "$db"
check "corrupt state moved aside: the next poll completes with the same outputs" \
	"0 $(cat "$T/ref.sum" | sha256sum)" "$? $(out_sums "$o" | sha256sum)"
done_testing
