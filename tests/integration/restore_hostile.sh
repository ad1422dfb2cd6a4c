#!/usr/bin/env bash
# Hostile archives in correctly signed containers. tests/lib/hostile_tar.py
# writes pax archives with Python's tarfile (nothing of revault's own tar
# code), tests/tools/rv_seal seals them with this machine's master key, and
# the real binary restores them from a real sshd.
#
# Every hostile revision (an entry through a symlink, "..", an absolute
# name, an entry outside the manifest's sources, bad hard links, nested
# sources, repeated paths, an overlong name, a damaged header, a missing
# parent, a bad manifest) is refused whole, four ways: in place over the
# configured source, in place with the source absent, under a --to DIR
# that holds an earlier restore, and under a --to DIR that does not exist.
# Each time: exit 5, one line on stderr naming the entry, and nothing in
# the test area changed (every path, type, mode, owner, inode, size,
# content and directory mtime as before; no stage or old tree left; a new
# --to DIR not left behind). `verify` refuses each one too.
#
# Legal but unusual revisions (device nodes, FIFOs, setuid/setgid/sticky
# modes, hard links, symlinks pointing anywhere, a 3,000-byte path, names
# that are not UTF-8 or hold newlines) restore exactly, four ways.
#
# A revision naming a source this machine does not back up restores only
# the configured one in place (naming the other as skipped), both with
# --all-sources, both under --to. A --to DIR that is a symlink, another
# user's or writable by all is refused (exit 2); a missing one is made
# 0700, with its missing parents.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
need_cmd zstd zstd
[ -n "${RV_SEAL:-}" ] && [ -x "$RV_SEAL" ] || skip "RV_SEAL does not name the rv_seal tool (run through ctest)"
umask 022

GEN=$REVAULT_SOURCE_DIR/tests/lib/hostile_tar.py
S=$T_TMP/S          # the configured source
O=$T_TMP/O          # outside every source: must never change
V=$T_TMP/V          # a directory this machine does not back up
W=$T_TMP/.work      # this script's own files (not part of the area)
TO_FULL=$T_TMP/to-full     # --to DIR holding an earlier restore
TO_NEW=$T_TMP/to-new/dir   # --to DIR that does not exist (nor its parent)
mkdir -p "$W"
ROOT=false
[ "$(id -u)" = 0 ] && ROOT=true

# ht OUT ARGS...: hostile_tar.py ARGS, its output in OUT. One Python runs
# them all (a coprocess): a start per call would cost more than the
# restores themselves.
coproc HT { exec python3 "$GEN" serve; }
t_on_exit "kill $HT_PID 2>/dev/null"
ht() {
	local IFS=$'\t' reply
	printf '%s\n' "$*" >&"${HT[1]}"
	read -r reply <&"${HT[0]}" || reply="1 hostile_tar.py serve ended"
	[ "$reply" = 0 ] && return 0
	echo "hostile_tar.py $2: ${reply#1 }" >&2
	return 1
}

# Paths a ".." entry could reach outside the test area, checked at the end.
ESCAPES=(/lead-dd "$(dirname "$T_TMP")/lead-dd" "$T_TMP/lead-dd")

srv_start sshd "$T_TMP/sshd"
mkdir -p "$S" "$O" "$V"
rv_setup "$T_TMP/cfg" "sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT" "$SSHD_USER" "$SSHD_KEY" hdev "$S"
rv_new_key
rv_trust
rv_ok "protected on" set security.protected on
KEY=$T_TMP/cfg/master.key
DEVDIR=$SSHD_ROOT/hdev
mkdir -p "$DEVDIR"

# ---- the area and its snapshots ----

# fill_source: the configured source with its known content.
fill_source() {
	rm -rf "$S"
	mkdir -p "$S/sub"
	printf 'mine\n' >"$S/a.conf"
	printf 'mine too\n' >"$S/sub/b.conf"
	ln -s a.conf "$S/link"
	touch -d '2021-01-01 UTC' "$S/a.conf" "$S/sub"
}

fill_outside() {
	rm -rf "$O" "$V"
	mkdir -p "$O/deep" "$V/vsub"
	printf 'safe\n' >"$O/victim"
	printf 'safe deep\n' >"$O/deep/f"
	printf 'original v\n' >"$V/v.conf"
	printf 'keep v\n' >"$V/keep"
	touch -d '2021-01-01 UTC' "$O/victim" "$V/v.conf"
}

