#!/usr/bin/env bash
# Colour as the terminal receives it, read from tmux with capture-pane -e:
# the default and high-contrast schemes draw in colour on an xterm-256color
# (the title bar, a field's error in red), also under LANG=C; none of
# vt220 with LANG=C, NO_COLOR, --mono or ui.theme monochrome draws any.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e

export REVAULT_CONFIG=$T_TMP/cfg/revault.yaml
mkdir -p "$T_TMP/cfg"

# colours_shown WHAT: the main menu of the running interface has colours.
colours_shown() {
	local c
	tui_wait 'Main menu' "$1: main menu"
	c=$(tui_colours)
	[ -n "$c" ] && pass || fail "[$TUI_MODE] $1: no colour on the main menu:
$(TM capture-pane -e -p -t rv | cat -v)"
}

# no_colours WHAT: not one colour on the main menu.
no_colours() {
	local c
	tui_wait 'Main menu' "$1: main menu"
	c=$(tui_colours)
	[ -z "$c" ] && pass || fail "[$TUI_MODE] $1: colours $(echo $c) on the main menu:
$(TM capture-pane -e -p -t rv | cat -v)"
}

# has_colour CODE WHAT [REGEX]: the screen (or its lines matching REGEX)
# shows the SGR colour CODE.
has_colour() {
	tui_colours "${3:-}" | grep -qx -- "$1" && pass || fail "[$TUI_MODE] $2: no colour $1 among: $(echo $(tui_colours "${3:-}"))
$(TM capture-pane -e -p -t rv | cat -v)"
}

# bad_url: the server form refuses a URL as the field is left; the error
# is shown under the field.
bad_url() {
	tui_keys s
	tui_wait 'Where backups go' "server form"
	tui_type "ftp://example.net/x"
	tui_keys Tab
	tui_wait 'does not start with' "URL checked on leaving the field"
}

for mode in $TUI_MODES; do
	tui_start "$mode"
	if [ "$mode" = color ]; then
		colours_shown "default scheme"
		has_colour 44 "the title bar on blue" 'revault: backups of this machine'
		bad_url
		has_colour 31 "the field's error in red" 'does not start with'
	else
		no_colours "default scheme"
		bad_url
		[ -z "$(tui_colours)" ] && pass || fail "[$mode] colours on the server form: $(echo $(tui_colours))"
	fi
	tui_keys Escape
	tui_wait 'Leave the server form without saving' "leaving asks"
	tui_keys y
	tui_wait 'Main menu' "back to the main menu"
	tui_keys q
	tui_wait '^\[exit 0\]' "quit"
done

# The high-contrast scheme: its own colours (black on yellow titles).
run "$REVAULT" set ui.theme high-contrast
expect_rc 0 "set ui.theme high-contrast"
tui_start color
colours_shown "high-contrast"
has_colour 43 "high-contrast title on yellow" 'revault: backups of this machine'
tui_keys q
tui_start vt220
no_colours "high-contrast on a vt220"
tui_keys q

# ui.theme monochrome and --mono turn colour off on a colour terminal.
run "$REVAULT" set ui.theme monochrome
expect_rc 0 "set ui.theme monochrome"
tui_start color
no_colours "ui.theme monochrome"
tui_keys q
rm -f "$REVAULT_CONFIG"
TUI_ARGS=--mono tui_start color
no_colours "--mono"
tui_keys q

# A colour terminal in a locale that is not UTF-8: + - | lines, colours kept.
TM kill-session -t rv 2>/dev/null || true
TM new-session -d -x 80 -y 24 -s rv \
	"env TERM=xterm-256color LANG=C LC_ALL=C REVAULT_CONFIG='$REVAULT_CONFIG' '$REVAULT'; echo \"[exit \$?]\"; sleep 600"
TUI_MODE="xterm-256color LANG=C"
colours_shown "LANG=C"
tui_keys q
tui_wait '^\[exit 0\]' "quit"
t_done
