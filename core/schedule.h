/* schedule: when backups run by themselves (`revault schedule`, the
 * backup.schedule key), and the systemd timer or cron entry that makes
 * them run. The units are written from the templates in dist/systemd/,
 * which the Debian package also ships, so there is one source for both. */
#ifndef REVAULT_CORE_SCHEDULE_H
#define REVAULT_CORE_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

enum schedule_kind {
	SCHEDULE_OFF,
	SCHEDULE_HOURLY, /* at minute 0 of every hour */
	SCHEDULE_DAILY,
	SCHEDULE_WEEKLY,
};

struct schedule {
	enum schedule_kind kind;
	unsigned hour, minute;  /* local time, 0-23 and 0-59 (daily, weekly) */
	unsigned weekday;       /* 0 Sunday .. 6 Saturday, as cron(5) counts (weekly) */
	unsigned random_min;    /* minutes, 0-720: a random delay of up to this much (daily) */
};

#define SCHEDULE_RANDOM_MAX 720
/* The days as they are written back, 0 Sunday .. 6 Saturday, NULL-ended
 * (the console offers them). */
extern const char *const schedule_day_names[8];
/* Longest canonical text: "weekly wed 23:59", "daily 23:59 random 720". */
#define SCHEDULE_TEXT_MAX 32

/* The words of `revault schedule` after the command name, in the grammar
 * "daily HH:MM [random MINUTES] | weekly DAY HH:MM | hourly | off", the
 * keywords in any case (as the day names). DAY is
 * an English day name, whole or its first three letters, in any case; HH:MM
 * is 00:00-23:59 (H:MM accepted). RV_USAGE with one line saying what is
 * wrong and how to write it (an impossible time or day: exit 2). */
int schedule_parse_words(size_t n, char *const *words, struct schedule *out, struct err *e);
/* The same from one string of blank-separated words (the settings file). */
int schedule_parse(const char *text, struct schedule *out, struct err *e);
/* The canonical text ("daily 02:30 random 15", "weekly sun 03:00",
 * "hourly", "off"), which schedule_parse reads back to the same schedule. */
void schedule_format(const struct schedule *s, char *buf, size_t cap);

/* How the schedule is carried out on this machine. */
enum schedule_driver {
	SCHEDULE_SYSTEMD, /* revault-backup.timer and .service in /etc/systemd/system */
	SCHEDULE_CRON,    /* /etc/cron.d/revault */
};

/* Where the units or the cron entry are written: "/", or the directory
 * $REVAULT_SCHEDULE_ROOT names (for packaging and tests: the files go
 * beneath it, systemd is asked to enable the timer with `systemctl
 * --root`, and nothing is started). Whether systemd runs is read beneath
 * it too: the directory run/systemd/system exists (sd_booted(3)). NULL
 * with e set (RV_USAGE) when the variable is not an absolute path. */
const char *schedule_root(struct err *e);
/* Which driver the machine under root uses. */
enum schedule_driver schedule_driver(const char *root);

/* What an install or a removal did, one line for the operator
 * ("systemd timer revault-backup.timer, next run ...", "cron entry
 * /etc/cron.d/revault: 47 2 * * *"). */
#define SCHEDULE_SAID_MAX 512

/* Installs s (not SCHEDULE_OFF) for the driver of root: writes the units
 * (mode 0644, atomically, beneath root, never through a symlink) and
 * enables and starts the timer with systemctl, or writes the cron entry
 * (a daily random delay is then picked once, uniformly from 0 to
 * random_min minutes, and added to the time: cron has no delay of its
 * own). Any file revault wrote earlier for the other driver is removed.
 * exe and settings are absolute paths: the program and the settings file
 * the backup runs with. RV_USAGE for a path that cannot be written into
 * the unit or cron line, RV_FAIL when a file or systemctl fails (said in
 * e); said gets what was done. */
int schedule_install(const struct schedule *s, const char *root, const char *exe, const char *settings,
		     char *said, size_t cap, struct err *e);
/* Disables the timer and removes the units and the cron entry that revault
 * wrote (each one holds a line saying so); a file of the same name that
 * revault did not write is left alone and named in said. RV_FAIL when a
 * removal fails. */
int schedule_remove(const char *root, char *said, size_t cap, struct err *e);
/* What revault has installed beneath root, one line for `revault
 * schedule` ("systemd timer /etc/systemd/system/revault-backup.timer",
 * "nothing installed"). */
void schedule_installed(const char *root, char *said, size_t cap);

/* The schedule revault's installed timer or cron entry beneath root carries
 * out, in the canonical text (as its Description= or comment says it), in
 * text; false when revault installed none. */
bool schedule_installed_as(const char *root, char *text, size_t cap);

struct settings;

/* The one way the schedule changes (CLI, console, TUI): refuses (RV_USAGE)
 * anyone but root when root is "/" (the timer is the machine's, and a
 * user's timer would stop at logout: docs/OPERATOR.md), installs s or, for
 * SCHEDULE_OFF, removes what revault installed, then keeps s in
 * st->backup.schedule; the caller saves the settings. settings_path is the
 * settings file the backups run with (made absolute here). Errors as
 * schedule_install; said as there. */
int schedule_set(struct settings *st, const struct schedule *s, const char *settings_path, char *said,
		 size_t cap, struct err *e);
/* Serialises changes of the schedule: two at once (two `revault schedule`
 * runs, the console and a cron job) would leave the units or cron entry of
 * one and the setting of the other. Held, flock(2) exclusive, on
 * "schedule.lock" in the state folder, from before schedule_set until the
 * settings are saved; waits for the one that holds it. Returns the
 * descriptor to give to schedule_unlock, or -1 with e set: RV_USAGE as
 * schedule_set's refusals (not root), RV_FAIL when the lock file cannot be
 * opened. */
int schedule_lock(struct err *e);
void schedule_unlock(int fd);

/* The schedule kept in st (off when none). */
void schedule_of(const struct settings *st, struct schedule *out);

/* The unit files for s, as schedule_install writes them, allocated (the
 * package's copies come from the same templates, filled in by CMake).
 * exe and settings as for schedule_install. NULL
 * with e set (RV_USAGE) for a path that cannot be written into a unit. */
char *schedule_service_unit(const char *exe, const char *settings, struct err *e);
char *schedule_timer_unit(const struct schedule *s, struct err *e);

#endif
