#!/usr/bin/env bash
# What a restore keeps and what a backup never holds (docs/SECURITY.md):
# the machine's secrets stay out of every backup however they are reached
# (a rotated key, a hard link, a source spelled //x or x/../x), and stay on
# the machine through an in-place restore of their folder; paths longer
# than PATH_MAX/2 and names that are not UTF-8 come back; an old tree that
# cannot be removed is named on stderr with the command that removes it.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
need_cmd zstd zstd

srv_start sshd "$T_TMP/sshd"
DIRECT="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"

# ---- 1. secrets by identity, with the settings folder inside a source ----
# The /etc + /etc/revault layout: the source S holds the settings folder.
S=$T_TMP/etc
mkdir -p "$S/app" "$S/other"
printf 'setting=1\n' >"$S/app/app.conf"
printf 'x\n' >"$S/other/file"
# The source is typed in another spelling: it names the same folder.
rv_setup "$S/revault" "$DIRECT" "$SSHD_USER" "$SSHD_KEY" secdev "$T_TMP//etc/"
rv_new_key
rv_trust
rv show
expect_out "$(re "$S")" "the source is kept in its one spelling"
grep -q '//etc' <<<"$OUT" && fail "the source kept its double slash: $OUT" || pass
key_before=$(sha256sum <"$S/revault/master.key")
# A rotation leaves the old key beside the new one; a hard link of the key
# elsewhere in the source is the same file by another name.
rv key generate --force
expect_rc 0 "key generate --force"
ls "$S/revault" | grep -q '^master\.key\.old-' && pass || fail "no rotated key left to test with: $(ls "$S/revault")"
ln "$S/revault/master.key" "$S/other/key-by-another-name"
key_now=$(sha256sum <"$S/revault/master.key")
secret_now=$(sha256sum <"$S/revault/secret.key" 2>/dev/null || echo none)

# An unprotected backup shows in clear what it holds.
rv_ok "protected off" set security.protected off
rv backup
expect_rc 0 "unprotected backup of the settings folder"
plain=$(ls "$SSHD_ROOT/secdev/"*.tar.zst | head -1)
listing=$(zstd -dc "$plain" | tar -tvf - 2>/dev/null)
grep -qE 'master\.key|secret\.key|key-by-another-name' <<<"$listing" &&
	fail "a secret file is in the backup:
$(grep -E 'key' <<<"$listing")" || pass
grep -q "app/app.conf" <<<"$listing" && pass || fail "the backup lacks app.conf: $listing"
zstd -dc "$plain" | tar -xOf - --wildcards '*revault.yaml' | grep -q 'server:' && pass ||
	fail "the settings file itself is not in the backup"

# The protected backup restores in place over the settings folder: the
# keys are the machine's own afterwards, byte for byte.
rv_ok "protected on" set security.protected on
rv backup
expect_rc 0 "protected backup"
rev=$(rv_revisions | head -1)
printf 'changed\n' >"$S/app/app.conf"
rv restore "$rev" --yes
expect_rc 0 "in-place restore over the settings folder"
[ "$(cat "$S/app/app.conf")" = "setting=1" ] && pass || fail "app.conf not restored"
[ "$(sha256sum <"$S/revault/master.key")" = "$key_now" ] && pass || fail "master.key changed or lost"
[ "$(sha256sum <"$S/revault/secret.key" 2>/dev/null || echo none)" = "$secret_now" ] && pass ||
	fail "secret.key changed or lost"
[ "$(stat -c %a "$S/revault/master.key")" = 600 ] && pass || fail "master.key mode $(stat -c %a "$S/revault/master.key")"
[ "$key_before" != "$key_now" ] && pass || fail "the key was not rotated"
no_left=$(find "$T_TMP" -name '.revault-stage-*' -o -name '.revault-old-*')
[ -z "$no_left" ] && pass || fail "left behind: $no_left"
# The lock and the journal live in the state folder, not beside the settings.
[ ! -e "$S/revault/revault.lock" ] && [ ! -e "$S/revault/restore.journal" ] && pass ||
	fail "lock or journal inside the settings folder: $(ls "$S/revault")"
[ -e "$REVAULT_STATE_DIR/lock" ] && pass || fail "no lock in the state folder $REVAULT_STATE_DIR"

