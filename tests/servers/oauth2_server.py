#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/servers/oauth2_server.py - for gravity's OAuth2 test, on 127.0.0.1 only:
an HTTPS token endpoint (RFC 6749 section 6, the refresh-token grant) and a
tiny IMAPS server that accepts AUTHENTICATE XOAUTH2 with the access token it
handed out, then serves an empty INBOX.  Both use the test's certificate.

Also a plain-HTTP token introspection endpoint (RFC 7662) for Dovecot's
oauth2 passdb: POST /introspect with token=...: active, as user "test",
for the access token handed out, unless DIR/revoked exists.

usage: oauth2_server.py DIR CERT KEY CLIENT_ID CLIENT_SECRET REFRESH_TOKEN
Writes "HTTPS_PORT IMAPS_PORT INTROSPECT_PORT" to DIR/ports; appends each
decoded XOAUTH2 string to DIR/xoauth2.log, each token request's form to
DIR/token.log and each introspected token to DIR/introspect.log.
Serves until killed (by PID)."""
import base64
import http.server
import os
import ssl
import sys
import threading
import urllib.parse

import testnet

D, CERT, KEY, CID, CSECRET, REFRESH = sys.argv[1:7]
ACCESS = "ya29.access-token-for-test-7f3a"


def ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.load_cert_chain(CERT, KEY)
    return c


class JsonForm(http.server.BaseHTTPRequestHandler):
    """A POSTed form in, a JSON reply out."""

    def form(self):
        n = int(self.headers.get("Content-Length", "0"))
        return urllib.parse.parse_qs(self.rfile.read(n).decode())

    def reply(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


class Token(JsonForm):
    def do_POST(self):
        form = self.form()
        with open(os.path.join(D, "token.log"), "a") as f:
            f.write(repr(sorted(form.items())) + "\n")
        one = {k: v[0] for k, v in form.items()}
        if (self.path == "/token" and one.get("grant_type") == "refresh_token"
                and one.get("client_id") == CID
                and one.get("client_secret") == CSECRET
                and one.get("refresh_token") == REFRESH):
            self.reply(200, '{"access_token": "%s", "expires_in": 3599, '
                            '"token_type": "Bearer"}' % ACCESS)
        else:
            self.reply(400, '{"error": "invalid_grant", '
                            '"error_description": "Bad Request"}')


class Introspect(JsonForm):
    def do_POST(self):
        token = self.form().get("token", [""])[0]
        with open(os.path.join(D, "introspect.log"), "a") as f:
            f.write(token + "\n")
        ok = token == ACCESS and not os.path.exists(os.path.join(D, "revoked"))
        self.reply(200, '{"active": true, "username": "test"}' if ok
                   else '{"active": false}')


def imap_client(conn):
    f = conn.makefile("rwb", buffering=0)

    def say(s):
        f.write(s.encode() + b"\r\n")

    say("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] fake ready")
    while True:
        line = f.readline()
        if not line:
            return
        parts = line.decode(errors="replace").rstrip("\r\n").split(" ")
        tag, cmd = parts[0], (parts[1].upper() if len(parts) > 1 else "")
        if cmd == "CAPABILITY":
            say("* CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2")
            say(tag + " OK done")
        elif cmd == "AUTHENTICATE" and len(parts) > 2 and parts[2].upper() == "XOAUTH2":
            ir = parts[3] if len(parts) > 3 else None
            if ir is None:
                say("+ ")
                ir = f.readline().decode().strip()
            raw = base64.b64decode(ir).decode(errors="replace")
            with open(os.path.join(D, "xoauth2.log"), "a") as lf:
                lf.write(raw.replace("\x01", "^A") + "\n")
            if raw == "user=test\x01auth=Bearer %s\x01\x01" % ACCESS:
                say(tag + " OK authenticated")
            else:
                say('+ eyJzdGF0dXMiOiI0MDEifQ==')
                f.readline()
                say(tag + " NO [AUTHENTICATIONFAILED] invalid token")
        elif cmd == "EXAMINE":
            say("* 0 EXISTS")
            say("* OK [UIDVALIDITY 7] ok")
            say("* OK [UIDNEXT 1] ok")
            say(tag + " OK [READ-ONLY] done")
        elif cmd == "LOGOUT":
            say("* BYE bye")
            say(tag + " OK done")
            return
        else:
            say(tag + " BAD unknown")


def imap_serve(ls, c):
    while True:
        s, _ = ls.accept()
        try:
            t = c.wrap_socket(s, server_side=True)
        except (ssl.SSLError, OSError):
            s.close()
            continue
        threading.Thread(target=lambda: (imap_client(t), t.close()),
                         daemon=True).start()


def main():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Token)
    httpd.socket = ctx().wrap_socket(httpd.socket, server_side=True)
    ls = testnet.listen()
    threading.Thread(target=imap_serve, args=(ls, ctx()), daemon=True).start()
    intro = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Introspect)
    threading.Thread(target=intro.serve_forever, daemon=True).start()
    testnet.publish_ports(os.path.join(D, "ports"), httpd.server_address[1],
                          ls.getsockname()[1], intro.server_address[1])
    httpd.serve_forever()


if __name__ == "__main__":
    main()
