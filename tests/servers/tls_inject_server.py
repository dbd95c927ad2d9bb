#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/servers/tls_inject_server.py - a tiny fake IMAP server on 127.0.0.1 for the
STARTTLS response-injection test (CVE-2020-15953, CVE-2021-22947 style;
RFC 3501 6.2.1, RFC 2595 3.1: data received before the TLS handshake must
be discarded).

usage: tls_inject_server.py PORTFILE LOGFILE CERT KEY MODE PASSWORD
  clean   greeting, CAPABILITY with STARTTLS, "OK Begin TLS", TLS, then a
          LOGIN and an EXAMINE of an empty INBOX (UIDVALIDITY, UIDNEXT)
  nostarttls  a server that does not offer STARTTLS (and would accept a
          plaintext LOGIN): gravity must refuse to go on
  inject  the same as clean, but the "OK Begin TLS" write also carries plaintext
          lines a man in the middle would add: a CAPABILITY without
          STARTTLS, a tagged OK for the next commands and a
          "* 1 FETCH" holding a whole message
Every command is appended to LOGFILE (the password replaced by "<pw>",
"<bad-pw>" when it is wrong); after TLS the mailbox is empty, so any
message gravity records can only come from the injected bytes.
Writes its port to PORTFILE, then serves until killed (by PID)."""
import os
import ssl
import sys
import threading

import testnet

INJECT_MSG = (b"From: Injected <evil@attacker.example>\r\n"
              b"To: Sam <sam@riverastudio.example>\r\n"
              b"Subject: INJECTED could you build our website\r\n"
              b"Date: Mon, 16 Nov 2026 09:00:00 -0800\r\n"
              b"Message-ID: <injected-1@attacker.example>\r\n\r\n"
              b"Hi Sam, what would a new website cost? INJECTED\r\n")


def injected_bytes():
    lines = [b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n",
             b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"]
    for t in range(1, 12):
        lines.append(b"A%03d OK [READ-ONLY] injected\r\n" % t)
    lines.append(b"* 1 EXISTS\r\n* OK [UIDVALIDITY 666] injected\r\n"
                 b"* OK [UIDNEXT 2] injected\r\n* SEARCH 1\r\n")
    lines.append(b"* 1 FETCH (UID 1 FLAGS () RFC822.SIZE %d BODY[] {%d}\r\n"
                 % (len(INJECT_MSG), len(INJECT_MSG)) + INJECT_MSG + b")\r\n")
    return b"".join(lines)


class Conn:
    def __init__(self, sock, log, password):
        self.sock = sock
        self.buf = b""
        self.log = log
        self.password = password

    def readline(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def send(self, data):
        self.sock.sendall(data)

    def note(self, what):
        with open(self.log, "a") as f:
            f.write(what + "\n")


def serve(raw, log, cert, key, mode, password):
    c = Conn(raw, log, password)
    tls = False
    try:
        plain_caps = (b"IMAP4rev1 AUTH=PLAIN" if mode == "nostarttls"
                      else b"IMAP4rev1 STARTTLS")
        c.send(b"* OK [CAPABILITY " + plain_caps + b"] fake ready\r\n")
        while True:
            line = c.readline()
            if line is None:
                c.note("EOF")
                return
            parts = line.split(" ")
            tag = parts[0]
            cmd = " ".join(parts[1:3]).upper() if len(parts) > 1 else ""
            verb = parts[1].upper() if len(parts) > 1 else ""
            shown = line
            if verb == "LOGIN":
                ok = password in line
                shown = "%s LOGIN %s" % (tag, "<pw>" if ok else "<bad-pw>")
            c.note(("TLS " if tls else "PLAIN ") + shown)
            if verb == "CAPABILITY":
                caps = b"IMAP4rev1" if tls else plain_caps
                c.send(b"* CAPABILITY " + caps + b"\r\n" +
                       tag.encode() + b" OK done\r\n")
            elif verb == "STARTTLS" and not tls:
                out = tag.encode() + b" OK Begin TLS\r\n"
                if mode == "inject":
                    out += injected_bytes()
                c.send(out)
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(cert, key)
                try:
                    c.sock = ctx.wrap_socket(raw, server_side=True)
                except (ssl.SSLError, OSError) as e:
                    c.note("HANDSHAKE-FAILED %s" % e.__class__.__name__)
                    return
                c.buf = b""     # RFC 3501 6.2.1: nothing from before TLS
                tls = True
                c.note("TLS-UP")
            elif not tls:
                c.send(tag.encode() + b" BAD STARTTLS first\r\n")
            elif verb == "LOGIN":
                if password in line:
                    c.send(tag.encode() + b" OK logged in\r\n")
                else:
                    c.send(tag.encode() + b" NO [AUTHENTICATIONFAILED] no\r\n")
            elif verb in ("EXAMINE", "SELECT"):
                c.send(b"* FLAGS (\\Seen \\Answered \\Flagged \\Deleted "
                       b"\\Draft)\r\n* 0 EXISTS\r\n* 0 RECENT\r\n"
                       b"* OK [UIDVALIDITY 4242] ok\r\n"
                       b"* OK [UIDNEXT 1] ok\r\n" + tag.encode() +
                       b" OK [READ-ONLY] done\r\n")
            elif cmd == "UID SEARCH":
                c.send(b"* SEARCH\r\n" + tag.encode() + b" OK done\r\n")
            elif verb == "LOGOUT":
                c.send(b"* BYE bye\r\n" + tag.encode() + b" OK done\r\n")
                return
            else:
                c.send(tag.encode() + b" OK done\r\n")
    except (OSError, ssl.SSLError) as e:
        c.note("ERROR %s" % e.__class__.__name__)
    finally:
        try:
            c.sock.close()
        except OSError:
            pass


def main():
    portfile, log, cert, key, mode, password = sys.argv[1:7]
    ls = testnet.listen()
    testnet.publish_ports(portfile, ls.getsockname()[1])
    while True:
        s, _ = ls.accept()
        threading.Thread(target=serve, args=(s, log, cert, key, mode,
                                              password), daemon=True).start()


if __name__ == "__main__":
    main()
