#!/usr/bin/env bash
# Sources end to end: `revault source add` keeps one spelling of each path
# (doubled and trailing slashes, `.` and `..`, a relative path taken from
# the current directory); a path already listed in another spelling, one
# inside or holding another source (both orders) and one holding the state
# folder are refused with exit 2 and one line naming both paths, leaving
# the settings file as it was; a hand-edited file is read back normalised.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
set -e
cfg=$T_TMP/conf/revault.yaml
rv() { run "$REVAULT" -c "$cfg" "$@"; }
# sources: the configured sources, one a line, as `revault show` prints them.
sources() { "$REVAULT" -c "$cfg" show | sed -nE 's/^backup\.sources +//p'; }
expect_sources() {
	local got
	got=$(sources)
	[ "$got" = "$1" ] && pass || fail "$2: sources are
$got
expected
$1"
}
# refused DESCRIPTION PATH...: the last run exited 2 with one line naming each PATH.
refused() {
	local what=$1 p
	shift
	expect_rc 2 "$what"
	expect_one_line "$what"
	for p in "$@"; do
		grep -qF -- "$p" <<<"$ERR" && pass || fail "$what: the line does not name $p: $ERR"
	done
}

rv source add //etc/x
expect_rc 0 "source add //etc/x"
expect_sources "/etc/x" "//etc/x is kept as /etc/x"
rv source add /etc//x/
refused "the same path in another spelling" /etc/x
expect_err 'already a source' "a duplicate says it is one"
rv source add /etc/x/.
refused "/etc/x/. is /etc/x" /etc/x

mkdir -p "$T_TMP/work/x"
work=$(cd "$T_TMP/work" && pwd -P)
(cd "$work" && run "$REVAULT" -c "$cfg" source add x/../y && [ "$RC" = 0 ]) && pass ||
	fail "relative source x/../y refused"
expect_sources "/etc/x
$work/y" "x/../y is taken from the current directory"
(cd "$work" && run "$REVAULT" -c "$cfg" source add ./y/ && [ "$RC" = 2 ]) && pass ||
	fail "./y/ after x/../y was not a duplicate"

# Nested, in both orders; the file is left as it was.
before=$(sha256sum "$cfg")
rv source add /etc/x/inner
refused "a source inside another" /etc/x/inner /etc/x
rv source add /etc//x/a/../b
refused "a source inside another, spelled oddly" /etc/x/b /etc/x
rv source add /etc
refused "a source holding another" /etc /etc/x
rv source add //
refused "/ holds every source" "/etc/x"
rv source add /et
expect_rc 0 "/et is not /etc: not nested"
rv source remove /et
expect_rc 0 "source remove /et"
[ "$(sha256sum "$cfg")" = "$before" ] && pass || fail "a refused source changed the settings file"

# The state folder (REVAULT_STATE_DIR, set for each test): its parent, the
# folder itself and a folder inside it, against a settings file of their
# own (the first one has sources under $T_TMP already).
state=$REVAULT_STATE_DIR
cfg_main=$cfg
cfg=$T_TMP/conf2/revault.yaml
rv source add "$T_TMP"
refused "the state folder's parent" "$T_TMP" "$state"
rv source add "$state/"
refused "the state folder itself" "$state"
rv source add "$state/journal"
refused "a folder inside the state folder" "$state/journal" "$state"
rv source add "$work/x"
expect_rc 0 "a folder beside the state folder"
if [ "$(id -u)" = 0 ]; then
	# root's own state folder, /var/lib/revault, when nothing overrides it
	run env -u REVAULT_STATE_DIR "$REVAULT" -c "$cfg" source add /var//lib/
	refused "root's state folder's parent" /var/lib /var/lib/revault
fi
cfg=$cfg_main

# Any spelling removes.
rv source remove //etc/./x/
expect_rc 0 "source remove in another spelling"
expect_sources "$work/y" "/etc/x removed"

# A hand-edited file is read normalised; a nested pair is kept as written
# (the backup refuses it).
printf 'backup:\n  sources: ["//etc/revault/", "/srv//data/./a/..", "/srv/data/b"]\n' >"$cfg"
expect_sources "/etc/revault
/srv/data
/srv/data/b" "a hand-edited file is read normalised"
rv source add /srv/data/c
refused "adding to a hand-edited file with a nested pair" /srv/data/c /srv/data
rv source remove /srv/data/b/
expect_rc 0 "remove the inner one of a hand-edited pair"
grep -q '"/srv/data"' "$cfg" && pass || fail "the saved file keeps the normalised spelling"

# Where a path lies on disk counts, not only its spelling: a symlink in a
# parent leads to the same folder.
cfg=$T_TMP/conf-phys/revault.yaml
mkdir -p "$T_TMP/disk/data/src1" "$T_TMP/disk/stt"
ln -s data "$T_TMP/disk/lnk"
rv source add "$T_TMP/disk/data/src1"
expect_rc 0 "a source"
rv source add "$T_TMP/disk/lnk/src1"
expect_rc 2 "the same source through a symlinked parent"
expect_err 'already a source' "the refusal says it is the same source"
rv source add "$T_TMP/disk/lnk/src1/inner"
expect_rc 2 "a folder inside a source, through a symlinked parent"
REVAULT_STATE_DIR=$T_TMP/disk/lnk/src2/st rv source add "$T_TMP/disk/data/src2"
expect_rc 2 "a source holding the state folder spelled through a symlink"
expect_err 'state folder' "the refusal names the state folder"

t_done
