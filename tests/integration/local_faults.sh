#!/usr/bin/env bash
# Local faults: the restore target's filesystem full, a staging directory
# that cannot be made, a settings folder that cannot be written, a missing
# or unsafe master key, and revault killed (SIGTERM, SIGKILL) during a
# backup and during the swap of an in-place restore. Each failure exits
# non-zero with one line, changes nothing it should not, and the next run
# cleans up: after a kill during the swap the tree is entirely the old or
# entirely the restored version, never a mix.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
ROOT=false
[ "$(id -u)" = 0 ] && ROOT=true

srv_start sshd "$T_TMP/sshd"
src=$T_TMP/src
mkdir -p "$src/conf"
printf 'original\n' >"$src/conf/a.conf"
random_file "$src/conf/blob" 3000000
DIRECT="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
rv_setup "$T_TMP/cfg" "$DIRECT" "$SSHD_USER" "$SSHD_KEY" localdev "$src"
cfg=$T_TMP/cfg
rv_new_key
rv_trust
rv_ok "protected on" set security.protected on
rv backup
expect_rc 0 "first backup"
rev1=$(rv_revisions | head -1)
devdir=$SSHD_ROOT/localdev

# no_leftovers DIR WHAT: no staging or parked trees under DIR.
no_leftovers() {
	local left
	left=$(find "$1" -name '.revault-stage-*' -o -name '.revault-old-*' 2>/dev/null || true)
	[ -z "$left" ] && pass || fail "$2: left behind: $left"
}

# bind_ro DIR: makes DIR read-only with a bind mount (root); false if not possible.
bind_ro() {
	mount --bind "$1" "$1" 2>/dev/null || return 1
	if ! mount -o remount,bind,ro "$1" 2>/dev/null; then
		umount "$1"
		return 1
	fi
	t_on_exit "umount -l '$1' 2>/dev/null"
}

# ---- 1. restore --to a full filesystem ------------------------------------
if $ROOT && mkdir -p "$T_TMP/full" && mount -t tmpfs -o size=1m,mode=755 tmpfs "$T_TMP/full" 2>/dev/null; then
	t_on_exit "umount -l '$T_TMP/full' 2>/dev/null"
	mkdir -p "$T_TMP/full/t$src/conf"
	printf 'older\n' >"$T_TMP/full/t$src/conf/a.conf"
	before=$(tree_sum "$T_TMP/full")
	rv restore "$rev1" --to "$T_TMP/full/t"
	expect_rc 1 "restore onto a full filesystem"
	expect_one_line "restore onto a full filesystem"
	expect_err '[Ss]pace|full' "full filesystem: the line says there is no space"
	[ "$(tree_sum "$T_TMP/full")" = "$before" ] && pass || fail "full filesystem: the target changed"
	no_leftovers "$T_TMP/full" "full filesystem"
	[ ! -e "$REVAULT_STATE_DIR/restore.journal" ] && pass || fail "full filesystem: a restore journal was left"
	umount "$T_TMP/full"
else
	if $ROOT; then
		skip_part "the full-filesystem restore: cannot mount a tmpfs here"
	else
		skip_part "the full-filesystem restore needs root (mount)"
	fi
fi

# ---- 2. staging directory not creatable -----------------------------------
ro=$T_TMP/ro
mkdir -p "$ro/t$src/conf"
printf 'older\n' >"$ro/t$src/conf/a.conf"
before=$(tree_sum "$ro")
made_ro=false
if $ROOT; then
	bind_ro "$ro" && made_ro=true
else
	chmod 555 "$ro/t$src" "$ro/t$(dirname "$src")" && made_ro=true
	t_on_exit "chmod -R u+w '$ro'"
fi
if $made_ro; then
	rv restore "$rev1" --to "$ro/t"
	expect_rc 1 "restore where no staging directory can be made"
	expect_one_line "staging not creatable"
	expect_err 'staging' "staging not creatable: the line names the staging directory"
	[ "$(tree_sum "$ro")" = "$before" ] && pass || fail "staging not creatable: the target changed"
	$ROOT && umount "$ro"
else
	skip_part "the staging case: cannot mount a read-only folder here"
fi

# ---- 3. settings folder not writable --------------------------------------
settings_sum=$(sha256sum <"$cfg/revault.yaml")
if $ROOT; then
	bind_ro "$cfg" && ro_cfg=true || ro_cfg=false
else
	chmod 555 "$cfg" && ro_cfg=true
