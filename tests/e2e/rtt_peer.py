#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""One end of the TCP connections of tests/e2e/test_rtt.sh.

  rtt_peer.py server ADDR PORT NCONN DONEFILE BULK PINGS
  rtt_peer.py client ADDR PORT DONEFILE BULK PINGS

Per connection, both ends send BULK bytes to each other at once (through
the shaped link this fills the queue, so the RTT grows to milliseconds),
then PINGS exchanges of 100 bytes, so that the RTT callback has run after
the last change of the kernel's smoothed RTT. Each end then prints one
JSON line with its 4-tuple and waits (at most 60 s) for DONEFILE to exist
before it closes. Bounded everywhere: socket timeouts of 30 s.
"""
import json
import os
import socket
import sys
import threading
import time

MSG = 100



def say(obj):
    """One line in one write(): several peers append to the same file, and
    print() writes the text and its newline apart, which can interleave."""
    os.write(1, (json.dumps(obj) + "\n").encode())

def recv_exact(s, n):
    got = 0
    while got < n:
        d = s.recv(min(65536, n - got))
        if not d:
            raise EOFError("peer closed after %d of %d bytes" % (got, n))
        got += len(d)


def bulk(s, n):
    t = threading.Thread(target=s.sendall, args=(b"b" * n,))
    t.start()
    recv_exact(s, n)
    t.join()


def ends(s):
    l, r = s.getsockname(), s.getpeername()
    return {"local": l[0], "lport": l[1], "remote": r[0], "rport": r[1]}


def report_and_wait(s, role, done):
    say(dict(ends(s), role=role))
    for _ in range(600):
        if os.path.exists(done):
            break
        time.sleep(0.1)
    s.close()


def serve_one(c, done, n, pings):
    c.settimeout(30)
    bulk(c, n)
    for _ in range(pings):
        recv_exact(c, MSG)
        c.sendall(b"p" * MSG)
    report_and_wait(c, "server", done)


def server(addr, port, nconn, done, n, pings):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(16)
    ls.settimeout(30)
    say({"role": "listening"})
    threads = []
    for _ in range(nconn):
        c, _ = ls.accept()
        t = threading.Thread(target=serve_one, args=(c, done, n, pings))
        t.start()
        threads.append(t)
    ls.close()
    for t in threads:
        t.join()


def client(addr, port, done, n, pings):
    s = socket.create_connection((addr, port), timeout=30)
    bulk(s, n)
    for _ in range(pings):
        s.sendall(b"q" * MSG)
        recv_exact(s, MSG)
    report_and_wait(s, "client", done)


def main(a):
    if a[0] == "server":
        server(a[1], int(a[2]), int(a[3]), a[4], int(a[5]), int(a[6]))
    else:
        client(a[1], int(a[2]), a[3], int(a[4]), int(a[5]))


if __name__ == "__main__":
    main(sys.argv[1:])
