#!/usr/bin/env bash
# The text interface against a real OpenSSH server, in three terminals
# (colour UTF-8, vt220 with LANG=C, NO_COLOR): the first backup shows the
# fingerprint dialog and goes on after "yes"; the progress screen reaches
# 100 %; the restore picker lists both revisions newest first; a tampered
# revision fails and returns to the picker, where the older one restores
# identical; a running backup cancelled leaves nothing on the server; and
# after the server is re-keyed, a backup is refused with a warning (red in
# colour) that offers no way to accept the new key.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e
need_cmd python3 python3

srv_start sshd "$T_TMP/sshd"
url="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
hp="127.0.0.1:$SSHD_PORT"

# tui_wait_fixed TEXT DESCRIPTION: like tui_wait, for text with regex characters.
tui_wait_fixed() { tui_wait "$(printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g')" "$2"; }

# restore_into ROW_KEYS DIR: from the picker, restore the selected row into DIR.
restore_into() {
	tui_keys r
	tui_wait 'Restore into this directory' "[$1] directory prompt"
	tui_type "$2"
	tui_keys Enter
	tui_wait 'Restore revision [0-9T]+Z into' "[$1] restore confirmation"
	tui_keys y
}

for mode in $TUI_MODES; do
	src=$T_TMP/src-$mode
	mkdir -p "$src/etc/app"
	printf 'version 1\n' >"$src/etc/app/app.conf"
	random_file "$src/etc/app/blob.bin" 2000000
	rv_setup "$T_TMP/cfg-$mode" "$url" "$SSHD_USER" "$SSHD_KEY" "tui-$mode" "$src"
	rv_new_key
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"

	# First connect: the fingerprint dialog, default refuses, "yes" trusts.
	tui_keys b
	tui_wait 'New server key' "fingerprint dialog on first connect"
	tui_wait_fixed "$SSHD_HOSTKEY_ED25519_SHA256" "dialog shows the SHA256 fingerprint"
	tui_wait_fixed "$SSHD_HOSTKEY_ED25519_MD5" "dialog shows the MD5 fingerprint"
	tui_wait 'Type yes to trust this key' "dialog asks for yes"
	tui_wait "port $SSHD_PORT" "dialog shows the port"
	tui_type yes
	tui_keys Enter
	tui_wait '100%' "progress reaches 100 %"
	tui_wait '^  Done' "backup done"
	rv knownhost list
	expect_out "$SSHD_PORT" "[$mode] accepted key saved as a known host"
	tui_keys Enter
	tui_wait 'Main menu' "back after the backup"
	tui_wait 'Last backup +[0-9]{4}-' "summary shows the last backup"

	# A second revision with other content.
	tree_describe "$src" >"$T_TMP/first-$mode.txt"
	sleep 1.1 # revision names are seconds
	printf 'version 2\n' >"$src/etc/app/app.conf"
	tui_keys b
	tui_wait '^  Done' "second backup done"
	tui_absent 'New server key' "no dialog for a trusted key"
	tui_keys Enter

	# Tamper with the newest revision on the server.
	newest=$(ls "$SSHD_ROOT/tui-$mode"/*.revault | sort | tail -1)
	flip_byte "$newest"

	tui_keys r
	tui_wait 'Revisions of this machine' "restore picker"
	tui_wait '2 revisions in' "both revisions listed"
	first_row=$(tui_screen | grep -oE '^ [0-9]{8}T[0-9]{6}Z' | head -1 | tr -d ' ')
	[ "$first_row.revault" = "$(basename "$newest")" ] && pass || fail "[$mode] picker not newest first: $first_row"
	tui_wait 'protected +ours' "picker shows kind and key match"

	restore_into "$mode tampered" "$T_TMP/bad-$mode"
	tui_wait '^  Failed' "tampered revision fails"
	[ -e "$T_TMP/bad-$mode$src" ] && fail "[$mode] a failed restore wrote files" || pass
	tui_keys Enter
	tui_wait 'Revisions of this machine' "back to the picker after the failure"
	tui_keys Down
	tui_keys v
	tui_wait '^  Done' "older revision verifies"
	tui_keys Enter
	tui_wait 'Revisions of this machine' "picker after verify"
	restore_into "$mode older" "$T_TMP/out-$mode"
	tui_wait '^  Done' "older revision restored"
	diff "$T_TMP/first-$mode.txt" <(tree_describe "$T_TMP/out-$mode$src") >/dev/null && pass ||
		fail "[$mode] restored tree differs from the first backup"
	tui_keys Enter
	tui_wait 'Revisions of this machine' "picker again"
	tui_keys Escape
	tui_wait 'Main menu' "main menu again"
	tui_keys q
	tui_wait '^\[exit 0\]' "quit"
done

# Cancel: through a slow link, a running backup is cancelled after the
# confirmation and leaves nothing on the server.
proxy_start slow "$SSHD_PORT" --rate 250000
for mode in $TUI_MODES; do
	src=$T_TMP/big-$mode
	mkdir -p "$src"
	random_file "$src/big.bin" 6000000
	rv_setup "$T_TMP/cancel-$mode" "sftp://127.0.0.1:$PROXY_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" \
		"cancel-$mode" "$src"
	rv_new_key
	rv knownhost add "127.0.0.1:$PROXY_PORT" ssh-ed25519 "$SSHD_HOSTKEY_ED25519_SHA256"
	tui_start "$mode"
	tui_wait 'Main menu' "main menu (cancel)"
	tui_keys b
	tui_wait '[1-9][0-9.]* (KiB|MiB) of' "backup under way"
	tui_wait 'Esc/c cancel' "cancel key shown"
	tui_keys q
	tui_wait 'A job is running' "quit asks while a job runs"
	tui_keys Enter
	tui_wait 'Esc/c cancel' "No keeps the job running"
	tui_keys c
	tui_wait 'Cancel the Backup' "cancel asks first"
	tui_keys y
	tui_wait '^  Cancelled' "cancelled backup ends" 60
	tui_keys Enter
	tui_wait 'Main menu' "back after cancel"
	left=$(server_files "$SSHD_ROOT/cancel-$mode")
	[ -z "$left" ] && pass || fail "[$mode] cancelled backup left files on the server: $left"
	tui_keys q
	tui_wait '^\[exit 0\]' "quit after cancel"
done
proxy_stop

# Changed key: the same host and port with new host keys.
old_root=$SSHD_ROOT
srv_stop sshd "$T_TMP/sshd"
srv_start sshd "$T_TMP/sshd2" --port "$SSHD_PORT" --user-key "$SSHD_KEY"
for mode in $TUI_MODES; do
	export REVAULT_CONFIG=$T_TMP/cfg-$mode/revault.yaml
	tui_start "$mode"
	tui_wait 'Main menu' "main menu (changed key)"
	tui_keys b
	tui_wait 'WARNING' "changed key warning"
	tui_wait 'Failed|not the one trusted' "backup refused"
	# ASCII punctuation: a vt220 with LANG=C draws an em dash as "???".
	tui_wait 'intercepting' "the warning says why it matters"
	tui_absent '\?\?|—' "the warning is drawn without characters the terminal lacks"
	# In red on a colour terminal (capture-pane -e), bold alone otherwise.
	if [ "$mode" = color ]; then
		tui_colours 'WARNING' | grep -qx 31 && pass ||
			fail "[$mode] the changed key warning is not red: $(echo $(tui_colours 'WARNING'))"
	else
		[ -z "$(tui_colours)" ] && pass || fail "[$mode] colours on a terminal without them: $(echo $(tui_colours))"
	fi
	tui_absent 'Type yes' "no way to accept a changed key"
	tui_absent 'New server key' "no trust dialog for a changed key"
	n=$(ls -A "$old_root/tui-$mode" | wc -l)
	[ "$n" = 2 ] && pass || fail "[$mode] the server folder changed after a changed key: $n entries"
	tui_keys Enter
	tui_wait 'Main menu' "back after refusal"

	# The operator removes the old key under Known hosts and authenticates:
	# Enter alone refuses the new key, "yes" trusts it.
	tui_keys k
	tui_wait "127\.0\.0\.1 +$SSHD_PORT +ssh-ed25519" "known hosts lists the old key"
	tui_keys d
	tui_wait 'Stop trusting' "remove asks"
	tui_keys y
	tui_wait 'Removed ssh-ed25519' "old key removed"
	tui_keys t
	tui_wait 'New server key' "authenticate shows the new key"
	tui_wait_fixed "$SSHD_HOSTKEY_ED25519_SHA256" "the new SHA256 fingerprint"
	tui_keys Enter
	tui_wait 'not accepted' "Enter alone refuses"
	tui_keys Enter
	tui_keys t
	tui_wait 'New server key' "authenticate again"
	tui_type yes
	tui_keys Enter
	tui_wait 'trusted: ssh-ed25519' "new key trusted"
	rv knownhost list
	expect_out "$(printf '%s' "$SSHD_HOSTKEY_ED25519_SHA256" | sed 's/[+/]/./g')" "[$mode] new key saved"
	tui_keys Enter Escape
	tui_wait 'Main menu' "main after authenticate"

	# An unprotected backup restores only after its own confirmation.
	rv set security.protected off
	rv backup
	expect_rc 0 "[$mode] unprotected backup"
	tui_keys r
	tui_wait '^ [0-9T]+Z .*UNSIGNED' "picker marks the unprotected revision"
	restore_into "$mode unsigned" "$T_TMP/plain-no-$mode"
	tui_wait 'Unprotected backup' "unsigned confirmation"
	tui_keys Enter
	tui_wait '^  Cancelled' "No refuses the unsigned restore, as the operator's cancel"
	tui_keys Enter
	tui_wait 'Revisions of this machine' "picker after refusing"
	restore_into "$mode unsigned" "$T_TMP/plain-$mode"
	tui_wait 'Unprotected backup' "unsigned confirmation again"
	tui_keys y
	tui_wait '^  Done' "unsigned restore after yes"
	[ -f "$T_TMP/plain-$mode$T_TMP/src-$mode/etc/app/app.conf" ] && pass || fail "[$mode] unsigned restore wrote nothing"
	tui_keys Enter Escape
	tui_wait 'Main menu' "main after unsigned restore"
	tui_keys q
	tui_wait '^\[exit 0\]' "quit after refusal"
done
t_done
