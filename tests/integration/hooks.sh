#!/usr/bin/env bash
# Hooks (docs/OPERATOR.md, "Hooks"): hooks.before_backup runs before the
# connection, and one that fails stops the backup with exit 1, its stderr
# line shown, nothing sent to the server; hooks.after_backup runs after
# every attempt with REVAULT_STATUS, REVAULT_REVISION, REVAULT_MESSAGE and
# REVAULT_BYTES, and without the password anywhere in its environment;
# hooks.timeout ends the hook's whole process group; hooks are refused
# from a settings file others can write. The console sets and shows them.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3

src=$T_TMP/src
mkdir -p "$src"
printf 'conf\n' >"$src/a.conf"
# Password authentication where a password account can be made (root), so
# that a password is open in revault's memory while the after hook runs;
# else a key. The server is reached through a proxy that counts connections.
if [ "$(id -u)" = 0 ]; then
	srv_start sshd "$T_TMP/sshd" --password-user
	proxy_start watch "$SSHD_PORT"
	mkdir -p "$T_TMP/cfg"
	export REVAULT_CONFIG=$T_TMP/cfg/revault.yaml
	rv_ok "set server.url" set server.url "sftp://127.0.0.1:$PROXY_PORT$SSHD_PW_ROOT"
	rv_ok "set server.username" set server.username "$SSHD_PW_USER"
	rv_ok "set server.auth" set server.auth password
	rv password set --fd 3 3<"$SSHD_PW_FILE"
	expect_rc 0 "password set --fd 3"
	rv_ok "set backup.device" set backup.device hookdev
	rv_ok "source add" source add "$src"
	password=$(head -n 1 "$SSHD_PW_FILE")
else
	skip_part "the password in the hook's environment needs root (a password account)"
	srv_start sshd "$T_TMP/sshd"
	proxy_start watch "$SSHD_PORT"
	rv_setup "$T_TMP/cfg" "sftp://127.0.0.1:$PROXY_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" hookdev "$src"
	password=
fi
rv_new_key
rv_trust
conns() { grep -c 'conn [0-9]*: accepted' "$T_TMP/watch.log" || true; }

# ---- a failing before hook: exit 1, its stderr, no connection ---------------------------
cat >"$T_TMP/dump.sh" <<'EOF'
#!/bin/sh
echo "dumping the database"
echo "pg_dump: error: connection to server failed" >&2
exit 3
EOF
chmod 755 "$T_TMP/dump.sh"
rv_ok "set hooks.before_backup" set hooks.before_backup "$T_TMP/dump.sh --all"
rv_ok "set hooks.after_backup" set hooks.after_backup "env >'$T_TMP/after.env'; ps -o args= -p \$\$ >'$T_TMP/after.args'"
n0=$(conns)
rv backup
expect_rc 1 "backup whose before hook fails"
expect_err 'hooks.before_backup failed with exit status 3: pg_dump: error: connection to server failed' \
	"the hook's exit status and its stderr line are shown"
expect_one_line "a failing before hook"
grep -q 'dumping the database' <<<"$OUT$ERR" && fail "the hook's stdout reached the terminal: $OUT $ERR" || pass
[ "$(conns)" = "$n0" ] && pass || fail "a connection was made after the before hook failed: $(cat "$T_TMP/watch.log")"
[ -z "$(rv_revisions)" ] && pass || fail "a revision was stored"
grep -qx 'REVAULT_STATUS=1' "$T_TMP/after.env" && grep -q '^REVAULT_MESSAGE=hooks.before_backup failed' "$T_TMP/after.env" &&
	pass || fail "the after hook did not see the failure: $(grep REVAULT_ "$T_TMP/after.env" 2>&1)"
grep -qx 'REVAULT_REVISION=' "$T_TMP/after.env" && pass || fail "a failed backup has no revision"
grep -qx 'status=1' "$REVAULT_STATE_DIR/last-backup" && pass || fail "the failed attempt is not on record"

