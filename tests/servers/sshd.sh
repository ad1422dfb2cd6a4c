#!/usr/bin/env bash
# A throwaway OpenSSH sshd on 127.0.0.1 for the integration tests: fresh
# host keys, a fresh user key, its own config, pid file and log, all in DIR.
# Nothing outside DIR is touched except /run/sshd (sshd's privilege
# separation directory), created when running as root, and, with
# --password-user, one local account made for the test.
#
#   sshd.sh start DIR [--user-key FILE] [--port N] [--hostkey-only TYPE] [--rsa-only]
#                     [--ssh-rsa] [--log-level LEVEL] [--password-user] [--kbd-only]
#                     [--no-sftp] [--max-auth-tries N] [--subsystem LINE]
#                     [--channel-timeout SPEC]
#   sshd.sh stop DIR
#
# start writes DIR/env (shell assignments): SSHD_PORT SSHD_PID SSHD_USER
# SSHD_KEY SSHD_HOSTKEY_ED25519_SHA256 SSHD_HOSTKEY_ED25519_MD5
# SSHD_HOSTKEY_ECDSA_SHA256 SSHD_HOSTKEY_ECDSA_MD5 SSHD_HOSTKEY_RSA_SHA256
# SSHD_HOSTKEY_RSA_MD5 SSHD_ROOT SSHD_LOG, and with --password-user
# SSHD_PW_USER SSHD_PW_FILE SSHD_PW_ROOT.
# TYPE is ed25519, ecdsa or rsa. Exit 77 when sshd cannot run here.
#
# --password-user (root only) creates a local account revault-pw-XXXXXX with
# a home, a random password and a writable backup folder (SSHD_PW_ROOT), and
# turns on password authentication (UsePAM no: sshd checks /etc/shadow
# itself). The password is only in DIR/pw (mode 0600, one line), never in
# the environment or on a command line. A restart on the same DIR reuses the
# account and its password; stop deletes the account if start created it.
# --kbd-only offers keyboard-interactive alone (through PAM, the stock
# /etc/pam.d/sshd) and implies --password-user. --no-sftp leaves out the
# sftp subsystem; --max-auth-tries sets MaxAuthTries. --ssh-rsa accepts
# SHA-1 RSA signatures again (HostKeyAlgorithms and PubkeyAcceptedAlgorithms
# +ssh-rsa), as an OpenSSH >= 8.8 must be told to for libssh2 1.10.
# --subsystem LINE replaces what follows "Subsystem sftp" (internal-sftp):
# internal-sftp with its options, or a command line sshd runs through the
# user's shell, e.g. "exec /usr/lib/openssh/sftp-server -l DEBUG3", or the
# server with tests/tools/sftp_fault.c preloaded. --channel-timeout SPEC
# writes "ChannelTimeout SPEC" (OpenSSH 9.2 and later), e.g. session:*=1s.
set -u

SSHD_BIN=${SSHD_BIN:-/usr/sbin/sshd}

die() { echo "sshd.sh: $*" >&2; exit 1; }
skip() { echo "sshd.sh: skipped: $*" >&2; exit 77; }
# shellcheck source=tests/servers/common.sh
. "$(dirname "$0")/common.sh"

usage() {
	echo "usage: sshd.sh start DIR [--user-key FILE] [--port N] [--hostkey-only ed25519|ecdsa|rsa] [--rsa-only] [--ssh-rsa] [--log-level LEVEL]" >&2
	echo "                         [--password-user] [--kbd-only] [--no-sftp] [--max-auth-tries N]" >&2
	echo "                         [--subsystem LINE] [--channel-timeout SPEC]" >&2
	echo "       sshd.sh stop DIR" >&2
	exit 2
}

do_stop() {
	stop_pidfile "$1/sshd.pid"
	test_account_remove "$1" revault-pw
}

# pw_user DIR: the password account of DIR (test_account), with a
# writable ~/backup; sets pwuser and pwhome.
pw_user() {
	local acct home

	test_account "$1" revault-pw
	pwuser=$acct
	pwhome=$home
	mkdir -p "$pwhome/backup" && chown "$pwuser:" "$pwhome/backup" && chmod 700 "$pwhome/backup" ||
		die "cannot create $pwhome/backup"
}

