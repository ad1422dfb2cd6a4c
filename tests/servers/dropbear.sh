#!/usr/bin/env bash
# A throwaway Dropbear on 127.0.0.1 for the integration tests: the SSH
# server of routers and small appliances, a fourth implementation next to
# OpenSSH, ProFTPD and AsyncSSH. Fresh host keys (made with dropbearkey), a
# fresh user key, its pid file and log, all in DIR; it runs in the
# foreground, in the background of the caller.
#
#   dropbear.sh start DIR [--user-key FILE] [--port N] [--no-sftp]
#                         [--hostkey-only ed25519|ecdsa|rsa]
#   dropbear.sh stop DIR
#
# Dropbear has no AuthorizedKeysFile: it reads ~USER/.ssh/authorized_keys.
# So start (root only) creates a local account revault-db-XXXXXX with a
# home, the user key in ~/.ssh/authorized_keys, a writable ~/backup folder
# and a random password (set through chpasswd on stdin, kept only in DIR/pw,
# mode 0600). A restart on the same DIR reuses the account; stop deletes it
# only when this DIR created it. Nothing else outside DIR is touched.
#
# Dropbear runs the sftp subsystem as /usr/lib/sftp-server through the
# user's shell. --no-sftp makes it behave as a Dropbear on a machine
# without that program: the forced command (-c) names a program that does
# not exist, so the shell exits 127 and the channel closes at once.
#
# start writes DIR/env (shell assignments): DROPBEAR_PORT DROPBEAR_PID
# DROPBEAR_USER DROPBEAR_KEY DROPBEAR_ROOT (~/backup, as the client sees
# it) DROPBEAR_LOG DROPBEAR_DIR DROPBEAR_PW_USER DROPBEAR_PW_FILE
# DROPBEAR_HOSTKEY_{ED25519,ECDSA,RSA}_{SHA256,MD5} (as ssh-keygen -l
# prints them; empty for a type not served). Exit 77 when Dropbear cannot
# run here.
set -u

DROPBEAR_BIN=${DROPBEAR_BIN:-/usr/sbin/dropbear}

die() { echo "dropbear.sh: $*" >&2; exit 1; }
skip() { echo "dropbear.sh: skipped: $*" >&2; exit 77; }
# shellcheck source=tests/servers/common.sh
. "$(dirname "$0")/common.sh"

usage() {
	echo "usage: dropbear.sh start DIR [--user-key FILE] [--port N] [--no-sftp] [--hostkey-only ed25519|ecdsa|rsa]" >&2
	echo "       dropbear.sh stop DIR" >&2
	exit 2
}

do_stop() {
	stop_pidfile "$1/dropbear.pid"
	test_account_remove "$1" revault-db
}

# account DIR KEY: makes (or reuses) the account of DIR and authorises KEY;
# sets acct and home, and writes DIR/pw.
account() {
	local dir=$1 key=$2

	test_account "$dir" revault-db
	# Dropbear refuses keys in a home, ~/.ssh or file others may write.
	mkdir -p "$home/.ssh" "$home/backup" || die "cannot create $home/.ssh or $home/backup"
	cat "$key.pub" >"$home/.ssh/authorized_keys" || die "cannot write $home/.ssh/authorized_keys"
	chown "$acct:" "$home" "$home/.ssh" "$home/.ssh/authorized_keys" "$home/backup"
	chmod 700 "$home/.ssh" "$home/backup"
	chmod 600 "$home/.ssh/authorized_keys"
}

