#!/usr/bin/env bash
# `revault status` (docs/OPERATOR.md, "Monitoring"): the last-run records
# every backup writes in the state folder, whoever runs it (the command,
# the console, the text interface, whose main menu shows it), and the exit status a monitoring check reads: 0 only when
# the last backup stored a revision (complete or with warnings, said
# which) and, with --max-age, is not older than that; 1 after a failed
# backup, with none on record, past --max-age, or with a damaged record.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e
need_cmd python3 python3

srv_start sshd "$T_TMP/sshd"
src=$T_TMP/src
mkdir -p "$src"
printf 'conf\n' >"$src/a.conf"
rv_setup "$T_TMP/cfg" "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" statdev "$src"
rv_new_key
rv_trust
rec=$REVAULT_STATE_DIR/last-backup
ok=$REVAULT_STATE_DIR/last-backup-ok

# json_get FILE EXPR: a value from the JSON in FILE (python3 reads it).
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# ---- nothing on record -------------------------------------------------------
rv status
expect_rc 1 "status before any backup"
expect_out '^NONE: no backup on record' "status says there is none"
expect_err 'revault backup' "the stderr line says what to do"
expect_one_line "status with no record"

# ---- a failed backup ---------------------------------------------------------
rv_ok "unreachable url" set server.url "sftp://127.0.0.1:1$SSHD_ROOT"
rv backup
[ "$RC" = 1 ] && pass || fail "backup to a closed port: exit $RC"
rv status
expect_rc 1 "status after a failed backup"
expect_out '^FAILED: .*failed with exit 1' "the first line says FAILED and the exit status"
expect_out 'last success: +none' "no success yet"
grep -qx 'kind=backup' "$rec" && grep -qx 'status=1' "$rec" && grep -q '^started=20' "$rec" &&
	grep -q '^message=.' "$rec" && pass || fail "the record of the failed attempt: $(cat "$rec" 2>&1)"
[ ! -e "$ok" ] && pass || fail "a failed backup wrote the success record"
[ "$(stat -c %a "$rec")" = 600 ] && pass || fail "the record is mode $(stat -c %a "$rec")"
rv_ok "reachable url" set server.url "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"

# ---- a complete backup ---------------------------------------------------------
rv_ok "backup" backup
rev=$(rv_revisions | head -1)
rv status
expect_rc 0 "status after a backup"
expect_out "^OK: the last backup, $rev, .*complete \\(exit 0\\)" "the first line says OK, the revision and complete"
expect_out "last success: .*revision $rev, 2 files" "the last success is that revision (the folder and its file)"
grep -qx "revision=$rev" "$rec" && grep -qx "files=2" "$rec" && grep -q '^bytes=[1-9]' "$rec" &&
	cmp -s "$rec" "$ok" && pass || fail "the records after a success: $(cat "$rec" "$ok" 2>&1)"
rv status --max-age 26h
expect_rc 0 "status --max-age 26h right after a backup"
rv status --json
expect_rc 0 "status --json"
printf '%s\n' "$OUT" >"$T_TMP/s.json"
python3 -m json.tool "$T_TMP/s.json" >/dev/null && pass || fail "status --json is not JSON: $OUT"
[ "$(json_get "$T_TMP/s.json" 'd["health"], d["exit_status"], d["last_attempt"]["revision"], d["last_success"]["exit_status"]')" = \
	"('ok', 0, '$rev', 0)" ] && pass || fail "status --json fields: $OUT"

# ---- older than --max-age: the record is backdated two days -------------------------
old=$(date -u -d '-2 days' +%Y-%m-%dT%H:%M:%SZ)
sed -i "s/^started=.*/started=$old/; s/^ended=.*/ended=$old/" "$rec"
rv status --max-age 26h
expect_rc 1 "status --max-age 26h, two days after the backup"
expect_out '^STALE: .*longer than --max-age \(26 h\)' "the first line says STALE"
expect_err '^revault: STALE' "and so does stderr"
rv status --max-age 3d
expect_rc 0 "status --max-age 3d, two days after"
rv status
expect_rc 0 "status without --max-age has no age limit"
rv status --max-age 26x
expect_rc 2 "a bad --max-age"
expect_err '26h, 90m' "the usage line says what a duration looks like"
expect_one_line "a bad --max-age"

