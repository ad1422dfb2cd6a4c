#!/usr/bin/env bash
# A throwaway ProFTPD with mod_sftp on 127.0.0.1 for the integration tests:
# a second SFTP server implementation next to OpenSSH. Fresh host keys, a
# fresh user key (authorised in RFC 4716 form, as mod_sftp wants it), its
# own config, pid file, scoreboard, delay table and logs, all in DIR; no
# system file is read or written except the module directory.
#
#   proftpd.sh start DIR [--user-key FILE] [--port N]
#   proftpd.sh stop DIR
#
# start writes DIR/env: PROFTPD_PORT PROFTPD_PID PROFTPD_USER PROFTPD_KEY
# PROFTPD_HOSTKEY_ED25519_SHA256 PROFTPD_HOSTKEY_ED25519_MD5
# PROFTPD_HOSTKEY_ECDSA_SHA256 PROFTPD_HOSTKEY_ECDSA_MD5 PROFTPD_ROOT
# PROFTPD_LOG, and for the password account PROFTPD_PW_USER PROFTPD_PW_FILE
# PROFTPD_PW_ROOT. Exit 77 when ProFTPD cannot run here.
#
# Next to the key user, a virtual user (revault-vpw, known only to
# mod_auth_file through DIR/ftpd.passwd, a SHA-512 crypt(3) hash) logs in
# with a random password kept in DIR/pw (mode 0600, one line) and writes to
# PROFTPD_PW_ROOT. Its files belong to nobody's uid and gid.
set -u

PROFTPD_BIN=${PROFTPD_BIN:-/usr/sbin/proftpd}
PROFTPD_MODULES=${PROFTPD_MODULES:-/usr/lib/proftpd}

die() { echo "proftpd.sh: $*" >&2; exit 1; }
skip() { echo "proftpd.sh: skipped: $*" >&2; exit 77; }
# shellcheck source=tests/servers/common.sh
. "$(dirname "$0")/common.sh"

usage() {
	echo "usage: proftpd.sh start DIR [--user-key FILE] [--port N]" >&2
	echo "       proftpd.sh stop DIR" >&2
	exit 2
}

do_stop() { stop_pidfile "$1/proftpd.pid"; }

# virtual_user DIR: the password account of mod_auth_file. Its password is
# made once per DIR, so a restart keeps it; nothing reaches a command line.
virtual_user() {
	local dir=$1 pass hash uid gid

	command -v openssl >/dev/null || skip "openssl is missing: apt-get install openssl"
	uid=$(id -u nobody) && gid=$(id -g nobody) || skip "no nobody account for the virtual user"
	if [ ! -s "$dir/pw" ]; then
		pass=$(openssl rand -base64 18) || die "openssl rand failed"
		(umask 077 && printf '%s\n' "$pass" >"$dir/pw")
		pass=""
	fi
	chmod 600 "$dir/pw"
	hash=$(openssl passwd -6 -stdin <"$dir/pw") || die "openssl passwd -6 failed"
	mkdir -p "$dir/vhome/backup" || die "cannot create $dir/vhome"
	chown -R "$uid:$gid" "$dir/vhome"
	chmod 700 "$dir/vhome/backup"
	(umask 077 && printf 'revault-vpw:%s:%s:%s:revault test:%s:/bin/sh\n' \
		"$hash" "$uid" "$gid" "$dir/vhome" >"$dir/ftpd.passwd")
	printf 'revault-vpw:x:%s:\n' "$gid" >"$dir/ftpd.group"
	chmod 600 "$dir/ftpd.passwd"
	chmod 644 "$dir/ftpd.group"
}

write_config() {
	local dir=$1 port=$2 user=$3 group=$4

	cat >"$dir/proftpd.conf" <<EOF
ModulePath $PROFTPD_MODULES
LoadModule mod_sftp.c
ServerName "revault test"
ServerType standalone
UseFtpUsers off
UseIPv6 off
DefaultAddress 127.0.0.1
SocketBindTight on
Port $port
User $user
Group $group
RootLogin on
RequireValidShell off
UseReverseDNS off
AuthOrder mod_auth_file.c mod_auth_unix.c
AuthUserFile $dir/ftpd.passwd
AuthGroupFile $dir/ftpd.group
PidFile $dir/proftpd.pid
ScoreboardFile $dir/proftpd.scoreboard
DelayTable $dir/proftpd.delay
SystemLog $dir/proftpd.log
TransferLog none
WtmpLog off
MaxInstances 50
TimeoutIdle 120
Umask 022
AllowOverwrite on
<IfModule mod_sftp.c>
  SFTPEngine on
  SFTPLog $dir/sftp.log
  SFTPHostKey $dir/hostkey_ed25519
  SFTPHostKey $dir/hostkey_ecdsa
  SFTPAuthMethods publickey password
  SFTPAuthorizedUserKeys file:$dir/authorized_keys
  SFTPCompression off
</IfModule>
<Directory />
  AllowOverwrite on
  <Limit ALL>
    AllowAll
  </Limit>
</Directory>
EOF
}

