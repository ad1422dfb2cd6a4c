#!/usr/bin/env bash
# Credential hygiene, end to end. The server password (random, so a unique
# marker) and a key passphrase go in only through `password set --fd 3`
# and must never show up in: /proc/PID/cmdline or /proc/PID/environ of a
# running backup (polled while a throttled proxy keeps it transferring),
# the settings YAML, `revault show`, the stdout or stderr of any command,
# the syslog lines revault writes (caught on a private /dev/log), the
# server's sshd log at DEBUG1, or a core dump of a revault killed with
# SIGABRT mid-backup (it is non-dumpable while the master key is loaded:
# no core at all). secret.key, master.key and the settings are mode 0600.
# After a host-key change the server's log shows no authentication attempt
# and not even the user name.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
[ "$(id -u)" = 0 ] || skip "the password account needs root (useradd)"

srv_start sshd "$T_TMP/sshd" --password-user --log-level DEBUG1
PW=$SSHD_PW_FILE # the marker: the password itself, kept off every argv
(umask 077 && printf 'pp-%s\n' "$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" >"$T_TMP/passphrase")
ALL=$T_TMP/all-output # every stdout and stderr of revault, collected
: >"$ALL"

# leaks FILE...: how many of FILE hold the password or the passphrase.
leaks() {
	local n=0 f
	for f in "$@"; do
		[ -e "$f" ] || continue
		if grep -qaF -f "$PW" "$f" || grep -qaF -f "$T_TMP/passphrase" "$f"; then
			echo "secret found in $f" >&2
			n=$((n + 1))
		fi
	done
	echo "$n"
}
no_leak() { [ "$(leaks "${@:2}")" = 0 ] && pass || fail "$1"; }

# rvc ARGS...: rv, keeping the output for the final check.
rvc() {
	rv "$@"
	printf '%s\n%s\n' "$OUT" "$ERR" >>"$ALL"
}

src=$T_TMP/src
mkdir -p "$src"
printf 'conf\n' >"$src/app.conf"
random_file "$src/big.bin" 3000000

# A throttled path keeps the backup running long enough to look at it.
proxy_start slow "$SSHD_PORT" --rate 300000
cfg=$T_TMP/cfg
mkdir -p "$cfg"
export REVAULT_CONFIG=$cfg/revault.yaml
rvc set server.url "sftp://127.0.0.1:$PROXY_PORT$SSHD_PW_ROOT"
rvc set server.username "$SSHD_PW_USER"
rvc set server.auth password
rvc password set --fd 3 3<"$PW"
expect_rc 0 "password set --fd 3"
rvc password set --identity --fd 3 3<"$T_TMP/passphrase"
expect_rc 0 "password set --identity --fd 3"
rvc source add "$src"
rvc key generate
expect_rc 0 "key generate"
rvc authenticate --yes
expect_rc 0 "authenticate --yes"

# --- files on disk --------------------------------------------------------------
for f in revault.yaml secret.key master.key; do
	[ "$(stat -c %a "$cfg/$f" 2>/dev/null)" = 600 ] && pass ||
		fail "$f is mode $(stat -c %a "$cfg/$f" 2>/dev/null || echo missing), expected 600"
done
no_leak "the settings file holds a secret in clear" "$cfg/revault.yaml"
grep -qE '^  password: "sealed:' "$cfg/revault.yaml" && pass || fail "the password is not stored sealed"
grep -qE '^  identity_passphrase: "sealed:' "$cfg/revault.yaml" && pass || fail "the passphrase is not stored sealed"
rvc show
expect_rc 0 "show"
expect_out '^server\.password +\*+ \(sealed\)' "show masks the password"
no_leak "revault show prints a secret" "$T_TMP/.out" "$T_TMP/.err"

