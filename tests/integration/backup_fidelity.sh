#!/usr/bin/env bash
# The fidelity proof (docs/OPERATOR.md, "What comes back exactly"): a tree
# with every kind of entry and attribute an administrator backs up is backed
# up (protected), restored under --to DIR and in place, and compared to the
# last attribute with tests/integration/tree_compare.py: type, mode with the
# set-user-ID, set-group-ID and sticky bits, owner and group by number,
# nanosecond modification times (folders' and symlinks' own too), size,
# content, symlink targets, device numbers, every extended attribute
# (user.*, trusted.*, security.*, security.capability, the POSIX ACLs),
# chattr flags, hard-link groups within and across sources, and the blocks a
# sparse file of 5 GiB allocates. Only the socket may be missing: a backup
# skips it, says so, and exits 6. The same tree then goes through GNU tar
# (--xattrs --acls --sparse --numeric-owner, as root) into the same
# comparer, and what tar loses is printed beside what revault loses: the
# measure of "exact". Last, immutable and append-only files with two names
# each, which only come back when their flags are set after every name.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
umask 022
[ "$(id -u)" = 0 ] || skip "the fidelity proof needs root (device nodes, owners, trusted.* attributes, capabilities)"
need_cmd python3 python3
need_cmd setfacl acl
need_cmd setfattr attr
need_cmd setcap libcap2-bin
need_cmd tar tar
COMPARE=$REVAULT_SOURCE_DIR/tests/integration/tree_compare.py
# The socket is the one entry a backup leaves out (and tar too).
SOCKET_GONE='^alpha/run/control\.sock: missing \(a socket\)$'

D=$T_TMP/data
A=$D/alpha
B=$D/beta

# ---- the tree ------------------------------------------------------------------
mkdir -p "$A" "$B"
# What the filesystem under $T_TMP can hold decides which parts run.
probe=$D/.probe
: >"$probe"
if ! setfattr -n user.probe -v 1 "$probe" 2>/dev/null; then
	skip "no user xattrs on $(df --output=target "$D" | tail -1): the fidelity proof needs them"
fi
FLAGS=0
if want_cmd chattr e2fsprogs; then
	if chattr +i "$probe" 2>/dev/null && chattr -i "$probe"; then
		FLAGS=1
	else
		skip_part "the filesystem under $T_TMP refuses chattr +i: chattr flags are not compared"
	fi
fi
rm -f "$probe"
# Whatever happens, immutable and append-only files are made ordinary again
# before the temporary folder goes.
t_on_exit "chattr -R -ia '$T_TMP' >/dev/null 2>&1"

python3 - "$A" "$B" <<'EOF'
import os, socket, sys
a, b = (os.fsencode(p) for p in sys.argv[1:3])
def put(path, data=b"", mode=None):
    with open(path, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)
def mk(path):
    os.makedirs(path, exist_ok=True)
    return path
j = os.path.join

# Regular files, an empty one, odd content.
put(j(a, b"regular.conf"), b"listen 8080\n" * 100)
put(j(a, b"empty"))
put(j(a, b"binary.bin"), os.urandom(300000))
put(j(a, b"no-newline"), b"last line without newline")
put(j(a, b"mode-0000"), b"nobody reads this\n", 0o000)
# A sparse file: 5 GiB apparent, a few blocks of data, one at an odd offset
# and one ending the file.
with open(j(a, b"sparse.img"), "wb") as f:
    f.truncate(5 << 30)
    for off in (0, (1 << 30) + 12345, (9 << 29), (5 << 30) - 100):
        f.seek(off)
        f.write(os.urandom(100 if off == (5 << 30) - 100 else 8192))
