#!/usr/bin/env bash
# The Debian package installed and removed: dpkg -i, the program run from
# its installed path (--version, show), the shipped units checked by
# systemd-analyze verify and found equal to what `revault schedule` writes
# (one set of templates), the settings folder 0700, the man page and the
# docs, a schedule set with the installed program, then dpkg -r (whose
# prerm removes that schedule's timer) and dpkg --purge, leaving nothing
# behind.
#
# On a machine with no trace of revault the package goes onto the machine
# itself. Where revault is already in use (/etc/revault, /var/lib/revault:
# an operator's master key, or other tests running as root) a test must
# not take those folders over, so the package goes instead into a private
# dpkg root (dpkg --root) whose database holds the packages it depends on
# as this machine has them: the same dpkg, the same checks, the same
# files, beneath that root.
# Usage: tests/package/install.sh DEB   (scripts/test runs it after scripts/package)
REVAULT=${REVAULT:-/usr/bin/revault}
REVAULT_SOURCE_DIR=${REVAULT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export REVAULT REVAULT_SOURCE_DIR
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
set -e
deb=$(realpath "${1:?usage: tests/package/install.sh DEB}")
[ "$(id -u)" = 0 ] || skip "installing a package needs root"
need_cmd dpkg dpkg
need_cmd systemd-analyze systemd

# The package's own paths (its directories that other packages share left out).
pkg_paths() {
	dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' |
		grep -vxE '/|/etc|/lib|/lib/systemd|/lib/systemd/system|/usr|/usr/bin|/usr/share|/usr/share/doc|/usr/share/man|/usr/share/man/man1|/usr/share/lintian|/usr/share/lintian/overrides'
}
# What of revault there is beneath R: anything named so in the trees a
# package touches, and the package's paths.
footprint() {
	local d
	for d in /etc /usr /lib /var/lib; do
		[ -d "$R$d" ] || continue
		find "$R$d" -xdev \( -path "$R/var/lib/dpkg" -o -path "$R/var/lib/apt" \) -prune -o -iname '*revault*' -print
	done 2>/dev/null | LC_ALL=C sort
	pkg_paths | while read -r p; do if [ -e "$R$p" ] || [ -L "$R$p" ]; then echo "present: $p"; fi; done
}

R=
before=$(footprint)
if [ -n "$before" ] || dpkg-query -W -f='${Status}' revault 2>/dev/null | grep -q 'ok installed'; then
	echo "note: revault is in use on this machine ($(head -1 <<<"$before")): the package goes into a private dpkg root" >&2
	R=$T_TMP/root
	mkdir -p "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/triggers"
	touch "$R/var/lib/dpkg/available"
	# The packages revault depends on, as installed here.
	for p in $(dpkg-deb -f "$deb" Depends | tr ',|' '\n\n' | sed -E 's/\(.*//; s/ //g' | sort -u); do
		dpkg-query -s "$p" >>"$R/var/lib/dpkg/status" && echo >>"$R/var/lib/dpkg/status"
		touch "$R/var/lib/dpkg/info/$(dpkg-query -W -f='${binary:Package}' "$p").list"
	done
	before=$(footprint)
fi
# Beneath a private root the maintainer scripts run outside it (it has no
# shell), told the root in DPKG_ROOT.
DPKG=(dpkg ${R:+--root="$R" --force-script-chrootless})

run "${DPKG[@]}" -i "$deb"; expect_rc 0 "dpkg -i"
t_on_exit "$(printf '%q ' "${DPKG[@]}") --purge revault >/dev/null 2>&1"
bin=$R/usr/bin/revault
[ -x "$bin" ] && pass || fail "no /usr/bin/revault"
run "$bin" --version; expect_rc 0 "--version"; expect_out "^revault [0-9]" "--version"
settings=/etc/revault/revault.yaml
# Beneath a private root the program is pointed at the root's settings;
# on the machine it finds root's own.
run env -u REVAULT_CONFIG "$bin" ${R:+-c "$R$settings"} show; expect_rc 0 "show from the installed path"
expect_out "^settings +$R$settings\$" "root's settings"; expect_out '^backup.schedule +off$' "no schedule"
[ ! -e "$R$settings" ] && pass || fail "show wrote the settings"
[ "$(stat -c %a "$R/etc/revault")" = 700 ] && pass || fail "/etc/revault mode $(stat -c %a "$R/etc/revault")"
[ "$(stat -c %U "$R/etc/revault")" = root ] && pass || fail "/etc/revault owner"
MANPATH=$R/usr/share/man man -w revault >/dev/null 2>&1 && pass || fail "man revault finds no page"
for f in README.md OPERATOR.md copyright changelog.gz; do
	[ -f "$R/usr/share/doc/revault/$f" ] && pass || fail "no /usr/share/doc/revault/$f"
done
units=$R/lib/systemd/system
if [ -z "$R" ]; then
	run systemd-analyze verify "$units/revault-backup.service" "$units/revault-backup.timer"
else
	# verify looks for ExecStart's program and the man page on the machine.
	mkdir "$T_TMP/units"
	sed "s|^ExecStart=\"/usr/bin/revault\"|ExecStart=\"$bin\"|" "$units/revault-backup.service" >"$T_TMP/units/revault-backup.service"
	cp "$units/revault-backup.timer" "$T_TMP/units/"
	run env MANPATH="$R/usr/share/man" systemd-analyze verify "$T_TMP/units/revault-backup.service" \
		"$T_TMP/units/revault-backup.timer"
fi
[ "$RC" = 0 ] && [ -z "$OUT$ERR" ] && pass || fail "systemd-analyze verify of the shipped units: $OUT $ERR"
# One source: `revault schedule` with the shipped defaults writes the same
# units, but for the first (comment) line.
sroot=$T_TMP/sroot
mkdir -p "$sroot/run/systemd/system"
run env REVAULT_SCHEDULE_ROOT="$sroot" "$bin" -c "$T_TMP/s/revault.yaml" schedule daily 02:00 random 30
expect_rc 0 "schedule from the installed binary"
for u in service timer; do
	want=$(tail -n +2 "$units/revault-backup.$u")
	got=$(tail -n +2 "$sroot/etc/systemd/system/revault-backup.$u" |
		sed -e "s|^ExecStart=\"$bin\" -c \"$T_TMP/s/revault.yaml\"|ExecStart=\"/usr/bin/revault\" -c \"/etc/revault/revault.yaml\"|" \
			-e "s|^ReadWritePaths=\"-$T_TMP/s\"|ReadWritePaths=\"-/etc/revault\"|")
	[ "$want" = "$got" ] && pass || fail "the shipped $u is not what revault schedule writes: $(diff <(echo "$want") <(echo "$got"))"
done

# A schedule set with the installed program goes with the package (prerm):
# no timer or cron entry is left to run a program that is gone.
if [ -n "$R" ]; then
	mkdir -p "$R/run/systemd/system"
	run env REVAULT_SCHEDULE_ROOT="$R" "$bin" -c "$T_TMP/s2/revault.yaml" schedule daily 03:00
	expect_out 'systemd timer revault-backup.timer enabled' "a timer set beneath the root"
	[ -L "$R/etc/systemd/system/timers.target.wants/revault-backup.timer" ] && pass || fail "the timer is not enabled"
else
	run "$bin" -c "$T_TMP/s2/revault.yaml" schedule daily 03:00
fi
expect_rc 0 "a schedule set before dpkg -r"

run "${DPKG[@]}" -r revault; expect_rc 0 "dpkg -r"
left=$(find "$R/etc/systemd/system" "$R/etc/cron.d" -name '*revault*' 2>/dev/null || true)
[ -z "$left" ] && pass || fail "dpkg -r left the schedule behind: $left"
[ ! -e "$bin" ] && pass || fail "/usr/bin/revault left after dpkg -r"
run "${DPKG[@]}" --purge revault; expect_rc 0 "dpkg --purge"
after=$(footprint)
[ "$before" = "$after" ] && pass || fail "left behind: $(diff <(echo "$before") <(echo "$after"))"
run dpkg-query ${R:+--root="$R"} -W revault
[ "$RC" != 0 ] || grep -q '^revault\s*$' <<<"$OUT" && pass || fail "dpkg still knows revault: $OUT"

echo "package: $T_PASSED passed, $T_FAILED failed"
[ "$T_FAILED" = 0 ]
