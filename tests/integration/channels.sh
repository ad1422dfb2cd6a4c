#!/usr/bin/env bash
# Uploads over several SFTP channels (server.channels): through
# tests/tools/delayproxy.c at a 60 ms round trip without a rate cap, one
# channel's window is the limit, and a backup of 40 MB of random data
# spreads over the channels server.channels allows (counted in sshd's log,
# one "Starting session: subsystem 'sftp'" line each); the revision verifies and
# restores byte for byte. server.channels 1 keeps one channel; on loopback
# without the delay, where the window is never the limit, one channel is
# used whatever the setting; a bandwidth cap keeps one as well. A cut in
# the middle of a striped upload (a fault proxy in front of the delay) is
# taken up on a new connection and the restore is still byte-identical; a
# cancel and a full disk on the server in the middle of one (or as it
# ends) end the run promptly and leave no temporary behind, and a cancel
# while waiting to connect again ends the run at once.
# A server that allows one channel per connection gets one warning. ProFTPD's
# mod_sftp and AsyncSSH take striped uploads as well. Out of range values
# are refused.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
need_delayproxy

srv_start sshd "$T_TMP/sshd"
src=$T_TMP/src
mkdir -p "$src/data"
for i in 1 2 3 4 5; do random_file "$src/data/r$i.bin" 8000000; done
printf 'small\n' >"$src/data/small.txt"
src_sum=$(tree_sum "$src")


# link NAME TARGET_PORT ARGS...: a delay proxy in front of TARGET_PORT;
# sets LINK_PORT and LINK_PID.
link() {
	local name=$1 target=$2
	shift 2
	rm -f "$T_TMP/$name.port"
	"$DELAYPROXY" --target "127.0.0.1:$target" --port-file "$T_TMP/$name.port" --log "$T_TMP/$name.log" \
		--max-seconds 600 "$@" </dev/null >/dev/null 2>"$T_TMP/$name.err" &
	LINK_PID=$!
	t_on_exit "kill $LINK_PID 2>/dev/null"
	wait_file "$T_TMP/$name.port" 10 || { echo "FAIL: delayproxy did not start: $(cat "$T_TMP/$name.err")" >&2; exit 1; }
	LINK_PORT=$(cat "$T_TMP/$name.port")
}
unlink_() { kill "$LINK_PID" 2>/dev/null || true; wait "$LINK_PID" 2>/dev/null || true; }

# sftp_starts: how many SFTP channels sshd has started so far.
sftp_starts() { grep -c "Starting session: subsystem 'sftp'" "$SSHD_LOG" || true; }

# backup_over N WHAT: a backup succeeds and starts N SFTP channels.
backup_over() {
	local before used
	before=$(sftp_starts)
	rv backup
	expect_rc 0 "$2: backup"
	used=$(($(sftp_starts) - before))
	[ "$used" = "$1" ] && pass || fail "$2: $used SFTP channels started, $1 expected"
}

# restored_ok WHAT: the latest revision verifies and restores identical.
restored_ok() {
	rv verify latest
	expect_rc 0 "$1: the revision verifies"
	rm -rf "$T_TMP/out"
	rv restore latest --to "$T_TMP/out"
	expect_rc 0 "$1: restore"
	[ "$(tree_sum "$T_TMP/out$src")" = "$src_sum" ] && pass || fail "$1: the restored tree differs"
}

PP=$(free_port)
link wan "$SSHD_PORT" --delay 30 --listen "127.0.0.1:$PP"
rv_setup "$T_TMP/cfg" "sftp://127.0.0.1:$PP$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" chdev "$src"
rv_new_key
rv_ok "pin" knownhost add "127.0.0.1:$PP" ssh-ed25519 "$SSHD_HOSTKEY_ED25519_SHA256"
rv_ok "revisions" set backup.revisions 20

rv show
expect_out '^server\.channels +3$' "server.channels is 3 unless set"
for bad in 0 5 x ''; do
	before=$(cat "$REVAULT_CONFIG")
	rv set server.channels "$bad"
	expect_rc 2 "server.channels \"$bad\" refused"
	expect_one_line "server.channels \"$bad\" refused"
	expect_err '1 to 4|1-4' "server.channels \"$bad\": the line says what is allowed"
	[ "$(cat "$REVAULT_CONFIG")" = "$before" ] && pass || fail "a refused server.channels changed the file"
