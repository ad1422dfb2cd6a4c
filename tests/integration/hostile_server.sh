#!/usr/bin/env bash
# A hostile SFTP server (tests/servers/asyncssh.sh, AsyncSSH) whose listing
# of the device folder never ends: endless short names (stopped at 100,000
# entries), endless 1000-byte names (stopped at 64 MiB of names), a trickle
# of one name at a time, each reply well within server.timeout (stopped by
# server.timeout for the whole listing), and one reply that never comes.
# Each time `revault list` ends by itself within server.timeout and a
# margin, with exit 1, one line naming the folder, and under 200 MB of
# memory.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd /usr/bin/time time

src=$T_TMP/src
mkdir -p "$src"
printf 'conf\n' >"$src/app.conf"
RSS_MAX_KB=200000
MARGIN=10

# hostile NAME TIMEOUT MIN WHY SERVER-ARGS...: a server whose listing of the
# folder hostdev never ends, and `revault list` against it with
# server.timeout TIMEOUT; it must take at least MIN seconds (a listing
# stopped by its time is not stopped early) and the one line must say WHY.
hostile() {
	local name=$1 timeout=$2 min=$3 why=$4 rss took
	shift 4
	srv_start asyncssh "$T_TMP/$name" --endless hostdev "$@"
	mkdir -p "$ASYNCSSH_LOCAL_ROOT/hostdev"
	rv_setup "$T_TMP/cfg-$name" "sftp://127.0.0.1:$ASYNCSSH_PORT$ASYNCSSH_ROOT" "$ASYNCSSH_USER" \
		"$ASYNCSSH_KEY" hostdev "$src"
	rv_trust
	rv_ok "$name: set server.timeout" set server.timeout "$timeout"
	# A sanitized build keeps freed memory in quarantine (256 MB by
	# default), which is not what revault holds: keep it small here.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16 \
		run timeout -k 5 $((timeout + 3 * MARGIN)) /usr/bin/time -f '%M %e' -o "$T_TMP/time-$name" \
		"$REVAULT" list
	expect_rc 1 "$name: list"
	expect_one_line "$name: list"
	expect_err 'folder listing .*too large or too slow' "$name: the line says the listing is too large or too slow"
	expect_err "$ASYNCSSH_ROOT/hostdev" "$name: the line names the folder"
	expect_err "$why" "$name: the line says which bound"
	# the last line: GNU time puts "Command exited with non-zero status" before it
	read -r rss took < <(tail -n 1 "$T_TMP/time-$name") || true
	if [ -n "${rss:-}" ] && [ "$rss" -lt "$RSS_MAX_KB" ]; then
		pass
	else
		fail "$name: list used ${rss:-?} KB (at most $RSS_MAX_KB)"
	fi
	if [ -n "${took:-}" ] && awk -v t="$took" -v min="$min" -v max=$((timeout + MARGIN)) \
		'BEGIN { exit !(t >= min && t <= max) }'; then
		pass
	else
		fail "$name: list took ${took:-?} s with server.timeout $timeout (expected $min to $((timeout + MARGIN)) s)"
	fi
	echo "$name: $rss KB, $took s: $ERR"
	srv_stop asyncssh "$T_TMP/$name"
}

hostile flood 20 0 'more than 100000 entries'
hostile long-names 60 0 'more than 64 MiB of names' --name-length 1000 --per-reply 64
hostile trickle 3 3 'not done within 3 s' --per-reply 1 --delay 0.2
hostile silent 3 3 'not done within 3 s' --per-reply 1 --delay 60

t_done
