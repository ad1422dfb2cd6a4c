#!/usr/bin/env python3
"""Hostile and odd revault archives, written without any of revault's code.

A revault archive is a pax tar, zstd-compressed, led by a regular file
".revault-manifest" ("revault-manifest 1\\n", then "source /ABS/PATH\\n" per
source); every other entry is stored relative to "/" (docs/FORMAT.md). This
tool writes such archives with Python's tarfile and the zstd command, some
breaking the rules a restore must enforce, some legal but unusual, for
tests/integration/restore_hostile.sh, which seals them with rv_seal and
restores them with the real binary.

    hostile_tar.py list --source S [--outside O] [--other V]
        one line per case: NAME<TAB>KIND<TAB>PATTERN. KIND is "hostile" (the
        revision must be refused), "damaged" (the tar itself is broken),
        "legal" (it must restore exactly), "legal-root" (the same, when
        run as root) or "other" (it names a second source, V); PATTERN is
        an extended regular expression the one line of a refusal must
        match.
    hostile_tar.py gen CASE OUT.tar.zst --source S [--outside O] [--other V] [--raw]
        writes the case; --raw leaves the tar uncompressed.
    hostile_tar.py expect CASE --source S [--outside O] [--other V] [--tree T]
        what a restore of a legal case must leave in S (or in the source
        T the case's manifest names), in the form `describe` prints.
    hostile_tar.py describe DIR
        a restored tree: one line per entry (path relative to DIR, type,
        mode, and content hash, symlink target, device numbers or hard-link
        group).
    hostile_tar.py snapshot DIR [--exclude REL]...
        everything about a tree that a restore could change: type, mode,
        owner, size, link count, inode, mtime in nanoseconds, device
        numbers, symlink target and content hash of every entry, DIR
        itself included; a directory's size and link count are not in it
        (the filesystem's bookkeeping: its entries are). REL (relative to DIR) and all below it are left
        out ("." leaves out DIR's own entry).
    hostile_tar.py serve
        runs the commands above read from stdin, one a line (see serve()).

S, O and V are absolute paths: the configured source, a directory outside
every source that holds known content (O/victim), and a directory the
machine does not back up.
"""
import argparse
import hashlib
import io
import os
import random
import re
import stat
import subprocess
import sys
import tarfile

MTIME = 1700000000
MANIFEST = ".revault-manifest"


def b(s):
    return s if isinstance(s, bytes) else os.fsencode(s)


def esc(p):
    """A path as one printable line: bytes outside printable ASCII, and the
    backslash, as \\xNN."""
    return "".join(chr(x) if 0x20 < x < 0x7f and x != 0x5c else "\\x%02x" % x for x in b(p))


class Archive:
    """Entries in the order given, written as a pax tar."""

    def __init__(self):
        self.entries = []  # (TarInfo, data or None)

    def _add(self, name, kind, mode, data=None, link=None, dev=None):
        ti = tarfile.TarInfo(os.fsdecode(b(name)))
        ti.type = kind
        ti.mode = mode
        ti.mtime = MTIME
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = "root"
        if link is not None:
            ti.linkname = os.fsdecode(b(link))
        if dev is not None:
            ti.devmajor, ti.devminor = dev
        if data is not None:
            ti.size = len(data)
        self.entries.append((ti, data))

    def manifest(self, sources=None, text=None):
        if text is None:
            text = b"revault-manifest 1\n" + b"".join(b"source " + b(s) + b"\n" for s in sources)
        self._add(MANIFEST, tarfile.REGTYPE, 0o600, data=b(text))

    def dir(self, name, mode=0o755):
        self._add(name, tarfile.DIRTYPE, mode)

    def file(self, name, data=b"", mode=0o644):
        self._add(name, tarfile.REGTYPE, mode, data=b(data))

    def symlink(self, name, target):
        self._add(name, tarfile.SYMTYPE, 0o777, link=target)

    def hardlink(self, name, target, mode=0o644):
        self._add(name, tarfile.LNKTYPE, mode, link=target)

    def chr(self, name, major, minor, mode=0o600):
        self._add(name, tarfile.CHRTYPE, mode, dev=(major, minor))

    def blk(self, name, major, minor, mode=0o600):
        self._add(name, tarfile.BLKTYPE, mode, dev=(major, minor))

    def fifo(self, name, mode=0o644):
        self._add(name, tarfile.FIFOTYPE, mode)

    def tar(self):
        """The tar bytes, and the offset of each entry's first header."""
        out = io.BytesIO()
        offsets = []
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT,
                          encoding="utf-8", errors="surrogateescape") as t:
            for ti, data in self.entries:
                offsets.append(out.tell())
                t.addfile(ti, io.BytesIO(data) if data is not None else None)
        return out.getvalue(), offsets