done

# --- 60 ms: the window is the limit, three channels -----------------------------------
backup_over 3 "server.channels 3 at 60 ms"
restored_ok "three channels"

rv_ok "one channel" set server.channels 1
backup_over 1 "server.channels 1 at 60 ms"
restored_ok "one channel"

# A cap: the link is not the window's to fill.
rv_ok "channels back" set server.channels 3
rv_ok "cap" set backup.bandwidth 400M
backup_over 1 "a bandwidth cap at 60 ms"
rv_ok "no cap" set backup.bandwidth off

# --- a cut in the middle of a striped upload ------------------------------------------
FP=$(free_port)
proxy_start cut "$PP" --listen "127.0.0.1:$FP" --fault-conn 1 --cut-up 30000000
rv_ok "pin the fault proxy" knownhost add "127.0.0.1:$FP" ssh-ed25519 "$SSHD_HOSTKEY_ED25519_SHA256"
rv_ok "url via the fault proxy" set server.url "sftp://127.0.0.1:$FP$SSHD_ROOT"
before=$(sftp_starts)
rv backup
rc=$RC out=$OUT err=$ERR
proxy_stop
RC=$rc OUT=$out ERR=$err
expect_rc 0 "a striped upload cut at 30 MB goes on"
expect_err 'connected to 127\.0\.0\.1:[0-9]+ again: the upload of .* continues at byte' "the cut: said where it went on"
grep -q 'cut up' "$T_TMP/cut.log" && pass || fail "the proxy never cut the upload"
# The connection that was cut had striped already: two channels or more.
starts=$(grep "Starting session: subsystem 'sftp'" "$SSHD_LOG" | tail -n +$((before + 1)))
first_port=$(head -n 1 <<<"$starts" | sed -E 's/.* port ([0-9]+) id .*/\1/')
n1=$(grep -c " port $first_port id " <<<"$starts" || true)
[ "$n1" -ge 2 ] && pass ||
	fail "the cut: the first connection started $n1 SFTP channel(s), 2 or more expected: $(tr '\n' '|' <<<"$starts")"
rv_ok "url via the delay" set server.url "sftp://127.0.0.1:$PP$SSHD_ROOT"
restored_ok "after the cut"
leftovers=$(server_files "$SSHD_ROOT/chdev" | grep -c 'tmp-' || true)
[ "$leftovers" = 0 ] && pass || fail "temporaries left on the server: $(server_files "$SSHD_ROOT/chdev")"

# --- a cancel while waiting to connect again -------------------------------------------
# The link is cut at 15 MB and then nothing listens: the tries wait 1, 2,
# 4 ... s. A SIGTERM during the wait after the second try ends the run at
# once, not after the waits and tries left.
proxy_start cut2 "$PP" --listen "127.0.0.1:$FP" --fault-conn 1 --cut-up 15000000
rv_ok "url via the fault proxy" set server.url "sftp://127.0.0.1:$FP$SSHD_ROOT"
rv_ok "retries" set server.retries 6
"$REVAULT" backup >"$T_TMP/wait.out" 2>"$T_TMP/wait.err" &
pid=$!
for ((i = 0; i < 600; i++)); do
	grep -q 'connecting again in' "$T_TMP/wait.err" && break
	sleep 0.05
done
proxy_stop
for ((i = 0; i < 600; i++)); do
	grep -q '(2 of 6, server.retries)' "$T_TMP/wait.err" && break
	sleep 0.05
done
grep -q '(2 of 6, server.retries)' "$T_TMP/wait.err" && pass ||
	fail "no second try to connect again: $(cat "$T_TMP/wait.err")"
term_and_wait "$pid" 15 "a backup waiting to connect again"
# The wait after the second try is 2 s, the next 4 s: still running
# 1.5 s after the signal is waiting them out.
[ "$TERM_MS" -lt 1500 ] && pass ||
	fail "SIGTERM while waiting to connect again took $TERM_MS ms: the waits went on"