do_start() {
	local dir=$1 user_key="" port="" fixed="" only="" loglevel=VERBOSE t i pid user attempt
	local with_pw=0 kbd_only=0 sftp=1 max_tries="" pwuser="" pwhome="" ssh_rsa=0
	local subsystem=internal-sftp chan_timeout=""
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--password-user) with_pw=1; shift ;;
		--kbd-only) kbd_only=1; with_pw=1; shift ;;
		--no-sftp) sftp=0; shift ;;
		--max-auth-tries) max_tries=${2:?--max-auth-tries needs a number}; shift 2 ;;
		--subsystem) subsystem=${2:?--subsystem needs a command line}; shift 2 ;;
		--channel-timeout) chan_timeout=${2:?--channel-timeout needs a spec}; shift 2 ;;
		--user-key) user_key=${2:?--user-key needs a file}; shift 2 ;;
		--port) port=${2:?--port needs a number}; fixed=$port; shift 2 ;;
		--hostkey-only) only=${2:?--hostkey-only needs a type}; shift 2 ;;
		--rsa-only) only=rsa; shift ;;
		--ssh-rsa) ssh_rsa=1; shift ;;
		--log-level) loglevel=${2:?--log-level needs a level}; shift 2 ;;
		*) usage ;;
		esac
	done
	case $only in
	"" | ed25519 | ecdsa | rsa) ;;
	*) die "unknown host key type \"$only\": use ed25519, ecdsa or rsa" ;;
	esac
	case $max_tries in
	"" | [1-9] | [1-9][0-9]) ;;
	*) die "--max-auth-tries needs a number from 1 to 99, not \"$max_tries\"" ;;
	esac
	# One line of sshd_config each: a newline would smuggle in another.
	case $subsystem$chan_timeout in
	*$'\n'* | *$'\r'*) die "--subsystem and --channel-timeout take one line" ;;
	esac
	if [ "$with_pw" = 1 ] && [ "$(id -u)" != 0 ]; then
		skip "--password-user needs root to create a local account"
	fi
	if [ "$kbd_only" = 1 ] && [ ! -f /etc/pam.d/sshd ]; then
		skip "--kbd-only needs PAM: /etc/pam.d/sshd is missing"
	fi

	[ -x "$SSHD_BIN" ] || skip "$SSHD_BIN is missing: apt-get install openssh-server"
	command -v ssh-keygen >/dev/null || skip "ssh-keygen is missing: apt-get install openssh-client"
	if [ "$(id -u)" = 0 ]; then
		mkdir -p /run/sshd && chmod 755 /run/sshd || skip "cannot create /run/sshd"
		getent passwd sshd >/dev/null || skip "no sshd user for privilege separation"
	elif [ ! -d /run/sshd ]; then
		skip "not root and /run/sshd is missing (sshd needs it)"
	fi

	mkdir -p "$dir" "$dir/srv" || die "cannot create $dir"
	dir=$(cd "$dir" && pwd)
	stop_pidfile "$dir/sshd.pid"
	[ "$with_pw" = 1 ] || test_account_remove "$dir" revault-pw
	rm -f "$dir"/hostkey_* "$dir/env" "$dir/sshd.log"
	[ "$with_pw" = 0 ] || pw_user "$dir"

	local types=(ed25519 ecdsa)
	[ -n "$only" ] && types=("$only")
	for t in "${types[@]}"; do
		ssh-keygen -q -t "$t" -N '' -C "revault-test-host-$t" -f "$dir/hostkey_$t" ||
			die "ssh-keygen -t $t failed"
	done

	user_key=$(user_key "$dir" "$user_key") || exit 1
	cat "$user_key.pub" >"$dir/authorized_keys"
	chmod 600 "$dir/authorized_keys"
	user=$(id -un)

	for ((attempt = 0; attempt < 5; attempt++)); do
		[ -n "$port" ] || port=$(free_port)
		{
			echo "ListenAddress 127.0.0.1"
			echo "Port $port"
			for t in "${types[@]}"; do echo "HostKey $dir/hostkey_$t"; done
			echo "PidFile $dir/sshd.pid"
			echo "AuthorizedKeysFile $dir/authorized_keys"
			[ "$sftp" = 0 ] || echo "Subsystem sftp $subsystem"
			[ -z "$chan_timeout" ] || echo "ChannelTimeout $chan_timeout"
			if [ "$kbd_only" = 1 ]; then
				echo "UsePAM yes"
				echo "PasswordAuthentication no"
				echo "KbdInteractiveAuthentication yes"
				echo "PubkeyAuthentication no"
			elif [ "$with_pw" = 1 ]; then
				echo "UsePAM no"
				echo "PasswordAuthentication yes"
				echo "KbdInteractiveAuthentication no"
				echo "PubkeyAuthentication yes"
			else
				echo "UsePAM no"
				echo "PasswordAuthentication no"
				echo "KbdInteractiveAuthentication no"
				echo "PubkeyAuthentication yes"
			fi
			[ -z "$max_tries" ] || echo "MaxAuthTries $max_tries"
			if [ "$ssh_rsa" = 1 ]; then
				echo "HostKeyAlgorithms +ssh-rsa"
				echo "PubkeyAcceptedAlgorithms +ssh-rsa"
			fi
			echo "StrictModes no"
			echo "PermitRootLogin yes"
			echo "PermitEmptyPasswords no"
			echo "LogLevel $loglevel"
			echo "MaxStartups 50:30:100"
			echo "LoginGraceTime 30"
			echo "AllowUsers $user${pwuser:+ $pwuser}"
		} >"$dir/sshd_config"
		"$SSHD_BIN" -t -f "$dir/sshd_config" 2>"$dir/sshd.check" ||
			die "sshd rejects its config: $(head -1 "$dir/sshd.check")"
		# sshd binds before it detaches: a taken port fails right here.
		if ! "$SSHD_BIN" -f "$dir/sshd_config" -E "$dir/sshd.log" </dev/null >/dev/null 2>&1; then
			grep -q 'Address already in use' "$dir/sshd.log" 2>/dev/null ||
				die "sshd did not start: $(tail -1 "$dir/sshd.log" 2>/dev/null)"
			[ -z "$fixed" ] || die "port $fixed is taken"
			port=""
			continue
		fi
		for ((i = 0; i < 100; i++)); do
			[ -s "$dir/sshd.pid" ] && port_open "$port" && break
			sleep 0.1
		done
		if [ -s "$dir/sshd.pid" ] && port_open "$port"; then
			break
		fi
		do_stop "$dir"
		grep -q 'Address already in use' "$dir/sshd.log" 2>/dev/null || die "sshd did not listen within 10 s: see $dir/sshd.log"
		[ -z "$fixed" ] || die "port $fixed is taken"
		port=""
	done
	[ -s "$dir/sshd.pid" ] || die "no free port after 5 attempts: see $dir/sshd.log"
	pid=$(cat "$dir/sshd.pid")

	{
		printf 'SSHD_PORT=%q\n' "$port"
		printf 'SSHD_PID=%q\n' "$pid"
		printf 'SSHD_USER=%q\n' "$user"
		printf 'SSHD_KEY=%q\n' "$user_key"
		printf 'SSHD_ROOT=%q\n' "$dir/srv"
		printf 'SSHD_LOG=%q\n' "$dir/sshd.log"
		printf 'SSHD_DIR=%q\n' "$dir"
		if [ -n "$pwuser" ]; then
			printf 'SSHD_PW_USER=%q\n' "$pwuser"
			printf 'SSHD_PW_FILE=%q\n' "$dir/pw"
			printf 'SSHD_PW_ROOT=%q\n' "$pwhome/backup"
		fi
		hostkey_env SSHD "$dir"
	} >"$dir/env"
	return 0
}

[ $# -ge 2 ] || usage
case $1 in
start) shift; do_start "$@" ;;
stop) do_stop "$2" ;;
*) usage ;;
esac