# Hard links: within a source, and across the two sources.
mk(j(a, b"links"))
put(j(a, b"links/hard-1"), b"one inode, three names\n")
os.link(j(a, b"links/hard-1"), j(a, b"links/hard-2"))
os.link(j(a, b"links/hard-1"), j(a, b"hard-3-elsewhere"))
put(j(b, b"shared"), b"one inode in two sources\n")
os.link(j(b, b"shared"), j(a, b"links/shared-from-beta"))
# Symlinks: relative, absolute, dangling, to a folder, a long target.
os.symlink(b"../regular.conf", j(a, b"links/relative"))
os.symlink(b"/etc/hostname", j(a, b"links/absolute"))
os.symlink(b"../../nowhere/at/all", j(a, b"links/dangling"))
os.symlink(b"..", j(a, b"links/to-folder"))
os.symlink(b"x" * 1000, j(a, b"links/long-target"))
# FIFOs; a socket, which no archive holds.
mk(j(a, b"run"))
os.mkfifo(j(a, b"run/fifo"), 0o640)
os.mkfifo(j(a, b"run/fifo-with-acl"), 0o660)
s = socket.socket(socket.AF_UNIX)
s.bind(j(a, b"run/control.sock"))
s.close()
# Device nodes: character, block, and the 0/0 "whiteout" overlayfs uses.
mk(j(a, b"dev"))
os.mknod(j(a, b"dev/null-like"), 0o666 | 0o020000, os.makedev(1, 3))
os.mknod(j(a, b"dev/loop-like"), 0o660 | 0o060000, os.makedev(7, 200))
os.mknod(j(a, b"dev/whiteout"), 0o000 | 0o020000, os.makedev(0, 0))
os.mknod(j(a, b"dev/big-numbers"), 0o600 | 0o020000, os.makedev(4095, 1048575))
# Names: not UTF-8, a newline, leading dashes, 255 bytes, UTF-8.
names = mk(j(a, b"names"))
for n in (b"caf\xe9.conf", b"\xff\xfe raw", b"line\nbreak", b"-rf", b"--help", b"- ",
          b"n" * 250 + b".conf", b"\xc3\xbcber-\xe6\x97\xa5\xe6\x9c\xac", b"back\\slash", b" spaced "):
    put(j(names, n), n + b"\n")
mk(j(names, b"d" * 255))
put(j(names, b"d" * 255, b"f" * 255), b"two 255-byte names\n")
# A path of more than 3000 bytes.
p = j(a, b"deep")
while len(p) - len(a) < 3000:
    p = j(p, b"c" * 200)
os.makedirs(p)
put(j(p, b"leaf.conf"), b"deep\n")
# Folders: empty, read-only with content, owned by another, sticky, setgid.
mk(j(a, b"folders/empty"))
mk(j(a, b"folders/read-only"))
put(j(a, b"folders/read-only/inside"), b"in a read-only folder\n")
os.chmod(j(a, b"folders/read-only"), 0o555)
mk(j(a, b"folders/private"))
put(j(a, b"folders/private/secret"), b"s\n", 0o600)
os.chmod(j(a, b"folders/private"), 0o700)
mk(j(a, b"folders/sticky"))
os.chmod(j(a, b"folders/sticky"), 0o1777)
mk(j(a, b"folders/setgid"))
os.chmod(j(a, b"folders/setgid"), 0o2775)
# Beta: a second source.
mk(j(b, b"sub"))
put(j(b, b"sub/file"), b"beta\n")
EOF

# Special modes and owners that have no name on this machine.
printf '#!/bin/sh\n' >"$A/setuid"
chown 4242:4343 "$A/setuid"
chmod 6755 "$A/setuid"
printf 'x\n' >"$A/setgid-only"
chmod 2711 "$A/setgid-only"
mkdir "$A/owners"
printf 'x\n' >"$A/owners/numeric"
chown 4242:4343 "$A/owners" "$A/owners/numeric" "$A/folders/private" "$A/folders/private/secret"
chown 4343:4242 "$A/folders/setgid"
chown -h 4242:4343 "$A/links/relative" "$A/run/fifo" "$A/dev/loop-like"
chown 4242:0 "$A/folders/read-only/inside"