# snap FILE [EXCLUDE...]: the whole test area but the server's root and
# log, this script's files, the state folder (its journal is checked
# apart) and the captured output, and the given paths (relative to $T_TMP;
# "." leaves out $T_TMP's own entry).
snap() {
	local f=$1 x args=()
	shift
	for x in "${SSHD_ROOT#"$T_TMP"/}" "${SSHD_LOG#"$T_TMP"/}" .work .state .out .err "$@"; do
		args+=(--exclude "$x")
	done
	ht "$f" snapshot "$T_TMP" "${args[@]}" || : >"$f"
}

# unchanged WHAT BEFORE [EXCLUDE...]: the area is as BEFORE says, no
# staging or old tree is anywhere in it, no restore journal is left.
# Returns 1 (after one FAIL line with the difference) when it is not.
unchanged() {
	local what=$1 before=$2 d stage
	shift 2
	snap "$W/after" "$@"
	if [ ! -s "$before" ] || [ ! -s "$W/after" ]; then
		fail "$what: no snapshot of the test area to compare"
		return 1
	fi
	if d=$(diff "$before" "$W/after"); then
		pass
	else
		stage=$(grep -E '^>.*\.revault-(stage|old)-' <<<"$d" | head -3 | cut -c1-160) || true
		fail "$what: the test area changed${stage:+ (staging left behind)}:
$(head -20 <<<"$d" | cut -c1-240)"
		return 1
	fi
	if compgen -G "$REVAULT_STATE_DIR/*journal*" >/dev/null; then
		fail "$what: a restore journal was left in $REVAULT_STATE_DIR: $(ls -A "$REVAULT_STATE_DIR")"
		rm -f "$REVAULT_STATE_DIR"/*journal*
		return 1
	fi
	return 0
}

# ---- revisions ----

N=0
# seal CASE: writes the case as a new revision; its name in $REV.
seal() {
	N=$((N + 1))
	REV=$(printf '20260601T%02d%02d%02dZ' $((N / 3600)) $((N / 60 % 60)) $((N % 60)))
	ht "$W/.gen" gen "$1" "$W/$1.tar.zst" --source "$S" --outside "$O" --other "$V" ||
		{ fail "hostile_tar.py gen $1 failed"; return 1; }
	"$RV_SEAL" "$KEY" hdev "$REV" <"$W/$1.tar.zst" >"$DEVDIR/$REV.revault" ||
		{ fail "rv_seal $1 failed"; return 1; }
}

# same_as CASE DIR WHAT [TREE]: DIR holds exactly what the case's S (or
# TREE, another source it names) holds.
same_as() {
	local d
	ht "$W/expected" expect "$1" --source "$S" --outside "$O" --other "$V" ${4:+--tree "$4"} ||
		{ fail "$3: hostile_tar.py expect $1 failed"; return; }
	ht "$W/restored" describe "$2" || echo "(no tree at $2)" >"$W/restored"
	if d=$(diff "$W/expected" "$W/restored"); then
		pass
	else
		fail "$3: $2 is not what the archive holds (< archive, > restored):
$(head -20 <<<"$d" | cut -c1-240)"
	fi
}

declare -A KIND PAT REVOF
CASES=()
ht "$W/cases" list --source "$S" --outside "$O" --other "$V" || : >"$W/cases"
while IFS=$'\t' read -r name kind pat; do
	CASES+=("$name")
	KIND[$name]=$kind
	PAT[$name]=$pat
done <"$W/cases"
n=$(printf '%s\n' "${KIND[@]}" | grep -c -E '^(hostile|damaged)$') || true
[ "$n" -ge 30 ] && pass || fail "hostile_tar.py lists only $n hostile cases"
for c in "${CASES[@]}"; do
	if seal "$c"; then
		REVOF[$c]=$REV
	else
		KIND[$c]=broken
	fi
done
BENIGN=${REVOF[benign]:-}
if [ -z "$BENIGN" ]; then
	fail "no benign revision: hostile_tar.py or rv_seal does not work"
	t_done
	exit 1
fi

# ---- the benign revision proves the generator and the sealing ----

fill_source
fill_outside
rv verify "$BENIGN"
expect_rc 0 "verify the benign revision"
rm -rf "$TO_FULL"
rv restore "$BENIGN" --to "$TO_FULL" </dev/null
expect_rc 0 "restore the benign revision under --to"
same_as benign "$TO_FULL$S" "benign under --to"

# ---- hostile revisions, four ways ----

# way_setup WAY: the area as WAY needs it.
way_setup() {
	fill_source
	fill_outside
	rm -rf "$T_TMP/to-new" "${ESCAPES[@]}"
	case $1 in
	inplace-absent) rm -rf "$S" ;;
	to-full)
		rm -rf "$TO_FULL"
		rv restore "$BENIGN" --to "$TO_FULL" </dev/null
		expect_rc 0 "restore the benign revision to populate $TO_FULL"
		;;
	esac
	snap "$W/before"
}

# way_args WAY: the restore's arguments.
way_args() {
	case $1 in
	inplace | inplace-absent) ARGS=(--yes) ;;
	to-full) ARGS=(--to "$TO_FULL") ;;
	to-new) ARGS=(--to "$TO_NEW") ;;
	esac
}

for way in inplace inplace-absent to-full to-new; do
	way_setup "$way"
	way_args "$way"
	for c in "${CASES[@]}"; do
		case ${KIND[$c]} in hostile | damaged) ;; *) continue ;; esac
		what="$c ($way)"
		rv restore "${REVOF[$c]}" "${ARGS[@]}" </dev/null
		expect_rc 5 "$what: restore"
		expect_one_line "$what: restore"
		expect_err "${PAT[$c]}" "$what: the line names the entry"
		if [ "$way" = to-new ] && [ -e "$T_TMP/to-new" ]; then
			fail "$what: the new --to DIR was left behind: $(find "$T_TMP/to-new" | head -5)"
		fi
		unchanged "$what" "$W/before" || way_setup "$way"
		if [ "$way" = inplace ]; then
			rv verify "${REVOF[$c]}" </dev/null
			expect_rc 5 "$c: verify"
			expect_one_line "$c: verify"
			unchanged "$c: verify" "$W/before" || way_setup "$way"
		fi
	done
done

# ---- legal but unusual revisions, four ways ----

fill_source
fill_outside
rm -rf "$T_TMP/to-new"
for c in "${CASES[@]}"; do
	case ${KIND[$c]} in
	legal) ;;
	legal-root)
		if ! $ROOT; then
			skip_part "$c needs root"
			continue
		fi
		;;
	*) continue ;;
	esac
	rv verify "${REVOF[$c]}" </dev/null
	expect_rc 0 "$c: verify"
	for way in to-new to-full inplace inplace-absent; do
		what="$c ($way)"
		# What the restore may change: the target, and for a new or
		# swapped target the directory it lies in.
		case $way in
		to-new)
			rm -rf "$T_TMP/to-new"
			dest=$TO_NEW$S
			x=(. to-new)
			ARGS=(--to "$TO_NEW")
			;;
		to-full)
			dest=$TO_FULL$S
			x=(to-full)
			ARGS=(--to "$TO_FULL")
			;;
		inplace | inplace-absent)
			[ "$way" = inplace ] || rm -rf "$S"
			dest=$S
			x=(. S)
			ARGS=(--yes)
			;;
		esac
		snap "$W/before" "${x[@]}"
		rv restore "${REVOF[$c]}" "${ARGS[@]}" </dev/null
		expect_rc 0 "$what: restore"
		same_as "$c" "$dest" "$what"
		unchanged "$what: outside the target" "$W/before" "${x[@]}" || true
	done
	rm -rf "$T_TMP/to-new"
	chmod -R u+rwx "$S" "$TO_FULL" 2>/dev/null || true
done

# ---- a revision naming a source this machine does not back up ----

OTHER=${REVOF[other-source]:-none}
fill_source
fill_outside
rm -rf "$T_TMP/to-new" "$T_TMP/to-v"
rv verify "$OTHER" </dev/null
expect_rc 0 "two-source revision: verify"
snap "$W/before" . S
rv restore "$OTHER" --yes </dev/null
expect_rc 0 "two-source revision in place"
same_as other-source "$S" "two-source revision in place: the configured source"
unchanged "two-source revision in place: $V and everything else" "$W/before" . S || true
expect_err "$(re "$V")" "two-source revision in place: stderr names $V"
expect_err "[Ss]kip|not restored" "two-source revision in place: stderr says $V was skipped"

fill_source
snap "$W/before" . S V
rv restore "$OTHER" --all-sources --yes </dev/null
expect_rc 0 "two-source revision, --all-sources"
same_as other-source "$S" "two-source revision, --all-sources: $S"
same_as other-source "$V" "two-source revision, --all-sources: $V" "$V"
unchanged "two-source revision, --all-sources: outside the two" "$W/before" . S V || true

fill_source
fill_outside
snap "$W/before" . to-v
rv restore "$OTHER" --to "$T_TMP/to-v" </dev/null
expect_rc 0 "two-source revision under --to"
same_as other-source "$T_TMP/to-v$S" "two-source revision under --to: $S"
same_as other-source "$T_TMP/to-v$V" "two-source revision under --to: $V" "$V"
unchanged "two-source revision under --to: outside DIR" "$W/before" . to-v || true
rm -rf "$T_TMP/to-v"

# ---- what --to accepts ----

# to_refused WHAT DIR: exit 2, one line, nothing changed.
to_refused() {
	snap "$W/before"
	rv restore "$BENIGN" --to "$2" </dev/null
	expect_rc 2 "$1"
	expect_one_line "$1"
	unchanged "$1" "$W/before" || true
}

mkdir -p "$T_TMP/linked"
printf 'behind a symlink\n' >"$T_TMP/linked/f"
ln -s "$T_TMP/linked" "$T_TMP/to-link"
to_refused "--to DIR that is a symlink" "$T_TMP/to-link"
rm -rf "$T_TMP/to-link" "$T_TMP/linked"

if $ROOT; then
	mkdir "$T_TMP/to-nobody"
	chown nobody "$T_TMP/to-nobody"
	to_refused "--to DIR owned by another user" "$T_TMP/to-nobody"
	rm -rf "$T_TMP/to-nobody"
else
	skip_part "--to DIR owned by another user needs root"
fi

for m in 1777 0777; do
	mkdir "$T_TMP/to-$m"
	chmod "$m" "$T_TMP/to-$m"
	to_refused "--to DIR of mode $m" "$T_TMP/to-$m"
	rm -rf "$T_TMP/to-$m"
done

# mode_is PATH MODE WHAT
mode_is() {
	local m
	m=$(stat -c %a "$1" 2>/dev/null) || m=missing
	[ "$m" = "$2" ] && pass || fail "$3: $1 has mode $m, expected $2"
}

rv restore "$BENIGN" --to "$T_TMP/to-single" </dev/null
expect_rc 0 "--to a missing DIR"
mode_is "$T_TMP/to-single" 700 "--to a missing DIR"
same_as benign "$T_TMP/to-single$S" "--to a missing DIR"
rm -rf "$T_TMP/to-single"

rv restore "$BENIGN" --to "$T_TMP/np/a/b" </dev/null
expect_rc 0 "--to a DIR whose parents are missing"
for p in np np/a np/a/b; do
	mode_is "$T_TMP/$p" 700 "--to a DIR whose parents are missing"
done
same_as benign "$T_TMP/np/a/b$S" "--to a DIR whose parents are missing"
rm -rf "$T_TMP/np"

# ---- nothing escaped the test area ----

for p in "${ESCAPES[@]}"; do
	if [ -e "$p" ] || [ -L "$p" ]; then
		fail "an entry climbed out of the test area: $p exists"
		rm -f "$p"
	else
		pass
	fi
done
# No hard link to /etc/passwd in the area (other tests may add accounts
# meanwhile, so its checksum would prove nothing).
if [ -n "$(find "$T_TMP" -xdev -samefile /etc/passwd 2>/dev/null | head -1)" ]; then
	fail "/etc/passwd was linked into the test area"
else
	pass
fi
# A manifest naming "/" must not have left a stage or old tree there.
if compgen -G "/.revault-stage-*" >/dev/null || compgen -G "/.revault-old-*" >/dev/null; then
	fail "staging left in /: $({ compgen -G "/.revault-stage-*"; compgen -G "/.revault-old-*"; } | head -3)"
else
	pass
fi

t_done
