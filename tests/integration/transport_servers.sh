#!/usr/bin/env bash
# The transport on the servers it meets in the field, each case a small
# input from a public report standing for its kind:
#   OpenSSH refusing fsync        one warning, the backup stored (exit 0)
#   OpenSSH ChannelTimeout        the channel kept busy through a long scan
#   an SFTP server that exits     "closed the SFTP channel" with its exit
#                                 status, at once, not after server.timeout
#   OpenSSH refusing rename       the rename's own status, nothing listed
#   a login script printing text  said so, at once
#   AsyncSSH with short READs     restores and verifies (read on, never
#                                 "tampered")
#   AsyncSSH whose rename
#   overwrites (SFTPGo, pkg/sftp) two backups racing for one name never
#                                 both report success for one revision
#   Dropbear without sftp-server  exit status 127, at once
#   Dropbear with RSA keys only   works (it still accepts SHA-1 RSA)
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3

src=$T_TMP/src
mkdir -p "$src/etc"
random_file "$src/etc/blob.bin" 300000
printf 'hostname branch-7\n' >"$src/etc/config"

# setup NAME URL USER KEY: settings in $T_TMP/NAME for that server, its
# host key trusted and a master key made.
setup() {
	rv_setup "$T_TMP/$1" "$2" "$3" "$4" "dev-$1" "$src"
	rv_ok "$1: timeout" set server.timeout 20
	rv_trust
	rv_new_key
}

# elapsed_below SECONDS WHAT: the last timed run took less than SECONDS.
elapsed_below() {
	[ "$ELAPSED" -lt "$1" ] && pass || fail "$2: took $ELAPSED s (server.timeout is 20)"
}
timed() {
	local t0
	t0=$(date +%s)
	rv "$@"
	ELAPSED=$(($(date +%s) - t0))
}

# ---- OpenSSH ----------------------------------------------------------
srv_start sshd "$T_TMP/fsync" --subsystem "internal-sftp -P fsync"
setup fsync "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY"
rv backup
expect_rc 0 "fsync refused: the backup is stored"
expect_err 'refuses fsync@openssh.com \(permission denied\)' "fsync refused: warned"
[ "$(grep -c 'fsync' <<<"$ERR")" = 1 ] && pass || fail "fsync refused: one warning expected: $ERR"
[ "$(rv_revisions | wc -l)" = 1 ] && pass || fail "fsync refused: one revision expected"
rv verify latest
expect_rc 0 "fsync refused: the revision verifies"
srv_stop sshd "$T_TMP/fsync"

# A scan of 150,000 empty files keeps the channel idle for seconds.
# OpenSSH counts ChannelTimeout in whole seconds from the second of the
# last traffic, so only 2 s and more can be met by a client that ever
# pauses (docs/OPERATOR.md).
many=$T_TMP/many
mkdir -p "$many"
python3 -c "
import os, sys
d = sys.argv[1]
for i in range(150000):
    open(os.path.join(d, 'f%06d' % i), 'w').close()
" "$many"
srv_start sshd "$T_TMP/idle" --channel-timeout 'session:*=2s'
setup idle "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY"
rv_ok "idle: source" source add "$many"
# All of them left out, each after 60 patterns it is matched against
# first: the scan and the archive each work for seconds (about 3 s each
# here) and send nothing.
for i in $(seq 60); do
	"$REVAULT" exclude add "$many/p$i/*.tmp" >/dev/null
done
rv_ok "idle: exclude" exclude add "$many/f*"
rv backup
expect_rc 0 "ChannelTimeout 2s: a backup with a long scan"
grep -q 'inactivity' "$SSHD_LOG" && fail "ChannelTimeout 2s: the server closed an idle channel" || pass
srv_stop sshd "$T_TMP/idle"

# The SFTP server ends while the job still works: reported at once as a
# closed channel, with its exit status.
srv_start sshd "$T_TMP/ends" --subsystem "timeout 2 /usr/lib/openssh/sftp-server"
setup ends "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY"
# The end as it is reported (a new connection would go on: server.retries).
rv_ok "ends: no retries" set server.retries 0
rv_ok "ends: source" source add "$many"
timed backup
expect_rc 1 "the SFTP server ended"
expect_one_line "the SFTP server ended"
expect_err 'closed the SFTP channel \(exit status 124\)' "the SFTP server ended: said so"
elapsed_below 15 "the SFTP server ended"
[ -z "$(rv_revisions)" ] && pass || fail "the SFTP server ended: a revision is listed"
srv_stop sshd "$T_TMP/ends"

