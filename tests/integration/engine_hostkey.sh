#!/usr/bin/env bash
# Host keys: a fingerprint pinned out of band (SHA256, MD5: or bare MD5 form,
# ed25519 or ecdsa) lets a backup run without `authenticate`; a wrong one is
# refused with exit 3, both fingerprints shown, and the user name never sent;
# new host keys on a known server are refused; an RSA-only server is
# explained, and one told to accept ssh-rsa (SHA-1) works, its key trusted
# with the warning every ssh-rsa key on record gets.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
need_cmd ssh-keygen openssh-client

# sshd logs every userauth request at DEBUG1: the proof the user name went out.
srv_start sshd "$T_TMP/sshd" --log-level DEBUG1
url="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
hp="127.0.0.1:$SSHD_PORT"
src=$T_TMP/src
mkdir -p "$src"
printf 'x\n' >"$src/file"
auth_lines() { grep -c "userauth-request for user $SSHD_USER" "$SSHD_LOG" || true; }

# setup NAME: a fresh settings file with its own master key.
setup() {
	rv_setup "$T_TMP/$1" "$url" "$SSHD_USER" "$SSHD_KEY" "dev-$1" "$src"
	rv_new_key
}

# Right SHA256 fingerprint pinned: no authenticate needed.
setup sha
rv knownhost add "$hp" ssh-ed25519 "$SSHD_HOSTKEY_ED25519_SHA256"
expect_rc 0 "knownhost add SHA256"
rv knownhost list
expect_out "$(re "$SSHD_HOSTKEY_ED25519_SHA256")" "knownhost list shows the pin"
rv backup
expect_rc 0 "backup with a pinned SHA256 fingerprint"
cfg_sha=$REVAULT_CONFIG

# MD5: form, and the bare colon form operators paste.
setup md5
rv knownhost add "$hp" ssh-ed25519 "$SSHD_HOSTKEY_ED25519_MD5"
expect_rc 0 "knownhost add MD5:"
rv backup
expect_rc 0 "backup with a pinned MD5: fingerprint"
setup md5bare
rv knownhost add "$hp" ssh-ed25519 "${SSHD_HOSTKEY_ED25519_MD5#MD5:}"
expect_rc 0 "knownhost add bare MD5"
rv backup
expect_rc 0 "backup with a pinned bare MD5 fingerprint"

# An ecdsa pin on a server that also offers ed25519: the handshake must
# settle on the pinned type.
setup ecdsa
rv knownhost add "$hp" ecdsa-sha2-nistp256 "$SSHD_HOSTKEY_ECDSA_SHA256"
expect_rc 0 "knownhost add ecdsa"
rv backup
expect_rc 0 "backup with only the ecdsa key pinned"

# Malformed pins are usage errors.
rv knownhost add "$hp" ssh-ed25519 "SHA256:tooshort"
expect_rc 2 "malformed SHA256 fingerprint"
rv knownhost add "$hp" ssh-foo "$SSHD_HOSTKEY_ED25519_SHA256"
expect_rc 2 "unknown key type"
rv knownhost add "$hp" ssh-dsa "${SSHD_HOSTKEY_ED25519_MD5}"
expect_rc 0 "ssh-dsa accepted as ssh-dss"
rv knownhost list
expect_out 'ssh-dss' "ssh-dsa stored as ssh-dss"

# A wrong fingerprint: exit 3, expected and offered, no user name sent.
ssh-keygen -q -t ed25519 -N '' -f "$T_TMP/other_host_key"
wrong=$(ssh-keygen -l -E sha256 -f "$T_TMP/other_host_key.pub" | awk '{print $2}')
setup wrong
rv knownhost add "$hp" ssh-ed25519 "$wrong"
expect_rc 0 "knownhost add a wrong fingerprint"
n0=$(auth_lines)
rv backup
expect_rc 3 "backup with a wrong pinned fingerprint"
expect_err "$(re "$wrong")" "wrong pin: the expected fingerprint is shown"
expect_err "$(re "$SSHD_HOSTKEY_ED25519_SHA256")" "wrong pin: the offered fingerprint is shown"
expect_one_line "wrong pin"
rv authenticate --yes
expect_rc 3 "authenticate --yes cannot override a changed key"
sleep 0.3
[ "$(auth_lines)" = "$n0" ] && pass || fail "the user name was sent to a server whose key did not match"