fi
if $ro_cfg; then
	rv set backup.revisions 7
	[ "$RC" != 0 ] && pass || fail "set in a read-only settings folder succeeded"
	expect_one_line "set in a read-only settings folder"
	expect_err 'cannot write|[Rr]ead-only|[Pp]ermission' "read-only settings: the line says it cannot write"
	[ "$(sha256sum <"$cfg/revault.yaml")" = "$settings_sum" ] && pass || fail "read-only settings: the file changed"
	rv source add /
	[ "$RC" != 0 ] && pass || fail "source add in a read-only settings folder succeeded"
	expect_one_line "source add in a read-only settings folder"
	if $ROOT; then umount "$cfg"; else chmod 755 "$cfg"; fi
	[ "$(sha256sum <"$cfg/revault.yaml")" = "$settings_sum" ] && pass || fail "read-only settings: the file changed"
	ls -A "$cfg" | grep -qvE '^(revault\.yaml|master\.key|secret\.key|revault\.lock)$' &&
		fail "read-only settings: temporaries beside the settings: $(ls -A "$cfg")" || pass
else
	skip_part "the read-only settings case: cannot mount a read-only folder here"
fi
rv_ok "set once writable" set backup.revisions 7

# ---- 4. master key missing, readable by others, wrong size, not ours -------
key=$cfg/master.key
cp -p "$key" "$T_TMP/key.bak"
revs=$(rv_revisions)
key_refused() {
	rv backup
	expect_rc 2 "backup with $1"
	expect_one_line "backup with $1"
	expect_err "$2" "backup with $1: the line says how to fix it"
	rm -f "$key"
	cp -p "$T_TMP/key.bak" "$key"
	[ "$(rv_revisions)" = "$revs" ] && pass || fail "backup with $1 added a revision"
}
rm "$key"
key_refused "no master key" 'key generate|key import'
chmod 644 "$key"
key_refused "a master key readable by others" 'chmod 600'
head -c 10 "$T_TMP/key.bak" >"$key"
chmod 600 "$key"
key_refused "a master key of the wrong size" 'key import'
ln -sf "$T_TMP/key.bak" "$key"
key_refused "a master key that is a symlink" 'symbolic link'
if $ROOT; then
	chown nobody "$key"
	key_refused "a master key owned by someone else" 'chown'
fi
chmod 000 "$key"
if ! $ROOT; then
	key_refused "an unreadable master key" 'read|chmod'
fi
rm -f "$key"
cp -p "$T_TMP/key.bak" "$key"
rv backup
expect_rc 0 "backup with the key back"

# ---- 4b. the settings folder under a source -------------------------------
# master.key and secret.key are never part of a backup, even an unprotected
# one of a tree that holds them (say /etc with /etc/revault in it).
kcfg=$T_TMP/kroot/etc/revault
rv_setup "$kcfg" "$DIRECT" "$SSHD_USER" "$SSHD_KEY" keydev "$T_TMP/kroot/etc"
cp -p "$cfg/master.key" "$kcfg/master.key"
printf 'secret-marker\n' | "$REVAULT" password set --fd 0 >/dev/null 2>&1 ||
	head -c 32 /dev/urandom >"$kcfg/secret.key"
chmod 600 "$kcfg/secret.key"
rv_trust
for prot in on off; do
	rv_ok "protected $prot (key folder)" set security.protected "$prot"
	rv backup
	expect_rc 0 "backup of a tree holding the settings (protected $prot)"
	rv restore latest --to "$T_TMP/kout-$prot" --yes
	expect_rc 0 "restore of a tree holding the settings (protected $prot)"
	[ -e "$T_TMP/kout-$prot$kcfg/revault.yaml" ] && pass || fail "protected $prot: the settings were not restored"
	[ ! -e "$T_TMP/kout-$prot$kcfg/master.key" ] && [ ! -e "$T_TMP/kout-$prot$kcfg/secret.key" ] && pass ||
		fail "protected $prot: master.key or secret.key went into the backup: $(ls -A "$T_TMP/kout-$prot$kcfg")"
done
# In place: the restore replaces the folder that holds the secrets, which
# the backup does not have; they are still there afterwards.
ksum=$(cat "$kcfg/master.key" "$kcfg/secret.key" | sha256sum)
rv restore latest --yes
expect_rc 0 "in-place restore of the tree holding the settings"
[ "$(cat "$kcfg/master.key" "$kcfg/secret.key" 2>/dev/null | sha256sum)" = "$ksum" ] && pass ||
	fail "an in-place restore of the settings folder lost master.key or secret.key: $(ls -A "$kcfg")"
[ "$(stat -c %a "$kcfg/master.key" "$kcfg/secret.key" 2>/dev/null | sort -u)" = 600 ] && pass ||
	fail "the kept secrets are not mode 0600"
rv list
expect_rc 0 "the kept master key still works"
export REVAULT_CONFIG=$cfg/revault.yaml