do_start() {
	local dir=$1 user_key="" port="" fixed="" t i pid user attempt dgroup duser
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--user-key) user_key=${2:?--user-key needs a file}; shift 2 ;;
		--port) port=${2:?--port needs a number}; fixed=$port; shift 2 ;;
		*) usage ;;
		esac
	done

	[ -x "$PROFTPD_BIN" ] || skip "$PROFTPD_BIN is missing: apt-get install proftpd-core"
	[ -f "$PROFTPD_MODULES/mod_sftp.so" ] || skip "mod_sftp is missing: apt-get install proftpd-mod-crypto"
	command -v ssh-keygen >/dev/null || skip "ssh-keygen is missing: apt-get install openssh-client"
	[ "$(id -u)" = 0 ] || skip "ProFTPD needs root to switch to the logged-in user"

	mkdir -p "$dir" "$dir/srv" || die "cannot create $dir"
	dir=$(cd "$dir" && pwd)
	do_stop "$dir"
	rm -f "$dir"/hostkey_* "$dir/env" "$dir/proftpd.log" "$dir/sftp.log"

	for t in ed25519 ecdsa; do
		ssh-keygen -q -t "$t" -N '' -C "revault-test-host-$t" -f "$dir/hostkey_$t" ||
			die "ssh-keygen -t $t failed"
		chmod 600 "$dir/hostkey_$t"
	done
	user_key=$(user_key "$dir" "$user_key") || exit 1
	ssh-keygen -e -f "$user_key.pub" >"$dir/authorized_keys" || die "cannot convert $user_key.pub to RFC 4716"
	chmod 644 "$dir/authorized_keys"
	user=$(id -un)
	# The listening daemon drops to an unprivileged account; sessions run as
	# the user who logged in.
	duser=nobody
	dgroup=$(id -gn nobody 2>/dev/null || echo nogroup)
	virtual_user "$dir"

	for ((attempt = 0; attempt < 5; attempt++)); do
		[ -n "$port" ] || port=$(free_port)
		write_config "$dir" "$port" "$duser" "$dgroup"
		"$PROFTPD_BIN" -t -c "$dir/proftpd.conf" >"$dir/proftpd.check" 2>&1 ||
			die "proftpd rejects its config: $(grep -v '^ *$' "$dir/proftpd.check" | tail -1)"
		setsid "$PROFTPD_BIN" -n -q -c "$dir/proftpd.conf" </dev/null >>"$dir/proftpd.out" 2>&1 &
		for ((i = 0; i < 100; i++)); do
			[ -s "$dir/proftpd.pid" ] && port_open "$port" && break
			kill -0 $! 2>/dev/null || break
			sleep 0.1
		done
		if [ -s "$dir/proftpd.pid" ] && port_open "$port"; then
			break
		fi
		do_stop "$dir"
		grep -qi 'address already in use' "$dir/proftpd.out" "$dir/proftpd.log" 2>/dev/null ||
			die "proftpd did not listen within 10 s: see $dir/proftpd.log and $dir/proftpd.out"
		[ -z "$fixed" ] || die "port $fixed is taken"
		port=""
	done
	[ -s "$dir/proftpd.pid" ] || die "no free port after 5 attempts: see $dir/proftpd.log"
	pid=$(cat "$dir/proftpd.pid")

	{
		printf 'PROFTPD_PORT=%q\n' "$port"
		printf 'PROFTPD_PID=%q\n' "$pid"
		printf 'PROFTPD_USER=%q\n' "$user"
		printf 'PROFTPD_KEY=%q\n' "$user_key"
		printf 'PROFTPD_ROOT=%q\n' "$dir/srv"
		printf 'PROFTPD_LOG=%q\n' "$dir/sftp.log"
		printf 'PROFTPD_DIR=%q\n' "$dir"
		printf 'PROFTPD_PW_USER=%q\n' revault-vpw
		printf 'PROFTPD_PW_FILE=%q\n' "$dir/pw"
		printf 'PROFTPD_PW_ROOT=%q\n' "$dir/vhome/backup"
		hostkey_env PROFTPD "$dir"
	} >"$dir/env"
	return 0
}

[ $# -ge 2 ] || usage
case $1 in
start) shift; do_start "$@" ;;
stop) do_stop "$2" ;;
*) usage ;;
esac