# Extended attributes: user.*, trusted.*, security.*, an empty and a binary
# value, on files, folders, a symlink, a FIFO and a device node.
setfattr -n user.comment -v 'backed up' "$A/regular.conf"
setfattr -n user.empty "$A/regular.conf"
setfattr -n user.binary -v 0x00ff10e9 "$A/regular.conf"
setfattr -n user.big -v "0x$(head -c 2000 /dev/urandom | od -An -tx1 -v | tr -d ' \n')" "$A/binary.bin"
setfattr -n trusted.note -v 'for root only' "$A/regular.conf"
setfattr -n security.revault-test -v 'security namespace' "$A/regular.conf"
setfattr -n user.on-folder -v yes "$A/folders"
setfattr -n trusted.overlay.opaque -v y "$A/folders/empty"
setfattr -n user.on-hardlink -v shared "$A/links/hard-1"
setfattr -n user.on-setuid -v kept "$A/setuid"
setfattr -h -n trusted.on-symlink -v link "$A/links/absolute"
setfattr -n trusted.on-fifo -v fifo "$A/run/fifo"
setfattr -n trusted.on-device -v dev "$A/dev/null-like"
setfattr -n user.on-weird-name -v 'x' "$A/names/line"$'\n'"break"

# POSIX ACLs: access ACLs with named users and groups, a default ACL, what a
# file and a folder inherit from it, and ones that had theirs removed.
mkdir -p "$A/acl/inheriting"
printf 'acl\n' >"$A/acl/file"
setfacl -m u:4242:r,g:4343:rw,u:0:rwx "$A/acl/file"
setfacl -m u:4242:rwx,d:u:4242:rwx,d:g:4343:rx,d:m:rwx "$A/acl/inheriting"
printf 'inherited\n' >"$A/acl/inheriting/inherited-file"
mkdir "$A/acl/inheriting/inherited-folder"
printf 'stripped\n' >"$A/acl/inheriting/stripped-file"
setfacl -b "$A/acl/inheriting/stripped-file"
chmod 0640 "$A/acl/inheriting/stripped-file"
mkdir "$A/acl/inheriting/stripped-folder"
setfacl -b "$A/acl/inheriting/stripped-folder"
mkdir "$A/acl/inheriting/no-default"
setfacl -k "$A/acl/inheriting/no-default"
setfacl -m u:4242:rw "$A/run/fifo-with-acl"

# File capabilities on a copy of a binary.
mkdir "$A/caps"
cp /bin/true "$A/caps/pinger"
setcap cap_net_raw+ep "$A/caps/pinger"
cp /bin/true "$A/caps/setuid-and-caps"
chmod 4755 "$A/caps/setuid-and-caps"
setcap 'cap_net_bind_service,cap_dac_override+eip' "$A/caps/setuid-and-caps"

# Nanosecond modification times on everything, symlinks and folders
# included, each its own; deepest first so a folder's time is the last
# thing set on it.
python3 - "$D" <<'EOF'
import os, sys
root = os.fsencode(sys.argv[1])
paths = []
for dirpath, dirs, files in os.walk(root):
    for n in dirs + files:
        paths.append(os.path.join(dirpath, n))
paths.sort(key=lambda p: (-p.count(b"/"), p))
base = 1600000000 * 10**9
for i, p in enumerate(paths + [os.path.join(root, b"alpha"), os.path.join(root, b"beta")]):
    ns = base + i * 86400 * 10**9 + 123456789 + i
    os.utime(p, ns=(ns - 10**9, ns), follow_symlinks=False)
EOF
touch -d '2021-06-07 08:09:10.123456789 UTC' "$A/empty"
touch -h -d '2019-01-02 03:04:05.987654321 UTC' "$A/links/dangling"