# --- a running backup: argv and environment ----------------------------------------
"$REVAULT" backup >"$T_TMP/bg.out" 2>"$T_TMP/bg.err" &
bg=$!
polls=0
while kill -0 "$bg" 2>/dev/null; do
	cat "/proc/$bg/cmdline" >"$T_TMP/cmdline" 2>/dev/null || true
	cat "/proc/$bg/environ" >"$T_TMP/environ" 2>/dev/null || true
	[ "$(leaks "$T_TMP/cmdline" "$T_TMP/environ")" = 0 ] || { fail "a secret is in /proc/$bg"; break; }
	[ -s "$T_TMP/cmdline" ] && polls=$((polls + 1))
	sleep 0.2
done
set +e
wait "$bg"
rc=$?
set -e
cat "$T_TMP/bg.out" "$T_TMP/bg.err" >>"$ALL"
[ "$rc" = 0 ] && pass || fail "throttled backup: exit $rc: $(cat "$T_TMP/bg.err")"
[ "$polls" -ge 10 ] && pass || fail "the backup ended before /proc could be watched ($polls looks)"
grep -q "Accepted password for $SSHD_PW_USER" "$SSHD_LOG" && pass || fail "the backup did not log in with the password"

# abort_backup WHAT: starts a backup in $coredir with cores allowed, kills
# it with SIGABRT once it has logged in, and expects no core file.
abort_backup() {
	local what=$1 n0 i bg rc cores
	rm -f "$coredir"/core*
	n0=$(grep -c "Accepted password for $SSHD_PW_USER" "$SSHD_LOG" || true)
	# ASan turns core dumps off unless told otherwise.
	(cd "$coredir" && ulimit -c unlimited &&
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}disable_coredump=0 exec "$REVAULT" backup) \
		>"$T_TMP/core.out" 2>"$T_TMP/core.err" &
	bg=$!
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c "Accepted password for $SSHD_PW_USER" "$SSHD_LOG" || true)" -gt "$n0" ] && break
		sleep 0.1
	done
	sleep 0.5 # transferring now: the secrets are in memory
	kill -0 "$bg" 2>/dev/null && pass || fail "$what: the backup ended before it could be aborted"
	kill -ABRT "$bg" 2>/dev/null || true
	set +e
	wait "$bg" 2>/dev/null
	rc=$?
	set -e
	cat "$T_TMP/core.out" "$T_TMP/core.err" >>"$ALL"
	[ "$rc" = 134 ] && pass || fail "$what: revault did not die of SIGABRT (exit $rc)"
	sleep 0.3
	cores=$(ls -A "$coredir")
	[ -z "$cores" ] && pass || fail "$what: a core file was written: $cores"
	no_leak "$what: a core dump holds a secret" "$coredir"/*
}

# --- core dump while the key and the password are loaded ----------------------------
core_pattern=$(cat /proc/sys/kernel/core_pattern 2>/dev/null || echo '|')
coredir=$T_TMP/cores
mkdir -p "$coredir"
if [ "${core_pattern:0:1}" = '|' ] || [ "${core_pattern:0:1}" = / ]; then
	skip_part "the core part: core dumps go to \"$core_pattern\", not to the working directory"
elif (cd "$coredir" && ulimit -c unlimited && bash -c 'kill -ABRT $$'; true) 2>/dev/null &&
	[ -z "$(ls -A "$coredir")" ]; then
	skip_part "the core part: no core dump even from a plain shell here (limits or sandbox)"
else
	abort_backup "protected backup (master key and password loaded)"
	# Without a master key in memory the password alone must keep it so.
	rvc set security.protected off
	abort_backup "unprotected backup (password loaded, no master key)"
	rvc set security.protected on
fi

# --- syslog ---------------------------------------------------------------------------
# revault logs to /dev/log. In a private mount namespace /dev is a small
# tmpfs whose log socket is ours, so nothing of the host's logging changes.
sock=$T_TMP/log.sock
cat >"$T_TMP/syslogd.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b"\n")
EOF
python3 "$T_TMP/syslogd.py" "$sock" "$T_TMP/syslog.txt" </dev/null >/dev/null 2>&1 &
syslogd=$!
t_on_exit "kill $syslogd 2>/dev/null"
wait_file "$sock" 5 || true
ns_run() {
	unshare -m --propagation private sh -c '
		t=$1; shift
		mkdir -p "$t/realdev" && mount --rbind /dev "$t/realdev" &&
		mount -t tmpfs -o mode=755,size=1m none /dev || exit 99
		for n in null zero full random urandom tty; do
			: >"/dev/$n" && mount --bind "$t/realdev/$n" "/dev/$n" || exit 99
		done
		ln -s /proc/self/fd /dev/fd && ln -s "$t/log.sock" /dev/log || exit 99
		exec "$@"' ns "$T_TMP" timeout -k 5 "$T_RUN_TIMEOUT" "$REVAULT" "$@"
}
if ! want_cmd unshare util-linux; then
	:
elif [ ! -S "$sock" ] || ! ns_run show >/dev/null 2>&1; then
	skip_part "the syslog part: no private mount namespace here (unshare -m)"
else
	run ns_run backup
	printf '%s\n%s\n' "$OUT" "$ERR" >>"$ALL"
	expect_rc 0 "backup with syslog caught"
	rvc set server.timeout 30 # a settings change between the runs, logged or not
	echo bad-password | "$REVAULT" password set >/dev/null 2>&1
	run ns_run list
	printf '%s\n%s\n' "$OUT" "$ERR" >>"$ALL"
	expect_rc 4 "list with a wrong password, syslog caught"
	rvc password set --fd 3 3<"$PW"
	sleep 0.3
	grep -q 'revault' "$T_TMP/syslog.txt" 2>/dev/null && pass ||
		fail "revault wrote nothing to syslog: the check would prove nothing"
	grep -q 'refused' "$T_TMP/syslog.txt" 2>/dev/null && pass ||
		fail "the refused password was not logged: $(tail -3 "$T_TMP/syslog.txt" 2>/dev/null)"
	no_leak "syslog holds a secret" "$T_TMP/syslog.txt"
fi

# --- the server's log at DEBUG1 -----------------------------------------------------
no_leak "the sshd log holds the password" "$SSHD_LOG"

# --- host key changed: no authentication, no user name --------------------------------
# Restarting on the same DIR keeps the account and its password but makes
# new host keys: to revault, the same server with a changed key.
proxy_stop
export REVAULT_CONFIG=$cfg/revault.yaml
rvc set server.url "sftp://127.0.0.1:$SSHD_PORT$SSHD_PW_ROOT"
rvc authenticate --yes
expect_rc 0 "authenticate directly"
rvc list
expect_rc 0 "list directly"
srv_start sshd "$T_TMP/sshd" --password-user --log-level DEBUG1 --port "$SSHD_PORT"
rvc backup
expect_rc 3 "backup after the host key changed"
expect_one_line "host key changed"
rvc authenticate --yes
expect_rc 3 "authenticate --yes after the host key changed"
sleep 0.3
grep -q 'Connection from 127.0.0.1' "$SSHD_LOG" && pass || fail "revault never reached the restarted sshd"
grep -qF "$SSHD_PW_USER" "$SSHD_LOG" && fail "the user name reached a server whose key changed: $(grep -F "$SSHD_PW_USER" "$SSHD_LOG" | head -2)" || pass
grep -qiE 'userauth|password|keyboard-interactive' "$SSHD_LOG" &&
	fail "an authentication step reached a server whose key changed: $(grep -iE 'userauth|password|keyboard' "$SSHD_LOG" | head -2)" || pass
no_leak "the restarted sshd log holds the password" "$SSHD_LOG"

# --- everything revault printed -----------------------------------------------------------
no_leak "revault printed a secret" "$ALL"

t_done
