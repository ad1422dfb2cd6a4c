#!/usr/bin/env python3
"""Describes file trees to the last attribute and compares two descriptions.

    tree_compare.py describe OUT.json ROOT...
    tree_compare.py compare [--allow REGEX]... EXPECTED.json ACTUAL.json

describe walks each ROOT without following anything (every open is
relative to its folder's descriptor, so paths longer than PATH_MAX are
fine) and writes one record per entry, named ROOT's last component and the
path beneath it (bytes that are not UTF-8 as \\xNN, control characters
escaped): type, mode with set-user-ID, set-group-ID and sticky bits, owner
and group by number, nanosecond modification time (symlinks' own too),
size, content, symlink target, device numbers, every extended attribute
(security.capability and the POSIX ACLs in system.posix_acl_* among them),
chattr flags, hard-link group across all the ROOTs, and allocated bytes.
Folders' sizes and link counts are left out: file systems differ there.

compare prints one line per difference, "NAME: FIELD: expected X, got Y",
"NAME: missing" or "NAME: not expected", leaves out the lines an --allow
expression matches (re.search), and exits 1 when any line is left.

Content is hashed hole-aware: every 64 KiB window of the file that holds
data (SEEK_DATA/SEEK_HOLE) and is not all zeros, with its offset, and the
size; so a file of 5 GiB that is mostly holes is read in milliseconds, and
two files hash the same exactly when their bytes are the same.
Allocated bytes may differ by ALLOC_SLACK (file systems round and
preallocate); beyond that a sparse file that came back filled shows.
"""
import errno
import fcntl
import hashlib
import json
import os
import re
import stat
import struct
import sys

WINDOW = 64 * 1024
ALLOC_SLACK = 1024 * 1024
FS_IOC_GETFLAGS = 0x80086601
# lsattr's letters for the flags an administrator sets; those the file
# system sets by itself (extents, htree index, inline data, verity,
# encryption, huge file) are not compared.
FLAG_LETTERS = [
    (0x00000001, "s"), (0x00000002, "u"), (0x00000004, "c"), (0x00000008, "S"),
    (0x00000010, "i"), (0x00000020, "a"), (0x00000040, "d"), (0x00000080, "A"),
    (0x00004000, "j"), (0x00008000, "t"), (0x00010000, "D"), (0x00020000, "T"),
    (0x00800000, "C"), (0x02000000, "x"), (0x20000000, "P"), (0x40000000, "F"),
    (0x00000400, "m"),
]
ACL_TAGS = {0x01: "user::", 0x02: "user:%d:", 0x04: "group::", 0x08: "group:%d:", 0x10: "mask::", 0x20: "other::"}


def label(raw):
    """A name as one readable line: \\xNN for bytes that are not UTF-8,
    escapes for control characters and the backslash."""
    out = []
    for ch in raw.decode("utf-8", "surrogateescape"):
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:
            out.append("\\x%02x" % (o - 0xDC00))
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif o < 0x20 or o == 0x7F:
            out.append("\\x%02x" % o)
        else:
            out.append(ch)
    return "".join(out)


def kind_of(mode):
    for test, name in ((stat.S_ISREG, "file"), (stat.S_ISDIR, "dir"), (stat.S_ISLNK, "symlink"),
                       (stat.S_ISFIFO, "fifo"), (stat.S_ISCHR, "chr"), (stat.S_ISBLK, "blk"),
                       (stat.S_ISSOCK, "socket")):
        if test(mode):
            return name
    return "unknown"


def acl_text(value):
    """system.posix_acl_* as getfacl's short form."""
    if len(value) < 4 or (len(value) - 4) % 8:
        return "malformed:" + value.hex()
    parts = []
    for off in range(4, len(value), 8):
        tag, perm, qual = struct.unpack_from("<HHI", value, off)
        name = ACL_TAGS.get(tag, "tag%d:%%d:" % tag)
        if "%d" in name:
            name = name % qual
        perms = "".join(c if perm & b else "-" for b, c in ((4, "r"), (2, "w"), (1, "x")))
        parts.append(name + perms)
    return ",".join(parts)


def xattr_text(name, value):
    if name.startswith("system.posix_acl_"):
        return acl_text(value)
    try:
        text = value.decode("ascii")
        if text.isprintable():
            return repr(text)
    except UnicodeDecodeError:
        pass
    return "0x" + value.hex()


def content_hash(fd, size):
    """SHA-256 of (size, then offset and bytes of every 64 KiB window that
    is not all zeros), reading only where the file holds data."""
    h = hashlib.sha256(b"size %d\n" % size)
    windows = []
    pos = 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError as e:
            if e.errno == errno.ENXIO:
                break
            raise
        end = os.lseek(fd, start, os.SEEK_HOLE)
        w = start - start % WINDOW
        while w < end:
            if not windows or windows[-1] != w:
                windows.append(w)
            w += WINDOW
        pos = end
    zero = bytes(WINDOW)
    for w in windows:
        data = os.pread(fd, WINDOW, w)
        if data != zero[:len(data)]:
            h.update(b"%d %d\n" % (w, len(data)))
            h.update(data)
    return h.hexdigest()


