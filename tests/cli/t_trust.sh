#!/bin/sh
# Claims are not credentials.  Where the receiving server added
# Authentication-Results (RFC 8601), mail claiming the owner's, a partner's
# or a known contact's address without a DKIM, SPF or DMARC pass is a
# stranger's: a forged "From: the owner" is not the owner's mail (it makes
# no one a contact, so a pitch from its recipient stays a pitch), and a
# forged known contact gets no known-sender pass.  A referral credited by
# a name and a forged quote line gives reminders and a reply to the sender
# only: no draft to the named partner, and the ledger keeps the claim by
# name without crediting the partner's address; where the owner's own mail
# shows the introduction (the owner answered the introducer's message the
# new one refers to), the thank-you draft is written and credited.  The
# same mail with a pass counts as before.  With the profile's auth-serv-id
# only the owner's server's fields count (RFC 8601 section 5): another
# server's, and any a sender wrote below the server's, are ignored.  With "introductions direct", the
# three-way introduction a stranger's request gets copies the partner, but
# quotes none of the sender's words and copies no one else the sender chose.
. "${top_srcdir:-.}/tests/cli/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is needed"; exit 0; }
mktmp
plan 24
demo="$top_srcdir/contrib/demo"
pitch="$demo/inbox/new/1763400000.M4P100.demo"
fail='Authentication-Results: mx.riverastudio.example; spf=fail smtp.mailfrom=riverastudio.example; dkim=none; dmarc=fail header.from=riverastudio.example'
pass='Authentication-Results: mx.riverastudio.example; spf=pass smtp.mailfrom=riverastudio.example; dkim=pass header.d=riverastudio.example; dmarc=pass header.from=riverastudio.example'
# box DIR AUTH: the owner's address writing to Jake (with the AUTH
# header), then Jake's pitch.
box() {
	mkdir -p "$1/new" "$1/cur" "$1/tmp"
	printf '%s\nFrom: Sam Rivera <sam@riverastudio.example>\nTo: Jake Miller <jake@rankrocket.example>\nSubject: Let us talk\nDate: Mon, 16 Nov 2026 10:00:00 -0800\nMessage-ID: <owner-1@riverastudio.example>\n\nHi Jake, happy to talk about it.\n' \
		"$2" >"$1/new/1763300000.M1P1.owner"
	cp "$pitch" "$1/new/1763400000.M4P100.demo"
}
# cls DIR OUT ID: the class the log gives the message with Message-ID ID.
cls() { grep -F "$3" "$2/log.jsonl" | sed -n 's/.*"class":"\([a-z_]*\)".*/\1/p'; }
poll() {
	"$GRAVITY" poll --source "maildir:$1" --rules "$2" --out "$3" \
		--state "$3.db" >"$3.stdout" 2>"$3.stderr"
}

# --- a forged "From: the owner" -----------------------------------------------
box "$T/forged" "$fail"
poll "$T/forged" "$demo/rules" "$T/o1"
check "the poll exits 0" 0 $?
check "Jake's pitch stays a pitch after mail forged From the owner to him" \
	cold_pitch "$(cls "$T/forged" "$T/o1" pitch-5521-993)"
ok "the forged mail was read as a stranger's: classified, not taken as sent" \
	test -n "$(cls "$T/forged" "$T/o1" owner-1@riverastudio)"

# --- the same with a pass: the owner's own mail, Jake becomes known -------------
box "$T/real" "$pass"
poll "$T/real" "$demo/rules" "$T/o2"
c=$(cls "$T/real" "$T/o2" pitch-5521-993)
ok "with a pass the owner's mail makes Jake known: not a pitch ($c)" \
	sh -c "[ -n '$c' ] && [ '$c' != cold_pitch ]"
ok "and the owner's mail is not classified" \
	test -z "$(cls "$T/real" "$T/o2" owner-1@riverastudio)"

# --- a forged known contact ---------------------------------------------------
mkdir -p "$T/rules"
cp "$demo/rules/"* "$T/rules/"
echo "jake@rankrocket.example" >"$T/rules/contacts"
mkdir -p "$T/kbox/new" "$T/kbox/cur" "$T/kbox/tmp"
{ echo "$fail" | sed 's/riverastudio.example/rankrocket.example/g'; cat "$pitch"; } \
	>"$T/kbox/new/1763400000.M4P100.demo"
poll "$T/kbox" "$T/rules" "$T/o3"
check "a contact's address without a pass is a stranger's: the pitch is a pitch" \
	cold_pitch "$(cls "$T/kbox" "$T/o3" pitch-5521-993)"
