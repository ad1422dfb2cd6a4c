#!/usr/bin/env bash
# `restore --path` and what lies around the paths asked for (docs/SECURITY.md
# section 5, docs/OPERATOR.md "Getting one file back").
#
# 1. Hard links: a file under a --path whose other name is outside it
#    (elsewhere in the source, in another source, or gone from disk since
#    the backup) is stored under that other name. The restore is refused
#    whole with exit 2 and one line naming every --path to add, in place
#    and under --to, before anything changes: in place the swap would
#    otherwise remove the file from disk. A whole restore in place that
#    leaves out the source of the first name is refused the same way.
# 2. Symlinks inside a source: an in-place `restore --path` opens the
#    folders between the source and the path without following any
#    symlink, root's too (a user who owns a folder in the source can move
#    root's symlink into place). Refused with exit 2, nothing written
#    outside the source; under --to the same.
# 3. A --path restore killed at each rename of its swap is finished or
#    rolled back by the next run, through the journal's spelling of the
#    path's folder inside the source.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
umask 022

srv_start sshd "$T_TMP/sshd"
url="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"

# ---- 1. hard links whose other name is not restored ----
H=$T_TMP/H5
H2=$T_TMP/H6
mkdir -p "$H/a" "$H/b" "$H/c" "$H2"
echo data >"$H/a/f"
ln "$H/a/f" "$H/b/g"
echo own >"$H/b/own"
echo more >"$H/c/m"
ln "$H/c/m" "$H/b/m2"
ln "$H/c/m" "$H/b/m3"
echo other >"$H2/o"
ln "$H2/o" "$H/b/o2" # a hard link across two sources
rv_setup "$T_TMP/cfg" "$url" "$SSHD_USER" "$SSHD_KEY" linkdev "$H" "$H2"
rv_new_key
rv_trust
rv backup
expect_rc 0 "backup"
rev=$(rv_revisions | head -1)

sum=$(tree_sum "$T_TMP/H5")
sum2=$(tree_sum "$H2")
rv restore "$rev" --path "$H/b" --yes
expect_rc 2 "restore --path of a folder holding second names"
expect_one_line "restore --path of a folder holding second names"
for first in "$H/a/f" "$H/c/m"; do
	[ "$(grep -o -- "--path $first[ ;]" <<<"$ERR" | wc -l)" = 1 ] && pass ||
		fail "the line does not name --path $first once: $ERR"
done
expect_err "nothing was changed" "the refusal says nothing changed"
[ "$(cat "$H/b/g" 2>/dev/null)" = data ] && pass || fail "the hard link $H/b/g is gone from disk"
[ "$(tree_sum "$H")" = "$sum" ] && [ "$(tree_sum "$H2")" = "$sum2" ] && pass ||
	fail "a refused restore --path changed the sources"
left=$(find "$T_TMP" -name '.revault-stage-*' -o -name '.revault-old-*')
[ -z "$left" ] && pass || fail "left behind: $left"

# In another source: H6/o is stored as a second name of H5/b/o2.
rv ls "$rev" "$H2/o" --long
expect_out "^h.* $(re "$H2/o") link to $(re "$H/b/o2")\$" "the revision holds $H2/o as a second name"
rv restore "$rev" --path "$H2" --yes
expect_rc 2 "restore --path of a source holding a second name of another source's file"
expect_err "add --path $(re "$H/b/o2") to restore both" "the other source's path is named"
[ "$(cat "$H2/o" 2>/dev/null)" = other ] && [ "$(tree_sum "$H2")" = "$sum2" ] && pass ||
	fail "a refused restore of $H2 changed it"

# One second name: the line names its first name.
rv restore "$rev" --path "$H/b/g" --yes
expect_rc 2 "restore --path of one second name"
expect_err "$(re "$H/b/g") is a second name \(hard link\) of $(re "$H/a/f") in this revision: add --path $(re "$H/a/f")" \
	"the one line names the first name"

# The first name gone from disk since the backup: still refused, nothing lost.
mv "$H/a/f" "$T_TMP/f.kept"
sum=$(tree_sum "$H")
rv restore "$rev" --path "$H/b" --yes
expect_rc 2 "restore --path when the first name is gone from disk"
[ "$(cat "$H/b/g" 2>/dev/null)" = data ] && pass || fail "$H/b/g is gone after its first name was removed"
[ "$(tree_sum "$H")" = "$sum" ] && pass || fail "a refused restore changed the source (first name gone)"