class Ctx:
    def __init__(self, source, outside, other):
        self.S = b(source)
        self.O = b(outside) if outside else b(os.path.join(os.path.dirname(source), "O"))
        self.V = b(other) if other else b(os.path.join(os.path.dirname(source), "V"))
        for p in (self.S, self.O, self.V):
            if not p.startswith(b"/") or p == b"/":
                sys.exit("hostile_tar.py: paths must be absolute and not /")
        self.P = self.S.lstrip(b"/")      # S as stored: tmp/x/S
        self.PO = self.O.lstrip(b"/")
        self.PV = self.V.lstrip(b"/")

    def s(self, rel=b""):
        """The stored name of S/rel."""
        return self.P + (b"/" + b(rel) if rel else b"")


CASES = {}


def case(kind, pattern, own=False):
    """Registers a case. pattern: a regular expression, or a function of
    the Ctx returning one. A hostile or damaged case is wrapped in start() and
    finish() unless it writes its own manifest (own)."""
    def reg(fn):
        CASES[fn.__name__.replace("_", "-")] = (kind, pattern, fn, own)
        return fn
    return reg


def start(a, c, name):
    """What every ordinary revision starts with: the manifest naming S, the
    source directory and one file."""
    a.manifest([c.S])
    a.dir(c.s())
    a.file(c.s("a.conf"), b"from the revision " + b(name) + b"\n")


def finish(a, c):
    a.file(c.s("z.conf"), b"after the bad entry\n")


# ---- hostile: each must be refused whole (exit 5, one line naming it) ----

@case("hostile", r"x/secret")
def symlink_through(a, c):
    a.symlink(c.s("x"), c.O)
    a.file(c.s("x/secret"), b"written through a symlink\n")


@case("hostile", r"ln/dir")
def symlink_deeper(a, c):
    a.symlink(c.s("ln"), c.O)
    a.dir(c.s("ln/dir"))
    a.dir(c.s("ln/dir/deeper"))
    a.file(c.s("ln/dir/deeper/f"), b"deep through a symlink\n")


@case("hostile", r"up/relsecret")
def symlink_relative_through(a, c):
    a.symlink(c.s("up"), b"../O")
    a.file(c.s("up/relsecret"), b"through a relative symlink\n")


@case("hostile", r"rootsym", own=True)
def root_symlink_through(a, c):
    # The source root itself is a symlink out, then a file "inside" it.
    a.manifest([c.S])
    a.symlink(c.s(), c.O)
    a.file(c.s("rootsym"), b"through the source root\n")


@case("hostile", r"longtarget")
def symlink_target_too_long(a, c):
    # symlink(2) refuses a target of PATH_MAX bytes or more: restore could
    # not make it, so verify must refuse it too.
    a.symlink(c.s("longtarget"), b"x" * 5000)


@case("hostile", r"emptytarget")
def symlink_target_empty(a, c):
    a.symlink(c.s("emptytarget"), b"")


@case("hostile", r"dotdot-f")
def dotdot_file(a, c):
    a.file(c.s("../O/dotdot-f"), b"climbed out\n")


@case("hostile", r"a/\.\./\.\./O")
def dotdot_dir(a, c):
    a.dir(c.s("a"))
    a.dir(c.s("a/../../O"))


@case("hostile", r"sub/\.\.")
def dotdot_last(a, c):
    a.dir(c.s("sub"))
    a.dir(c.s("sub/.."))


@case("hostile", r"lead-dd")
def dotdot_leading(a, c):
    a.file(b"../../lead-dd", b"climbed out\n")


@case("hostile", r"abs-f")
def absolute(a, c):
    a.file(b"/" + c.PO + b"/abs-f", b"absolute\n")


@case("hostile", r"abs-in")
def absolute_in_source(a, c):
    a.file(b"/" + c.P + b"/abs-in", b"absolute, inside the source\n")


