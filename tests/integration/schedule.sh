#!/usr/bin/env bash
# revault schedule end to end, into a temporary root (REVAULT_SCHEDULE_ROOT):
# the cron entry read by a checker of crontab(5)'s system format and run
# through /bin/sh, the systemd units passed through `systemd-analyze
# verify` and their calendar through `systemd-analyze calendar`, the
# switch between the two, off removing only what revault wrote, the
# setting in show, the console's running configuration and configuration
# mode, and every impossible schedule refused with exit 2, changing nothing.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
set -e
need_cmd systemd-analyze systemd
need_cmd systemctl systemd
need_cmd python3 python3

# A settings path that needs quoting both in a unit and in a shell line.
cfg="$T_TMP/con f'ig/revault.yaml"
root=$T_TMP/root
export REVAULT_SCHEDULE_ROOT=$root
mkdir -p "$root/etc/cron.d"
rv() { run "$REVAULT" -c "$cfg" "$@"; }
owner=()
[ "$(id -u)" = 0 ] || owner=(--any-owner)
checkcron() { run python3 "$REVAULT_SOURCE_DIR/tests/lib/cronline.py" "${owner[@]}" "$1"; }
tree() { (cd "$root" && find . -mindepth 1 | LC_ALL=C sort); }

# ---- the checker itself catches what it is there to catch ----
bad=$T_TMP/badcron
mkdir "$bad"
printf '30 2 * * * root /bin/true\n' >"$bad/good"
printf 'root 30 2 * * * /bin/true\n' >"$bad/order"
printf '30 24 * * * root /bin/true\n' >"$bad/hour"
printf '30 2 * * * nosuchuser-rv /bin/true\n' >"$bad/user"
printf '30 2 * * * root date +%%F\n' >"$bad/percent"
chmod 644 "$bad"/*
checkcron "$bad/good"; expect_rc 0 "checker: a good line"
expect_out '^minute=30 hour=2 dom=\* month=\* dow=\* user=root' "checker: fields read"
for f in order hour user percent; do
	checkcron "$bad/$f"; expect_rc 1 "checker refuses $f"
done

# ---- impossible schedules: exit 2, one line, nothing changed ----
for words in "daily 24:00" "daily 12:60" "daily 7:5" "daily noon" "weekly funday 02:00" "weekly sun 25:00" \
	"daily 02:00 random 0" "daily 02:00 random 721" "daily 02:00 random x" "daily" "weekly sun" "hourly 5" \
	"monthly 1 02:00" "daily 02:00 later 5"; do
	# shellcheck disable=SC2086
	rv schedule $words; expect_rc 2 "schedule $words"; expect_one_line "schedule $words"
done
rv schedule daily 24:00; expect_err 'HH:MM, from 00:00 to 23:59' "an impossible time says how to write one"
rv schedule weekly funday 02:00; expect_err 'mon, tue' "an impossible day says which are days"
[ -z "$(tree | grep -vxE './etc|./etc/cron.d')" ] && pass || fail "a refused schedule wrote: $(tree)"
[ ! -e "$cfg" ] && pass || fail "a refused schedule wrote the settings"

rv schedule; expect_rc 0 "schedule alone"
expect_out '^backup.schedule +off$' "off by default"; expect_out '^installed +nothing installed' "nothing installed"

# ---- cron: systemd is not running beneath the root ----
rv schedule daily 02:30; expect_rc 0 "daily into cron"
expect_out 'cron entry /etc/cron.d/revault written: 30 2 \* \* \*' "says cron and the line"
checkcron "$root/etc/cron.d/revault"; expect_rc 0 "cron file syntax"
expect_out '^minute=30 hour=2 dom=\* month=\* dow=\* user=root' "daily 02:30 is minute 30 of hour 2"
cmd=$(cut -f2 <<<"$OUT")
[ "$(stat -c %a "$root/etc/cron.d/revault")" = 644 ] && pass || fail "cron file mode"
# The command, as cron's /bin/sh would run it, names this binary and these
# settings: run it with show in place of backup.
[[ $cmd == *" backup >/dev/null" ]] && pass || fail "cron command: $cmd"
run sh -c "${cmd% backup >/dev/null} show"
expect_rc 0 "the cron command runs"; expect_out '^backup.schedule +daily 02:30$' "the cron command reads these settings"

rv schedule weekly Fri 23:15; expect_rc 0 "weekly into cron"
checkcron "$root/etc/cron.d/revault"; expect_out '^minute=15 hour=23 dom=\* month=\* dow=5 user=root' "weekly fri 23:15"
rv schedule hourly; expect_rc 0 "hourly into cron"
checkcron "$root/etc/cron.d/revault"; expect_out '^minute=0 hour=\* dom=\* month=\* dow=\* user=root' "hourly"
# cron has no random delay: one is picked once, within the bound.
for _ in 1 2 3; do
	rv schedule daily 23:50 random 20; expect_rc 0 "random into cron"
	checkcron "$root/etc/cron.d/revault"
	m=$(sed -E 's/^minute=([0-9]+) hour=([0-9]+).*/\2 \1/' <<<"$OUT" | head -1)
	read -r h mi <<<"$m"
	at=$(( (h * 60 + mi - (23 * 60 + 50) + 1440) % 1440 ))
	[ "$at" -ge 0 ] && [ "$at" -le 20 ] && pass || fail "random delay out of bounds: $OUT"