# Under --to: refused the same way, not a copy with a name missing.
rv restore "$rev" --path "$H/b" --to "$T_TMP/out"
expect_rc 2 "restore --path --to of a folder holding second names"
[ ! -e "$T_TMP/out$H/b" ] && pass || fail "--to got a part of the folder: $(ls -A "$T_TMP/out$H/b")"

# With the paths named, every name comes back, linked as in the backup.
mv "$T_TMP/f.kept" "$H/a/f"
echo changed >"$H/b/own"
rv restore "$rev" --path "$H/b" --path "$H/a/f" --path "$H/c/m" --path "$H2" --yes
expect_rc 0 "restore --path with every first name"
[ "$(cat "$H/b/own")" = own ] && pass || fail "b/own is not back"
[ "$(stat -c %i "$H/b/g")" = "$(stat -c %i "$H/a/f")" ] && [ "$(stat -c %i "$H/b/m3")" = "$(stat -c %i "$H/c/m")" ] &&
	[ "$(stat -c %i "$H/b/o2")" = "$(stat -c %i "$H2/o")" ] && pass || fail "the names did not come back as one file each"

# A whole restore in place that leaves out the source holding the first
# name (H5 no longer backed up here): refused the same way, H6/o kept.
rv_ok "source remove $H" source remove "$H"
echo changed >"$H2/o"
sum2=$(tree_sum "$H2")
rv restore "$rev" --yes
expect_rc 2 "a whole restore in place leaving out the first name's source"
expect_err "$(re "$H2/o") is a second name \(hard link\) of $(re "$H/b/o2"), in a source this machine does not back up: restore in place with --all-sources" \
	"the refusal says how to restore both"
[ "$(tree_sum "$H2")" = "$sum2" ] && [ -e "$H2/o" ] && pass || fail "a refused whole restore changed $H2"
rv restore "$rev" --all-sources --yes
expect_rc 0 "the whole restore with --all-sources"
[ "$(cat "$H2/o")" = other ] && [ "$(stat -c %i "$H2/o")" = "$(stat -c %i "$H/b/o2")" ] && pass ||
	fail "--all-sources did not bring both names back as one file"
rv_ok "source add $H" source add "$H"

# ---- 2. symlinks between the source and the --path ----
if [ "$(id -u)" = 0 ] && getent passwd nobody >/dev/null && command -v setpriv >/dev/null; then
	grp=$(getent group nogroup >/dev/null && echo nogroup || id -gn nobody)
	as_nobody() { setpriv --reuid=nobody --regid="$grp" --clear-groups "$@"; }
	S=$T_TMP/S
	V=$T_TMP/V
	mkdir -p "$S/etc/app/sub" "$V"
	echo v1 >"$S/etc/app/app.conf"
	echo deep1 >"$S/etc/app/sub/deep.conf"
	chown -R nobody:"$grp" "$S/etc"
	chmod 755 "$T_TMP" "$S" "$V"
	rv_ok "source add $S" source add "$S"
	rv backup
	expect_rc 0 "backup of the source with a user's folder"
	rev=$(rv_revisions | head -1)
	vsum=$(tree_sum "$V")

	# The review's case: root's symlink moved into place by the folder's owner.
	ln -s "$V" "$S/etc/rootlink"
	as_nobody mv "$S/etc/app" "$S/etc/app.x"
	as_nobody mv "$S/etc/rootlink" "$S/etc/app"
	[ "$(stat -c %U "$S/etc/app")" = root ] && [ -L "$S/etc/app" ] && pass || fail "the test's symlink is not root's"
	rv restore "$rev" --path "$S/etc/app/app.conf" --yes
	expect_rc 2 "restore --path through root's symlink in a user's folder"
	expect_one_line "restore --path through a symlink"
	expect_err "$(re "$S/etc/app") is a symlink" "the line names the symlink"
	[ ! -e "$V/app.conf" ] && [ "$(tree_sum "$V")" = "$vsum" ] && pass || fail "restore --path wrote outside the source: $(ls -A "$V")"
	rm "$S/etc/app"
	mv "$S/etc/app.x" "$S/etc/app"

	# Root's symlink at every depth between the source and the path: the
	# source's first folder, a folder between, the path's own folder.
	for link in "$S/etc" "$S/etc/app" "$S/etc/app/sub"; do
		mv "$link" "$link.x"
		ln -s "$V" "$link"
		before=$(tree_sum "$S")
		rv restore "$rev" --path "$S/etc/app/sub/deep.conf" --yes
		expect_rc 2 "restore --path with root's symlink at $link"
		expect_one_line "restore --path with root's symlink at $link"
		expect_err "$(re "$link") is a symlink" "the symlink at $link is named"
		[ -z "$(ls -A "$V")" ] && pass || fail "restore --path wrote through $link: $(ls -A "$V")"
		[ "$(tree_sum "$S")" = "$before" ] && pass || fail "a refused restore changed the source (link at $link)"
		rm "$link"
		mv "$link.x" "$link"
	done

	# The path's own folder removed and the folder above a symlink: the
	# missing folders are never made through it.
	rm -rf "$S/etc/app/sub"
	mv "$S/etc/app" "$S/etc/app.x"
	ln -s "$V" "$S/etc/app"
	rv restore "$rev" --path "$S/etc/app/sub/deep.conf" --yes
	expect_rc 2 "restore --path into a removed folder behind root's symlink"
	[ -z "$(ls -A "$V")" ] && pass || fail "missing folders were made through the symlink: $(ls -A "$V")"
	rm "$S/etc/app"
	mv "$S/etc/app.x" "$S/etc/app"

	# The path itself a symlink now: replaced, not followed.
	rm -rf "$S/etc/app/sub"
	ln -s "$V" "$S/etc/app/sub"
	rv restore "$rev" --path "$S/etc/app/sub" --yes
	expect_rc 0 "restore --path of a folder that is a symlink now"
	[ -d "$S/etc/app/sub" ] && [ ! -L "$S/etc/app/sub" ] && [ "$(cat "$S/etc/app/sub/deep.conf")" = deep1 ] && pass ||
		fail "the folder did not come back in place of the symlink"
	[ -z "$(ls -A "$V")" ] && pass || fail "restoring over a symlink wrote through it: $(ls -A "$V")"

	# Under --to: root's symlink inside DIR, at each depth.
	O=$T_TMP/out2
	for d in "" /etc /etc/app; do
		rm -rf "$O"
		mkdir -p "$O$S$d"
		chmod 700 "$O"
		rmdir "$O$S$d"
		ln -s "$V" "$O$S$d"
		rv restore "$rev" --path "$S/etc/app/app.conf" --to "$O"
		expect_rc 2 "restore --path --to with root's symlink at DIR$S$d"
		[ -z "$(ls -A "$V")" ] && pass || fail "restore --to wrote through DIR$S$d: $(ls -A "$V")"
	done
