#!/usr/bin/env python3
"""Checks a file for /etc/cron.d as Debian's cron reads it (crontab(5),
"system crontab" format) and prints what each entry means.

usage: cronline.py [--any-owner] FILE   (--any-owner: a test not run as root)

Each entry is five time fields, a user name and a command. A field is *,
a number or a range in its bounds, optionally with /step, or a
comma-separated list of those; months and weekdays may be names. The user
must exist. An unescaped % in the command would end it (cron feeds the
rest to stdin). Environment lines (NAME=value), comments and blank lines
are allowed. cron also ignores files whose name run-parts would skip, that
are writable by group or others, or that are not owned by root, and a last
line without a newline.

Prints one line per entry: "minute=M hour=H dom=D month=MO dow=W user=U",
each field's values expanded and comma-joined (or *), then a tab and the
command. Exit 1 with the reason on stderr for the first problem.
"""
import os
import pwd
import re
import stat
import sys

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
FIELDS = [  # name, low, high, names (index + low is the value)
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("dom", 1, 31, None),
    ("month", 1, 12, MONTHS),
    ("dow", 0, 7, DAYS),
]


def die(msg):
    print("cronline: " + msg, file=sys.stderr)
    sys.exit(1)


def value(tok, low, high, names, where):
    if names is not None and tok.lower() in names:
        return names.index(tok.lower()) + (1 if names is MONTHS else 0)
    if not re.fullmatch(r"[0-9]+", tok):
        die("%s: \"%s\" is not a number" % (where, tok))
    v = int(tok)
    if v < low or v > high:
        die("%s: %d is outside %d-%d" % (where, v, low, high))
    return v


def field(text, name, low, high, names, where):
    where = "%s: %s field \"%s\"" % (where, name, text)
    if text == "*":
        return "*"
    out = set()
    for part in text.split(","):
        rng, _, step = part.partition("/")
        step = int(step) if step else 1
        if step < 1 or (part.count("/") and not re.fullmatch(r"[0-9]+", part.split("/")[1])):
            die(where + ": bad step")
        if rng == "*":
            lo, hi = low, high
        elif "-" in rng:
            a, b = rng.split("-", 1)
            lo, hi = value(a, low, high, names, where), value(b, low, high, names, where)
            if lo > hi:
                die(where + ": range runs backwards")
        else:
            lo = hi = value(rng, low, high, names, where)
        out.update(range(lo, hi + 1, step))
    if name == "dow" and 7 in out:  # 7 is Sunday too
        out.discard(7)
        out.add(0)
    return ",".join(str(v) for v in sorted(out))


def main():
    args = sys.argv[1:]
    any_owner = args[:1] == ["--any-owner"]
    args = args[1:] if any_owner else args
    if len(args) != 1:
        die("usage: cronline.py [--any-owner] FILE")
    path = args[0]
    base = os.path.basename(path)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", base):
        die("%s: cron skips a file named so (run-parts names: letters, digits, _ and -)" % base)
    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        die("%s is not a regular file" % path)
    if st.st_mode & 0o022:
        die("%s is writable by group or others (mode %o): cron ignores it" % (path, st.st_mode & 0o777))
    if st.st_uid != 0 and not any_owner:
        die("%s is not owned by root: cron ignores it" % path)
    data = open(path, encoding="utf-8").read()
    if not data.endswith("\n"):
        die("%s: the last line has no newline: cron ignores it" % path)
    entries = 0
    for n, line in enumerate(data.split("\n")[:-1], 1):
        where = "%s:%d" % (path, n)
        s = line.strip()
        if s == "" or s.startswith("#"):
            continue
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\s*=.*", s):
            continue
        words = s.split(None, 6)
        if len(words) < 7:
            die("%s: an entry needs five time fields, a user and a command" % where)
        times = [field(w, *FIELDS[i], where) for i, w in enumerate(words[:5])]
        user, command = words[5], words[6]
        try:
            pwd.getpwnam(user)
        except KeyError:
            die("%s: no user named \"%s\" (the sixth field is the user)" % (where, user))
        if re.search(r"(?<!\\)%", command):
            die("%s: an unescaped %% ends the command" % where)
        names = [f[0] for f in FIELDS]
        print(" ".join("%s=%s" % (k, v) for k, v in zip(names, times)) + " user=" + user + "\t" + command)
        entries += 1
    if entries == 0:
        die("%s holds no entry" % path)


main()