# ---- 5. SIGTERM and SIGKILL during a backup -------------------------------
# Through a throttled proxy so that the upload lasts long enough to be hit.
proxy_start slow "$SSHD_PORT" --rate 2000000
SLOW="sftp://127.0.0.1:$PROXY_PORT$SSHD_ROOT"
rv_ok "url via the proxy" set server.url "$SLOW"
rv_trust
rv_ok "url direct" set server.url "$DIRECT"
random_file "$src/conf/big" 16000000
good=$(rv_revisions)

# kill_backup SIGNAL: starts a slow backup, sends SIGNAL once its temporary
# is on the server; sets KRC (exit status) and KSECS (time to exit).
kill_backup() {
	local pid i t0
	rv_ok "url via the proxy" set server.url "$SLOW"
	"$REVAULT" backup >"$T_TMP/kb.out" 2>"$T_TMP/kb.err" &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		ls -A "$devdir" | grep -q '^\..*\.tmp-' && break
		sleep 0.1
	done
	sleep 1 # some data is on the way
	t0=$(date +%s%N)
	kill "-$1" "$pid" 2>/dev/null || true
	set +e
	wait "$pid"
	KRC=$?
	set -e
	KSECS=$((($(date +%s%N) - t0) / 1000000000))
	rv_ok "url direct" set server.url "$DIRECT"
}

kill_backup TERM
[ "$KRC" != 0 ] && pass || fail "SIGTERM during a backup: exit 0"
[ "$KSECS" -lt 10 ] && pass || fail "SIGTERM during a backup: took $KSECS s to exit"
[ "$(rv_revisions)" = "$good" ] && pass || fail "SIGTERM: the revisions changed: $(rv_revisions)"
rv verify "$rev1"
expect_rc 0 "SIGTERM: the earlier revision verifies"
rv backup
expect_rc 0 "backup after SIGTERM"
hidden=$(ls -A "$devdir" | grep '^\.' || true)
[ -z "$hidden" ] && pass || fail "SIGTERM: temporaries left on the server after the next run: $hidden"
find "$devdir" -name '.*.tmp-*' -delete
good=$(rv_revisions)

kill_backup KILL
[ "$KRC" = 137 ] && pass || fail "SIGKILL during a backup: exit $KRC"
[ "$(rv_revisions)" = "$good" ] && pass || fail "SIGKILL: the revisions changed: $(rv_revisions)"
stale=$(ls -A "$devdir" | grep '^\..*\.tmp-' || true)
[ -n "$stale" ] && pass || fail "SIGKILL: no temporary on the server (was the backup killed during its upload?)"
rv backup
expect_rc 0 "backup after SIGKILL"
[ -z "$stale" ] || [ -e "$devdir/$stale" ] && pass || fail "SIGKILL: a temporary younger than a day was removed (it may be another run's)"
[ -n "$stale" ] && touch -d '2 days ago' "$devdir/$stale"
rv backup
expect_rc 0 "backup with a day-old temporary"
hidden=$(ls -A "$devdir" | grep '^\.' || true)
[ -z "$hidden" ] && pass || fail "SIGKILL: the day-old temporary was not removed: $hidden"
rv verify "$rev1"
expect_rc 0 "after the kills the first revision verifies"
rm -f "$src/conf/big"

# ---- 6. SIGTERM / SIGKILL during an in-place restore ----------------------
# Three sources, 2000 entries; the restored (backed-up) and the old
# (changed since) trees differ in every source.
sw=$T_TMP/swap
mkdir -p "$sw"
python3 - "$sw" <<'EOF'
import os, sys
root = sys.argv[1]
for s, dirs, files in (("s1", 20, 40), ("s2", 20, 40), ("s3", 20, 20)):
    for d in range(dirs):
        p = os.path.join(root, s, "d%02d" % d)
        os.makedirs(p, exist_ok=True)
        for f in range(files):
            with open(os.path.join(p, "f%03d" % f), "w") as fh:
                fh.write("backed up %s %d %d\n" % (s, d, f))
EOF
[ "$(find "$sw" | wc -l)" -ge 2000 ] && pass || fail "the swap tree has fewer than 2000 entries"
scfg=$T_TMP/scfg
rv_setup "$scfg" "$DIRECT" "$SSHD_USER" "$SSHD_KEY" swapdev "$sw/s1" "$sw/s2" "$sw/s3"
cp -p "$cfg/master.key" "$scfg/master.key"
rv_trust
rv_ok "protected on (swap)" set security.protected on
rv backup
expect_rc 0 "backup of the swap tree"
srev=$(rv_revisions | head -1)
new_sum=$(tree_sum "$sw")
# The old version: every source changed, plus many extra files, so that
# removing the parked old trees takes a while.
python3 - "$sw" <<'EOF'
import os, sys
root = sys.argv[1]
for s in ("s1", "s2", "s3"):
    for d in range(5):
        with open(os.path.join(root, s, "d%02d" % d, "f000"), "w") as fh:
            fh.write("changed since\n")
    for d in range(30):
        p = os.path.join(root, s, "extra%02d" % d)
        os.makedirs(p, exist_ok=True)
        for f in range(40):
            open(os.path.join(p, "x%03d" % f), "w").close()
