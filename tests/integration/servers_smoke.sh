#!/usr/bin/env bash
# The test servers themselves, with OpenSSH's own sftp client: OpenSSH,
# ProFTPD, AsyncSSH and Dropbear accept an SFTP session with the throwaway
# key (put, ls, rename, get), and, as root, with the password users
# (askpass from the 0600 file, never argv). Dropbear's host keys are the
# ones its env file names, and with --no-sftp its sftp channel ends with
# exit status 127, as on a machine without sftp-server.
# Every other transport test stands on these servers.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd sftp openssh-client

head -c 100000 /dev/urandom >"$T_TMP/payload"
opts=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=no -o LogLevel=ERROR)

# session NAME PORT USER DIR [KEY|@PWFILE]: put, ls, rename, get, compare.
session() {
	local name=$1 port=$2 user=$3 dir=$4 cred=$5 auth=() rc
	if [ "${cred:0:1}" = @ ]; then
		printf '#!/bin/sh\ncat %q\n' "${cred:1}" >"$T_TMP/askpass"
		chmod 700 "$T_TMP/askpass"
		auth=(-o PreferredAuthentications=password,keyboard-interactive -o PubkeyAuthentication=no)
		export SSH_ASKPASS=$T_TMP/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=none
	else
		auth=(-i "$cred" -o PreferredAuthentications=publickey)
	fi
	rm -f "$T_TMP/back"
	printf 'cd %s\nput %s up.tmp\nrename up.tmp up.bin\nls -l\nget up.bin %s\nrm up.bin\n' \
		"$dir" "$T_TMP/payload" "$T_TMP/back" >"$T_TMP/batch"
	set +e
	# Commands on stdin rather than -b: -b forces BatchMode, which turns
	# password prompts (askpass included) off.
	timeout -k 5 60 sftp -P "$port" "${opts[@]}" "${auth[@]}" "$user@127.0.0.1" \
		<"$T_TMP/batch" >"$T_TMP/.sftp-out" 2>&1
	rc=$?
	set -e
	unset SSH_ASKPASS SSH_ASKPASS_REQUIRE DISPLAY
	if [ "$rc" = 0 ] && grep -q 'up.bin' "$T_TMP/.sftp-out" && cmp -s "$T_TMP/payload" "$T_TMP/back"; then
		pass
	else
		fail "$name: sftp session (exit $rc): $(tail -5 "$T_TMP/.sftp-out")"
	fi
}

srv_start sshd "$T_TMP/sshd" $([ "$(id -u)" = 0 ] && echo --password-user)
session "OpenSSH, key" "$SSHD_PORT" "$SSHD_USER" "$SSHD_ROOT" "$SSHD_KEY"
if [ "$(id -u)" = 0 ]; then
	session "OpenSSH, password" "$SSHD_PORT" "$SSHD_PW_USER" "$SSHD_PW_ROOT" "@$SSHD_PW_FILE"
else
	skip_part "the password user of OpenSSH needs root"
fi

if srv_try proftpd "$T_TMP/proftpd"; then
	session "ProFTPD, key" "$PROFTPD_PORT" "$PROFTPD_USER" "$PROFTPD_ROOT" "$PROFTPD_KEY"
	session "ProFTPD, password" "$PROFTPD_PORT" "$PROFTPD_PW_USER" "$PROFTPD_PW_ROOT" "@$PROFTPD_PW_FILE"
fi

# AsyncSSH, the base of the hostile server: with nothing made hostile it is
# an ordinary SFTP server (any password is accepted).
if srv_try asyncssh "$T_TMP/asyncssh"; then
	session "AsyncSSH, key" "$ASYNCSSH_PORT" "$ASYNCSSH_USER" "$ASYNCSSH_ROOT" "$ASYNCSSH_KEY"
	(umask 077 && printf 'any\n' >"$T_TMP/asyncssh-pw")
	session "AsyncSSH, password" "$ASYNCSSH_PORT" "$ASYNCSSH_USER" "$ASYNCSSH_ROOT" "@$T_TMP/asyncssh-pw"
fi

# Dropbear: a local account made for the test, the key in its
# ~/.ssh/authorized_keys, sftp through /usr/lib/sftp-server.
if srv_try dropbear "$T_TMP/dropbear"; then
	session "Dropbear, key" "$DROPBEAR_PORT" "$DROPBEAR_USER" "$DROPBEAR_ROOT" "$DROPBEAR_KEY"
	session "Dropbear, password" "$DROPBEAR_PORT" "$DROPBEAR_PW_USER" "$DROPBEAR_ROOT" "@$DROPBEAR_PW_FILE"
	for t in ed25519 ecdsa rsa; do
		want=DROPBEAR_HOSTKEY_${t^^}_SHA256
		got=$(ssh-keyscan -p "$DROPBEAR_PORT" -t "$t" 127.0.0.1 2>/dev/null | ssh-keygen -l -E sha256 -f - 2>/dev/null |
			awk '{print $2}')
		if [ -n "$got" ] && [ "$got" = "${!want}" ]; then
			pass
		else
			fail "Dropbear serves $t host key ${got:-none}, env says ${!want:-none}"
		fi
	done
	# Restarted on its port without sftp-server: the subsystem's shell
	# finds no program, and the channel ends at once with 127.
	srv_stop dropbear "$T_TMP/dropbear"
	srv_launch dropbear "$T_TMP/dropbear" --no-sftp --port "$DROPBEAR_PORT" ||
		fail "dropbear.sh start --no-sftp: $(cat "$T_TMP/.srv-err")"
	set +e
	timeout -k 5 30 ssh -p "$DROPBEAR_PORT" "${opts[@]}" -i "$DROPBEAR_KEY" -o BatchMode=yes \
		-s "$DROPBEAR_USER@127.0.0.1" sftp </dev/null >"$T_TMP/.ssh-out" 2>&1
	rc=$?
	set -e
	if [ "$rc" = 127 ]; then
		pass
	else
		fail "Dropbear --no-sftp: ssh -s sftp exited $rc, expected 127: $(tail -3 "$T_TMP/.ssh-out")"
	fi
fi
t_done
