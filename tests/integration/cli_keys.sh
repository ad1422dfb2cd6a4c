#!/usr/bin/env bash
# The master key and known-host commands end to end: generate without
# overwriting, export and import through a passphrase and on paper (the key
# id survives the trip), refusals of bad key files and bad fingerprints,
# the pinned host list, and the warning an ssh-rsa pin gets.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
set -e
cfg=$T_TMP/a/revault.yaml
cfg2=$T_TMP/b/revault.yaml
rv() { run "$REVAULT" -c "$cfg" "$@"; }
rv2() { run "$REVAULT" -c "$cfg2" "$@"; }

rv key show;              expect_rc 2 "no key yet"; expect_err 'revault key generate' "no key says what to do"; expect_one_line "no key"
rv key generate;          expect_rc 0 "generate"; expect_out 'key id [0-9a-f]{16}' "generate prints the id"
id=$(grep -oE '[0-9a-f]{16}' <<<"$OUT" | head -1)
[ "$(stat -c %a "$T_TMP/a/master.key")" = 600 ] && pass || fail "master.key mode"
[ "$(stat -c %s "$T_TMP/a/master.key")" = 32 ] && pass || fail "master.key size"
rv key show;              expect_rc 0 "key show"; expect_out "$id" "key show has the id"
rv show;                  expect_out "master_key.id +$id" "show has the key id"
keyhex=$(od -An -tx1 "$T_TMP/a/master.key" | tr -d ' \n')
[ ${#keyhex} = 64 ] && pass || fail "could not read the key as hex"
keyb64=$(base64 -w0 "$T_TMP/a/master.key")
grep -qiF -e "${keyhex:0:16}" -e "${keyb64:0:16}" "$cfg" && fail "key bytes in settings" || pass
rv key generate;          expect_rc 2 "no overwrite"; expect_err -- '--force' "no overwrite says --force"; expect_one_line "no overwrite"
rv key show;              expect_out "$id" "key unchanged after refusal"

# Export under a passphrase, import on a second machine.
printf 'a fine passphrase\n' >"$T_TMP/pass"
rv key export "$T_TMP/key.export" --passphrase-fd 3 3<"$T_TMP/pass"; expect_rc 0 "export"
[ "$(stat -c %a "$T_TMP/key.export")" = 600 ] && pass || fail "export mode"
grep -q 'fine passphrase' "$T_TMP/key.export" && fail "passphrase in export" || pass
rv key export "$T_TMP/key.export" --passphrase-fd 3 3<"$T_TMP/pass"; expect_rc 2 "export does not overwrite"
printf 'short\n' >"$T_TMP/short"
rv key export "$T_TMP/other.export" --passphrase-fd 3 3<"$T_TMP/short"; expect_rc 2 "short passphrase"
printf 'not it at all\n' >"$T_TMP/wrong"
rv2 key import "$T_TMP/key.export" --passphrase-fd 3 3<"$T_TMP/wrong"; expect_rc 2 "wrong passphrase"; expect_err 'wrong passphrase' "wrong passphrase named"
[ -e "$T_TMP/b/master.key" ] && fail "key installed after wrong passphrase" || pass
sed 's/^data \(.\)/data X/' "$T_TMP/key.export" >"$T_TMP/corrupt.export"
rv2 key import "$T_TMP/corrupt.export" --passphrase-fd 3 3<"$T_TMP/pass"; expect_rc 5 "corrupt export"; expect_err 'corrupt' "corrupt named"
rv2 key import "$T_TMP/key.export" --passphrase-fd 3 3<"$T_TMP/pass"; expect_rc 0 "import"; expect_out "$id" "import keeps the id"
rv2 key show;             expect_out "$id" "imported key id"
cmp -s "$T_TMP/a/master.key" "$T_TMP/b/master.key" && pass || fail "imported key differs"

# Paper form, with --force keeping the old key.
rv key export --paper;    expect_rc 0 "paper export"
printf '%s\n' "$OUT" >"$T_TMP/paper"
rv2 key generate --force; expect_rc 0 "force generate"
ls "$T_TMP/b/" | grep -q '^master.key.old-' && pass || fail "old key kept"
rv2 key import --paper "$T_TMP/paper"; expect_rc 2 "paper import needs --force"
rv2 key import --paper "$T_TMP/paper" --force; expect_rc 0 "paper import"; expect_out "$id" "paper keeps the id"
sed '3s/\(: \)\(.\)/\1\2\2/' "$T_TMP/paper" | sed '3s/\(.\)\(.\)\(\s*$\)/\1\3/' >"$T_TMP/typo"
if ! cmp -s "$T_TMP/paper" "$T_TMP/typo"; then
	rv2 key import --paper "$T_TMP/typo" --force; expect_rc 2 "paper typo"; expect_err 'line 2' "paper typo names the line"
fi

# Bad key files are refused with how to fix them.
chmod 644 "$T_TMP/a/master.key"
rv key show;              expect_rc 2 "readable key"; expect_err 'chmod 600' "readable key fix"
chmod 600 "$T_TMP/a/master.key"
head -c 10 /dev/urandom >"$T_TMP/b/master.key"
rv2 key show;             expect_rc 2 "short key"; expect_err 'not 32' "short key named"

# Known hosts.
rv knownhost add server.example.com ssh-rsa a5:3a:12:6d:e9:48:a3:34:be:8f:ee:50:30:e5:e6:c3; expect_rc 0 "pin md5"
rv knownhost add '[::1]:2222' ssh-dsa 'MD5:A5:3A:12:6D:E9:48:A3:34:BE:8F:EE:50:30:E5:E6:C3'; expect_rc 0 "pin v6 dsa"
rv knownhost add 10.0.0.1:22 ssh-ed25519 SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8=; expect_rc 0 "pin sha256 padded"
rv knownhost list;        expect_rc 0 "list"
expect_out 'server.example.com +22 +ssh-rsa .*MD5:a5:3a' "list md5"
expect_out '::1 +2222 +ssh-dss' "ssh-dsa stored as ssh-dss"
expect_out 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8$' "sha256 unpadded"
before=$(sha256sum "$cfg")
rv knownhost add host ssh-foo a5:3a:12:6d:e9:48:a3:34:be:8f:ee:50:30:e5:e6:c3; expect_rc 2 "bad type"; expect_err 'ssh-ed25519' "bad type lists types"; expect_one_line "bad type"
rv knownhost add host ssh-rsa a5:3a:12;    expect_rc 2 "short md5"; expect_err 'expected' "short md5 says expected"
rv knownhost add host ssh-rsa SHA256:abc;  expect_rc 2 "short sha256"
rv knownhost add host:0 ssh-rsa a5:3a:12:6d:e9:48:a3:34:be:8f:ee:50:30:e5:e6:c3; expect_rc 2 "port 0"
rv knownhost add host ssh-rsa;             expect_rc 2 "missing fingerprint"
rv knownhost remove nowhere;               expect_rc 2 "remove unknown"
[ "$(sha256sum "$cfg")" = "$before" ] && pass || fail "refusals changed the settings"
rv knownhost remove server.example.com;    expect_rc 0 "remove"
rv knownhost list;        grep -q server.example.com <<<"$OUT" && fail "removed host still listed" || pass

# HOST[:PORT] as OpenSSH reads it (core/url.h): a bare IPv6 address is all
# address and takes port 22; in brackets it may have a port.
ed=SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8
rv knownhost add ::1 ssh-ed25519 "$ed";    expect_rc 0 "pin bare ::1"; expect_out 'for \[::1\]:22$' "bare ::1 is port 22"
rv knownhost add fe80::1 ssh-ed25519 "$ed"; expect_rc 0 "pin bare fe80::1"
rv knownhost add '[::1]:2200' ssh-ed25519 "$ed"; expect_rc 0 "pin [::1]:2200"
rv knownhost list
expect_out '^::1 +22 +ssh-ed25519 ' "list: host ::1 on the default port"
expect_out '^fe80::1 +22 +ssh-ed25519 ' "list: host fe80::1 on the default port"
expect_out '^::1 +2200 +ssh-ed25519 ' "list: host ::1 on port 2200"
grep -qE '^(:|::) +1 ' <<<"$OUT" && fail "::1 read as a host and a port" || pass
before=$(sha256sum "$cfg")
for bad in 'host:' ':22' '[::1' '[::1]x' '[::1]:' '[]' 'h:0' 'h:65536' 'h:22x' 'h:22:33' 'fe80::1%eth0' \
	'admin@h' ''; do
	rv knownhost add "$bad" ssh-ed25519 "$ed"
	expect_rc 2 "refuse \"$bad\""; expect_one_line "refuse \"$bad\""
	expect_err 'expected HOST, HOST:PORT, \[IPv6-ADDRESS\]:PORT' "\"$bad\" gives the expected forms"
done
[ "$(sha256sum "$cfg")" = "$before" ] && pass || fail "refused hosts changed the settings"
rv knownhost remove ::1;  expect_rc 0 "remove bare ::1"; expect_out 'for \[::1\]:22$' "removed port 22 only"
rv knownhost list;        expect_out '^::1 +2200 ' "[::1]:2200 kept"
grep -qE '^::1 +22 ' <<<"$OUT" && fail "::1 port 22 still listed" || pass

# An ssh-rsa pin (the appliance manual's own example) is taken, exit 0,
# with a warning on stderr even when it is a file: libssh2 1.10 signs RSA
# with SHA-1 alone, which OpenSSH 8.8 and later refuse. ed25519 and ecdsa
# pins get none; -q keeps it in syslog.
no_warning() { [ -z "$ERR" ] && pass || fail "$1: stderr not empty: $ERR"; }
rv knownhost add rsa.example.com ssh-rsa "$ed"
expect_rc 0 "pin ssh-rsa"
expect_out '^pinned ssh-rsa key SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8 for rsa.example.com:22$' \
	"ssh-rsa pin said on stdout"
if rsa_sha1_only; then
	expect_err '^revault: warning: an ssh-rsa key works only with servers that accept SHA-1:$' \
		"ssh-rsa pin warns on stderr"
	expect_err 'OpenSSH 8.8 and later refuse the SHA-1 signatures this build' "the warning names OpenSSH 8.8"
	expect_err 'Dropbear 2022 and AsyncSSH still$' "the warning names the servers that accept it"
	expect_err '^  OpenSSH:  ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key\.pub$' "the warning: OpenSSH's ed25519"
	expect_err '^  Dropbear: dropbearkey -y -f /etc/dropbear/dropbear_ed25519_host_key$' \
		"the warning: Dropbear's ed25519"
	expect_err '^  ssh-keyscan -t ed25519 HOST \| ssh-keygen -lf -$' "the warning: ssh-keyscan"
	long=$(awk 'length > 80' <<<"$ERR")
	[ -z "$long" ] && pass || fail "warning lines over 80 columns: $long"
	grep -q 'warning' <<<"$OUT" && fail "the warning went to stdout: $OUT" || pass
else
	no_warning "ssh-rsa pin with rsa-sha2 in libssh2 $REVAULT_LIBSSH2_VERSION"
fi
rv knownhost list;        expect_out '^rsa\.example\.com +22 +ssh-rsa ' "ssh-rsa pin on record"
rv knownhost add ed.example.com ssh-ed25519 "$ed"
expect_rc 0 "pin ssh-ed25519"; no_warning "ssh-ed25519 pin"
rv knownhost add ec.example.com:2222 ecdsa-sha2-nistp256 "$ed"
expect_rc 0 "pin ecdsa"; no_warning "ecdsa pin"
rv -q knownhost add rsa-quiet.example.com ssh-rsa "$ed"
expect_rc 0 "pin ssh-rsa with -q"; no_warning "ssh-rsa pin with -q"
rv knownhost list;        expect_out '^rsa-quiet\.example\.com +22 +ssh-rsa ' "ssh-rsa pin with -q on record"
t_done
