#!/usr/bin/env bash
# Two machines share one server: each keeps its own folder, sees the other's
# with --device, and a machine holding the other's master key (imported
# from an export) restores the other's revision — the day a machine dies.
# A machine with a different key is refused with exit 5.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
srv_start sshd "$T_TMP/sshd"
url="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"

mkdir -p "$T_TMP/a-src/etc" "$T_TMP/b-src/etc"
printf 'I am A\n' >"$T_TMP/a-src/etc/who"
random_file "$T_TMP/a-src/etc/blob" 300000
printf 'I am B\n' >"$T_TMP/b-src/etc/who"

# Machine A.
rv_setup "$T_TMP/a" "$url" "$SSHD_USER" "$SSHD_KEY" router-a "$T_TMP/a-src"
rv_new_key
rv_trust
rv backup;                          expect_rc 0 "A backs up"
rv key export "$T_TMP/a.export" --passphrase-fd 3 3< <(printf 'export passphrase\n')
expect_rc 0 "A exports its key"
a_id=$(rv_key_id)

# Machine B, its own key.
rv_setup "$T_TMP/b" "$url" "$SSHD_USER" "$SSHD_KEY" router-b "$T_TMP/b-src"
rv_new_key
rv_trust
rv backup;                          expect_rc 0 "B backs up"
rv list;                            expect_rc 0 "B lists its own"
[ "$(rv_revisions | wc -l)" = 1 ] && pass || fail "B sees one revision of its own: $OUT"
rv list --device router-a;          expect_rc 0 "B lists A's folder"
expect_out "protected +${a_id:0:16}" "A's revision shows A's key id"
grep -q '(ours)' <<<"$OUT" && fail "A's revision claimed as B's key" || pass
rv restore latest --device router-a --to "$T_TMP/b-out"
expect_rc 5 "B cannot restore A's revision with its own key"; expect_err 'another master key' "wrong key named"
expect_one_line "wrong key"
[ -e "$T_TMP/b-out" ] && [ -n "$(ls -A "$T_TMP/b-out")" ] && fail "wrong key wrote files" || pass

# Machine C replaces A: same key imported, different device name.
rv_setup "$T_TMP/c" "$url" "$SSHD_USER" "$SSHD_KEY" router-c "$T_TMP/a-src"
rv key import "$T_TMP/a.export" --passphrase-fd 3 3< <(printf 'export passphrase\n')
expect_rc 0 "C imports A's key"
rv_trust
rv list --device router-a;          expect_rc 0 "C lists A"; expect_out '\(ours\)' "A's key is now ours"
rv restore latest --device router-a --to "$T_TMP/c-out"
expect_rc 0 "C restores A's revision"
expect_same_tree "$T_TMP/a-src" "$T_TMP/c-out$T_TMP/a-src" "A's tree on C"
t_done