cp "$pitch" "$T/kbox/new/1763400000.M4P100.demo"
poll "$T/kbox" "$T/rules" "$T/o4"
c=$(cls "$T/kbox" "$T/o4" pitch-5521-993)
ok "without the header the contact is known as before ($c)" \
	sh -c "[ -n '$c' ] && [ '$c' != cold_pitch ]"
{ echo "$pass" | sed 's/riverastudio.example/rankrocket.example/g'; cat "$pitch"; } \
	>"$T/kbox/new/1763400000.M4P100.demo"
poll "$T/kbox" "$T/rules" "$T/o5"
c=$(cls "$T/kbox" "$T/o5" pitch-5521-993)
ok "and with a pass for its own domain too ($c)" \
	sh -c "[ -n '$c' ] && [ '$c' != cold_pitch ]"

# --- auth-serv-id: only the owner's server's results count -------------------
# A filter's field (no results) above the owner's server's pass; another
# server's pass above the owner's server's fail; a pass with the owner's
# server's id that the sender wrote below the server's Received.
filter='Authentication-Results: filter.internal; spf=none; dkim=none'
mxpass='Authentication-Results: mx.riverastudio.example; dmarc=pass header.from=rankrocket.example'
mxfail='Authentication-Results: mx.riverastudio.example; spf=fail smtp.mailfrom=rankrocket.example; dmarc=fail header.from=rankrocket.example'
relay='Authentication-Results: relay.other.example; dmarc=pass header.from=rankrocket.example'
rcvd='Received: from mail.rankrocket.example by mx.riverastudio.example; Tue, 17 Nov 2026 10:00:00 -0800'
mkdir -p "$T/arules"
cp "$T/rules/"* "$T/arules/"
echo "auth-serv-id mx.riverastudio.example" >>"$T/arules/profile"
# apoll NAME RULES HEADER-LINES...: Jake's pitch under those lines.
apoll() {
	n=$1 r=$2
	shift 2
	mkdir -p "$T/$n/new" "$T/$n/cur" "$T/$n/tmp"
	{ printf '%s\n' "$@"; cat "$pitch"; } >"$T/$n/new/1763400000.M4P100.demo"
	poll "$T/$n" "$r" "$T/$n.out"
	cls "$T/$n" "$T/$n.out" pitch-5521-993
}
c=$(apoll a1 "$T/rules" "$filter" "$mxpass")
check "without auth-serv-id the topmost field counts, a filter's too" cold_pitch "$c"
c=$(apoll a2 "$T/arules" "$filter" "$mxpass")
ok "with it, the owner's server's pass below a filter's field makes the contact known ($c)" \
	sh -c "[ -n '$c' ] && [ '$c' != cold_pitch ]"
c=$(apoll a3 "$T/arules" "$relay" "$mxfail")
check "another server's pass above the owner's server's fail is not taken" cold_pitch "$c"
c=$(apoll a4 "$T/arules" "$mxfail" "$rcvd" "$mxpass")
check "a pass the sender wrote with the server's id below its Received is not taken" cold_pitch "$c"
box "$T/aforged" "$(echo "$relay" | sed 's/rankrocket/riverastudio/')
$(echo "$mxfail" | sed 's/rankrocket/riverastudio/g')"
mkdir -p "$T/brules"
cp "$demo/rules/"* "$T/brules/"
echo "auth-serv-id mx.riverastudio.example" >>"$T/brules/profile"
poll "$T/aforged" "$T/brules" "$T/a5.out"
check "mail forged From the owner under another server's pass makes no one a contact" \
	cold_pitch "$(cls "$T/aforged" "$T/a5.out" pitch-5521-993)"
printf 'auth-serv-id mx.riverastudio.example bad;id\n' >>"$T/arules/profile"
"$GRAVITY" rules check --rules "$T/arules" >"$T/rc.out" 2>&1
ok "rules check names a malformed authserv-id" grep -q "bad authserv-id 'bad;id'" "$T/rc.out"

# --- a referral claimed by name and a forged quote line ----------------------
mkdir -p "$T/rbox/new" "$T/rbox/cur" "$T/rbox/tmp"
cat >"$T/rbox/new/1763400000.M9P1.forged" <<'EOF'
From: Mallory Vance <mallory@evil.example>
To: Sam Rivera <sam@riverastudio.example>
Subject: June Park referred me - new website
Date: Tue, 17 Nov 2026 11:45:00 -0500
Message-ID: <forged-ref-1@evil.example>
Content-Type: text/plain; charset=UTF-8

Hi Sam,

June Park referred me to you. We need a new website for our shop.
Thanks June!

On Mon, 16 Nov 2026 at 10:00, June Park <june@parkwords.example> wrote:
> Mallory, Sam Rivera builds great websites, tell him I sent you.

Mallory
EOF
poll "$T/rbox" "$demo/rules" "$T/o6"
check "the claimed referral is a referral" referral_intro "$(cls "$T/rbox" "$T/o6" forged-ref-1)"
ok "no draft names the partner the sender only quoted" \
	sh -c "! grep -l 'parkwords' '$T/o6'/drafts/*.eml 2>/dev/null | grep -q ."
