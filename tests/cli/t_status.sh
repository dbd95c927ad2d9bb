#!/bin/bash
# gravity status: the last poll of each account (time and result, a failed
# one with its error, which log.jsonl also gets), the pending reminders due
# soonest first, the drafts whose message is not answered and the
# introductions not thanked, as text and as JSON; a refused login against
# the private Dovecot (tests/servers/dovecot.sh) is the failed poll.
. "${top_srcdir:-.}/tests/cli/lib.sh"
. "$top_srcdir/tests/servers/dovecot.sh"
command -v sqlite3 >/dev/null 2>&1 || { echo "1..0 # SKIP sqlite3 not installed"; exit 0; }
mktmp
chmod 755 "$T"
D="$T/dv"
have_dv=0
dv_have && have_dv=1
trap 'dv_stop "$D" 2>/dev/null; rm -rf "$T"' EXIT
plan 23
lifecycle_mail
PY=$(command -v /usr/bin/python3 || command -v python3)
TZ=UTC; export TZ

# Two accounts in one config (one state): work reads the Maildir and its
# Sent folder; imap logs in to Dovecot with a wrong password.
if [ $have_dv = 1 ] && dv_setup "$D" && read -r PORT SPORT < <(dv_start "$D"); then
	imap_src="imaps://test@127.0.0.1:$SPORT/INBOX"
else
	have_dv=0; imap_src="imaps://test@127.0.0.1:9/INBOX"
fi
cat >"$T/config" <<CONF
rules-dir $rules
out-dir $out
state $db
account work
	source maildir:$box
account imap
	source $imap_src
	cafile $D/ca.crt
	passcmd "printf 'wrong-password\\\\n'"
	timeout 5
	connect-timeout 5
account later
	source maildir:$T/nothing-yet
CONF

"$GRAVITY" status --config "$T/config" >"$T/s0.txt" 2>&1
check "status before any poll exits 0" 0 $?
check "... every account never polled" 3 "$(grep -c ': never polled$' "$T/s0.txt")"
ok "... and it made no state file" test ! -e "$db"

"$GRAVITY" poll --config "$T/config" --account work -q >/dev/null 2>&1
check "the work account's poll exits 0" 0 $?
"$GRAVITY" status --config "$T/config" >"$T/s1.txt" 2>&1
check "status exits 0" 0 $?
diag "$(cat "$T/s1.txt")"
ok "work: when and ok, with its new messages" \
	grep -Eq '^  work: 20[0-9-]+ [0-9:]+ UTC, ok: 4 new messages$' "$T/s1.txt"
ok "imap and later: never polled" sh -c \
	"grep -q '^  imap: never polled$' '$T/s1.txt' && grep -q '^  later: never polled$' '$T/s1.txt'"
# Pending reminders = the state's pending rows, due soonest first.
want=$(sqlite3 "$db" "SELECT relpath FROM reminders WHERE done = 0 ORDER BY due, uid")
got=$(sed -n '/^Pending reminders/,/^$/p' "$T/s1.txt" | sed -n 's/.*(\(reminders\/[^)]*\))$/\1/p')
check "the pending reminders, due soonest first" "$want" "$got"
ok "... there are some ($(echo "$want" | wc -l)), and the answered inquiry's is not among them" \
	sh -c "test $(echo "$want" | wc -l) -ge 3 && test $(sqlite3 "$db" "SELECT count(*) FROM reminders WHERE done = 0") -eq $(echo "$got" | wc -l)"

