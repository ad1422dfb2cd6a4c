#!/usr/bin/env bash
# Reaching the server: an sshd without the sftp subsystem, a port nobody
# listens on, a host name that does not resolve, a socket that accepts and
# never speaks (bounded by server.connect_timeout / server.timeout), and a
# socket that speaks something other than SSH. Each ends with exit 1 and
# one line saying what happened.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3

src=$T_TMP/src
mkdir -p "$src"
printf 'conf\n' >"$src/app.conf"

# --- no sftp subsystem ----------------------------------------------------------
srv_start sshd "$T_TMP/sshd" --no-sftp
rv_setup "$T_TMP/nosftp" "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" dev "$src"
rv_new_key
rv_trust
rv backup
expect_rc 1 "no sftp subsystem"
expect_one_line "no sftp subsystem"
expect_err 'sftp' "no sftp subsystem: the line names sftp"
rv list
expect_rc 1 "no sftp subsystem: list"
expect_one_line "no sftp subsystem: list"

# fake_server MODE: a local listener (silent: accepts and never answers;
# http: answers like a web server), its port in FAKE_PORT.
fake_server() {
	rm -f "$T_TMP/fake.port"
	cat >"$T_TMP/fake.py" <<'EOF'
import os, socket, sys, threading, time
mode, portfile = sys.argv[1], sys.argv[2]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
with open(portfile + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
held = []
deadline = time.time() + 300
s.settimeout(1)
while time.time() < deadline:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    if mode == "http":
        c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        time.sleep(0.2)
        c.close()
    else:
        held.append(c)
EOF
	python3 "$T_TMP/fake.py" "$1" "$T_TMP/fake.port" </dev/null >/dev/null 2>&1 &
	FAKE_PID=$!
	t_on_exit "kill $FAKE_PID 2>/dev/null"
	wait_file "$T_TMP/fake.port" 10 || { fail "the fake server did not start"; t_done; exit 1; }
	FAKE_PORT=$(cat "$T_TMP/fake.port")
}


# --- nothing listening ------------------------------------------------------------
export REVAULT_CONFIG=$T_TMP/nosftp/revault.yaml
port=$(free_port)
# Each failure below, as it is on the first try (tests/integration/reconnect.sh
# tries again).
rv_ok "no retries" set server.retries 0
rv_ok "refused: set server.url" set server.url "sftp://127.0.0.1:$port/srv"
rv list
expect_rc 1 "connection refused"
expect_one_line "connection refused"
expect_err '[Cc]onnection refused' "connection refused: the line says so"
expect_err "$port" "connection refused: the line names the port"

# --- name not found ---------------------------------------------------------------
rv_ok "unknown name: set server.url" set server.url "sftp://no-such-host.invalid/srv"
rv list
expect_rc 1 "unknown host name"
expect_one_line "unknown host name"
expect_err 'no-such-host\.invalid' "unknown host name: the line names it"

# --- accepts, never speaks --------------------------------------------------------
fake_server silent
rv_ok "silent: set server.url" set server.url "sftp://127.0.0.1:$FAKE_PORT/srv"
rv_ok "silent: set server.connect_timeout" set server.connect_timeout 2
rv_ok "silent: set server.timeout" set server.timeout 2
for cmd in list "authenticate --yes" backup; do
	start=$(date +%s)
	# shellcheck disable=SC2086
	rv $cmd
	took=$(($(date +%s) - start))
	expect_rc 1 "silent server: $cmd"
	expect_one_line "silent server: $cmd"
	expect_err 'timed out|timeout|did not answer|no answer' "silent server: $cmd says it timed out"
	[ "$took" -le 15 ] && pass || fail "silent server: $cmd took $took s with timeouts of 2 s"
done
kill "$FAKE_PID" 2>/dev/null || true

# --- speaks, but not SSH ----------------------------------------------------------
fake_server http
rv_ok "http: set server.url" set server.url "sftp://127.0.0.1:$FAKE_PORT/srv"
start=$(date +%s)
rv list
took=$(($(date +%s) - start))
expect_rc 1 "not an SSH server"
expect_one_line "not an SSH server"
expect_err 'SSH' "not an SSH server: the line says so"
[ "$took" -le 15 ] && pass || fail "not an SSH server: took $took s"

t_done
