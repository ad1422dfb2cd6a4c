# Helpers for the integration tests that talk to a real SFTP server. Source
# after assert.sh: it starts the servers in tests/servers/, points a revault
# settings file at them, and describes file trees so that a restore can be
# compared with what was backed up.
T_SERVERS=$REVAULT_SOURCE_DIR/tests/servers
# Every revault run is bounded: a hang is a failure, not a stuck test.
T_RUN_TIMEOUT=${T_RUN_TIMEOUT:-180}

# srv_launch KIND DIR [ARGS...]: starts tests/servers/KIND.sh in DIR, loads
# its env file and stops it when the test exits. Returns 0, 77 when the
# server cannot run here (the reason in $T_TMP/.srv-err), or 1 on failure.
srv_launch() {
	local kind=$1 dir=$2 rc
	shift 2
	set +e
	"$T_SERVERS/$kind.sh" start "$dir" "$@" 2>"$T_TMP/.srv-err"
	rc=$?
	set -e
	[ "$rc" = 0 ] || return "$rc"
	# shellcheck disable=SC1091
	. "$dir/env"
	t_on_exit "'$T_SERVERS/$kind.sh' stop '$dir'"
}

# srv_start KIND DIR [ARGS...]: srv_launch, and the whole test is skipped
# when the server cannot run here.
srv_start() {
	local rc=0
	srv_launch "$@" || rc=$?
	if [ "$rc" = 77 ]; then
		skip "$(cat "$T_TMP/.srv-err")"
	elif [ "$rc" != 0 ]; then
		echo "FAIL: $1.sh start $2: $(cat "$T_TMP/.srv-err")" >&2
		exit 1
	fi
}

# srv_try KIND DIR [ARGS...]: srv_launch for one part of a test: true when
# the server runs; otherwise false, after skip_part (cannot run here) or a
# failure.
srv_try() {
	local rc=0
	srv_launch "$@" || rc=$?
	if [ "$rc" = 77 ]; then
		skip_part "$1: $(cat "$T_TMP/.srv-err")"
	elif [ "$rc" != 0 ]; then
		fail "$1.sh start: $(cat "$T_TMP/.srv-err")"
	fi
	[ "$rc" = 0 ]
}

srv_stop() { "$T_SERVERS/$1.sh" stop "$2"; }