done
rv show; expect_out '^backup.schedule +daily 23:50 random 20$' "show has the schedule"
rv schedule; expect_out '^installed +cron entry /etc/cron.d/revault' "schedule shows the cron entry"

# A path cron cannot carry is refused before anything changes.
run "$REVAULT" -c "$T_TMP/100%/revault.yaml" schedule hourly
expect_rc 2 "a % in the settings path"; expect_one_line "a % in the settings path"
[ ! -e "$T_TMP/100%/revault.yaml" ] && pass || fail "settings written for a refused path"

# ---- systemd: run/systemd/system exists beneath the root ----
mkdir -p "$root/run/systemd/system"
rv schedule daily 02:30 random 45; expect_rc 0 "daily into systemd"
expect_out 'systemd timer revault-backup.timer enabled: daily 02:30 random 45' "says systemd"
expect_out 'cron entry /etc/cron.d/revault removed' "the cron entry it wrote is gone"
[ ! -e "$root/etc/cron.d/revault" ] && pass || fail "cron entry left behind"
# systemctl's own words ("Created symlink ...") go to syslog, not over the
# terminal (or the text interface's screen).
[ -z "$ERR" ] && pass || fail "systemctl's output reached the terminal: $ERR"
[ "$(printf '%s\n' "$OUT" | grep -c '')" = 1 ] && pass || fail "more than revault's one line on stdout: $OUT"
units=$root/etc/systemd/system
[ -L "$units/timers.target.wants/revault-backup.timer" ] && pass || fail "timer not enabled: $(tree)"
run systemd-analyze verify --man=no "$units/revault-backup.timer" "$units/revault-backup.service"
expect_rc 0 "systemd-analyze verify"
[ -z "$OUT$ERR" ] && pass || fail "systemd-analyze verify said: $OUT $ERR"
# The drop-ins docs/OPERATOR.md gives for hooks under the timer are read
# by systemd without complaint, and outlive the units revault rewrites.
dropins=$units/revault-backup.service.d
mkdir -p "$dropins"
sed -n '/^### Hooks under the timer/,/^## /p' "$REVAULT_SOURCE_DIR/docs/OPERATOR.md" |
	awk -v d="$dropins" '/^```/ { inblock = !inblock; if (!inblock) n++; next } inblock && /^\[Service\]/ { f = d "/doc" n ".conf" }
		inblock && f != "" { print > f } !inblock { f = "" }'
[ "$(ls "$dropins" | wc -l)" = 2 ] && pass || fail "the two drop-ins of docs/OPERATOR.md: $(ls "$dropins")"
run systemd-analyze --root="$root" verify --man=no revault-backup.service
grep -q 'service\.d' <<<"$OUT$ERR" && fail "systemd-analyze on the documented drop-ins: $OUT $ERR" || pass
grep -qx 'Persistent=true' "$units/revault-backup.timer" && pass || fail "Persistent"
grep -qx 'RandomizedDelaySec=45min' "$units/revault-backup.timer" && pass || fail "RandomizedDelaySec"
grep -qx 'IOSchedulingClass=idle' "$units/revault-backup.service" && pass || fail "IOSchedulingClass"
grep -qx 'Nice=10' "$units/revault-backup.service" && pass || fail "Nice"
cal=$(sed -n 's/^OnCalendar=//p' "$units/revault-backup.timer")
run systemd-analyze calendar "$cal"; expect_rc 0 "calendar $cal"
expect_out 'Next elapse: .* 02:30:00' "the timer fires at 02:30"
# ExecStart names this binary and these settings, in systemd's quoting.
exec_line=$(sed -n 's/^ExecStart=//p' "$units/revault-backup.service")
want="\"$REVAULT\" -c \"$T_TMP/con f'ig/revault.yaml\" backup"
[ "$exec_line" = "$want" ] && pass || fail "ExecStart=$exec_line, expected $want"