[ "$KRC" != 0 ] && pass || fail "SIGTERM while waiting to connect again: exit 0"
grep -q 'cancel' "$T_TMP/wait.err" && pass || fail "SIGTERM while waiting: not said: $(cat "$T_TMP/wait.err")"
rv_ok "retries back" set server.retries 3
# The connection was lost with the temporary half written: it stays until
# a backup a day later removes it (docs/OPERATOR.md); not this test's.
rm -f "$SSHD_ROOT"/chdev/.*.tmp-*
rv_ok "url via the delay" set server.url "sftp://127.0.0.1:$PP$SSHD_ROOT"

# --- a cancel in the middle of a striped upload ----------------------------------------
# SIGTERM once the temporary holds 20 MB: the run ends within the bound,
# the temporary is removed and the revisions are as they were.
good=$(rv_revisions)
"$REVAULT" backup >"$T_TMP/kill.out" 2>"$T_TMP/kill.err" &
pid=$!
for ((i = 0; i < 600; i++)); do
	tmp=$(find "$SSHD_ROOT/chdev" -maxdepth 1 -name '.*.tmp-*' -size +20000k 2>/dev/null | head -n 1)
	[ -n "$tmp" ] && break
	sleep 0.05
done
[ -n "$tmp" ] && pass || fail "the striped upload's temporary never reached 20 MB"
term_and_wait "$pid" 30 "a striped upload"
[ "$KRC" != 0 ] && pass || fail "SIGTERM in a striped upload: exit 0"
grep -q 'cancel' "$T_TMP/kill.err" && pass || fail "SIGTERM in a striped upload: not said: $(cat "$T_TMP/kill.err")"
[ "$(rv_revisions)" = "$good" ] && pass || fail "SIGTERM in a striped upload: the revisions changed"
leftovers=$(server_files "$SSHD_ROOT/chdev" | grep -c 'tmp-' || true)
[ "$leftovers" = 0 ] && pass || fail "SIGTERM in a striped upload: temporaries left: $(server_files "$SSHD_ROOT/chdev")"

unlink_

# --- a full disk in the middle of a striped upload -------------------------------------
# The server's sftp-server fails every write past 25 MB with ENOSPC
# (tests/tools/sftp_fault.c): exit 1, the disk named, nothing left behind.
SFTP_SERVER=/usr/lib/openssh/sftp-server
if [ -x "$SFTP_SERVER" ] && [ -n "${SFTP_FAULT_SO:-}" ] && [ -f "$SFTP_FAULT_SO" ]; then
	FAULT=$T_TMP/full.fault
	srv_start sshd "$T_TMP/full" --subsystem "exec /usr/bin/env LD_PRELOAD=$SFTP_FAULT_SO \
SFTP_FAULT=\$(cat $FAULT) SFTP_FAULT_LOG=$T_TMP/full.faults $SFTP_SERVER"
	link wan-full "$SSHD_PORT" --delay 30
	rv_ok "full: url" set server.url "sftp://127.0.0.1:$LINK_PORT$SSHD_ROOT"
	rv_ok "full: key" set server.identity "$SSHD_KEY"
	rv_ok "full: timeout" set server.timeout 15
	rv_ok "full: pin" knownhost add "127.0.0.1:$LINK_PORT" ssh-ed25519 "$SSHD_HOSTKEY_ED25519_SHA256"
	# One channel as well: libssh2 drops its requests after a failed
	# write, and an abort that sent them again (half of one, at the end of
	# the window) left the close unanswered for server.timeout.
	# Full at 25 MB (while writing) and at 39 MB (in the last stripes,
	# while the upload ends).
	for at in 25000000 39000000; do
		echo "write-from=$at" >"$FAULT"
		for ch in 3 1; do
			rv_ok "full: channels $ch" set server.channels "$ch"
			t0=$(date +%s)
			rv backup
			expect_rc 1 "a full disk at $at under an upload over $ch channel(s)"
			expect_one_line "a full disk at $at, $ch channel(s)"
			expect_err 'could not store the data; is its disk full\?' "a full disk at $at, $ch channel(s): said so"
			[ $(($(date +%s) - t0)) -lt 20 ] && pass ||
				fail "a full disk at $at, $ch channel(s): took $(($(date +%s) - t0)) s"
			leftovers=$(server_files "$SSHD_ROOT/chdev" | grep -c 'tmp-' || true)
			[ "$leftovers" = 0 ] && pass ||
				fail "a full disk at $at, $ch channel(s): temporaries left: $(server_files "$SSHD_ROOT/chdev")"
		done
	done
	grep -q 'ENOSPC' "$T_TMP/full.faults" && pass || fail "the fault shim never refused a write"
	rv_ok "channels back" set server.channels 3
	unlink_
	srv_stop sshd "$T_TMP/full"
	. "$T_TMP/sshd/env"
	rv_ok "key back" set server.identity "$SSHD_KEY"
