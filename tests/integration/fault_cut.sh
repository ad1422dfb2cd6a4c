#!/usr/bin/env bash
# Broken connections: a fault proxy cuts a 20 MB backup's upload and a
# restore's download at points spread from the handshake to the last bytes.
# Every failure exits 1 with one line; the earlier revision stays listed and
# verifies; no partial revision is ever listed; a failed restore leaves the
# local files as they were; the next run succeeds and clears stale
# temporaries. A stalled server is given up on after server.timeout; a
# pause shorter than that is waited out.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3

srv_start sshd "$T_TMP/sshd"
src=$T_TMP/src
mkdir -p "$src/data"
for i in 1 2 3 4; do random_file "$src/data/r$i.bin" 5000000; done
printf 'version 1\n' >"$src/data/version"

# The proxy always listens on the same port, so one pinned key serves it.
PP=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
direct="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
proxied="sftp://127.0.0.1:$PP$SSHD_ROOT"
rv_setup "$T_TMP/cfg" "$direct" "$SSHD_USER" "$SSHD_KEY" cutdev "$src"
rv_new_key
rv_ok "pin direct" knownhost add "127.0.0.1:$SSHD_PORT" ssh-ed25519 "$SSHD_HOSTKEY_ED25519_SHA256"
rv_ok "pin proxy" knownhost add "127.0.0.1:$PP" ssh-ed25519 "$SSHD_HOSTKEY_ED25519_SHA256"
rv_ok "revisions" set backup.revisions 20
# Every cut here is to fail as it does on the first connection
# (tests/integration/reconnect.sh has them taken up on a new one).
rv_ok "retries 0" set server.retries 0
via_proxy() { rv_ok "url via proxy" set server.url "$proxied"; }
via_direct() { rv_ok "url direct" set server.url "$direct"; }
devdir=$SSHD_ROOT/cutdev

rv backup
expect_rc 0 "first backup"
base=$(rv_revisions)
[ "$(wc -l <<<"$base")" = 1 ] && pass || fail "first backup: expected one revision, got: $base"

# How many bytes a whole backup and a whole restore move, through a proxy
# that only counts.
via_proxy
proxy_start count "$SSHD_PORT" --listen "127.0.0.1:$PP"
printf 'version 2\n' >"$src/data/version"
rv backup
expect_rc 0 "backup through a pass-through proxy"
rv restore latest --to "$T_TMP/count-out"
expect_rc 0 "restore through a pass-through proxy"
proxy_stop
up_total=$(proxy_total count 1 up)
backup_down=$(proxy_total count 1 down)
down_total=$(proxy_total count 2 down)
[ -n "$down_total" ] && [ "$down_total" -gt 20000000 ] && pass || fail "the restore moved only ${down_total:-?} bytes down"
down_total=${down_total:-20000000}
[ -n "$up_total" ] && [ "$up_total" -gt 20000000 ] && pass || fail "the backup moved only ${up_total:-?} bytes up"
up_total=${up_total:-20000000}
via_direct
base=$(rv_revisions)
[ "$(wc -l <<<"$base")" = 2 ] && pass || fail "expected two revisions, got: $base"

# after_failure WHAT: nothing partial is visible, earlier ones verify.
after_failure() {
	local what=$1 now r
	via_direct
	now=$(rv_revisions)
	[ "$now" = "$base" ] && pass || fail "$what: revisions changed from
$base
to
$now"
	r=$(head -1 <<<"$base")
	rv verify "$r"
	expect_rc 0 "$what: the newest earlier revision verifies"
	ls "$devdir" | grep -vE '^\.|\.(revault|tar\.zst)$' | grep -q . &&
		fail "$what: a non-hidden, non-revision file on the server: $(ls "$devdir")" || pass
}

# Upload cuts, from the key exchange to the last megabyte.
for frac in 0.0001 0.002 0.05 0.15 0.3 0.45 0.6 0.75 0.9 0.97; do
	n=$(python3 -c "print(int($up_total * $frac))")
	printf 'cut at %s\n' "$n" >"$src/data/version"
	via_proxy
	proxy_start "cutup-$n" "$SSHD_PORT" --listen "127.0.0.1:$PP" --cut-up "$n"
	start=$(date +%s)
	rv backup
	elapsed=$(($(date +%s) - start))
	proxy_stop
	expect_rc 1 "backup cut after $n bytes up"
	expect_one_line "backup cut after $n bytes up"
	[ "$elapsed" -lt 60 ] && pass || fail "backup cut after $n bytes took $elapsed s to fail"
	grep -q 'cut up' "$T_TMP/cutup-$n.log" && pass || fail "the proxy never cut at $n (backup too small?)"
	after_failure "upload cut at $n"
done

# The next run succeeds and removes stale temporaries (the cut runs'
# temporaries are aged past the grace period revault gives a run that may
# still be going on elsewhere).
hidden=$(ls -A "$devdir" | grep '^\.' || true)
echo "note: temporaries after the cuts: $(wc -w <<<"$hidden")" >&2
for f in $hidden; do touch -d '3 days ago' "$devdir/$f"; done
printf 'after the cuts\n' >"$src/data/version"
rv backup
expect_rc 0 "backup after the cuts"
stale=$(ls -A "$devdir" | grep -vE '^[0-9]{8}T[0-9]{6}Z(-[0-9]+)?\.(revault|tar\.zst)$' || true)
[ -z "$stale" ] && pass || fail "stale temporaries left on the server: $stale"
base=$(rv_revisions)

