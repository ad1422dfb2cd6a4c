#!/usr/bin/env bash
# A server folder full of junk: names at the 255-byte limit, names that look
# like revisions but are not dates, a directory and a symlink loop named
# like revisions, an empty and a random-bytes ".revault" file. `list` shows
# the real revisions and flags or ignores the rest, `restore latest` and
# `verify` pick a real revision or fail with one clear line, nothing
# crashes. (Hostile archives inside correctly sealed containers are in
# tests/integration/test_hostile.c.)
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3

srv_start sshd "$T_TMP/sshd"
src=$T_TMP/src
mkdir -p "$src"
printf 'real data\n' >"$src/a.conf"
rv_setup "$T_TMP/cfg" "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" junkdev "$src"
rv_new_key
rv_trust
rv_ok "protected on" set security.protected on
rv backup
expect_rc 0 "a real backup"
real=$(rv_revisions)
[ "$(wc -l <<<"$real")" = 1 ] && pass || fail "expected one revision: $real"
devdir=$SSHD_ROOT/junkdev

# no_crash WHAT: the last run ended by itself (no signal, no sanitizer report).
no_crash() {
	if [ "$RC" -ge 124 ] || grep -qE 'Sanitizer|runtime error|Segmentation|Aborted' <<<"$ERR"; then
		fail "$1: crashed or hung (exit $RC): $ERR"
	else
		pass
	fi
}

# Junk, each the kind a broken or lying server could show.
long=$(printf 'x%.0s' $(seq 1 247)).revault           # 255 bytes
: >"$devdir/$long"
long2=$(printf '2%.0s' $(seq 1 247)).revault
: >"$devdir/$long2"
printf 'not a date\n' >"$devdir/20261399T999999Z.revault"
printf 'not a date\n' >"$devdir/99999999T999999Z.tar.zst"
printf 'no\n' >"$devdir/20261124T101500Z-.revault"
printf 'no\n' >"$devdir/20261124T1015Z.revault"
mkdir "$devdir/20991231T235959Z.revault"               # a directory named like a revision
ln -s 20991230T000000Z.revault "$devdir/20991230T000000Z.revault" # a symlink loop
ln -s /nonexistent "$devdir/20991229T000000Z.revault"  # dangling
: >"$devdir/20991228T000000Z.revault"                  # empty
head -c 70000 /dev/urandom >"$devdir/20991227T000000Z.revault" # random bytes
mkfifo "$devdir/20991226T000000Z.revault"            # a FIFO: opening it would block
printf 'junk\n' >"$devdir/.hidden"
printf 'junk\n' >"$devdir/$(printf 'y%.0s' $(seq 1 255))"

rv list
no_crash "list over junk"
expect_rc 0 "list over junk"
listed=$(awk 'NR > 1 {print $1}' <<<"$OUT" | grep -E '^[0-9]{8}T' | sort)
expected=$(printf '%s\n' "$real" 20991227T000000Z 20991228T000000Z 20991229T000000Z 20991230T000000Z | sort)
[ "$listed" = "$expected" ] && pass || fail "list shows other revisions than the real one and the revision-named files:
$listed
expected:
$expected"
grep -qE '^20261399T999999Z|^99999999T999999Z|^x{20}|^2{30}' <<<"$OUT" && fail "list shows names that are not dates: $OUT" || pass
for r in 20991227T000000Z 20991228T000000Z 20991229T000000Z 20991230T000000Z; do
	grep -E "^$r " <<<"$OUT" | grep -q '(ours)' && fail "junk $r shown as our revision: $OUT" || pass
done
grep -E "^$real " <<<"$OUT" | grep -q '(ours)' && pass || fail "the real revision is not shown as ours: $OUT"
grep -E "^20991230T000000Z " <<<"$OUT" | grep -q 'unreadable' && pass || fail "the symlink loop is not flagged: $OUT"

# latest is junk here (the newest names): a clear refusal, or the real one.
rv restore latest --to "$T_TMP/out-latest"
no_crash "restore latest over junk"
if [ "$RC" = 0 ]; then
	[ "$(cat "$T_TMP/out-latest$src/a.conf" 2>/dev/null)" = "real data" ] && pass ||
		fail "restore latest succeeded but did not restore the real revision"
