#!/usr/bin/env bash
# The appliance console end to end: the manual's examples as a script on
# stdin give the right settings with the password sealed and masked (and
# the manual's ssh-rsa pin a warning in the transcript); every
# malformed line gets a caret error and leaves the settings file byte for
# byte as it was; and an interactive session in tmux (prompt, ?, Tab,
# prefixes, the password asked without echo, history without it, a line
# longer than the terminal shown once); against
# a server, show backup of a device with no backup yet says so.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
set -e
cfg=$T_TMP/conf/revault.yaml
fp=a5:3a:12:6d:e9:48:a3:34:be:8f:ee:50:30:e5:e6:c3
mkdir -p "$T_TMP/in"

# console SCRIPT-TEXT: runs the console with the text on stdin.
console() {
	printf '%s\n' "$1" >"$T_TMP/in/script"
	run "$REVAULT" -c "$cfg" console <"$T_TMP/in/script"
}

# ---- the manual's examples, as a script ----
console "config t
backup server url sftp://branch/vmbackups username admin password mainserver
backup revisions 5
security ssh knownhost server.example.com ssh-rsa $fp
backup security protected
backup security key generate
end
show running-config
show security ssh knownhost"
expect_rc 0 "manual script"
expect_out '^revault# config t$' "script echoes the command after its prompt"
expect_out '^revault\(config\)# backup revisions 5$' "config prompt"
expect_out 'password \*{8}' "echo masks the password"
expect_out '^backup server url sftp://branch/vmbackups username admin password \*{8}$' "running-config server line"
expect_out '^backup revisions 5$' "running-config revisions"
expect_out '^backup security protected$' "running-config protected"
expect_out '^no backup security enforced$' "running-config enforced"
expect_out "^security ssh knownhost server.example.com ssh-rsa $fp\$" "running-config knownhost"
expect_out "^server.example.com +ssh-rsa +$fp\$" "show security ssh knownhost"
expect_out 'Master key generated, id [0-9a-f]{16}' "key generate"
# The manual's ssh-rsa pin is taken, with the warning right after it.
if rsa_sha1_only; then
	grep -A1 -F "# security ssh knownhost server.example.com ssh-rsa $fp" <<<"$OUT" |
		grep -qx '% Warning: an ssh-rsa key works only with servers that accept SHA-1:' &&
		pass || fail "no warning after the ssh-rsa pin: $OUT"
	expect_out '^% OpenSSH 8.8 and later refuse the SHA-1 signatures this build$' "the warning names OpenSSH 8.8"
	expect_out '^% \(HostKeyAlgorithms \+ssh-rsa\); Dropbear 2022 and AsyncSSH still$' \
		"the warning names the servers that accept it"
	expect_out '^% OpenSSH:  ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key\.pub$' "the warning: OpenSSH's ed25519"
	expect_out '^% Dropbear: dropbearkey -y -f /etc/dropbear/dropbear_ed25519_host_key$' \
		"the warning: Dropbear's ed25519"
	expect_out '^% ssh-keyscan -t ed25519 HOST \| ssh-keygen -lf -$' "the warning: ssh-keyscan"
	long=$(grep '^%' <<<"$OUT" | awk 'length > 80')
	[ -z "$long" ] && pass || fail "warning lines over 80 columns: $long"
else
	grep -q '^% Warning' <<<"$OUT" && fail "a warning with rsa-sha2 in libssh2: $OUT" || pass
fi
grep -q mainserver <<<"$OUT$ERR" && fail "the password reached the output" || pass