# Download cuts during an in-place restore: local files stay as they were.
printf 'local change\n' >"$src/data/version"
local_sum=$(tree_sum "$src")
siblings=$(ls -A "$T_TMP" | grep -v -e '^\.' -e '\.log$' -e '\.port$' || true)
for frac in 0.0001 0.002 0.05 0.15 0.3 0.45 0.6 0.75 0.9 0.97; do
	n=$(python3 -c "print(int($down_total * $frac))")
	via_proxy
	proxy_start "cutdown-$n" "$SSHD_PORT" --listen "127.0.0.1:$PP" --cut-down "$n"
	start=$(date +%s)
	rv restore latest --yes
	elapsed=$(($(date +%s) - start))
	proxy_stop
	expect_rc 1 "restore cut after $n bytes down"
	expect_one_line "restore cut after $n bytes down"
	[ "$elapsed" -lt 60 ] && pass || fail "restore cut after $n bytes took $elapsed s to fail"
	[ "$(tree_sum "$src")" = "$local_sum" ] && pass || fail "restore cut after $n bytes changed local files"
	now=$(ls -A "$T_TMP" | grep -v -e '^\.' -e '\.log$' -e '\.port$' || true)
	[ "$now" = "$siblings" ] && pass || fail "restore cut after $n bytes left entries beside the source: $now"
	after_failure "download cut at $n"
done
# The same with a TCP reset instead of an orderly close.
n=$((up_total / 2))
via_proxy
proxy_start reset-up "$SSHD_PORT" --listen "127.0.0.1:$PP" --cut-up "$n" --reset
rv backup
proxy_stop
expect_rc 1 "backup reset after $n bytes up"
expect_one_line "backup reset"
after_failure "upload reset"
n=$((down_total / 2))
via_proxy
proxy_start reset-down "$SSHD_PORT" --listen "127.0.0.1:$PP" --cut-down "$n" --reset
rv restore latest --yes
proxy_stop
expect_rc 1 "restore reset after $n bytes down"
expect_one_line "restore reset"
[ "$(tree_sum "$src")" = "$local_sum" ] && pass || fail "restore reset changed local files"
after_failure "download reset"

rv restore latest --yes
expect_rc 0 "restore after the cuts"
[ "$(cat "$src/data/version")" = "after the cuts" ] && pass || fail "restore after the cuts restored the wrong data"

# A stalled server: given up on after server.timeout, not hung.
rv_ok "timeout 3" set server.timeout 3
for dir in down up; do
	if [ "$dir" = up ]; then at=$((up_total / 2)); else at=$((${backup_down:-20000} / 2)); fi
	via_proxy
	proxy_start "stall-$dir" "$SSHD_PORT" --listen "127.0.0.1:$PP" --stall-after "$at" --stall 120 --stall-dir "$dir"
	printf 'stall %s\n' "$dir" >"$src/data/version"
	start=$(date +%s)
	rv backup
	elapsed=$(($(date +%s) - start))
	proxy_stop
	expect_rc 1 "backup against a server stalled ($dir)"
	expect_one_line "stalled ($dir)"
	expect_err '[Tt]ime[ds]? ?out|not respond|no answer' "stalled ($dir): the line says it timed out"
	[ "$elapsed" -le 30 ] && pass || fail "stalled ($dir): gave up only after $elapsed s with server.timeout 3"
	after_failure "stall $dir"
done
via_proxy
proxy_start stall-restore "$SSHD_PORT" --listen "127.0.0.1:$PP" --stall-after $((down_total / 2)) --stall 120 --stall-dir down
local_sum=$(tree_sum "$src")
start=$(date +%s)
rv restore latest --yes
elapsed=$(($(date +%s) - start))
proxy_stop
expect_rc 1 "restore from a stalled server"
expect_one_line "restore from a stalled server"
[ "$elapsed" -le 30 ] && pass || fail "stalled restore gave up only after $elapsed s"
[ "$(tree_sum "$src")" = "$local_sum" ] && pass || fail "stalled restore changed local files"

# A slow server: a pause shorter than server.timeout is waited out, however
# long it is next to the SSH keepalive interval (15 s).
rv_ok "timeout 40" set server.timeout 40
via_proxy
proxy_start pause-up "$SSHD_PORT" --listen "127.0.0.1:$PP" --stall-after $((up_total / 2)) --stall 20 --stall-dir up
printf 'pause\n' >"$src/data/version"
start=$(date +%s)
rv backup
elapsed=$(($(date +%s) - start))
proxy_stop
expect_rc 0 "backup through a 20 s pause with server.timeout 40"
[ "$elapsed" -ge 20 ] && pass || fail "the paused backup took only $elapsed s: the pause did not happen"
proxy_start pause-down "$SSHD_PORT" --listen "127.0.0.1:$PP" --stall-after $((down_total / 2)) --stall 20 --stall-dir down
rv restore latest --to "$T_TMP/pause-out"
proxy_stop
expect_rc 0 "restore through a 20 s pause with server.timeout 40"
[ "$(cat "$T_TMP/pause-out$src/data/version" 2>/dev/null)" = pause ] && pass ||
	fail "the paused restore did not bring back the paused backup"

# `list` reads each protected revision's header only: with every revision
# here 20 MB, a read-ahead of megabytes per header shows at once.
n=$(rv_revisions | wc -l)
proxy_start count-list "$SSHD_PORT" --listen "127.0.0.1:$PP"
rv list
proxy_stop
expect_rc 0 "list through a counting proxy"
listed=$(proxy_total count-list 1 down)
[ -n "$listed" ] && [ "$listed" -lt $((64 * 1024 + n * 16 * 1024)) ] && pass ||
	fail "list of $n revisions moved ${listed:-?} bytes down: more than their headers"
via_direct

t_done