@case("hostile", r"emptycomp")
def empty_component(a, c):
    a.file(c.P + b"//emptycomp", b"empty component\n")


@case("hostile", r"outside-f")
def outside(a, c):
    a.file(c.PO + b"/outside-f", b"outside every source\n")


@case("hostile", r"S-evil")
def outside_prefix(a, c):
    # Shares S's name as a string prefix, but lies beside it.
    a.dir(c.P + b"-evil")
    a.file(c.P + b"-evil/f", b"beside the source\n")


@case("hostile", lambda c: re.escape(os.path.basename(os.path.dirname(c.S)).decode()) + r"/?([^/S]|$)")
def above_source(a, c):
    a.dir(os.path.dirname(c.P))


@case("hostile", r"revault-manifest")
def manifest_twice(a, c):
    a.file(MANIFEST, b"revault-manifest 1\nsource /\n")


@case("hostile", r"hl-out|O/victim")
def hardlink_outside(a, c):
    a.hardlink(c.s("hl-out"), c.PO + b"/victim")


@case("hostile", r"hl-etc|etc/passwd")
def hardlink_etc(a, c):
    a.hardlink(c.s("hl-etc"), b"etc/passwd")


@case("hostile", r"hl-abs")
def hardlink_absolute(a, c):
    a.hardlink(c.s("hl-abs"), b"/" + c.s("a.conf"))


@case("hostile", r"hl-dd")
def hardlink_dotdot(a, c):
    a.hardlink(c.s("hl-dd"), c.s("../O/victim"))


@case("hostile", r"hl-miss|never-there")
def hardlink_missing(a, c):
    a.hardlink(c.s("hl-miss"), c.s("never-there"))


@case("hostile", r"hl-fwd|later")
def hardlink_forward(a, c):
    a.hardlink(c.s("hl-fwd"), c.s("later"))
    a.file(c.s("later"), b"named by a link before it\n")


@case("hostile", r"hl-sym|x/victim")
def hardlink_through_symlink(a, c):
    a.symlink(c.s("x"), c.O)
    a.hardlink(c.s("hl-sym"), c.s("x/victim"))


@case("hostile", r"hl-dir|S/d\b")
def hardlink_to_dir(a, c):
    a.dir(c.s("d"))
    a.hardlink(c.s("hl-dir"), c.s("d"))


@case("hostile", r"hl-man|revault-manifest")
def hardlink_to_manifest(a, c):
    a.hardlink(c.s("hl-man"), MANIFEST)


@case("hostile", r"dupfile")
def dup_file(a, c):
    a.file(c.s("dupfile"), b"one\n")
    a.file(c.s("dupfile"), b"two\n")


@case("hostile", r"dupdir")
def dup_dir(a, c):
    a.dir(c.s("dupdir"))
    a.dir(c.s("dupdir"), 0o700)


@case("hostile", r"dirlater")
def dup_dir_then_symlink(a, c):
    a.dir(c.s("dirlater"))
    a.file(c.s("dirlater/f"), b"in the directory\n")
    a.symlink(c.s("dirlater"), c.O)


@case("hostile", r"filedir")
def dup_file_then_dir(a, c):
    a.file(c.s("filedir"), b"a file first\n")
    a.dir(c.s("filedir"))


@case("hostile", r"L{32}")
def long_component(a, c):
    a.file(c.s(b"L" * 256), b"a 256-byte name\n")


@case("hostile", r"nodir")
def parent_missing(a, c):
    a.file(c.s("nodir/f"), b"no parent entry\n")


@case("hostile", r"rootless", own=True)
def root_missing(a, c):
    a.manifest([c.S])
    a.file(c.s("rootless"), b"the source root never appeared\n")


@case("hostile", r"S/sub", own=True)
def nested_sources(a, c):
    a.manifest([c.S, c.S + b"/sub"])
    a.dir(c.s())
    a.dir(c.s("sub"))
    a.file(c.s("sub/f"), b"in a nested source\n")


@case("hostile", r"[Mm]anifest", own=True)
def manifest_late(a, c):
    a.dir(c.s())
    a.manifest([c.S])
    a.file(c.s("a.conf"), b"after a late manifest\n")


