#!/usr/bin/env bash
# The text interface around jobs, against a real OpenSSH server, in three
# terminals (colour UTF-8, vt220 with LANG=C, NO_COLOR): before the first
# backup, Restore is an empty picker that says so and what to do (this
# device or another), not a failure; while a finished backup, restore or
# verify (done or failed) shows its result and waits for a key, the
# machine's lock is free, so `revault backup` from cron runs.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e
need_cmd python3 python3

srv_start sshd "$T_TMP/sshd"
url="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"

# cron_backup WHAT: the job behind the result screen holds no lock: a
# backup from the shell, with the same settings and state folder, runs.
cron_backup() {
	rv backup
	expect_rc 0 "[$TUI_MODE] $1: revault backup from the shell"
	grep -q 'another revault backup or restore is running' <<<"$ERR" &&
		fail "[$TUI_MODE] $1: the lock is still held: $ERR" || pass
}

for mode in $TUI_MODES; do
	src=$T_TMP/src-$mode
	mkdir -p "$src/etc"
	printf 'version 1\n' >"$src/etc/app.conf"
	rv_setup "$T_TMP/cfg-$mode" "$url" "$SSHD_USER" "$SSHD_KEY" "jobs-$mode" "$src"
	rv_new_key
	rv_trust
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"

	# No backup yet: an empty picker with a hint, not "Listing failed".
	tui_keys r
	tui_wait 'Revisions of this machine' "restore picker"
	tui_wait 'No revisions of this machine yet\.' "the picker says there are none yet"
	tui_wait 'Nothing is stored on the server yet' "the picker says nothing is stored"
	tui_wait "^    $(re "$SSHD_ROOT/jobs-$mode")\$" "the picker names the folder"
	tui_wait 'Backup now \(B on the main menu\) sends the first revision' "the picker says what to do"
	tui_wait "No revisions yet in $(re "$SSHD_ROOT/jobs-$mode")" "status line: none yet"
	tui_absent 'Listing failed|cannot list|Failed' "no failure shown"
	tui_keys v
	tui_wait 'Nothing to verify: no revisions yet' "verify on the empty picker"
	tui_keys r
	tui_wait 'Nothing to restore: no revisions yet' "restore on the empty picker"
	tui_absent 'Restore into this directory' "no directory asked with nothing to restore"
	# Another device with no backup: the hint asks about its name.
	tui_keys o
	tui_wait 'Device folder to list|Device folders on the server' "other device asked"
	# Once the server holds device folders (an earlier terminal's), they
	# are a list whose last row types another name.
	if tui_screen | grep -q 'Device folders on the server'; then
		tui_keys End Enter
		tui_wait 'Device folder to list' "the row that types another name"
	fi
	tui_type "nobody-$mode"
	tui_keys Enter
	tui_wait "No revisions of nobody-$mode yet\." "the other device: none yet"
	tui_wait "Is nobody-$mode that machine's device name" "the other device: the hint asks about its name"
	tui_absent 'Listing failed|cannot list|Failed' "no failure for the other device"
	tui_keys Escape
	tui_wait 'Main menu' "back from the empty picker"

	# A backup's result screen.
	tui_keys b
	tui_wait '^  Done' "backup done"
	tui_wait 'Backup done\. Enter or Esc goes back\.' "backup result waits for a key"
	cron_backup "backup result screen"
	tui_keys Enter
	tui_wait 'Main menu' "back after the backup"

	# A restore's and a verify's result screens.
	tui_keys r
	tui_wait '2 revisions in' "picker lists both revisions"
	tui_keys r
	tui_wait 'Restore into this directory' "directory prompt"
	tui_type "$T_TMP/out-$mode"
	tui_keys Enter
	tui_wait 'Restore revision [0-9TZ-]+ into' "restore confirmation"
	tui_keys y
	tui_wait '^  Done' "restore done"
	tui_wait 'Restore done\. Enter or Esc goes back\.' "restore result waits for a key"
	cron_backup "restore result screen"
	tui_keys Enter
	tui_wait 'Revisions of this machine' "picker after the restore"
	tui_keys v
	tui_wait '^  Done' "verify done"
	cron_backup "verify result screen"
	tui_keys Enter

	# A failed restore's result screen.
	tui_keys l
	tui_wait '4 revisions in' "picker lists the new revisions"
	# Every revision tampered with: whichever the picker shows first fails.
	for f in "$SSHD_ROOT/jobs-$mode"/*.revault; do flip_byte "$f"; done
	tui_keys r
	tui_wait 'Restore into this directory' "directory prompt (tampered)"
	tui_type "$T_TMP/bad-$mode"
	tui_keys Enter
	tui_wait 'Restore revision [0-9TZ-]+ into' "restore confirmation (tampered)"
	tui_keys y
	tui_wait '^  Failed' "tampered revision fails"
	tui_wait 'Restore failed\. Enter or Esc goes back\.' "failed result waits for a key"
	cron_backup "failed restore result screen"
	tui_keys Enter Escape
	tui_wait 'Main menu' "main menu at the end"
	tui_keys q
	tui_wait '^\[exit 0\]' "quit"
done
t_done
