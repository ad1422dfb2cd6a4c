#!/usr/bin/env bash
# The bandwidth cap in the text interface's Backup settings, in the three
# terminals: the row shows the setting, Enter edits it, a bad value is
# refused in its box (kept there to correct; Esc leaves the file as it
# was), a good one (a day table) is saved in its one spelling, which the
# status line says.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e

for mode in $TUI_MODES; do
	export REVAULT_CONFIG=$T_TMP/$mode/revault.yaml
	run "$REVAULT" set backup.bandwidth 2M
	expect_rc 0 "[$mode] set backup.bandwidth 2M"
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"
	tui_keys o
	tui_wait 'What is backed up, and how' "backup settings"
	tui_wait 'Bandwidth cap +2M' "the row shows the cap"
	tui_keys Down Down Down Down Enter
	tui_wait '16Mbit, or 08:00,512k 18:00,off' "the edit names the forms"
	tui_keys C-u
	tui_type "5x"
	tui_keys Enter
	tui_wait '"5x" is not a rate' "a bad cap is refused"
	tui_wait '16Mbit, or 08:00,512k 18:00,off' "the box stays open with the refusal"
	before=$(cat "$REVAULT_CONFIG")
	tui_keys Escape
	tui_wait 'Bandwidth cap +2M' "the cap is unchanged"
	[ "$(cat "$REVAULT_CONFIG")" = "$before" ] && pass || fail "[$mode] a refused cap changed the file"
	tui_keys Enter
	tui_wait '16Mbit, or 08:00,512k 18:00,off' "the edit again"
	tui_keys C-u
	tui_type "08:00,512k  18:00,off"
	tui_keys Enter
	tui_wait 'Bandwidth cap: 08:00,512k 18:00,off \(saved\)' "saved, in its one spelling"
	tui_wait 'Bandwidth cap +08:00,512k 18:00,off' "the row shows the table"
	run "$REVAULT" show
	expect_out '^backup.bandwidth +08:00,512k 18:00,off$' "[$mode] the table is saved"
	tui_keys q
	tui_wait '\[exit 0\]' "quit"
done

t_done