@case("hostile", r"[Mm]anifest", own=True)
def manifest_missing(a, c):
    a.dir(c.s())
    a.file(c.s("a.conf"), b"no manifest at all\n")


@case("hostile", r"[Mm]anifest", own=True)
def manifest_root(a, c):
    # "/" and S: S nests in "/". No "." entry, so no tree would be "/".
    a.manifest([c.S, b"/"])
    a.dir(c.s())
    a.file(c.s("a.conf"), b"manifest names / too\n")


@case("hostile", r"[Mm]anifest", own=True)
def manifest_dotdot(a, c):
    a.manifest([c.S + b"/../O"])
    a.dir(c.PO)
    a.file(c.PO + b"/m-dd", b"through the manifest\n")


@case("hostile", r"[Mm]anifest", own=True)
def manifest_junk(a, c):
    a.manifest(text=b"revault-manifest 1\nsource " + c.S + b"\n\x01junk")
    a.dir(c.s())


@case("hostile", r"[Mm]anifest", own=True)
def manifest_relative(a, c):
    a.manifest(text=b"revault-manifest 1\nsource " + c.P + b"\n")
    a.dir(c.s())


@case("hostile", r"[Mm]anifest", own=True)
def manifest_empty(a, c):
    a.manifest(text=b"revault-manifest 1\n")
    a.dir(c.s())


@case("hostile", r"[Mm]anifest", own=True)
def manifest_version(a, c):
    a.manifest(text=b"revault-manifest 2\nsource " + c.S + b"\n")
    a.dir(c.s())


@case("hostile", r"[Mm]anifest", own=True)
def manifest_symlink(a, c):
    a._add(MANIFEST, tarfile.SYMTYPE, 0o777, link=b"/etc/passwd")
    a.dir(c.s())


@case("damaged", r"damaged")
def damaged(a, c):
    # Ordinary content; build() splices a block of random bytes in the
    # middle, where an entry's header should be.
    for i in range(8):
        a.file(c.s("f%d" % i), (b"block %d\n" % i) * 200)


@case("damaged", r"[Dd]amaged|[Tt]runcated|[Ee]nd")
def truncated(a, c):
    # Ordinary content; build() cuts the tar inside an entry's data.
    for i in range(8):
        a.file(c.s("f%d" % i), (b"block %d\n" % i) * 200)


# ---- legal but unusual: each must restore exactly ----

@case("legal", "")
def benign(a, c):
    a.manifest([c.S])
    a.dir(c.s())
    a.file(c.s("a.conf"), b"benign a\n")
    a.file(c.s("empty"))
    a.file(c.s("exec"), b"#!/bin/sh\necho hi\n", 0o755)
    a.dir(c.s("sub"), 0o750)
    a.file(c.s("sub/b.conf"), b"benign b\n" * 1000, 0o600)
    a.dir(c.s("sub/deeper"))
    a.file(c.s("sub/deeper/c"), bytes(range(256)) * 300)


@case("legal-root", "")
def devices(a, c):
    a.manifest([c.S])
    a.dir(c.s())
    a.chr(c.s("null"), 1, 3, 0o666)
    a.chr(c.s("chr"), 240, 17)
    a.blk(c.s("blk"), 7, 200, 0o640)
    a.file(c.s("a.conf"), b"beside the nodes\n")


@case("legal", "")
def fifo(a, c):
    a.manifest([c.S])
    a.dir(c.s())
    a.fifo(c.s("fifo"), 0o640)
    a.dir(c.s("sub"))
    a.fifo(c.s("sub/pipe"), 0o600)


@case("legal", "")
def modes(a, c):
    a.manifest([c.S])
    a.dir(c.s())
    a.file(c.s("suid"), b"setuid\n", 0o4755)
    a.file(c.s("sgid"), b"setgid\n", 0o2755)
    a.file(c.s("both"), b"setuid and setgid\n", 0o6750)
    a.file(c.s("ro"), b"read only\n", 0o400)
    a.file(c.s("none"), b"no permissions\n", 0o000)
    a.dir(c.s("sticky"), 0o1777)
    a.file(c.s("sticky/f"), b"in a sticky directory\n")
    a.dir(c.s("sgiddir"), 0o2775)
    a.dir(c.s("rodir"), 0o555)
    a.file(c.s("rodir/f"), b"in a read-only directory\n")