do_start() {
	local dir=$1 user_key="" port="" fixed="" only="" sftp=1 t i pid attempt pub
	local acct="" home="" args=()
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--user-key) user_key=${2:?--user-key needs a file}; shift 2 ;;
		--port) port=${2:?--port needs a number}; fixed=$port; shift 2 ;;
		--hostkey-only) only=${2:?--hostkey-only needs a type}; shift 2 ;;
		--no-sftp) sftp=0; shift ;;
		*) usage ;;
		esac
	done
	case $only in
	"" | ed25519 | ecdsa | rsa) ;;
	*) die "unknown host key type \"$only\": use ed25519, ecdsa or rsa" ;;
	esac

	[ -x "$DROPBEAR_BIN" ] || skip "$DROPBEAR_BIN is missing: apt-get install dropbear-bin"
	command -v dropbearkey >/dev/null || skip "dropbearkey is missing: apt-get install dropbear-bin"
	command -v ssh-keygen >/dev/null || skip "ssh-keygen is missing: apt-get install openssh-client"
	if [ "$sftp" = 1 ] && [ ! -x /usr/lib/sftp-server ]; then
		skip "/usr/lib/sftp-server, Dropbear's sftp subsystem, is missing: apt-get install openssh-sftp-server"
	fi
	[ "$(id -u)" = 0 ] ||
		skip "Dropbear needs root: it reads ~USER/.ssh/authorized_keys of a local account made for the test"

	mkdir -p "$dir" || die "cannot create $dir"
	dir=$(cd "$dir" && pwd)
	stop_pidfile "$dir/dropbear.pid"
	rm -rf "$dir"/hostkey_* "$dir/env" "$dir/dropbear.log" "$dir/no-sftp-server"

	local types=(ed25519 ecdsa rsa)
	[ -n "$only" ] && types=("$only")
	for t in "${types[@]}"; do
		dropbearkey -t "$t" -f "$dir/hostkey_$t" >/dev/null 2>"$dir/dropbearkey.err" ||
			die "dropbearkey -t $t failed: $(tail -1 "$dir/dropbearkey.err")"
		pub=$(dropbearkey -y -f "$dir/hostkey_$t" 2>/dev/null | grep -E '^(ssh-|ecdsa-)') ||
			die "dropbearkey -y -f $dir/hostkey_$t printed no public key"
		printf '%s\n' "$pub" >"$dir/hostkey_$t.pub"
		args+=(-r "$dir/hostkey_$t")
	done

	user_key=$(user_key "$dir" "$user_key") || exit 1
	account "$dir" "$user_key"

	# -F foreground, -E log to stderr (the log file), -w no root logins,
	# -j -k no forwarding. The sftp subsystem is Dropbear's own choice.
	args+=(-F -E -w -j -k -P "$dir/dropbear.pid")
	[ "$sftp" = 1 ] || args+=(-c "$dir/no-sftp-server/sftp-server")
	for ((attempt = 0; attempt < 5; attempt++)); do
		[ -n "$port" ] || port=$(free_port)
		rm -f "$dir/dropbear.pid"
		setsid "$DROPBEAR_BIN" "${args[@]}" -p "127.0.0.1:$port" </dev/null >/dev/null 2>>"$dir/dropbear.log" &
		pid=$!
		for ((i = 0; i < 100; i++)); do
			[ -s "$dir/dropbear.pid" ] && port_open "$port" && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if [ -s "$dir/dropbear.pid" ] && port_open "$port"; then
			break
		fi
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		rm -f "$dir/dropbear.pid"
		grep -qi 'address already in use' "$dir/dropbear.log" 2>/dev/null || {
			test_account_remove "$dir" revault-db
			die "dropbear did not listen within 10 s: $(tail -1 "$dir/dropbear.log" 2>/dev/null)"
		}
		[ -z "$fixed" ] || { test_account_remove "$dir" revault-db; die "port $fixed is taken"; }
		port=""
	done
	[ -s "$dir/dropbear.pid" ] || { test_account_remove "$dir" revault-db; die "no free port after 5 attempts: see $dir/dropbear.log"; }
	pid=$(cat "$dir/dropbear.pid")

	{
		printf 'DROPBEAR_PORT=%q\n' "$port"
		printf 'DROPBEAR_PID=%q\n' "$pid"
		printf 'DROPBEAR_USER=%q\n' "$acct"
		printf 'DROPBEAR_KEY=%q\n' "$user_key"
		printf 'DROPBEAR_ROOT=%q\n' "$home/backup"
		printf 'DROPBEAR_LOG=%q\n' "$dir/dropbear.log"
		printf 'DROPBEAR_DIR=%q\n' "$dir"
		printf 'DROPBEAR_PW_USER=%q\n' "$acct"
		printf 'DROPBEAR_PW_FILE=%q\n' "$dir/pw"
		hostkey_env DROPBEAR "$dir"
	} >"$dir/env"
	return 0
}

[ $# -ge 2 ] || usage
case $1 in
start) shift; do_start "$@" ;;
stop) do_stop "$2" ;;
*) usage ;;
esac
