#!/usr/bin/env bash
# What is in a revision, and getting part of it back (docs/OPERATOR.md,
# "Getting one file back"): `ls` lists every entry once, names escaped so a
# newline cannot forge a line, `--long` as tar -tv; a tampered revision
# under `ls` exits 5 and says the lines already printed are not to be
# trusted. `restore --path` in place replaces exactly the named paths (a
# file made after the backup beside them stays), a folder comes back under
# --to alone, a path not in the revision is exit 2 naming it with nothing
# changed, and a hostile entry anywhere in the revision refuses it whole
# even when the path asked for is innocent.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
. "$REVAULT_SOURCE_DIR/tests/lib/server.sh"
set -e
need_cmd python3 python3
need_cmd zstd zstd
umask 022
export TZ=UTC

srv_start sshd "$T_TMP/sshd"
url="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"
S=$T_TMP/S
mkdir -p "$S/app/sub" "$S/other"
printf 'v1\n' >"$S/app/app.conf"
printf 'inner\n' >"$S/app/sub/inner"
printf 'o1\n' >"$S/other/file"
ln -s app/app.conf "$S/link"
ln "$S/other/file" "$S/other/hard"
# Names that would forge lines or drive a terminal if printed raw.
printf 'x\n' >"$S/other/evil
forged"
printf 'x\n' >"$S/other/back\\slash"
printf 'x\n' >"$S/other/$(printf '\033')[31mred"
# A right-to-left override: shown raw, "evil<RLO>fdp.exe" reads "evilexe.pdf".
printf 'x\n' >"$S/other/evil$(printf '\342\200\256')fdp.exe"
# Past the first 512 KiB that the download hands on at once, so that a
# tampered end fails after lines were printed.
random_file "$S/other/blob" 2000000
touch -d '2026-01-02 03:04:05' "$S/app/app.conf"

rv_setup "$T_TMP/cfg" "$url" "$SSHD_USER" "$SSHD_KEY" pathdev "$S"
rv_new_key
rv_trust
rv_ok "protected on" set security.protected on
rv_ok "enforced on" set security.enforced on
app_before=$(tree_describe "$S/app")
rv backup
expect_rc 0 "backup"
rev=$(rv_revisions | head -1)
revfile=$SSHD_ROOT/pathdev/$rev.revault
[ -f "$revfile" ] || { fail "no revision file $revfile"; t_done; exit 1; }

# ---- 1. ls ----
rv ls "$rev"
expect_rc 0 "ls"
want=$(find "$S" -printf . | wc -c)
[ "$(wc -l <<<"$OUT")" = "$want" ] && pass || fail "ls printed $(wc -l <<<"$OUT") lines for $want entries: $OUT"
grep -qFx "$S/app/app.conf" <<<"$OUT" && pass || fail "ls lacks $S/app/app.conf: $OUT"
grep -qFx "$S" <<<"$OUT" && pass || fail "ls lacks the source itself: $OUT"
grep -qFx "$S/other/evil\\nforged" <<<"$OUT" && pass || fail "the newline in a name is not escaped: $OUT"
grep -qFx "forged" <<<"$OUT" && fail "a name with a newline forged a line: $OUT" || pass
grep -qFx "$S/other/back\\\\slash" <<<"$OUT" && pass || fail "a backslash is not doubled: $OUT"
grep -qFx "$S/other/\\033[31mred" <<<"$OUT" && pass || fail "an escape byte is not written \\033: $OUT"
grep -q $'\033' <<<"$OUT" && fail "ls wrote a raw escape byte" || pass
grep -qFx "$S/other/evil\\342\\200\\256fdp.exe" <<<"$OUT" && pass || fail "a right-to-left override is not escaped: $OUT"
grep -q 'revault-manifest' <<<"$OUT" && fail "ls shows the manifest: $OUT" || pass

rv ls latest --long
expect_rc 0 "ls --long"
expect_out "^-rw-r--r-- [^ ]+/[^ ]+ +3 2026-01-02 03:04 $(re "$S/app/app.conf")\$" "ls --long: mode, owner, size, date, name"
expect_out "^drwxr-xr-x [^ ]+/[^ ]+ +0 [0-9-]+ [0-9:]+ $(re "$S/app")\$" "ls --long: a folder"
expect_out "^lrwxrwxrwx .* $(re "$S/link") -> app/app\.conf\$" "ls --long: a symlink and its target"
expect_out "^h.* $(re "$S/other/")(file|hard) link to $(re "$S/other/")(file|hard)\$" "ls --long: a hard link"

