#!/usr/bin/env bash
# A 256 MiB file of random bytes backed up to a real server and restored
# with --to comes back byte for byte (cmp), against OpenSSH and ProFTPD's
# mod_sftp: the streaming write (short writes resubmitted, data in flight)
# and the large reads keep every byte in place.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
need_cmd cmp diffutils

SIZE=$((256 * 1024 * 1024))
free_kb=$(df -Pk "$T_TMP" | awk 'NR == 2 {print $4}')
[ "$free_kb" -gt $((SIZE / 1024 * 4)) ] || skip "need $((SIZE / 1024 / 1024 * 4)) MiB free under $T_TMP, have $((free_kb / 1024)) MiB"

src=$T_TMP/src
mkdir -p "$src"
random_file "$src/large.bin" "$SIZE"
[ "$(stat -c %s "$src/large.bin")" = "$SIZE" ] || { fail "could not write the 256 MiB source"; t_done; exit 1; }

# roundtrip NAME URL USER KEY ROOT
roundtrip() {
	local name=$1 url=$2 user=$3 key=$4 root=$5 out=$T_TMP/$1-out start took stored
	rv_setup "$T_TMP/$name-cfg" "$url" "$user" "$key" "large-$name" "$src"
	rv_new_key
	rv_trust
	start=$(date +%s)
	rv backup
	took=$(($(date +%s) - start))
	expect_rc 0 "$name: backup of 256 MiB"
	echo "note: $name: backup of 256 MiB took $took s" >&2
	stored=$(find "$root/large-$name" -type f -name '2*' -printf '%s\n' 2>/dev/null | head -1)
	[ -n "$stored" ] && [ "$stored" -gt "$SIZE" ] && pass ||
		fail "$name: the revision on the server has ${stored:-no} bytes, expected more than $SIZE"
	[ -z "$(server_files "$root/large-$name" | grep '^\.')" ] && pass ||
		fail "$name: a temporary is left on the server: $(server_files "$root/large-$name")"
	start=$(date +%s)
	rv restore latest --to "$out"
	took=$(($(date +%s) - start))
	expect_rc 0 "$name: restore of 256 MiB"
	echo "note: $name: restore of 256 MiB took $took s" >&2
	if cmp "$src/large.bin" "$out$src/large.bin"; then pass; else fail "$name: the restored file differs"; fi
	rm -rf "$out" "${root:?}/large-$name"
}

srv_start sshd "$T_TMP/sshd"
roundtrip openssh "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" "$SSHD_ROOT"

if srv_try proftpd "$T_TMP/proftpd"; then
	roundtrip proftpd "sftp://127.0.0.1:$PROFTPD_PORT$PROFTPD_ROOT" "$PROFTPD_USER" "$PROFTPD_KEY" "$PROFTPD_ROOT"
fi

t_done
