#!/bin/sh
# Known contacts and corrections, end to end at the command line.
# 1. Someone the owner has written to (their sent mail, From = owner, seen
#    by the same poll) or listed in "contacts" is never a cold pitch.
# 2. Per-sender and per-domain overrides beat every scored rule, and
#    `explain` says so, as text and as JSON.
. "${top_srcdir:-.}/tests/cli/lib.sh"
mktmp
plan 17
p="$top_srcdir/tests/personas/photo"
d="$top_srcdir/tests/data/rules/photo"
mkdir "$T/rules"
cp "$p/profile" "$p/services" "$p/partners" "$T/rules/"

# class_of LOG SOURCE-FILE: the class log.jsonl gives that Maildir file.
class_of() { grep -F "/$2\"" "$1" | sed -n 's/.*"class":"\([a-z_]*\)".*/\1/p'; }
maildir() { mkdir -p "$1/new" "$1/cur" "$1/tmp"; }

# Control: the pitch alone, from a stranger, is a cold pitch.
maildir "$T/md1"
cp "$d/pitch.eml" "$T/md1/new/1700000100.2.host"
"$GRAVITY" poll --rules "$T/rules" --source "maildir:$T/md1" --out "$T/o1" \
	--state "$T/s1.db" >"$T/p1.txt" 2>&1
check "control poll exits 0" 0 $?
check "a stranger's pitch is cold_pitch" cold_pitch "$(class_of "$T/o1/log.jsonl" 1700000100.2.host)"

# The owner wrote to that address first (From = owner), then the same
# pitch-like mail arrives: not a cold pitch.
maildir "$T/md2"
cat >"$T/md2/cur/1700000000.1.host:2,S" <<'MSG'
From: Hana Novak <hana@novakphoto.example>
To: Megan Stiles <megan@rankbright.example>
Subject: Styled shoot in April
Date: Mon, 16 Mar 2026 09:00:00 +0000
Message-ID: <hn-sent-1@novakphoto.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="UTF-8"

Hi Megan,

Lovely to meet you at the fair. Here are the dates for the styled shoot.

Hana
MSG
cp "$d/pitch.eml" "$T/md2/new/1700000100.2.host"
"$GRAVITY" poll --rules "$T/rules" --source "maildir:$T/md2" --out "$T/o2" \
	--state "$T/s2.db" >"$T/p2.txt" 2>&1
check "poll with the owner's sent mail exits 0" 0 $?
c2=$(class_of "$T/o2/log.jsonl" 1700000100.2.host)
ok "someone the owner wrote to is never cold_pitch (got ${c2:-nothing})" \
	sh -c "[ -n '$c2' ] && [ '$c2' != cold_pitch ]"
ok "the log shows the known-sender rule" sh -c \
	"grep -F '/1700000100.2.host\"' '$T/o2/log.jsonl' | grep -q '\"known-sender\"'"

# Listed in "contacts": the same, in classify and in explain.
cp -r "$T/rules" "$T/listed"
printf '# people I know\nMegan@RankBright.example\n' >"$T/listed/contacts"
c3=$("$GRAVITY" classify --json --rules "$T/listed" "$d/pitch.eml" | sed -n 's/.*"class":"\([a-z_]*\)".*/\1/p')
ok "a listed contact is never cold_pitch (got ${c3:-nothing})" \
	sh -c "[ -n '$c3' ] && [ '$c3' != cold_pitch ]"
"$GRAVITY" explain --rules "$T/listed" "$d/pitch.eml" >"$T/e3.txt" 2>&1
ok "explain names the known-sender rule" sh -c \
	"grep -q '^  known-sender' '$T/e3.txt' && grep -q 'never cold_pitch' '$T/e3.txt'"

# Overrides: per sender and per domain, beating strong scores.
cp -r "$T/rules" "$T/ovr"
cat >"$T/ovr/overrides" <<'OVR'
# corrections
sender megan@rankbright.example always other
domain printcraftalbums.example never cold_pitch
domain gmail.example always automated
OVR
"$GRAVITY" explain --rules "$T/ovr" "$d/pitch.eml" >"$T/e4.txt" 2>&1
check "explain with overrides exits 0" 0 $?
ok "'always other' beats a cold_pitch score" grep -q '^decision: other$' "$T/e4.txt"
ok "explain says the sender override decided, with FILE:LINE" \
	grep -qF "override: $T/ovr/overrides:2: sender megan@rankbright.example: always other" "$T/e4.txt"
ok "the scores are still shown (cold_pitch led)" grep -Eq '^totals:.*cold_pitch [4-9]' "$T/e4.txt"
"$GRAVITY" explain --json --rules "$T/ovr" "$d/pitch-followup.eml" >"$T/e5.json" 2>&1
check "explain --json with overrides exits 0" 0 $?
ok "'never cold_pitch' on the domain: another class wins" sh -c \
	"grep -q '\"class\":[[:space:]]*\"' '$T/e5.json' && ! grep -q '\"class\":[[:space:]]*\"cold_pitch\"' '$T/e5.json'"
ok "the JSON names the domain override" \
	grep -qF "\"override\":	\"$T/ovr/overrides:3: domain printcraftalbums.example: never cold_pitch\"" "$T/e5.json"
# A domain override covers its subdomains too, and polls obey it.
maildir "$T/md6"
sed 's/^From: .*/From: Priya Sharma <priya@mail.gmail.example>/' "$d/inquiry.eml" >"$T/md6/new/1700000200.3.host"
"$GRAVITY" poll --rules "$T/ovr" --source "maildir:$T/md6" --out "$T/o6" \
	--state "$T/s6.db" >"$T/p6.txt" 2>&1
check "poll with overrides exits 0" 0 $?
check "'domain ... always automated' covers a subdomain in a poll" automated \
	"$(class_of "$T/o6/log.jsonl" 1700000200.3.host)"
ok "and no draft was written for it" sh -c "! ls '$T/o6/drafts/'* >/dev/null 2>&1"
