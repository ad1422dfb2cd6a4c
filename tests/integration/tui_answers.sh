#!/usr/bin/env bash
# Questions and answers in the text interface, against a real OpenSSH
# server, in three terminals (colour UTF-8, vt220 with LANG=C, NO_COLOR):
# an empty answer to "restore into this directory" is not "in place" (its
# own question follows, No by default, and No cancels and says so, as No
# to the list of paths to replace does, not as a failure); the
# restore confirmations name the answers they take, as the command line's
# prompt does (and both take y); the Device dialog lists the device
# folders on the server (and says so when the server refuses to list
# them, still listing the revisions); the password field shows that a password is
# stored as soon as F2 saved it; `revault list` and the picker write a
# revision's size in the same unit (KiB, as core/units.h says).
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e

srv_start sshd "$T_TMP/sshd"
url="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
# Folders of other devices beside this machine's, and one hidden folder
# (a device name never starts with a dot) and a file, which are no devices.
mkdir -p "$SSHD_ROOT/alpha-host" "$SSHD_ROOT/zulu-host" "$SSHD_ROOT/.hidden-folder"
printf 'x\n' >"$SSHD_ROOT/stray-file"

for mode in $TUI_MODES; do
	src=$T_TMP/src-$mode
	mkdir -p "$src/etc"
	printf 'version 1\n' >"$src/etc/app.conf"
	# Random bytes do not compress: the revision is some 300 KiB.
	head -c 307200 /dev/urandom >"$src/etc/blob.bin"
	rv_setup "$T_TMP/cfg-$mode" "$url" "$SSHD_USER" "$SSHD_KEY" "answers-$mode" "$src"
	rv_new_key
	rv_trust
	rv_ok "first backup" backup
	printf 'changed\n' >"$src/etc/app.conf"
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"
	TUI_MODE=$mode

	# One unit system (IEC, core/units.h) in `revault list` and the picker.
	rv list
	expect_rc 0 "list"
	size=$(awk 'NR == 2 {print $2, $3}' <<<"$OUT")
	grep -qE '^3[0-9]{2}\.[0-9] KiB$' <<<"$size" && pass || fail "[$mode] list shows the size as \"$size\": $OUT"
	grep -qE '[0-9] ?([kKMG]B|bytes)\b' <<<"$OUT" && fail "[$mode] list uses another unit: $OUT" || pass
	tui_keys r
	tui_wait '1 revision in' "the picker lists the revision"
	tui_wait "^ [0-9TZ]+ +[0-9: -]+ +$(re "$size") +protected" "the picker shows the size as list does"
	tui_absent '[0-9] ?([kKMG]B|bytes)\b' "the picker uses no other unit"
	# The Device dialog lists the device folders on the server.
	tui_keys o
	tui_wait 'Device folders on the server' "the device list"
	tui_wait 'alpha-host' "the list holds the other devices"
	tui_wait "answers-$mode" "the list holds this machine's folder"
	tui_wait 'zulu-host' "the list holds the last device"
	tui_absent 'hidden-folder|stray-file' "no hidden folder, no file"
	tui_keys Down Enter
	tui_wait 'No revisions of alpha-host yet\.' "the picked device is listed"
	tui_keys o
	tui_wait 'Device folders on the server' "the list again"
	# First: this machine's own folder.
	tui_keys Up Enter
	tui_wait '1 revision in' "this machine again"

	# An empty directory is not "in place": its own question, No first.
	tui_keys r
	tui_wait 'Restore into this directory' "directory prompt"
	tui_keys Enter
	tui_wait 'No directory was given\. Restore revision' "an empty answer asks about in place"
	tui_wait 'y: Yes; n, Esc or Enter: No' "the question names its answers"
	# A warning: drawn in the warning colour (yellow) where there is colour.
	if [ "$mode" = color ]; then
		tui_colours 'No directory was given' | grep -qx 33 && pass ||
			fail "[$mode] the in-place question is not in the warning colour: $(echo $(tui_colours 'No directory'))"
	else
		[ -z "$(tui_colours)" ] && pass || fail "[$mode] colours without colour: $(echo $(tui_colours))"
	fi
	tui_keys Enter
	tui_wait 'Restore cancelled: no directory given, nothing was changed' "Enter on the question cancels and says so"
	[ "$(cat "$src/etc/app.conf")" = changed ] && pass || fail "[$mode] the empty answer restored in place"
	# A directory: the confirmation names its answers too; n cancels.
	tui_keys r
	tui_wait 'Restore into this directory' "directory prompt again"
	tui_type "$T_TMP/out-$mode"
	tui_keys Enter
	tui_wait 'Restore revision [0-9TZ-]+ into' "the restore confirmation"
	tui_wait 'y: Yes; n, Esc or Enter: No' "the restore confirmation names its answers"
	tui_keys n
	tui_wait 'Restore cancelled: nothing was changed' "n cancels and says so"
	[ -e "$T_TMP/out-$mode" ] && fail "[$mode] n restored into the directory" || pass
	# In place, then No to the list of paths to replace: a cancel, not a
	# failure.
	tui_keys r
	tui_wait 'Restore into this directory' "directory prompt, in place then No"
	tui_keys Enter
	tui_wait 'No directory was given' "the in-place question before No"
	tui_keys y
	tui_wait 'Replace them\?' "the replace question before No"
	tui_keys n
	tui_wait 'Restore cancelled: nothing was changed' "No to Replace says cancelled"
	tui_wait '^  Cancelled' "No to Replace: the heading says Cancelled"
	tui_absent 'Failed|failed' "No to Replace is no failure"
	[ "$(cat "$src/etc/app.conf")" = changed ] && pass || fail "[$mode] No to Replace restored in place"
	tui_keys Enter
	tui_wait 'Revisions of' "back from the cancelled restore"
	# In place, on purpose: y to both questions.
	tui_keys r
	tui_wait 'Restore into this directory' "directory prompt, in place"
	tui_keys Enter
	tui_wait 'No directory was given' "the in-place question"
	tui_keys y
	tui_wait 'Replace them\?' "the replace question"
	tui_wait 'y: Yes; n, Esc or Enter: No' "the replace question names its answers"
	tui_keys y
	tui_wait '^  Done' "restored in place"
	[ "$(cat "$src/etc/app.conf")" = "version 1" ] && pass || fail "[$mode] y to both did not restore in place"
	tui_keys Enter Escape
	tui_wait 'Main menu' "main menu again"

	# The password field, right after F2.
	tui_keys s
	tui_wait 'Where backups go' "server form"
	tui_wait 'Password +\(none\)' "no password yet"
	tui_keys Tab Tab Tab
	tui_type 'not-shown-secret'
	tui_keys F2
	tui_wait "Password \\(stored; type to replace\\)" "the saved password shows as stored"
	tui_absent 'not-shown-secret' "the password is not on the screen"
	tui_keys Escape
	tui_wait 'Main menu' "back from the server form"
	tui_keys q
	tui_wait '^\[exit 0\]' "quit"
	grep -q 'password: "sealed:' "$REVAULT_CONFIG" && pass || fail "[$mode] the password was not saved sealed"

	# The command line takes the same answers and says so: y replaces.
	printf 'changed again\n' >"$src/etc/app.conf"
	TM kill-session -t rv 2>/dev/null || true
	TM new-session -d -x 80 -y 24 -s rv \
		"env $(tui_env "$mode") REVAULT_CONFIG='$REVAULT_CONFIG' '$REVAULT' restore latest; echo \"[exit \$?]\"; sleep 600"
	tui_wait 'Replace them\? \(y or yes: Yes; n, no or Enter: No\)' "the prompt names its answers"
	tui_type y
	tui_keys Enter
	tui_wait '^\[exit 0\]' "y restores"
	[ "$(cat "$src/etc/app.conf")" = "version 1" ] && pass || fail "[$mode] y at the prompt did not restore"