# chattr flags last: an immutable or append-only file takes no new times.
if [ "$FLAGS" = 1 ]; then
	mkdir "$A/attrs"
	printf 'immutable\n' >"$A/attrs/immutable"
	printf 'append only\n' >"$A/attrs/append-only"
	printf 'no dump\n' >"$A/attrs/nodump"
	mkdir "$A/attrs/immutable-folder"
	printf 'in an immutable folder\n' >"$A/attrs/immutable-folder/file"
	touch -d '2022-02-03 04:05:06.111111111 UTC' "$A/attrs" "$A/attrs/"* "$A/attrs/immutable-folder/file"
	touch -d '2022-02-03 04:05:06.222222222 UTC' "$A/attrs/immutable-folder" "$A/attrs"
	chattr +i "$A/attrs/immutable" "$A/attrs/immutable-folder"
	chattr +a "$A/attrs/append-only"
	chattr +d "$A/attrs/nodump"
fi

[ -S "$A/run/control.sock" ] && [ -c "$A/dev/null-like" ] && [ -b "$A/dev/loop-like" ] && pass ||
	fail "the tree lacks a socket or a device node"
alloc=$(stat -c '%b*%B' "$A/sparse.img")
alloc=$((alloc))
[ "$alloc" -lt $((1 << 20)) ] && pass || fail "the source sparse file allocates $alloc bytes: no holes on this filesystem?"
python3 "$COMPARE" describe "$T_TMP/source.json" "$A" "$B"

# ---- the comparer sees what changes ------------------------------------------------
# A copy of part of the tree, changed in each way the comparer must see.
mkdir "$T_TMP/self"
cp -a "$A/regular.conf" "$A/links" "$A/caps" "$A/acl" "$A/dev" "$T_TMP/self/"
python3 "$COMPARE" describe "$T_TMP/self-before.json" "$T_TMP/self"
printf 'changed\n' >>"$T_TMP/self/regular.conf"
chmod 4700 "$T_TMP/self/links/hard-1"
chown 1:1 "$T_TMP/self/links/relative" -h
touch -h -d '2020-01-01 00:00:00.000000001 UTC' "$T_TMP/self/links/absolute"
setfattr -x user.binary "$T_TMP/self/regular.conf"
setfacl -m u:4242:--- "$T_TMP/self/acl/file"
setfacl -k "$T_TMP/self/acl/inheriting"
setcap -r "$T_TMP/self/caps/pinger"
rm "$T_TMP/self/links/hard-2" && cp "$T_TMP/self/links/hard-1" "$T_TMP/self/links/hard-2"
ln -sfn elsewhere "$T_TMP/self/links/dangling"
rm "$T_TMP/self/dev/loop-like" && mknod "$T_TMP/self/dev/loop-like" b 7 201
: >"$T_TMP/self/new"
rm -r "$T_TMP/self/acl/inheriting/no-default"
[ "$FLAGS" = 1 ] && chattr +d "$T_TMP/self/regular.conf"
python3 "$COMPARE" describe "$T_TMP/self-after.json" "$T_TMP/self"
run python3 "$COMPARE" compare "$T_TMP/self-before.json" "$T_TMP/self-after.json"
expect_rc 1 "the comparer finds the changes"
for seen in 'self/regular.conf: content:' 'self/regular.conf: xattr user.binary: expected 0x00ff10e9, got none' \
	'self/links/hard-1: mode: expected 0644, got 4700' 'self/links/relative: owner: expected 4242:4343, got 1:1' \
	'self/links/absolute: mtime:' 'self/acl/file: xattr system.posix_acl_access:' \
	'self/acl/inheriting: xattr system.posix_acl_default:' 'self/caps/pinger: xattr security.capability:' \
	'self/links/hard-2: linkgroup: expected self/links/hard-1, got none' \
	'self/links/dangling: target: expected ../../nowhere/at/all, got elsewhere' \
	'self/dev/loop-like: rdev: expected 7,200, got 7,201' 'self/new: not expected' \
	'self/acl/inheriting/no-default: missing' 'self/regular.conf: size:'; do
	grep -qF -- "$seen" <<<"$OUT" && pass || fail "the comparer missed a change: $seen
$OUT"
done
if [ "$FLAGS" = 1 ]; then
	grep -qF 'self/regular.conf: flags: expected -, got d' <<<"$OUT" && pass ||
		fail "the comparer missed a chattr flag: $OUT"
