#!/usr/bin/env bash
# Server-side disk trouble: the backup folder on a tiny tmpfs fills up, then
# turns read-only. Each failure exits 1 with one line that says what
# happened; earlier revisions stay intact; no temporary is left to eat the
# space. And the local lock: a stale lock file is no obstacle, a held one is
# reported.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3

[ "$(id -u)" = 0 ] || skip "needs root to mount a small tmpfs for the server's folder"
small=$T_TMP/small
mkdir -p "$small"
mount -t tmpfs -o size=8m,mode=755 tmpfs "$small" 2>"$T_TMP/.mount-err" ||
	skip "cannot mount a tmpfs here: $(cat "$T_TMP/.mount-err")"
t_on_exit "umount -l '$small'"

srv_start sshd "$T_TMP/sshd"
src=$T_TMP/src
mkdir -p "$src"
printf 'small config\n' >"$src/small.conf"
rv_setup "$T_TMP/cfg" "sftp://127.0.0.1:$SSHD_PORT$small" "$SSHD_USER" "$SSHD_KEY" diskdev "$src"
rv_new_key
rv_trust
devdir=$small/diskdev

rv backup
expect_rc 0 "small backup"
base=$(rv_revisions)
[ "$(wc -l <<<"$base")" = 1 ] && pass || fail "expected one revision: $base"
rev=$(head -1 <<<"$base")

# Disk full.
random_file "$src/big.bin" 20000000
start=$(date +%s)
rv backup
elapsed=$(($(date +%s) - start))
expect_rc 1 "backup onto a full disk"
expect_one_line "disk full"
expect_err '[Ss]pace|[Ff]ull|quota' "disk full: the line says the server ran out of space"
[ "$elapsed" -lt 60 ] && pass || fail "disk full: took $elapsed s to fail"
[ "$(rv_revisions)" = "$base" ] && pass || fail "disk full: revisions changed: $(rv_revisions)"
rv verify "$rev"
expect_rc 0 "disk full: the earlier revision verifies"
leftover=$(ls -A "$devdir" | grep -v -x "$rev.revault" || true)
[ -z "$leftover" ] && pass || fail "disk full: left on the server after the failure: $leftover ($(du -sh "$small" | cut -f1) used)"

# Less data: works again, and nothing hidden is left.
rm "$src/big.bin"
printf 'second\n' >"$src/small.conf"
rv backup
expect_rc 0 "small backup after the disk-full failure"
[ "$(rv_revisions | wc -l)" = 2 ] && pass || fail "expected two revisions: $(rv_revisions)"
hidden=$(ls -A "$devdir" | grep '^\.' || true)
[ -z "$hidden" ] && pass || fail "temporaries left on the server: $hidden"
base=$(rv_revisions)

# Read-only file system on the server.
mount -o remount,ro "$small"
printf 'third\n' >"$src/small.conf"
rv backup
expect_rc 1 "backup onto a read-only file system"
expect_one_line "read-only"
expect_err '[Rr]ead-only|[Pp]ermission|denied|cannot write|refused' "read-only: the line says writing was refused"
rv list
expect_rc 0 "list on a read-only server"
[ "$(rv_revisions)" = "$base" ] && pass || fail "read-only: revisions changed: $(rv_revisions)"
rv restore latest --to "$T_TMP/ro-out"
expect_rc 0 "restore from a read-only server"
[ "$(cat "$T_TMP/ro-out$src/small.conf" 2>/dev/null)" = second ] && pass || fail "read-only: wrong data restored"
mount -o remount,rw "$small"
rv backup
expect_rc 0 "backup once writable again"

# Read-only device folder inside a writable tree (bind mount).
mount --bind "$devdir" "$devdir" 2>/dev/null && mount -o remount,bind,ro "$devdir" 2>/dev/null && {
	t_on_exit "umount -l '$devdir' 2>/dev/null"
	rv backup
	expect_rc 1 "backup into a read-only bind-mounted folder"
	expect_one_line "read-only bind mount"
	umount "$devdir"
} || skip_part "the read-only folder case: cannot mount a read-only bind mount here"

# The local lock: a stale file is fine, a held lock is reported.
mkdir -p "$REVAULT_STATE_DIR"
lock=$REVAULT_STATE_DIR/lock
: >"$lock"
rv backup
expect_rc 0 "backup with a stale lock file"
# One process holds the lock (flock(1) would pass it on to its child).
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
time.sleep(30)' "$lock" &
holder=$!
t_on_exit "kill $holder 2>/dev/null"
sleep 0.5
rv backup
expect_rc 1 "backup while another run holds the lock"
expect_one_line "lock held"
expect_err 'another revault|running|lock' "lock held: the line says another run is going on"
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
rv backup
expect_rc 0 "backup after the lock is released"

t_done