fi

# --- a server that allows one channel per connection -----------------------------------
# OpenSSH with MaxSessions 1: one warning, and the upload goes on over the
# one channel it has.
main_key=$SSHD_KEY
srv_start sshd "$T_TMP/one" --user-key "$main_key"
echo "MaxSessions 1" >>"$T_TMP/one/sshd_config"
kill -HUP "$SSHD_PID"
sleep 1
link wan-one "$SSHD_PORT" --delay 30
rv_ok "one: url" set server.url "sftp://127.0.0.1:$LINK_PORT$SSHD_ROOT"
rv_ok "one: pin" knownhost add "127.0.0.1:$LINK_PORT" ssh-ed25519 "$SSHD_HOSTKEY_ED25519_SHA256"
rv backup
expect_rc 0 "MaxSessions 1: the backup is stored"
n=$(grep -c 'did not open SFTP channel' <<<"$ERR" || true)
[ "$n" = 1 ] && pass || fail "MaxSessions 1: $n warnings, one expected: $ERR"
expect_err 'did not open SFTP channel 2 of 3 .*goes on over 1; lower server\.channels' "MaxSessions 1: said so"
restored_ok "MaxSessions 1"
unlink_
srv_stop sshd "$T_TMP/one"
. "$T_TMP/sshd/env"

# --- loopback: the window is never the limit -------------------------------------------
rv_ok "url direct" set server.url "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
rv_ok "pin direct" knownhost add "127.0.0.1:$SSHD_PORT" ssh-ed25519 "$SSHD_HOSTKEY_ED25519_SHA256"
backup_over 1 "loopback"

# --- ProFTPD and AsyncSSH behind the same delay ----------------------------------------
other() {
	local kind=$1 port=$2 root=$3 user=$4 key=$5 sha=$6 local_root=$7
	link "wan-$kind" "$port" --delay 30
	rv_setup "$T_TMP/cfg-$kind" "sftp://127.0.0.1:$LINK_PORT$root" "$user" "$key" "dev-$kind" "$src"
	rv_new_key
	rv_ok "$kind: pin" knownhost add "127.0.0.1:$LINK_PORT" ssh-ed25519 "$sha"
	rv backup
	expect_rc 0 "$kind: backup over 60 ms"
	restored_ok "$kind"
	leftovers=$(server_files "$local_root/dev-$kind" | grep -c 'tmp-' || true)
	[ "$leftovers" = 0 ] && pass || fail "$kind: temporaries left on the server"
	unlink_
}
if srv_try proftpd "$T_TMP/proftpd"; then
	other proftpd "$PROFTPD_PORT" "$PROFTPD_ROOT" "$PROFTPD_USER" "$PROFTPD_KEY" \
		"$PROFTPD_HOSTKEY_ED25519_SHA256" "$PROFTPD_ROOT"
	srv_stop proftpd "$T_TMP/proftpd"
fi
if srv_try asyncssh "$T_TMP/asyncssh"; then
	other asyncssh "$ASYNCSSH_PORT" "$ASYNCSSH_ROOT" "$ASYNCSSH_USER" "$ASYNCSSH_KEY" \
		"$ASYNCSSH_HOSTKEY_ED25519_SHA256" "$ASYNCSSH_LOCAL_ROOT"
	srv_stop asyncssh "$T_TMP/asyncssh"
fi

srv_stop sshd "$T_TMP/sshd"
t_done