# ---- 2. long paths and names that are not UTF-8 ----------------------------
L=$T_TMP/long
mkdir -p "$L"
deep=$(python3 - "$L" <<'EOF'
import os, sys
root = sys.argv[1]
p = root
while len(p) < 3000:
    p = os.path.join(p, "d" * 200)
os.makedirs(p)
with open(os.path.join(p, "f"), "w") as f:
    f.write("deep\n")
with open(os.path.join(root.encode(), b"caf\xe9-\xff.conf"), "wb") as f:
    f.write(b"latin-1 name\n")
print(p)
EOF
)
export REVAULT_CONFIG=$T_TMP/cfg-long/revault.yaml
rv_setup "$T_TMP/cfg-long" "$DIRECT" "$SSHD_USER" "$SSHD_KEY" longdev "$L"
rv_new_key
rv_ok "protected on" set security.protected on
rv_trust
before=$(tree_describe "$L")
rv backup
expect_rc 0 "backup of a 3000-byte path"
[ -z "$ERR" ] && pass || fail "the backup warned about names it stores exactly: $ERR"
rev=$(rv_revisions | head -1)
rv verify "$rev"
expect_rc 0 "verify of a 3000-byte path"
rv restore "$rev" --to "$T_TMP/out-long"
expect_rc 0 "restore --to of a 3000-byte path"
[ "$(tree_describe "$T_TMP/out-long$L")" = "$before" ] && pass || fail "the long tree differs under --to:
$(diff <(echo "$before") <(tree_describe "$T_TMP/out-long$L") | head -5)"
printf 'changed\n' >"$deep/f"
LANG=C LC_ALL=C rv restore "$rev" --yes
expect_rc 0 "in-place restore of a 3000-byte path"
[ "$(cat "$deep/f" 2>/dev/null)" = deep ] && pass || fail "the deep file was not restored in place"
[ "$(tree_describe "$L")" = "$before" ] && pass || fail "the long tree differs in place"

# ---- 3. an old tree that cannot be removed ----------------------------------
stuck=0
if [ "$(id -u)" != 0 ]; then
	skip_part "an immutable file in the old tree needs root"
elif want_cmd chattr e2fsprogs; then
	if touch "$L/stuck" && chattr +i "$L/stuck" 2>/dev/null; then
		stuck=1
	else
		rm -f "$L/stuck"
		skip_part "the filesystem under $T_TMP refuses chattr +i: no leftover part"
	fi
fi
if [ "$stuck" = 1 ]; then
	t_on_exit "find '$T_TMP' -name stuck -exec chattr -i {} + 2>/dev/null"
	rv restore "$rev" --yes
	expect_rc 0 "in-place restore with an immutable file in the old tree"
	expect_err "could not remove .*\.revault-old-.*rm -rf" "the leftover is named with the command to remove it"
	[ ! -e "$L/stuck" ] && [ "$(cat "$deep/f")" = deep ] && pass || fail "the restored tree is not in place"
	old=$(find "$T_TMP" -maxdepth 1 -name '.revault-old-*' | head -1)
	[ -n "$old" ] && chattr -i "$old/stuck" && rm -rf "$old"
fi

# ---- 4. what --to never replaces, and mount points -------------------------
before=$(tree_describe "$L")
rv restore "$rev" --to /
expect_rc 2 "restore --to / (it would replace the source itself)"
expect_err "would replace .*a source this machine backs up" "the refusal names what would be replaced"
[ "$(tree_describe "$L")" = "$before" ] && pass || fail "--to / changed the source"
mkdir -p "$T_TMP/real2"
ln -s real2 "$T_TMP/lnk2"
rv restore "$rev" --to "$T_TMP/lnk2/."
expect_rc 2 "--to LINK/. is the symlink LINK"
mkdir -m 770 "$T_TMP/gw"
chmod 770 "$T_TMP/gw"
rv restore "$rev" --to "$T_TMP/gw"
expect_rc 2 "--to a directory its group can write"
expect_err "writable by its group" "the refusal says why"
if [ "$(id -u)" = 0 ] && mkdir -p "$L/mnt" && mount -t tmpfs -o size=1m tmpfs "$L/mnt" 2>/dev/null; then
	t_on_exit "umount -l '$L/mnt' 2>/dev/null"
	echo precious >"$L/mnt/precious"
	rv restore "$rev" --yes
	expect_rc 1 "in-place restore of a tree holding a mount point"
	expect_err "holds the mount point .*mnt" "the refusal names the mount point"
	[ "$(cat "$L/mnt/precious" 2>/dev/null)" = precious ] && mountpoint -q "$L/mnt" && pass ||
		fail "the mount point was moved"
	[ -z "$(find "$T_TMP" -maxdepth 1 -name '.revault-*')" ] && pass || fail "a restore that was refused left $(find "$T_TMP" -maxdepth 1 -name '.revault-*')"
	umount "$L/mnt"
else
	skip_part "cannot mount a tmpfs here: the mount point part is skipped"
fi

# ---- 5. the keys kept when the source is spelled through a symlink ---------
export REVAULT_CONFIG=$S/revault/revault.yaml
ln -s . "$T_TMP/self"
rv_ok "source remove" source remove "$S"
rv_ok "the same folder spelled through a symlinked parent" source add "$T_TMP/self/etc"
rv backup
expect_rc 0 "backup through a symlinked parent"
rev5=$(rv_revisions | head -1)
key_now=$(sha256sum <"$S/revault/master.key")
rv restore "$rev5" --yes
expect_rc 0 "in-place restore through a symlinked parent"
[ "$(sha256sum <"$S/revault/master.key" 2>/dev/null)" = "$key_now" ] && pass ||
	fail "master.key lost when the source is spelled through a symlink: $(ls "$S/revault")"
t_done
