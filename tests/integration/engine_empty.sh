#!/usr/bin/env bash
# A device with no backup yet, against a real OpenSSH server: `revault list`
# exits 0 with one line saying there are no revisions yet and what to do
# (its folder missing or empty, this device or another); `verify` and
# `restore` say there is nothing to verify or restore, with exit 2 as for
# a revision that is not there. Only a missing device folder is "none
# yet": a missing server.url folder, a file where the device folder
# belongs, and a device folder the account may not read stay failures
# (exit 1).
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
srv_start sshd "$T_TMP/sshd"
url="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
where="in $(re "$SSHD_ROOT") on 127\.0\.0\.1:$SSHD_PORT"

mkdir -p "$T_TMP/src/etc"
printf 'listen 8080\n' >"$T_TMP/src/etc/app.conf"
rv_setup "$T_TMP/cfg" "$url" "$SSHD_USER" "$SSHD_KEY" fresh "$T_TMP/src"
rv_new_key
rv_trust

# No folder for the device on the server yet.
[ ! -e "$SSHD_ROOT/fresh" ] && pass || fail "the device folder exists before any backup"
rv list
expect_rc 0 "list of a device with no backup"
expect_out "^no revisions of fresh yet $where: run \`revault backup\`\$" "list says there is none yet"
[ "$(printf '%s\n' "$OUT" | grep -c '')" = 1 ] && pass || fail "list printed more than its one line: $OUT"
[ -z "$ERR" ] && pass || fail "list of a device with no backup wrote to stderr: $ERR"
rv list --device other-box
expect_rc 0 "list of another device with no backup"
expect_out "^no revisions of other-box yet $where: is other-box that machine's backup.device\?\$" \
	"another device: the line asks about the name"

# A device folder that is there but empty is the same.
mkdir "$SSHD_ROOT/empty-box"
rv list --device empty-box
expect_rc 0 "list of an empty device folder"
expect_out "^no revisions of empty-box yet $where" "empty folder: none yet"

# Nothing to verify or restore: exit 2, one line, nothing written.
for rev in latest 20261124T101500Z; do
	rv verify "$rev"
	expect_rc 2 "verify $rev with no revisions"
	expect_err "^revault: nothing to verify: no revisions of fresh yet $where: run \`revault backup\`\$" \
		"verify $rev says there is nothing to verify"
	expect_one_line "verify $rev with no revisions"
	rv restore "$rev" --to "$T_TMP/out"
	expect_rc 2 "restore $rev --to with no revisions"
	expect_err "nothing to restore: no revisions of fresh yet $where" "restore $rev says there is nothing to restore"
	expect_one_line "restore $rev with no revisions"
	[ -z "$(ls -A "$T_TMP/out" 2>/dev/null)" ] && pass || fail "restore $rev with no revisions wrote files"
done
rv restore latest --yes
expect_rc 2 "restore in place with no revisions"
expect_err "nothing to restore" "in place: nothing to restore"
[ "$(cat "$T_TMP/src/etc/app.conf")" = "listen 8080" ] && pass || fail "restore with no revisions touched a source"
rv restore latest --device other-box --to "$T_TMP/out"
expect_rc 2 "restore of another device with no revisions"
expect_err "nothing to restore: no revisions of other-box yet $where: is other-box" "another device: nothing to restore"

# Once there is a revision, the list is the table again.
rv backup
expect_rc 0 "first backup"
rv list
expect_rc 0 "list after the first backup"
expect_out '^REVISION +SIZE +KIND +KEY$' "the table's header"
expect_out '^1 revision of fresh$' "the summary counts it"
[ "$(rv_revisions | wc -l)" = 1 ] && pass || fail "one revision listed: $OUT"

# Failures stay failures: a file where the device folder belongs...
printf 'not a folder\n' >"$SSHD_ROOT/file-box"
rv list --device file-box
expect_rc 1 "a file in place of the device folder"
expect_err 'cannot list the directory .*/file-box' "the line names the folder"
grep -q 'no revisions' <<<"$OUT$ERR" && fail "a file in place of the folder read as no revisions" || pass
rv verify latest --device file-box
expect_rc 1 "verify: a file in place of the device folder"

# ... and a server.url folder that is not there.
rv_ok "set server.url to a missing folder" set server.url "$url/missing"
rv list
expect_rc 1 "list under a missing server.url folder"
expect_err 'does not exist' "the line says the folder does not exist"
expect_one_line "missing server.url folder"
grep -q 'no revisions' <<<"$OUT$ERR" && fail "a missing server.url folder read as no revisions" || pass
rv restore latest --to "$T_TMP/out"
expect_rc 1 "restore under a missing server.url folder"
rv_ok "set server.url back" set server.url "$url"

# A device folder the account may not read: an account of its own on the
# server, so that the folder's rights apply.
if [ "$(id -u)" != 0 ]; then
	skip_part "the permission part needs root (a second account on the server)"
elif srv_try sshd "$T_TMP/sshd-pw" --password-user; then
	mkdir -p "$T_TMP/pw"
	export REVAULT_CONFIG=$T_TMP/pw/revault.yaml
	rv_ok "pw: set server.url" set server.url "sftp://127.0.0.1:$SSHD_PORT$SSHD_PW_ROOT"
	rv_ok "pw: set server.username" set server.username "$SSHD_PW_USER"
	rv password set --fd 3 3<"$SSHD_PW_FILE"
	expect_rc 0 "pw: password set --fd 3"
	rv_ok "pw: set backup.device" set backup.device pw-box
	rv_trust
	mkdir "$SSHD_PW_ROOT/locked-box"
	chmod 700 "$SSHD_PW_ROOT/locked-box"
	rv list
	expect_rc 0 "pw: the account's own device, no backup yet"
	expect_out '^no revisions of pw-box yet' "pw: none yet"
	rv list --device locked-box
	expect_rc 1 "pw: a device folder the account may not read"
	expect_err 'permission denied' "pw: the line says permission denied"
	expect_one_line "pw: permission denied"
	rv restore latest --device locked-box --to "$T_TMP/out-pw"
	expect_rc 1 "pw: restore from a folder the account may not read"
	expect_err 'permission denied' "pw: restore says permission denied"
fi
t_done
