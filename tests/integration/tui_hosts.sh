#!/usr/bin/env bash
# Known hosts → Add in the text interface, in three terminals (colour
# UTF-8, vt220 with LANG=C, NO_COLOR), without a server: the host is read
# by the same rules as `revault knownhost add` (core/url.h). A bare IPv6
# address is all address and takes port 22 (::1 was once pinned as host
# ":" port 1); a bracketed address takes a port; junk after ']' is refused
# with the reason in the box, which stays open, and nothing is saved. An ssh-rsa pin is taken with a
# warning that fits the screen; an ed25519 pin gets none.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e

ed=SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8

# add_key HOST [TYPE]: Known hosts → a, the host, the type chosen from
# the list (ssh-ed25519), the fingerprint.
add_key() {
	tui_keys a
	tui_wait 'Host, or host:port' "add asks the host ($1)"
	tui_type "$1"
	tui_keys Enter
	tui_key_type "${2:-ssh-ed25519}"
	tui_wait 'Fingerprint as' "add asks the fingerprint ($1)"
	tui_type "$ed"
	tui_keys Enter
}

for mode in $TUI_MODES; do
	export REVAULT_CONFIG=$T_TMP/$mode/revault.yaml
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"
	tui_keys k
	tui_wait 'No server keys trusted yet' "empty known hosts"

	add_key ::1
	tui_wait 'Pinned ssh-ed25519 \[::1\]:22' "::1 pinned on port 22"
	tui_absent 'with a warning' "no warning for an ed25519 pin"
	run "$REVAULT" knownhost list
	expect_out '^::1 +22 +ssh-ed25519 ' "[$mode] ::1 stored as host ::1, port 22"
	grep -qE '^(:|::) +1 ' <<<"$OUT" && fail "[$mode] ::1 stored as a host and a port" || pass

	add_key '[::1]:2222'
	tui_wait 'Pinned ssh-ed25519 \[::1\]:2222' "[::1]:2222 pinned"
	run "$REVAULT" knownhost list
	expect_out '^::1 +2222 +ssh-ed25519 ' "[$mode] [::1]:2222 stored as host ::1, port 2222"

	add_key rsa.example.com ssh-rsa
	if rsa_sha1_only; then
		tui_wait 'Pinned, with a warning' "ssh-rsa pin: the warning dialog"
		tui_wait 'an ssh-rsa key works only with servers that accept SHA-1:' "the warning says what"
		tui_wait 'OpenSSH 8.8 and later refuse the SHA-1 signatures this build' "the warning names OpenSSH 8.8"
		tui_wait 'Dropbear 2022 and AsyncSSH still' "the warning names the servers that accept it"
		tui_wait 'OpenSSH:  ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key\.pub' "the warning: OpenSSH's ed25519"
		tui_wait 'Dropbear: dropbearkey -y -f /etc/dropbear/dropbear_ed25519_host_key' \
			"the warning: Dropbear's ed25519, on one line"
		tui_wait 'ssh-keyscan -t ed25519 HOST \| ssh-keygen -lf -' "the warning: ssh-keyscan"
		tui_keys Enter
		tui_wait 'Pinned ssh-rsa rsa\.example\.com:22' "ssh-rsa pinned, said in the status line"
		tui_absent 'with a warning' "the warning dismissed"
	else
		tui_wait 'Pinned ssh-rsa rsa\.example\.com:22' "ssh-rsa pinned"
		tui_absent 'with a warning' "no warning with rsa-sha2 in libssh2"
	fi
	run "$REVAULT" knownhost list
	expect_out '^rsa\.example\.com +22 +ssh-rsa ' "[$mode] ssh-rsa pin on record"

	before=$(sha256sum "$REVAULT_CONFIG")
	tui_keys a
	tui_wait 'Host, or host:port' "add asks the host again"
	tui_type '[::1]x'
	tui_keys Enter
	tui_wait '"\[::1\]x" is not a host' "junk after ] refused with the reason"
	tui_wait 'Host, or host:port' "the host box stays open"
	tui_absent 'Type of the server' "no further questions after a bad host"
	tui_keys Escape
	tui_gone 'Host, or host:port' "the box closed with Esc"
	[ "$(sha256sum "$REVAULT_CONFIG")" = "$before" ] && pass || fail "[$mode] a refused host changed the settings"

	tui_keys Escape
	tui_wait 'Main menu' "back to the main menu"
	tui_keys q
	tui_wait '^\[exit 0\]' "quit"
done
t_done