# re TEXT: TEXT as an extended regular expression matching itself (for
# fingerprints, which hold + and /).
re() { printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'; }

# rv ARGS...: runs revault with the current REVAULT_CONFIG, bounded in time.
rv() { run timeout -k 5 "$T_RUN_TIMEOUT" "$REVAULT" "$@"; }

# rv_ok DESCRIPTION ARGS...: runs revault and expects exit 0.
rv_ok() {
	local what=$1
	shift
	rv "$@"
	expect_rc 0 "$what"
}

# rv_setup CFGDIR URL USER KEY DEVICE SOURCE...: a fresh settings file in
# CFGDIR pointed at the server with public key authentication, exported as
# REVAULT_CONFIG. Fails the test on the first refused setting.
rv_setup() {
	local cfgdir=$1 url=$2 user=$3 key=$4 device=$5 s failed=$T_FAILED
	shift 5
	mkdir -p "$cfgdir"
	export REVAULT_CONFIG=$cfgdir/revault.yaml
	rv_ok "set server.url" set server.url "$url"
	rv_ok "set server.username" set server.username "$user"
	rv_ok "set server.auth" set server.auth publickey
	rv_ok "set server.identity" set server.identity "$key"
	rv_ok "set backup.device" set backup.device "$device"
	for s in "$@"; do
		rv_ok "source add $s" source add "$s"
	done
	if [ "$T_FAILED" != "$failed" ]; then
		echo "FAIL: settings could not be written: $ERR" >&2
		t_done
		exit 1
	fi
}

# rv_trust: trusts the server's host key (authenticate --yes), fails on error.
rv_trust() {
	rv authenticate --yes
	expect_rc 0 "authenticate --yes"
}

# rv_new_key: generates the master key of the current settings.
rv_new_key() {
	rv key generate
	expect_rc 0 "key generate"
}

# rv_key_id: the master key id, as `revault show` prints it.
rv_key_id() {
	"$REVAULT" show 2>/dev/null | awk '$1 == "master_key.id" {print $2}'
}

# rv_revisions [ARGS]: the revision names `revault list` prints, one a line.
rv_revisions() {
	timeout -k 5 "$T_RUN_TIMEOUT" "$REVAULT" list "$@" 2>/dev/null | awk 'NR > 1 {print $1}' |
		{ grep -E '^[0-9]{8}T[0-9]{6}Z' || true; }
}

# tree_describe DIR: one line per entry under DIR: relative path, type,
# mode, mtime (seconds), size, link count, hard-link group, symlink target,
# SHA-256 of the content, and user.* extended attributes. Two trees are the
# same when their descriptions are.
tree_describe() {
	python3 - "$1" <<'EOF'
import hashlib, os, stat, sys
root = sys.argv[1]
first = {}
out = []
for dirpath, dirs, files in os.walk(root):
    dirs.sort()
    for name in sorted(dirs + files):
        p = os.path.join(dirpath, name)
        rel = os.path.relpath(p, root)
        st = os.lstat(p)
        kind = "d" if stat.S_ISDIR(st.st_mode) else "l" if stat.S_ISLNK(st.st_mode) else "f" if stat.S_ISREG(st.st_mode) else "o"
        extra = ""
        if kind == "l":
            extra = "-> " + os.readlink(p)
        elif kind == "f":
            key = (st.st_dev, st.st_ino)
            if st.st_nlink > 1 and key in first:
                extra = "hardlink " + first[key]
            else:
                first.setdefault(key, rel)
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    for b in iter(lambda: f.read(1 << 20), b""):
                        h.update(b)
                extra = h.hexdigest()
        xa = []
        if kind != "l":
            try:
                for a in sorted(os.listxattr(p)):
                    if a.startswith("user."):
                        xa.append(a + "=" + os.getxattr(p, a).hex())
            except OSError:
                pass
        mtime = "" if kind == "l" else str(int(st.st_mtime))
        out.append("%s\t%s\t%o\t%s\t%d\t%d\t%s\t%s" % (rel, kind, stat.S_IMODE(st.st_mode), mtime,
                   st.st_size if kind == "f" else 0, st.st_nlink if kind == "f" else 0, extra, " ".join(xa)))
print("\n".join(out))
EOF
}

# expect_same_tree A B DESCRIPTION: the two trees describe the same.
expect_same_tree() {
	local d
	d=$(diff <(tree_describe "$1") <(tree_describe "$2")) && { pass; return 0; }
	fail "$3: trees differ ($1 vs $2):
$d"
}

# tree_sum DIR: one checksum of the whole description of DIR.
tree_sum() { tree_describe "$1" | sha256sum | awk '{print $1}'; }

# flip_byte FILE: flips the bits of the byte in the middle of FILE (a
# revision on the server, damaged in place).
flip_byte() {
	python3 - "$1" <<'PY'
import os, sys
p = sys.argv[1]
n = os.path.getsize(p)
with open(p, "r+b") as f:
    f.seek(n // 2)
    b = f.read(1)
    f.seek(n // 2)
    f.write(bytes([b[0] ^ 0x55]))
PY
}

# free_port: a port on 127.0.0.1 nobody listens on right now (the kernel
# picks it).
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# need_delayproxy: the WAN link of tests/bench/wan, built by CMake
# (tests/CMakeLists.txt hands its path over in DELAYPROXY).
need_delayproxy() {
	if [ -z "${DELAYPROXY:-}" ] || [ ! -x "$DELAYPROXY" ]; then
		echo "FAIL: DELAYPROXY names no built proxy (tests/CMakeLists.txt): ${DELAYPROXY:-unset}" >&2
		exit 1
	fi
}

# term_and_wait PID SECONDS WHAT: sends SIGTERM to PID and waits for it to
# end, at most SECONDS (then a failure, and SIGKILL); KRC is its exit
# status, TERM_MS how long it took to end after the signal (milliseconds).
term_and_wait() {
	local pid=$1 i t0=$EPOCHREALTIME
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < $2 * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	TERM_MS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%d", (b - a) * 1000}')
	if kill -0 "$pid" 2>/dev/null; then
		fail "SIGTERM did not end $3 within $2 s"
		kill -KILL "$pid"
	fi
	set +e
	wait "$pid"
	KRC=$?
	set -e
}

# random_file PATH BYTES: incompressible data.
random_file() { head -c "$2" /dev/urandom >"$1"; }

# wait_file PATH SECONDS: waits until PATH exists and is not empty.
wait_file() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# proxy_total NAME CONN DIR: the bytes the proxy moved in direction DIR (up
# or down) on its CONN-th connection, once that connection closed.
proxy_total() {
	sed -nE "s/^faultproxy: conn $2: closed .*; up=([0-9]+) down=([0-9]+)$/\1 \2/p" "$T_TMP/$1.log" |
		awk -v d="$3" 'NR == 1 {print (d == "up" ? $1 : $2)}'
}

# proxy_start NAME TARGET_PORT ARGS...: a fault proxy in front of the
# server; sets PROXY_PORT and PROXY_PID, and stops it when the test exits.
proxy_start() {
	local name=$1 target=$2
	shift 2
	rm -f "$T_TMP/$name.port"
	python3 "$T_SERVERS/faultproxy.py" --target "127.0.0.1:$target" --port-file "$T_TMP/$name.port" \
		--max-seconds 600 --log "$T_TMP/$name.log" "$@" </dev/null >/dev/null 2>&1 &
	PROXY_PID=$!
	t_on_exit "kill $PROXY_PID 2>/dev/null"
	wait_file "$T_TMP/$name.port" 10 || { fail "fault proxy did not start: $(cat "$T_TMP/$name.log" 2>/dev/null)"; return 1; }
	PROXY_PORT=$(cat "$T_TMP/$name.port")
}

proxy_stop() {
	sleep 0.2 # let it log the connection that just ended
	kill "$PROXY_PID" 2>/dev/null || true
	wait "$PROXY_PID" 2>/dev/null || true
}

# server_files DIR: the file names in DIR on the server side (including
# hidden temporaries), sorted.
server_files() { (cd "$1" 2>/dev/null && LC_ALL=C ls -A | LC_ALL=C sort); }
