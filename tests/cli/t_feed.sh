#!/bin/sh
# The combined feed OUT/gravity.ics and the cost of a poll that finds
# nothing new: the feed is rewritten exactly when what it shows
# changed (a reminder added or closed, a done one leaving the keep-done
# window, the file gone), never otherwise; the output directories are
# scanned for stale temporary files only after a poll that died.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
mktmp
plan 16
data="$top_srcdir/tests/data/lifecycle"
rules="$top_srcdir/contrib/demo/rules"
box="$T/inbox"; out="$T/out"; db="$T/state.db"
mkdir -p "$box/new" "$box/cur" "$box/tmp"
cp "$top_srcdir"/contrib/demo/inbox/new/* "$box/new/"
cp "$data/answered-inquiry.eml" "$box/new/1763395000.M9P1.test"
poll() {  # poll NOW
	GRAVITY_NOW=$1 "$GRAVITY" poll --source "maildir:$box" --rules "$rules" \
		--out "$out" --state "$db" -q >>"$T/polls.txt" 2>&1
}
inode() { stat -c %i "$out/gravity.ics"; }
uid_in_feed() { tr -d '\r' <"$out/gravity.ics" | grep -c "^UID:$1\$"; }
lena_mid=20261116171244.4411@crumbandcoal.example
t0=1794870000   # Mon 16 Nov 2026 23:00Z

poll $t0; check "first poll exits 0" 0 $?
ok "the feed is written" test -s "$out/gravity.ics"
ok "the feed parses with libical" "$GR_VERIFY" "$out/gravity.ics"
check "the feed holds every reminder file" \
	"$(cat "$out"/reminders/*.ics | grep -c '^BEGIN:VEVENT')" \
	"$(grep -c '^BEGIN:VEVENT' "$out/gravity.ics")"
i1=$(inode)
poll $t0; check "a poll with nothing new exits 0" 0 $?
check "... and leaves the feed as it was (not rewritten)" "$i1" "$(inode)"
rm -f "$out/gravity.ics"
poll $t0
ok "a deleted feed is written again" test -s "$out/gravity.ics"

# The owner answers: the reminder is closed, the feed rewritten.
rem=$(grep -l -F "$lena_mid" "$out"/reminders/*-reply.ics | head -1)
uid=$(grep -m1 '^UID:' "$rem" | tr -d '\r' | sed 's/^UID://')
i2=$(inode)
cp "$data/owner-reply.eml" "$box/new/1763400001.M1P1.test"
t1=1794945600   # Tue 17 Nov 20:00Z
poll $t1; check "poll with the owner's answer exits 0" 0 $?
ok "the feed is rewritten" test "$i2" != "$(inode)"
check "the closed reminder is still in the feed" 1 "$(uid_in_feed "$uid")"
# keep-done is 30 days: 29 days later it is still shown, 31 days later
# it has left the window and the feed is rewritten without it.  (A
# follow-up falls due in between: let it come first.)
poll $((t1 + 10 * 86400))
i3=$(inode)
poll $((t1 + 29 * 86400))
check "29 days later: feed unchanged" "$i3" "$(inode)"
poll $((t1 + 31 * 86400))
check "31 days later: the done reminder has left the feed" 0 "$(uid_in_feed "$uid")"

# Temporary files: a stale one is left alone after a clean poll (no scan
# of the output directories), removed after a poll that died (its marker
# OUT/.gravity-polling is still there).
: >"$out/drafts/x.eml.tmp.99999"
poll $((t1 + 31 * 86400))
ok "no scan of the output directories after a clean poll" \
	test -e "$out/drafts/x.eml.tmp.99999"
ok "no marker is left by a clean poll" test ! -e "$out/.gravity-polling"
: >"$out/.gravity-polling"
poll $((t1 + 31 * 86400))
ok "after a poll that died, its temporary files are removed" \
	test ! -e "$out/drafts/x.eml.tmp.99999"
ok "... and the marker with them" test ! -e "$out/.gravity-polling"
diag "$(cat "$T/polls.txt")"
done_testing
