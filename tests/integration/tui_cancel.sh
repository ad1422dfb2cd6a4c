#!/usr/bin/env bash
# Cancelling a backup in the text interface, against a real OpenSSH server
# behind the fault proxy throttled so that a backup takes seconds, in three
# terminals (colour UTF-8, vt220 with LANG=C, NO_COLOR). While the cancel
# confirmation is up the job goes on and its progress is drawn under the
# dialog. A cancel that stops the job says it was cancelled and that
# nothing was changed (not "failed"); one answered after the job ended
# says the backup finished before the cancel. The result screen offers
# no cancel any more. A cancel leaves the last-run record alone: the main
# menu and `revault status` go on reporting the last real backup.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e
need_cmd python3 python3

srv_start sshd "$T_TMP/sshd"
# The backup below uploads for about 8 s, then commits (the last few MiB
# the sockets buffered) for about as long: time to open the dialog and
# watch the bytes go on, short enough for three terminals.
proxy_start slow "$SSHD_PORT" --rate 500000
url="sftp://127.0.0.1:$PROXY_PORT$SSHD_ROOT"

# revisions DIR: the revisions stored in DIR on the server.
revisions() { server_files "$1" | grep -c '^[0-9TZ-]*\.revault$' || true; }

# dialog_moves WHAT: the screen changes while the cancel dialog stays up.
dialog_moves() {
	local first now deadline=$((SECONDS + 20))
	first=$(tui_screen)
	while ((SECONDS < deadline)); do
		sleep 0.3
		now=$(tui_screen)
		if ! grep -q 'Cancel the Backup?' <<<"$now"; then
			fail "[$TUI_MODE] $1: the dialog went away by itself:
$now"
			return 1
		fi
		if [ "$now" != "$first" ]; then
			pass
			return 0
		fi
	done
	fail "[$TUI_MODE] $1: the screen froze under the cancel dialog:
$first"
	return 1
}

for mode in $TUI_MODES; do
	src=$T_TMP/src-$mode
	dir=$SSHD_ROOT/cancel-$mode
	mkdir -p "$src/data"
	head -c 8000000 /dev/urandom >"$src/data/blob"
	rv_setup "$T_TMP/cfg-$mode" "$url" "$SSHD_USER" "$SSHD_KEY" "cancel-$mode" "$src"
	rv_new_key
	rv_trust
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"

	# Yes after the job ended under the dialog: too late, and said so.
	tui_keys b
	tui_wait '^  Phase +uploading' "backup uploading"
	tui_keys c
	tui_wait 'Cancel the Backup\?' "cancel dialog"
	dialog_moves "progress under the dialog"
	tui_wait '^  Phase +done' "the backup ends under the dialog"
	tui_wait 'Cancel the Backup\?' "the dialog is still up"
	tui_keys y
	tui_wait 'Backup finished before the cancel: backup [0-9TZ-]+ done' "too late: the summary says so"
	tui_wait '^  Finished before the cancel' "too late: the heading says so"
	tui_wait 'Backup finished before the cancel\. Enter or Esc goes back\.' "too late: status line"
	tui_absent 'Backup done\.|Cancelled|Failed|failed' "too late: neither done plainly nor cancelled"
	tui_absent 'F8/c Cancel|Esc/c cancel' "no cancel offered after the end"
	tui_wait 'Enter/Esc Back' "the key bar offers going back"
	[ "$(revisions "$dir")" = 1 ] && pass || fail "[$mode] too late: $(server_files "$dir")"
	tui_keys Enter
	tui_wait 'Main menu' "back after the late cancel"

	# Yes while the upload runs: cancelled, nothing changed.
	tui_keys b
	tui_wait '^  Phase +uploading' "second backup uploading"
	tui_keys c
	tui_wait 'Cancel the Backup\?' "second cancel dialog"
	dialog_moves "progress under the second dialog"
	tui_keys y
	# The upload already in the sockets drains first: seconds to wind down.
	tui_wait '^ Cancelling\.\.\.' "cancelling: status line"
	tui_absent 'F8/c Cancel|Esc/c cancel' "no second cancel offered while winding down"
	tui_keys c
	sleep 0.5
	tui_absent 'Cancel the Backup\?' "c while winding down asks nothing"
	tui_wait 'Backup cancelled: nothing was changed\. Enter or Esc goes back\.' "cancelled: status line"
	tui_wait '^  Cancelled' "cancelled: heading"
	tui_wait '^  Backup cancelled: nothing was changed' "cancelled: the result says so"
	tui_absent 'failed|Failed' "a cancel is not shown as a failure"
	tui_absent 'F8/c Cancel|Esc/c cancel' "no cancel offered after the cancel"
	[ "$(server_files "$dir" | wc -l)" = 1 ] && [ "$(revisions "$dir")" = 1 ] && pass ||
		fail "[$mode] cancelled: the server holds $(server_files "$dir")"
	tui_keys Enter
	tui_wait 'Main menu' "back after the cancel"
	# The cancel is the operator's, not a failure of the backups: the
	# last real backup (done before the late cancel) stays on record.
	tui_wait 'Last backup +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]+ \(ok\)' "Last backup keeps the last real one"
	tui_absent '\(failed\)' "the cancel is not a failed backup in the main menu"
	rv status
	expect_rc 0 "[$mode] status after a cancel"
	expect_out '^OK: the last backup' "[$mode] status reports the last real backup"
	tui_keys q
	tui_wait '^\[exit 0\]' "quit"
done
t_done
