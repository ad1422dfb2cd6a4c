#!/usr/bin/env bash
# Retention: with backup.revisions 3, five backups leave the three newest,
# listed newest first, and nothing else in the device folder on the server.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3

srv_start sshd "$T_TMP/sshd"
src=$T_TMP/src
mkdir -p "$src"
rv_setup "$T_TMP/cfg" "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" retdev "$src"
rv_new_key
rv_trust
rv_ok "set backup.revisions 3" set backup.revisions 3

made=()
for i in 1 2 3 4 5; do
	printf 'generation %s\n' "$i" >"$src/gen"
	rv backup
	expect_rc 0 "backup $i"
	name=$(grep -oE '^backup [0-9]{8}T[0-9]{6}Z(-[0-9]+)?' <<<"$OUT" | awk '{print $2}')
	[ -n "$name" ] && pass || fail "backup $i: summary names no revision: $OUT"
	made+=("$name")
	kept=$(rv_revisions | wc -l)
	want=$((i < 3 ? i : 3))
	[ "$kept" = "$want" ] && pass || fail "after backup $i: $kept revisions listed, expected $want"
done

# Names are unique even within one second.
[ "$(printf '%s\n' "${made[@]}" | sort -u | wc -l)" = 5 ] && pass || fail "revision names repeat: ${made[*]}"

listed=$(rv_revisions)
expected=$(printf '%s\n' "${made[@]:2}" | LC_ALL=C sort -r)
[ "$listed" = "$expected" ] && pass || fail "list shows
$listed
expected the three newest, newest first:
$expected"
[ "$listed" = "$(LC_ALL=C sort -r <<<"$listed")" ] && pass || fail "list is not sorted newest first: $listed"

# On the server: exactly those three files, no temporaries.
on_server=$(server_files "$SSHD_ROOT/retdev")
want_files=$(printf '%s.revault\n' "${made[@]:2}" | LC_ALL=C sort)
[ "$on_server" = "$want_files" ] && pass || fail "server folder holds
$on_server
expected
$want_files"

# The newest is the last backup made.
out=$T_TMP/out
rv restore latest --to "$out"
expect_rc 0 "restore latest"
[ "$(cat "$out$src/gen" 2>/dev/null)" = "generation 5" ] && pass || fail "latest is not the fifth backup"
rv restore "${made[2]}" --to "$T_TMP/out3"
expect_rc 0 "restore the oldest kept"
[ "$(cat "$T_TMP/out3$src/gen" 2>/dev/null)" = "generation 3" ] && pass || fail "${made[2]} is not the third backup"
rv restore "${made[0]}" --to "$T_TMP/out1"
[ "$RC" != 0 ] && pass || fail "a pruned revision was restored"
expect_one_line "restore of a pruned revision"

# Fewer revisions kept: the next backup prunes down to the new limit.
rv_ok "set backup.revisions 1" set backup.revisions 1
rv backup
expect_rc 0 "backup with revisions 1"
[ "$(rv_revisions | wc -l)" = 1 ] && pass || fail "revisions 1 keeps $(rv_revisions | wc -l)"

t_done
