#!/usr/bin/env bash
# `revault status` (docs/OPERATOR.md, "Monitoring"): the last-run records
# every backup writes in the state folder, whoever runs it (the command,
# the console, the text interface, whose main menu shows it), and the exit status a monitoring check reads: 0 only when
# the last backup stored a revision (complete or with warnings, said
# which) and, with --max-age, is not older than that; 1 after a failed
# backup, with none on record, past --max-age, or with a damaged record.
# Also: a backup stopped by its settings, killed part-way, or unable to
# write its record is not OK; one refused by the lock is no attempt; a
# record in the future, hand-made or a FIFO is UNKNOWN; --json stays
# valid UTF-8 whatever a hook printed.
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
# The console shows a failed backup as news, it does not fail on it.
printf 'show backup status\n' >"$T_TMP/show-status"
rv console <"$T_TMP/show-status"
expect_rc 0 "console show backup status after a failed backup"
expect_out '^FAILED: .*failed with exit 1' "the console shows the failed backup"
if grep -q 'command failed' <<<"$ERR$OUT"; then
	fail "the console counts the status as a failed command: $OUT $ERR"
else
	pass
fi
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

# ---- a backup that stops before its job: the settings do not load ---------------------
sleep 1.1 # revision names are seconds
rv_ok "backup" backup
cp "$REVAULT_CONFIG" "$T_TMP/good.yaml"
printf 'garbage: [\n' >>"$REVAULT_CONFIG"
rv backup
expect_rc 2 "backup with a broken settings file"
rv status --max-age 26h
expect_rc 1 "status after a backup refused by its settings"
expect_out '^FAILED: .*failed with exit 2: .*revault.yaml:[0-9]+:[0-9]+:' "the first line names the settings error"
cp "$T_TMP/good.yaml" "$REVAULT_CONFIG"
sed -i 's/^\( *\)compression:.*//' "$REVAULT_CONFIG"
printf 'backup:\n  compression: 99\n' >"$T_TMP/c99.yaml"
REVAULT_CONFIG=$T_TMP/c99.yaml rv backup
expect_rc 2 "backup with compression: 99"
rv status
expect_rc 1 "status after a backup refused for compression: 99"
rv_ok "backup" backup
rv_ok "status after a good backup again" status

# ---- a run killed part-way: the mark of the run under way outlives it --------------------
rv_ok "set a slow before hook" set hooks.before_backup "echo \$\$ >'$T_TMP/hook.pid'; exec sleep 300"
rv_ok "set an after hook" set hooks.after_backup "echo \"\$REVAULT_STATUS\" >>'$T_TMP/after.log'"
rm -f "$T_TMP/hook.pid" "$T_TMP/after.log"
timeout -k 5 "$T_RUN_TIMEOUT" "$REVAULT" backup >"$T_TMP/slow.out" 2>&1 &
slow=$!
for _ in $(seq 300); do [ -s "$T_TMP/hook.pid" ] && break; sleep 0.1; done
[ -s "$T_TMP/hook.pid" ] && pass || fail "the before hook did not start: $(cat "$T_TMP/slow.out")"
rv status
expect_rc 0 "status while a backup runs: the last one is still OK"
expect_out 'a backup is under way' "status says a backup is under way"
# Another backup meanwhile is refused by the lock: not an attempt, no alarm.
cp "$rec" "$T_TMP/rec.before"
rv backup
expect_rc 1 "a second backup while one runs"
expect_err 'another revault backup or restore is running' "the second is refused by the lock"
cmp -s "$rec" "$T_TMP/rec.before" && pass || fail "the refused backup replaced the record: $(cat "$rec")"
[ ! -e "$T_TMP/after.log" ] && pass || fail "the refused backup ran the after hook: $(cat "$T_TMP/after.log")"
# revault's own process, then its hook (its own process group), killed as by a power cut.
pid=$(pgrep -P "$slow" -x revault || true)
[ -n "$pid" ] && kill -9 "$pid"
kill -9 -- "-$(cat "$T_TMP/hook.pid")" 2>/dev/null || true
wait "$slow" 2>/dev/null || true
rv status --max-age 26h
expect_rc 1 "status after a backup killed during its before hook"
expect_out '^FAILED: .*the backup started at .* did not finish and left no record' "the first line says it did not finish"
rv status --json
printf '%s\n' "$OUT" >"$T_TMP/sk.json"
[ "$(json_get "$T_TMP/sk.json" 'd["health"], d["backup_running"]')" = "('failed', False)" ] && pass ||
	fail "status --json after a killed backup: $OUT"
