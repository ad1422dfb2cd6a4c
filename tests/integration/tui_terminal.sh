#!/usr/bin/env bash
# A terminal that cannot show the text interface is refused with one line
# that says why and points at the commands and the console, exit 2, before
# curses touches the screen: a type terminfo does not know
# (TERM=xterm-16color here: no entry), one that cannot address the cursor
# (TERM=dumb), and TERM unset. A usable one (vt220) still starts.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e
need_cmd infocmp ncurses-bin

export REVAULT_CONFIG=$T_TMP/cfg/revault.yaml
mkdir -p "$T_TMP/cfg"
# The unknown type must really be unknown on this machine.
if infocmp xterm-16color >/dev/null 2>&1; then
	skip "xterm-16color has a terminfo entry here: no unknown type to try"
fi

# refused ENV WHY DESCRIPTION: revault under ENV (words for env) prints
# one line (joined back from the pane's rows) holding WHY and the
# pointers, then exits 2.
refused() {
	local deadline=$((SECONDS + TUI_TIMEOUT)) out
	TM kill-session -t rv 2>/dev/null || true
	TM new-session -d -x 80 -y 24 -s rv \
		"env $1 REVAULT_CONFIG='$REVAULT_CONFIG' '$REVAULT'; echo \"[exit \$?]\"; sleep 600"
	TUI_MODE=$3
	tui_wait '\[exit [0-9]+\]' "$3: revault ended"
	out=$(TM capture-pane -J -p -t rv | grep -v '^$')
	if [ "$(wc -l <<<"$out")" = 2 ] && grep -q '^\[exit 2\]$' <<<"$out" &&
		grep -qE -- "^revault: .*$2.*revault --help.*revault console" <<<"$out" &&
		! grep -q 'Error opening terminal' <<<"$out"; then
		pass
	else
		fail "[$3] want one line on $2 and exit 2, got:
$out"
	fi
}

refused "TERM=xterm-16color" 'TERM=xterm-16color is not a terminal type known here' "unknown type"
refused "TERM=dumb" 'TERM=dumb cannot move the cursor' "dumb"
refused "-u TERM" 'TERM is not set' "TERM unset"

tui_start vt220
tui_wait 'Main menu' "vt220 still starts"
tui_keys q
tui_wait '\[exit 0\]' "quit"
t_done
