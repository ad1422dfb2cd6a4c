#!/usr/bin/env bash
# Connecting again (server.retries): a fault proxy in front of a real sshd
# cuts the first connection of a backup mid-upload and of a restore
# mid-download; both go on over a new connection from where they stood, and
# what they stored and brought back is byte-identical. With server.retries
# 0 the same cuts fail as before. A server that offers another host key on
# the new connection is refused at once (exit 3), never tried again. A
# server closing before its banner (OpenSSH past MaxStartups) and a port
# nobody listens on are tried again and then told apart; a cancel during
# the wait between two tries ends the run at once.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3

# A second server with host keys of its own, for the changed key.
srv_start sshd "$T_TMP/sshd2"
other_port=$SSHD_PORT
other_sha=$SSHD_HOSTKEY_ED25519_SHA256
other_log=$SSHD_LOG
srv_start sshd "$T_TMP/sshd"
[ "$other_sha" != "$SSHD_HOSTKEY_ED25519_SHA256" ] && pass || fail "the two servers share a host key"

src=$T_TMP/src
mkdir -p "$src/data/sub"
for i in 1 2 3; do random_file "$src/data/r$i.bin" 4000000; done
printf 'small\n' >"$src/data/sub/small.txt"

# The proxy always listens on the same port, so one pinned key serves it.
PP=$(free_port)
direct="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
proxied="sftp://127.0.0.1:$PP$SSHD_ROOT"
rv_setup "$T_TMP/cfg" "$direct" "$SSHD_USER" "$SSHD_KEY" redev "$src"
rv_new_key
rv_ok "pin direct" knownhost add "127.0.0.1:$SSHD_PORT" ssh-ed25519 "$SSHD_HOSTKEY_ED25519_SHA256"
rv_ok "pin proxy" knownhost add "127.0.0.1:$PP" ssh-ed25519 "$SSHD_HOSTKEY_ED25519_SHA256"
rv_ok "revisions" set backup.revisions 20
rv show
expect_out '^server\.retries +3$' "server.retries is 3 unless set"
for bad in 11 -1 x ''; do
	before=$(cat "$REVAULT_CONFIG")
	rv set server.retries "$bad"
	expect_rc 2 "server.retries \"$bad\" refused"
	expect_one_line "server.retries \"$bad\" refused"
	expect_err '0 to 10|0-10' "server.retries \"$bad\": the line says what is allowed"
	[ "$(cat "$REVAULT_CONFIG")" = "$before" ] && pass || fail "a refused server.retries changed the file"
done
devdir=$SSHD_ROOT/redev
src_sum=$(tree_sum "$src")

# conns NAME: how many connections the proxy accepted.
conns() { grep -c 'accepted' "$T_TMP/$1.log" || true; }
# through NAME ARGS...: server.url through a fault proxy started with ARGS.
through() {
	local name=$1
	shift
	rv_ok "url via proxy" set server.url "$proxied"
	proxy_start "$name" "$SSHD_PORT" --listen "127.0.0.1:$PP" "$@"
}
# done_with_proxy: the proxy stopped, server.url direct again.
done_with_proxy() {
	local rc=$RC out=$OUT err=$ERR
	proxy_stop
	rv_ok "url direct" set server.url "$direct"
	RC=$rc OUT=$out ERR=$err
}

# --- a backup cut mid-upload goes on --------------------------------------------------
through cut-up --fault-conn 1 --cut-up 5000000
rv backup
done_with_proxy
expect_rc 0 "backup cut at 5 MB up, retries 3"
grep -q 'cut up' "$T_TMP/cut-up.log" && pass || fail "the proxy never cut the upload"
[ "$(conns cut-up)" = 2 ] && pass || fail "expected 2 connections, the proxy saw $(conns cut-up)"
expect_err 'cannot write .*: lost the connection .*; connecting again in 1 s \(1 of 3, server\.retries\) to go on from byte [1-9][0-9]*$' \
	"the warning says what was lost and where"
expect_err 'again: the upload of .* continues at byte [1-9][0-9]*' "the warning says where the upload continues"
expect_out 'after 1 reconnect\)' "the outcome says it was resumed"
rev=$(rv_revisions | head -1)
[ "$(rv_revisions | wc -l)" = 1 ] && pass || fail "expected one revision, got: $(rv_revisions)"
stale=$(server_files "$devdir" | grep -vE '^[0-9]{8}T[0-9]{6}Z(-[0-9]+)?\.(revault|tar\.zst)$' || true)
[ -z "$stale" ] && pass || fail "left on the server after a resumed upload: $stale"
rv verify "$rev"
expect_rc 0 "the resumed revision verifies"
rv restore "$rev" --to "$T_TMP/out1"
expect_rc 0 "the resumed revision restores"
[ "$(tree_sum "$T_TMP/out1$src")" = "$src_sum" ] && pass || fail "the resumed revision restored other bytes"

