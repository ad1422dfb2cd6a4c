#!/usr/bin/env bash
# Typing at the first position of a field inserts there and keeps the rest
# of the value, in three terminals (colour UTF-8, vt220 with LANG=C,
# NO_COLOR), for every way of reaching column 0: Home, Ctrl-A, Left from
# the selected value, and Backspace to empty then typing. Checked in the
# Server form's text fields (Server URL, User name), in a masked field
# (Password, by its stars) and in an entry box (Backup settings -> Device
# name), and read back from the settings file where saved.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e

show_value() { "$REVAULT" show 2>/dev/null | awk -v k="$1" '$1 == k {print $2}'; }
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

# device_box KEYS... TEXT WANT: opens Device name's box, presses KEYS, types
# TEXT, Enter; the device saved is WANT.
device_box() {
	local want=${*: -1} text=${*: -2:1}
	tui_keys Enter
	tui_wait 'Folder name on the server' "the device box"
	tui_keys "${@:1:$#-2}"
	tui_type "$text"
	tui_keys Enter
	saved_value backup.device "$want" "device box: ${*:1:$#-2} then $text"
}

for mode in $TUI_MODES; do
	export REVAULT_CONFIG=$T_TMP/cfg-$mode/revault.yaml
	mkdir -p "$T_TMP/cfg-$mode"
	"$REVAULT" set server.url sftp://h.example/x >/dev/null
	"$REVAULT" set server.username root >/dev/null
	"$REVAULT" set backup.device dev >/dev/null
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"

	# Server URL, focused and selected on arrival.
	tui_keys s
	tui_wait 'Server URL +sftp://h\.example/x' "server form"
	# The key vt220 has at Home's place (Find, ESC [ 1 ~) is Home.
	tui_keys Home
	tui_type w
	tui_wait 'Server URL +wsftp://h\.example/x' "Home then a character inserts at the start"
	tui_keys C-a
	tui_type v
	tui_wait 'Server URL +vwsftp://h\.example/x' "Ctrl-A then a character inserts at the start"
	tui_keys C-a DC DC
	tui_wait 'Server URL +sftp://h\.example/x *$' "Delete at the start takes them out again"
	# Left from the selection keeps the value for editing.
	tui_keys Tab Up
	tui_keys Right Left
	tui_type z
	tui_wait 'Server URL +zsftp://h\.example/x' "Right, Left then a character inserts at the start"
	tui_keys C-a DC
	# User name: each way, each time from the selection.
	tui_keys Tab
	tui_wait 'User name +root' "user name"
	tui_keys Home
	tui_type A
	tui_wait 'User name +Aroot' "Home in User name"
	tui_keys C-e C-a
	tui_type B
	tui_wait 'User name +BAroot' "Ctrl-E, Ctrl-A in User name"
	tui_keys Tab Up
	tui_keys Left
	tui_type C
	tui_wait 'User name +CBAroot' "Left from the selection in User name"
	tui_keys Tab Up
	tui_keys BSpace
	tui_wait 'User name *$' "Backspace on the selection empties it"
	tui_type op
	tui_keys Left Left
	tui_type x
	tui_wait 'User name +xop *$' "typed into the emptied field, then at its start"
	# Password (masked): Home then a character adds a fourth star.
	tui_keys Tab Tab
	tui_type pw
	tui_keys C-a
	tui_type X
	tui_wait 'Password +\*\*\* *$' "a character at the start of the password is added"
	tui_keys C-u
	tui_keys F2
	tui_wait 'Saved to' "saved"
	saved_value server.username xop "the user name saved"
	saved_value server.url sftp://h.example/x "the URL saved"
	tui_keys Escape
	tui_wait 'Main menu' "back to the main menu"

	# Backup settings -> Device name: the entry box.
	tui_keys o
	tui_wait 'Device name +dev' "backup settings"
	tui_keys Down Down
	device_box Home A Adev
	device_box C-a B BAdev
	device_box C-e C-a C CBAdev
	device_box Left D DCBAdev
	device_box Right Left E EDCBAdev
	device_box BSpace ab ab
	tui_keys Escape
	tui_wait 'Main menu' "back to the main menu"
	tui_keys q
	tui_wait '\[exit 0\]' "quit"
done
t_done
