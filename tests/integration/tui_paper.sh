#!/usr/bin/env bash
# Typing a master key from paper in the text interface (Security → t), in
# three terminals (colour UTF-8, vt220 with LANG=C, NO_COLOR): each line's
# check digits are verified as the line is entered; a typo or a short line
# is named by its line number and that line asked again, the lines before
# it kept, so the key is installed without starting over. Esc drops what
# was typed and says so.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e

# The key on paper, from another machine's settings.
export REVAULT_CONFIG=$T_TMP/origin/revault.yaml
mkdir -p "$T_TMP/origin"
run "$REVAULT" key generate
expect_rc 0 "key generate"
id=$("$REVAULT" show 2>/dev/null | awk '$1 == "master_key.id" {print $2}')
run "$REVAULT" key export --paper
expect_rc 0 "paper export"
mapfile -t paper < <(grep -E '^[1-4]: ' <<<"$OUT")
[ "${#paper[@]}" = 4 ] && pass || fail "the paper form has ${#paper[@]} lines, not 4: $OUT"
# Line 2 with one hex digit changed: its check digits no longer match.
d=${paper[1]:3:1}
typo="${paper[1]:0:3}$([ "$d" = 0 ] && echo 1 || echo 0)${paper[1]:4}"

for mode in $TUI_MODES; do
	export REVAULT_CONFIG=$T_TMP/cfg-$mode/revault.yaml
	mkdir -p "$T_TMP/cfg-$mode"
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"
	tui_keys e
	tui_wait 'Type a key from paper' "security screen"

	# Esc on a later line: nothing is installed, and the status says so.
	tui_keys t
	tui_wait 'Line 1 of the paper key' "line 1 asked"
	tui_type "${paper[0]}"
	tui_keys Enter
	tui_wait 'Line 2 of the paper key' "line 2 asked"
	tui_keys Escape
	tui_wait 'Key import cancelled: nothing was changed' "Esc says nothing was changed"
	[ -e "$T_TMP/cfg-$mode/master.key" ] && fail "[$mode] Esc installed a key" || pass

	tui_keys t
	tui_wait 'Line 1 of the paper key' "line 1 asked again"
	tui_type "${paper[0]}"
	tui_keys Enter
	tui_wait 'Line 2 of the paper key' "line 1 taken"
	tui_type "$typo"
	tui_keys Enter
	tui_wait 'line 2 of the paper key has a typo' "the typo is named with its line"
	tui_wait 'Line 1 kept\. Line 2 again' "line 1 kept, line 2 asked again"
	tui_absent 'Line 3 of the paper key' "not on to line 3"
	tui_type "${paper[1]:0:12}"
	tui_keys Enter
	tui_wait 'line 2 of the paper key should hold 20 hex digits' "a short line is named"
	tui_type "${paper[1]}"
	tui_keys Enter
	tui_wait 'Line 3 of the paper key' "line 2 taken"
	# Line 2 typed where line 3 goes: the check digits are bound to the line.
	tui_type "${paper[1]#2: }"
	tui_keys Enter
	tui_wait 'line 3 of the paper key has a typo' "a line in the wrong place is named"
	tui_wait 'Lines 1-2 kept\. Line 3 again' "lines 1 and 2 kept"
	tui_type "${paper[2]}"
	tui_keys Enter
	tui_wait 'Line 4 of the paper key' "line 3 taken"
	# Without its "4:" label, as some copy it.
	tui_type "${paper[3]#4: }"
	tui_keys Enter
	tui_wait "Install key $id\\?" "the whole key, with its id"
	tui_keys y
	tui_wait "Key $id installed" "installed"
	tui_keys q
	tui_wait '^\[exit 0\]' "quit"
	got=$("$REVAULT" show 2>/dev/null | awk '$1 == "master_key.id" {print $2}')
	[ "$got" = "$id" ] && pass || fail "[$mode] the installed key is $got, not $id"
done
t_done