# Pinned ed25519, server now offers only ecdsa: another type on record
# counts as a changed key, never trust on first use.
srv_stop sshd "$T_TMP/sshd"
srv_start sshd "$T_TMP/sshd" --port "$SSHD_PORT" --hostkey-only ecdsa --log-level DEBUG1
export REVAULT_CONFIG=$cfg_sha
n0=$(auth_lines)
rv backup
expect_rc 3 "pinned ed25519, server offers only ecdsa"
expect_one_line "key of another type"
rv authenticate --yes
expect_rc 3 "authenticate --yes with a key of another type on record"
[ "$(auth_lines)" = "$n0" ] && pass || fail "the user name was sent after a key type change"

# Server restarted with fresh host keys on the same port.
srv_stop sshd "$T_TMP/sshd"
old=$SSHD_HOSTKEY_ED25519_SHA256
srv_start sshd "$T_TMP/sshd" --port "$SSHD_PORT" --log-level DEBUG1
[ "$old" != "$SSHD_HOSTKEY_ED25519_SHA256" ] && pass || fail "the restarted server kept its key"
n0=$(auth_lines)
rv backup
expect_rc 3 "server with new host keys"
expect_one_line "new host keys"
expect_err "$(re "$SSHD_HOSTKEY_ED25519_SHA256")" "new host keys: the offered fingerprint is shown"
[ "$(auth_lines)" = "$n0" ] && pass || fail "the user name was sent to a server with new host keys"
rv knownhost remove "$hp"
expect_rc 0 "knownhost remove"
rv backup
expect_rc 3 "after removing the pin the host is unknown again"
expect_err 'revault authenticate' "unknown host names the command"
rv authenticate </dev/null
[ "$RC" != 0 ] && pass || fail "authenticate without a terminal or --yes trusted the key"
# A "yes" on a pipe is no answer: nobody was asked, so the question is
# said to need a terminal (not "not accepted"), with the ways round it.
rv authenticate <<<yes
expect_rc 3 "authenticate with yes on a pipe"
expect_err 'needs a terminal' "piped authenticate: the question needs a terminal"
expect_err '--yes' "piped authenticate: points at --yes"
expect_err "$(re "revault knownhost add $hp ssh-ed25519 FINGERPRINT")" "piped authenticate: points at the pin"
grep -q 'not accepted' <<<"$ERR" && fail "piped authenticate says not accepted: $ERR" || pass
# Each fingerprint carries its own label (SHA256:..., MD5:...): the
# prompt's labels are not said twice.
expect_err '^  Fingerprint: SHA256:' "the prompt's fingerprint line"
grep -qE 'SHA256: +SHA256:|MD5: +MD5:' <<<"$ERR" && fail "the prompt doubles a label: $ERR" || pass
rv knownhost list
grep -qF "$SSHD_HOSTKEY_ED25519_SHA256" <<<"$OUT" && fail "an unconfirmed key was stored" || pass

# On a terminal only `yes` or a whole fingerprint trusts. An empty answer
# once trusted the key when the SSH library gave no MD5 fingerprint (FIPS
# mode): a preloaded shim takes MD5 away to show it no longer does.
if want_cmd script bsdutils && want_cmd cc build-essential; then
	cat >"$T_TMP/nomd5.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libssh2.h>
