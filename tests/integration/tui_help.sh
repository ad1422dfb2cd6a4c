#!/usr/bin/env bash
# Help at 80x24 in three terminals: it reads the keys from the screens'
# own tables, so Security's paper-key letters w and t are there; the
# screen it was asked from comes first; every line is wrapped at a word
# and none reaches the right edge (a line cut by the screen would); and
# it scrolls to the other screens' keys. Hints from core name the screen
# and key, not the command line.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e

# no_cut DESCRIPTION: no text line of the help (rows 3-22) reaches
# columns 79-80: help wraps its text to 77 columns from column 2, so a
# line there is one the screen cut.
no_cut() {
	local cut
	cut=$(tui_screen | sed -n '3,22p' | awk 'length($0) > 78 && substr($0, 79) !~ /^ *$/')
	if [ -z "$cut" ]; then pass; else fail "[$TUI_MODE] $1: lines cut at the edge:
$cut"; fi
}

for mode in $TUI_MODES; do
	export REVAULT_CONFIG=$T_TMP/$mode/revault.yaml
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"
	tui_keys e
	tui_wait 'Master key id' "security screen"
	tui_keys '?'
	tui_wait '^ revault: help' "help from Security"
	tui_wait '^ Security' "Security's keys come first"
	tui_wait '^ +w +Write the key down \(paper\)' "help shows w"
	tui_wait '^ +t +Type a key from paper' "help shows t"
	tui_wait '^ +p +Protected backups' "help shows p"
	tui_wait '^ +n +Enforced on restore' "help shows n"
	no_cut "first page"
	# The rest scrolls: the other screens' keys, from their tables.
	tui_keys NPage
	tui_wait 'Esc then 1-9, 0' "Esc-digit twins under Everywhere"
	tui_wait 'Yes/no questions: y: Yes; n, Esc or Enter: No\.' "help names the answers a question takes"
	no_cut "second page"
	tui_keys NPage
	tui_wait '^ +F6/t +Authenticate' "Known hosts' keys"
	no_cut "third page"
	tui_keys NPage NPage
	tui_wait '^ +F7/o +Device' "Restore's keys"
	tui_wait '^ +Space +Mark' "Browse's keys"
	no_cut "last page"
	tui_keys Escape
	tui_wait 'Master key id' "Esc leaves help"
	tui_keys q
	tui_wait '^\[exit 0\]' "quit"

	# A hint from core names the screen and key, not the command line:
	# a backup without a master key points at Security -> g and -> i.
	mkdir -p "$T_TMP/$mode/src"
	"$REVAULT" set server.url sftp://127.0.0.1:1/x >/dev/null
	"$REVAULT" source add "$T_TMP/$mode/src" >/dev/null
	tui_start "$mode"
	tui_wait 'Main menu' "main menu before the backup"
	tui_keys b
	tui_wait 'Backup failed' "backup without a master key fails"
	tui_wait 'Security' "the hint is shown"
	# The hint is wrapped over lines: read it as one.
	text=$(tui_screen | sed -E 's/^ +//; s/ +$//' | tr '\n' ' ')
	for want in 'Security (->|→) g Generate master key' 'Security (->|→) i Import key from a file'; do
		grep -qE -- "$want" <<<"$text" && pass || fail "[$mode] the hint lacks /$want/: $text"
	done
	tui_absent 'revault key' "no command line in the hint"
	tui_keys Escape
	tui_keys q
	tui_wait '^\[exit 0\]' "quit after the backup"
done
t_done
