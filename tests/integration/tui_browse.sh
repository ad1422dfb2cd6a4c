#!/usr/bin/env bash
# Browse in the text interface, against a real OpenSSH server, at 80x24 in
# colour UTF-8 and on a vt220 with LANG=C: from the revision picker, b
# opens the revision's tree (read and verified, with a count of entries),
# folders fold and unfold, each entry shows its size and date, / finds by
# name; one marked file restored in place comes back while a file made
# after the backup beside it stays and nothing else changes, and a marked
# folder restored under a directory comes back alone. Through a throttled
# link the reading shows its progress and c stops it.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
# Dates on the screen in UTC: set before the tmux server starts.
export TZ=UTC
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e
need_cmd python3 python3

srv_start sshd "$T_TMP/sshd"
url="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"

for mode in color vt220; do
	src=$T_TMP/src-$mode
	mkdir -p "$src/etc/sub" "$src/other"
	printf 'version 1\n' >"$src/etc/app.conf"
	touch -d '2026-01-02 03:04:05 UTC' "$src/etc/app.conf"
	printf 'inner\n' >"$src/etc/sub/inner"
	printf 'o1\n' >"$src/other/file"
	rv_setup "$T_TMP/cfg-$mode" "$url" "$SSHD_USER" "$SSHD_KEY" "browse-$mode" "$src"
	rv_new_key
	rv_trust
	rv_ok "protected on" set security.protected on
	rv_ok "backup" backup
	printf 'version 2\n' >"$src/etc/app.conf"
	printf 'newer\n' >"$src/etc/newer.conf"
	printf 'o2\n' >"$src/other/file"

	tui_start "$mode"
	tui_wait 'Main menu' "main menu"
	tui_keys r
	tui_wait '1 revision in' "the picker lists the revision"
	tui_wait 'b Browse .*F10/q Quit' "the picker's key bar offers Browse, and still fits Quit"
	tui_keys b
	tui_wait '7 entries, verified; 0 marked' "the revision is read and verified"
	tui_wait "$(re "$src")/\$|$(re "$src")/ " "the source is the top of the tree"
	tui_wait '\+ etc/' "a folder starts folded"
	tui_absent '^ \[.\] .*app\.conf' "a folded folder hides its files"
	tui_wait 'F5/r Restore .*F10/q Quit' "the key bar of a verified tree"

	# Find by name: the folder is unfolded to show the match.
	tui_keys /
	tui_wait 'Find an entry whose name holds' "find asks for a name"
	tui_type app.conf
	tui_keys Enter
	tui_wait '- etc/' "find unfolds the folder"
	tui_wait 'app\.conf +10 B +2026-01-02 03:04' "the file shows its size and date"
	# Left on a file goes to its folder; Enter folds it again.
	tui_keys Left
	tui_keys Enter
	tui_wait '\+ etc/' "Enter folds the folder"
	tui_absent '^ \[.\] .*app\.conf' "the folded folder hides its files again"
	tui_keys /
	tui_wait 'Find an entry whose name holds' "find again"
	tui_keys Enter
	tui_wait '^ \[.\] .*app\.conf' "find shows the file again"

	# One file in place, beside a file made after the backup.
	tui_keys Space
	tui_wait '1 marked' "Space marks the file"
	tui_wait '\[x\] +app\.conf' "the mark shows on its row"
	tui_keys r
	tui_wait 'Restore 1 marked path into this directory' "restore asks where"
	tui_keys Enter
	tui_wait 'No directory was given' "an empty directory is not taken for in place"
	tui_keys Enter
	tui_wait 'no directory given, nothing was changed' "Enter (No) cancels the in-place restore"
	[ "$(cat "$src/etc/app.conf")" != "version 1" ] && pass || fail "[$mode] No restored app.conf all the same"
	tui_keys r
	tui_wait 'Restore 1 marked path into this directory' "restore asks where again"
	tui_keys Enter
	tui_wait 'No directory was given' "the empty directory asks about in place"
	tui_keys y
	tui_wait 'Restore in place replaces these paths' "in place asks before replacing"
	tui_wait "^.*  $(re "$src/etc/app.conf")" "the confirmation lists the marked file"
	tui_absent "  $(re "$src")( |\$)" "the confirmation does not list the source"
	tui_keys y
	tui_wait '^  Done' "restore of one file done"
	tui_wait "restored 1 path of" "the summary says one path"
	[ "$(cat "$src/etc/app.conf")" = "version 1" ] && pass || fail "[$mode] app.conf is not back"
	[ "$(cat "$src/etc/newer.conf" 2>/dev/null)" = newer ] && pass || fail "[$mode] the newer file is gone"
	[ "$(cat "$src/other/file")" = o2 ] && pass || fail "[$mode] a file not marked was restored"
	tui_keys Enter
	tui_wait '1 marked' "back in the tree, the mark kept"

	# A folder under a directory. Space marks and moves down, as in a file
	# manager: the file is found again to unmark it.
	tui_keys /
	tui_wait 'Find an entry whose name holds' "find the marked file"
	tui_keys Enter
	tui_keys Space
	tui_wait '0 marked' "Space unmarks"
	tui_keys /
	tui_wait 'Find an entry whose name holds' "find the folder"
	TM send-keys -t rv C-u
	tui_type sub
	tui_keys Enter
	tui_wait '\+ sub/' "the folder is found"
	tui_keys Space
	tui_keys r
	tui_wait 'Restore 1 marked path into this directory' "restore asks where (folder)"
	tui_type "$T_TMP/out-$mode"
	tui_keys Enter
	tui_wait 'Restore 1 path of revision [0-9TZ-]+ into' "restore under a directory asks"
	tui_keys y
	tui_wait '^  Done' "restore of a folder done"
	[ "$(cat "$T_TMP/out-$mode$src/etc/sub/inner" 2>/dev/null)" = inner ] && pass ||
		fail "[$mode] the folder is not under the directory"
	[ "$(ls -A "$T_TMP/out-$mode$src/etc")" = sub ] && pass ||
		fail "[$mode] more than the folder under the directory: $(ls -A "$T_TMP/out-$mode$src/etc")"
	[ ! -e "$T_TMP/out-$mode$src/other" ] && pass || fail "[$mode] an unmarked folder came back"
	tui_keys Enter
	tui_wait 'entries, verified' "back in the tree"
	tui_keys Escape
	tui_wait 'Revisions of this machine' "Esc goes back to the picker"
	tui_keys Escape q
	tui_wait '\[exit 0\]' "quit"