rv schedule weekly sun 03:00; expect_rc 0 "weekly into systemd"
cal=$(sed -n 's/^OnCalendar=//p' "$units/revault-backup.timer")
run systemd-analyze calendar "$cal"; expect_out 'Next elapse: Sun .* 03:00:00' "weekly sun 03:00"
grep -qx 'RandomizedDelaySec=0min' "$units/revault-backup.timer" && pass || fail "no random delay"
rv schedule hourly; expect_rc 0 "hourly into systemd"
run systemd-analyze verify --man=no "$units/revault-backup.timer" "$units/revault-backup.service"
[ "$RC" = 0 ] && [ -z "$OUT$ERR" ] && pass || fail "verify hourly: $OUT $ERR"
cal=$(sed -n 's/^OnCalendar=//p' "$units/revault-backup.timer")
run systemd-analyze calendar --iterations=2 "$cal"; expect_out ':00:00' "hourly on the hour"

# The console shows it and takes it.
rv console <<<"show running-config"; expect_out '^backup schedule hourly$' "running-config line"
printf 'configure terminal\nbackup schedule daily 04:05\nend\n' >"$T_TMP/script"
run "$REVAULT" -c "$cfg" console <"$T_TMP/script"; expect_rc 0 "console sets the schedule"
grep -qx 'OnCalendar=\*-\*-\* 04:05:00' "$units/revault-backup.timer" && pass || fail "console's schedule not installed"
printf 'configure terminal\nbackup schedule daily 04:65\nend\n' >"$T_TMP/script"
run "$REVAULT" -c "$cfg" console <"$T_TMP/script"; expect_rc 2 "console refuses 04:65"
grep -qx 'OnCalendar=\*-\*-\* 04:05:00' "$units/revault-backup.timer" && pass || fail "a refused line changed the timer"

# systemd gone (a container, say): the next schedule goes to cron, and the
# units revault wrote are disabled and removed.
rm -r "$root/run/systemd"
rv schedule daily 05:00; expect_rc 0 "from systemd to cron"
expect_out 'cron entry /etc/cron.d/revault written: 0 5 ' "cron now"
expect_out 'systemd timer revault-backup.timer disabled and its units removed' "the old units said gone"
[ "$(ls "$dropins" | wc -l)" = 2 ] && pass || fail "the admin's drop-ins were removed with the units: $(tree)"
[ ! -e "$units/revault-backup.timer" ] && [ ! -e "$units/timers.target.wants/revault-backup.timer" ] && pass ||
	fail "units left after the move to cron: $(tree)"
mkdir -p "$root/run/systemd/system"
rv schedule daily 04:05; expect_rc 0 "back to systemd"
[ ! -e "$root/etc/cron.d/revault" ] && pass || fail "cron entry left after the move to systemd"

# ---- off removes what revault wrote, and only that ----
printf '# the admin'"'"'s own\n0 1 * * * root /bin/true\n' >"$root/etc/cron.d/revault"
rv schedule off; expect_rc 0 "off"
expect_out 'disabled and its units removed' "off says what it removed"
expect_out '/etc/cron.d/revault was not written by revault: left alone' "off names a file it left"
[ ! -e "$units/revault-backup.timer" ] && [ ! -e "$units/revault-backup.service" ] && pass || fail "units left"
[ ! -e "$units/timers.target.wants/revault-backup.timer" ] && pass || fail "timer still enabled"
grep -q "admin's own" "$root/etc/cron.d/revault" && pass || fail "off removed a file revault did not write"
rv show; expect_out '^backup.schedule +off$' "off in show"
# Installing over someone else's file is refused, and the setting stays.
rm -r "$root/run/systemd"
rv schedule daily 01:00; expect_rc 1 "a foreign cron file"; expect_one_line "a foreign cron file"
expect_err 'not written by revault' "says whose file"
rv show; expect_out '^backup.schedule +off$' "a failed install keeps the setting"
# A symlink is never followed, even to a file that reads as revault's own.
rm "$root/etc/cron.d/revault"
printf '# `revault schedule off` removes it\n' >"$T_TMP/elsewhere"
ln -s "$T_TMP/elsewhere" "$root/etc/cron.d/revault"
rv schedule daily 01:00; expect_rc 1 "a symlinked cron file"; expect_err 'not written by revault' "a symlink is not revault's"
rv schedule off; expect_rc 0 "off beside a symlink"
[ -L "$root/etc/cron.d/revault" ] && [ "$(cat "$T_TMP/elsewhere")" = '# `revault schedule off` removes it' ] && pass ||
	fail "off removed or followed a symlink"
