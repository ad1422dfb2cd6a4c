# shellcheck shell=bash
# Shared by the server scripts (sourced; they define die first).

# Python started from here writes no __pycache__ into the source tree.
export PYTHONDONTWRITEBYTECODE=1

# A port nobody listens on right now (the kernel picks it).
free_port() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
	else
		echo $((20000 + RANDOM % 40000))
	fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# fingerprint PUBFILE HASH: the fingerprint as ssh-keygen -l prints it.
fingerprint() { ssh-keygen -l -E "$2" -f "$1" | awk '{print $2}'; }

# stop_pidfile FILE: stops the daemon FILE names (TERM, then KILL after 5 s)
# and removes FILE. Nothing to do when there is none.
stop_pidfile() {
	local file=$1 pid i

	[ -f "$file" ] || return 0
	pid=$(cat "$file" 2>/dev/null) || return 0
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || { rm -f "$file"; return 0; }
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
	rm -f "$file"
	return 0
}

# user_key DIR [FILE]: the client key, as an absolute path: FILE (which must
# have its .pub beside it), or DIR/id_ed25519, made once without passphrase.
user_key() {
	local dir=$1 key=${2:-}

	if [ -n "$key" ]; then
		[ -f "$key" ] && [ -f "$key.pub" ] || die "$key or $key.pub is missing"
		key=$(cd "$(dirname "$key")" && pwd)/$(basename "$key")
	else
		key=$dir/id_ed25519
		if [ ! -f "$key" ]; then
			ssh-keygen -q -t ed25519 -N '' -C revault-test-user -f "$key" </dev/null >/dev/null ||
				die "ssh-keygen user key failed"
		fi
	fi
	chmod 600 "$key"
	echo "$key"
}
