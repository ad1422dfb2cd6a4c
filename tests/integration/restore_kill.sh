#!/usr/bin/env bash
# An in-place restore killed (SIGKILL) at each step of its commit, with the
# settings folder inside the restored source: S/revault/revault.yaml, so
# master.key and secret.key live in S (they are never in a backup; an
# in-place restore keeps them). The state folder (lock, restore journal) is
# outside S, where no restore replaces it. strace kills the restore on the
# Nth rename (N = 1, 2, ... until one run ends by itself), on chosen
# unlink/rmdir calls (among them the removal of the old tree) and on each
# fsync/syncfs. After every kill the next restore finishes or rolls back the
# half-done swap:
#   - S is exactly the old live tree or the backed-up tree, never a mix;
#   - master.key and secret.key are there, unchanged, mode 0600;
#   - no .revault-stage-* or .revault-old-* beside S, no journal left;
# then a full restore gives the backed-up tree with the secrets kept.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
need_cmd strace strace
umask 022
strace -f -qq -o /dev/null true 2>/dev/null ||
	skip "strace cannot trace here (ptrace refused)"
# LeakSanitizer stops the world with ptrace, which a traced process cannot:
# no leak check in the sanitized build for the runs under strace.
TRACED_ASAN="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

MAX_N=${KILL_MAX_N:-40}
# Syscall names unknown to an architecture (rename on arm64) are ignored: '?'.
RENAMES='?rename,?renameat,?renameat2'
REMOVES='?unlink,?unlinkat,?rmdir'
SYNCS='?fsync,?fdatasync,?syncfs'

P=$T_TMP/kill      # S's parent: revault's temporaries go here
S=$P/src
CFG=$S/revault
mkdir -p "$S/etc/app/conf.d" "$S/data/a/b" "$S/keep" "$CFG"
printf 'listen 8080\n' >"$S/etc/app/app.conf"
printf 'x=1\n' >"$S/etc/app/conf.d/one.conf"
printf 'secret=1\n' >"$S/etc/app/private"
chmod 600 "$S/etc/app/private"
ln -s app.conf "$S/etc/app/link"
printf 'same\n' >"$S/keep/same"
python3 - "$S/data" <<'EOF'
import os, sys
root = sys.argv[1]
for d in range(6):
    p = os.path.join(root, "d%d" % d)
    os.makedirs(p, exist_ok=True)
    for f in range(25):
        with open(os.path.join(p, "f%02d" % f), "w") as fh:
            fh.write("backed up %d %d\n" % (d, f))
EOF
random_file "$S/data/a/b/blob" 200000
mkdir "$S/data/ro"
printf 'ro\n' >"$S/data/ro/file"
chmod 500 "$S/data/ro"

srv_start sshd "$T_TMP/sshd"
rv_setup "$CFG" "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" killdev "$S"
rv_new_key
# secret.key: made by sealing a (here unused) server password.
printf 'unused-password\n' | timeout -k 5 60 "$REVAULT" password set --fd 0 >/dev/null 2>&1 || true
[ -f "$CFG/secret.key" ] || { head -c 32 /dev/urandom >"$CFG/secret.key"; chmod 600 "$CFG/secret.key"; }
rv_trust
rv_ok "protected on" set security.protected on
secrets_sum=$(cat "$CFG/master.key" "$CFG/secret.key" | sha256sum)

# describe_s: S as tree_describe sees it, with owners, leaving out what
# revault itself writes into the settings folder during a restore: the
# secrets it puts back (checked on their own), a lock file, and so the
# folder's own mtime. A journal left inside S is not left out.
describe_s() {
	[ -d "$S" ] || { echo "(no $S)"; return 0; }
	{
		tree_describe "$S"
		(cd "$S" && find . -mindepth 1 -printf '%P\t%u:%g\n' | LC_ALL=C sort)
	} | grep -vE '^revault/(master\.key|secret\.key|revault\.lock)(	|$)' |
		sed -E 's/^(revault	d	[0-7]+	)[0-9]+/\1-/'
}

rv backup
expect_rc 0 "backup of the source holding the settings"
[ "$RC" = 0 ] || { t_done; exit 1; }
new_desc=$(describe_s)

# The live tree moves on: files changed, added, removed, a mode changed.
sleep 1.1
printf 'listen 9090\n' >"$S/etc/app/app.conf"
rm "$S/etc/app/conf.d/one.conf" "$S/data/d2/f03"
printf 'new\n' >"$S/etc/app/conf.d/two.conf"
mkdir -p "$S/added/deep"
printf 'added\n' >"$S/added/deep/file"
chmod 640 "$S/etc/app/private"
rm -rf "$S/data/d5"
# More files in the old tree than in the backup: strace counts calls per
# thread, and the old tree is removed by another thread than the one that
# extracts; its later unlinks are reachable only past the extraction's.
python3 - "$S/added/many" <<'EOF'
import os, sys
os.makedirs(sys.argv[1])
for d in range(10):
    p = os.path.join(sys.argv[1], "m%d" % d)
    os.mkdir(p)
    for f in range(30):
        open(os.path.join(p, "x%02d" % f), "w").close()
