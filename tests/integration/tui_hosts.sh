#!/usr/bin/env bash
# Known hosts → Add in the text interface, in three terminals (colour
# UTF-8, vt220 with LANG=C, NO_COLOR), without a server: the host is read
# by the same rules as `revault knownhost add` (core/url.h). A bare IPv6
# address is all address and takes port 22 (::1 was once pinned as host
# ":" port 1); a bracketed address takes a port; junk after ']' is refused
# with the reason and nothing is saved.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e

ed=SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8

# add_key HOST: Known hosts → a, the host, ssh-ed25519, the fingerprint.
add_key() {
	tui_keys a
	tui_wait 'Host, or host:port' "add asks the host ($1)"
	tui_type "$1"
	tui_keys Enter
	tui_wait 'Key type' "add asks the type ($1)"
	tui_keys C-u
	tui_type ssh-ed25519
	tui_keys Enter
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
	run "$REVAULT" knownhost list
	expect_out '^::1 +22 +ssh-ed25519 ' "[$mode] ::1 stored as host ::1, port 22"
	grep -qE '^(:|::) +1 ' <<<"$OUT" && fail "[$mode] ::1 stored as a host and a port" || pass

	add_key '[::1]:2222'
	tui_wait 'Pinned ssh-ed25519 \[::1\]:2222' "[::1]:2222 pinned"
	run "$REVAULT" knownhost list
	expect_out '^::1 +2222 +ssh-ed25519 ' "[$mode] [::1]:2222 stored as host ::1, port 2222"

	before=$(sha256sum "$REVAULT_CONFIG")
	tui_keys a
	tui_wait 'Host, or host:port' "add asks the host again"
	tui_type '[::1]x'
	tui_keys Enter
	tui_wait '"\[::1\]x" is not a host' "junk after ] refused with the reason"
	tui_absent 'Key type' "no further questions after a bad host"
	tui_keys Enter
	[ "$(sha256sum "$REVAULT_CONFIG")" = "$before" ] && pass || fail "[$mode] a refused host changed the settings"

	tui_keys Escape
	tui_wait 'Main menu' "back to the main menu"
	tui_keys q
	tui_wait '^\[exit 0\]' "quit"
done
t_done