done

# A marked folder holding a second name (hard link) of a file outside it:
# refused with the entry to mark as well, and the file stays on disk. The
# warnings of a restore (a source of the revision not among this
# machine's) are shown with its result. The selected entry's whole path
# is shown on a row of its own, its end when it is too long for the row.
L=$T_TMP/links
U=$T_TMP/unlisted
mkdir -p "$L/a" "$L/b" "$U"
printf 'data\n' >"$L/a/f"
ln "$L/a/f" "$L/b/g"
printf 'own\n' >"$L/b/own"
printf 'u\n' >"$U/u"
# Names alike up to past the tree's column: only their ends differ.
long=$(printf 'n%.0s' $(seq 100))
mkdir "$L/long"
for i in 0 1 2 3 4; do : >"$L/long/${long}0000$i"; done
rv_setup "$T_TMP/cfg-links" "$url" "$SSHD_USER" "$SSHD_KEY" browse-links "$L" "$U"
rv_new_key
rv_trust
rv_ok "backup" backup
rv_ok "source remove" source remove "$U"
sum=$(tree_sum "$L")
tui_start color
tui_wait 'Main menu' "main menu (links)"
tui_keys r
tui_wait '1 revision in' "the picker lists the revision (links)"
tui_keys b
tui_wait 'entries, verified' "the revision is read (links)"
tui_keys /
tui_wait 'Find an entry whose name holds' "find (links)"
tui_type own
tui_keys Enter
tui_wait '^ \[.\] .*own' "the folder is unfolded"
tui_keys Left
tui_wait '- b/' "Left goes to the folder"
tui_wait "^  $(re "$L/b") *\$" "the selected folder's whole path is shown"
tui_keys Space r
tui_wait 'Restore 1 marked path into this directory' "restore asks where (links)"
# A relative directory is refused in the box, which stays open with it.
tui_type relative/dir
tui_keys Enter
tui_wait 'is a relative path: type an absolute path' "a relative directory is refused"
tui_wait 'Restore 1 marked path into this directory' "the box stays open"
[ ! -e "$HOME/relative" ] && [ ! -e relative ] && pass || fail "a relative directory was made"
TM send-keys -t rv C-u
tui_keys Enter
tui_wait 'No directory was given' "in place is asked (links)"
tui_keys y
tui_wait "^  $(re "$L/b")" "the confirmation lists the folder"
tui_keys y
tui_wait '^  Failed' "a folder holding a second name alone is refused"
# The message wraps: read as one text.
joined=$(tui_screen | sed 's/^ *//' | tr '\n' ' ' | tr -s ' ')
grep -qF "$L/b/g is a second name (hard link) of $L/a/f in this revision: mark also $L/a/f to restore both" <<<"$joined" &&
	pass || fail "the refusal does not say to mark $L/a/f as well: $joined"
