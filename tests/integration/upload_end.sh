#!/usr/bin/env bash
# The end of an upload: a revision is renamed into place only once the
# server has stored all of it. Against OpenSSH's external sftp-server with
# tests/tools/sftp_fault.c preloaded, after one good backup, the server
# fails on the upload temporary
#   - fsync@openssh.com (fsync=EIO: FAILURE, not a refusal),
#   - the CLOSE after it (close=EIO: the file is closed, the answer FAILURE),
#   - the writes of the last 200 KiB (write-from: ENOSPC),
# and each time the backup exits 1, no new revision is listed, no temporary
# is left, and the earlier revision still verifies and restores the same.
# A local settings save fsyncs its temporary before it renames it into
# place (strace).
# shellcheck disable=SC2119 # rv_revisions is called without its optional arguments
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
need_cmd strace strace
SFTP_SERVER=/usr/lib/openssh/sftp-server
[ -x "$SFTP_SERVER" ] || skip "$SFTP_SERVER is missing (apt-get install openssh-sftp-server)"
if [ -z "${SFTP_FAULT_SO:-}" ] || [ ! -f "$SFTP_FAULT_SO" ]; then
	echo "FAIL: SFTP_FAULT_SO names no built fault shim (tests/CMakeLists.txt): ${SFTP_FAULT_SO:-unset}" >&2
	exit 1
fi
umask 022

# check DESCRIPTION CMD...: passes when CMD succeeds, else fails DESCRIPTION.
check() {
	local what=$1
	shift
	if "$@"; then pass; else fail "$what"; fi
}

# The fault of each new session: sshd runs the subsystem line through the
# shell, which reads it from a file the test rewrites between backups, so
# one server (one host key) serves every case.
FAULT=$T_TMP/fault
FAULT_LOG=$T_TMP/fault.log
: >"$FAULT"
srv_start sshd "$T_TMP/sshd" --subsystem "exec /usr/bin/env LD_PRELOAD=$SFTP_FAULT_SO \
SFTP_FAULT=\$(cat $FAULT) SFTP_FAULT_LOG=$FAULT_LOG $SFTP_SERVER"

# Incompressible content: the revision has the same size every time.
S=$T_TMP/src
mkdir -p "$S/data"
random_file "$S/data/big.bin" $((2 * 1024 * 1024))
random_file "$S/data/mid.bin" $((700 * 1024))
printf 'setting=1\n' >"$S/app.conf"
rv_setup "$T_TMP/cfg" "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" enddev "$S"
rv_new_key
rv_trust
DEV_DIR=$SSHD_ROOT/enddev

rv backup
expect_rc 0 "the good backup"
[ "$RC" = 0 ] || { t_done; exit 1; }
good=$(rv_revisions)
file=$(server_files "$DEV_DIR" | grep -v '^\.' | head -1)
size=$(stat -c %s "$DEV_DIR/$file" 2>/dev/null || echo 0)
if [ "$(wc -l <<<"$good")" = 1 ] && [ "$size" -gt $((1024 * 1024)) ]; then
	pass
else
	fail "the good backup: expected one revision of more than 1 MiB: revisions '$good', $file of $size bytes"
	t_done
	exit 1
fi
# The shim was there (it logs each temporary opened) and injected nothing.
if grep -q '^open fd .*\.tmp-' "$FAULT_LOG" 2>/dev/null && ! grep -qE 'EIO|ENOSPC' "$FAULT_LOG"; then
	pass
else
	fail "the good backup: the shim was not loaded, or injected a fault: $(tr '\n' ';' <"$FAULT_LOG" 2>/dev/null)"
fi
rv restore latest --to "$T_TMP/out-good"
expect_rc 0 "restore of the good backup"
expect_same_tree "$S" "$T_TMP/out-good$S" "restore of the good backup"

# earlier_intact WHAT: the good revision is the only one, nothing else is
# left in the device folder, and it verifies and restores as backed up.
earlier_intact() {
	local what=$1 left now
	now=$(rv_revisions)
	check "$what: revisions are now '$(tr '\n' ' ' <<<"$now")', expected '$good'" [ "$now" = "$good" ]
	rv list
	if [[ $OUT == *.tmp-* ]]; then fail "$what: list shows a temporary: $OUT"; else pass; fi
	left=$(server_files "$DEV_DIR")
	check "$what: the device folder holds $(tr '\n' ' ' <<<"$left"), expected $file alone" [ "$left" = "$file" ]
	check "$what: $file changed size" [ "$(stat -c %s "$DEV_DIR/$file" 2>/dev/null)" = "$size" ]
	rv verify latest
	expect_rc 0 "$what: verify the earlier revision"
	rm -rf "$T_TMP/out"
	rv restore latest --to "$T_TMP/out"
	expect_rc 0 "$what: restore the earlier revision"
	expect_same_tree "$S" "$T_TMP/out$S" "$what: restore of the earlier revision"
}

# faulted SPEC LOGGED: a backup while the server fails as SPEC says; the
# shim's log must show LOGGED (the fault fired), the backup exit 1.
faulted() {
	local spec=$1 logged=$2
	printf '%s\n' "$spec" >"$FAULT"
	: >"$FAULT_LOG"
	rv backup
	expect_rc 1 "backup while the server fails with $spec"
	expect_one_line "backup while the server fails with $spec"
	echo "note: $spec: $ERR" >&2
	check "$spec: the fault never fired (no /$logged/ in the shim's log: $(tr '\n' ';' <"$FAULT_LOG"))" \
		grep -qE -- "$logged" "$FAULT_LOG"
	: >"$FAULT"
	earlier_intact "after $spec"
}

faulted fsync=EIO '^fsync fd [0-9]+: EIO'
faulted close=EIO '^close fd [0-9]+: EIO'
# Within the last megabyte, and within the last window of writes in flight.
faulted "write-from=$((size - 200 * 1024))" '^write fd [0-9]+ at [0-9]+, [0-9]+ bytes: ENOSPC'

# ---- a local settings save: fsync of the temporary, then the rename ------
strace -f -qq -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace refused)"
# LeakSanitizer stops the world with ptrace, which a traced process cannot.
set +e
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" timeout -k 5 60 strace -f -qq -y -o "$T_TMP/set.trace" \
	-e 'trace=?fsync,?fdatasync,?rename,?renameat,?renameat2' "$REVAULT" set backup.revisions 7 \
	>/dev/null 2>"$T_TMP/set.err"
RC=$?
set -e
ERR=$(cat "$T_TMP/set.err")
expect_rc 0 "set backup.revisions under strace"
verdict=$(python3 - "$T_TMP/set.trace" "$REVAULT_CONFIG" <<'EOF'
import re, sys
trace, target = sys.argv[1], sys.argv[2]
synced = set()
for line in open(trace, errors="replace"):
    m = re.search(r"\b(fsync|fdatasync)\(\d+<([^>]*)>\) = 0", line)
    if m:
        synced.add(m.group(2))
        continue
    m = re.search(r'\brename(?:at2?)?\((?:[^,]*, )?"([^"]*)", (?:[^,]*, )?"([^"]*)"', line)
    if m and m.group(2) == target:
        print("ok" if m.group(1) in synced else "unsynced " + m.group(1))
        sys.exit(0)
print("no rename onto " + target)
EOF
)
check "settings save: $verdict (trace: $(tr '\n' ';' <"$T_TMP/set.trace"))" [ "$verdict" = ok ]
check "the traced set did not save backup.revisions: 7" grep -qE '^ *revisions: *7' "$REVAULT_CONFIG"

t_done
