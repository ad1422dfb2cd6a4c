#!/usr/bin/env bash
# A throwaway AsyncSSH SFTP server on 127.0.0.1 for the integration tests
# (tests/servers/asyncssh_hostile.py): a fresh ed25519 host key, a fresh
# user key, its pid file and log, all in DIR. It serves DIR as the root the
# client sees, so its backup folder DIR/srv is /srv on the server; it
# accepts the user key or any password. Nothing outside DIR is touched.
#
#   asyncssh.sh start DIR [--user-key FILE] [--endless NAME] [--name-length N]
#                         [--per-reply N] [--delay SECONDS] [--short-read N]
#                         [--rename-overwrites] [--made-meanwhile NAME]
#   asyncssh.sh stop DIR
#
# start writes DIR/env (shell assignments): ASYNCSSH_PORT ASYNCSSH_PID
# ASYNCSSH_USER ASYNCSSH_KEY ASYNCSSH_ROOT (/srv, as the server shows it)
# ASYNCSSH_LOCAL_ROOT (DIR/srv) ASYNCSSH_LOG ASYNCSSH_DIR
# ASYNCSSH_HOSTKEY_ED25519_SHA256 ASYNCSSH_HOSTKEY_ED25519_MD5.
# --endless NAME makes the listing of any folder named NAME endless (see
# the Python script for the other options). --short-read N answers every
# READ with at most N bytes; --rename-overwrites lets RENAME replace an
# existing target (as SFTPGo does); --made-meanwhile NAME makes a missing
# folder NAME right after its listing was refused. Exit 77 when no Python 3 with
# AsyncSSH is found.
set -u

die() { echo "asyncssh.sh: $*" >&2; exit 1; }
skip() { echo "asyncssh.sh: skipped: $*" >&2; exit 77; }
# shellcheck source=tests/servers/common.sh
. "$(dirname "$0")/common.sh"

usage() {
	echo "usage: asyncssh.sh start DIR [--user-key FILE] [--endless NAME] [--name-length N] [--per-reply N] [--delay S]" >&2
	echo "                             [--short-read N] [--rename-overwrites] [--made-meanwhile NAME]" >&2
	echo "       asyncssh.sh stop DIR" >&2
	exit 2
}

# The first Python 3 that has AsyncSSH: the one on PATH may be another
# installation than Debian's, which python3-asyncssh goes into.
find_python() {
	local py
	for py in python3 /usr/bin/python3; do
		command -v "$py" >/dev/null 2>&1 || continue
		if PYTHONWARNINGS=ignore "$py" -c 'import asyncssh' >/dev/null 2>&1; then
			echo "$py"
			return 0
		fi
	done
	return 1
}

do_start() {
	local dir=$1 user_key="" py i pid port extra=()
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--user-key) user_key=${2:?--user-key needs a file}; shift 2 ;;
		--endless | --name-length | --per-reply | --delay | --short-read | --made-meanwhile)
			[ $# -ge 2 ] || usage
			extra+=("$1" "$2")
			shift 2
			;;
		--rename-overwrites) extra+=("$1"); shift ;;
		*) usage ;;
		esac
	done
	py=$(find_python) || skip "no Python 3 with AsyncSSH: apt-get install python3-asyncssh"
	command -v ssh-keygen >/dev/null || skip "ssh-keygen is missing: apt-get install openssh-client"

	mkdir -p "$dir" "$dir/srv" || die "cannot create $dir"
	dir=$(cd "$dir" && pwd)
	stop_pidfile "$dir/asyncssh.pid"
	rm -f "$dir"/hostkey_* "$dir/env" "$dir/port" "$dir/asyncssh.log"
	user_key=$(user_key "$dir" "$user_key") || exit 1

	# All of its descriptors away from the caller's: a test runner waits
	# for the pipes it gave out to close.
	PYTHONWARNINGS=ignore "$py" "$(dirname "$0")/asyncssh_hostile.py" --dir "$dir" \
		--port-file "$dir/port" --authorized-key "$user_key.pub" "${extra[@]}" \
		</dev/null >>"$dir/asyncssh.log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/asyncssh.pid"
	for ((i = 0; i < 100; i++)); do
		[ -s "$dir/port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -s "$dir/port" ]; then
		stop_pidfile "$dir/asyncssh.pid"
		die "the server did not listen within 10 s: $(tail -1 "$dir/asyncssh.log" 2>/dev/null)"
	fi
	port=$(cat "$dir/port")
	port_open "$port" || die "port $port is not open: see $dir/asyncssh.log"

	{
		printf 'ASYNCSSH_PORT=%q\n' "$port"
		printf 'ASYNCSSH_PID=%q\n' "$pid"
		printf 'ASYNCSSH_USER=%q\n' "$(id -un)"
		printf 'ASYNCSSH_KEY=%q\n' "$user_key"
		printf 'ASYNCSSH_ROOT=%q\n' /srv
		printf 'ASYNCSSH_LOCAL_ROOT=%q\n' "$dir/srv"
		printf 'ASYNCSSH_LOG=%q\n' "$dir/asyncssh.log"
		printf 'ASYNCSSH_DIR=%q\n' "$dir"
		printf 'ASYNCSSH_HOSTKEY_ED25519_SHA256=%q\n' "$(fingerprint "$dir/hostkey_ed25519.pub" sha256)"
		printf 'ASYNCSSH_HOSTKEY_ED25519_MD5=%q\n' "$(fingerprint "$dir/hostkey_ed25519.pub" md5)"
	} >"$dir/env"
	return 0
}

[ $# -ge 2 ] || usage
case $1 in
start) shift; do_start "$@" ;;
stop) stop_pidfile "$2/asyncssh.pid" ;;
*) usage ;;
esac