"$GRAVITY" referrals --state "$T/o6.db" --json >"$T/ref.json"
ok "the ledger keeps the claim by name" grep -q '"introducer_name":.*"June Park"' "$T/ref.json"
ok "but credits no address: June is no top introducer" \
	sh -c "! grep -q 'june@parkwords' '$T/ref.json'"
# --- the same claim where the owner's own mail shows the introduction --------
# June wrote to the owner about Mallory and the owner answered June; then
# Mallory's message in that thread quotes June: a thank-you draft to June,
# and the ledger credits her.
mkdir -p "$T/sbox/new" "$T/sbox/cur" "$T/sbox/tmp"
cat >"$T/sbox/new/1763300000.M1P1.intro" <<'EOF'
From: June Park <june@parkwords.example>
To: Sam Rivera <sam@riverastudio.example>
Subject: Someone for you: Mallory needs a website
Date: Mon, 16 Nov 2026 10:00:00 -0800
Message-ID: <intro-1@parkwords.example>
Content-Type: text/plain; charset=UTF-8

Hi Sam, Mallory Vance runs a shop and needs a new website. I told her to write to you.

June
EOF
cat >"$T/sbox/new/1763310000.M2P1.owner" <<'EOF'
From: Sam Rivera <sam@riverastudio.example>
To: June Park <june@parkwords.example>
Subject: Re: Someone for you: Mallory needs a website
Date: Mon, 16 Nov 2026 12:00:00 -0800
Message-ID: <owner-2@riverastudio.example>
In-Reply-To: <intro-1@parkwords.example>
References: <intro-1@parkwords.example>
Content-Type: text/plain; charset=UTF-8

Thanks June, happy to hear from her.
EOF
sed -e 's/^Message-ID: .*/Message-ID: <ref-2@evil.example>\nIn-Reply-To: <intro-1@parkwords.example>\nReferences: <intro-1@parkwords.example>/' \
	"$T/rbox/new/1763400000.M9P1.forged" >"$T/sbox/new/1763400000.M3P1.ref"
poll "$T/sbox" "$demo/rules" "$T/o7"
ok "a thank-you draft to June when the owner's mail shows her introduction" \
	sh -c "grep -l '^To: .*june@parkwords.example' '$T/o7'/drafts/*.eml | grep -q ."
"$GRAVITY" referrals --state "$T/o7.db" --json >"$T/ref7.json"
ok "and the ledger credits her address" grep -q '"introducer_email":.*"june@parkwords.example"' "$T/ref7.json"

# --- introductions direct: what reaches the partner ---------------------------
mkdir -p "$T/drules" "$T/dbox/new" "$T/dbox/cur" "$T/dbox/tmp"
cp "$demo/rules/"* "$T/drules/"
sed 's/^introductions opt-in/introductions direct/' "$top_srcdir/rules/actions" >"$T/drules/actions"
{
	printf 'From: Mallory Vance %s <mallory@evil.example>\n' "$(printf '%0300d' 0 | tr 0 X)"
	printf 'To: Sam Rivera <sam@riverastudio.example>\nCc: victim@third.example\n'
	printf 'Subject: We need a photographer\nDate: Tue, 17 Nov 2026 11:45:00 -0500\n'
	printf 'Message-ID: <direct-1@evil.example>\nContent-Type: text/plain; charset=UTF-8\n\n'
	printf 'Hi Sam,\n\nWe need a photographer for product photos of our shop.\n\n'
	for i in 1 2 3 4 5 6 7 8 9 10; do
		printf 'Please tell Ines the contract is void and the fee goes to IBAN DE00 %s.\n' "$i"
	done
	printf '\nMallory\n'
} >"$T/dbox/new/1763400000.M9P1.direct"
poll "$T/dbox" "$T/drules" "$T/o8"
d=$(ls "$T/o8"/drafts/*-introduce.eml 2>/dev/null | head -n 1)
# The draft's header, folded lines joined.
hdr() { sed '/^\r\{0,1\}$/q' "$1" | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n[ \t]/ /g'; }
[ -n "$d" ] && hdr "$d" >"$T/d8.hdr"
ok "the introduction is drafted to the sender, the partner in copy" \
	sh -c "grep -q '^To: .*mallory@evil.example' '$T/d8.hdr' && grep -q '^Cc: .*ines@duartephoto.example' '$T/d8.hdr'"
ok "it quotes none of the sender's text" sh -c "[ -n '$d' ] && ! grep -q 'IBAN' '$d'"
ok "it copies no one else the sender chose" sh -c "[ -n '$d' ] && ! grep -q 'victim@third' '$d'"
ok "the sender's name reaches it capped" sh -c "[ -n '$d' ] && ! grep -q 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' '$d'"
done_testing
