#!/usr/bin/env bash
# The memory Browse holds (docs/TUI.md, Browse): each entry keeps its own
# name only, not its whole path nor a second, escaped copy. A revision of
# 50,000 files whose paths are 190 bytes long is browsed at 80x24; the
# growth of the peak resident size (VmHWM) from the revision picker to the
# read tree, split over the entries, stays under 600 bytes an entry (the
# entry, its 170-byte name and the slack of the growing array: about 400;
# holding each whole path and escaped name took over 1,000). Under a
# sanitizer every allocation carries more, and the bound is 900 bytes.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
# A sanitizer keeps what is freed in quarantine, resident: none, so that
# what is measured is what is held (set before tmux starts).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e
need_cmd python3 python3

N=50000
srv_start sshd "$T_TMP/sshd"
url="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
S=$T_TMP/m
python3 - "$S" "$N" <<'EOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for d in range((n + 999) // 1000):
    dp = os.path.join(root, "d%03d" % d)
    os.makedirs(dp)
    for f in range(min(1000, n - d * 1000)):
        name = "f%05d" % f
        pad = 190 - len(os.path.join(dp, name))
        open(os.path.join(dp, "n" * pad + name), "w").close()
EOF
rv_setup "$T_TMP/cfg" "$url" "$SSHD_USER" "$SSHD_KEY" memdev "$S"
rv_new_key
rv_trust
rv_ok "backup" backup

hwm() { awk '$1 == "VmHWM:" {print $2}' "/proc/$1/status"; }
tui_start color
tui_wait 'Main menu' "main menu"
tui_keys r
tui_wait '1 revision in' "the picker lists the revision"
pane=$(TM display -p -t rv '#{pane_pid}')
pid=
for c in $(cat "/proc/$pane/task/$pane/children" 2>/dev/null); do
	[ "$(cat "/proc/$c/comm" 2>/dev/null)" = revault ] && pid=$c
done
[ -n "$pid" ] && pass || { fail "no revault process under the pane"; t_done; exit 1; }
before=$(hwm "$pid")
tui_keys b
TUI_TIMEOUT=300 tui_wait "$((N + 1 + $(find "$S" -mindepth 1 -type d | wc -l))) entries, verified" "the tree is read"
after=$(hwm "$pid")
per=$(((after - before) * 1024 / N))
bound=600
ldd "$REVAULT" | grep -qE 'lib(asan|ubsan)' && bound=900
[ "$per" -lt "$bound" ] && pass ||
	fail "Browse grew by $((after - before)) kB for $N entries: $per bytes an entry, more than $bound"
echo "note: $per bytes an entry ($before kB before, $after kB after)" >&2
tui_keys Escape Escape q
tui_wait '\[exit 0\]' "quit"

t_done