@case("legal", "")
def hardlinks(a, c):
    a.manifest([c.S])
    a.dir(c.s())
    a.file(c.s("h1"), b"one inode, three names\n")
    a.hardlink(c.s("h2"), c.s("h1"))
    a.dir(c.s("sub"))
    a.hardlink(c.s("sub/h3"), c.s("h1"))
    a.file(c.s("alone"), b"one inode, one name\n")


@case("legal", "")
def hardlink_symlink(a, c):
    # A hard link to a symlink links the symlink, never its target.
    a.manifest([c.S])
    a.dir(c.s())
    a.symlink(c.s("lnk"), c.O + b"/victim")
    a.hardlink(c.s("hl-lnk"), c.s("lnk"))


@case("legal", "")
def symlinks(a, c):
    a.manifest([c.S])
    a.dir(c.s())
    a.file(c.s("a.conf"), b"symlinks beside me\n")
    a.symlink(c.s("abs"), b"/etc/passwd")
    a.symlink(c.s("outside"), c.O + b"/victim")
    a.symlink(c.s("outdir"), c.O)
    a.symlink(c.s("dangling"), b"/nonexistent/revault-dangling")
    a.symlink(c.s("rel"), b"../O/victim")
    a.symlink(c.s("relin"), b"a.conf")
    a.symlink(c.s("self"), b"self")
    a.symlink(c.s("dotdot"), b"..")
    a.dir(c.s("sub"))
    a.symlink(c.s("sub/up"), b"../../../../../../../../etc")
    a.symlink(c.s("dirlink"), b"sub")


@case("legal", "")
def long_path(a, c):
    # About 3,000 bytes below S: 15 directories of 200 bytes, each present.
    a.manifest([c.S])
    a.dir(c.s())
    rel = b""
    for i in range(15):
        rel += (b"/" if rel else b"") + (b"%02d" % i) + b"d" * 198
        a.dir(c.s(rel))
    a.file(c.s(rel + b"/" + b"f" * 60), b"at the bottom of a long path\n")


@case("legal", "")
def name_255(a, c):
    a.manifest([c.S])
    a.dir(c.s())
    a.file(c.s(b"N" * 255), b"a 255-byte name\n")
    a.dir(c.s(b"D" * 255))
    a.file(c.s(b"D" * 255 + b"/" + b"E" * 255), b"two of them\n")


@case("legal", "")
def non_utf8(a, c):
    a.manifest([c.S])
    a.dir(c.s())
    a.file(c.s(b"caf\xe9"), b"latin-1 name\n")
    a.dir(c.s(b"\xff\xfe-dir"))
    a.file(c.s(b"\xff\xfe-dir/\x80\x81"), b"bytes that are not UTF-8\n")
    a.symlink(c.s(b"bin-link"), b"\xff\xfe-dir/\x80\x81")


@case("legal", "")
def utf8_names(a, c):
    # pax stores names as UTF-8 unless it says otherwise (hdrcharset):
    # names that are valid UTF-8 beyond ASCII, as most writers store them.
    a.manifest([c.S])
    a.dir(c.s())
    a.file(c.s("utf8-\u00fc\u20ac"), b"valid UTF-8\n")
    a.dir(c.s("\u65e5\u672c"))
    a.file(c.s("\u65e5\u672c/\u00e9t\u00e9"), b"valid UTF-8 below a UTF-8 directory\n")
    a.symlink(c.s("utf8-link"), "\u65e5\u672c/\u00e9t\u00e9")


@case("legal", "")
def odd_names(a, c):
    a.manifest([c.S])
    a.dir(c.s())
    for n in (b"new\nline", b"tab\there", b"back\\slash", b"-rf", b"--", b" space ", b"...", b".hidden",
              b"*", b"$(id)", b"'quote\"", b".revault-stage-x", b".revault-old-x", b".revault-manifest"):
        a.file(c.s(n), b"odd name " + n + b"\n")


# ---- case 3: a revision naming a source this machine does not back up ----

@case("other", "")
def other_source(a, c):
    a.manifest([c.S, c.V])
    a.dir(c.s())
    a.file(c.s("a.conf"), b"S from the two-source revision\n")
    a.dir(c.PV)
    a.file(c.PV + b"/v.conf", b"V from the two-source revision\n")
    a.dir(c.PV + b"/vsub")
    a.file(c.PV + b"/vsub/w", b"deeper in V\n")