else
	expect_one_line "restore latest over junk"
	[ "$RC" = 1 ] || [ "$RC" = 5 ] && pass || fail "restore latest over junk: exit $RC, expected 1 or 5: $ERR"
	[ ! -e "$T_TMP/out-latest$src/a.conf" ] && pass || fail "a failed restore wrote files"
fi

# Each revision-named junk file: one line, exit 1 or 5, nothing written.
for r in 20991227T000000Z 20991228T000000Z 20991229T000000Z 20991230T000000Z; do
	rv verify "$r"
	no_crash "verify junk $r"
	[ "$RC" = 1 ] || [ "$RC" = 5 ] && pass || fail "verify junk $r: exit $RC, expected 1 or 5: $ERR"
	expect_one_line "verify junk $r"
	rv restore "$r" --to "$T_TMP/out-$r"
	no_crash "restore junk $r"
	[ "$RC" = 1 ] || [ "$RC" = 5 ] && pass || fail "restore junk $r: exit $RC, expected 1 or 5: $ERR"
	expect_one_line "restore junk $r"
	[ -z "$(find "$T_TMP/out-$r" -mindepth 1 2>/dev/null)" ] && pass || fail "restore junk $r wrote files"
done
# Names that are not revisions cannot be asked for.
for r in 20261399T999999Z "$long" 20991231T235959Z; do
	rv restore "$r" --to "$T_TMP/out-bad"
	no_crash "restore $r"
	expect_rc 2 "restore a name that is not a revision (${r:0:20}...)"
	expect_one_line "restore ${r:0:20}..."
done

# The real revision still restores by name, and verifies.
rv restore "$real" --to "$T_TMP/out-real"
expect_rc 0 "restore the real revision beside junk"
[ "$(cat "$T_TMP/out-real$src/a.conf" 2>/dev/null)" = "real data" ] && pass || fail "the real revision restored wrong data"
rv verify "$real"
expect_rc 0 "verify the real revision beside junk"

# A backup over junk works and its pruning never touches the junk's
# non-revision files or follows the symlinks.
rv_ok "keep 2 revisions" set backup.revisions 2
printf 'second\n' >"$src/a.conf"
rv backup
no_crash "backup over junk"
expect_rc 0 "backup over junk"
[ -e "$devdir/$long" ] && [ -d "$devdir/20991231T235959Z.revault" ] && [ -e "$devdir/20261399T999999Z.revault" ] &&
	pass || fail "backup removed files that are not revisions: $(ls -A "$devdir")"
# Revisions named later than now (junk, or a clock that was ahead) never
# make the retention delete the backup just made.
today=$(date -u +%Y%m%d)
ls "$devdir" | grep -q "^${today}T.*\.revault$" && pass || fail "the new backup was pruned: $(ls -A "$devdir")"

# A listing of many entries: 3000 revision-like empty files.
big=$T_TMP/big
mkdir -p "$SSHD_ROOT/manydev"
python3 - "$SSHD_ROOT/manydev" <<'EOF'
import os, sys
for i in range(3000):
    open(os.path.join(sys.argv[1], "2025%02d%02dT%02d%02d%02dZ.revault" % (1 + i % 12, 1 + i % 28, i % 24, i % 60, (i // 60) % 60)), "w").close()
EOF
rv list --device manydev
no_crash "list of 3000 junk revisions"
expect_rc 0 "list of 3000 junk revisions"
n=$(awk 'NR > 1 && $1 ~ /^2025/' <<<"$OUT" | wc -l)
[ "$n" -gt 0 ] && pass || fail "list of many entries showed none"
rv restore latest --device manydev --to "$big"
no_crash "restore latest of junk-only device"
[ "$RC" = 1 ] || [ "$RC" = 5 ] && pass || fail "restore latest of junk-only device: exit $RC: $ERR"
expect_one_line "restore latest of junk-only device"

t_done