# Values with blanks come out quoted, and the lines read back to the same
# settings.
cfg_main=$cfg
cfg=$T_TMP/blanks/revault.yaml
mkdir -p "$T_TMP/blanks"
console 'config t
backup server username "a b"
backup server url "sftp://host/dir with space"
end
show running-config'
expect_rc 0 "values with blanks"
expect_out '^backup server url "sftp://host/dir with space" username "a b"$' "running-config quotes blanks"
line=$(grep '^backup server url' <<<"$OUT")
cfg=$T_TMP/blanks2/revault.yaml
mkdir -p "$T_TMP/blanks2"
console "config t
$line
end
show running-config"
expect_rc 0 "the quoted line read back"
expect_out '^backup server url "sftp://host/dir with space" username "a b"$' "the quoted line reads back the same"
cfg=$cfg_main

rv() { run "$REVAULT" -c "$cfg" "$@"; }
rv show
expect_rc 0 "show after the script"
expect_out '^server.url +sftp://branch/vmbackups$' "url set"
expect_out '^server.username +admin$' "username set"
expect_out '^server.auth +password$' "auth password"
expect_out '^server.password +\*+ \(sealed\)$' "password sealed"
expect_out '^backup.revisions +5$' "revisions 5"
expect_out '^security.protected +on$' "protected"
expect_out "^known_host +server.example.com:22 ssh-rsa MD5:$fp\$" "known host pinned"
expect_out '^master_key.id +[0-9a-f]{16}$' "master key made"
grep -q 'password: "sealed:v1:' "$cfg" && pass || fail "password not sealed in the YAML"
grep -rqa mainserver "$T_TMP/conf" && fail "the password is in clear beside the settings" || pass
[ "$(stat -c %a "$cfg")" = 600 ] && pass || fail "settings mode $(stat -c %a "$cfg")"
[ "$(stat -c %a "$T_TMP/conf/master.key")" = 600 ] && pass || fail "master.key mode"
key_before=$(sha256sum "$T_TMP/conf/master.key")

# Running the runbook again keeps the master key (older backups need it).
console "configure terminal
backup security key generate"
expect_rc 0 "key generate again"; expect_out 'already exists .*kept' "existing key kept"
[ "$(sha256sum "$T_TMP/conf/master.key")" = "$key_before" ] && pass || fail "master key replaced"

# A password after any abbreviation or letter case of `password` is masked
# in the echo; on a line that does not parse, so is every word after one.
cfg_main=$cfg
cfg=$T_TMP/conf-mask/revault.yaml
console "conf t
backup server p hunter-p
backup server pa hunter-pa
backup server passw hunter-passw
backup server PASSWORD hunter-upper
b ser url sftp://branch/vmbackups u admin P hunter-url
backup server p hunter-err extra
backup server url ftp://bad pa hunter-bad
backup server url sftp://u:hunter-inurl@127.0.0.1/x"
expect_rc 2 "passwords behind abbreviations"
expect_out '^revault\(config\)# backup server p \*{8}$' "p abbreviates password: masked"
expect_out '^revault\(config\)# backup server pa \*{8}$' "pa abbreviates password: masked"
expect_out '^revault\(config\)# backup server passw \*{8}$' "passw abbreviates password: masked"
expect_out '^revault\(config\)# backup server PASSWORD \*{8}$' "PASSWORD: masked"
expect_out '^revault\(config\)# b ser url sftp://branch/vmbackups u admin P \*{8}$' "P after url and user: masked"
expect_out '^revault\(config\)# backup server p \*{8} \*{8}$' "a line that does not parse: masked after p"
expect_out '^revault\(config\)# backup server url ftp://bad pa \*{8}$' "a refused url: masked after pa"
expect_out '^revault\(config\)# backup server url \*{8}$' "a password inside a refused url: masked"
expect_err 'console: 3 commands failed, the first on line 7' "the three bad lines failed"
grep -q hunter <<<"$OUT$ERR" && fail "a password reached the transcript: $(grep hunter <<<"$OUT$ERR")" || pass
rv show
expect_out '^server.password +\*+ \(sealed\)$' "the abbreviated password was stored"
grep -rqa hunter "$T_TMP/conf-mask" && fail "a password is in clear beside the settings" || pass
cfg=$cfg_main

