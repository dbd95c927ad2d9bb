#!/bin/sh
# Calendar text never carries raw newlines from headers.  Encoded CR/LF in
# the From name, the Subject and the Reply-To name could put lines such as
# "From: ceo@bank.example" or "Why: wire the fee" into a reminder's
# DESCRIPTION, where they read like gravity's own.  Every reminder's
# SUMMARY is one line, and its DESCRIPTION has each of gravity's labelled
# lines once, none forged.  A Reply-To that differs from From is shown with
# its own name and the reminder names both addresses.
. "${top_srcdir:-.}/tests/cli/lib.sh"
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is needed"; exit 0; }
mktmp
plan 8
box="$T/box"
mkdir -p "$box/new" "$box/cur" "$box/tmp"
cat >"$box/new/1763400000.M1P1.nl" <<'EOF'
From: =?UTF-8?Q?Jane_Writer=0D=0AFrom:_ceo@bank.example=0AWhy:_wire_the_fee?= <jane@writer.example>
Reply-To: =?UTF-8?Q?Collections=0ASubject:_forged?= <collect@attacker.example>
To: Sam Rivera <sam@riverastudio.example>
Subject: =?UTF-8?Q?Website_for_my_bakery=0AFrom:_ceo@bank.example=0D=0AWhy:_urgent=0BService:_x?=
Date: Tue, 17 Nov 2026 11:45:00 -0500
Message-ID: <nl-1@writer.example>
Content-Type: text/plain; charset=UTF-8

Hi Sam, could you build a new website for my bakery? What would it cost?

Jane
EOF
"$GRAVITY" poll --source "maildir:$box" --rules "$top_srcdir/contrib/demo/rules" \
	--out "$T/out" --state "$T/db" >"$T/stdout" 2>"$T/stderr"
check "the poll exits 0" 0 $?
n=$(ls "$T/out/reminders" 2>/dev/null | wc -l)
ok "it wrote reminders ($n)" test "$n" -gt 0
# unfold (RFC 5545 3.1) and split DESCRIPTION into its text lines
python3 - "$T/out/reminders" >"$T/report" <<'EOF'
import os, sys, collections
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    raw = open(os.path.join(d, f), encoding="utf-8").read()
    raw = raw.replace("\r\n", "\n")
    lines = raw.replace("\n ", "").replace("\n\t", "").split("\n")
    print("lines", f, len(lines))
    for l in lines:
        name = l.split(":", 1)[0].split(";", 1)[0]
        if name == "SUMMARY":
            v = l.split(":", 1)[1]
            bad = [c for c in v if ord(c) < 32 or ord(c) == 127]
            # an escaped newline (\n) in SUMMARY is a line break too
            if bad or "\\n" in v or "\\N" in v:
                print("summary-break", f, repr(v))
        if name == "DESCRIPTION" and l.startswith("DESCRIPTION"):
            v = l.split(":", 1)[1]
            text = v.replace("\\n", "\n").replace("\\N", "\n")
            c = collections.Counter()
            for t in text.split("\n"):
                if any(ord(ch) < 32 and ch != "\t" for ch in t):
                    print("control", f, repr(t))
                for lab in ("From:", "Reply-To:", "Subject:", "Why:", "Service:"):
                    if t.startswith(lab):
                        c[lab] += 1
                if "ceo@bank" in t and not t.startswith(("From:", "Subject:")):
                    print("forged-line", f, repr(t))
                if t.startswith(("From: ceo", "Why: wire", "Why: urgent",
                                 "Subject: forged", "Service: x")):
                    print("forged-line", f, repr(t))
            for lab, k in c.items():
                if k > 1:
                    print("twice", f, lab, k)
            if "collect@attacker.example" in text and "jane@writer.example" in text:
                print("both-named", f)
EOF
ok "each reminder was read" test "$(grep -c '^lines .* [1-9][0-9]*$' "$T/report")" -eq "$n"
check "no SUMMARY breaks a line" "" "$(grep summary-break "$T/report")"
check "no control character in a DESCRIPTION line" "" "$(grep '^control' "$T/report")"
check "no forged labelled line in a DESCRIPTION" "" "$(grep -e '^forged-line' -e '^twice' "$T/report")"
ok "the reply reminder names both the From and the Reply-To address" grep -q '^both-named .*reply' "$T/report"
ok "the draft goes to the Reply-To under its own name, not Jane's" \
	sh -c "grep -h '^To:' '$T/out'/drafts/*.eml | grep -q 'collect@attacker.example' && ! grep -h '^To:' '$T/out'/drafts/*.eml | grep -q 'Jane'"
done_testing
