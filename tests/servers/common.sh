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

# hostkey_env PREFIX DIR: the env lines PREFIX_HOSTKEY_{ED25519,ECDSA,RSA}_
# {SHA256,MD5} for the host keys DIR/hostkey_TYPE.pub, as ssh-keygen -l
# prints them; empty for a type not served.
hostkey_env() {
	local prefix=$1 dir=$2 t up

	for t in ed25519 ecdsa rsa; do
		up=${t^^}
		if [ -f "$dir/hostkey_$t.pub" ]; then
			printf '%s_HOSTKEY_%s_SHA256=%q\n' "$prefix" "$up" "$(fingerprint "$dir/hostkey_$t.pub" sha256)"
			printf '%s_HOSTKEY_%s_MD5=%q\n' "$prefix" "$up" "$(fingerprint "$dir/hostkey_$t.pub" md5)"
		else
			printf '%s_HOSTKEY_%s_SHA256=\n%s_HOSTKEY_%s_MD5=\n' "$prefix" "$up" "$prefix" "$up"
		fi
	done
}

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

# test_account DIR PREFIX: makes (or reuses) DIR's throwaway local account,
# PREFIX-xxxxxx, with a home, a /bin/sh shell and a random password kept
# only in DIR/pw (0600; set through chpasswd on stdin, never on a command
# line). Sets acct and home. DIR/account names it; DIR/account_created
# marks an account this DIR made, the only kind test_account_remove removes.
test_account() {
	local dir=$1 prefix=$2 pass

	command -v useradd >/dev/null && command -v chpasswd >/dev/null ||
		skip "useradd or chpasswd is missing: apt-get install passwd"
	acct=$(cat "$dir/account" 2>/dev/null || true)
	if [ -z "$acct" ] || ! getent passwd "$acct" >/dev/null; then
		rm -f "$dir/account_created" "$dir/pw"
		acct=$prefix-$(tr -dc 'a-z0-9' </dev/urandom | head -c 6)
		useradd -m -s /bin/sh -c "revault test account" "$acct" 2>"$dir/useradd.err" ||
			die "useradd $acct failed: $(head -1 "$dir/useradd.err")"
		printf '%s\n' "$acct" >"$dir/account"
		: >"$dir/account_created"
	fi
	if [ ! -s "$dir/pw" ]; then
		pass=$(openssl rand -base64 18 2>/dev/null || tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24)
		(umask 077 && printf '%s\n' "$pass" >"$dir/pw")
		printf '%s:%s\n' "$acct" "$pass" | chpasswd || die "chpasswd for $acct failed"
		pass=""
	fi
	chmod 600 "$dir/pw"
	home=$(getent passwd "$acct" | cut -d: -f6)
	[ -n "$home" ] && [ -d "$home" ] || die "$acct has no home folder"
}

# test_account_remove DIR PREFIX: removes DIR's account, only when DIR made
# it and its name has PREFIX.
test_account_remove() {
	local dir=$1 prefix=$2 user

	[ -f "$dir/account_created" ] || return 0
	user=$(cat "$dir/account" 2>/dev/null)
	case $user in
	"$prefix"-*) userdel -f -r "$user" >/dev/null 2>&1 ;;
	esac
	rm -f "$dir/account_created" "$dir/account" "$dir/pw"
	return 0
}
