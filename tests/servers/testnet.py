# SPDX-License-Identifier: MIT
"""tests/servers/testnet.py - what the tests' little servers share: a listening
socket on 127.0.0.1 only (a free port), and the port file the shell test
waits for, written whole (temporary name, then rename)."""
import os
import socket


def listen(backlog=8):
    """A TCP socket listening on 127.0.0.1, on a port the kernel chose."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(backlog)
    return ls


def publish_ports(path, *ports):
    """Write "PORT [PORT...]" to path, appearing at once or not at all."""
    with open(path + ".tmp", "w") as f:
        f.write(" ".join("%d" % p for p in ports) + "\n")
    os.rename(path + ".tmp", path)