# --- cuts in the end of an upload (fsync, close, the look at the final name,
# the rename, the read-back): never an incomplete revision under its name
through count
printf 'count\n' >"$src/data/sub/small.txt"
rv backup
done_with_proxy
expect_rc 0 "backup through a counting proxy"
up_total=$(proxy_total count 1 up)
[ -n "$up_total" ] && [ "$up_total" -gt 12000000 ] && pass || fail "the backup moved only ${up_total:-?} bytes up"
up_total=${up_total:-12000000}
for back in 40 120 250 400 700 1200 2500 6000; do
	n=$((up_total - back))
	printf 'tail %s\n' "$back" >"$src/data/sub/small.txt"
	through "tail-$back" --fault-conn 1 --cut-up "$n"
	rv backup
	done_with_proxy
	[ "$RC" = 0 ] || [ "$RC" = 1 ] && pass || fail "cut $back bytes before the end: exit $RC: $ERR"
	echo "note: cut $back bytes before the end: exit $RC$(grep -q 'connecting again' <<<"$ERR" && echo ', connected again')${ERR:+: $(tail -1 <<<"$ERR")}" >&2
	newest=$(rv_revisions | head -1)
	rv verify "$newest"
	expect_rc 0 "cut $back bytes before the end: the newest revision $newest verifies"
	if [ -n "$(server_files "$devdir" | grep -vE '^\.|\.(revault|tar\.zst)$' || true)" ]; then
		fail "cut $back bytes before the end: a non-revision file is listed: $(ls "$devdir")"
	else
		pass
	fi
done

# --- a restore cut mid-download goes on -----------------------------------------------
through cut-down --fault-conn 1 --cut-down 6000000
rv restore "$rev" --to "$T_TMP/out2"
done_with_proxy
expect_rc 0 "restore cut at 6 MB down, retries 3"
grep -q 'cut down' "$T_TMP/cut-down.log" && pass || fail "the proxy never cut the download"
[ "$(conns cut-down)" = 2 ] && pass || fail "expected 2 connections, the proxy saw $(conns cut-down)"
expect_err 'cannot read .*; connecting again in 1 s .* to go on from byte [1-9][0-9]*$' "the warning says what was lost"
expect_err 'again: the download of .* continues at byte [1-9][0-9]*' "the warning says where the download continues"
expect_out 'after 1 reconnect\)' "the restore's outcome says it was resumed"
[ "$(tree_sum "$T_TMP/out2$src")" = "$src_sum" ] && pass || fail "the resumed restore brought back other bytes"

# A verify (a download too) cut twice: each loss is taken up.
through cut-verify --fault-conn 1 --cut-down 3000000
rv verify "$rev"
done_with_proxy
expect_rc 0 "verify cut at 3 MB down"
expect_out 'after 1 reconnect\)' "the verify's outcome says it was resumed"

# --- a temporary cut short on the server in the meantime: not resumed --------------------
printf 'shortened\n' >"$src/data/sub/small.txt"
before=$(rv_revisions)
through shortened --fault-conn 1 --cut-up 5000000
timeout -k 5 120 "$REVAULT" backup >"$T_TMP/short.out" 2>"$T_TMP/short.err" &
pid=$!
for _ in $(seq 1 400); do
	grep -q 'cut up' "$T_TMP/shortened.log" && break
	sleep 0.05
done
# The first retry waits 1 s: the file is cut short before it.
for f in "$devdir"/.*.tmp-*; do [ -f "$f" ] && truncate -s 1000 "$f"; done
set +e
wait "$pid"
RC=$?
set -e
ERR=$(cat "$T_TMP/short.err")
done_with_proxy
expect_rc 1 "a temporary cut short on the server"
expect_err 'cannot continue the upload of .*: it holds 1000 bytes, fewer than the [0-9]+ the server had confirmed' \
	"shortened: the line says why"
[ "$(rv_revisions)" = "$before" ] && pass || fail "a shortened upload added a revision: $(rv_revisions)"

# --- retries 0: the cut fails as before -----------------------------------------------
rv_ok "retries 0" set server.retries 0
printf 'changed\n' >"$src/data/sub/small.txt"
before=$(rv_revisions)
through no-retry-up --fault-conn 1 --cut-up 5000000
rv backup
done_with_proxy
expect_rc 1 "backup cut with retries 0"
expect_one_line "backup cut with retries 0"
[ "$(conns no-retry-up)" = 1 ] && pass || fail "retries 0 connected again"
[ "$(rv_revisions)" = "$before" ] && pass || fail "a failed backup added a revision: $(rv_revisions)"
through no-retry-down --fault-conn 1 --cut-down 6000000
rv restore "$rev" --to "$T_TMP/out3"
done_with_proxy
expect_rc 1 "restore cut with retries 0"
expect_one_line "restore cut with retries 0"
[ ! -e "$T_TMP/out3" ] && pass || fail "a failed restore left $T_TMP/out3"
rv_ok "retries 3" set server.retries 3

# --- another host key on the new connection: refused at once ---------------------------
through other-key --fault-conn 1 --cut-up 5000000 \
	--later-target "127.0.0.1:$other_port"
