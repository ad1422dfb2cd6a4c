#!/usr/bin/env bash
# The text interface without a server, in three terminals (colour UTF-8,
# vt220 with LANG=C, NO_COLOR): the main menu (against a golden screen),
# the server form validating a field as it is left and saving to the YAML,
# a masked password that never reaches the screen or the file, key
# generation from Security (with a safe No on regenerating), resizes to
# 100x30 and 60x20, and refusal to start without a terminal.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e
# Golden screens: tests/golden/tui/main.txt (first start) and
# main-after-resize.txt (the summary follows the settings, and the menu keeps
# its selection across the resizes).

# No terminal: one line, exit 2.
export REVAULT_CONFIG=$T_TMP/none/revault.yaml
run "$REVAULT" </dev/null
expect_rc 2 "no terminal"
expect_one_line "no terminal"

for mode in $TUI_MODES; do
	export REVAULT_CONFIG=$T_TMP/$mode/revault.yaml
	secret="pw-$mode-Zq81x"
	tui_start "$mode"
	tui_wait 'Main menu' "main menu shown"
	tui_golden main

	# Server form: a bad URL is refused next to the field as focus leaves.
	tui_keys s
	tui_wait 'Where backups go' "server form"
	tui_type "ftp://example.net/x"
	tui_keys Tab
	tui_wait 'does not start with' "URL checked on leaving the field"
	tui_keys Up C-u
	tui_type "sftp://backup@example.net:2222/srv/rv"
	tui_keys Tab
	tui_type "operator"
	tui_keys Tab Right Tab
	tui_type "$secret"
	tui_wait '\*{14}' "password shown as stars"
	tui_absent "$secret" "password typed"
	tui_keys F2
	tui_wait 'Saved to' "server form saved"
	tui_absent "$secret" "password after save"
	run "$REVAULT" show
	expect_out 'server.url +sftp://backup@example.net:2222/srv/rv' "form saved the URL"
	expect_out 'server.username +operator' "form saved the user"
	expect_out 'server.auth +publickey' "form saved the auth choice"
	expect_out 'server.password +\*+ \(sealed\)' "form sealed the password"
	grep -q -- "$secret" "$REVAULT_CONFIG" && fail "[$mode] password in clear in the YAML" || pass
	grep -q 'password: "sealed:v1:' "$REVAULT_CONFIG" && pass || fail "[$mode] password not sealed"

	# Esc back; F-key twin Esc-digit: Esc 1 opens help.
	tui_keys Escape
	tui_wait 'Main menu' "back to the main menu"
	tui_wait 'sftp://backup@example.net' "summary shows the server"

	# Security: generate a key, then a second time the safe default keeps it.
	tui_keys e
	tui_wait 'Master key id +none' "security screen"
	tui_keys g
	tui_wait 'Generate a new master key now' "generate confirmation"
	tui_keys y
	tui_wait 'New master key [0-9a-f]{16}' "key generated"
	id=$("$REVAULT" show | awk '$1 == "master_key.id" {print $2}')
	tui_wait "Master key id +$id" "screen shows the key id of master.key"
	tui_keys g
	tui_wait 'A master key exists' "regenerate asks"
	tui_keys Enter
	tui_wait "Master key id +$id" "Enter on the default keeps the key"
	[ "$("$REVAULT" show | awk '$1 == "master_key.id" {print $2}')" = "$id" ] && pass ||
		fail "[$mode] the default answer replaced the key"

	# Turning protection off asks first, on No: Enter keeps it on.
	tui_keys p
	tui_wait 'Turn protection off' "protected off asks"
	tui_keys Enter
	tui_wait 'Protected backups: on' "Enter on the default keeps protection"
	run "$REVAULT" show
	expect_out 'security.protected +on' "protected still on"
	# Yes turns it off and saves at once.
	tui_keys p
	tui_wait 'Turn protection off' "protected off asks again"
	tui_keys y
	tui_wait 'Protected backups: off' "protected toggled"
	run "$REVAULT" show
	expect_out 'security.protected +off' "protected off saved"
	tui_keys Escape

	# Known hosts: pin a fingerprint obtained out of band, then remove it.
	tui_keys Escape
	tui_wait 'Main menu' "main before known hosts"
	tui_keys k
	tui_wait 'No server keys trusted yet' "empty known hosts"
	tui_keys a
	tui_wait 'Host, or host:port' "add asks the host"
	tui_type "example.net:2222"
	tui_keys Enter
	tui_key_type ssh-dss
	tui_wait 'Fingerprint as' "add asks the fingerprint"
	tui_type "4d:5c:be:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d"
	tui_keys Enter
	tui_wait 'Pinned ssh-dss example.net:2222' "pinned, ssh-dss from the list"
	tui_wait 'MD5:4d:5c:be' "list shows the fingerprint"
	grep -q '4d:5c:be' "$REVAULT_CONFIG" && pass || fail "[$mode] pin not saved"
	tui_keys d
	tui_wait 'Stop trusting' "remove asks"
	tui_keys y
	tui_wait 'Removed ssh-dss example.net:2222' "removed"
	grep -q '4d:5c:be' "$REVAULT_CONFIG" && fail "[$mode] pin still saved" || pass
	tui_keys Escape

	# Backup settings: add a source and an exclude, change revisions.
	tui_wait 'Main menu' "main before backup settings"
	tui_keys o
	tui_wait 'What is backed up' "backup settings"
	tui_keys a
	tui_wait 'Absolute path' "add source asks"
	tui_type "/etc"
	tui_keys Enter
	tui_wait 'Source added' "source added"
	# The same folder in another spelling, and a folder inside it: refused
	# with the reason in the box, nothing saved.
	tui_keys a
	tui_wait 'Absolute path' "add source asks again"
	tui_type "//etc/"
	tui_keys Enter
	tui_wait '/etc is already a source' "another spelling of a source is refused"
	tui_wait '> //etc/' "the box stays open with the input"
	tui_keys Escape
	tui_gone 'Absolute path' "Esc closes the box"
	tui_keys a
	tui_wait 'Absolute path' "add source asks a third time"
	tui_type "/etc//ssh/"
	tui_keys Enter
	tui_wait 'cannot add /etc/ssh' "a source inside a source is refused"
	tui_keys Escape
	tui_gone 'Absolute path' "Esc closes the box"
	[ "$(grep -c '"/etc' "$REVAULT_CONFIG")" = 1 ] && pass || fail "[$mode] a refused source was saved"
	tui_keys x
	tui_type "*.tmp"
	tui_keys Enter
	tui_wait 'Exclude added' "exclude added"
	tui_keys Up Up Up Up Up Enter
	tui_wait 'Revisions kept on the server' "edit revisions"
	tui_keys C-u
	tui_type "7"
	tui_keys Enter
	tui_wait 'Revisions kept +7' "revisions changed"
	run "$REVAULT" show
	expect_out 'backup.sources +/etc' "source saved"
	expect_out 'backup.exclude +\*\.tmp' "exclude saved"
	expect_out 'backup.revisions +7' "revisions saved"
	tui_keys Escape

	# Help from anywhere, with Esc 1 as the F1 twin.
	tui_wait 'Main menu' "main again"
	tui_keys Escape 1
	tui_wait '^ revault: help' "help via Esc 1"
	tui_wait 'Esc then 1-9, 0' "help lists the Esc-digit twins"
	tui_keys Escape
	tui_wait 'Main menu' "help closed"

	# Resizes: bigger redraws to the new size, too small says so.
	TM resize-window -t rv -x 100 -y 30
	tui_wait '^ revault: backups of this machine {40,}revault' "redraw at 100x30"
	[ "$(tui_screen | sed -n 30p | grep -c 'F10/q Quit')" = 1 ] && pass ||
		fail "[$mode] key bar not on the last row at 100x30: $(tui_screen)"
	TM resize-window -t rv -x 60 -y 20
	tui_wait 'Terminal too small: 60x20, needs 80x24' "too-small notice"
	TM resize-window -t rv -x 80 -y 24
	tui_wait 'Main menu' "back to 80x24"
	tui_golden main-after-resize

	tui_keys q
	tui_wait '^\[exit 0\]' "q quits with 0"

	# SIGTERM: the terminal is given back (alternate screen left).
	tui_start "$mode"
	tui_wait 'Main menu' "main menu before SIGTERM"
	pid=$(pgrep -P "$(TM list-panes -t rv -F '#{pane_pid}')" -x revault || true)
	[ -n "$pid" ] && kill -TERM "$pid"
	tui_wait '^\[exit 143\]' "SIGTERM ends it"
	[ "$(TM display-message -p -t rv '#{alternate_on}')" = 0 ] && pass ||
		fail "[$mode] terminal left in the alternate screen after SIGTERM"
done
t_done