rv_ok "unset the before hook" unset hooks.before_backup
rv_ok "unset the after hook" unset hooks.after_backup
rv_ok "backup after the killed one" backup
rv_ok "status after the next backup" status

# ---- a record that cannot be written: status does not go on saying OK -----------------------
mkdir "$REVAULT_STATE_DIR/.last-backup.tmp"
sleep 1.1
rv backup
expect_err 'cannot keep the record of this run' "the backup warns that it cannot keep its record"
rv status
expect_rc 1 "status after a backup that could not write its record"
expect_out '^FAILED: .*did not finish and left no record' "the first line says it left no record"
rmdir "$REVAULT_STATE_DIR/.last-backup.tmp"
rv_ok "backup" backup

# ---- hand-made records: a time in the future, impossible dates, others' kinds ------------------
cp "$rec" "$T_TMP/rec.good"
sed -i 's/^ended=.*/ended=2099-06-01T00:00:00Z/' "$rec"
rv status
expect_rc 1 "status with a record dated in the future"
expect_out '^UNKNOWN: .*2099-06-01T00:00:00Z, in the future: is the clock right' "the first line says the clock"
cp "$T_TMP/rec.good" "$rec"
sed -i 's/^ended=.*/ended=2026-02-30T10:00:00Z/' "$rec"
rv status
expect_rc 1 "status with a date that does not exist"
expect_err 'damaged at line' "an impossible date is a damaged record"
cp "$T_TMP/rec.good" "$rec"
sed -i 's/^kind=.*/kind=restore/' "$rec"
rv status
expect_rc 1 "status with a record of another kind"
expect_err 'not a backup.s record' "another kind is named"
cp "$T_TMP/rec.good" "$rec"
sed -i 's/^revision=.*/revision=/' "$rec"
rv status
expect_rc 1 "status with a success that names no revision"
expect_one_line "a success without its revision"
cp "$T_TMP/rec.good" "$rec"

# ---- a FIFO in place of the record: named, not waited on -----------------------------------
rm -f "$rec"
mkfifo "$rec"
run timeout -k 2 10 "$REVAULT" status
expect_rc 1 "status with a FIFO in place of the record"
expect_err 'last-backup is not a regular file' "the FIFO is named"
rm -f "$rec"
cp "$T_TMP/rec.good" "$rec"

# ---- text that is not UTF-8: --json stays JSON, a hook's error keeps its start ----------------
# The line is cut at 512 bytes: 17 bytes, then two-byte characters, so the
# cut falls inside one.
long=$(python3 -c 'print("pg_dump: error:  " + "\u00e9" * 400)')
valid_json() {
	python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8", errors="strict"))' "$1"
}
rv_ok "set a failing before hook" set hooks.before_backup "printf '%s\\n' '$long' >&2; exit 3"
rv backup
expect_rc 1 "backup with a failing hook"
rv status --json
printf '%s\n' "$OUT" >"$T_TMP/su.json"
valid_json "$T_TMP/su.json" && pass || fail "status --json with a hook's long line cut is not valid JSON in UTF-8"
json_get "$T_TMP/su.json" 'd["last_attempt"]["message"]' | grep -q 'exit status 3: pg_dump: error:  éé' && pass ||
	fail "the message keeps the start of the hook's last error line: $(cat "$T_TMP/su.json")"
rv_ok "set a hook that says Latin-1" set hooks.before_backup "printf 'caf\\351 down\\n' >&2; exit 3"
rv backup
expect_rc 1 "backup with a failing hook in Latin-1"
rv status --json
printf '%s\n' "$OUT" >"$T_TMP/sh.json"
valid_json "$T_TMP/sh.json" && pass || fail "status --json with a hook's Latin-1 line is not valid JSON in UTF-8"
json_get "$T_TMP/sh.json" 'd["last_attempt"]["message"]' | grep -q 'exit status 3: caf. down' && pass ||
	fail "the Latin-1 line is kept, its byte replaced: $(cat "$T_TMP/sh.json")"
printf 'caf\351\n' >"$T_TMP/latin1"
sed -i "s/^message=.*/message=$(cat "$T_TMP/latin1")/" "$rec"
rv status --json
printf '%s\n' "$OUT" >"$T_TMP/sl.json"
valid_json "$T_TMP/sl.json" && pass ||
	fail "status --json with a hand-made Latin-1 message is not valid UTF-8"
rv_ok "unset the before hook" unset hooks.before_backup
cp "$T_TMP/rec.good" "$rec"

t_done