rm "$root/etc/cron.d/revault"
mkdir -p "$root/run/systemd/system" "$T_TMP/units-elsewhere"
rm -rf "$root/etc/systemd/system"
ln -s "$T_TMP/units-elsewhere" "$root/etc/systemd/system"
rv schedule daily 01:00; expect_rc 1 "a symlinked unit folder"; expect_one_line "a symlinked unit folder"
[ -z "$(ls -A "$T_TMP/units-elsewhere")" ] && pass || fail "units written through a symlinked folder"
rm "$root/etc/systemd/system"
# systemctl fails: its own reason is in revault's one line.
mkdir -p "$root/etc/systemd/system"
: >"$root/etc/systemd/system/timers.target.wants"
rv schedule daily 01:00; expect_rc 1 "systemctl enable fails"; expect_one_line "systemctl enable fails"
expect_err 'systemctl enable revault-backup.timer failed \(exit 1\): Failed to enable unit.*Not a directory' \
	"the error has systemctl's reason"
rm -r "$root/etc/systemd/system"
rm -r "$root/run/systemd"
rmdir "$root/etc/cron.d"
rv schedule daily 01:00; expect_rc 1 "neither systemd nor cron"; expect_err 'get install cron' "says what to install"

# ---- the setting and what is installed part: `revault schedule` says so ----
mkdir -p "$root/etc/cron.d"
rv schedule DAILY 06:40 RANDOM 5; expect_rc 0 "keywords in capitals"
expect_out 'cron entry /etc/cron.d/revault written' "installed from capitals"
rv schedule; expect_rc 0 "schedule alone, in step"
[ -z "$ERR" ] && pass || fail "a warning with the setting and the cron entry in step: $ERR"
mv "$root/etc/cron.d/revault" "$T_TMP/cron.moved"
rv schedule; expect_rc 0 "schedule alone, nothing installed"
expect_err '^revault: warning: backup.schedule is daily 06:40 random 5, but nothing is installed to run it: run `revault schedule daily 06:40 random 5`$' \
	"says the setting is not installed, and the command"
sed 's/revault backup, daily 06:40 random 5\./revault backup, hourly./' "$T_TMP/cron.moved" >"$root/etc/cron.d/revault"
rv schedule; expect_err 'backup.schedule is daily 06:40 random 5, but the installed one is hourly: run `revault schedule daily 06:40 random 5`' \
	"says the installed one differs"
rv schedule OFF; expect_rc 0 "OFF in capitals"
cp "$T_TMP/cron.moved" "$root/etc/cron.d/revault"
rv schedule; expect_err 'backup.schedule is off, but a schedule \(daily 06:40 random 5\) is installed: run `revault schedule off`' \
	"says an installed schedule the setting does not have"
rv schedule off; expect_rc 0 "off removes it"
[ ! -e "$root/etc/cron.d/revault" ] && pass || fail "off left the cron entry"

# ---- many at once: serialised, the setting and the timer end in step ----
mkdir -p "$root/run/systemd/system" "$root/etc/cron.d"
pids=()
for i in 0 1 2 3 4 5 6 7 8 9; do
	"$REVAULT" -c "$cfg" schedule daily "0$i:1$i" >"$T_TMP/par.$i.out" 2>"$T_TMP/par.$i.err" &
	pids+=($!)
done
for i in 0 1 2 3 4 5 6 7 8 9; do
	if wait "${pids[$i]}"; then pass; else fail "parallel schedule $i: $(cat "$T_TMP/par.$i.err")"; fi
done
rv show
set_to=$(sed -n 's/^backup.schedule *daily \([0-9:]*\)$/\1/p' <<<"$OUT")
grep -qx "OnCalendar=\*-\*-\* $set_to:00" "$root/etc/systemd/system/revault-backup.timer" && pass ||
	fail "the setting (daily $set_to) and the timer differ: $(grep OnCalendar "$root/etc/systemd/system/revault-backup.timer")"
rv schedule off; expect_rc 0 "off after the parallel runs"
[ -z "$(find "$root/etc/systemd/system" -name '*.tmp*')" ] && pass || fail "temporaries left: $(tree)"
rm -r "$root/run/systemd"

# ---- the real root: only root may change it ----
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	ucfg=$T_TMP/user/revault.yaml
	mkdir -p "$(dirname "$ucfg")"
	chown nobody "$(dirname "$ucfg")"
	run env -u REVAULT_SCHEDULE_ROOT setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$REVAULT" -c "$ucfg" schedule daily 02:00
	expect_rc 2 "a user's schedule"; expect_one_line "a user's schedule"; expect_err 'needs root' "says root"
	[ ! -e "$ucfg" ] && pass || fail "a refused user's schedule wrote the settings"
fi

echo "schedule: $T_PASSED passed, $T_FAILED failed"
[ "$T_FAILED" = 0 ]
