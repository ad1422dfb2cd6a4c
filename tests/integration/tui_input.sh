#!/usr/bin/env bash
# Entry boxes and fields of the text interface, in three terminals (colour
# UTF-8, vt220 with LANG=C, NO_COLOR), read back from the settings file
# they write: a pre-filled value is selected on entry (drawn as selected)
# and typing replaces it (10 then 3 saves 3, not 103); the status line
# says the value that was saved (a source as normalised); a value the
# settings refuse keeps the box open with the reason and the input as
# typed, and nothing changes; the key type of Known hosts -> Add is chosen
# from a list (ssh-rsa from the list, not typed over ssh-ed25519), and a
# host or fingerprint that does not read keeps its box open; a URL longer
# than its 60-column field scrolls inside it and is saved whole, and the
# saved URL is selected and replaced when its field is entered again.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e
need_cmd ssh-keygen openssh-client

# show_value KEY: the value `revault show` prints for KEY.
show_value() { "$REVAULT" show 2>/dev/null | awk -v k="$1" '$1 == k {print $2}'; }

# saved_value KEY VALUE DESCRIPTION: until the settings file holds VALUE
# for KEY (a status line left from an earlier save says nothing new).
saved_value() {
	local deadline=$((SECONDS + TUI_TIMEOUT))
	while [ "$(show_value "$1")" != "$2" ]; do
		if ((SECONDS >= deadline)); then
			fail "[$TUI_MODE] $3: $1 is $(show_value "$1"), want $2"
			return 1
		fi
		sleep 0.1
	done
	pass
}

# selected VALUE DESCRIPTION: VALUE is drawn in the selection role (colour:
# cyan background; otherwise reverse video), read through capture-pane -e:
# the SGR codes right before it (and the blanks that lead its row) hold 46
# or 7.
selected() {
	local want=46 sgr deadline=$((SECONDS + TUI_TIMEOUT))
	[ "$TUI_MODE" = color ] || want=7
	while :; do
		sgr=$(TM capture-pane -e -p -t rv | grep -oaE $'(\e\\[[0-9;]*m)+ *'"$1" | tr -d $'\e' | tr '[m' ';;' || true)
		if grep -qE "(^|;)$want;" <<<"$sgr"; then
			pass
			return 0
		fi
		((SECONDS < deadline)) || break
		sleep 0.1
	done
	fail "[$TUI_MODE] $2: /$1/ is not drawn with SGR $want: $(printf '%s' "$sgr" | cat -v)
$(tui_screen)"
}

ssh-keygen -q -t rsa -b 2048 -N '' -C '' -f "$T_TMP/hostkey" </dev/null
fp=$(ssh-keygen -l -E sha256 -f "$T_TMP/hostkey.pub" | awk '{print $2}')
long_url="sftp://backup-operator@backup-server.example.net:2222/srv/backups/appliances/rack-07/unit-3"