# ---- a before hook that works: it runs first, and what it writes is backed up -----------
rv_ok "set hooks.before_backup" set hooks.before_backup "date +%s%N >'$src/dump.sql'"
rm -f "$T_TMP/after.env"
rv backup
expect_rc 0 "backup with hooks that succeed"
rev=$(rv_revisions | head -1)
[ -s "$src/dump.sql" ] && pass || fail "the before hook did not run"
rv_ok "restore the revision" restore "$rev" --to "$T_TMP/out"
cmp -s "$src/dump.sql" "$T_TMP/out$src/dump.sql" && pass || fail "the before hook's dump is not in the revision"
grep -qx 'REVAULT_STATUS=0' "$T_TMP/after.env" && grep -qx "REVAULT_REVISION=$rev" "$T_TMP/after.env" &&
	grep -qx 'REVAULT_CANCELLED=0' "$T_TMP/after.env" &&
	grep -q "^REVAULT_MESSAGE=backup $rev done: " "$T_TMP/after.env" && grep -q '^REVAULT_BYTES=[1-9][0-9]*$' "$T_TMP/after.env" &&
	pass || fail "the after hook's environment: $(grep REVAULT_ "$T_TMP/after.env" 2>&1)"
bytes=$(sed -n 's/^REVAULT_BYTES=//p' "$T_TMP/after.env" 2>/dev/null || true)
grep -qx "bytes=$bytes" "$REVAULT_STATE_DIR/last-backup" && pass || fail "REVAULT_BYTES is not the record's bytes"
# No secret in the hook's environment or argv: not the password, not its sealed form.
if [ -n "$password" ]; then
	sealed=$(sed -n 's/^ *password: "\(.*\)"$/\1/p' "$REVAULT_CONFIG")
	[ -n "$sealed" ] && pass || fail "no sealed password in the settings to look for"
	for f in "$T_TMP/after.env" "$T_TMP/after.args"; do
		grep -qF -- "$password" "$f" && fail "the password is in $f" || pass
		grep -qF -- "$sealed" "$f" && fail "the sealed password is in $f" || pass
	done
fi
grep -q "^sh -c env" "$T_TMP/after.args" && pass || fail "the hook is not run by sh -c: $(cat "$T_TMP/after.args")"

# ---- a failing after hook is a warning: the backup's outcome stands ------------------------
rv_ok "set a failing after hook" set hooks.after_backup "echo 'ping: host unreachable' >&2; exit 4"
rv backup
expect_rc 0 "backup whose after hook fails"
expect_err '^revault: hooks.after_backup failed with exit status 4: ping: host unreachable$' \
	"the failing after hook is a warning on stderr (not a terminal)"
grep -qx 'status=0' "$REVAULT_STATE_DIR/last-backup" && pass || fail "the record does not keep the backup's outcome"
rv_ok "set hooks.after_backup" set hooks.after_backup "env >'$T_TMP/after.env'"

