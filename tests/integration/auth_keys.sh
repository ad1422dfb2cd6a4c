#!/usr/bin/env bash
# Key authentication against a real OpenSSH: a private ssh-agent (with a
# key, without keys, not running), passphrase-protected keys (ed25519 in
# OpenSSH format, ecdsa in PEM) with the passphrase stored through
# `password set --identity --fd 3` and refused when wrong, a key the server
# does not know, and an RSA user key, which libssh2 1.10 cannot use against
# OpenSSH 9 (no rsa-sha2) and which gets its own explanation.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
need_cmd ssh-keygen openssh-client
need_cmd ssh-agent openssh-client
need_cmd ssh-add openssh-client

srv_start sshd "$T_TMP/sshd"
url="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
src=$T_TMP/src
mkdir -p "$src"
printf 'conf\n' >"$src/app.conf"
random_file "$src/blob.bin" 200000
unset SSH_AUTH_SOCK SSH_AGENT_PID

# setup NAME AUTH [IDENTITY]: fresh settings, key and trusted host.
setup() {
	local name=$1 auth=$2 id=${3:-}
	mkdir -p "$T_TMP/cfg-$name"
	export REVAULT_CONFIG=$T_TMP/cfg-$name/revault.yaml
	rv_ok "$name: set server.url" set server.url "$url"
	rv_ok "$name: set server.username" set server.username "$SSHD_USER"
	rv_ok "$name: set server.auth" set server.auth "$auth"
	[ -z "$id" ] || rv_ok "$name: set server.identity" set server.identity "$id"
	rv_ok "$name: set backup.device" set backup.device "dev-$name"
	rv_ok "$name: source add" source add "$src"
	rv_new_key
	rv_trust
}

# authorize PUBFILE: the server accepts this key too.
authorize() { cat "$1" >>"$SSHD_DIR/authorized_keys"; }

# secret_file NAME TEXT: TEXT in a file only the owner reads.
secret_file() { (umask 077 && printf '%s\n' "$2" >"$T_TMP/$1"); }

# --- ssh-agent ----------------------------------------------------------------
sock=$T_TMP/agent.sock
eval "$(ssh-agent -s -a "$sock")" >/dev/null
agent_pid=$SSH_AGENT_PID
t_on_exit "kill $agent_pid 2>/dev/null"
unset SSH_AUTH_SOCK SSH_AGENT_PID

setup agent agent
rv backup
expect_rc 4 "agent: SSH_AUTH_SOCK not set"
expect_one_line "agent: no agent"
expect_err 'ssh-add' "agent: no agent: the line says to add a key with ssh-add"

export SSH_AUTH_SOCK=$sock
ssh-add -q "$SSHD_KEY" 2>/dev/null
rv backup
expect_rc 0 "agent: backup with the key in the agent"
rv restore latest --to "$T_TMP/agent-out"
expect_rc 0 "agent: restore --to"
expect_same_tree "$src" "$T_TMP/agent-out$src" "agent: restored tree"

ssh-add -q -D 2>/dev/null
rv list
expect_rc 4 "agent: agent without keys"
expect_one_line "agent: agent without keys"
expect_err 'ssh-add' "agent: empty agent: the line says to add a key with ssh-add"

# An agent holding only a key the server does not know.
ssh-keygen -q -t ed25519 -N '' -C stranger -f "$T_TMP/stranger"
ssh-add -q "$T_TMP/stranger" 2>/dev/null
rv list
expect_rc 4 "agent: only an unknown key in the agent"
expect_one_line "agent: unknown key"
expect_err 'agent' "agent: unknown key: the line names the agent"

export SSH_AUTH_SOCK=$T_TMP/no-such-agent.sock
rv list
expect_rc 4 "agent: SSH_AUTH_SOCK names no agent"
expect_one_line "agent: dead agent"
unset SSH_AUTH_SOCK

# --- passphrase-protected keys -----------------------------------------------
pass1="ed-pass-$RANDOM$RANDOM"
secret_file ed.pass "$pass1"
secret_file wrong.pass "wrong-$RANDOM"
ssh-keygen -q -t ed25519 -N "$pass1" -C protected-ed25519 -f "$T_TMP/id_ed_enc"
authorize "$T_TMP/id_ed_enc.pub"

setup encrypted publickey "$T_TMP/id_ed_enc"
rv list
expect_rc 4 "encrypted ed25519: no passphrase stored"
expect_one_line "encrypted ed25519: no passphrase"
expect_err 'password set --identity' "encrypted ed25519: no passphrase: the line says how to store it"
rv password set --identity --fd 3 3<"$T_TMP/ed.pass"
expect_rc 0 "encrypted ed25519: password set --identity --fd 3"
rv show
expect_out '^server\.identity_passphrase +\*+ \(sealed\)' "encrypted ed25519: show masks the passphrase"
rv backup
expect_rc 0 "encrypted ed25519: backup with the stored passphrase"
rv restore latest --to "$T_TMP/enc-out"
expect_rc 0 "encrypted ed25519: restore --to"
expect_same_tree "$src" "$T_TMP/enc-out$src" "encrypted ed25519: restored tree"
rv password set --identity --fd 3 3<"$T_TMP/wrong.pass"
expect_rc 0 "encrypted ed25519: store a wrong passphrase"
rv list
expect_rc 4 "encrypted ed25519: wrong passphrase"
expect_one_line "encrypted ed25519: wrong passphrase"
expect_err 'wrong passphrase' "encrypted ed25519: wrong passphrase: the line says so"

pass2="ec-pass-$RANDOM$RANDOM"
secret_file ec.pass "$pass2"
ssh-keygen -q -t ecdsa -b 256 -m PEM -N "$pass2" -C protected-ecdsa-pem -f "$T_TMP/id_ec_pem"
grep -q 'BEGIN EC PRIVATE KEY' "$T_TMP/id_ec_pem" && pass || fail "ssh-keygen -m PEM did not write a PEM key"
authorize "$T_TMP/id_ec_pem.pub"
setup pem publickey "$T_TMP/id_ec_pem"
rv password set --identity --fd 3 3<"$T_TMP/ec.pass"
expect_rc 0 "ecdsa PEM: password set --identity --fd 3"
rv backup
expect_rc 0 "ecdsa PEM: backup with the stored passphrase"
rv password set --identity --fd 3 3<"$T_TMP/wrong.pass"
rv list
expect_rc 4 "ecdsa PEM: wrong passphrase"
expect_one_line "ecdsa PEM: wrong passphrase"
expect_err 'wrong passphrase' "ecdsa PEM: wrong passphrase: the line says so"

# --- keys the server refuses ----------------------------------------------------
setup stranger publickey "$T_TMP/stranger"
rv list
expect_rc 4 "unknown key"
expect_one_line "unknown key"
expect_err 'authorized_keys' "unknown key: the line says where the key must go"

ssh-keygen -q -t rsa -b 2048 -N '' -C rsa-user -f "$T_TMP/id_rsa"
authorize "$T_TMP/id_rsa.pub"
setup rsa publickey "$T_TMP/id_rsa"
rv list
expect_rc 4 "RSA user key"
expect_one_line "RSA user key"
expect_err 'RSA' "RSA user key: the line names RSA"
expect_err 'SHA-1' "RSA user key: the line says why (SHA-1)"
expect_err 'ed25519' "RSA user key: the line suggests an ed25519 key"

rv_ok "missing identity: set server.identity" set server.identity "$T_TMP/no-such-key"
rv list
expect_rc 2 "identity file missing"
expect_one_line "identity file missing"
expect_err 'no-such-key' "identity file missing: the line names the file"

t_done