srv_start sshd "$T_TMP/norename" --subsystem "internal-sftp -P rename,posix-rename@openssh.com"
setup norename "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY"
rv backup
expect_rc 1 "rename refused"
expect_one_line "rename refused"
expect_err 'refuses renames \(permission denied\)' "rename refused: its own status"
grep -q 'no such file' <<<"$ERR" && fail "rename refused: reported as a missing file: $ERR" || pass
[ -z "$(rv_revisions)" ] && pass || fail "rename refused: a revision is listed"
[ -z "$(server_files "$SSHD_ROOT/dev-norename")" ] && pass ||
	fail "rename refused: left on the server: $(server_files "$SSHD_ROOT/dev-norename")"
srv_stop sshd "$T_TMP/norename"

srv_start sshd "$T_TMP/banner" --subsystem "echo Welcome to branch 7; exec /usr/lib/openssh/sftp-server"
rv_setup "$T_TMP/banner" "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" dev-banner "$src"
rv_ok "banner: timeout" set server.timeout 20
rv_trust
timed list
expect_rc 1 "a login script prints text"
expect_one_line "a login script prints text"
expect_err 'printed "Welcome to branch 7"' "a login script prints text: said so"
elapsed_below 10 "a login script prints text"
srv_stop sshd "$T_TMP/banner"

# The account's shell prints and ends (nologin): not blamed on a script.
srv_start sshd "$T_TMP/nologin" --subsystem "echo This account is currently not available.; exit 1"
rv_setup "$T_TMP/nologin" "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" dev-nologin "$src"
rv_trust
rv list
expect_rc 1 "a shell that ends the session"
expect_one_line "a shell that ends the session"
expect_err 'printed "This account is currently not available." and closed the SFTP channel \(exit status 1\)' \
	"a shell that ends the session: said so"
grep -q 'bashrc' <<<"$ERR" && fail "a shell that ends the session: blamed on a login script: $ERR" || pass
srv_stop sshd "$T_TMP/nologin"

# ---- AsyncSSH -----------------------------------------------------------
if srv_try asyncssh "$T_TMP/short" --short-read 16384; then
	# libssh2 1.10 leaks the answer it drops with "Read Packet At
	# Unexpected Offset" (sftp.c, sftp_read returns without freeing it):
	# once per file read from such a server, not revault's to free.
	asan_before=${ASAN_OPTIONS:-}
	export ASAN_OPTIONS=${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}
	setup short "sftp://127.0.0.1:$ASYNCSSH_PORT$ASYNCSSH_ROOT" "$ASYNCSSH_USER" "$ASYNCSSH_KEY"
	rv_ok "short reads: backup" backup
	rv verify latest
	expect_rc 0 "short reads: verify"
	rm -rf "$T_TMP/short-out"
	rv restore latest --to "$T_TMP/short-out"
	expect_rc 0 "short reads: restore"
	cmp -s "$src/etc/blob.bin" "$T_TMP/short-out$src/etc/blob.bin" && pass ||
		fail "short reads: the restored file differs"
	# A tiny revision (one short answer is all of it but the end).
	rv_ok "short reads: a small source" source remove "$src"
	mkdir -p "$T_TMP/small"
	random_file "$T_TMP/small/f" 20000
	rv_ok "short reads: small source" source add "$T_TMP/small"
	rv_ok "short reads: small backup" backup
	rv verify latest
	expect_rc 0 "short reads: a 20 KB revision verifies"
	grep -q 'tamper' <<<"$ERR" && fail "short reads: called tampering: $ERR" || pass
	export ASAN_OPTIONS=$asan_before
	srv_stop asyncssh "$T_TMP/short"
fi

