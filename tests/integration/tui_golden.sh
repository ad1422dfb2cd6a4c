#!/usr/bin/env bash
# The look of the text interface at 80x24 against golden screens, with
# attributes (capture-pane -e), in colour (TERM=xterm-256color, UTF-8)
# and mono (TERM=vt220 LANG=C): the main menu, help, the restore picker
# without and with revisions, the fingerprint dialog, a backup's progress
# and its result. What differs from run to run (version, port, key id,
# fingerprints, dates, sizes, times, percents) is masked by tui_look_mask;
# REVAULT_GOLDEN_UPDATE=1 writes the golden files from the screens
# (docs/TUI.md, "Golden screens"). Against a real OpenSSH server behind
# the fault proxy, throttled so that the progress screen stays up.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e
need_cmd python3 python3

srv_start sshd "$T_TMP/sshd"
proxy_start slow "$SSHD_PORT" --rate 300000
url="sftp://127.0.0.1:$PROXY_PORT$SSHD_ROOT"

for mode in color vt220; do
	src=$T_TMP/src-$mode
	mkdir -p "$src/data"
	head -c 6000000 /dev/urandom >"$src/data/blob"
	rv_setup "$T_TMP/cfg-$mode" "$url" "$SSHD_USER" "$SSHD_KEY" "golden-$mode" "$src"
	rv_new_key
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"
	tui_look main-menu

	tui_keys F1
	tui_wait 'Help' "help"
	tui_look help
	tui_keys Escape
	tui_wait 'Main menu' "back from help"

	tui_keys r
	tui_wait 'New server key' "the fingerprint dialog before the first listing"
	tui_look fingerprint
	tui_type yes
	tui_keys Enter
	tui_wait 'No revisions|no revisions|nothing to restore' "the picker without revisions"
	tui_look picker-empty
	tui_keys Escape
	tui_wait 'Main menu' "back from the picker"

	tui_keys b
	tui_wait '[0-9]+%.*' "the backup's progress"
	tui_wait ' [1-9][0-9]?%' "the upload under way"
	tui_look progress
	tui_wait '^  Done' "backup done" 120
	tui_look result
	tui_keys Enter
	tui_wait 'Main menu' "back from the result"

	tui_keys r
	tui_wait '[0-9]{8}T[0-9]{6}Z' "the picker with a revision"
	tui_look picker
	tui_keys Escape
	tui_wait 'Main menu' "back from the picker"
	tui_keys q
	tui_wait '\[exit 0\]' "quit"
done
t_done