[ "$(cat "$L/b/g" 2>/dev/null)" = data ] && pass || fail "the hard link $L/b/g is gone from disk"
[ "$(tree_sum "$L")" = "$sum" ] && pass || fail "a refused browse restore changed the source"
tui_keys Enter
tui_wait 'entries, verified' "back in the tree (links)"
# The selected one of names cut alike in the tree is told by its end.
tui_keys /
tui_wait 'Find an entry whose name holds' "find a long name"
# The text of the last find is selected: typing replaces it.
tui_type 00003
tui_keys Enter
tui_wait "^  …n+00003 *\$" "the selected long name's end is shown"
tui_keys /
tui_wait 'Find an entry whose name holds' "find another long name"
tui_type 00001
tui_keys Enter
tui_wait "^  …n+00001 *\$" "the other long name's end is shown"
tui_keys Escape
tui_wait 'Revisions of this machine' "back in the picker (links)"
tui_keys r
tui_wait 'Restore into this directory' "whole restore asks where"
tui_type relative
tui_keys Enter
tui_wait 'is a relative path: type an absolute path' "the picker refuses a relative directory"
TM send-keys -t rv C-u
tui_keys Enter
tui_wait 'No directory was given' "whole restore in place is asked"
tui_keys y
tui_wait 'Restore in place replaces these paths' "whole restore lists the paths"
tui_keys y
tui_wait '^  Done' "a restore leaving out a source is done"
joined=$(tui_screen | sed 's/^ *//' | tr '\n' ' ' | tr -s ' ')
grep -qF "not restored: $U is not among this machine's sources" <<<"$joined" && pass ||
	fail "the warning is not on the screen: $joined"
tui_keys Enter Escape
tui_wait 'Main menu' "main menu (links, end)"
tui_keys q
tui_wait '\[exit 0\]' "quit (links)"

# Reading through a throttled link: progress shows while the tree grows,
# c stops the reading, and nothing can be restored from what was read.
proxy_start slow "$SSHD_PORT" --rate 500000
src=$T_TMP/src-slow
mkdir -p "$src/data"
head -c 6000000 /dev/urandom >"$src/data/blob"
printf 'x\n' >"$src/data/z.conf"
rv_setup "$T_TMP/cfg-slow" "$url" "$SSHD_USER" "$SSHD_KEY" browse-slow "$src"
rv_new_key
rv_trust
rv_ok "protected on" set security.protected on
rv_ok "backup" backup
rv_ok "the throttled server" set server.url "sftp://127.0.0.1:$PROXY_PORT$SSHD_ROOT"
rv_trust
tui_start color
tui_wait 'Main menu' "main menu (slow)"
tui_keys r
tui_wait '1 revision in' "the picker lists the revision (slow)"
tui_keys b
tui_wait 'Reading and verifying: [0-9]+ entries, [0-9]+% of .*c cancels' "progress while the revision is read"
tui_wait 'F8/c Cancel .*F10/q Quit' "the key bar while reading"
tui_keys r
tui_wait 'Still reading: restore once the whole revision verified' "no restore while reading"
tui_keys c
tui_wait 'Reading was cancelled: the tree is incomplete and unverified' "c stops the reading"
tui_keys r
tui_wait 'Nothing can be restored from this reading' "no restore from a cancelled reading"
tui_keys Escape
tui_wait 'Revisions of this machine' "Esc goes back to the picker (slow)"
tui_keys Escape q
tui_wait '\[exit 0\]' "quit (slow)"

t_done