fi
rm -rf "$T_TMP/self"

# ---- revault: backup, restore under --to and in place ------------------------------
srv_start sshd "$T_TMP/sshd"
rv_setup "$T_TMP/cfg" "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" fidelity "$A" "$B"
rv_new_key
rv_trust
rv_ok "protected on" set security.protected on
rv backup
expect_rc 6 "backup of the tree with a socket: done but incomplete"
expect_err "skipped $(re "$A/run/control.sock"): a socket" "the socket is named"
expect_out "done with 1 warning" "one warning: the socket"
others=$(grep -v 'control\.sock: a socket' <<<"$ERR" || true)
[ -z "$others" ] && pass || fail "the backup warned about what it stores exactly:
$others"
rev=$(rv_revisions | head -1)
[ -n "$rev" ] && pass || fail "no revision stored"
ls "$SSHD_ROOT/fidelity/$rev.revault" >/dev/null && pass || fail "the revision is not protected: $(ls "$SSHD_ROOT/fidelity")"

# GNU tar's archive of the same tree, made now, before anything changes.
tar_opts=(--xattrs --xattrs-include='*' --acls --selinux --numeric-owner)
run tar "${tar_opts[@]}" --sparse -C / -cpf "$T_TMP/tar.tar" "${A#/}" "${B#/}"
TAR_CREATE_RC=$RC TAR_CREATE_ERR=$ERR

# compare_to NAME ROOT...: the tree at ROOT... against the source, in
# $T_TMP/NAME.diff (every difference) and $OUT (those not intended).
compare_to() {
	local name=$1 root
	shift
	for root in "$@"; do
		if [ ! -d "$root" ]; then
			: >"$T_TMP/$name.diff"
			RC=1 OUT="$root was not restored"
			return
		fi
	done
	python3 "$COMPARE" describe "$T_TMP/$name.json" "$@"
	run python3 "$COMPARE" compare "$T_TMP/source.json" "$T_TMP/$name.json"
	printf '%s\n' "$OUT" >"$T_TMP/$name.diff"
	run python3 "$COMPARE" compare --allow "$SOCKET_GONE" "$T_TMP/source.json" "$T_TMP/$name.json"
}

rv restore "$rev" --to "$T_TMP/out"
expect_rc 0 "restore --to"
[ -z "$ERR" ] && pass || fail "restore --to warned: $ERR"
compare_to revault-to "$T_TMP/out$A" "$T_TMP/out$B"
[ "$RC" = 0 ] && pass || fail "restore --to differs from the source:
$OUT"
grep -qE "$SOCKET_GONE" "$T_TMP/revault-to.diff" && pass || fail "the socket came back under --to"

# In place, after the tree changed in every way: contents, modes, owners,
# attributes, ACLs, flags, links, entries gone and entries new.
printf 'changed\n' >"$A/regular.conf"
setfattr -x user.comment "$A/regular.conf"
chmod 0755 "$A/setuid"
chown 0:0 "$A/owners/numeric"
setfacl -b "$A/acl/file"
setfacl -k "$A/acl/inheriting"
setcap -r "$A/caps/pinger"
rm "$A/links/hard-2" "$A/links/shared-from-beta"
rm "$A/sparse.img" && printf 'small now\n' >"$A/sparse.img"
ln -sfn /elsewhere "$A/links/relative"
rm -r "$A/names" "$A/dev/whiteout"
touch "$A/folders" "$A/empty"
mkdir "$A/new-folder" && printf 'new\n' >"$A/new-folder/new-file"
printf 'changed too\n' >"$B/sub/file"
if [ "$FLAGS" = 1 ]; then
	# Not immutable any more, so the old tree can be removed after the swap.
	chattr -i "$A/attrs/immutable" "$A/attrs/immutable-folder"
	chattr -a "$A/attrs/append-only"
	printf 'appended\n' >>"$A/attrs/append-only"
	rm "$A/attrs/immutable"