rv ls "$rev" "$S/app/"
expect_rc 0 "ls PATH"
[ "$(sort <<<"$OUT")" = "$(printf '%s\n' "$S/app" "$S/app/app.conf" "$S/app/sub" "$S/app/sub/inner" | sort)" ] && pass ||
	fail "ls PATH lists more or less than the folder: $OUT"
rv ls "$rev" "$S/app/nothere"
expect_rc 2 "ls of a path not in the revision"
expect_err "$(re "$S/app/nothere") is not in this revision" "ls names the missing path"
rv ls "$rev" app/app.conf
expect_rc 2 "ls of a relative path"
expect_one_line "ls of a relative path"
# A listing that cannot be written (a full disk) fails, with one line.
for args in "--long" ""; do
	set +e
	timeout -k 5 "$T_RUN_TIMEOUT" "$REVAULT" ls latest $args >/dev/full 2>"$T_TMP/full.err"
	RC=$?
	set -e
	ERR=$(cat "$T_TMP/full.err")
	expect_rc 1 "ls $args to a full disk"
	expect_one_line "ls $args to a full disk"
	expect_err 'cannot write the listing: No space left on device' "ls $args names the write error"
done

# ---- 2. one file in place, beside a file made after the backup ----
printf 'v2\n' >"$S/app/app.conf"
printf 'newer\n' >"$S/app/newer.conf"
printf 'o2\n' >"$S/other/file"
rv restore "$rev" --path "$S/app/app.conf"
expect_rc 1 "restore --path without a terminal to confirm"
expect_err "^  $(re "$S/app/app.conf")\$" "the confirmation lists the path"
grep -qx "  $S" <<<"$ERR" && fail "the confirmation lists the whole source: $ERR" || pass
[ "$(cat "$S/app/app.conf")" = v2 ] && pass || fail "an unconfirmed restore changed app.conf"
rv restore "$rev" --path "$S/app/app.conf" --yes
expect_rc 0 "restore --path of one file in place"
[ "$(cat "$S/app/app.conf")" = v1 ] && pass || fail "app.conf is not back: $(cat "$S/app/app.conf")"
[ "$(stat -c %Y "$S/app/app.conf")" = "$(date -d '2026-01-02 03:04:05' +%s)" ] && pass || fail "app.conf lost its time"
[ "$(cat "$S/app/newer.conf" 2>/dev/null)" = newer ] && pass || fail "the file made after the backup is gone"
[ "$(cat "$S/other/file")" = o2 ] && pass || fail "a path not asked for was restored"
left=$(find "$T_TMP" -name '.revault-stage-*' -o -name '.revault-old-*')
[ -z "$left" ] && pass || fail "left behind: $left"

# A file whose folder is gone since: the folder is made again around it.
rm -rf "$S/app/sub"
rv restore "$rev" --path "$S/app/sub/inner" --yes
expect_rc 0 "restore --path of a file whose folder is gone"
[ "$(cat "$S/app/sub/inner" 2>/dev/null)" = inner ] && pass || fail "the file in a removed folder is not back"
[ "$(cat "$S/app/newer.conf" 2>/dev/null)" = newer ] && pass || fail "restoring into a removed folder lost a newer file"

# ---- 3. a folder under --to ----
# A path inside another one given comes with it.
rv restore "$rev" --path "$S/app/" --path "$S/app/sub" --to "$T_TMP/out"
expect_rc 0 "restore --path FOLDER --to"
expect_out "^restored 1 path of $rev under $(re "$T_TMP/out")\$" "the summary counts the folder once"
rm -f "$S/app/newer.conf"
[ "$(tree_describe "$T_TMP/out$S/app")" = "$app_before" ] && pass || fail "the folder differs under --to:
$(diff <(echo "$app_before") <(tree_describe "$T_TMP/out$S/app"))"
[ "$(ls -A "$T_TMP/out$S")" = app ] && pass || fail "more than the folder under --to: $(ls -A "$T_TMP/out$S")"

