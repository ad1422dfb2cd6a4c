#!/usr/bin/env bash
# Backup and restore end to end against real SFTP servers (OpenSSH, then
# ProFTPD's mod_sftp, AsyncSSH and Dropbear): an unknown host is refused
# until authenticated, and a tree with every kind of entry comes back
# identical — under --to and in place.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3

# make_tree DIR: files, modes, an empty dir, symlinks, a hard link, odd
# names, old mtimes and (where the file system has them) extended attributes.
make_tree() {
	local d=$1
	mkdir -p "$d/etc/app/conf.d" "$d/empty" "$d/deep/a/b/c"
	printf 'listen 8080\n' >"$d/etc/app/app.conf"
	printf 'secret=1\n' >"$d/etc/app/private.key"
	chmod 600 "$d/etc/app/private.key"
	printf '#!/bin/sh\necho hi\n' >"$d/etc/app/run.sh"
	chmod 755 "$d/etc/app/run.sh"
	printf 'x\n' >"$d/etc/app/conf.d/group-readable"
	chmod 640 "$d/etc/app/conf.d/group-readable"
	: >"$d/etc/app/zero-length"
	printf 'spaces\n' >"$d/etc/app/with spaces.txt"
	printf 'utf8\n' >"$d/etc/app/überraschung-日本.conf"
	random_file "$d/deep/a/b/c/blob.bin" 1048576
	ln -s app.conf "$d/etc/app/link-to-conf"
	ln -s ../../nowhere "$d/etc/app/dangling"
	printf 'shared\n' >"$d/etc/app/hard1"
	ln "$d/etc/app/hard1" "$d/deep/hard2"
	chmod 700 "$d/empty"
	T_XATTR=0
	if ! want_cmd setfattr attr; then
		:
	elif setfattr -n user.revault -v tested "$d/etc/app/app.conf" 2>/dev/null; then
		T_XATTR=1
	else
		skip_part "extended attributes: no user xattrs on $(df --output=target "$d" | tail -1)"
	fi
	touch -h -d '2020-01-02 03:04:05 UTC' "$d/etc/app/link-to-conf"
	find "$d" -depth ! -type l -exec touch -d '2021-06-07 08:09:10 UTC' {} +
	touch -d '2019-12-31 23:59:59 UTC' "$d/etc/app/app.conf"
}

# roundtrip NAME URL USER KEY
roundtrip() {
	local name=$1 url=$2 user=$3 key=$4
	local src=$T_TMP/$name-src out=$T_TMP/$name-out id before siblings

	make_tree "$src"
	rv_setup "$T_TMP/$name-cfg" "$url" "$user" "$key" "$name-dev" "$src"
	rv_new_key

	# Unknown host: refused before anything is sent, with what to do.
	rv backup
	expect_rc 3 "$name: backup to an unknown host"
	expect_err 'revault authenticate' "$name: unknown host names the command"
	expect_one_line "$name: unknown host"

	rv_trust
	rv knownhost list
	expect_rc 0 "$name: knownhost list"
	expect_out '127\.0\.0\.1' "$name: the trusted key is listed"

	rv backup
	expect_rc 0 "$name: backup"
	id=$(rv_key_id)
	[ -n "$id" ] && pass || fail "$name: show has no master_key.id"
	rv list
	expect_rc 0 "$name: list"
	[ "$(rv_revisions | wc -l)" = 1 ] && pass || fail "$name: expected one revision: $OUT"
	expect_out "protected +${id:0:16} \(ours\)" "$name: list shows a protected revision with our key"
	rv verify latest
	expect_rc 0 "$name: verify latest"
	expect_out 'intact' "$name: verify says intact"

	rv restore latest --to "$out"
	expect_rc 0 "$name: restore --to"
	expect_same_tree "$src" "$out$src" "$name: restore --to"
	if [ "$T_XATTR" = 1 ]; then
		[ "$(getfattr --only-values -n user.revault "$out$src/etc/app/app.conf" 2>/dev/null)" = tested ] &&
			pass || fail "$name: xattr user.revault not restored"
	fi

	# In place: changed and deleted files come back; nothing changes
	# without a confirmation.
	before=$(tree_describe "$src")
	printf 'changed\n' >"$src/etc/app/app.conf"
	rm "$src/etc/app/private.key" "$src/deep/hard2"
	chmod 777 "$src/etc/app/run.sh"
	rm -r "$src/empty"
	local damaged
	damaged=$(tree_describe "$src")
	siblings=$(ls -A "$(dirname "$src")")
	rv restore latest </dev/null
	[ "$RC" != 0 ] && pass || fail "$name: in-place restore without --yes and no terminal succeeded"
	expect_err '--yes' "$name: unconfirmed restore says to add --yes"
	[ "$(tree_describe "$src")" = "$damaged" ] && pass || fail "$name: unconfirmed restore changed files"
	rv restore latest --yes
	expect_rc 0 "$name: in-place restore --yes"
	local d
	d=$(diff <(echo "$before") <(tree_describe "$src")) && pass || fail "$name: in-place restore differs:
$d"
	# The staging and swap leave nothing beside the source.
	[ "$(ls -A "$(dirname "$src")")" = "$siblings" ] && pass ||
		fail "$name: restore left entries beside the source: $(ls -A "$(dirname "$src")")"
}

srv_start sshd "$T_TMP/sshd"
roundtrip openssh "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY"

if srv_try proftpd "$T_TMP/proftpd"; then
	roundtrip proftpd "sftp://127.0.0.1:$PROFTPD_PORT$PROFTPD_ROOT" "$PROFTPD_USER" "$PROFTPD_KEY"
fi

if srv_try asyncssh "$T_TMP/asyncssh"; then
	roundtrip asyncssh "sftp://127.0.0.1:$ASYNCSSH_PORT$ASYNCSSH_ROOT" "$ASYNCSSH_USER" "$ASYNCSSH_KEY"
fi

if srv_try dropbear "$T_TMP/dropbear"; then
	roundtrip dropbear "sftp://127.0.0.1:$DROPBEAR_PORT$DROPBEAR_ROOT" "$DROPBEAR_USER" "$DROPBEAR_KEY"
fi

t_done
