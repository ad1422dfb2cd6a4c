#!/usr/bin/env bash
# A second local user racing an in-place restore. The user `nobody` owns a
# folder inside the restored source; while root restores the source in
# place, it keeps swapping its subfolders and files for symbolic links to a
# root-only folder elsewhere on the machine (the decoy) and renaming them
# aside and back: in the live tree (through a descriptor that follows the
# old tree when it is parked) and in every revault temporary it can reach
# beside the source. revault's filesystem work (extraction, swap, removal of
# the old tree, recovery) is relative to open directories and never follows
# a link it did not make, so after each restore:
#   - the decoy is byte for byte, mode for mode and owner for owner as it was;
#   - nothing outside the source and revault's temporaries beside it changed;
#   - the source is exactly the backed-up tree (or the restore failed with
#     one line and the source is whole: the old tree or the new, never a mix);
#   - no .revault-old-* or .revault-stage-* is left, unless the restore named
#     it on stderr as one it could not remove.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
need_cmd setpriv util-linux
[ "$(id -u)" = 0 ] || skip "needs root: another user races root's restore"
getent passwd nobody >/dev/null || skip "no user nobody"
RACE_GROUP=$(getent group nogroup >/dev/null && echo nogroup || id -gn nobody)
umask 022

# A python the racer (nobody) can run: python3 may be a shim under /root.
PY=
for p in /usr/bin/python3 "$(python3 -c 'import sys; print(sys.executable)')"; do
	if [ -x "$p" ] && setpriv --reuid=nobody --regid="$RACE_GROUP" --clear-groups "$p" -c 'pass' 2>/dev/null; then
		PY=$p
		break
	fi
done
[ -n "$PY" ] || skip "no python3 that user nobody can run"

MAX_ROUNDS=${RACE_ROUNDS:-25}
MAX_SECONDS=${RACE_SECONDS:-90}

base=$T_TMP/race
P=$base/parent      # the source's parent (root's, 0755: the racer cannot write here)
S=$P/src            # the source
D=$base/decoy       # root-only files outside the source
N=$P/neighbour      # a sibling of the source that must not change
mkdir -p "$S/etc" "$N" "$D"

# ---- the decoy: root's, modes 0600/0644, a subfolder, a 0700 and a 0555 dir
printf 'root secret\n' >"$D/secret"
chmod 600 "$D/secret"
printf 'root public\n' >"$D/public"
chmod 644 "$D/public"
mkdir "$D/sub" "$D/private" "$D/ro"
printf 'inner\n' >"$D/sub/inner"
printf 'private key\n' >"$D/private/key"
chmod 600 "$D/private/key"
chmod 700 "$D/private"
printf 'note\n' >"$D/ro/note"
chmod 444 "$D/ro/note"
chmod 555 "$D/ro"
printf 'neighbour\n' >"$N/file"
chmod 600 "$N/file"

# ---- the source: root's files, and a folder of nobody's --------------------
printf 'listen 8080\n' >"$S/etc/app.conf"
printf 'k\n' >"$S/etc/key"
chmod 600 "$S/etc/key"
printf 'remove me\n' >"$S/etc/remove-me"
# user/big, user/a, user/b: each holds the decoy's names (so that a path
# that turns through a link lands on the decoy's files) and padding that
# makes the removal take a while; private/ (0500) and ro/ (0555) must be
# opened up to be emptied, x/ (0577) would become 0777, b/ is 0500 itself.
"$PY" - "$S/user" <<'EOF'
import os, sys
root = sys.argv[1]
for d, pad in (("big", 600), ("a", 60), ("b", 60)):
    p = os.path.join(root, d)
    os.makedirs(os.path.join(p, "sub"))
    for name in ("secret", "public"):
        with open(os.path.join(p, name), "w") as f:
            f.write("user %s %s\n" % (d, name))
    with open(os.path.join(p, "sub", "inner"), "w") as f:
        f.write("user inner\n")
    for sub, mode, inner in (("private", 0o500, "key"), ("ro", 0o555, "note"), ("x", 0o577, "secret")):
        os.mkdir(os.path.join(p, sub))
        with open(os.path.join(p, sub, inner), "w") as f:
            f.write("user %s\n" % inner)
        for i in range(20):
            open(os.path.join(p, sub, "p%02d" % i), "w").close()
        os.chmod(os.path.join(p, sub), mode)
    for i in range(pad):
        with open(os.path.join(p, "f%04d" % i), "w") as f:
            f.write("%d\n" % i)