rv backup
done_with_proxy
expect_rc 3 "another host key after the cut"
expect_err "WARNING: the host key of 127\.0\.0\.1:$PP has changed" "the usual changed-key message"
expect_err "$(re "$other_sha")" "the message names the key offered"
[ "$(conns other-key)" = 2 ] && pass || fail "a changed key was tried again: $(conns other-key) connections"
grep -q "Accepted publickey" "$other_log" 2>/dev/null &&
	fail "logged in on the server with the other key" || pass
[ "$(rv_revisions)" = "$before" ] && pass || fail "the refused backup added a revision: $(rv_revisions)"

# --- closed before the banner (MaxStartups) and nothing listening ----------------------
rv_ok "retries 1" set server.retries 1
through busy --drop-first 100
rv list
done_with_proxy
expect_rc 1 "a server that closes before its banner"
expect_err 'closed the connection before its banner: busy \(MaxStartups\?\).*\(2 tries, server\.retries\)' \
	"busy: the final line says so"
[ "$(conns busy)" = 2 ] && pass || fail "busy: expected 2 connections, the proxy saw $(conns busy)"
through busy-once --drop-first 1
rv list
done_with_proxy
expect_rc 0 "a server busy once: the second try gets in"
expect_err 'busy \(MaxStartups\?\).*; trying again in 1 s' "busy once: the try is warned about"
# A server that accepts and says nothing: timed out, tried again.
rv_ok "timeout 2" set server.timeout 2
through silent --stall-after 0 --stall 60 --stall-dir down
rv list
done_with_proxy
expect_rc 1 "a silent server"
expect_err 'timed out connecting to .*; trying again in 1 s \(1 of 1, server\.retries\)' "silent: the try is warned about"
expect_err 'timed out connecting to .*\(2 tries, server\.retries\)$' "silent: the final line says so"
[ "$(conns silent)" = 2 ] && pass || fail "silent: expected 2 connections, the proxy saw $(conns silent)"
rv_ok "timeout 30" set server.timeout 30
port=$(free_port)
rv_ok "url to a closed port" set server.url "sftp://127.0.0.1:$port$SSHD_ROOT"
rv list
expect_rc 1 "nothing listens"
expect_err "refused: nothing listens on port $port.*\(2 tries, server\.retries\)" "refused: the final line says so"
! grep -q 'busy' <<<"$ERR" && pass || fail "a closed port was taken for a busy server: $ERR"

# --- a cancel during the wait between tries ---------------------------------------------
rv_ok "retries 10" set server.retries 10
start=$(date +%s)
timeout -k 5 60 "$REVAULT" list >"$T_TMP/cancel.out" 2>"$T_TMP/cancel.err" &
pid=$!
for _ in $(seq 1 100); do
	grep -q 'trying again in 4 s' "$T_TMP/cancel.err" && break
	sleep 0.1
done
grep -q 'trying again in 4 s' "$T_TMP/cancel.err" && pass || fail "no third try: $(cat "$T_TMP/cancel.err")"
waited_from=$(date +%s)
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
took=$(($(date +%s) - waited_from))
[ "$rc" != 0 ] && pass || fail "a cancelled run exited 0"
# The wait it was in lasts 4 s: it ended well before.
[ "$took" -le 2 ] && pass || fail "the cancel took $took s during a wait of 4 s"
grep -q 'cancel' "$T_TMP/cancel.err" && pass || fail "the cancel is not said: $(cat "$T_TMP/cancel.err")"
echo "note: the cancelled run took $(($(date +%s) - start)) s in all" >&2

# --- ProFTPD's mod_sftp (its own windows and handles): the same resume -----------------
if srv_try proftpd "$T_TMP/proftpd"; then
	PP2=$(free_port)
	rv_setup "$T_TMP/cfg-pro" "sftp://127.0.0.1:$PP2$PROFTPD_ROOT" "$PROFTPD_USER" "$PROFTPD_KEY" prodev "$src"
	rv_new_key
	rv_ok "pin the ProFTPD proxy" knownhost add "127.0.0.1:$PP2" ssh-ed25519 "$PROFTPD_HOSTKEY_ED25519_SHA256"
	pro_sum=$(tree_sum "$src")
	proxy_start pro-up "$PROFTPD_PORT" --listen "127.0.0.1:$PP2" --fault-conn 1 --cut-up 5000000
	rv backup
	proxy_stop
	expect_rc 0 "ProFTPD: backup cut at 5 MB up"
	grep -q 'cut up' "$T_TMP/pro-up.log" && pass || fail "ProFTPD: the proxy never cut the upload"
	expect_out 'after 1 reconnect\)' "ProFTPD: the backup was resumed"
	proxy_start pro-down "$PROFTPD_PORT" --listen "127.0.0.1:$PP2" --fault-conn 1 --cut-down 6000000
	rv restore latest --to "$T_TMP/pro-out"
	proxy_stop
	expect_rc 0 "ProFTPD: restore cut at 6 MB down"
	grep -q 'cut down' "$T_TMP/pro-down.log" && pass || fail "ProFTPD: the proxy never cut the download"
	expect_out 'after 1 reconnect\)' "ProFTPD: the restore was resumed"
	[ "$(tree_sum "$T_TMP/pro-out$src")" = "$pro_sum" ] && pass || fail "ProFTPD: the resumed restore brought back other bytes"
fi

t_done
