#!/usr/bin/env bash
# Details of the text interface, against a real OpenSSH server, in three
# terminals (colour UTF-8, vt220 with LANG=C, NO_COLOR): a value too long
# for its place (the server URL on the main menu, a fingerprint in Known
# hosts) ends in an ellipsis (… in UTF-8, ... under LANG=C) instead of
# being cut silently; the fingerprint dialog names each fingerprint once;
# Authenticate shows no file or byte counters; the status line of a screen
# is gone once another screen is shown; a job's result offers no cancel.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e

srv_start sshd "$T_TMP/sshd"
url="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"

ellipsis() { if [ "$TUI_MODE" = vt220 ]; then echo '\.\.\.'; else echo '…'; fi; }

for mode in $TUI_MODES; do
	src=$T_TMP/src-$mode
	mkdir -p "$src/etc"
	printf 'version 1\n' >"$src/etc/app.conf"
	rv_setup "$T_TMP/cfg-$mode" "$url" "$SSHD_USER" "$SSHD_KEY" "details-$mode" "$src"
	rv_new_key
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"
	TUI_MODE=$mode
	e=$(ellipsis)

	# The URL is wider than the main menu's value column.
	tui_wait "Server +sftp://127\.0\.0\.1:[0-9]+/[^ ]*$e\$" "a long URL ends in an ellipsis"

	# Authenticate from Known hosts: the fingerprint dialog, then the result.
	tui_keys k
	tui_wait 'No server keys trusted yet' "known hosts"
	tui_keys t
	tui_wait 'New server key' "fingerprint dialog"
	tui_wait "Fingerprint: $(re "$SSHD_HOSTKEY_ED25519_SHA256")" "the SHA256 fingerprint, labelled once"
	tui_wait '^ *[|x│] +MD5:' "the MD5 fingerprint under it"
	tui_absent 'SHA256: +SHA256:|MD5: +MD5:' "no doubled label"
	tui_type yes
	tui_keys Enter
	tui_wait '^  Done' "authenticate done"
	tui_absent 'Files|skipped|Current|[0-9] B of|ETA|%' "authenticate shows no backup counters"
	tui_absent 'F8/c Cancel' "no cancel after authenticate ended"
	tui_wait 'Enter/Esc Back' "the result's key bar offers going back"
	tui_keys Enter
	tui_wait 'Server keys trusted by this machine' "back in known hosts"
	tui_absent 'Authenticate done' "the job's status is gone with its screen"
	# The fingerprint column is narrower than a SHA256 fingerprint.
	tui_wait "SHA256:[^ ]*$e\$" "a long fingerprint ends in an ellipsis"
	tui_keys Escape
	tui_wait 'Main menu' "main menu again"

	# A backup: its result offers no cancel, its status stays behind.
	tui_keys b
	tui_wait '^  Done' "backup done"
	tui_wait 'Backup done\. Enter or Esc goes back\.' "backup status"
	tui_absent 'F8/c Cancel|Esc/c cancel' "no cancel after the backup ended"
	tui_keys Enter
	tui_wait 'Main menu' "back after the backup"
	tui_absent 'Backup done|Enter or Esc goes back' "the job's status is gone with its screen"
	tui_keys q
	tui_wait '^\[exit 0\]' "quit"
done
t_done
