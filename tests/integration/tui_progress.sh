#!/usr/bin/env bash
# The backup's progress counts what the server has acknowledged, not what
# went into the queue ahead of the upload, in three terminals (colour
# UTF-8, vt220 with LANG=C, NO_COLOR). A 2 MB backup fits whole in the
# queue (6 x 512 KiB) in its first second; the fault proxy in front of a
# real OpenSSH server then holds the upload after 300 kB for 20 s. While
# it is held (in phase uploading, or committing once the whole archive is
# in the transport's window) the screen must show the upload below 100 %
# and, once 5 s pass without progress, "- stalled -"; after it the backup
# ends done.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e
need_cmd python3 python3

srv_start sshd "$T_TMP/sshd"

for mode in $TUI_MODES; do
	src=$T_TMP/src-$mode
	mkdir -p "$src"
	head -c 2000000 /dev/urandom >"$src/blob"
	# Each run its own connection, held once it has sent 300 kB.
	proxy_start "held-$mode" "$SSHD_PORT" --stall-after 300000 --stall 20 --stall-dir up
	rv_setup "$T_TMP/cfg-$mode" "sftp://127.0.0.1:$PROXY_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" \
		"progress-$mode" "$src"
	rv_ok "timeout above the hold" set server.timeout 120
	rv_new_key
	rv_trust
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"
	tui_keys b
	# The whole archive is handed to the transport's window within the
	# first second, so the hold may fall in either phase.
	tui_wait '^  Phase +(uploading|committing)' "backup uploading"
	tui_wait '- stalled -' "the held upload is said to be stalled" 60
	screen=$(tui_screen)
	pct=$(grep -oE '[0-9]+%' <<<"$screen" | head -1 | tr -d %)
	if grep -qE '^  Phase +(uploading|committing)' <<<"$screen" && [ -n "$pct" ] && [ "$pct" -lt 100 ]; then
		pass
	else
		fail "[$mode] while the upload is held the progress reads ${pct:-nothing}%, want below 100:
$screen"
	fi
	tui_wait 'Backup done' "the backup ends once the hold ends" 120
	tui_keys Enter
	tui_wait 'Main menu' "back to the main menu"
	tui_keys q
	tui_wait '\[exit 0\]' "quit"
	proxy_stop
done
t_done
