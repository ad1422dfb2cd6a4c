#!/usr/bin/env bash
# The bandwidth cap (backup.bandwidth) end to end: every accepted form
# through `revault set` and `show`, refused ones with exit 2 and one line
# of the forms; the console's `backup bandwidth` and its running-config
# line read back to the same setting; then, against OpenSSH (with
# ChannelTimeout, so a paced channel must stay busy), a backup under a cap
# and a restore under another take at least the time the cap allows and
# restore byte for byte, a day table's change of cap takes effect during a
# backup (libfaketime sets the time of day), and a capped backup is
# cancelled by SIGTERM.
# Only lower bounds on time: a loaded machine can make a transfer slower,
# never faster.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
need_cmd cmp diffutils
need_cmd faketime faketime

# ---- the setting -----------------------------------------------------------
export REVAULT_CONFIG=$T_TMP/conf/revault.yaml
rv show
expect_rc 0 "show"
expect_out '^backup.bandwidth +off$' "off by default"
for v in 512k 2M 16Mbit 65536 off "08:00,512k 18:00,off"; do
	rv set backup.bandwidth "$v"
	expect_rc 0 "set backup.bandwidth $v"
	rv show
	expect_out "^backup.bandwidth +$(re "$v")\$" "show has $v"
done
rv set backup.bandwidth "  00:00,1Mbit   12:30,OFF "
expect_rc 0 "a table with extra blanks"
grep -qx '  bandwidth: "00:00,1Mbit 12:30,off"' "$REVAULT_CONFIG" && pass ||
	fail "the table is not kept in one spelling: $(grep bandwidth "$REVAULT_CONFIG")"
before=$(cat "$REVAULT_CONFIG")
for v in 5x 1.5M 999 "2 M" 8:00,512k "18:00,1M 08:00,off" 24:00,off "08:00,512k 2M" ""; do
	rv set backup.bandwidth "$v"
	expect_rc 2 "set backup.bandwidth '$v'"
	expect_one_line "set backup.bandwidth '$v'"
	[ -z "$v" ] || expect_err '16Mbit.*08:00,512k 18:00,off' "'$v': the message shows the forms"
done
[ "$(cat "$REVAULT_CONFIG")" = "$before" ] && pass || fail "a refused value changed the file"
# The line says why: a fraction, too small, too large, not a rate.
rv set backup.bandwidth 1.5M
expect_err '"1\.5M" has a fraction; write it in whole units' "1.5M: why"
rv set backup.bandwidth 999
expect_err '"999" is less than 1000 bytes per second' "999: why"
rv set backup.bandwidth 99999999999G
expect_err '"99999999999G" is more than the largest cap' "99999999999G: why"
rv set backup.bandwidth 5x
expect_err '"5x" is not a rate' "5x: why"
# A hand-edited file with a bad cap is refused where it is.
sed -i 's/^  bandwidth: .*/  bandwidth: "fast"/' "$REVAULT_CONFIG"
rv show
expect_rc 2 "a bad cap in the file"
expect_err 'revault.yaml:[0-9]+:[0-9]+: backup.bandwidth: "fast"' "the file's line and column"

# ---- the console -----------------------------------------------------------
cfg=$T_TMP/console/revault.yaml
printf '%s\n' 'config t' 'backup bandwidth "08:00,512k  18:00,off"' 'end' 'show running-config' \
	>"$T_TMP/script"
run "$REVAULT" -c "$cfg" console <"$T_TMP/script"
expect_rc 0 "console: backup bandwidth"
expect_out '^backup bandwidth "08:00,512k 18:00,off"$' "running-config line"
line=$(grep '^backup bandwidth ' <<<"$OUT")
# The running configuration read back gives the same setting.
printf '%s\n' 'config t' "backup bandwidth 16Mbit" "$line" 'end' 'show running-config' >"$T_TMP/script"
run "$REVAULT" -c "$T_TMP/console2/revault.yaml" console <"$T_TMP/script"
expect_rc 0 "console: the running-config line read back"
expect_out "^$(re "$line")\$" "the line read back is the same"
run "$REVAULT" -c "$T_TMP/console2/revault.yaml" show
expect_out '^backup.bandwidth +08:00,512k 18:00,off$' "show after the console"
printf '%s\n' 'config t' 'backup bandwidth 5x' 'backup bandwidth 2M' 'end' >"$T_TMP/script"
run "$REVAULT" -c "$cfg" console <"$T_TMP/script"
expect_rc 2 "console: a bad rate"
expect_out "Invalid input detected at '\\^' marker: backup.bandwidth: \"5x\"" "console: the caret error"
run "$REVAULT" -c "$cfg" show
expect_out '^backup.bandwidth +2M$' "console: the good line after the bad one is done"

# ---- transfers under the cap -----------------------------------------------
SIZE=$((1024 * 1024))
src=$T_TMP/src
mkdir -p "$src"
random_file "$src/blob.bin" "$SIZE"

chan=()
sshd -V 2>&1 | grep -qE 'OpenSSH_(9\.[2-9]|[1-9][0-9])' && chan=(--channel-timeout 'session:*=2s')
srv_start sshd "$T_TMP/sshd" "${chan[@]}"
rv_setup "$T_TMP/cfg" "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" bw "$src"
rv_new_key
rv_trust