# ---- 4. a path not in the revision ----
printf 'v3\n' >"$S/app/app.conf"
sum=$(tree_sum "$S")
rv restore "$rev" --path "$S/app/app.conf" --path "$S/app/nothere.conf" --yes
expect_rc 2 "restore --path of a path not in the revision"
expect_one_line "a path not in the revision"
expect_err "$(re "$S/app/nothere.conf") is not in this revision" "the missing path is named"
[ "$(tree_sum "$S")" = "$sum" ] && pass || fail "a restore with a missing path changed the source"
# Several missing: every one named, in the sources and outside them.
rv restore "$rev" --path "$S/app/app.conf" --path "$S/app/gone1" --path "$S/other/gone2" --yes
expect_rc 2 "restore --path of two paths not in the revision"
expect_one_line "two paths not in the revision"
expect_err "$(re "$S/app/gone1"), $(re "$S/other/gone2") are not in this revision" "both missing paths are named"
rv restore "$rev" --path "$T_TMP/out1" --path "$S/app/app.conf" --path "$T_TMP/out2" --yes
expect_rc 2 "restore --path of two paths outside the sources"
expect_err "$(re "$T_TMP/out1"), $(re "$T_TMP/out2") are not in this revision" "both paths outside are named"
[ "$(tree_sum "$S")" = "$sum" ] && pass || fail "a restore with missing paths changed the source"
# Named in the error as ls prints it.
rv restore "$rev" --path "$S/app/back\\slash$(printf '\033')x" --yes
expect_rc 2 "restore --path of a missing path with odd bytes"
grep -qF "$S/app/back\\\\slash\\033x is not in this revision" <<<"$ERR" && pass ||
	fail "the missing path is not escaped as ls escapes it: $ERR"
rv restore "$rev" --path "$T_TMP/elsewhere" --to "$T_TMP/out2"
expect_rc 2 "restore --path outside the revision's sources"
expect_err "$(re "$T_TMP/elsewhere") is not in this revision" "the path outside is named"
[ ! -e "$T_TMP/out2" ] && pass || fail "--to DIR was made for a path not in the revision"

# A second name of a file, asked for alone: its data is stored under the
# first name, so the restore says which path to add, and changes nothing.
rv ls "$rev" "$S/other" --long
second=$(sed -nE 's/^h.* ([^ ]+) link to [^ ]+$/\1/p' <<<"$OUT")
first=$(sed -nE 's/^h.* link to ([^ ]+)$/\1/p' <<<"$OUT")
[ -n "$second" ] && [ -n "$first" ] && pass || fail "no hard link in ls --long: $OUT"
rv restore "$rev" --path "$second" --yes
expect_rc 2 "restore --path of a hard link's second name alone"
expect_one_line "a hard link's second name alone"
expect_err "add --path $(re "$first")" "the line names the path to add"
[ "$(tree_sum "$S")" = "$sum" ] && pass || fail "a refused hard-link restore changed the source"
printf 'o3\n' >"$S/other/file"
rv restore "$rev" --path "$second" --path "$first" --yes
expect_rc 0 "restore --path of both names"
[ "$(cat "$S/other/file")" = o1 ] && [ "$(stat -c %i "$S/other/file")" = "$(stat -c %i "$S/other/hard")" ] && pass ||
	fail "both names did not come back as one file"
sum=$(tree_sum "$S")

# ---- 5. a tampered revision under ls ----
cp "$revfile" "$T_TMP/pristine"
python3 - "$revfile" <<'EOF'
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
d[-20] ^= 1
open(p, "wb").write(d)
EOF
rv ls "$rev"
expect_rc 5 "ls of a tampered revision"
expect_one_line "ls of a tampered revision"
expect_err "did not verify: do not rely on them" "ls says the lines printed are unverified"
[ -n "$OUT" ] && pass || fail "nothing was printed before the tampered chunk (the test needs lines first)"
rv restore "$rev" --path "$S/app/app.conf" --yes
expect_rc 5 "restore --path of a tampered revision"
[ "$(tree_sum "$S")" = "$sum" ] && pass || fail "a tampered restore --path changed the source"
cp "$T_TMP/pristine" "$revfile"

