#!/usr/bin/env python3
"""An SFTP server on 127.0.0.1 built on AsyncSSH, for the integration tests:
a second SFTP implementation in Python, and one that can be made hostile.

    asyncssh_hostile.py --dir DIR --port-file F --authorized-key FILE.pub
        [--endless NAME [--name-length N] [--per-reply N] [--delay S]]
        [--short-read N] [--rename-overwrites] [--made-meanwhile NAME]
        [--max-seconds 600]

It makes a fresh ed25519 host key (DIR/hostkey_ed25519 and its .pub), serves
DIR as the root of the file system the client sees (so DIR/srv is /srv),
accepts the key in FILE.pub or any password, and writes the port it listens
on to F (atomically). With --endless NAME, listing any folder named NAME
never ends: every readdir is answered with --per-reply fresh names of
--name-length bytes each, after --delay seconds, and never with EOF.

Two liberties other servers take, and a client must cope with:
--short-read N answers every READ with at most N bytes (the SFTP draft lets
a server return less than asked before the end of the file; the client
reads on from where the reply ended), and --rename-overwrites makes RENAME
replace an existing target, as SFTPGo and pkg/sftp's server do, instead of
refusing it as the draft (and asyncssh) does. --made-meanwhile NAME answers
the listing of a missing folder named NAME with "no such file" and then makes
that folder, as a second client would between two requests of the first. It
exits by itself after --max-seconds.
"""
import argparse
import asyncio
import logging
import os
import sys
import time
import warnings

warnings.simplefilter("ignore")  # asyncssh 2.10 imports ciphers cryptography deprecates

import asyncssh  # noqa: E402
from asyncssh.sftp import (  # noqa: E402
    FXP_READDIR,
    SFTPAttrs,
    SFTPEOFError,
    SFTPInvalidHandle,
    SFTPName,
    SFTPServerHandler,
)

# The one entry an endless folder's listing starts with; readdir sees it and
# answers from the generator instead.
MARKER = b"\0endless"

args = None
authorized = None


def endless_names(handler):
    """The next reply of an endless listing: names never seen before."""
    count = getattr(handler, "_endless_count", 0)
    names = []
    now = int(time.time())
    for i in range(args.per_reply):
        stem = b"junk-%012d-" % (count + i)
        name = stem + b"x" * max(0, args.name_length - len(stem))
        attrs = SFTPAttrs(permissions=0o100600, size=1024, uid=0, gid=0, atime=now, mtime=now)
        names.append(SFTPName(name, b"-rw------- 1 0 0 1024 Jan  1 00:00 " + name, attrs))
    handler._endless_count = count + args.per_reply
    return names


async def readdir(handler, packet):
    """FXP_READDIR as asyncssh answers it, except for an endless folder."""
    handle = packet.get_string()
    if handler._version < 6:
        packet.check_end()
    names = handler._dir_handles.get(handle)
    if names and names[0].filename == MARKER:
        if args.delay > 0:
            await asyncio.sleep(args.delay)
        return endless_names(handler), False
    if names:
        result = names[:128]
        del names[:128]
        return result, not names
    if names is not None:
        raise SFTPEOFError
    raise SFTPInvalidHandle("Invalid file handle")


class SFTP(asyncssh.SFTPServer):
    def __init__(self, chan):
        super().__init__(chan, chroot=args.dir)

    def read(self, file_obj, offset, size):
        if args.short_read is not None:
            size = min(size, args.short_read)
        return super().read(file_obj, offset, size)

    def rename(self, oldpath, newpath):
        if args.rename_overwrites:
            return super().posix_rename(oldpath, newpath)
        return super().rename(oldpath, newpath)

    def listdir(self, path):
        if args.endless is not None and os.path.basename(path.rstrip(b"/")) == args.endless:
            return [SFTPName(MARKER, b"endless", SFTPAttrs())]
        try:
            return super().listdir(path)
        except FileNotFoundError:
            if args.made_meanwhile is not None and os.path.basename(path.rstrip(b"/")) == args.made_meanwhile:
                os.makedirs(self.map_path(path), exist_ok=True)
            raise


class Auth(asyncssh.SSHServer):
    def begin_auth(self, username):
        return True

    def password_auth_supported(self):
        return True

    def validate_password(self, username, password):
        return True

    def public_key_auth_supported(self):
        return True

    def validate_public_key(self, username, key):
        return key.public_data == authorized.public_data


async def serve():
    key = asyncssh.generate_private_key("ssh-ed25519", comment="revault-test-host-ed25519")
    key_path = os.path.join(args.dir, "hostkey_ed25519")
    key.write_private_key(key_path)
    os.chmod(key_path, 0o600)
    key.write_public_key(key_path + ".pub")
    server = await asyncssh.listen(
        "127.0.0.1",
        0,
        server_host_keys=[key],
        server_factory=Auth,
        sftp_factory=SFTP,
        allow_scp=False,
    )
    port = server.sockets[0].getsockname()[1]
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(args.port_file + ".tmp", args.port_file)
    logging.info("listening on 127.0.0.1:%d", port)
    await asyncio.sleep(args.max_seconds)
    server.close()


def main():
    global args, authorized
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--authorized-key", required=True)
    p.add_argument("--endless", help="the name of the folders whose listing never ends")
    p.add_argument("--name-length", type=int, default=24)
    p.add_argument("--per-reply", type=int, default=128)
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--short-read", type=int, metavar="N",
                   help="answer every READ with at most N bytes")
    p.add_argument("--rename-overwrites", action="store_true",
                   help="RENAME replaces an existing target")
    p.add_argument("--made-meanwhile", metavar="NAME",
                   help="make a missing folder NAME right after saying it is missing")
    p.add_argument("--max-seconds", type=float, default=600)
    args = p.parse_args()
    args.dir = os.path.realpath(args.dir)
    if args.endless is not None:
        args.endless = os.fsencode(args.endless)
    if args.made_meanwhile is not None:
        args.made_meanwhile = os.fsencode(args.made_meanwhile)
    # A reply holds each name twice (name and long name): it must stay under
    # the 256 KiB an SFTP client such as libssh2 accepts in one packet.
    if args.per_reply < 1 or args.name_length < 1 or args.per_reply * (2 * args.name_length + 100) > 250000:
        p.error("--per-reply times twice --name-length must stay under 250000 bytes")
    if args.short_read is not None and args.short_read < 1:
        p.error("--short-read needs at least 1 byte")
    authorized = asyncssh.read_public_key(args.authorized_key)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    SFTPServerHandler._packet_handlers[FXP_READDIR] = readdir
    asyncio.run(serve())


if __name__ == "__main__":
    sys.exit(main())
