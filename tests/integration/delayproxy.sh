#!/usr/bin/env bash
# The WAN link of tests/bench/wan (tests/tools/delayproxy.c) between
# tests/tools/linkprobe.py's client and server on 127.0.0.1:
#   - 8 MiB pass through a 100 ms delay intact and in order (the sink's
#     SHA-256 of the stream matches);
#   - every ping-pong of one byte takes at least 2 x 100 ms;
#   - with a cap of 1 MB/s, 2 MB take at least 2 s: the cap holds (a lower
#     bound only: a loaded machine makes it slower, never faster);
#   - the log counts the bytes each way and the ping-pongs as round trips;
#     the trace lists each burst (direction, bytes, whether it waited).
# Times are lower bounds, which load cannot break; no speed is asserted.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
need_delayproxy
PROBE=$REVAULT_SOURCE_DIR/tests/tools/linkprobe.py

python3 "$PROBE" serve --port-file "$T_TMP/sink.port" --max-seconds 300 </dev/null >/dev/null 2>&1 &
t_on_exit "kill $! 2>/dev/null"
wait_file "$T_TMP/sink.port" 10 || { echo "FAIL: linkprobe.py serve did not start" >&2; exit 1; }
SINK=$(cat "$T_TMP/sink.port")

# link NAME ARGS...: a proxy in front of the sink; sets LINK_PORT, LINK_PID.
link() {
	local name=$1
	shift
	"$DELAYPROXY" --target "127.0.0.1:$SINK" --port-file "$T_TMP/$name.port" \
		--log "$T_TMP/$name.log" --trace "$T_TMP/$name.trace" --max-seconds 300 "$@" </dev/null >/dev/null 2>"$T_TMP/$name.err" &
	LINK_PID=$!
	t_on_exit "kill $LINK_PID 2>/dev/null"
	wait_file "$T_TMP/$name.port" 10 || { echo "FAIL: delayproxy did not start: $(cat "$T_TMP/$name.log")" >&2; exit 1; }
	LINK_PORT=$(cat "$T_TMP/$name.port")
}

# unlink_ NAME: stops the proxy, which logs the connections still open
# and exits 0 (a sanitizer's report would make it fail).
unlink_() {
	local rc=0
	kill "$LINK_PID" 2>/dev/null || true
	wait "$LINK_PID" 2>/dev/null || rc=$?
	[ "$rc" = 0 ] && pass || fail "delayproxy $1 exited $rc on SIGTERM: $(cat "$T_TMP/$1.err")"
}

# A delay of 100 ms each way, no cap.
link slow --delay 100
run python3 "$PROBE" bulk --port "$LINK_PORT" --bytes $((8 << 20)) --seed 7
expect_rc 0 "bulk through the delay"
expect_out "^bytes=8388608 .* intact=yes$" "8 MiB arrive intact and in order"
secs=$(sed -nE 's/.*seconds=([0-9.]+).*/\1/p' <<<"$OUT")
if awk -v s="${secs:-0}" 'BEGIN {exit !(s >= 0.2)}'; then pass; else
	fail "the bulk transfer and its answer took $secs s, less than one round trip of 0.2 s"
fi

run python3 "$PROBE" ping --port "$LINK_PORT" --count 5
expect_rc 0 "ping-pong through the delay"
n=$(grep -c '^rtt_ms=' <<<"$OUT" || true)
[ "$n" = 5 ] && pass || fail "5 ping-pongs expected, got $n: $OUT"
short=$(awk -F= '$2 < 200 {print}' <<<"$OUT")
[ -z "$short" ] && pass || fail "a round trip shorter than 2 x 100 ms: $short"
unlink_ slow

# The log: bytes each way, and the ping-pong as round trips the client
# waited for (one burst after each answer; the first carries the "P").
line=$(grep -E 'conn 2: closed' "$T_TMP/slow.log" || true)
[ -n "$line" ] || fail "no closing line for the ping-pong connection: $(cat "$T_TMP/slow.log")"
if [[ $line =~ up=6\ down=5\ up_bursts=([0-9]+)\ down_bursts=([0-9]+)\ up_waits=([0-9]+) ]]; then
	pass
	[ "${BASH_REMATCH[1]}" -ge 5 ] && [ "${BASH_REMATCH[3]}" -ge 5 ] && pass ||
		fail "5 ping-pongs should be at least 5 client bursts and waits: $line"
else
	fail "the closing line lacks the byte and burst counts: $line"
fi
# The trace of the ping-pong: the client's bursts of one byte each (the
# first with the "P"), every one a wait, each answered by one of the server.
ups=$(awk '$1 == 2 && $2 == "up" && $4 == "wait" {n++} END {print n + 0}' "$T_TMP/slow.trace")
downs=$(awk '$1 == 2 && $2 == "down" && $3 == 1 {n++} END {print n + 0}' "$T_TMP/slow.trace")
[ "$ups" = 5 ] && [ "$downs" = 5 ] && pass || fail "the trace of 5 ping-pongs: $(cat "$T_TMP/slow.trace")"
line=$(grep -E 'conn 1: closed' "$T_TMP/slow.log" || true)
[[ $line == *"up=8388609 down=65 "* ]] && pass || fail "the bulk connection's bytes: $line"

# A cap of 1 MB/s each way: 2 MB cannot take less than 2 s.
link capped --rate 1000000
run python3 "$PROBE" bulk --port "$LINK_PORT" --bytes 2000000 --seed 8
expect_rc 0 "bulk through the cap"
expect_out "intact=yes$" "2 MB arrive intact through the cap"
secs=$(sed -nE 's/.*seconds=([0-9.]+).*/\1/p' <<<"$OUT")
if awk -v s="${secs:-0}" 'BEGIN {exit !(s >= 1.95)}'; then pass; else
	fail "2 MB passed a 1 MB/s cap in $secs s"
fi
unlink_ capped

# Bad arguments: one line that says what to do, exit 2.
run "$DELAYPROXY" --target 127.0.0.1:1 --port-file "$T_TMP/x" --delay soon
expect_rc 2 "a delay that is not a number"
expect_err "--delay \(ms\) wants a whole number" "the message names the option"

t_done
