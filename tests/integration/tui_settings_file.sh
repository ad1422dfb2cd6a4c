#!/usr/bin/env bash
# The text interface and the settings file other commands write, in three
# terminals (colour UTF-8, vt220 with LANG=C, NO_COLOR): a change made in
# the TUI lands on the file as it is now, so `revault set` and `revault
# source remove` from a shell while the TUI is open are kept; and a save
# that fails (the settings' folder on a full tmpfs) puts the settings back
# to what the file holds, on screen and in memory, so the refused value is
# not written later with the next change. The reasons a screen shows name
# its screens and keys, not command lines or setting keys.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e

[ "$(id -u)" = 0 ] || skip "needs root to mount a small tmpfs for the settings' folder"
small=$T_TMP/small
mkdir -p "$small"
mount -t tmpfs -o size=1m,mode=700 tmpfs "$small" 2>"$T_TMP/.mount-err" ||
	skip "cannot mount a tmpfs here: $(cat "$T_TMP/.mount-err")"
t_on_exit "umount -l '$small'"

show_value() { "$REVAULT" show 2>/dev/null | awk -v k="$1" '$1 == k {print $2}'; }
has_value() { [ "$(show_value "$1")" = "$2" ] && pass || fail "[$TUI_MODE] $3: $1 is $(show_value "$1"), want $2"; }

mkdir -p "$T_TMP/keep" "$T_TMP/gone"
for mode in $TUI_MODES; do
	export REVAULT_CONFIG=$small/cfg-$mode/revault.yaml
	mkdir -p "$small/cfg-$mode"
	"$REVAULT" source add "$T_TMP/keep" >/dev/null
	"$REVAULT" source add "$T_TMP/gone" >/dev/null
	"$REVAULT" set server.url "sftp://127.0.0.1:1/nowhere" >/dev/null
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"
	tui_keys o
	tui_wait 'Revisions kept +10' "backup settings"
	tui_wait "$T_TMP/gone" "the screen lists both sources"

	# Another revault writes the file while the screen shows it.
	"$REVAULT" set backup.revisions 7 >/dev/null
	"$REVAULT" source remove "$T_TMP/gone" >/dev/null
	tui_keys Down Enter
	tui_wait 'zstd level' "the compression box"
	tui_type 5
	tui_keys Enter
	tui_wait 'Compression \(zstd\): 5 \(saved\)' "the compression saved"
	has_value backup.compression 5 "the TUI's change"
	has_value backup.revisions 7 "revault set from a shell is kept"
	if "$REVAULT" show | grep -q "$T_TMP/gone"; then
		fail "[$mode] the source removed from a shell is back: $("$REVAULT" show)"
	else
		pass
	fi
	tui_wait 'Revisions kept +7 *$' "the screen shows the file's revisions"
	if tui_screen | grep -q "$T_TMP/gone"; then fail "[$mode] the removed source is still listed"; else pass; fi

	# A save that fails: the folder is full.
	dd if=/dev/zero of="$small/fill" bs=4k 2>/dev/null || true
	tui_keys Up Enter
	tui_wait 'Revisions kept on the server' "the revisions box"
	tui_type 9
	tui_keys Enter
	tui_wait 'Not saved: cannot write' "the status says why it was not saved"
	tui_wait 'Revisions kept +7 *$' "the row shows what the file holds, not the refused 9"
	rm -f "$small/fill"
	tui_keys Down Enter
	tui_wait 'zstd level' "the compression box again"
	tui_type 3
	tui_keys Enter
	tui_wait 'Compression \(zstd\): 3 \(saved\)' "the next change saved"
	has_value backup.compression 3 "the next change"
	has_value backup.revisions 7 "the refused 9 is not saved with the next change"
	# A refused exclude names the screen, not a command line.
	tui_keys x
	tui_wait 'Pattern to leave out' "the exclude box"
	tui_type '/nowhere/*.tmp'
	tui_keys Enter
	tui_wait 'can never match' "the exclude is refused in its box"
	tui_wait 'Backup settings lists' "the reason names the screen"
	tui_absent 'revault show' "the reason names no command line"
	tui_keys Escape
	tui_keys Escape
	tui_wait 'Main menu' "back to the main menu"

	# No master key: the way round names Security's key, not a setting.
	tui_keys b
	tui_wait 'no master key' "a backup without a master key"
	tui_wait 'Security (->|→) p Protected' "the hint names Security's p"
	tui_absent 'security\.protected' "the hint names no setting"
	tui_keys Enter
	tui_wait 'Main menu|Enter or Esc goes back' "the message closed"
	tui_keys Escape
	tui_wait 'Main menu' "back to the main menu after the failed backup"
	tui_keys q
	tui_wait '\[exit 0\]' "quit"
done
t_done