if srv_try asyncssh "$T_TMP/over" --rename-overwrites; then
	setup over "sftp://127.0.0.1:$ASYNCSSH_PORT$ASYNCSSH_ROOT" "$ASYNCSSH_USER" "$ASYNCSSH_KEY"
	random_file "$src/etc/big.bin" 3000000
	# Two machines with the same device name (two state folders), started
	# together at the start of a second: both pick the same name.
	raced=0
	for try in 1 2 3 4 5; do
		before=$(rv_revisions | wc -l)
		python3 -c 'import time; time.sleep(1 - time.time() % 1 + 0.02)'
		REVAULT_STATE_DIR=$T_TMP/.state-a timeout 120 "$REVAULT" backup >"$T_TMP/a.out" 2>"$T_TMP/a.err" &
		a=$!
		REVAULT_STATE_DIR=$T_TMP/.state-b timeout 120 "$REVAULT" backup >"$T_TMP/b.out" 2>"$T_TMP/b.err" &
		b=$!
		ra=0 rb=0
		wait "$a" || ra=$?
		wait "$b" || rb=$?
		after=$(rv_revisions | wc -l)
		ok=0
		[ "$ra" = 0 ] && ok=$((ok + 1))
		[ "$rb" = 0 ] && ok=$((ok + 1))
		[ "$((after - before))" -ge "$ok" ] && pass ||
			fail "rename overwrites: $ok runs reported success, $((after - before)) new revisions: $(cat "$T_TMP/a.err" "$T_TMP/b.err")"
		na=$(grep -oE 'backup [0-9T]+Z(-[0-9]+)?' "$T_TMP/a.out" "$T_TMP/a.err" | head -1 | awk '{print $2}')
		nb=$(grep -oE 'backup [0-9T]+Z(-[0-9]+)?' "$T_TMP/b.out" "$T_TMP/b.err" | head -1 | awk '{print $2}')
		if [ "$ra" != 0 ] || [ "$rb" != 0 ] || [ "$na" = "$nb" ]; then
			raced=1
			break
		fi
	done
	[ "$raced" = 1 ] && pass || fail "rename overwrites: the two backups never raced for one name in 5 tries"
	grep -h 'exists already\|replaced\|not listed' "$T_TMP/a.err" "$T_TMP/b.err" >/dev/null || [ "$ra$rb" = 00 ] && pass ||
		fail "rename overwrites: the failed run did not say why: $(cat "$T_TMP/a.err" "$T_TMP/b.err")"
	rm -f "$src/etc/big.bin"
	srv_stop asyncssh "$T_TMP/over"
fi

# A second machine under the same device name makes the device folder
# between this run's listing of it ("no such file") and the next request:
# the folder is there after all, and the backup goes on into it.
if srv_try asyncssh "$T_TMP/meanwhile" --made-meanwhile dev-meanwhile; then
	setup meanwhile "sftp://127.0.0.1:$ASYNCSSH_PORT$ASYNCSSH_ROOT" "$ASYNCSSH_USER" "$ASYNCSSH_KEY"
	rv backup
	expect_rc 0 "the device folder made meanwhile: the backup is stored"
	[ "$(rv_revisions | wc -l)" = 1 ] && pass || fail "the device folder made meanwhile: one revision expected"
	srv_stop asyncssh "$T_TMP/meanwhile"
fi

# ---- Dropbear -----------------------------------------------------------
if srv_try dropbear "$T_TMP/nosftp" --no-sftp; then
	rv_setup "$T_TMP/nosftp" "sftp://127.0.0.1:$DROPBEAR_PORT$DROPBEAR_ROOT" "$DROPBEAR_USER" "$DROPBEAR_KEY" dev-nosftp "$src"
	rv_ok "nosftp: timeout" set server.timeout 20
	rv_trust
	timed list
	expect_rc 1 "Dropbear without sftp-server"
	expect_one_line "Dropbear without sftp-server"
	expect_err 'closed the SFTP channel at once \(exit status 127' "Dropbear without sftp-server: said so"
	elapsed_below 10 "Dropbear without sftp-server"
	srv_stop dropbear "$T_TMP/nosftp"
fi

# RSA host and user keys: Dropbear 2022 still accepts the SHA-1 signatures
# libssh2 1.10 makes with them (docs/HOSTKEYS.md).
ssh-keygen -q -t rsa -b 2048 -N '' -f "$T_TMP/id_rsa"
if srv_try dropbear "$T_TMP/rsa" --hostkey-only rsa --user-key "$T_TMP/id_rsa"; then
	rv_setup "$T_TMP/rsa" "sftp://127.0.0.1:$DROPBEAR_PORT$DROPBEAR_ROOT" "$DROPBEAR_USER" "$T_TMP/id_rsa" dev-rsa "$src"
	rv knownhost add "127.0.0.1:$DROPBEAR_PORT" ssh-rsa "$DROPBEAR_HOSTKEY_RSA_SHA256"
	expect_rc 0 "Dropbear RSA: pin the ssh-rsa key"
	rv_new_key
	rv backup
	expect_rc 0 "Dropbear RSA: backup"
	rv verify latest
	expect_rc 0 "Dropbear RSA: verify"
	srv_stop dropbear "$T_TMP/rsa"
fi
t_done
