#!/usr/bin/env bash
# The SFTP requests of a backup and of a list, as OpenSSH's sftp-server
# logs them (-l DEBUG3 on its stderr): what each job asks the server, in
# order. Over a WAN every request that waits for the one before costs a
# round trip (docs/PERFORMANCE.md, "Over a WAN"), so:
#   - a backup lists its device folder once (the revisions, the old
#     temporaries and whether the folder must be made all come from it),
#     and a repeat backup neither looks at nor makes the folder;
#   - a device's first backup makes only the missing last component;
#   - the end of an upload is fsync, close, a look at the final name, the
#     rename and the read-back, each once, and nothing is listed after it;
#   - list reads each protected revision's header with one open and one
#     read, and lists the folder once.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
SFTP_SERVER=/usr/lib/openssh/sftp-server
[ -x "$SFTP_SERVER" ] || skip "$SFTP_SERVER is missing (apt-get install openssh-sftp-server)"

LOG=$T_TMP/sftp.log
srv_start sshd "$T_TMP/sshd" --subsystem "$SFTP_SERVER -e -l DEBUG3 2>>$LOG"
url="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
mkdir -p "$T_TMP/src/etc"
for i in $(seq 1 300); do printf 'setting %s\n' "$i" >"$T_TMP/src/etc/f$i.conf"; done
rv_setup "$T_TMP/cfg" "$url" "$SSHD_USER" "$SSHD_KEY" branch "$T_TMP/src"
rv_new_key
rv_trust

# requests: the requests the server logged since the log was emptied, one
# word each, in order ("open", "opendir", "fsync@openssh.com", ...).
requests() {
	grep -oE 'request [0-9]+: [a-z@.]+' "$LOG" | awk '$3 != "sent" {print $3}' | tr '\n' ' '
}
count() { requests | tr ' ' '\n' | grep -cx "$1" || true; }

: >"$LOG"
rv backup
expect_rc 0 "first backup"
first=$(requests)
[ "$(count opendir)" = 2 ] && pass ||
	fail "first backup: expected 2 listings (the device folder, then server.url's to see it is missing), got: $first"
[ "$(count mkdir)" = 1 ] && pass || fail "first backup: expected one mkdir (only the device folder), got: $first"

: >"$LOG"
rv backup
expect_rc 0 "repeat backup"
repeat=$(requests)
[ "$(count opendir)" = 1 ] && pass || fail "repeat backup: the device folder listed more than once: $repeat"
[ "$(count mkdir)" = 0 ] && pass || fail "repeat backup: made a folder that is there: $repeat"
for op in open fsync rename; do
	[ "$(count "$op")" = "$([ "$op" = open ] && echo 2 || echo 1)" ] && pass ||
		fail "repeat backup: unexpected number of $op requests: $repeat"
done
# Once the login's look at server.url is done, the one stat left is the
# look at the final name before the rename.
[ "$(count stat)" = 2 ] && pass || fail "repeat backup: expected 2 stats (server.url, the final name), got: $repeat"
[[ $repeat == *" rename "* ]] && [[ ${repeat#* rename } != *opendir* ]] && pass ||
	fail "repeat backup: the folder was listed again after the rename: $repeat"
[ "$(wc -w <<<"$repeat")" -le 16 ] && pass || fail "repeat backup: more than 16 requests: $repeat"

: >"$LOG"
rv list
expect_rc 0 "list"
listed=$(requests)
[ "$(count opendir)" = 1 ] && pass || fail "list: the device folder listed more than once: $listed"
[ "$(count open)" = 2 ] && [ "$(count read)" = 2 ] && pass ||
	fail "list: expected one open and one read per revision header (2 revisions), got: $listed"

# A request log that shows nothing would pass every check above: it must
# hold the writes of the backups' uploads.
: >"$LOG"
rv backup
expect_rc 0 "third backup"
[ "$(count write)" -ge 1 ] && pass || fail "the server's log shows no write: is it logging? $(head -3 "$LOG")"
t_done
