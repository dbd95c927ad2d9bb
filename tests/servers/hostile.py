#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# hostile.py DIR - write hostile messages (and two ordinary ones) into the
# Maildir DIR/new, for tests/t_hostile.sh.  Each file is named after what
# it tests.  Generated on the fly: nothing big is kept in the tree.
import base64, os, sys

d = os.path.join(sys.argv[1], "new")
for sub in ("new", "cur", "tmp"):
    os.makedirs(os.path.join(sys.argv[1], sub), exist_ok=True)
n = [0]

def put(name, data):
    n[0] += 1
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    with open(os.path.join(d, "17000000%02d.M%dP1.%s" % (n[0], n[0], name)), "wb") as f:
        f.write(data)

def head(mid, subj, extra=""):
    return ("From: Ana Ruiz <ana@client.example>\r\nTo: Sam Rivera <sam@riverastudio.example>\r\n"
            "Subject: %s\r\nMessage-ID: <%s>\r\nDate: Mon, 10 Jun 2024 09:00:00 +0200\r\n%s"
            % (subj, mid, extra))

ask = "Hi Sam,\r\n\r\nCould you send me a quote for a new website for my bakery? Our budget is about 5k.\r\n\r\nThanks,\r\nAna\r\n"
put("normal1", head("normal-1@client.example", "Quote for a website?") + "\r\n" + ask)

# MIME nested 5,000 deep
depth = 5000
parts = [head("deep@client.example", "Deep nesting") + "MIME-Version: 1.0\r\n"
         'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n']
for i in range(1, depth):
    parts.append('--b%d\r\nContent-Type: multipart/mixed; boundary="b%d"\r\n\r\n' % (i - 1, i))
parts.append("--b%d\r\nContent-Type: text/plain\r\n\r\n%s\r\n--b%d--\r\n" % (depth - 1, ask, depth - 1))
for i in range(depth - 2, -1, -1):
    parts.append("--b%d--\r\n" % i)
put("deep", "".join(parts))

# 50 MB: a text part and a big base64 attachment
raw = os.urandom(37 * 1024 * 1024)
b64 = base64.encodebytes(raw).replace(b"\n", b"\r\n")
put("big", (head("big@client.example", "Big attachment") + "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="BIG"\r\n\r\n--BIG\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\n" + ask +
            "--BIG\r\nContent-Type: application/octet-stream; name=x.bin\r\n"
            "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment\r\n\r\n").encode()
    + b64 + b"--BIG--\r\n")

# a 1 MB header line
put("longheader", head("long@client.example", "Long header", "X-Long: " + "a" * (1 << 20) + "\r\n") + "\r\n" + ask)

# 10,000 recipients
rcpt = ",\r\n ".join("r%d@example.net" % i for i in range(10000))
put("rcpts", head("rcpts@client.example", "Many recipients").replace(
    "To: Sam Rivera <sam@riverastudio.example>", "To: Sam Rivera <sam@riverastudio.example>,\r\n " + rcpt) + "\r\n" + ask)

# invalid charsets
put("charset", head("charset@client.example", "=?x-no-such-charset?B?aGVsbG8=?= =?utf-8?Q?=FF=FE?=",
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"x-bogus\\\"\"\r\n") + "\r\n\xff\xfe\xc3(" + ask)

# NUL bytes
put("nul", (head("nul@client.example", "Nul\0bytes") + "X-Nul: a\0b\r\n\r\n").encode() + b"Hi\0\0 there\r\n" + ask.encode())

# broken base64 and boundaries
put("broken", head("broken@client.example", "Broken MIME") + "MIME-Version: 1.0\r\n"
    'Content-Type: multipart/mixed; boundary="X"\r\n\r\n--X\r\nContent-Type: text/plain\r\n'
    "Content-Transfer-Encoding: base64\r\n\r\n!!!!====abc=de*&^\r\n--X\r\n--Y--\r\n--X\r\n"
    "Content-Type: multipart/alternative; boundary=\"\"\r\n\r\n--\r\n")

# Message-ID with ../ and /
put("traversal", head("../../../../tmp/evil/../x@client.example/../../y", "Path in Message-ID") + "\r\n" + ask)

# Subject with CR/LF (RFC 2047), trying to inject a header into the draft
put("crlf", head("crlf@client.example", "=?utf-8?q?hi=0D=0ABcc:_x@evil.example?=") + "\r\n" + ask)

# a 20 KB token in the Subject of a message that gets a reply draft
put("longsubject", head("longsubj@client.example", "Quote for a website " + "q" * 20000) + "\r\n" + ask)

put("normal2", head("normal-2@client.example", "Logo design").replace("Ana Ruiz <ana@client.example>",
    "Bo Li <bo@other.example>") + "\r\nHello, could you quote a logo and brand guide for my studio?\r\nBo\r\n")