EOF
sleep 1.1
cp -a "$sw" "$T_TMP/swap-old"
old_sum=$(tree_sum "$sw")
[ "$old_sum" != "$new_sum" ] && pass || fail "the old and the restored trees do not differ"

reset_old() {
	rm -rf "$sw"
	cp -a "$T_TMP/swap-old" "$sw"
	[ "$(tree_sum "$sw")" = "$old_sum" ] || { fail "could not reset the old tree"; t_done; exit 1; }
}

# A full restore gives exactly the backed-up tree (the reference).
rv restore "$srev" --yes
expect_rc 0 "in-place restore of the swap tree"
[ "$(tree_sum "$sw")" = "$new_sum" ] && pass || fail "an uninterrupted restore does not give the backed-up tree:
$(diff <(tree_describe "$T_TMP/swap-old") <(tree_describe "$sw") | head -20)"

# kill_restore SIGNAL PATTERN DELAY: an in-place restore, killed DELAY
# seconds after an entry matching PATTERN appears in $sw; KILLED says
# whether the signal landed before the restore ended by itself.
kill_restore() {
	local pid
	"$REVAULT" restore "$srev" --yes >/dev/null 2>&1 &
	pid=$!
	KILLED=$(python3 - "$pid" "$sw" "$2" "$1" "$3" <<'EOF'
import fnmatch, os, signal, sys, time
pid, d, pat, sig, delay = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
end = time.monotonic() + 120
while time.monotonic() < end:
    if any(fnmatch.fnmatch(n, pat) for n in os.listdir(d)):
        if delay:
            time.sleep(delay)
        try:
            os.kill(pid, getattr(signal, "SIG" + sig))
            print("yes")
        except ProcessLookupError:
            print("no")
        sys.exit(0)
    try:
        with open("/proc/%d/stat" % pid) as f:
            if f.read().split(") ")[1][0] == "Z":
                break
    except OSError:
        break
print("no")
EOF
)
	set +e
	wait "$pid"
	KRC=$?
	set -e
}

# whole WHAT: the tree is entirely the old or entirely the restored version.
whole() {
	local s
	s=$(tree_sum "$sw")
	if [ "$s" = "$old_sum" ]; then
		echo old
	elif [ "$s" = "$new_sum" ]; then
		echo new
	else
		echo mixed
	fi
}

caught=0
for moment in "KILL .revault-stage-* 0.05" "KILL .revault-old-* 0" "KILL .revault-old-* 0.002" \
	"KILL .revault-old-* 0.01" "TERM .revault-old-* 0" "TERM .revault-stage-* 0.05"; do
	set -- $moment
	reset_old
	kill_restore "$1" "$2" "$3"
	what="SIG$1 at $2 +$3s"
	[ "$KILLED" = yes ] && caught=$((caught + 1))
	# The next command that restores finishes or rolls back the swap first
	# (here one that then fails: no such revision), touching nothing else.
	rv restore 19990101T000000Z --to "$T_TMP/nowhere"
	expect_rc 2 "$what: a restore of a missing revision after the kill"
	state=$(whole)
	[ "$state" != mixed ] && pass || fail "$what (signal landed: $KILLED): the tree is a mix of old and restored:
$(diff <(tree_describe "$T_TMP/swap-old") <(tree_describe "$sw") | grep -v '^[<>] s[123]/\(d\|extra\)' | head -20)"
	if [ "$2" = ".revault-old-*" ] && [ "$KILLED" = yes ]; then
		[ "$state" = new ] && pass || fail "$what: killed during the swap, the tree is $state, expected the restored one"
	fi
	[ ! -e "$REVAULT_STATE_DIR/restore.journal" ] && pass || fail "$what: the journal is still there"
	no_leftovers "$sw" "$what"
	rv restore "$srev" --yes
	expect_rc 0 "$what: restore again"
	[ "$(whole)" = new ] && pass || fail "$what: restore again did not give the restored tree"
done
echo "note: $caught of 6 signals landed before the restore ended" >&2
[ "$caught" -ge 3 ] && pass || fail "only $caught of 6 signals landed during the restore: the test did not test much"

t_done