# ---- 6. a hostile entry elsewhere in a correctly signed revision ----
if [ -n "${RV_SEAL:-}" ] && [ -x "$RV_SEAL" ]; then
	O=$T_TMP/O
	mkdir -p "$O"
	printf 'untouched\n' >"$O/secret"
	python3 "$REVAULT_SOURCE_DIR/tests/lib/hostile_tar.py" gen symlink-through "$T_TMP/h.tar.zst" --source "$S" --outside "$O"
	"$RV_SEAL" "$T_TMP/cfg/master.key" pathdev 20200101T000000Z <"$T_TMP/h.tar.zst" >"$SSHD_ROOT/pathdev/20200101T000000Z.revault"
	for p in "$S/a.conf" "$S/x"; do
		rv restore 20200101T000000Z --path "$p" --yes
		expect_rc 5 "hostile revision, --path $p"
		expect_err 'x/secret' "the refusal names the hostile entry"
		[ "$(cat "$O/secret")" = untouched ] && pass || fail "--path $p wrote outside the source"
		[ "$(tree_sum "$S")" = "$sum" ] && pass || fail "--path $p of a hostile revision changed the source"
	done
else
	skip_part "RV_SEAL does not name the rv_seal tool (run through ctest)"
fi

# ---- 7. the console: show backup revision, restore REV path ----
printf 'show backup revision %s %s\nrestore %s path %s\n' "$rev" "$S/app" "$rev" "$S/app/app.conf" >"$T_TMP/script"
run "$REVAULT" console <"$T_TMP/script"
expect_rc 1 "console script: the restore needs a terminal to confirm"
expect_out "^-rw-r--r-- .* $(re "$S/app/app.conf")\$" "show backup revision lists the folder"
grep -q "$S/other" <<<"$OUT" && fail "show backup revision PATH lists outside PATH: $OUT" || pass
expect_err "^  $(re "$S/app/app.conf")\$" "the console's restore path lists the path"
expect_err 'console: 1 command failed, the first on line 2' "only the restore failed"
[ "$(cat "$S/app/app.conf")" = v3 ] && pass || fail "an unconfirmed console restore changed app.conf"
# A path not in the revision: the console names its own command to look.
printf 'restore %s path %s\n' "$rev" "$S/app/nothere" >"$T_TMP/script"
run "$REVAULT" console <"$T_TMP/script"
expect_rc 2 "console: restore of a path not in the revision"
expect_out "^% $(re "$S/app/nothere") is not in this revision: \`show backup revision REV $(re "$S")\` lists" \
	"the console names show backup revision"
grep -q 'revault ls' <<<"$OUT" && fail "the console names the command line's ls: $OUT" || pass
printf 'show backup revision %s relative/path\n' "$rev" >"$T_TMP/script"
run "$REVAULT" console <"$T_TMP/script"
expect_rc 2 "console: a relative path"
expect_out 'not a path inside the revision' "console: a relative path is refused at its word"

if want_cmd tmux tmux; then
	sock=$T_TMP/tmux.sock
	tm() { tmux -S "$sock" "$@"; }
	t_on_exit "tmux -S '$sock' kill-server 2>/dev/null"
	tm new-session -d -s keep "sleep 100000"
	last_line() { tm capture-pane -p -t rv | grep -v '^$' | tail -n 1; }
	expect_last() {
		local i
		for ((i = 0; i < 600; i++)); do
			last_line | grep -qE -- "$1" && { pass; return; }
			sleep 0.05
		done
		fail "$2: last line is \"$(last_line)\", not /$1/"
	}
	printf 'newer\n' >"$S/app/newer.conf"
	tm new-session -d -s rv -x 80 -y 24 "env TERM=xterm LANG=C REVAULT_CONFIG='$REVAULT_CONFIG' '$REVAULT' console; echo console-exited-\$?; sleep 60"
	expect_last '^revault# ?$' "console prompt"
	tm send-keys -t rv -l "restore $rev path $S/app/app.conf"
	tm send-keys -t rv Enter
	expect_last 'Replace them\? \(y or yes: Yes; n, no or Enter: No\)' "the console's restore path asks"
	tm send-keys -t rv -l yes
	tm send-keys -t rv Enter
	expect_last '^revault# ?$' "the console's restore path ran"
	tm send-keys -t rv -l exit
	tm send-keys -t rv Enter
	expect_last 'console-exited-0' "console exit"
	[ "$(cat "$S/app/app.conf")" = v1 ] && pass || fail "the console's restore path did not bring app.conf back"
	[ "$(cat "$S/app/newer.conf")" = newer ] && pass || fail "the console's restore path removed a newer file"
fi

t_done