os.chmod(os.path.join(root, "b"), 0o500)
EOF
chown -R nobody:"$RACE_GROUP" "$S/user"
chmod 755 "$S/user"
chmod 755 "$T_TMP" "$base" "$P" "$S"

# describe DIR: tree_describe, every entry's owner, and DIR's own mode and owner.
describe() {
	tree_describe "$1"
	(cd "$1" && find . -mindepth 1 -printf '%P\t%u:%g\n' | LC_ALL=C sort)
	stat -c '.	%a	%U:%G' "$1"
}
TAB=$'\t'
# outside: everything under $base but the source, revault's temporaries and
# the decoy (checked on its own).
# The parent's own times change (revault renames entries in it): not its mode.
outside() {
	describe "$base" | grep -vE "^(decoy|parent/(src|\.revault-(old|stage)-[^/$TAB]*))(/|$TAB)" |
		sed -E "s/^(parent${TAB}d${TAB}[0-7]+${TAB})[0-9]+/\1-/" || true
}
# temporaries: revault's temporaries beside the source, one a line.
temporaries() { find "$P" -mindepth 1 -maxdepth 1 \( -name '.revault-old-*' -o -name '.revault-stage-*' \) -printf '%f\n'; }

srv_start sshd "$T_TMP/sshd"
rv_setup "$T_TMP/cfg" "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" racedev "$S"
rv_new_key
rv_trust
rv_ok "protected on" set security.protected on
rv backup
expect_rc 0 "backup of the source"
[ "$RC" = 0 ] || { t_done; exit 1; }
new_desc=$(describe "$S")
decoy_desc=$(describe "$D")
outside_desc=$(outside)

cat >"$T_TMP/racer.py" <<'EOF'
# The racer, run as nobody: racer.py USERDIR PARENT DECOY SECONDS. Holds a
# descriptor on USERDIR (so it follows the tree when the restore parks it),
# finds the folders of its own below it and under PARENT's .revault-*
# entries, and in all of them at once renames every folder (and every file
# named like one of DECOY's) aside, puts a symlink into DECOY in its place,
# waits a moment, then puts it back. On SIGTERM it stops between two rounds,
# undoes what is left, puts its folders' times back and prints its counts.
import os, random, signal, sys, time

userdir, parent, decoy, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
me = os.getuid()
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)