# elapsed COMMAND...: runs revault, setting SECS (fractional seconds).
elapsed() {
	local t0
	t0=$(date +%s%N)
	rv "$@"
	SECS=$(awk -v d=$(($(date +%s%N) - t0)) 'BEGIN {printf "%.2f", d / 1e9}')
}

# at_least SECS MIN WHAT
at_least() {
	if awk -v s="$1" -v m="$2" 'BEGIN {exit !(s >= m)}'; then pass; else fail "$3: took $1 s, the cap allows no less than $2 s"; fi
}

# 1 MiB of random bytes (zstd cannot shrink them) at 128 KiB/s: the
# bucket starts empty and holds at most a second's worth, so no less
# than (1024 - 128) / 128 = 7 s.
rv_ok "cap 128k" set backup.bandwidth 128k
elapsed backup
expect_rc 0 "backup under 128k"
echo "note: backup of 1 MiB under 128k took $SECS s" >&2
at_least "$SECS" 7 "backup of 1 MiB under 128k"

# Restore under 1Mbit (125,000 bytes/s): no less than
# (1048576 - 125000) / 125000 = 7.4 s.
rv_ok "cap 1Mbit" set backup.bandwidth 1Mbit
elapsed restore latest --to "$T_TMP/out"
expect_rc 0 "restore under 1Mbit"
echo "note: restore of 1 MiB under 1Mbit took $SECS s" >&2
at_least "$SECS" 7.3 "restore of 1 MiB under 1Mbit"
cmp "$src/blob.bin" "$T_TMP/out$src/blob.bin" && pass || fail "the restore under the cap differs"

# A table whose entry in force now is a cap: the same as the cap. The
# entry at 00:00 holds until the next one, put past now (or, in the last
# minutes of the day, before it: the table wraps).
now=$((10#$(date +%H) * 60 + 10#$(date +%M)))
if [ "$now" -lt 1435 ]; then
	later=$((now + 3))
	table=$(printf '00:00,128k %02d:%02d,off' $((later / 60)) $((later % 60)))
else
	table="00:00,off 00:01,128k"
fi
rv_ok "cap by table" set backup.bandwidth "$table"
rm -rf "$T_TMP/out"
elapsed restore latest --to "$T_TMP/out"
expect_rc 0 "restore under $table"
echo "note: restore of 1 MiB under \"$table\" took $SECS s" >&2
at_least "$SECS" 7 "restore of 1 MiB under \"$table\""
cmp "$src/blob.bin" "$T_TMP/out$src/blob.bin" && pass || fail "the restore under the table differs"

# The table followed during a transfer: the wall clock (libfaketime; the
# monotonic clock and file times left alone) starts at 07:59:57 tomorrow
# (so the sources are older than the clock says) under "00:00,off
# 08:00,64k", and a proxy holds the link to 256,000 bytes/s. In the 3 s
# before 08:00 at most 768,000 bytes pass, and what was let go before then
# (at most the 1 MiB window) goes on at the link's rate; the rest of the
# 3 MiB then goes at 64 KiB/s: no less than 3 + 20 s. A cap read once at
# the start (off) would take about 12 s.
random_file "$src/blob.bin" $((3 * SIZE))
proxy_start slow "$SSHD_PORT" --rate 256000
rv_ok "url via the proxy" set server.url "sftp://127.0.0.1:$PROXY_PORT$SSHD_ROOT"
rv_trust
rv_ok "cap from 08:00" set backup.bandwidth "00:00,off 08:00,64k"
t0=$(date +%s%N)
run env TZ=UTC FAKETIME_DONT_FAKE_MONOTONIC=1 NO_FAKE_STAT=1 ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
	timeout -k 5 "$T_RUN_TIMEOUT" faketime -f "@$(date -u -d tomorrow +%F) 07:59:57" "$REVAULT" backup
SECS=$(awk -v d=$(($(date +%s%N) - t0)) 'BEGIN {printf "%.2f", d / 1e9}')
expect_rc 0 "backup across 08:00"
echo "note: backup of 3 MiB across 08:00 under \"00:00,off 08:00,64k\" took $SECS s" >&2
at_least "$SECS" 18 "backup of 3 MiB across 08:00 into a 64k cap"
proxy_stop
rv_ok "url direct" set server.url "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
random_file "$src/blob.bin" "$SIZE"

# A cancel (SIGTERM) ends a capped backup while it waits for the cap: at
# 16k the upload would take a minute.
rv_ok "cap 16k" set backup.bandwidth 16k
good=$(rv_revisions)
"$REVAULT" backup >"$T_TMP/kb.out" 2>"$T_TMP/kb.err" &
pid=$!
for ((i = 0; i < 300; i++)); do
	ls -A "$SSHD_ROOT/bw" | grep -q '^\..*\.tmp-' && break
	sleep 0.1
done
sleep 2
term_and_wait "$pid" 30 "a backup under the cap"
[ "$KRC" != 0 ] && pass || fail "SIGTERM under the cap: exit 0"
[ "$(rv_revisions)" = "$good" ] && pass || fail "SIGTERM under the cap: the revisions changed"

t_done
