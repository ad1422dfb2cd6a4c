#!/usr/bin/env python3
"""Measures a plain TCP stream, to check what tests/tools/delayproxy.c does
to it: the round-trip time by a ping-pong and the rate by a bulk transfer.

  linkprobe.py serve --port-file FILE [--max-seconds S]
  linkprobe.py ping --port PORT [--count N]
  linkprobe.py bulk --port PORT --bytes N [--seed S]

serve answers on 127.0.0.1 (port written to FILE): a connection that
starts with b"P" is echoed byte for byte; one that starts with b"B" is a
sink whose SHA-256 of everything after the "B" is sent back once the
client shuts its side down.

ping prints one line per exchange of one byte: "rtt_ms=X". bulk sends N
bytes of a seeded pseudo-random stream (reproducible, not compressible),
then prints "bytes=N seconds=S intact=yes|no", S from the first byte sent
until the sink's digest came back; intact says that the digest matches,
i.e. every byte arrived, in order. Python 3 standard library only.
"""
import argparse
import hashlib
import os
import random
import socket
import sys
import threading
import time

BLOCK = 1 << 16


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        got = sock.recv(n - len(buf))
        if not got:
            raise EOFError("the connection closed early")
        buf += got
    return buf


def handle(conn):
    with conn:
        kind = conn.recv(1)
        if kind == b"P":
            while True:
                b = conn.recv(BLOCK)
                if not b:
                    return
                conn.sendall(b)
        elif kind == b"B":
            h = hashlib.sha256()
            while True:
                b = conn.recv(1 << 20)
                if not b:
                    break
                h.update(b)
            conn.sendall(h.hexdigest().encode() + b"\n")


def serve(args):
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % lsock.getsockname()[1])
    os.replace(tmp, args.port_file)
    lsock.settimeout(1.0)
    end = time.monotonic() + args.max_seconds
    while time.monotonic() < end:
        try:
            conn, _ = lsock.accept()
        except socket.timeout:
            continue
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def ping(args):
    with connect(args.port) as s:
        s.sendall(b"P")
        for _ in range(args.count):
            t0 = time.monotonic()
            s.sendall(b"x")
            recv_exact(s, 1)
            print("rtt_ms=%.2f" % ((time.monotonic() - t0) * 1000), flush=True)


def stream(seed, total):
    rng = random.Random(seed)
    left = total
    while left > 0:
        n = min(BLOCK, left)
        yield rng.randbytes(n)
        left -= n


def bulk(args):
    h = hashlib.sha256()
    blocks = list(stream(args.seed, args.bytes))
    for b in blocks:
        h.update(b)
    with connect(args.port) as s:
        s.sendall(b"B")
        t0 = time.monotonic()
        for b in blocks:
            s.sendall(b)
        s.shutdown(socket.SHUT_WR)
        digest = b""
        while not digest.endswith(b"\n"):
            got = s.recv(128)
            if not got:
                break
            digest += got
        secs = time.monotonic() - t0
    intact = digest.strip().decode() == h.hexdigest()
    print("bytes=%d seconds=%.3f intact=%s" % (args.bytes, secs, "yes" if intact else "no"))
    return 0 if intact else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port-file", required=True)
    s.add_argument("--max-seconds", type=float, default=3600)
    s = sub.add_parser("ping")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--count", type=int, default=10)
    s = sub.add_parser("bulk")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--bytes", type=int, required=True)
    s.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    return {"serve": serve, "ping": ping, "bulk": bulk}[args.cmd](args) or 0


if __name__ == "__main__":
    sys.exit(main())
