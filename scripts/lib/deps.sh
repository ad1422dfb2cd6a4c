# The Debian 12 packages revault needs to build, test and demo: the one
# install list. Sourced by scripts/test and scripts/demo; installs only what
# is missing, quietly. unit.deps_list (tests/unit/deps_list.sh) checks that
# every package the build or a test names — revault_require in CMake,
# need_cmd/want_cmd CMD PACKAGE, "apt-get install PACKAGE" in a skip
# reason — is here, so a test cannot need what the list lacks. Packages a
# minimal Debian already has are listed too when a test names them.
REVAULT_DEPS=(
	# build
	build-essential cmake pkg-config clang
	libssh2-1-dev libssl-dev libyaml-dev libarchive-dev libacl1-dev libncurses-dev libedit-dev libcmocka-dev zlib1g-dev
	# the servers the tests start, and their clients
	openssh-server openssh-sftp-server openssh-client proftpd-core proftpd-mod-crypto dropbear-bin openssl passwd
	# the tools the tests drive or inspect with
	tmux python3 python3-asyncssh acl attr zstd strace time
	util-linux bsdutils diffutils e2fsprogs libcap2-bin tar
	ncurses-bin # infocmp: tui_terminal checks that its unknown terminal type is unknown
	# revault schedule's units (systemd-analyze, systemctl --root); the package: shlibdeps, lintian
	systemd dpkg dpkg-dev file lintian man-db gzip
	# revault status --json
	libjson-c-dev
	faketime # a day table's change of cap during a transfer, at a chosen time of day
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
