#!/usr/bin/env bash
# The console's `?` answers fit 80 columns: a help text too long for its
# row wraps under its own column, an error after `?` wraps under its "% ";
# read from a script and at an 80x24 terminal (xterm-256color in UTF-8, and
# vt220 under LANG=C). At that terminal a 200-character line is typed,
# edited in its middle and run, and the screen holds one copy of it.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e
cfg=$T_TMP/conf/revault.yaml

# Every `?` of both modes, at each word of the longest commands.
asks="?
configure ?
restore ?
restore latest ?
show ?
show security ?
show security ssh ?
show backup ?
config t
?
backup ?
backup server ?
backup server url ?
backup server url sftp://h/d ?
backup server url sftp://h/d username ?
backup server url sftp://h/d username u ?
backup server url sftp://h/d username u password ?
backup server authenticate ?
backup revisions ?
backup security ?
backup security key ?
security ?
security ssh ?
security ssh knownhost ?
security ssh knownhost h ?
security ssh knownhost h ssh-rsa ?
security ssh knownhost h ssh-rsa aa ?
no ?
no backup ?
no backup security ?
no security ?
no security ssh ?
no security ssh knownhost ?
no security ssh knownhost h ?
end"
printf '%s\n' "$asks" >"$T_TMP/asks"
run "$REVAULT" -c "$cfg" console <"$T_TMP/asks"
expect_out '^  PASSWORD +the server password \(leave out to be asked without$' "a long help text wraps"
expect_out '^ {25}echo\)$' "its second row starts under the help column"
expect_out '^% Invalid input detected at .*fingerprint "aa" is not valid' "an error after ? is shown"
expect_out '^  SHA256: and 43 base64 characters' "the error's second row starts under its text"
long=$(awk 'length > 80' <<<"$OUT")
[ -z "$long" ] && pass || fail "script: ? lines over 80 columns:
$long"

# ---- at an 80x24 terminal ----
# console_start MODE: the console in a fresh tmux window of its own; "[exit N]" at its end.
console_start() {
	TM kill-session -t rv 2>/dev/null || true
	TM new-session -d -x 80 -y 24 -s rv \
		"env $(tui_env "$1") '$REVAULT' -c '$cfg' console; echo \"[exit \$?]\"; sleep 600"
	TUI_MODE=$1
}
# The scrollback with each wrapped row joined to the row it continues.
joined() { TM capture-pane -p -J -S - -t rv | sed 's/ *$//'; }
# wait_joined LINE N: until the scrollback holds LINE exactly N times.
wait_joined() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(joined | grep -cxF -- "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

for mode in color vt220; do
	console_start "$mode"
	tui_wait '^revault# ?$' "exec prompt"
	tui_type 'conf t'
	tui_keys Enter
	tui_wait '^revault\(config\)# ?$' "config prompt"
	tui_type 'backup server url sftp://h/d username u password ?'
	tui_wait '^ {25}echo\)$' "the help's second row"
	long=$(joined | awk 'length > 80')
	[ -z "$long" ] && pass || fail "[$mode] ? rows over 80 columns (a row the terminal wrapped):
$long"
	tui_keys C-u
	tui_type 'security ssh knownhost h ssh-rsa aa ?'
	tui_wait '^  as `ssh-keygen -l`' "the error's last row"
	long=$(joined | awk 'length > 80')
	[ -z "$long" ] && pass || fail "[$mode] error rows over 80 columns:
$long"
	tui_keys C-u
	TM clear-history -t rv

	# 200 characters, typed a key at a time; then a word inserted in the
	# middle with the cursor keys, and the line run.
	head="backup server username "
	tail=$(printf 'u%.0s' {1..177})
	line="$head$tail"
	[ ${#line} = 200 ] && pass || fail "the line is ${#line} characters, not 200"
	for ((i = 0; i < ${#line}; i++)); do tui_type "${line:i:1}"; done
	if wait_joined "revault(config)# $line" 1; then pass; else fail "[$mode] the long line is not shown once:
$(joined)"; fi
	for ((i = 0; i < 77; i++)); do tui_keys Left; done
	tui_type 'EDIT'
	edited="$head$(printf 'u%.0s' {1..100})EDIT$(printf 'u%.0s' {1..77})"
	if wait_joined "revault(config)# $edited" 1; then pass; else fail "[$mode] the edited line is not shown once:
$(joined)"; fi
	n=$(joined | grep -c 'revault(config)# backup server username') || true
	[ "$n" = 1 ] && pass || fail "[$mode] $n copies of the line on the screen and in the scrollback, not 1"
	tui_keys Enter
	tui_wait '^revault\(config\)# ?$' "the edited line runs"
	tui_type 'end'
	tui_keys Enter
	tui_type 'show running-config'
	tui_keys Enter
	if wait_joined "backup server username $(printf 'u%.0s' {1..100})EDIT$(printf 'u%.0s' {1..77})" 1; then
		pass
	else
		fail "[$mode] the setting is not the edited line:
$(joined)"
	fi
	tui_type 'exit'
	tui_keys Enter
	tui_wait '^\[exit 0\]' "exit"
	rm -f "$cfg"
done
t_done
