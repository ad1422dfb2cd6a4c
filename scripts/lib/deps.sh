# The Debian 12 packages revault needs to build, test and demo. Sourced by
# scripts/test and scripts/demo; installs only what is missing, quietly.
REVAULT_DEPS=(
	build-essential cmake pkg-config clang
	libssh2-1-dev libssl-dev libyaml-dev libarchive-dev libncurses-dev libcmocka-dev zlib1g-dev
	openssh-server openssh-client proftpd-core proftpd-mod-crypto
	tmux python3 acl attr zstd
)

deps_install() {
	local missing=()
	for p in "${REVAULT_DEPS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null; then
			sudo_cmd=sudo
		else
			echo "scripts: missing packages: ${missing[*]} (run as root, or install them)" >&2
			return 1
		fi
	else
		sudo_cmd=
	fi
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo_cmd apt-get update -qq >/dev/null
	# proftpd's package starts a system daemon; revault's tests start their own.
	$sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	if [ -d /run/systemd/system ]; then
		$sudo_cmd systemctl disable --now proftpd >/dev/null 2>&1 || true
	fi
}