else
	skip_part "needs root, the user nobody and setpriv: root's symlink moved into place by a user"
fi

# ---- 3. a --path restore killed during its swap, finished by the next ----
# The journal names the path's folder inside the source as the source's
# parent and the rest; recovery opens it that way and finishes the swap.
if command -v strace >/dev/null && strace -f -qq -o /dev/null true 2>/dev/null; then
	K=$T_TMP/K
	mkdir -p "$K/d1/d2"
	echo backed >"$K/d1/d2/file"
	echo keep >"$K/d1/d2/other"
	rv_ok "source add $K" source add "$K"
	rv backup
	expect_rc 0 "backup of $K"
	killed=0
	for n in 1 2 3 4 5 6 7 8; do
		echo changed >"$K/d1/d2/file"
		set +e
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" bash -c 'timeout -k 5 120 strace -f -qq -o /dev/null \
			-e "inject=?rename,?renameat,?renameat2:signal=KILL:when=$1" "$2" restore latest --path "$3" --yes \
			>/dev/null 2>&1; exit $?' _ "$n" "$REVAULT" "$K/d1/d2/file" 2>/dev/null
		krc=$?
		set -e
		[ "$krc" = 0 ] && break
		[ "$krc" = 137 ] && pass || fail "the restore killed at rename #$n exited $krc"
		killed=$((killed + 1))
		rv restore 19990101T000000Z --yes
		grep -q 'recovering the interrupted restore' <<<"$ERR" && fail "recovery after rename #$n failed: $ERR" || pass
		now=$(cat "$K/d1/d2/file" 2>/dev/null || echo missing)
		[ "$now" = changed ] || [ "$now" = backed ] && pass || fail "after rename #$n and recovery the file is $now"
		[ "$(cat "$K/d1/d2/other")" = keep ] && pass || fail "after rename #$n a file beside the path changed"
		left=$(find "$K" "$REVAULT_STATE_DIR" -name '.revault-*' -o -name '*journal*')
		[ -z "$left" ] && pass || fail "after rename #$n and recovery, left behind: $left"
	done
	[ "$killed" -ge 3 ] && pass || fail "only $killed restores were killed during their renames"
	[ "$(cat "$K/d1/d2/file")" = backed ] && pass || fail "the restore that ran to its end did not bring the file back"
else
	skip_part "strace is missing or cannot trace here: a killed --path restore"
fi

t_done