# The other forms: parts alone, no, enforced, other key types, misspelling.
console "conf t
backup server username operator
backup security enforced
no backup security protected
security ssh knownhost [::1]:2222 ssh-ed25519 SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU
security ssh knownhost files.example.com ssh-dsa MD5:$fp
exit
sh sec ssh knowhost"
expect_rc 0 "other forms"
grep -A1 -F '# security ssh knownhost [::1]:2222 ssh-ed25519' <<<"$OUT" | grep -q '^% Warning' &&
	fail "an ed25519 pin was warned about: $OUT" || pass
expect_out '^\[::1\]:2222 +ssh-ed25519 +SHA256:47DEQ' "IPv6 host with port"
expect_out "^files.example.com +ssh-dss +$fp\$" "ssh-dsa is ssh-dss"
rv show
expect_out '^server.username +operator$' "username alone"
expect_out '^server.url +sftp://branch/vmbackups$' "url kept"
expect_out '^security.enforced +on$' "enforced on"
expect_out '^security.protected +off$' "protected off"
console "conf t
no security ssh knownhost files.example.com
backup security protected
no backup security enforced"
expect_rc 0 "no knownhost"
rv show
grep -q files.example.com <<<"$OUT" && fail "known host not removed" || pass
expect_out '^security.enforced +off$' "enforced off again"

