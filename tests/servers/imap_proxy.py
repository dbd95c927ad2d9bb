#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/servers/imap_proxy.py - a misbehaving TCP relay on 127.0.0.1 for gravity's
IMAP failure tests.  TLS passes through it untouched (end to end between
gravity and Dovecot), so certificate checks still apply.

usage: imap_proxy.py PORTFILE MODE [TARGETPORT [N]]
  pass    relay both ways
  cut     close both sides once N bytes came from the server (a server that
          drops the connection mid-fetch); later connections are relayed
  stall   stop relaying server bytes after N, keep the connection open (a
          server that stops answering); later connections are relayed
  silent  accept and never answer (no TARGETPORT)
Writes its port to PORTFILE, then serves until killed (by PID)."""
import os
import socket
import sys
import threading

import testnet


def relay(src, dst, mode, limit):
    n = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if limit is not None and n + len(data) >= limit:
                dst.sendall(data[:limit - n])
                if mode == "stall":
                    threading.Event().wait()
                break
            n += len(data)
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client, mode, port, limit):
    if mode == "silent":
        threading.Event().wait()
        return
    server = socket.create_connection(("127.0.0.1", port))
    up = threading.Thread(target=relay, args=(client, server, "pass", None),
                          daemon=True)
    up.start()
    relay(server, client, mode, None if mode == "pass" else limit)


def main():
    portfile, mode = sys.argv[1], sys.argv[2]
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    limit = int(sys.argv[4]) if len(sys.argv) > 4 else None
    ls = testnet.listen()
    testnet.publish_ports(portfile, ls.getsockname()[1])
    first = True
    while True:
        c, _ = ls.accept()
        m = mode if first or mode == "silent" else "pass"
        first = False
        threading.Thread(target=serve, args=(c, m, port, limit),
                         daemon=True).start()


if __name__ == "__main__":
    main()
