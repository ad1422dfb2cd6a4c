#!/usr/bin/env bash
# A refused value's reason is shown whole under the field of its box, in
# three terminals (colour UTF-8, vt220 with LANG=C, NO_COLOR): the reason
# for a bandwidth day table out of order (four rows at 80 columns) ends
# with its last words in view; a reason longer than the rows a field has
# for it (a 250-character device name) ends in an ellipsis ("..." with
# LANG=C) instead of stopping silently; and under UTF-8 the reason wraps
# by display columns, not bytes (60 two-byte letters stay on one row).
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e

long=$(printf 'd%.0s' $(seq 250))
for mode in $TUI_MODES; do
	export REVAULT_CONFIG=$T_TMP/cfg-$mode/revault.yaml
	mkdir -p "$T_TMP/cfg-$mode"
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"
	tui_keys o
	tui_wait 'Revisions kept +10' "backup settings"

	# Bandwidth: the whole reason, to its last words.
	tui_keys Down Down Down Down Enter
	tui_wait 'bytes/s' "the bandwidth box"
	tui_keys C-u
	tui_type '08:00,512k 18:00,off 07:00,1M'
	tui_keys Enter
	tui_wait 'does not come after 18:00' "the reason starts"
	tui_wait 'like "08:00,512k 18:00,off" *[|│x]' "the reason ends in view"
	tui_absent '…|[a-z,]\.\.\. *[|│x]' "a reason that fits has no ellipsis"
	tui_keys Escape
	tui_gone 'bytes/s' "the box closed"

	# Device name: a reason longer than its rows is cut with an ellipsis.
	tui_keys Up Up Enter
	tui_wait 'Folder name on the server' "the device box"
	tui_type "$long"
	tui_keys Enter
	tui_wait 'must be 1-64 letters' "the reason"
	if [ "$mode" = vt220 ]; then
		tui_wait 'dd\.\.\. *[|x]' "the cut reason ends in ..."
	else
		tui_wait 'dd… *[│x]' "the cut reason ends in an ellipsis"
	fi
	tui_keys Escape
	tui_gone 'Folder name on the server' "the box closed"

	# Wrapped by columns: 60 two-byte letters and their quotes on one row.
	if [ "$mode" != vt220 ]; then
		tui_keys Enter
		tui_wait 'Folder name on the server' "the device box"
		tui_keys C-u
		tui_type "$(printf 'é%.0s' $(seq 60))"
		tui_keys Enter
		tui_wait 'must be 1-64 letters' "the reason"
		tui_wait '"(é){60}"' "the quoted name is one row of 62 columns"
		tui_keys Escape
		tui_gone 'Folder name on the server' "the box closed"
	fi
	tui_keys Escape
	tui_wait 'Main menu' "back to the main menu"
	tui_keys q
	tui_wait '\[exit 0\]' "quit"
done
t_done
