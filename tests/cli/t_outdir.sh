#!/bin/sh
# One output directory, one owner.  A second poll on the same OUT, even
# with another state file, exits 75 at once with one clear line, and the
# first poll's temporary files and outputs are untouched.  OUT and its
# directories are made or tightened to 0700; a symbolic link in their place
# (OUT itself, OUT/drafts) or as OUT/log.jsonl is refused, and nothing is
# written through it.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
mktmp
plan 15
rules="$top_srcdir/contrib/demo/rules"
box="$T/box"
cp -R "$top_srcdir/contrib/demo/inbox" "$box"
sed 's/^Subject: .*/Subject: Quote please (HOLD-ME-9)/' \
	"$top_srcdir/contrib/demo/inbox/new/1763380000.M2P100.demo" >"$box/new/1763380000.M2P100.demo"
poll() {  # poll OUT STATE [ENV...]
	o=$1 db=$2; shift 2
	env "$@" "$GRAVITY" poll --source "maildir:$box" --rules "$rules" \
		--out "$o" --state "$db"
}
kids() { cat /proc/$1/task/*/children 2>/dev/null; }
descendants() { for k in $(kids "$1"); do echo "$k"; descendants "$k"; done; }

# --- 1. two states, one OUT ---------------------------------------------------
# The first poll is held on one message (a test hook) while the second
# starts with a state of its own and the same OUT.
poll "$T/out" "$T/a.db" GR_PARSER_HANG_ON=HOLD-ME-9 GR_PARSER_TIMEOUT=3 \
	>"$T/a.out" 2>"$T/a.err" &
apid=$!
held=""
for i in $(seq 1 400); do
	for w in $(descendants $apid); do
		[ "$(cat /proc/$w/comm 2>/dev/null)" = gravity-hang ] && held=$w
	done
	[ -n "$held" ] && break
	sleep 0.05
done
ok "the first poll is held on a message" test -n "$held"
t0=$(date +%s%N)
poll "$T/out" "$T/b.db" >"$T/b.out" 2>"$T/b.err"
rc=$?
t1=$(date +%s%N)
check "a second poll on the same OUT with another state exits 75" 75 "$rc"
ok "at once ($(( (t1 - t0) / 1000000 )) ms)" test $(( (t1 - t0) / 1000000 )) -lt 3000
ok "with one line naming the lock" sh -c "[ \$(wc -l <'$T/b.err') -eq 1 ] && grep -q 'another gravity poll is running on this output directory' '$T/b.err' && grep -q '.gravity.lock' '$T/b.err'"
ok "it recorded nothing" sh -c "[ ! -s '$T/b.db' ] || [ \"\$(sqlite3 '$T/b.db' 'SELECT count(*) FROM messages' 2>/dev/null)\" = 0 ]"
wait $apid
check "the first poll finishes normally" 0 $?
check "no temporary file left" 0 "$(find "$T/out" -name '*.tmp.*' | wc -l)"
check "every message of the first poll has its log line" "$(ls "$box/new" | wc -l)" "$(wc -l <"$T/out/log.jsonl")"
ok "its outputs parse" "$GR_VERIFY" "$T/out"/reminders/*.ics "$T/out"/drafts/*.eml "$T/out/gravity.ics"

# --- 2. modes and links ----------------------------------------------------------
mkdir -p "$T/open/reminders"
chmod 755 "$T/open" "$T/open/reminders"
poll "$T/open" "$T/open.db" >/dev/null 2>&1
check "an existing 0755 OUT and OUT/reminders are tightened to 0700" "700 700 700" \
	"$(stat -c %a "$T/open" "$T/open/reminders" "$T/open/drafts" | tr '\n' ' ' | sed 's/ $//')"
mkdir -p "$T/linked" "$T/elsewhere"
ln -s "$T/elsewhere" "$T/linked/drafts"
poll "$T/linked" "$T/linked.db" >/dev/null 2>"$T/linked.err"
check "a symlinked OUT/drafts is refused (74)" 74 $?
ok "in one line naming it" sh -c "[ \$(wc -l <'$T/linked.err') -eq 1 ] && grep -q 'linked/drafts: a symbolic link' '$T/linked.err'"
check "nothing is written through the link" "" "$(ls -A "$T/elsewhere")"
ln -s "$T/elsewhere" "$T/outlink"
poll "$T/outlink" "$T/outlink.db" >/dev/null 2>"$T/outlink.err"
rc=$?
ok "OUT itself a symlink: refused ($rc), nothing written" sh -c "[ $rc -eq 74 ] && grep -q 'outlink: a symbolic link' '$T/outlink.err' && [ -z \"\$(ls -A '$T/elsewhere')\" ]"
mkdir -p "$T/logl"
ln -s "$T/victim" "$T/logl/log.jsonl"
poll "$T/logl" "$T/logl.db" >/dev/null 2>"$T/logl.err"
ok "a symlinked OUT/log.jsonl is refused, its target not created" sh -c "grep -q 'log.jsonl: a symbolic link' '$T/logl.err' && [ ! -e '$T/victim' ]"
done_testing
