#!/usr/bin/env python3
"""A TCP proxy that breaks connections on purpose, for the fault tests.

It forwards every connection it accepts on --listen to --target and, per
connection, can cut it (close both sides) after N bytes client->server
(--cut-up) or server->client (--cut-down), stall one direction for S seconds
after N bytes (--stall-after N --stall S [--stall-dir up|down]), or throttle
both directions to a byte rate (--rate). With --fault-conn K only the K-th
connection (from 1) is damaged; the others pass through untouched. With
--drop-first K the first K connections are closed as soon as they are
accepted, before any byte (as OpenSSH does past MaxStartups); with
--later-target HOST:PORT every connection after the first goes there (a
server replaced between two connections). The chosen
port is written to --port-file; the proxy exits on its own after
--max-seconds. Events go to stderr (or --log), one line each.
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

CHUNK = 65536


def parse_addr(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host, int(port)


class Log:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1) if path else sys.stderr
        self.lock = threading.Lock()

    def __call__(self, msg):
        with self.lock:
            self.f.write(f"faultproxy: {msg}\n")
            self.f.flush()


class Conn:
    """One proxied connection: two pumps and the faults that apply to it."""

    def __init__(self, num, client, args, log, faulty):
        self.num = num
        self.client = client
        self.args = args
        self.log = log
        self.faulty = faulty
        self.server = None
        self.closed = threading.Event()
        self.lock = threading.Lock()
        self.sent = {"up": 0, "down": 0}

    def close(self, why):
        with self.lock:
            if self.closed.is_set():
                return
            self.closed.set()
        self.log(f"conn {self.num}: closed ({why}); up={self.sent['up']} down={self.sent['down']}")
        for s in (self.client, self.server):
            if s is None:
                continue
            try:
                if self.args.reset:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                else:
                    s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass

    def start(self):
        if self.num <= self.args.drop_first:
            self.close("dropped before any byte")
            return
        target = self.args.later_target if self.args.later_target and self.num > 1 else self.args.target
        try:
            self.server = socket.create_connection(target, timeout=10)
            self.server.settimeout(None)
        except OSError as e:
            self.log(f"conn {self.num}: cannot reach target: {e}")
            self.close("target unreachable")
            return
        for name, src, dst in (("up", self.client, self.server), ("down", self.server, self.client)):
            threading.Thread(target=self.pump, args=(name, src, dst), daemon=True).start()

    def limits(self, name):
        a = self.args
        if not self.faulty:
            return None, None
        cut = a.cut_up if name == "up" else a.cut_down
        stall = a.stall_after if a.stall_after is not None and a.stall_dir == name else None
        return cut, stall

    def pump(self, name, src, dst):
        cut, stall = self.limits(name)
        rate = self.args.rate if self.faulty else None
        sent = 0
        t0 = time.monotonic()
        stalled = False
        try:
            while not self.closed.is_set():
                data = src.recv(CHUNK)
                if not data:
                    self.close(f"{name} EOF after {sent} bytes")
                    return
                while data:
                    piece = data
                    if cut is not None:
                        piece = piece[: max(0, cut - sent)]
                    if stall is not None and not stalled:
                        piece = piece[: max(0, stall - sent)]
                    if piece:
                        dst.sendall(piece)
                        sent += len(piece)
                        self.sent[name] = sent
                        data = data[len(piece):]
                    if rate:
                        ahead = sent / rate - (time.monotonic() - t0)
                        if ahead > 0:
                            time.sleep(ahead)
                    if cut is not None and sent >= cut:
                        self.log(f"conn {self.num}: cut {name} at {sent} bytes")
                        self.close(f"cut {name}")
                        return
                    if stall is not None and not stalled and sent >= stall:
                        stalled = True
                        self.log(f"conn {self.num}: stall {name} at {sent} bytes for {self.args.stall} s")
                        if self.closed.wait(self.args.stall):
                            return
                        self.log(f"conn {self.num}: stall {name} over")
        except OSError as e:
            self.close(f"{name}: {e.strerror or e}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", type=parse_addr, default=("127.0.0.1", 0))
    p.add_argument("--target", type=parse_addr, required=True)
    p.add_argument("--cut-up", type=int, metavar="N", help="close after N bytes client->server")
    p.add_argument("--cut-down", type=int, metavar="N", help="close after N bytes server->client")
    p.add_argument("--stall-after", type=int, metavar="N", help="stall after N bytes")
    p.add_argument("--stall", type=float, default=0.0, metavar="S", help="stall length in seconds")
    p.add_argument("--stall-dir", choices=("up", "down"), default="down")
    p.add_argument("--rate", type=float, metavar="BYTES_PER_S", help="throttle both directions")
    p.add_argument("--fault-conn", type=int, metavar="K", help="damage only the K-th connection")
    p.add_argument("--reset", action="store_true", help="cut with a TCP reset instead of a close")
    p.add_argument("--drop-first", type=int, default=0, metavar="K",
                   help="close the first K connections at once, before any byte")
    p.add_argument("--later-target", type=parse_addr, metavar="HOST:PORT",
                   help="forward every connection after the first here")
    p.add_argument("--port-file", required=True)
    p.add_argument("--max-seconds", type=float, default=300.0)
    p.add_argument("--log")
    args = p.parse_args()
    log = Log(args.log)

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(args.listen)
    ls.listen(16)
    port = ls.getsockname()[1]
    tmp = f"{args.port_file}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, args.port_file)
    log(f"listening on {args.listen[0]}:{port} -> {args.target[0]}:{args.target[1]}")

    deadline = time.monotonic() + args.max_seconds
    num = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            log(f"exiting after {args.max_seconds:g} s")
            break
        ls.settimeout(min(left, 1.0))
        try:
            client, _ = ls.accept()
        except socket.timeout:
            continue
        num += 1
        faulty = args.fault_conn is None or args.fault_conn == num
        log(f"conn {num}: accepted{'' if faulty else ' (passed through)'}")
        client.settimeout(None)
        Conn(num, client, args, log, faulty).start()
    os._exit(0)


if __name__ == "__main__":
    main()