# ---- stored with warnings (exit 6) ----------------------------------------------
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$src/sock"
rv backup
expect_rc 6 "backup of a source holding a socket"
rev6=$(rv_revisions | head -1)
rm -f "$src/sock"
rv status
expect_rc 0 "status after a backup with warnings"
expect_out "^OK: the last backup, $rev6, .*with 1 warning \\(exit 6\\)" "the first line says it had warnings"
rv status --json
printf '%s\n' "$OUT" >"$T_TMP/s6.json"
[ "$(json_get "$T_TMP/s6.json" 'd["health"], d["last_attempt"]["exit_status"], d["last_attempt"]["warnings"]')" = \
	"('warnings', 6, 1)" ] && pass || fail "status --json after exit 6: $OUT"

# ---- a failure after successes: the last success is kept -------------------------
rv_ok "unreachable url" set server.url "sftp://127.0.0.1:1$SSHD_ROOT"
rv backup
rv status --json
expect_rc 1 "status after a success, then a failure"
printf '%s\n' "$OUT" >"$T_TMP/sf.json"
[ "$(json_get "$T_TMP/sf.json" 'd["health"], d["last_attempt"]["revision"], d["last_success"]["revision"]')" = \
	"('failed', None, '$rev6')" ] && pass || fail "status --json after a failure: $OUT"
rv_ok "reachable url" set server.url "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"

# ---- a damaged record, and one that is a symlink -----------------------------------
cp "$rec" "$T_TMP/rec.good"
printf 'ended=yesterday\nstatus=0\n' >"$rec"
rv status
expect_rc 1 "status with a damaged record"
expect_err "record .*last-backup is damaged at line 1; remove it" "one line names the record and what to do"
expect_one_line "a damaged record"
head -c 20000 /dev/urandom >"$rec"
rv status --json
expect_rc 1 "status --json with a binary record"
expect_err "not a revault record" "a binary record is named"
printf '%s\n' "$OUT" >"$T_TMP/sd.json"
[ "$(json_get "$T_TMP/sd.json" 'd["health"]')" = unreadable ] && pass || fail "status --json with a damaged record: $OUT"
rm -f "$rec"
ln -s "$T_TMP/rec.good" "$rec"
rv status
expect_rc 1 "status with a symlink in place of the record"
expect_err "cannot read the record" "the symlink is not followed"
rm -f "$rec"
cp "$T_TMP/rec.good" "$rec"

# ---- the console: its backup writes the record, `show backup status` reads it -------
before=$(rv_revisions | head -1)
run timeout -k 5 "$T_RUN_TIMEOUT" "$REVAULT" console <<<$'backup\nshow backup status'
revc=$(rv_revisions | head -1)
[ -n "$revc" ] && [ "$revc" != "$before" ] && pass || fail "the console's backup stored no revision: $ERR"
grep -qx "revision=$revc" "$rec" && pass || fail "the console's backup left no record: $(cat "$rec")"
expect_out "OK: the last backup, $revc, " "show backup status in the console"
expect_out "last success: .*revision $revc" "show backup status shows the last success"

# ---- the text interface: Last backup from the record, and its backup writes one ---------
rv_ok "unreachable url" set server.url "sftp://127.0.0.1:1$SSHD_ROOT"
rv backup
rv_ok "reachable url" set server.url "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
tui_start color
tui_wait 'Last backup +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} \(failed\)' "the main menu shows the failed attempt"
sleep 1.1 # revision names are seconds
tui_keys b
tui_wait '^  Done' "the backup from the text interface is done"
tui_keys Enter
tui_wait 'Last backup +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} \(ok\)' "the main menu shows it ok"
revt=$(rv_revisions | head -1)
[ "$revt" != "$revc" ] && grep -qx "revision=$revt" "$rec" && grep -qx "revision=$revt" "$ok" && pass ||
	fail "the text interface's backup left no record: $(cat "$rec")"
rv_ok "status after the text interface's backup" status
# A damaged record: the main menu says so, and the status line what to do.
cp "$rec" "$T_TMP/rec.tui"
printf 'garbage\n' >"$rec"
tui_start color
tui_wait 'Last backup +unreadable record' "the main menu shows a damaged record"
tui_wait 'record is unreadable: `revault status` names it and what to do$' "the status line says where to look"
cp "$T_TMP/rec.tui" "$rec"

t_done
