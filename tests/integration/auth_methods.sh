#!/usr/bin/env bash
# Password authentication against real servers: OpenSSH with a password
# (sshd checking /etc/shadow), OpenSSH offering keyboard-interactive only
# (PAM), and ProFTPD's mod_sftp with a virtual user. The right password
# backs up and restores; a wrong one exits 4 with one line naming the
# method, after fewer failed attempts than the server's MaxAuthTries, and
# leaves the account usable. The password only ever travels on a file
# descriptor (`password set --fd 3`). Needs root for the test accounts.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
need_cmd openssl openssl
[ "$(id -u)" = 0 ] || skip "password accounts need root (useradd, ProFTPD)"

src=$T_TMP/src
mkdir -p "$src/etc/app"
printf 'listen 8080\n' >"$src/etc/app/app.conf"
printf 'token=1\n' >"$src/etc/app/private"
chmod 600 "$src/etc/app/private"
random_file "$src/blob.bin" 300000
(umask 077 && printf 'not-the-password-%s\n' "$RANDOM$RANDOM" >"$T_TMP/wrong")

# pw_setup NAME URL USER PWFILE: a fresh settings file for password
# authentication, its master key, and the server trusted.
pw_setup() {
	local name=$1 url=$2 user=$3 pwfile=$4
	mkdir -p "$T_TMP/$name"
	export REVAULT_CONFIG=$T_TMP/$name/revault.yaml
	rv_ok "$name: set server.url" set server.url "$url"
	rv_ok "$name: set server.username" set server.username "$user"
	rv_ok "$name: set server.auth" set server.auth password
	rv password set --fd 3 3<"$pwfile"
	expect_rc 0 "$name: password set --fd 3"
	rv_ok "$name: set backup.device" set backup.device "dev-$name"
	rv_ok "$name: source add" source add "$src"
	rv_new_key
	rv_trust
}

# set_password PWFILE DESCRIPTION
set_password() {
	rv password set --fd 3 3<"$1"
	expect_rc 0 "$2"
}

# right_password NAME: backup, list, restore --to and compare.
right_password() {
	local name=$1 out=$T_TMP/$1-out
	rv backup
	expect_rc 0 "$name: backup with the right password"
	[ "$(rv_revisions | wc -l)" = 1 ] && pass || fail "$name: expected one revision after the backup"
	rv restore latest --to "$out"
	expect_rc 0 "$name: restore --to with the right password"
	expect_same_tree "$src" "$out$src" "$name: restored tree"
}

# wrong_password NAME METHOD_RE: exit 4, one line naming the method.
wrong_password() {
	local name=$1 method=$2
	set_password "$T_TMP/wrong" "$name: store a wrong password"
	rv list
	expect_rc 4 "$name: wrong password"
	expect_one_line "$name: wrong password"
	expect_err "$method" "$name: the line names the method refused"
	expect_err 'revault password set' "$name: the line says how to fix it"
}

# --- OpenSSH, password -----------------------------------------------------
srv_start sshd "$T_TMP/sshd-pw" --password-user --max-auth-tries 3
pw_setup openssh "sftp://127.0.0.1:$SSHD_PORT$SSHD_PW_ROOT" "$SSHD_PW_USER" "$SSHD_PW_FILE"
right_password openssh

failed() { grep -c "Failed [a-z/-]* for $SSHD_PW_USER " "$SSHD_LOG" || true; }
n0=$(failed)
wrong_password openssh 'password'
sleep 0.3
n=$(($(failed) - n0))
[ "$n" -ge 1 ] && [ "$n" -lt 3 ] && pass ||
	fail "openssh: expected 1 or 2 failed attempts (MaxAuthTries 3), the log shows $n"
grep -qiE 'maximum authentication attempts exceeded|too many authentication failures' "$SSHD_LOG" &&
	fail "openssh: revault ran into MaxAuthTries: $(grep -iE 'maximum auth|too many auth' "$SSHD_LOG" | tail -1)" || pass
# The account is not locked: the right password works at once.
set_password "$SSHD_PW_FILE" "openssh: store the right password again"
rv backup
expect_rc 0 "openssh: backup right after a refused password"

# A password that is set but a server.auth that is not password: the
# password is not sent.
n0=$(grep -c "password for $SSHD_PW_USER" "$SSHD_LOG" || true)
rv_ok "openssh: set server.auth publickey" set server.auth publickey
rv_ok "openssh: set server.identity" set server.identity "$SSHD_KEY"
rv list
expect_rc 4 "openssh: key not authorised for the password user"
expect_one_line "openssh: key refused"
sleep 0.3
[ "$(grep -c "password for $SSHD_PW_USER" "$SSHD_LOG" || true)" = "$n0" ] && pass ||
	fail "openssh: the password was tried although server.auth is publickey"

# No password stored: a usage error before connecting.
rv_ok "openssh: set server.auth password" set server.auth password
rv_ok "openssh: password clear" password clear
rv list
expect_rc 2 "openssh: no password stored"
expect_err 'revault password set' "openssh: no password: the line says how to set one"
rv show
grep -qE '^server\.password +\(not set\)' <<<"$OUT" && pass || fail "openssh: show after password clear: $OUT"

# --- OpenSSH, keyboard-interactive only (PAM) --------------------------------
srv_start sshd "$T_TMP/sshd-kbd" --kbd-only --max-auth-tries 3
pw_setup kbd "sftp://127.0.0.1:$SSHD_PORT$SSHD_PW_ROOT" "$SSHD_PW_USER" "$SSHD_PW_FILE"
right_password kbd
grep -q "Accepted keyboard-interactive/pam for $SSHD_PW_USER" "$SSHD_LOG" && pass ||
	fail "kbd: the server did not log a keyboard-interactive login"
n0=$(failed)
wrong_password kbd 'password'
sleep 0.3
n=$(($(failed) - n0))
[ "$n" -ge 1 ] && [ "$n" -lt 3 ] && pass ||
	fail "kbd: expected 1 or 2 failed attempts (MaxAuthTries 3), the log shows $n"
set_password "$SSHD_PW_FILE" "kbd: store the right password again"
rv list
expect_rc 0 "kbd: list right after a refused password"

# --- ProFTPD mod_sftp, virtual user -------------------------------------------
if srv_try proftpd "$T_TMP/proftpd"; then
	pw_setup proftpd "sftp://127.0.0.1:$PROFTPD_PORT$PROFTPD_PW_ROOT" "$PROFTPD_PW_USER" "$PROFTPD_PW_FILE"
	right_password proftpd
	pfailed() { grep -c "password authentication for user '$PROFTPD_PW_USER' failed" "$PROFTPD_LOG" || true; }
	n0=$(pfailed)
	wrong_password proftpd 'password'
	sleep 0.3
	n=$(($(pfailed) - n0))
	[ "$n" -ge 1 ] && [ "$n" -lt 3 ] && pass || fail "proftpd: expected 1 or 2 failed attempts, the log shows $n"
	set_password "$PROFTPD_PW_FILE" "proftpd: store the right password again"
	rv list
	expect_rc 0 "proftpd: list right after a refused password"
fi

t_done
