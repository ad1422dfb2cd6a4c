#!/usr/bin/env bash
# Backup settings -> Schedule in the text interface, in the three
# terminals: the row shows the schedule, Enter edits it, an impossible time
# is refused in a message and changes nothing, a good one is installed
# (into a temporary root, REVAULT_SCHEDULE_ROOT) and said on the status
# line, and off removes it again.
. "$REVAULT_SOURCE_DIR/tests/lib/assert.sh"
root=$T_TMP/root
mkdir -p "$root/etc/cron.d"
# Before the tmux server starts, so that it and every pane have it; and
# checked, as no test may write the machine's /etc/cron.d.
export REVAULT_SCHEDULE_ROOT=$root
. "$REVAULT_SOURCE_DIR/tests/lib/tui.bash"
set -e
TM set-environment -g REVAULT_SCHEDULE_ROOT "$root"
[ "$(TM show-environment -g REVAULT_SCHEDULE_ROOT)" = "REVAULT_SCHEDULE_ROOT=$root" ] || {
	echo "FAIL: the tmux server lacks REVAULT_SCHEDULE_ROOT" >&2
	exit 1
}

for mode in $TUI_MODES; do
	export REVAULT_CONFIG=$T_TMP/$mode/revault.yaml
	tui_start "$mode"
	tui_wait 'Main menu' "main menu"
	tui_keys o
	tui_wait 'What is backed up' "backup settings"
	tui_wait 'Schedule +off' "the schedule row shows off"
	tui_keys Down Down Down Enter
	tui_wait 'daily HH:MM \[random MIN\]' "the schedule is asked for"
	tui_keys C-u
	tui_type "daily 25:61"
	tui_keys Enter
	tui_wait '"25:61" is not a time of day' "an impossible time is refused"
	[ ! -e "$root/etc/cron.d/revault" ] && pass || fail "[$mode] a refused schedule was installed"
	tui_wait 'daily HH:MM \[random MIN\]' "the box stays open with the refusal"
	tui_wait 'daily 25:61' "the refused words are kept to correct"
	tui_keys C-u
	tui_type "weekly sat 04:20"
	tui_keys Enter
	tui_wait 'cron entry /etc/cron.d/revault written: 20 4 \* \* 6' "installed, said on the status line"
	tui_wait 'Schedule +weekly sat 04:20' "the row follows"
	grep -q '^20 4 \* \* 6 root ' "$root/etc/cron.d/revault" && pass || fail "[$mode] cron entry: $(cat "$root/etc/cron.d/revault")"
	run "$REVAULT" show
	expect_out '^backup.schedule +weekly sat 04:20$' "[$mode] saved"
	tui_keys Enter
	tui_wait 'daily HH:MM \[random MIN\]' "asked for off"
	tui_keys C-u
	tui_type "off"
	tui_keys Enter
	tui_wait 'cron entry /etc/cron.d/revault removed' "off said"
	[ ! -e "$root/etc/cron.d/revault" ] && pass || fail "[$mode] off left the cron entry"
	tui_keys q
	tui_wait '\[exit 0\]' "quit"
done

# With systemd beneath the root: systemctl's own words ("Created symlink
# ...") go to syslog, not over the screen.
mkdir -p "$root/run/systemd/system"
export REVAULT_CONFIG=$T_TMP/systemd/revault.yaml
tui_start color
tui_wait 'Main menu' "main menu (systemd)"
tui_keys o
tui_wait 'Schedule +off' "the schedule row (systemd)"
tui_keys Down Down Down Enter
tui_wait 'daily HH:MM \[random MIN\]' "the schedule is asked for (systemd)"
tui_keys C-u
tui_type "daily 02:30"
tui_keys Enter
tui_wait 'systemd timer revault-backup.timer enabled' "the timer installed, said on the status line"
[ -L "$root/etc/systemd/system/timers.target.wants/revault-backup.timer" ] && pass || fail "the timer is not enabled"
tui_absent 'Created symlink|timers\.target' "systemctl wrote over the screen"
tui_keys Enter
tui_wait 'daily HH:MM \[random MIN\]' "asked for off (systemd)"
tui_keys C-u
tui_type "off"
tui_keys Enter
tui_wait 'systemd timer revault-backup.timer disabled' "off said (systemd)"
tui_absent 'Removed|timers\.target' "systemctl wrote over the screen on off"
tui_keys q
tui_wait '\[exit 0\]' "quit (systemd)"

echo "tui_schedule: $T_PASSED passed, $T_FAILED failed"
[ "$T_FAILED" = 0 ]
