#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# bigmail.py DIR - large messages for tests/cli/t_memory.sh, made on the fly
# (nothing big is kept in the tree): in the Maildir DIR/box a 200 MB
# message (a text part and a base64 attachment), a 73 MB message whose body
# is one line, and a 143 MB base64-only message; DIR/big.mbox, an mbox of
# about 120 MB holding ordinary messages and three 40 MB ones.  Each big
# message carries a request a rule recognises.
import os, sys

d = sys.argv[1]
box = os.path.join(d, "box")
for sub in ("new", "cur", "tmp"):
    os.makedirs(os.path.join(box, sub), exist_ok=True)
line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n"
ask = b"Hi Sam,\r\n\r\nCould you send me a quote for a new website for my bakery?\r\n\r\nAna\r\n"

def head(mid, subj, extra=b""):
    return (b"From: Ana Ruiz <ana@client.example>\r\nTo: Sam Rivera <sam@riverastudio.example>\r\n"
            b"Subject: " + subj + b"\r\nMessage-ID: <" + mid + b">\r\n"
            b"Date: Mon, 10 Jun 2024 09:00:00 +0200\r\nMIME-Version: 1.0\r\n" + extra)

def with_attachment(f, mid, size):
    f.write(head(mid, b"Big attachment", b'Content-Type: multipart/mixed; boundary="BIG"\r\n\r\n'
                 b"--BIG\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + ask +
                 b"--BIG\r\nContent-Type: application/pdf; name=brief.pdf\r\n"
                 b"Content-Transfer-Encoding: base64\r\n\r\n"))
    chunk = line * 8192
    for _ in range(size // len(chunk)):
        f.write(chunk)
    f.write(b"--BIG--\r\n")

def put(name, writer):
    with open(os.path.join(box, "new", name), "wb") as f:
        writer(f)

put("1700000001.M1P1.big200", lambda f: with_attachment(f, b"big200@client.example", 200 << 20))

def oneline(f):
    f.write(head(b"oneline@client.example", b"One line", b"Content-Type: text/plain\r\n\r\n") + ask)
    chunk = b"word " * 200000
    for _ in range((73 << 20) // len(chunk)):
        f.write(chunk)
    f.write(b"\r\n")
put("1700000002.M2P1.oneline", oneline)

def b64only(f):
    f.write(head(b"b64@client.example", b"Could you quote a website?",
                 b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"))
    chunk = line * 8192
    for _ in range((143 << 20) // len(chunk)):
        f.write(chunk)
put("1700000003.M3P1.b64", b64only)

with open(os.path.join(d, "big.mbox"), "wb") as f:
    for i in range(12):
        f.write(b"From ana@client.example Mon Jun 10 09:00:00 2024\r\n")
        if i % 4 == 3:
            with_attachment(f, b"mbox-big-%d@client.example" % i, 40 << 20)
        else:
            f.write(head(b"mbox-%d@client.example" % i, b"Quote %d" % i, b"\r\n") + ask)
        f.write(b"\r\n")