def build(name, c):
    kind, _, fn, own = CASES[name]
    a = Archive()
    if kind in ("hostile", "damaged") and not own:
        start(a, c, name)
        fn(a, c)
        finish(a, c)
    else:
        fn(a, c)
    data, offsets = a.tar()
    if kind == "damaged":
        at = offsets[len(offsets) // 2 + 1]
        assert at % 512 == 0
        if name == "damaged":
            data = data[:at] + random.Random(name).randbytes(512) + data[at:]
        else:
            data = data[:at + 512 + 700]
    return data


def pattern_of(name, c):
    p = CASES[name][1]
    return p(c) if callable(p) else p


# ---- what a legal case must restore to ----

def expect(name, c, tree=None):
    """The description of the source tree (S unless given) after a restore
    of a legal case, from the archive's entries (as describe() prints a
    tree)."""
    fn = CASES[name][2]
    a = Archive()
    fn(a, c)
    prefix = b(tree).lstrip(b"/") if tree else c.P
    nodes = {}  # rel -> dict
    order = []
    for ti, data in a.entries:
        n = os.fsencode(ti.name).rstrip(b"/")
        if n == MANIFEST.encode():
            continue
        if n != prefix and not n.startswith(prefix + b"/"):
            continue
        rel = b"." if n == prefix else n[len(prefix) + 1:]
        if ti.type == tarfile.LNKTYPE:
            t = os.fsencode(ti.linkname)
            trel = b"." if t == prefix else t[len(prefix) + 1:]
            nodes[rel] = nodes[trel]  # the same inode
            order.append(rel)
            continue
        node = {"mode": ti.mode & 0o7777}
        if ti.type == tarfile.DIRTYPE:
            node["type"] = "d"
        elif ti.type == tarfile.SYMTYPE:
            node["type"] = "l"
            node["extra"] = esc(ti.linkname)
            node["mode"] = 0o777
        elif ti.type == tarfile.CHRTYPE:
            node["type"], node["extra"] = "c", "%d,%d" % (ti.devmajor, ti.devminor)
        elif ti.type == tarfile.BLKTYPE:
            node["type"], node["extra"] = "b", "%d,%d" % (ti.devmajor, ti.devminor)
        elif ti.type == tarfile.FIFOTYPE:
            node["type"] = "p"
        else:
            node["type"] = "f"
            node["extra"] = hashlib.sha256(data or b"").hexdigest()
        nodes[rel] = node
        order.append(rel)
    return lines_of({rel: nodes[rel] for rel in order})


def lines_of(entries):
    """entries: rel -> node (a node object shared by hard links)."""
    groups = {}
    for rel in sorted(entries):
        groups.setdefault(id(entries[rel]), []).append(rel)
    out = []
    for rel in sorted(entries):
        n = entries[rel]
        g = groups[id(n)]
        link = " =%s" % esc(g[0]) if len(g) > 1 and n["type"] != "d" else ""
        out.append("%s\t%s\t%04o\t%s%s" % (esc(rel), n["type"], n["mode"], n.get("extra", ""), link))
    return "\n".join(out)


def describe(root):
    root = b(root)
    entries = {}
    inodes = {}

    def one(path, rel):
        st = os.lstat(path)
        m = st.st_mode
        node = {"mode": stat.S_IMODE(m)}
        if stat.S_ISDIR(m):
            node["type"] = "d"
        elif stat.S_ISLNK(m):
            node["type"] = "l"
            node["extra"] = esc(os.readlink(path))
        elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
            node["type"] = "c" if stat.S_ISCHR(m) else "b"
            node["extra"] = "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
        elif stat.S_ISFIFO(m):
            node["type"] = "p"
        elif stat.S_ISREG(m):
            node["type"] = "f"
            node["extra"] = sha256_file(path)
        else:
            node["type"] = "?"
        if not stat.S_ISDIR(m):
            node = inodes.setdefault((st.st_dev, st.st_ino), node)
        entries[rel] = node

    one(root, b".")
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            one(p, os.path.relpath(p, root))
    return lines_of(entries)


# Content hashes by (device, inode, size, mtime, ctime): any write or
# metadata change moves ctime, so a cached hash is never stale, and `serve`
# hashes each unchanged file once.
_HASHES = {}


def sha256_file(path, st=None):
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) if st is not None else None
    if key is not None and key in _HASHES:
        return _HASHES[key]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for blk in iter(lambda: f.read(1 << 20), b""):
            h.update(blk)
    if key is not None:
        _HASHES[key] = h.hexdigest()
    return h.hexdigest()


