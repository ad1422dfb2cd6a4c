#!/usr/bin/env bash
# Integrity: a revision changed on the server in any way — a flipped byte in
# the header or the body, truncated, extended, renamed, or made with another
# master key — is refused with exit 5 and one clear line, by verify and by
# restore, and the restore target is left exactly as it was. An unprotected
# backup restores only after confirmation when not enforced, never when
# enforced.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3

# mutate FILE HOW: damages FILE in place. HOW is flip:OFFSET (negative from
# the end), flipstr:TEXT (the first byte of TEXT's first occurrence),
# truncate:N (drop the last N bytes), half, append.
mutate() {
	python3 - "$1" "$2" <<'EOF'
import sys
path, how = sys.argv[1], sys.argv[2]
data = bytearray(open(path, "rb").read())
op, _, arg = how.partition(":")
if op == "flip":
    data[int(arg)] ^= 0x01
elif op == "flipstr":
    i = data.find(arg.encode())
    if i < 0:
        sys.exit("no %r in %s" % (arg, path))
    data[i] ^= 0x01
elif op == "truncate":
    del data[len(data) - int(arg):]
elif op == "half":
    del data[len(data) // 2:]
elif op == "append":
    data += b"\0"
else:
    sys.exit("unknown mutation " + how)
open(path, "wb").write(data)
EOF
}

srv_start sshd "$T_TMP/sshd"
src=$T_TMP/src
mkdir -p "$src/conf"
printf 'original\n' >"$src/conf/a.conf"
random_file "$src/conf/blob" 200000   # several 16 KiB chunks
url="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
rv_setup "$T_TMP/cfg" "$url" "$SSHD_USER" "$SSHD_KEY" intdev "$src"
rv_new_key
rv_trust
rv_ok "protected on" set security.protected on
rv_ok "enforced on" set security.enforced on
rv backup
expect_rc 0 "protected backup"
devdir=$SSHD_ROOT/intdev
revfile=$(ls "$devdir"/*.revault 2>/dev/null | head -1)
[ -n "$revfile" ] || { fail "no .revault file in $devdir: $(ls -A "$devdir" 2>&1)"; t_done; exit 1; }
rev=$(basename "$revfile" .revault)
cp "$revfile" "$T_TMP/pristine"

# A restore target with older content that a restore would replace.
target=$T_TMP/target
reset_target() {
	rm -rf "$target"
	mkdir -p "$target$src/conf"
	printf 'older\n' >"$target$src/conf/a.conf"
	touch -d '2022-02-02 UTC' "$target$src/conf/a.conf"
	target_sum=$(tree_sum "$target")
}
reset_target
src_sum=$(tree_sum "$src")

rv verify "$rev"
expect_rc 0 "verify the untouched revision"

# refused WHAT REV: verify and restore (under --to and in place) both exit
# 5 with one line, and change nothing.
refused() {
	local what=$1 r=$2
	reset_target
	rv verify "$r"
	expect_rc 5 "$what: verify"
	expect_one_line "$what: verify"
	rv restore "$r" --to "$target"
	expect_rc 5 "$what: restore --to"
	expect_one_line "$what: restore --to"
	[ "$(tree_sum "$target")" = "$target_sum" ] && pass || fail "$what: restore --to changed the target"
	rv restore "$r" --yes
	expect_rc 5 "$what: restore in place"
	[ "$(tree_sum "$src")" = "$src_sum" ] && pass || fail "$what: in-place restore changed the source"
	[ -z "$(ls -A "$T_TMP" | grep -i -e stage -e '\.old' -e journal)" ] && pass ||
		fail "$what: staging left behind: $(ls -A "$T_TMP")"
}

for how in flip:0 flipstr:intdev "flipstr:$rev" flip:200 flip:-1 flip:-20000 flip:-40000 \
	truncate:1 truncate:17 truncate:16400 half append; do
	cp "$T_TMP/pristine" "$revfile"
	mutate "$revfile" "$how"
	refused "$how" "$rev"
done
cp "$T_TMP/pristine" "$revfile"
# After all that, the untouched file still verifies.
rv verify "$rev"
expect_rc 0 "verify after putting the revision back"

# Renamed on the server: the header names another revision.
other=20200101T000000Z
cp "$T_TMP/pristine" "$devdir/$other.revault"
refused "copied under another name" "$other"
rm -f "$devdir/$other.revault"

# Another device's folder holding our file: the header names another device.
mkdir -p "$SSHD_ROOT/otherdev"
cp "$T_TMP/pristine" "$SSHD_ROOT/otherdev/$rev.revault"
rv verify "$rev" --device otherdev
expect_rc 5 "moved to another device's folder: verify"
expect_one_line "moved to another device's folder"
rm -rf "$SSHD_ROOT/otherdev"

# Another master key: told apart from tampering.
rv list
expect_out "$rev .*\(ours\)" "list marks our key"
export REVAULT_CONFIG_A=$REVAULT_CONFIG
rv_setup "$T_TMP/cfg2" "$url" "$SSHD_USER" "$SSHD_KEY" intdev "$src"
rv_new_key
rv_trust
rv list
expect_rc 0 "list with another key"
expect_out "$rev .*\(other key\)" "list marks another key"
refused "another master key" "$rev"
expect_err '[Aa]nother|[Oo]ther key|[Dd]ifferent' "another master key: the line says so"
export REVAULT_CONFIG=$REVAULT_CONFIG_A

# Unprotected backups.
rv_ok "protected off" set security.protected off
printf 'plain\n' >"$src/conf/a.conf"
rv backup
expect_rc 0 "unprotected backup"
plainfile=$(ls "$devdir"/*.tar.zst 2>/dev/null | head -1)
[ -n "$plainfile" ] && pass || fail "no .tar.zst on the server: $(ls -A "$devdir")"
plain=$(basename "$plainfile" .tar.zst)
if [ -n "$plainfile" ] && want_cmd zstd zstd; then
	zstd -dc "$plainfile" | tar -t >/dev/null 2>&1 && pass || fail "the unprotected backup is not a plain .tar.zst"
fi
src_sum=$(tree_sum "$src")

reset_target
rv restore "$plain" --to "$target" --yes
expect_rc 5 "unprotected restore while enforced"
expect_one_line "unprotected restore while enforced"
expect_err 'enforced' "unprotected while enforced names the setting"
[ "$(tree_sum "$target")" = "$target_sum" ] && pass || fail "refused unprotected restore changed the target"

rv_ok "enforced off" set security.enforced off
rv restore "$plain" --to "$target" </dev/null
[ "$RC" != 0 ] && pass || fail "unprotected restore without --yes and no terminal succeeded"
expect_err '--yes' "unconfirmed unprotected restore says to add --yes"
[ "$(tree_sum "$target")" = "$target_sum" ] && pass || fail "unconfirmed unprotected restore changed the target"
rv restore "$plain" --to "$target" --yes
expect_rc 0 "unprotected restore confirmed with --yes, not enforced"
[ "$(cat "$target$src/conf/a.conf" 2>/dev/null)" = plain ] && pass || fail "unprotected restore did not restore"

# A tampered unprotected backup is not authenticated, but a broken archive
# still fails cleanly.
mutate "$plainfile" half
rv restore "$plain" --to "$T_TMP/target2" --yes
[ "$RC" != 0 ] && pass || fail "a truncated unprotected backup restored"
# The warning that it is unprotected comes first (warnings always reach
# stderr); then the failure, one line.
grep -q 'is not protected' <<<"$ERR" && pass || fail "no warning that the revision is unprotected: $ERR"
ERR=$(grep -v 'is not protected' <<<"$ERR")
expect_one_line "truncated unprotected backup"
[ ! -e "$T_TMP/target2$src" ] && pass || fail "a truncated unprotected backup left files in place"

t_done