# ---- a hook that hangs: stopped at hooks.timeout, with all it started ------------------
rv_ok "set hooks.timeout" set hooks.timeout 2
rv_ok "set a hanging hook" set hooks.before_backup "sleep 300 & echo \$! >'$T_TMP/child.pid'; sleep 300"
n0=$(conns)
rv backup
expect_rc 1 "backup whose before hook hangs"
expect_err 'hooks.before_backup did not finish within 2 s and was stopped' "the timeout is named"
child=$(cat "$T_TMP/child.pid")
for _ in $(seq 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
kill -0 "$child" 2>/dev/null && { kill "$child"; fail "the hook's background child outlived the timeout"; } || pass
[ "$(conns)" = "$n0" ] && pass || fail "a connection was made after the hook timed out"
rv_ok "set hooks.timeout" set hooks.timeout 600

# ---- a cancelled backup stops its before hook; the after hook still reports it ------------
rm -f "$T_TMP/after.env" "$T_TMP/child.pid"
cp "$REVAULT_STATE_DIR/last-backup" "$T_TMP/record.before"
rv_ok "set a slow hook" set hooks.before_backup "sleep 300 & echo \$! >'$T_TMP/child.pid'; sleep 300"
"$REVAULT" backup >"$T_TMP/cancel.out" 2>"$T_TMP/cancel.err" &
rvpid=$!
t_on_exit "kill $rvpid 2>/dev/null"
wait_file "$T_TMP/child.pid" 30 || fail "the before hook did not start"
kill -TERM "$rvpid"
set +e
wait "$rvpid"
RC=$?
set -e
ERR=$(cat "$T_TMP/cancel.err")
expect_rc 1 "a backup cancelled during its before hook"
expect_err 'hooks.before_backup was stopped: the backup was cancelled' "the cancel is named"
child=$(cat "$T_TMP/child.pid")
for _ in $(seq 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
kill -0 "$child" 2>/dev/null && { kill "$child"; fail "the hook's child outlived the cancel"; } || pass
grep -qx 'REVAULT_STATUS=1' "$T_TMP/after.env" 2>/dev/null && pass ||
	fail "the after hook did not report the cancelled backup: $(cat "$T_TMP/after.env" 2>&1)"
grep -qx 'REVAULT_CANCELLED=1' "$T_TMP/after.env" 2>/dev/null && pass ||
	fail "the after hook was not told the backup was cancelled: $(cat "$T_TMP/after.env" 2>&1)"
# An operator's cancel is no attempt on record: the last one stays.
cmp -s "$T_TMP/record.before" "$REVAULT_STATE_DIR/last-backup" && pass ||
	fail "the cancel replaced the last attempt's record: $(cat "$REVAULT_STATE_DIR/last-backup" 2>&1)"
rv_ok "unset the before hook" unset hooks.before_backup

# ---- refused from a settings file others can write --------------------------------------
rv_ok "set hooks.before_backup" set hooks.before_backup "touch '$T_TMP/ran'"
for mode in 620 602; do
	chmod "$mode" "$REVAULT_CONFIG"
	rm -f "$T_TMP/ran" "$T_TMP/after.env"
	n0=$(conns)
	rv backup
	expect_rc 2 "backup with hooks from a settings file of mode $mode"
	expect_err "hooks are refused: the settings file .* can be written by .*chmod 600" "mode $mode: the line says what to do"
	expect_one_line "mode $mode"
	[ ! -e "$T_TMP/ran" ] && [ ! -e "$T_TMP/after.env" ] && pass || fail "mode $mode: a hook ran"
	[ "$(conns)" = "$n0" ] && pass || fail "mode $mode: a connection was made"
done
chmod 600 "$REVAULT_CONFIG"

# ---- a hook of blanks alone runs nothing: refused, as an empty one is -------------------
before=$(sha256sum "$REVAULT_CONFIG")
rv set hooks.after_backup "   "
expect_rc 2 "a hook of blanks"
expect_err 'hooks.after_backup needs a command, not blanks; `revault unset hooks.after_backup` clears it' \
	"the line says how to clear it"
expect_one_line "a hook of blanks"
[ "$(sha256sum "$REVAULT_CONFIG")" = "$before" ] && pass || fail "a refused hook changed the settings"

# ---- the console sets them, and the running configuration shows them ---------------------
run timeout -k 5 "$T_RUN_TIMEOUT" "$REVAULT" console <<EOF
configure terminal
backup hooks before-backup "pg_dump -Fc app -f /var/backups/app.dump"
backup hooks after-backup "curl -fsS -m 10 https://hc.example/ping/\$REVAULT_STATUS"
backup hooks timeout 900
show running-config
end
EOF
expect_rc 0 "the console sets the hooks"
expect_out '^backup hooks before-backup "pg_dump -Fc app -f /var/backups/app.dump"$' "running-config shows the before hook"
expect_out '^backup hooks after-backup "curl -fsS -m 10 https://hc.example/ping/\$REVAULT_STATUS"$' \
	"running-config shows the after hook"
expect_out '^backup hooks timeout 900$' "running-config shows the timeout"
rv show
expect_out 'hooks.before_backup +pg_dump -Fc app' "revault show has it"
run timeout -k 5 "$T_RUN_TIMEOUT" "$REVAULT" console <<'EOF'
configure terminal
no backup hooks before-backup
backup hooks timeout 0
EOF
expect_out 'hooks.timeout must be a whole number from 1 to 86400' "a bad timeout is refused at its word"
rv show
expect_out 'hooks.before_backup +\(not set\)' "no backup hooks before-backup clears it"

t_done