EOF
cp -a "$S" "$T_TMP/old-copy"
old_desc=$(describe_s)
[ "$old_desc" != "$new_desc" ] && pass || fail "the changed tree describes as the backed-up one"

reset_old() {
	chmod -R u+w "$S" 2>/dev/null || true
	rm -rf "$S"
	cp -a "$T_TMP/old-copy" "$S"
	[ "$(describe_s)" = "$old_desc" ] || { fail "could not reset the old tree"; t_done; exit 1; }
}

# leftovers: revault's temporaries beside S and journals in the state
# folder or inside S, one a line.
leftovers() {
	find "$P" -maxdepth 1 \( -name '.revault-stage-*' -o -name '.revault-old-*' \) 2>/dev/null || true
	find "$REVAULT_STATE_DIR" "$S" -name '*journal*' 2>/dev/null || true
}
clear_leftovers() {
	local l
	for l in $(leftovers); do
		chmod -R u+w "$l" 2>/dev/null || true
		rm -rf "$l"
	done
}

secrets_ok() {
	[ "$(cat "$CFG/master.key" "$CFG/secret.key" 2>/dev/null | sha256sum)" = "$secrets_sum" ] &&
		[ "$(stat -c %a "$CFG/master.key" "$CFG/secret.key" 2>/dev/null | sort -u)" = 600 ]
}

# check WHAT: S is whole (old or restored), the secrets are kept, nothing is
# left behind. Sets STATE to old, new or mixed.
check() {
	local now l
	now=$(describe_s)
	if [ "$now" = "$old_desc" ]; then
		STATE=old
	elif [ "$now" = "$new_desc" ]; then
		STATE=new
	else
		STATE=mixed
	fi
	[ "$STATE" != mixed ] && pass || fail "$1: $S is neither the old tree nor the backed-up one:
$(diff <(echo "$old_desc") <(echo "$now") | head -12)
(against the backed-up tree:)
$(diff <(echo "$new_desc") <(echo "$now") | head -12)"
	secrets_ok && pass || fail "$1: master.key or secret.key lost or changed: $(ls -lA "$CFG" 2>&1 | tail -n +2 | tr '\n' ';')"
	l=$(leftovers)
	[ -z "$l" ] && pass || fail "$1: left behind: $(tr '\n' ' ' <<<"$l")"
}

# killed_restore SPEC: an in-place restore under strace -e inject=SPEC;
# KRC is its exit status (137: killed).
killed_restore() {
	set +e
	# In a shell of its own, whose "Killed" notice goes to /dev/null.
	ASAN_OPTIONS=$TRACED_ASAN bash -c 'timeout -k 5 120 strace -f -qq -o /dev/null -e "inject=$1" \
		"$3" restore latest --yes >"$2.out" 2>"$2.err"; exit $?' _ "$1" "$T_TMP/killed" "$REVAULT" 2>/dev/null
	KRC=$?
	set -e
}

# one_kill WHAT SPEC: old tree, killed restore, recovery, full restore.
# Returns 1 when the restore ran to its end without being killed.
one_kill() {
	local what=$1 spec=$2
	reset_old
	killed_restore "$spec"
	if [ "$KRC" = 0 ]; then
		# Not killed: an ordinary restore, which must have succeeded.
		check "$what (not killed)"
		[ "$STATE" = new ] && pass || fail "$what: the restore ended without a kill but $S is $STATE"
		return 1
	fi
	[ "$KRC" = 137 ] && pass || fail "$what: the restore exited $KRC, expected 137 (killed): $(cat "$T_TMP/killed.err")"
	# The next restore finishes or rolls back the swap first, even one that
	# then fails (no such revision): the state it leaves is checked.
	rv restore 19990101T000000Z --yes
	local rec_rc=$RC rec_err=$ERR
	check "$what, then the next restore (exit $rec_rc: $rec_err)"
	NOTE="$NOTE $STATE"
	clear_leftovers
	rv restore latest --yes
	expect_rc 0 "$what, then restore latest"
	check "$what, then restore latest"
	[ "$STATE" = new ] && pass || fail "$what, then restore latest: $S is $STATE, not the backed-up tree"
	clear_leftovers
	return 0
}

