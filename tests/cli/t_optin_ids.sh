#!/bin/sh
# A double opt-in answer cannot be forged by someone who saw the request.
# A reply that refers to the draft asking the partner counts as the
# partner's answer, so the drafts' Message-IDs are keyed by a secret of
# the state (HMAC-SHA256 of the outputs' name): two fresh states give the
# same request's drafts the same file names but different IDs, one state
# gives the same ID on every run (redo rewrites the same bytes).  Mail
# without Authentication-Results (taken at its From) claiming the partner
# and referring to the ID made the old way (from the request's Message-ID
# alone), or to another state's ID, is no answer; nor is the requester's
# claimed yes that refers only to the request once the offer was sent.
# The real replies are.
. "${top_srcdir:-.}/tests/cli/lib.sh"
need_test_hooks
mktmp
plan 16
data="$top_srcdir/tests/data/optin"
req="$top_srcdir/contrib/demo/inbox/new/1763390000.M3P100.demo"
rules="$top_srcdir/contrib/demo/rules"
req_mid=a81f9e2c-3b1d-4c55-9d0e-52e1f0c3a7b1@vela-coffee.example
for s in a b; do
	mkdir -p "$T/$s/box/new" "$T/$s/box/cur" "$T/$s/box/tmp"
	cp "$req" "$T/$s/box/new/"
done
run() {  # run STATE NOW CMD: gravity CMD on STATE's Maildir, out and state
	GRAVITY_NOW=$2 "$GRAVITY" "$3" --source "maildir:$T/$1/box" \
		--rules "$rules" --out "$T/$1/out" --state "$T/$1/state.db" \
		>>"$T/$1/log.txt" 2>&1
}
mid_of() { sed -n 's/^Message-ID: <\(.*\)>\r*$/\1/p' "$1"; }
said() {  # said SIDE: what state a's referral says of partner / contact
	"$GRAVITY" referrals --state "$T/a/state.db" --json | /usr/bin/python3 -c "
import json, sys
d = json.load(sys.stdin)
print([r.get('$1_said') for r in d['referrals'] if r['kind'] == 'given'][0])"
}
mail() {  # mail N FROM IN-REPLY-TO TEXT: a message into state a's Maildir
	{
		printf 'From: %s\nTo: Sam Rivera <sam@riverastudio.example>\n' "$2"
		printf 'Subject: Re: Would you be open to an introduction?\n'
		printf 'Date: Wed, 18 Nov 2026 08:%02d:00 -0800\n' "$1"
		printf 'Message-ID: <answer-%s@test.example>\n' "$1"
		printf 'In-Reply-To: <%s>\nReferences: <%s>\n' "$3" "$3"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\n'
		printf 'Hi Sam,\n\n%s\n' "$4"
	} >"$T/a/box/new/17636000$1.M1P1.test"
}

run a 1795456800 poll; check "poll of state a exits 0" 0 $?
run b 1795456800 poll; check "poll of state b exits 0" 0 $?
ask=$(cd "$T/a/out/drafts" && ls *-ask-partner.eml)
id=${ask%-ask-partner.eml}
ma=$(mid_of "$T/a/out/drafts/$ask")
mb=$(mid_of "$T/b/out/drafts/$ask")
offer_a=$(mid_of "$T/a/out/drafts/$id-offer-intro.eml")
ok "the same draft names in both states" test -n "$mb"
ok "the ask's Message-ID is gravity., 32 hex digits, the owner's domain" \
	sh -c "echo '$ma' | grep -E -q '^gravity\.[0-9a-f]{32}@riverastudio\.example$'"
ok "two fresh states give the same request different IDs" test "$ma" != "$mb"
ok "ask and offer have different IDs" test "$ma" != "$offer_a"
# The definition, computed apart: HMAC-SHA256 under the state's secret.
want=$(/usr/bin/python3 - "$T/a/state.db" "$id-ask-partner" <<'EOF'
import hmac, hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
key = db.execute("SELECT value FROM secrets WHERE name = 'draft-ids'").fetchone()[0]
assert len(key) == 32
print("gravity.%s@riverastudio.example"
      % hmac.new(key, sys.argv[2].encode(), hashlib.sha256).hexdigest()[:32])
EOF
)
check "it is the keyed hash of the outputs' name" "$want" "$ma"
sum=$(sha256sum <"$T/a/out/drafts/$ask")
run a 1795457000 redo; check "redo exits 0" 0 $?
check "one state gives the same ID twice (redo keeps the draft's bytes)" \
	"$sum" "$(sha256sum <"$T/a/out/drafts/$ask")"

# The owner sends the ask and the offer (the offer as a reply to the
# request, under the mail client's own Message-ID).
cp "$data/owner-ask.eml" "$T/a/box/new/1763500001.M1P1.test"
cp "$data/owner-offer.eml" "$T/a/box/new/1763500002.M1P1.test"
run a 1795460000 poll

# Forgeries: the ID made the old way from the request's Message-ID, the
# other state's ID, and the requester's yes referring only to the request.
old=$(/usr/bin/python3 -c "import hashlib; print('gravity.%s.ask-partner@riverastudio.example' % hashlib.sha256(b'$req_mid').hexdigest()[:16])")
check "the old ID was the request's hash (the outputs' name)" "$id" \
	"$(echo "$old" | cut -c9-24)"
mail 01 "Ines Duarte <ines@duartephoto.example>" "$old" "Yes, happy to talk to them."
mail 02 "Ines Duarte <ines@duartephoto.example>" "$mb" "Yes, happy to talk to them."
mail 03 "Marco Vela <marco@vela-coffee.example>" "$req_mid" "Yes please, introduce us."
run a 1795540000 poll; check "poll with the forgeries exits 0" 0 $?
check "a yes to the ID made from the request, or to another state's, is no answer" \
	None "$(said partner)"
check "a requester's yes referring only to the request is no answer" \
	None "$(said contact)"
ok "no introduction drafted" sh -c "! ls '$T/a/out/drafts' | grep -q introduce"

# The real answers: the partner's reply to the draft's ID, the
# requester's reply to the offer as sent.
mail 04 "Ines Duarte <ines@duartephoto.example>" "$ma" "Yes, happy to talk to them."
cp "$data/contact-yes.eml" "$T/a/box/new/1763600005.M1P1.test"
run a 1795545000 poll
check "the partner's reply to the ask draft is her yes" yes "$(said partner)"
check "the requester's reply to the sent offer is his yes" yes "$(said contact)"
diag "$(cat "$T/a/log.txt")"
done_testing