const char *libssh2_hostkey_hash(LIBSSH2_SESSION *s, int type)
{
	const char *(*real)(LIBSSH2_SESSION *, int) =
		(const char *(*)(LIBSSH2_SESSION *, int))dlsym(RTLD_NEXT, "libssh2_hostkey_hash");
	return type == LIBSSH2_HOSTKEY_HASH_MD5 ? NULL : real(s, type);
}
EOF
	cc -shared -fPIC -o "$T_TMP/nomd5.so" "$T_TMP/nomd5.c" -ldl
	# answer TEXT [PRELOAD]: `revault authenticate` on a terminal (script
	# gives it one), TEXT typed at the prompt; the transcript in $OUT.
	answer() {
		local env="" asan=${ASAN_OPTIONS:-}
		[ -z "${2:-}" ] || env="LD_PRELOAD=$2 ASAN_OPTIONS=${asan:+$asan:}verify_asan_link_order=0"
		printf '%s\n' "$1" >"$T_TMP/answer"
		run timeout -k 5 60 script -qec "env $env '$REVAULT' authenticate" /dev/null <"$T_TMP/answer"
	}
	# refuses TEXT WHAT [PRELOAD]: the answer does not trust the key.
	refuses() {
		answer "$1" "${3:-}"
		expect_rc 3 "terminal answer $2"
		grep -q 'Type yes' <<<"$OUT" && pass || fail "terminal answer $2: no prompt: $OUT"
		"$REVAULT" knownhost list 2>/dev/null | grep -qF "$SSHD_HOSTKEY_ED25519_SHA256" &&
			fail "terminal answer $2 trusted the key" || pass
	}
	refuses "" "empty"
	refuses "" "empty, no MD5 from the library" "$T_TMP/nomd5.so"
	grep -q 'MD5: *(not available)' <<<"$OUT" && pass || fail "a missing MD5 is not said: $OUT"
	refuses " " "blank, no MD5 from the library" "$T_TMP/nomd5.so"
	refuses "MD5:" "MD5: alone, no MD5 from the library" "$T_TMP/nomd5.so"
	refuses "y" "y"
	refuses "YES" "YES"
	refuses "yes " "yes and a blank"
	refuses "${SSHD_HOSTKEY_ED25519_SHA256:0:20}" "a prefix of the fingerprint"
	refuses "${SSHD_HOSTKEY_ED25519_MD5:0:30}" "a prefix of the MD5 fingerprint"
	answer "${SSHD_HOSTKEY_ED25519_MD5#MD5:}"
	expect_rc 0 "terminal answer: the bare MD5 fingerprint trusts"
	rv knownhost remove "$hp"
	answer "$SSHD_HOSTKEY_ED25519_SHA256" "$T_TMP/nomd5.so"
	expect_rc 0 "terminal answer: the SHA256 fingerprint trusts without MD5"
	rv knownhost list
	expect_rc 0 "the settings load after trusting a key without MD5"
	expect_out "$(re "$SSHD_HOSTKEY_ED25519_SHA256")" "the key trusted without MD5 is on record"
	rv knownhost remove "$hp"
fi
rv_trust
rv backup
expect_rc 0 "backup after re-authenticating"

# RSA only: libssh2 1.10 verifies RSA only with SHA-1, which OpenSSH 9.2
# refuses by default; say so.
srv_stop sshd "$T_TMP/sshd"
srv_start sshd "$T_TMP/sshd-rsa" --rsa-only
setup rsa
rv_ok "rsa server url" set server.url "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
rv authenticate --yes
[ "$RC" != 0 ] && pass || fail "authenticate against an RSA-only server reported success: $OUT"
expect_one_line "RSA-only server"
expect_err 'RSA|rsa' "RSA-only server: the line names RSA"
expect_err 'ed25519|ecdsa' "RSA-only server: the line suggests ed25519 or ecdsa"

# RSA only, told to accept SHA-1 signatures again (HostKeyAlgorithms and
# PubkeyAcceptedAlgorithms +ssh-rsa), as docs/HOSTKEYS.md says: the key is
# trusted on first connect with the ssh-rsa warning, and a backup with an
# RSA user key works.
srv_stop sshd "$T_TMP/sshd-rsa"
ssh-keygen -q -t rsa -b 2048 -N '' -C rsa-user -f "$T_TMP/id_rsa"
srv_start sshd "$T_TMP/sshd-sha1" --rsa-only --ssh-rsa --user-key "$T_TMP/id_rsa"
setup sha1
rv_ok "ssh-rsa server url" set server.url "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
rv_ok "RSA user key" set server.identity "$T_TMP/id_rsa"
rv authenticate --yes
expect_rc 0 "authenticate against a server that accepts ssh-rsa"
expect_err '^  Dropbear: dropbearkey -y -f /etc/dropbear/dropbear_rsa_host_key$' \
	"the fingerprint hint names Dropbear's RSA key"
if rsa_sha1_only; then
	expect_err '^revault: warning: an ssh-rsa key works only with servers that accept SHA-1:$' \
		"trusting an ssh-rsa key warns"
	expect_err 'ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key\.pub' "the warning says how to get the ed25519 key"
else
	grep -q 'warning' <<<"$ERR" && fail "a warning with rsa-sha2 in libssh2: $ERR" || pass
fi
rv knownhost list
expect_out "ssh-rsa +[^ ]+ +$(re "$SSHD_HOSTKEY_RSA_SHA256")" "the ssh-rsa key is on record"
rv backup
expect_rc 0 "backup with RSA host and user keys, SHA-1 accepted"
grep -q 'warning' <<<"$ERR" && fail "a backup warned: $ERR" || pass

t_done
