#!/usr/bin/env bash
# Entry boxes that ask for an absolute path or a device folder refuse what
# the job would refuse later, and stay open with the reason, against a real
# OpenSSH server in three terminals (colour UTF-8, vt220 with LANG=C,
# NO_COLOR): a relative source (etc/foo) is not added; a relative restore
# directory, an existing file, or a directory under a file is refused in
# the revision picker's box and in Browse's (no confirmation is asked and
# nothing is restored); an other device ".." is refused in its box, and the
# picker goes on listing this machine's revisions. With 42 device folders
# on the server the Device list scrolls to each of them (no "...").
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e
need_cmd python3 python3

srv_start sshd "$T_TMP/sshd"
url="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
for ((i = 1; i <= 42; i++)); do mkdir -p "$SSHD_ROOT/$(printf 'dev-%02d' "$i")"; done

# refused TEXT REGEX WHAT: types TEXT into the open restore box; the box
# stays open with REGEX under the field, and no confirmation is asked.
refused() {
	tui_keys C-u
	tui_type "$1"
	tui_keys Enter
	tui_wait "$2" "$3: the reason"
	tui_wait 'into this directory \(an absolute path\)' "$3: the box stays open"
	tui_absent 'Restore .* into .*\?' "$3: no confirmation"
}

for mode in $TUI_MODES; do
	src=$T_TMP/src-$mode
	mkdir -p "$src/etc"
	printf 'one\n' >"$src/etc/app.conf"
	rv_setup "$T_TMP/cfg-$mode" "$url" "$SSHD_USER" "$SSHD_KEY" "paths-$mode" "$src"
	rv_new_key
	rv_trust
	rv_ok "backup" backup
	printf 'a file\n' >"$T_TMP/afile-$mode"
	work=$T_TMP/work-$mode
	mkdir -p "$work"
	# The TUI's own directory, where a relative path would have landed.
	TM kill-session -t rv 2>/dev/null || true
	TM new-session -d -x 80 -y 24 -s rv -c "$work" \
		"env $(tui_env "$mode") REVAULT_CONFIG='$REVAULT_CONFIG' '$REVAULT'; echo \"[exit \$?]\"; sleep 600"
	TUI_MODE=$mode
	tui_wait 'Main menu' "main menu"

	# Add source: etc/foo is refused, not resolved against the cwd.
	tui_keys o
	tui_wait 'Revisions kept' "backup settings"
	tui_keys a
	tui_wait 'Absolute path of a file or folder' "the source box"
	tui_type etc/foo
	tui_keys Enter
	tui_wait 'relative path: type an absolute path' "a relative source is refused"
	tui_wait 'Absolute path of a file or folder' "the source box stays open"
	tui_keys Escape
	tui_gone 'Absolute path of a file or folder' "Esc closes it"
	run "$REVAULT" show
	if grep -q 'etc/foo' <<<"$OUT"; then fail "[$mode] a relative source was saved: $OUT"; else pass; fi
	tui_keys Escape
	tui_wait 'Main menu' "back to the main menu"

	# The revision picker's restore box.
	tui_keys r
	tui_wait '1 revision in' "the picker lists the revision"
	tui_keys r
	tui_wait 'into this directory \(an absolute path\)' "the restore box"
	refused relative/dir 'relative path' "a relative directory"
	refused "$T_TMP/afile-$mode" 'is not a directory' "an existing file"
	refused "$T_TMP/afile-$mode/sub" 'is not a directory, so' "a directory under a file"
	tui_keys Escape
	tui_wait 'Restore cancelled: nothing was changed' "Esc cancels"
	[ ! -e "$work/relative" ] && pass || fail "[$mode] something was restored under the TUI's directory"

	# Other device: a list of the 42 folders (and ours) that scrolls.
	tui_keys o
	tui_wait 'Device folders on the server' "the device list"
	tui_wait '\(this machine.s\)' "this machine's first"
	tui_wait 'dev-01' "the first folder"
	tui_absent 'dev-42|\.\.\.|…' "not all in view, and not cut with an ellipsis"
	for ((i = 0; i < 42; i++)); do tui_keys Down; done
	tui_wait 'dev-42' "the list scrolled to the last folder"
	tui_absent 'dev-01' "the first scrolled out of view"
	tui_keys Enter
	tui_wait 'No revisions of dev-42 yet' "the chosen folder is listed"
	# The last row types a name: ".." is refused in its box.
	tui_keys o
	tui_wait 'Device folders on the server' "the device list"
	tui_keys End
	tui_wait '\(type another name\)' "the last row"
	tui_keys Enter
	tui_wait 'Device folder to list' "the device box"
	tui_keys C-u
	tui_type ..
	tui_keys Enter
	tui_wait 'must be 1-64 letters' "the reason"
	tui_wait 'Device folder to list' "the device box stays open"
	tui_keys Escape
	tui_gone 'Device folder to list' "Esc closes it"
	tui_absent 'Listing failed|Revisions of \.\.' "nothing was listed for .."
	tui_keys o
	tui_wait 'Device folders on the server' "the device list"
	tui_keys Home Enter
	tui_wait 'Revisions of this machine' "the picker lists this machine's revisions again"
	tui_wait '^ [0-9]{8}T[0-9]{6}Z ' "and its revision"

	# Browse's restore box.
	tui_keys b
	tui_wait 'entries, verified; 0 marked' "the revision is read"
	tui_keys Space
	tui_wait 'verified; [1-9][0-9]* marked' "marked"
	tui_keys r
	tui_wait 'into this directory \(an absolute path\)' "browse's restore box"
	refused relative/dir 'relative path' "browse: a relative directory"
	refused "$T_TMP/afile-$mode" 'is not a directory' "browse: an existing file"
	tui_keys Escape
	tui_wait 'Restore cancelled: nothing was changed' "Esc cancels"
	[ "$(cat "$T_TMP/afile-$mode")" = "a file" ] && pass || fail "[$mode] the file was changed"
	tui_keys q
	tui_wait '\[exit 0\]' "quit"
done
t_done