# ---- a reference run, traced: what the restore calls, in order ------------
reset_old
ASAN_OPTIONS=$TRACED_ASAN timeout -k 5 120 strace -f -qq -y -o "$T_TMP/trace" \
	-e "trace=$RENAMES,$REMOVES,$SYNCS" "$REVAULT" restore latest --yes >/dev/null 2>"$T_TMP/trace.err" ||
	fail "the traced reference restore failed: $(cat "$T_TMP/trace.err")"
check "the reference restore"
[ "$STATE" = new ] && pass || fail "the reference restore did not give the backed-up tree"
clear_leftovers
# The staged trees are on disk before the first of them is swapped in: a
# power cut just after the swap must not leave empty files. syncfs comes
# before the rename that parks the old tree.
first_sync=$(grep -n 'syncfs(' "$T_TMP/trace" | head -1 | cut -d: -f1)
first_park=$(grep -n 'rename.*\.revault-old-' "$T_TMP/trace" | head -1 | cut -d: -f1)
[ -n "$first_sync" ] && [ -n "$first_park" ] && [ "$first_sync" -lt "$first_park" ] && pass ||
	fail "no syncfs before the swap (syncfs at line ${first_sync:-none}, first park at ${first_park:-none})"

# picks SYSCALLS: for the inject set SYSCALLS, each N (strace counts each
# syscall of the set, in each thread, on its own) with the call it lands
# on, one "N<TAB>call" a line, from the reference trace.
picks() {
	python3 - "$T_TMP/trace" "$1" <<'EOF'
import re, sys
want = {s.lstrip("?") for s in sys.argv[2].split(",")}
count, hits = {}, {}
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"(\d+)\s+(\w+)\((.*)", line)
    if not m or m.group(2) not in want:
        continue
    key = (m.group(1), m.group(2))
    count[key] = count.get(key, 0) + 1
    hits.setdefault(count[key], line.split(None, 1)[1].strip()[:160])
for n in sorted(hits):
    print("%d\t%s" % (n, hits[n]))
EOF
}

# ---- 1. killed at each rename ---------------------------------------------
# when=N is counted per thread: a thread's Nth rename is reached only if no
# other thread made N renames before it (the notes list which call each N
# lands on).
NOTE=
n_renames=$(picks "$RENAMES" | wc -l)
echo "note: the reference restore made $n_renames rename calls (per syscall and thread):" >&2
picks "$RENAMES" | sed 's/^/note:   /' >&2
ran_out=false
for ((n = 1; n <= MAX_N; n++)); do
	if ! one_kill "SIGKILL at rename #$n" "$RENAMES:signal=KILL:when=$n"; then
		ran_out=true
		break
	fi
done
echo "note: rename kills, state after the next restore:$NOTE" >&2
$ran_out && pass || fail "the restore was still killed at rename #$MAX_N"
[ "$n" -gt 1 ] && pass || fail "the restore made no rename at all"

# ---- 2. killed at chosen unlink/rmdir calls --------------------------------
# From the reference trace: the first and last call; the first, middle and
# last that touch a staging folder or a journal; five spread over those
# that touch the parked old tree (its removal).
choose_removes() {
	picks "$REMOVES" | python3 -c '
import sys
rows = [l.rstrip("\n").split("\t", 1) for l in sys.stdin if l.strip()]
pick = set()
if rows:
    pick.update((rows[0][0], rows[-1][0]))
for tag, k in ((".revault-old-", 5), (".revault-stage-", 3), ("journal", 3)):
    hit = [n for n, call in rows if tag in call]
    if hit:
        pick.update(hit[i * (len(hit) - 1) // (k - 1)] for i in range(k))
for n in sorted(pick, key=int):
    print(n)
'
}
NOTE=
removes=$(choose_removes)
echo "note: unlink/rmdir kills at: $(tr '\n' ' ' <<<"$removes")" >&2
for n in $removes; do
	echo "note:   #$n: $(picks "$REMOVES" | awk -F'\t' -v n="$n" '$1 == n {print $2}')" >&2
	one_kill "SIGKILL at unlink/rmdir #$n" "$REMOVES:signal=KILL:when=$n" || true
done
echo "note: unlink/rmdir kills, state after the next restore:$NOTE" >&2

# ---- 3. killed at each fsync/syncfs (the staged tree and the journal) ------
NOTE=
n_syncs=$(picks "$SYNCS" | wc -l)
echo "note: the reference restore made $n_syncs fsync/fdatasync/syncfs calls" >&2
for ((n = 1; n <= n_syncs && n <= 12; n++)); do
	one_kill "SIGKILL at fsync/syncfs #$n" "$SYNCS:signal=KILL:when=$n" || break
done
echo "note: fsync/syncfs kills, state after the next restore:$NOTE" >&2

t_done
