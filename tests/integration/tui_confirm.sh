#!/usr/bin/env bash
# Every yes/no question of the text interface names its answers
# ("y: Yes; n, Esc or Enter: No") and keeps to them, in three terminals
# (colour UTF-8, vt220 with LANG=C, NO_COLOR): Enter is No even after
# Right, Left or Tab, which used to move a highlight onto Yes. Checked on
# the questions that did not name their keys: unsaved changes in the
# Server form, Generate master key, and Remove server key, each read back
# (the form still open, no key file, the pin still listed).
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e
need_cmd ssh-keygen openssh-client

ssh-keygen -q -t ed25519 -N '' -C '' -f "$T_TMP/hostkey" </dev/null
fp=$(ssh-keygen -l -E sha256 -f "$T_TMP/hostkey.pub" | awk '{print $2}')
answers='y: Yes; n, Esc or Enter: No'

for mode in $TUI_MODES; do
	export REVAULT_CONFIG=$T_TMP/cfg-$mode/revault.yaml
	mkdir -p "$T_TMP/cfg-$mode"
	rv_ok "pin a host key" knownhost add backup.example.net ssh-ed25519 "$fp"
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"

	# Server form, changed, Esc: Unsaved changes.
	tui_keys s
	tui_wait 'Server URL' "server form"
	tui_type sftp://h.example/x
	tui_keys Escape
	tui_wait 'Leave the server form without saving' "the unsaved changes question"
	tui_wait "$answers" "it names its answers"
	tui_keys Right Enter
	tui_gone 'Leave the server form without saving' "Right, Enter answered"
	tui_wait 'Server URL +sftp://h\.example/x' "Enter was No: the form and its edit stay"
	tui_keys Escape
	tui_wait 'Leave the server form without saving' "asked again"
	tui_keys Tab Enter
	tui_gone 'Leave the server form without saving' "Tab, Enter answered"
	tui_wait 'Server URL +sftp://h\.example/x' "Enter after Tab was No"
	tui_keys Escape
	tui_wait 'Leave the server form without saving' "asked again"
	tui_keys y
	tui_wait 'Main menu' "y leaves"

	# Security -> Generate master key.
	tui_keys e
	tui_wait 'Master key id +none' "security"
	tui_keys g
	tui_wait 'Generate a new master key now' "the generate question"
	tui_wait "$answers" "it names its answers"
	tui_keys Left Enter
	tui_gone 'Generate a new master key now' "Left, Enter answered"
	[ ! -e "$T_TMP/cfg-$mode/master.key" ] \
		&& pass || fail "[$mode] a key was made after Enter: $(ls "$T_TMP/cfg-$mode")"
	tui_keys Escape
	tui_wait 'Main menu' "back to the main menu"

	# Known hosts -> Remove.
	tui_keys k
	tui_wait 'backup\.example\.net' "the pin is listed"
	tui_keys d
	tui_wait "$answers" "the remove question names its answers"
	tui_keys Right Enter
	tui_gone "$answers" "Right, Enter answered"
	run "$REVAULT" knownhost list
	expect_out 'backup\.example\.net' "[$mode] Enter was No: the pin stays"
	tui_keys Escape
	tui_wait 'Main menu' "back to the main menu"
	tui_keys q
	tui_wait '\[exit 0\]' "quit"
done
t_done