for mode in $TUI_MODES; do
	export REVAULT_CONFIG=$T_TMP/cfg-$mode/revault.yaml
	mkdir -p "$T_TMP/cfg-$mode"
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"

	# Backup settings -> Revisions kept: the 10 is selected, 3 replaces it.
	tui_keys o
	tui_wait 'Revisions kept +10' "backup settings"
	tui_keys Enter
	tui_wait '> 10' "the box is pre-filled"
	selected '10' "the pre-filled value is selected"
	tui_type 3
	tui_wait '> 3 ' "typing replaced the value"
	tui_keys Enter
	tui_wait 'Revisions kept: 3 \(saved\)' "the status says the value saved"
	tui_wait 'Revisions kept +3 *$' "the list shows 3"
	[ "$(show_value backup.revisions)" = 3 ] && pass || fail "[$mode] saved revisions: $(show_value backup.revisions), want 3"

	# Backspace on the selection clears it; the typed value goes in.
	tui_keys Enter
	tui_wait '> 3' "the box again"
	tui_keys BSpace
	tui_type 12
	tui_keys Enter
	tui_wait 'Revisions kept: 12 \(saved\)' "Backspace cleared the selected value"

	# Out of range: the box stays open with the reason and 5000 as typed.
	tui_keys Enter
	tui_wait '> 12' "the box again"
	tui_type 5000
	tui_keys Enter
	tui_wait '1-1000' "the reason is shown in the box"
	tui_wait '> 5000' "the input is kept"
	tui_wait 'Revisions kept on the server' "the box is still open"
	# Fixed in the box: the cursor is at the end, the value no longer selected.
	tui_keys BSpace BSpace BSpace
	tui_type 00
	tui_keys Enter
	tui_wait 'Revisions kept: 500 \(saved\)' "the corrected value is saved"
	[ "$(show_value backup.revisions)" = 500 ] && pass || fail "[$mode] saved revisions: $(show_value backup.revisions), want 500"
	# Esc on a refused value changes nothing.
	tui_keys Enter
	tui_wait '> 500' "the box again"
	tui_type 0
	tui_keys Enter
	tui_wait '1-1000' "0 is refused in the box"
	tui_keys Escape
	tui_wait 'Revisions kept +500 *$' "Esc leaves the saved value"
	[ "$(show_value backup.revisions)" = 500 ] && pass || fail "[$mode] revisions after Esc: $(show_value backup.revisions)"
	# A source says the path as saved, not as typed.
	tui_keys a
	tui_wait 'Absolute path' "the source box"
	tui_type '//etc//'
	tui_keys Enter
	tui_wait 'Source added: /etc \(saved\)' "the status says the source as saved"
	tui_keys Escape
	tui_wait 'Main menu' "back to the main menu"

	# Known hosts -> Add: a bad port keeps the box; the type from a list.
	tui_keys k
	tui_wait 'No server keys trusted yet' "known hosts"
	tui_keys a
	tui_wait 'Host, or host:port' "the host box"
	tui_type 'backup.example.net:99999'
	tui_keys Enter
	tui_wait 'Host, or host:port' "a bad port keeps the box open"
	tui_wait '99999' "the input is kept"
	tui_wait 'port' "the reason names the port"
	tui_keys C-u
	tui_type 'backup.example.net:2222'
	tui_keys Enter
	tui_wait 'Type of the server.s host key' "the key type list"
	tui_wait 'ssh-ed25519' "the list offers ssh-ed25519"
	tui_wait 'ecdsa-sha2-nistp384' "the list offers ecdsa"
	tui_wait 'ssh-rsa' "the list offers ssh-rsa"
	selected 'ssh-ed25519' "the list starts on ssh-ed25519"
	tui_keys Down Down Down Down
	selected 'ssh-rsa' "Down moves to ssh-rsa"
	tui_keys Enter
	tui_wait 'Fingerprint as' "the fingerprint box"
	tui_type 'SHA256:not-a-fingerprint'
	tui_keys Enter
	tui_wait 'Fingerprint as' "a bad fingerprint keeps the box open"
	tui_wait 'SHA256:not-a-fingerprint' "the input is kept"
	tui_keys C-u
	tui_type "$fp"
	tui_keys Enter
	tui_wait 'Pinned ssh-rsa backup\.example\.net:2222' "pinned as ssh-rsa"
	# With a libssh2 older than 1.11 the pin comes with a note on ssh-rsa,
	# drawn together with the status line.
	if tui_screen | grep -q 'Pinned, with a warning'; then
		tui_keys Enter
		tui_wait 'Server keys trusted' "the note closed"
	fi
	run "$REVAULT" knownhost list
	expect_out "backup\.example\.net +2222 +ssh-rsa +[^ ]+ +$(re "$fp")" "[$mode] the pin is saved with the chosen type"
	tui_keys Escape
	tui_wait 'Main menu' "back to the main menu"

	# Server: a URL wider than its 60-column field scrolls inside it.
	tui_keys s
	tui_wait 'Server URL' "server form"
	tui_type "$long_url"
	tui_wait 'rack-07/unit-3' "the end of the URL is in view while typing"
	tui_absent 'Server URL +sftp://' "the start has scrolled out of the field"
	tui_absent 'unit-3.*unit-3|sftp://backup-operator.*rack-07/unit-3' "the field shows one stretch of it"
	tui_keys C-a
	tui_wait 'Server URL +sftp://backup-operator@' "Home scrolls back to the start"
	tui_absent 'unit-3' "the end is out of view again"
	tui_keys F2
	tui_wait 'Saved to' "saved"
	[ "$(show_value server.url)" = "$long_url" ] && pass || fail "[$mode] saved URL: $(show_value server.url)"
	tui_wait 'Server URL +sftp://backup-operator@' "after saving the field shows the saved URL from its start"
	# Back into the field (Up: vt220 has no back-tab key): the saved URL is
	# selected and typing replaces it.
	tui_keys Tab
	tui_keys Up
	selected 'sftp://backup-operator@' "the URL is selected when the field is entered again"
	tui_type 'sftp://other.example.net/x'
	tui_wait 'Server URL +sftp://other\.example\.net/x *$' "typing replaced the whole URL"
	tui_keys F2
	saved_value server.url sftp://other.example.net/x "the new URL saved"
	tui_keys Escape
	tui_wait 'Main menu' "back to the main menu"
	tui_keys q
	tui_wait '\[exit 0\]' "quit"
done
t_done
