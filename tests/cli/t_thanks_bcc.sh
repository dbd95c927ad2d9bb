#!/bin/sh
# The referral ledger counts a thank-you the introducer got by Bcc: the
# owner answers the new contact and moves the introducer to Bcc, as is
# usual; the Sent copy keeps the Bcc header, and the introduction is then
# marked thanked (and the introducer becomes a known contact).  A message
# that names the introducer nowhere does not.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
[ -x /usr/bin/python3 ] || { echo "1..0 # SKIP /usr/bin/python3 is needed"; exit 0; }
mktmp
plan 7
rules="$top_srcdir/contrib/demo/rules"
box="$T/inbox"; sent="$T/sent"; db="$T/state.db"
mkdir -p "$box/new" "$box/cur" "$box/tmp" "$sent/new" "$sent/cur" "$sent/tmp"
cp "$top_srcdir/contrib/demo/inbox/new/1763380000.M2P100.demo" "$box/new/"
poll() {  # poll NOW MAILDIR
	GRAVITY_NOW=$1 "$GRAVITY" poll --source "maildir:$2" --rules "$rules" \
		--out "$T/out" --state "$db" -q >>"$T/polls.txt" 2>&1
}
thanked() {  # thanked [REFERRALS-ARGS...]: the introductions' thanked flags
	"$GRAVITY" referrals "$@" --json | /usr/bin/python3 -c \
		"import json,sys; print([r['thanked'] for r in json.load(sys.stdin)['referrals'] if r['kind']=='received'])"
}
poll 1794870000 "$box"
check "the introduction is in the ledger, not yet thanked" "[False]" "$(thanked --state "$db")"
# The owner writes to someone else entirely: still not thanked.
sed 's/^To: .*/To: Someone <someone@else.example>/; /^Bcc:/d; s/sam-bcc-1/sam-other-1/' \
	"$top_srcdir/tests/data/lifecycle/owner-bcc-thanks.eml" >"$sent/new/1.a.test"
poll 1794945600 "$sent"
check "mail that does not reach the introducer thanks nobody" "[False]" "$(thanked --state "$db")"
cp "$top_srcdir/tests/data/lifecycle/owner-bcc-thanks.eml" "$sent/new/2.b.test"
poll 1794945700 "$sent"; check "the Sent folder poll exits 0" 0 $?
check "the introducer in Bcc is thanked" "[True]" "$(thanked --state "$db")"
if command -v sqlite3 >/dev/null 2>&1; then
	check "and is a known contact now, as the To and Cc people are" 1 \
		"$(sqlite3 "$db" "SELECT count(*) FROM contacts WHERE addr = 'priya.nair@northwind.example'")"
else
	skip "the Bcc recipient is a known contact" "sqlite3 not installed"
fi
# "gravity referrals" reads the state file the config names, as poll does.
mkdir -p "$T/cfg/gravity"
printf 'state %s\naccount a\n\tsource maildir:%s\n' "$db" "$box" >"$T/cfg/gravity/config"
check "referrals reads the default config's state file" "[True]" \
	"$(export XDG_CONFIG_HOME="$T/cfg"; thanked)"
check "and one named with --config" "[True]" \
	"$(export XDG_CONFIG_HOME="$T/none"; thanked --config "$T/cfg/gravity/config")"
diag "$(cat "$T/polls.txt")"
done_testing