fi
siblings=$(ls -A "$D")
rv restore "$rev" --yes
expect_rc 0 "in-place restore"
[ -z "$ERR" ] && pass || fail "the in-place restore warned: $ERR"
compare_to revault-inplace "$A" "$B"
[ "$RC" = 0 ] && pass || fail "the in-place restore differs from the source:
$OUT"
[ "$(ls -A "$D")" = "$siblings" ] && pass || fail "the restore left entries beside the sources: $(ls -A "$D")"
alloc=$(stat -c '%b*%B' "$A/sparse.img")
alloc=$((alloc))
[ "$alloc" -lt $((1 << 20)) ] && pass || fail "the restored sparse file allocates $alloc bytes"

# ---- GNU tar: the same tree, the same comparer ------------------------------------
mkdir -m 700 "$T_TMP/tar-out"
run tar "${tar_opts[@]}" -C "$T_TMP/tar-out" -xpf "$T_TMP/tar.tar"
printf '%s\n' "$TAR_CREATE_ERR" "$ERR" | sed '/^$/d; s/^/note: /' >&2
echo "note: tar exited $TAR_CREATE_RC (create) and $RC (extract)" >&2
compare_to tar "$T_TMP/tar-out$A" "$T_TMP/tar-out$B"
[ -e "$T_TMP/tar.json" ] && pass || fail "GNU tar did not extract the tree: $OUT"
# What each one does not bring back exactly, side by side.
export LC_ALL=C
only_tar=$(comm -13 <(sort "$T_TMP/revault-to.diff") <(sort "$T_TMP/tar.diff") | sed '/^$/d')
only_revault=$(comm -23 <(sort "$T_TMP/revault-to.diff") <(sort "$T_TMP/tar.diff") | sed '/^$/d')
both=$(comm -12 <(sort "$T_TMP/revault-to.diff") <(sort "$T_TMP/tar.diff") | sed '/^$/d')
unset LC_ALL
{
	echo "note: lost by both revault and GNU tar:"
	sed 's/^/  /' <<<"${both:-(nothing)}"
	echo "note: lost by GNU tar only:"
	sed 's/^/  /' <<<"${only_tar:-(nothing)}"
	echo "note: lost by revault only:"
	sed 's/^/  /' <<<"${only_revault:-(nothing)}"
} >&2

# ---- immutable and append-only files with more than one name ---------------------
# A link to an immutable or append-only file cannot be made once the flag is
# set: the flags must come after every name.
if [ "$FLAGS" = 1 ]; then
	L=$T_TMP/linked
	mkdir -p "$L/x" "$L/y"
	printf 'immutable, two names\n' >"$L/x/immutable"
	ln "$L/x/immutable" "$L/y/immutable-too"
	printf 'append-only, two names\n' >"$L/x/append-only"
	ln "$L/x/append-only" "$L/y/append-only-too"
	chattr +i "$L/x/immutable"
	chattr +a "$L/x/append-only"
	python3 "$COMPARE" describe "$T_TMP/linked-source.json" "$L"
	export REVAULT_CONFIG=$T_TMP/cfg-linked/revault.yaml
	rv_setup "$T_TMP/cfg-linked" "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" fidelity-linked "$L"
	rv_new_key
	rv_trust
	rv backup
	expect_rc 0 "backup of immutable files with two names"
	rv restore latest --to "$T_TMP/out-linked"
	expect_rc 0 "restore --to of immutable and append-only files with two names"
	if [ -d "$T_TMP/out-linked$L" ]; then
		python3 "$COMPARE" describe "$T_TMP/linked-out.json" "$T_TMP/out-linked$L"
		run python3 "$COMPARE" compare "$T_TMP/linked-source.json" "$T_TMP/linked-out.json"
		[ "$RC" = 0 ] && pass || fail "immutable files with two names differ under --to:
$OUT"
	fi
	left=$(ls -A "$T_TMP/out-linked" 2>/dev/null | grep '^\.revault-' || true)
	[ -z "$left" ] && pass || fail "the restore left $left behind in $T_TMP/out-linked"
fi
t_done