ASIDE = ".rv-racer"
flips = parked_flips = temp_flips = errors = 0
dirs = {}      # (dev, ino) -> [fd, where, times]
live = os.open(userdir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
st = os.fstat(live)
live_id = (st.st_dev, st.st_ino)

def add(fd, where):
    st = os.fstat(fd)
    key = (st.st_dev, st.st_ino)
    if key in dirs or st.st_uid != me:
        os.close(fd)
        return
    dirs[key] = [fd, where, (st.st_atime_ns, st.st_mtime_ns)]

add(os.dup(live), "live")

def subdirs(fd):
    try:
        names = os.listdir(fd)
    except OSError:
        return
    for n in names:
        try:
            c = os.open(n, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        except OSError:
            continue
        yield n, c

def discover():
    # Folders of ours below those known: user/big/, then user/big/sub/ ...
    for key, (fd, where, _) in list(dirs.items()):
        for n, c in subdirs(fd):
            add(c, where)
    # revault's temporaries beside the source (stage and parked trees).
    try:
        names = [n for n in os.listdir(parent) if n.startswith(".revault-")]
    except OSError:
        names = []
    for n in names:
        try:
            t = os.open(os.path.join(parent, n), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        todo = [(t, 0)]
        while todo:
            fd, depth = todo.pop()
            if os.fstat(fd).st_uid == me:
                add(fd, "temp")
                continue
            if depth < 3:
                for _, c in subdirs(fd):
                    todo.append((c, depth + 1))
            os.close(fd)

def target(name):
    p = os.path.join(decoy, name)
    return p if os.path.lexists(p) else decoy

def parked():
    try:
        st = os.stat(userdir, follow_symlinks=False)
        return (st.st_dev, st.st_ino) != live_id
    except OSError:
        return True

DECOY_NAMES = set(os.listdir(decoy))

def candidates(fd):
    # Folders, and files named like the decoy's.
    try:
        with os.scandir(fd) as it:
            return [e.name for e in it if not e.name.endswith(ASIDE) and
                    (e.is_dir(follow_symlinks=False) or e.name in DECOY_NAMES)]
    except OSError:
        return []

def pause(lo, hi):
    time.sleep(random.uniform(lo, hi))

# Each cycle swaps every candidate for a symlink at once, waits a moment
# (the time root spends inside one of these folders), then puts them back:
# a walk that entered a folder while it was real goes on through the link.
end = time.monotonic() + seconds
print("ready", flush=True)
cycle = 0
while not stop and time.monotonic() < end:
    if cycle % 4 == 0:
        discover()
    cycle += 1
    swapped = []
    for key, (fd, where, _) in list(dirs.items()):
        state = "temp" if where == "temp" else "parked" if parked() else "live"
        for n in candidates(fd):
            try:
                os.rename(n, n + ASIDE, src_dir_fd=fd, dst_dir_fd=fd)
            except OSError:
                errors += 1
                continue
            try:
                os.symlink(target(n), n, dir_fd=fd)
            except OSError:
                errors += 1
            swapped.append((fd, n, state))
    pause(0.0002, 0.0015)
    for fd, n, state in swapped:
        try:
            os.unlink(n, dir_fd=fd)
        except OSError:
            errors += 1
        try:
            os.rename(n + ASIDE, n, src_dir_fd=fd, dst_dir_fd=fd)
        except OSError:
            errors += 1
        flips += 1
        if state == "temp":
            temp_flips += 1
        elif state == "parked":
            parked_flips += 1
    pause(0.0001, 0.001)
# Undo: a swap is never left half done (stop is checked between swaps), but
# a rename back may have failed: put back what is still aside, then the times.
for key, (fd, where, times) in dirs.items():
    try:
        if os.fstat(fd).st_nlink == 0:
            continue
        for n in os.listdir(fd):
            if n.endswith(ASIDE):
                orig = n[:-len(ASIDE)]
                try:
                    if os.path.islink(os.path.join("/proc/self/fd/%d" % fd, orig)):
                        os.unlink(orig, dir_fd=fd)
                    os.rename(n, orig, src_dir_fd=fd, dst_dir_fd=fd)
                except OSError:
                    pass
        os.utime(fd, ns=times)
    except OSError:
        pass
print("flips %d parked %d temp %d errors %d" % (flips, parked_flips, temp_flips, errors), flush=True)
EOF
chmod 644 "$T_TMP/racer.py"

# change_old I: the live tree before restore I differs from the backup in
# root's part (the racer's folder is the same, so the racer has its names).
change_old() {
	printf 'changed %s\n' "$1" >"$S/etc/app.conf"
	printf 'added\n' >"$S/etc/added-$1"
	rm -f "$S/etc/remove-me"
	touch -d '2001-02-03 04:05:06' "$S/etc/app.conf"
}

RACER=
# shellcheck disable=SC2016 # expanded when the test exits
t_on_exit '[ -z "$RACER" ] || kill -KILL "$RACER" 2>/dev/null'
racer_start() {
	: >"$T_TMP/racer.out"
	setpriv --reuid=nobody --regid="$RACE_GROUP" --clear-groups "$PY" "$T_TMP/racer.py" \
		"$S/user" "$P" "$D" 120 >"$T_TMP/racer.out" 2>"$T_TMP/racer.err" </dev/null &
	RACER=$!
	wait_file "$T_TMP/racer.out" 10 || fail "the racer did not start: $(cat "$T_TMP/racer.err")"
}

racer_stop() {
	local i
	kill -TERM "$RACER" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$RACER" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$RACER" 2>/dev/null || true
	wait "$RACER" 2>/dev/null || true
	RACER=
	RACER_SAYS=$(tail -1 "$T_TMP/racer.out")
	[ -s "$T_TMP/racer.err" ] && echo "note: racer: $(tail -3 "$T_TMP/racer.err")" >&2
	true
}

# kill_when_parked: an in-place restore, killed (SIGKILL) as soon as the
# restored tree is in place and the old one parked beside it; KILLED says
# whether it was (no: it ended first).
kill_when_parked() {
	local pid
	"$REVAULT" restore latest --yes >/dev/null 2>"$T_TMP/killed.err" &
	pid=$!
	KILLED=$(python3 - "$pid" "$S/user" "$(stat -c %i "$S/user")" <<'EOF'
import os, signal, sys, time
pid, user, ino = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
end = time.monotonic() + 120
def alive():
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False
while time.monotonic() < end and alive():
    try:
        if os.stat(user, follow_symlinks=False).st_ino != ino:
            os.kill(pid, signal.SIGKILL)
            print("yes")
            sys.exit(0)
    except FileNotFoundError:
        pass
if alive():
    os.kill(pid, signal.SIGKILL)
    print("timed out")
else:
    print("no")
EOF
)
	wait "$pid" 2>/dev/null || true
}

t0=$(date +%s)
round=0 parked_total=0 temp_total=0 flips_total=0 leftovers=0 kills=0 broken=false
while [ "$round" -lt "$MAX_ROUNDS" ] && [ $(($(date +%s) - t0)) -lt "$MAX_SECONDS" ]; do
	round=$((round + 1))
	change_old "$round"
	old_desc=$(describe "$S")
	racer_start
	sleep 0.2 # the racer is swapping before the restore starts
	kind=restore
	if [ $((round % 3)) = 0 ]; then
		# A restore killed while it removes the old tree: the next one
		# (recovery, then its own restore) removes it, the racer in it.
		kill_when_parked
		kind="restore killed ($KILLED), then restore"
		[ "$KILLED" = yes ] && kills=$((kills + 1))
	fi
	rv restore latest --yes
	racer_stop
	what="round $round: $kind ($RACER_SAYS)"
	read -r _ f _ pk _ tp _ <<<"$RACER_SAYS" || true
	flips_total=$((flips_total + ${f:-0}))
	parked_total=$((parked_total + ${pk:-0}))
	temp_total=$((temp_total + ${tp:-0}))

	d=$(diff <(echo "$decoy_desc") <(describe "$D")) && pass || {
		fail "$what: root's decoy folder $D changed while a user raced the restore (exit $RC):
$d"
		broken=true
	}
	d=$(diff <(echo "$outside_desc") <(outside)) && pass || {
		fail "$what: files outside the source changed:
$d"
		broken=true
	}
	now=$(describe "$S")
	if [ "$RC" = 0 ]; then
		d=$(diff <(echo "$new_desc") <(echo "$now")) && pass || {
			fail "$what: the restored source is not the backed-up tree:
$(head -30 <<<"$d")"
			broken=true
		}
	else
		expect_one_line "$what: failed restore"
		if [ "$now" = "$old_desc" ] || [ "$now" = "$new_desc" ]; then
			pass
			echo "note: $what: the restore failed, the source is whole: $ERR" >&2
		else
			fail "$what: the restore failed (exit $RC: $ERR) and the source is a mix:
$(diff <(echo "$old_desc") <(echo "$now") | head -30)"
			broken=true
		fi
	fi
	# A temporary revault could not remove (the racer keeps filling it) may
	# stay if a restore said so, with the command that removes it: this
	# round's, or the first of a kill round when the kill did not land.
	said=$ERR
	[ "$kind" = restore ] || said="$said
$(cat "$T_TMP/killed.err" 2>/dev/null)"
	left=$(temporaries)
	for t in $left; do
		if grep -qF -- "$t" <<<"$said" && grep -q 'rm -r' <<<"$said"; then
			pass
			echo "note: $what: revault reported $t as left behind: $ERR" >&2
		else
			leftovers=$((leftovers + 1))
			fail "$what: $P/$t left behind and not reported (exit $RC; stderr: $ERR)$([ "$leftovers" -gt 1 ] ||
				printf '; it holds:\n%s' "$(cd "$P/$t" && find . | head -5)")"
		fi
		rm -rf "${P:?}/$t"
	done
	# Damage ends the run; stray temporaries (removed above) do not.
	$broken && break
done
t1=$(date +%s)
echo "note: $round rounds in $((t1 - t0)) s ($kills with a restore killed while it removed the old tree);" \
	"the racer swapped $flips_total entries, $parked_total in a parked old tree, $temp_total in a revault temporary" >&2
if ! $broken; then
	# The race must have reached the old tree while revault removed it.
	[ "$parked_total" -gt 0 ] || [ "$temp_total" -gt 0 ] && pass ||
		fail "the racer never swapped anything in a parked tree: the race was not run"
fi

# Last: a restore without a racer still gives the backed-up tree.
rv restore latest --yes
expect_rc 0 "restore after the race"
d=$(diff <(echo "$new_desc") <(describe "$S")) && pass || fail "restore after the race: not the backed-up tree:
$(head -20 <<<"$d")"
[ -z "$(temporaries)" ] && pass || fail "restore after the race left $(temporaries)"

t_done