done

# An account that may read its device folder but not the folder above:
# the picker still lists the revisions, and the Device dialog says the
# device folders could not be listed.
srv_start sshd "$T_TMP/sshd-pw" --password-user
mode=color
src=$T_TMP/src-pw
mkdir -p "$src/etc" "$T_TMP/cfg-pw"
printf 'version 1\n' >"$src/etc/app.conf"
export REVAULT_CONFIG=$T_TMP/cfg-pw/revault.yaml
rv_ok "set server.url" set server.url "sftp://127.0.0.1:$SSHD_PORT$SSHD_PW_ROOT"
rv_ok "set server.username" set server.username "$SSHD_PW_USER"
rv_ok "set server.auth" set server.auth password
rv password set --fd 3 3<"$SSHD_PW_FILE"
expect_rc 0 "password set"
rv_ok "set backup.device" set backup.device "pw-device"
rv_ok "source add" source add "$src"
rv_new_key
rv_trust
rv_ok "backup as the password user" backup
chmod 311 "$SSHD_PW_ROOT"
tui_start "$mode"
tui_wait 'Main menu' "main menu (password user)"
tui_keys r
tui_wait '1 revision in' "the revisions are listed without reading the folder above"
tui_absent 'Listing failed' "no failure for the folder above"
tui_keys o
tui_wait 'The device folders on the server could not be listed' "the dialog says the folders were not listed"
tui_keys Escape Escape
tui_wait 'Main menu' "main menu at the end"
tui_keys q
tui_wait '^\[exit 0\]' "quit"
chmod 700 "$SSHD_PW_ROOT"
t_done