# ---- malformed lines: a caret, exit 2, the file untouched ----
before=$(sha256sum "$cfg")
bad() {
	local line=$1 word=$2
	console "configure terminal
$line"
	expect_rc 2 "malformed: $line"
	expect_out "% (Invalid input|Ambiguous command|Incomplete command)" "error line for: $line"
	# the caret sits under the offending word of the echoed line
	local echoed caret
	echoed=$(grep -F "revault(config)# " <<<"$OUT" | tail -n 1)
	caret=$(grep -E '^ *\^$' <<<"$OUT" | head -n 1)
	if [ -z "$caret" ]; then
		fail "no caret for: $line"
	elif [ -n "$word" ]; then
		local col=$(( ${#caret} - 1 )) prefix
		prefix=${echoed:0:$col}
		[ "${echoed:$col:${#word}}" = "$word" ] && pass || fail "caret at column $col, not under \"$word\": $line"
	else
		pass
	fi
	expect_err 'console: 1 command failed, the first on line 2' "summary on stderr for: $line"
	[ "$(sha256sum "$cfg")" = "$before" ] && pass || fail "settings changed by: $line"
}
bad "backup revisons 5" revisons
bad "backup revisions 0" 0
bad "backup revisions abc" abc
bad "backup revisions 1001" 1001
bad "backup server url ftp://branch/vmbackups" ftp://branch/vmbackups
# a URL with a password in it is refused, and echoed masked
bad "backup server url sftp://admin:pw@branch/d" "********"
bad "backup server url sftp://branch/vmbackups username admin password" ""
bad "backup server username admin url sftp://branch/d" url
bad "security ssh knownhost server.example.com ssh-foo $fp" ssh-foo
bad "security ssh knownhost server.example.com ssh-rsa a5:3a:12" a5:3a:12
bad "security ssh knownhost server.example.com ssh-rsa SHA256:short" SHA256:short
bad "security ssh knownhost server.example.com ssh-rsa" ""
# the host is read as `revault knownhost add` reads it (core/url.h)
bad "security ssh knownhost [::1]x ssh-rsa $fp" "[::1]x"
bad "security ssh knownhost h:22:33 ssh-rsa $fp" h:22:33
bad "security ssh knownhost fe80::1%eth0 ssh-rsa $fp" fe80::1%eth0
# an empty value is refused, not taken as "clear it"
bad 'backup server url ""' '""'
bad "backup se url sftp://branch/d" se
bad "frobnicate" frobnicate
bad "restore latest" restore
# an open quote may hide a password: the echo shows "..." in its place
bad "backup server url sftp://branch/d username \"open" "..."
grep -q mainserver <<<"$OUT" && fail "a malformed line leaked the password" || pass

# An exec-mode line in the wrong mode says where it belongs.
console "backup revisions 5"
expect_rc 2 "config command in exec mode"; expect_out 'configure terminal' "hint to configure"
[ "$(sha256sum "$cfg")" = "$before" ] && pass || fail "settings changed in exec mode"

# ? in a script lists what can follow.
console "show ?
conf t
backup security ?"
expect_rc 0 "? in a script"
expect_out '^  running-config ' "? after show"
expect_out '^  enforced ' "? after backup security"

# ---- interactive, in tmux ----
if ! want_cmd tmux tmux; then
	t_done
	exit
fi
sock=$T_TMP/tmux.sock
tm() { tmux -S "$sock" "$@"; }
t_on_exit "tmux -S '$sock' kill-server 2>/dev/null"
# A session for the whole test, as tests/lib/tui.bash keeps: killing the
# one under test must not take the server down while the next one starts
# ("server exited unexpectedly").
tm new-session -d -s keep "sleep 100000"
screen() { tm capture-pane -p -t rv; }
# wait_for REGEX: polls the screen until it matches (5 s). capture-pane
# drops trailing blanks, so a prompt is matched with ' ?$'.
wait_for() {
	local i
	for ((i = 0; i < 100; i++)); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
# type TEXT: typed as is (send-keys would read "end" as the End key).
type() { tm send-keys -t rv -l "$1"; }
key() { tm send-keys -t rv "$@"; }
# expect_last REGEX: the last line written (the prompt waiting for input).
last_line() { screen | grep -v '^$' | tail -n 1; }
expect_last() {
	local i
	for ((i = 0; i < 100; i++)); do
		last_line | grep -qE -- "$1" && { pass; return; }
		sleep 0.05
	done
	fail "$2: last line is \"$(last_line)\", not /$1/"
}
expect_screen() { if wait_for "$1"; then pass; else fail "$2: screen lacks /$1/:"; screen >&2; fi; }

tm new-session -d -s rv -x 80 -y 24 "env TERM=xterm LANG=C '$REVAULT' -c '$cfg' console; echo console-exited-\$?; sleep 60"
expect_last '^revault# ?$' "exec prompt"
type '?'
expect_screen '^  configure +enter configuration mode' "? lists the commands"
type 'conf'; key Tab
expect_last '^revault# configure ?$' "Tab completes configure"
type 't'; key Tab
expect_last '^revault# configure terminal ?$' "Tab completes terminal"
key Enter
expect_last '^revault\(config\)# ?$' "config prompt"
type 'backup se?'
expect_screen '^  security ' "? after a prefix"
expect_last '^revault\(config\)# backup se$' "line kept after ?"
type 'c'; key Tab; key Tab
expect_screen '^  protected ' "Tab on a shared prefix lists the choices"
key C-u; type 'backup revisons 9'; key Enter
expect_screen '^                        \^$' "caret under the word"
expect_screen 'Invalid input detected' "interactive error"
type 'backup revisions 9'; key Enter
type 'backup server url sftp://other/dir username admin password'; key Enter
expect_last 'Server password:' "password asked"
type 'typed-secret'; key Enter
expect_last 'Again, to confirm:' "password confirmed"
type 'typed-secret'; key Enter
expect_last '^revault\(config\)# ?$' "back at the prompt"
type 'backup server password inline-secret'; key Enter
expect_last '^revault\(config\)# ?$' "inline password"
key Up
expect_last '^revault\(config\)# backup server url sftp://other/dir username admin password$' \
	"history skips the line with the password"
key C-u; type 'backup server p typed-err extra'; key Enter
expect_screen 'nothing follows' "a line with an abbreviated password that does not parse"
key Up
expect_last '^revault\(config\)# backup server url sftp://other/dir username admin password$' \
	"history skips a line that does not parse with an abbreviated password"
key C-u; type 'end'; key Enter
expect_last '^revault# ?$' "end"
type 'sh sec ssh kn'; key Enter
expect_screen '^server.example.com +ssh-rsa' "sh sec ssh kn"
type 'exit'; key Enter
expect_screen 'console-exited-0' "exit leaves"
screen | grep -q typed-secret && fail "the prompted password was echoed" || pass
screen | grep 'typed-err' | grep -qv '^revault(config)# backup server p typed-err extra$' &&
	fail "an error line showed the password" || pass
rv show
expect_out '^backup.revisions +9$' "interactive revisions"
expect_out '^server.url +sftp://other/dir$' "interactive url"
grep -rqa -e typed-secret -e inline-secret "$T_TMP/conf" && fail "interactive password in clear" || pass

# A dumb terminal: plain line input, still prompts and ? at the end of a
# line, and Ctrl-C at the prompt drops the line as in the editor.
tm kill-session -t rv
tm new-session -d -s rv -x 80 -y 24 "env TERM=dumb '$REVAULT' -c '$cfg' console; echo console-exited-\$?; sleep 60"
expect_last '^revault# ?$' "dumb terminal prompt"
type 'show ?'; key Enter
expect_screen '^  running-config ' "dumb terminal ?"
# Ctrl-C at the prompt drops the line; the console goes on.
type 'show running'; key C-c
expect_last '^revault# ?$' "dumb terminal: Ctrl-C gives a fresh prompt"
screen | grep -q 'console-exited' && fail "dumb terminal: Ctrl-C ended the console" || pass
type 'exit'; key Enter
expect_screen 'console-exited-0' "dumb terminal exit"
tm kill-session -t rv

# A line longer than the terminal: libedit wraps it and redraws it in
# place, so the scrollback holds it once (the old editor reprinted the
# prompt and line for every key past column 80). Typed a key at a time.
tm new-session -d -s rv -x 80 -y 24 "env TERM=xterm LANG=C '$REVAULT' -c '$cfg' console; echo console-exited-\$?; sleep 60"
expect_last '^revault# ?$' "long line: prompt"
type 'conf t'; key Enter
expect_last '^revault\(config\)# ?$' "long line: config prompt"
long="backup server username $(printf 'u%.0s' {1..177})"
[ ${#long} = 200 ] && pass || fail "the long line is ${#long} characters, not 200"
for ((i = 0; i < ${#long}; i++)); do type "${long:i:1}"; done
# joined: the scrollback, the rows of a wrapped line as one line, trailing
# blanks dropped; wait_joined LINE N: until it holds LINE exactly N times.
joined() { tm capture-pane -p -J -S - -t rv | sed 's/ *$//'; }
wait_joined() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(joined | grep -cxF -- "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
if wait_joined "revault(config)# $long" 1; then pass; else fail "long line: not shown once:"; joined >&2; fi
n=$(joined | grep -o 'revault(config)# backup server' | wc -l)
[ "$n" = 1 ] && pass || fail "long line: $n copies of the prompt and line in the scrollback, not 1"
n=$(tm capture-pane -p -S - -t rv | grep -c '^revault(config)# backup server')
[ "$n" = 1 ] && pass || fail "long line: $n rows of the scrollback start with the prompt and line, not 1"
last_joined() { joined | grep -v '^$' | tail -n 1; }
[ "$(last_joined)" = "revault(config)# $long" ] && pass || fail "long line: the row is \"$(last_joined)\""
key Enter
expect_last '^revault\(config\)# ?$' "long line: Enter runs it"
key Up
if wait_joined "revault(config)# $long" 2; then pass; else fail "long line: Up does not recall it"; joined >&2; fi
[ "$(last_joined)" = "revault(config)# $long" ] && pass || fail "long line: Up recalls \"$(last_joined)\""
key C-u; type 'backup server password recall-secret'; key Enter
expect_last '^revault\(config\)# ?$' "long line: a password line"
key Up
if wait_joined "revault(config)# $long" 2; then pass; else fail "Up after a password line:"; joined >&2; fi
[ "$(last_joined)" = "revault(config)# $long" ] && pass || fail "Up recalls \"$(last_joined)\", not the line before the password"
key Up
if wait_joined "revault(config)# conf t" 1; then pass; else fail "Up past the long line:"; joined >&2; fi
[ "$(last_joined)" = "revault(config)# conf t" ] && pass || fail "the password line is in the history: \"$(last_joined)\""
key Down
if wait_joined "revault(config)# $long" 2; then pass; else fail "Down back to the long line:"; joined >&2; fi
# ? and Tab at the end of the long line, and Ctrl-C drops it.
type ' pas?'
expect_screen '^  password ' "? after the long line"
if wait_joined "revault(config)# $long pas" 1; then pass; else fail "? did not keep the long line"; joined >&2; fi
key Tab
if wait_joined "revault(config)# $long password" 1; then pass; else fail "Tab after the long line"; joined >&2; fi
key C-c
expect_last '^revault\(config\)# ?$' "Ctrl-C drops the line"
# A caret under a word on the third row of a wrapped line: on the row
# below the line, at the word's column (17 + 201 = 218, so 58), not after
# rows of blanks.
type "$long bogus"; key Enter
expect_screen '^% Invalid input detected' "the error after a wrapped line"
below=$(joined | grep -A1 -xF "revault(config)# $long bogus" | tail -n 1)
[ "$below" = "$(printf '%58s^' '')" ] && pass || fail "the row below the wrapped line is \"$below\""
# Home and End as tmux sends them (ESC [ 1 ~, ESC [ 4 ~).
type 'how running-'; key Home; type 's'; key End; type 'config'; key Enter
# (Its last line: the whole configuration no longer fits 24 rows.)
expect_screen '^end$' "Home and End"
type 'end'; key Enter
expect_last '^revault# ?$' "long line: end"
key C-d
expect_screen 'console-exited-0' "Ctrl-D on an empty line leaves"
tm kill-session -t rv
rv show
expect_out "^server.username +${long#backup server username }\$" "the long line was run"
grep -rqa recall-secret "$T_TMP/conf" && fail "the recalled-test password in clear" || pass

# ---- the job commands against a real SFTP server ----
srvdir=$T_TMP/sshd
set +e
"$REVAULT_SOURCE_DIR/tests/servers/sshd.sh" start "$srvdir" 2>"$T_TMP/.srv-err"
rc=$?
set -e
if [ "$rc" != 0 ]; then
	if [ "$rc" = 77 ]; then
		skip_part "the server part: $(cat "$T_TMP/.srv-err")"
	else
		fail "sshd.sh start: $(cat "$T_TMP/.srv-err")"
	fi
	t_done
	exit
fi
t_on_exit "'$REVAULT_SOURCE_DIR/tests/servers/sshd.sh' stop '$srvdir'"
. "$srvdir/env"
cfg=$T_TMP/conf2/revault.yaml
src=$T_TMP/src
mkdir -p "$src/etc"
printf 'listen 8080\n' >"$src/etc/app.conf"
# Public-key login and the sources are not in the appliance's language.
for a in "set server.auth publickey" "set server.identity $SSHD_KEY" "source add $src" "set backup.device dev1"; do
	# shellcheck disable=SC2086
	rv $a; expect_rc 0 "$a"
done
url="sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT"

# A script cannot answer the host key question: refused, as authenticate without --yes.
console "conf t
backup server url $url username $SSHD_USER
backup security key generate
backup server authenticate"
expect_rc 3 "authenticate from a script"
expect_err 'SHA256:' "authenticate shows the fingerprint"
grep -qE 'SHA256: +SHA256:|MD5: +MD5:' <<<"$ERR" && fail "authenticate from a script doubles a label: $ERR" || pass
# Nobody was asked: the question needs a terminal, and the pin is spelt
# in the console's own words.
expect_out '^% .*needs a terminal' "authenticate from a script: needs a terminal"
expect_out "security ssh knownhost 127\.0\.0\.1:$SSHD_PORT ssh-ed25519 FINGERPRINT" \
	"authenticate from a script: the console's pin command"
grep -q 'not accepted' <<<"$OUT$ERR" && fail "authenticate from a script says not accepted" || pass
rv show; grep -q '^known_host' <<<"$OUT" && fail "a script trusted a host key" || pass

# Interactive: the operator compares and types yes.
tm new-session -d -s rv -x 80 -y 24 "env TERM=xterm LANG=C '$REVAULT' -c '$cfg' console; echo console-exited-\$?; sleep 60"
expect_last '^revault# ?$' "server: prompt"
type 'conf t'; key Enter
type 'backup server authenticate'; key Enter
expect_last 'Type yes' "authenticate asks"
type 'yes'; key Enter
expect_last '^revault\(config\)# ?$' "authenticate done"
type 'end'; key Enter
type 'backup'; key Enter
expect_last '^revault# ?$' "backup ran"
type 'show backup'; key Enter
expect_screen '^[0-9]{8}T[0-9]{6}Z +' "show backup lists the revision"
printf 'changed\n' >"$src/etc/app.conf"
type 'restore latest'; key Enter
expect_last 'Replace them\? \(y or yes: Yes; n, no or Enter: No\)' "restore asks before replacing, naming the answers"
type 'Y'; key Enter
expect_last '^revault# ?$' "restore done"
type 'exit'; key Enter
expect_screen 'console-exited-0' "server: exit"
[ "$(cat "$src/etc/app.conf")" = "listen 8080" ] && pass || fail "restore did not bring the file back"
rv show
expect_out "^known_host +127.0.0.1:$SSHD_PORT " "authenticate pinned the key"

# The same from a script: backup and show backup work, an in-place restore is refused.
console "backup
show backup
restore latest"
expect_rc 1 "script with a refused restore"
expect_out '^[0-9]{8}T[0-9]{6}Z +' "show backup from a script"
expect_err 'console: 1 command failed, the first on line 3' "only the restore failed"

# A device with no backup yet: show backup says so and succeeds; a restore
# says there is nothing to restore.
rv set backup.device dev-new; expect_rc 0 "set backup.device dev-new"
console "show backup"
expect_rc 0 "show backup of a device with no backup"
expect_out "^no revisions of dev-new yet in $SSHD_ROOT on 127\.0\.0\.1:$SSHD_PORT: run \`backup\`\$" \
	"show backup says there are none yet, and names the console's command"
grep -q 'revault backup' <<<"$OUT$ERR" && fail "the console names the command line's backup: $OUT" || pass
grep -q '^%' <<<"$OUT" && fail "show backup of a device with no backup printed an error: $OUT" || pass
console "show backup
restore latest"
expect_rc 2 "restore latest with no revisions"
expect_out '^% nothing to restore: no revisions of dev-new yet' "restore says there is nothing to restore"
expect_err 'console: 1 command failed, the first on line 2' "only the restore failed (no revisions)"

# server.retries: a configuration command, shown with the others.
cfg=$T_TMP/conf-retries/revault.yaml
console "config t
backup server retries 5
backup server retries 11
end
show running-config"
expect_out 'server\.retries must be a whole number from 0 to 10, not "11"' "retries 11 refused at its word"
expect_out '^backup server retries 5$' "running-config shows the retries"
awk '/^backup server retries/ {r = NR} /^! set with/ {c = NR} END {exit !(r && c && r < c)}' <<<"$OUT" &&
	pass || fail "the retries line is not among the commands: $OUT"
run "$REVAULT" -c "$cfg" show
expect_out '^server\.retries +5$' "revault show has the console's retries"

t_done