def snapshot(root, exclude):
    root = b(root)
    skip = {os.path.normpath(b(e)) for e in exclude}
    out = []

    def one(path, rel):
        st = os.lstat(path)
        m = st.st_mode
        extra = ""
        if stat.S_ISLNK(m):
            extra = "-> " + esc(os.readlink(path))
        elif stat.S_ISREG(m):
            try:
                extra = sha256_file(path, st)
            except OSError as e:
                extra = "unreadable: %s" % e.strerror
        elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
            extra = "dev %d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
        mtime = "" if stat.S_ISLNK(m) else str(st.st_mtime_ns)
        out.append("%s\t%o\t%d:%d\tsize=%d\tlinks=%d\tino=%d\tmtime=%s\t%s" % (
            esc(rel), m, st.st_uid, st.st_gid, st.st_size if not stat.S_ISDIR(m) else 0,
            st.st_nlink if not stat.S_ISDIR(m) else 0,
            st.st_ino, mtime, extra))

    if b"." not in skip:
        one(root, b".")
    for dirpath, dirs, files in os.walk(root):
        keep = []
        for name in sorted(dirs):
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            if rel in skip:
                continue
            keep.append(name)
        dirs[:] = keep
        for name in sorted(dirs + files):
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            if rel in skip:
                continue
            one(p, rel)
    return "\n".join(sorted(out))


def run(argv, out):
    """One command; what it prints goes to out."""
    ap = argparse.ArgumentParser(prog="hostile_tar.py", description="hostile and odd revault archives")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("list")
    p.add_argument("--source", required=True)
    p.add_argument("--outside")
    p.add_argument("--other")
    for cmd in ("gen", "expect"):
        p = sub.add_parser(cmd)
        p.add_argument("case", choices=sorted(CASES))
        if cmd == "gen":
            p.add_argument("out")
            p.add_argument("--raw", action="store_true")
        else:
            p.add_argument("--tree")
        p.add_argument("--source", required=True)
        p.add_argument("--outside")
        p.add_argument("--other")
    p = sub.add_parser("describe")
    p.add_argument("dir")
    p = sub.add_parser("snapshot")
    p.add_argument("dir")
    p.add_argument("--exclude", action="append", default=[])
    sub.add_parser("serve")
    args = ap.parse_args(argv)

    if args.cmd == "serve":
        serve()
    elif args.cmd == "list":
        c = Ctx(args.source, args.outside, args.other)
        for name, (kind, _, _, _) in CASES.items():
            print("%s\t%s\t%s" % (name, kind, pattern_of(name, c)), file=out)
    elif args.cmd == "describe":
        print(describe(args.dir), file=out)
    elif args.cmd == "snapshot":
        print(snapshot(args.dir, args.exclude), file=out)
    elif args.cmd == "expect":
        print(expect(args.case, Ctx(args.source, args.outside, args.other), args.tree), file=out)
    else:
        data = build(args.case, Ctx(args.source, args.outside, args.other))
        if not args.raw:
            data = subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout
        with open(args.out, "wb") as f:
            f.write(data)


def serve():
    """Runs commands read from stdin, one a line: OUTFILE, then the
    command's arguments, separated by tabs. Its output goes to OUTFILE;
    the answer on stdout is "0", or "1" and the error (one line). Saves a
    Python start per command, and hashes unchanged files once."""
    for line in sys.stdin:
        fields = line.rstrip("\n").split("\t")
        try:
            with open(fields[0], "w", encoding="utf-8", errors="surrogateescape") as out:
                run(fields[1:], out)
            answer = "0"
        except SystemExit as e:
            answer = "1 exit %s" % e.code
        except Exception as e:  # reported to the caller, which fails the test
            answer = "1 %s: %s" % (type(e).__name__, str(e).replace("\n", " "))
        print(answer, flush=True)


def main():
    run(sys.argv[1:], sys.stdout)


if __name__ == "__main__":
    main()