def flags_of(fd):
    buf = fcntl.ioctl(fd, FS_IOC_GETFLAGS, bytes(8))
    value = struct.unpack_from("<i", buf)[0] & 0xFFFFFFFF
    return "".join(c for bit, c in FLAG_LETTERS if value & bit) or "-"


def describe_entry(dirfd, raw, st):
    kind = kind_of(st.st_mode)
    rec = {
        "type": kind,
        "mode": "%04o" % stat.S_IMODE(st.st_mode),
        "owner": "%d:%d" % (st.st_uid, st.st_gid),
        "mtime": "%d.%09d" % divmod(st.st_mtime_ns, 10**9),
    }
    if kind != "dir":
        rec["size"] = st.st_size
        rec["nlink"] = st.st_nlink
    if kind == "symlink":
        rec["target"] = label(os.readlink(raw, dir_fd=dirfd))
    if kind in ("chr", "blk"):
        rec["rdev"] = "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
    # Extended attributes through the folder's descriptor: no length limit.
    via = "/proc/self/fd/%d/" % dirfd
    xattrs = {}
    for name in sorted(os.listxattr(via.encode() + raw, follow_symlinks=False)):
        try:
            value = os.getxattr(via.encode() + raw, name, follow_symlinks=False)
        except OSError as e:
            value = ("unreadable: %s" % e.strerror).encode()
        xattrs[name] = xattr_text(name, value)
    rec["xattrs"] = xattrs
    if kind in ("file", "dir"):
        fd = os.open(raw, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dirfd)
        try:
            try:
                rec["flags"] = flags_of(fd)
            except OSError as e:
                rec["flags"] = "unsupported (%s)" % e.strerror
            if kind == "file":
                rec["content"] = content_hash(fd, st.st_size)
                rec["alloc"] = st.st_blocks * 512
        finally:
            os.close(fd)
    return rec


def describe(roots):
    records = {}
    groups = {}

    def walk(dirfd, raw, name):
        st = os.stat(raw, dir_fd=dirfd, follow_symlinks=False)
        records[name] = describe_entry(dirfd, raw, st)
        if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
            groups.setdefault((st.st_dev, st.st_ino), []).append(name)
        if stat.S_ISDIR(st.st_mode):
            fd = os.open(raw, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dirfd)
            try:
                for child in sorted(os.fsencode(n) for n in os.listdir(fd)):
                    walk(fd, child, name + "/" + label(child))
            finally:
                os.close(fd)

    for root in roots:
        root = os.fsencode(root.rstrip("/"))
        parent, base = os.path.split(root)
        pfd = os.open(parent or b".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            walk(pfd, base, label(base))
        finally:
            os.close(pfd)
    # A hard-link group is named by its first member, across every root.
    for members in groups.values():
        first = min(members)
        for m in members:
            records[m]["linkgroup"] = first
    return records


def shown(name):
    """A name for a line of output: components over 40 characters cut to
    their first 12 and their length, so that a path of thousands of bytes
    stays readable."""
    return "/".join(c if len(c) <= 40 else "%s...(%d)" % (c[:12], len(c)) for c in name.split("/"))


def show(value):
    return value if isinstance(value, str) else json.dumps(value)


def compare(expected, actual):
    lines = []
    for key in sorted(set(expected) | set(actual)):
        name = shown(key)
        if key not in actual:
            lines.append("%s: missing (a %s)" % (name, expected[key]["type"]))
            continue
        if key not in expected:
            lines.append("%s: not expected (a %s)" % (name, actual[key]["type"]))
            continue
        e, a = expected[key], actual[key]
        for field in sorted(set(e) | set(a)):
            ev, av = e.get(field), a.get(field)
            if field == "xattrs":
                for x in sorted(set(ev or {}) | set(av or {})):
                    xe, xa = (ev or {}).get(x), (av or {}).get(x)
                    if xe != xa:
                        lines.append("%s: xattr %s: expected %s, got %s" %
                                     (name, x, xe if xe is not None else "none", xa if xa is not None else "none"))
            elif field == "alloc":
                if ev is not None and av is not None and abs(ev - av) > ALLOC_SLACK:
                    lines.append("%s: alloc: expected %d bytes allocated (size %d), got %d" %
                                 (name, ev, e.get("size", 0), av))
            elif ev != av:
                ev, av = (("none" if v is None else shown(v) if field in ("target", "linkgroup") else show(v))
                          for v in (ev, av))
                lines.append("%s: %s: expected %s, got %s" % (name, field, ev, av))
    return lines


def main(argv):
    if len(argv) >= 3 and argv[0] == "describe":
        with open(argv[1], "w") as f:
            json.dump(describe(argv[2:]), f, indent=0, sort_keys=True)
        return 0
    if argv and argv[0] == "compare":
        allow = []
        args = argv[1:]
        while len(args) >= 2 and args[0] == "--allow":
            allow.append(re.compile(args[1]))
            args = args[2:]
        if len(args) != 2:
            return usage()
        with open(args[0]) as f:
            expected = json.load(f)
        with open(args[1]) as f:
            actual = json.load(f)
        left = [l for l in compare(expected, actual) if not any(r.search(l) for r in allow)]
        for l in left:
            print(l)
        return 1 if left else 0
    return usage()


def usage():
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