# The owner answers Lena (the bakery inquiry) from Sent.
lena=$(sqlite3 "$db" "SELECT relpath FROM outputs WHERE kind = 'draft' AND message_id = '20261116171244.4411@crumbandcoal.example'")
ok "Lena's draft is listed as not answered" grep -qF "$lena" "$T/s1.txt"
{
	printf 'From: Sam Rivera <sam@riverastudio.example>\nTo: Lena Ortiz <hello@crumbandcoal.example>\n'
	printf 'Subject: Re: New website for our bakery?\nDate: Wed, 18 Nov 2026 10:00:00 -0800\n'
	printf 'Message-ID: <answer-lena@riverastudio.example>\n'
	printf 'In-Reply-To: <20261116171244.4411@crumbandcoal.example>\n\nHappy to help.\n'
} >"$box/new/1763600001.M1P1.test"
"$GRAVITY" poll --config "$T/config" --account work -q >/dev/null 2>&1
"$GRAVITY" status --config "$T/config" >"$T/s2.txt" 2>&1
ok "after the answer, Lena's draft is no longer listed" sh -c "! grep -qF '$lena' '$T/s2.txt'"
ok "... and her reminder neither" sh -c "! grep -q 'Reply to Lena Ortiz' '$T/s2.txt'"
ok "the introduction not thanked is listed" \
	grep -q '^  2026-11-16  Priya Nair <priya.nair@northwind.example> introduced Tom Becker' "$T/s2.txt"

"$GRAVITY" referrals --config "$T/config" >"$T/ref.txt" 2>&1
ok "gravity referrals reads the state the config names" \
	grep -q "Priya Nair <priya.nair@northwind.example>" "$T/ref.txt"

# A refused login: failed, with the error, in the state and in log.jsonl.
if [ $have_dv = 1 ]; then
	"$GRAVITY" poll --config "$T/config" --account imap -q >/dev/null 2>"$T/e3.txt"
	rc=$?
	check "a poll whose login is refused exits EX_NOPERM" 77 $rc
	"$GRAVITY" status --config "$T/config" >"$T/s3.txt" 2>&1
	ok "status shows it FAILED, with the reason" grep -Eq '^  imap: .* UTC, FAILED: .*(login|refused|authenticat)' "$T/s3.txt"
	diag "$(grep '^  imap' "$T/s3.txt")"
	ok "log.jsonl got one line with the error" sh -c \
		"tail -n 1 '$out/log.jsonl' | grep -q '\"status\":\"poll-failed\",\"account\":\"imap\",\"exit\":77,\"error\":\"'"
	ok "... the same error as on stderr" sh -c \
		"grep -qF \"\$(tail -n 1 '$out/log.jsonl' | sed 's/.*\"error\":\"//; s/\"}\$//' | cut -c1-40)\" '$T/e3.txt'"
	ok "the work account is still ok (its last poll read only the owner's answer)" \
		grep -q '^  work: .*, ok: 0 new messages$' "$T/s3.txt"
else
	for i in 1 2 3 4 5; do skip "refused login" "dovecot not available"; done
fi

# --json: the same, for scripts.
"$GRAVITY" status --config "$T/config" --json >"$T/s.json" 2>&1
check "status --json exits 0" 0 $?
if [ -n "$PY" ]; then
	check "--json: accounts, results, reminders in due order, drafts, thanks" \
		"work:ok imap:$([ $have_dv = 1 ] && echo failed || echo never) later:never sorted=True drafts=$(sqlite3 "$db" "SELECT count(*) FROM outputs WHERE kind='draft' AND message_id NOT IN (SELECT message_id FROM replied)") thanks=1" \
		"$($PY -c '
import json, sys
j = json.load(open(sys.argv[1]))
a = " ".join("%s:%s" % (x["account"], x["result"]) for x in j["accounts"])
d = [r["due"] for r in j["reminders"]]
print(a, "sorted=%s" % (d == sorted(d) and len(d) > 0), "drafts=%d" % len(j["drafts"]),
      "thanks=%d" % len(j["referrals_not_thanked"]))' "$T/s.json")"
else
	skip "--json parses" "no python3"
fi
# The state is locked by a running poll: one line, EX_TEMPFAIL.
exec 9>"$db.lock"
if command -v flock >/dev/null 2>&1 && flock -n 9; then
	"$GRAVITY" status --config "$T/config" >/dev/null 2>"$T/e4.txt"
	check "status while a poll holds the state: EX_TEMPFAIL, one line" "75 1" "$? $(wc -l <"$T/e4.txt")"
else
	skip "locked state" "no flock"
fi
exec 9>&-
"$GRAVITY" status --config "$T/missing.conf" >/dev/null 2>&1
check "a --config that does not exist: EX_NOINPUT" 66 $?
done_testing
