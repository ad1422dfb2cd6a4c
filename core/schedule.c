/* schedule: parsing the schedule, writing the systemd units or the cron
 * entry beneath an open root, and asking systemctl to enable the timer. */
#include "core/schedule.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/fsat.h"
#include "core/paths.h"
#include "core/settings.h"
#include "core/schedule_units.h" /* generated from dist/systemd/ by core/CMakeLists.txt */
#include "core/util.h"

extern char **environ;

#define SERVICE_NAME "revault-backup.service"
#define TIMER_NAME "revault-backup.timer"
#define UNIT_DIR "etc/systemd/system"
#define CRON_DIR "etc/cron.d"
#define CRON_NAME "revault" /* run-parts rules: no dot in a cron.d name */
/* Every file revault writes holds this; only such a file is replaced or removed. */
#define MARK "`revault schedule off` removes it"
#define HEADER "Written by `revault schedule`; " MARK "."
#define FILE_MAX (64 * 1024)

const char *const schedule_day_names[8] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };
static const char *const day_long[] = { "sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
					"saturday" };
/* systemd.time(7) spells the weekday with a capital. */
static const char *const day_systemd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

#define GRAMMAR "daily HH:MM [random MINUTES] | weekly DAY HH:MM | hourly | off"

static int parse_time(const char *v, struct schedule *out, struct err *e)
{
	unsigned h = 0, m = 0;
	size_t i = 0;

	while (v[i] >= '0' && v[i] <= '9' && i < 2)
		h = h * 10 + (unsigned)(v[i++] - '0');
	if (i == 0 || v[i] != ':' || !(v[i + 1] >= '0' && v[i + 1] <= '9') ||
	    !(v[i + 2] >= '0' && v[i + 2] <= '9') || v[i + 3] != '\0')
		return err_set(e, RV_USAGE, "\"%s\" is not a time of day: write HH:MM, from 00:00 to 23:59", v);
	m = (unsigned)(v[i + 1] - '0') * 10 + (unsigned)(v[i + 2] - '0');
	if (h > 23 || m > 59)
		return err_set(e, RV_USAGE, "\"%s\" is not a time of day: write HH:MM, from 00:00 to 23:59", v);
	out->hour = h;
	out->minute = m;
	return RV_OK;
}

static int parse_day(const char *v, struct schedule *out, struct err *e)
{
	for (unsigned i = 0; i < 7; i++)
		if (strcasecmp(v, schedule_day_names[i]) == 0 || strcasecmp(v, day_long[i]) == 0) {
			out->weekday = i;
			return RV_OK;
		}
	return err_set(e, RV_USAGE, "\"%s\" is not a day of the week: write mon, tue, wed, thu, fri, sat or sun", v);
}

static int parse_random(const char *v, struct schedule *out, struct err *e)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || n < 1 || n > SCHEDULE_RANDOM_MAX)
		return err_set(e, RV_USAGE, "the random delay is a whole number of minutes from 1 to %u, not \"%s\"",
			       SCHEDULE_RANDOM_MAX, v);
	out->random_min = (unsigned)n;
	return RV_OK;
}

int schedule_parse_words(size_t n, char *const *w, struct schedule *out, struct err *e)
{
	struct schedule s = { .kind = SCHEDULE_OFF };
	int rc = RV_OK;

	if (n == 0)
		return err_set(e, RV_USAGE, "no schedule given: write " GRAMMAR);
	if (strcasecmp(w[0], "off") == 0 && n == 1) {
		s.kind = SCHEDULE_OFF;
	} else if (strcasecmp(w[0], "hourly") == 0 && n == 1) {
		s.kind = SCHEDULE_HOURLY;
	} else if (strcasecmp(w[0], "daily") == 0 && (n == 2 || (n == 4 && strcasecmp(w[2], "random") == 0))) {
		s.kind = SCHEDULE_DAILY;
		rc = parse_time(w[1], &s, e);
		if (rc == RV_OK && n == 4)
			rc = parse_random(w[3], &s, e);
	} else if (strcasecmp(w[0], "weekly") == 0 && n == 3) {
		s.kind = SCHEDULE_WEEKLY;
		rc = parse_day(w[1], &s, e);
		if (rc == RV_OK)
			rc = parse_time(w[2], &s, e);
	} else {
		return err_set(e, RV_USAGE, "\"%s%s\" is not a schedule: write " GRAMMAR, w[0], n > 1 ? " ..." : "");
	}
	if (rc == RV_OK)
		*out = s;
	return rc;
}

int schedule_parse(const char *text, struct schedule *out, struct err *e)
{
	char *copy = xstrdup(text), *w[8], *save = NULL;
	size_t n = 0;
	int rc;

	for (char *t = strtok_r(copy, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
		if (n == ARRAY_LEN(w)) {
			free(copy);
			return err_set(e, RV_USAGE, "\"%s\" is not a schedule: write " GRAMMAR, text);
		}
		w[n++] = t;
	}
	rc = schedule_parse_words(n, w, out, e);
	free(copy);
	return rc;
}

void schedule_format(const struct schedule *s, char *buf, size_t cap)
{
	switch (s->kind) {
	case SCHEDULE_HOURLY:
		snprintf(buf, cap, "hourly");
		break;
	case SCHEDULE_DAILY:
		if (s->random_min > 0)
			snprintf(buf, cap, "daily %02u:%02u random %u", s->hour, s->minute, s->random_min);
		else
			snprintf(buf, cap, "daily %02u:%02u", s->hour, s->minute);
		break;
	case SCHEDULE_WEEKLY:
		snprintf(buf, cap, "weekly %s %02u:%02u", schedule_day_names[s->weekday % 7], s->hour, s->minute);
		break;
	case SCHEDULE_OFF:
	default:
		snprintf(buf, cap, "off");
		break;
	}
}

/* ---- the text of the files ---- */

/* A path as one word of a unit file: in double quotes, with \ and " escaped,
 * % doubled (systemd.unit(5), "Specifiers") and, in a command line, $
 * doubled (systemd.service(5), "Command lines"). Control characters cannot
 * be written. */
static char *unit_word(const char *prefix, const char *v, bool command, struct err *e)
{
	size_t len = strlen(v), used = 0;
	char *out = xmalloc(2 * len + strlen(prefix) + 3);

	out[used++] = '"';
	for (const char *p = prefix; *p != '\0'; p++)
		out[used++] = *p;
	for (const char *p = v; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			free(out);
			err_set(e, RV_USAGE, "the path %s holds a control character, which a systemd unit cannot hold: "
				"use a path without one", v);
			return NULL;
		}
		if (*p == '\\' || *p == '"')
			out[used++] = '\\';
		if (*p == '%' || (command && *p == '$'))
			out[used++] = *p;
		out[used++] = *p;
	}
	out[used++] = '"';
	out[used] = '\0';
	return out;
}

struct subst {
	const char *name; /* "@NAME@" */
	const char *value;
};

static char *fill(const char *tmpl, const struct subst *subs, size_t nsubs)
{
	size_t cap = strlen(tmpl) + 1, used = 0;
	char *out;

	for (size_t i = 0; i < nsubs; i++)
		cap += strlen(subs[i].value);
	out = xmalloc(cap);
	for (const char *p = tmpl; *p != '\0';) {
		size_t i;

		for (i = 0; i < nsubs; i++)
			if (str_has_prefix(p, subs[i].name))
				break;
		if (i < nsubs) {
			size_t n = strlen(subs[i].value);

			memcpy(out + used, subs[i].value, n);
			used += n;
			p += strlen(subs[i].name);
		} else {
			out[used++] = *p++;
		}
	}
	out[used] = '\0';
	return out;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash == NULL || slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

char *schedule_service_unit(const char *exe, const char *settings, struct err *e)
{
	char *qexe = unit_word("", exe, true, e), *qset = NULL, *dir = dir_of(settings), *qdir = NULL;
	char *exec = NULL, *out = NULL;

	if (qexe == NULL || (qset = unit_word("", settings, true, e)) == NULL ||
	    (qdir = unit_word("-", dir, false, e)) == NULL)
		goto done;
	exec = xasprintf("%s -c %s backup", qexe, qset);
	{
		const struct subst subs[] = {
			{ "@HEADER@", HEADER },
			{ "@EXEC_START@", exec },
			{ "@READ_WRITE_PATHS@", qdir },
		};

		out = fill(schedule_service_template, subs, ARRAY_LEN(subs));
	}
done:
	free(qexe);
	free(qset);
	free(dir);
	free(qdir);
	free(exec);
	return out;
}

char *schedule_timer_unit(const struct schedule *s, struct err *e)
{
	char cal[64], delay[32], text[SCHEDULE_TEXT_MAX];

	switch (s->kind) {
	case SCHEDULE_HOURLY:
		snprintf(cal, sizeof(cal), "*-*-* *:00:00");
		break;
	case SCHEDULE_DAILY:
		snprintf(cal, sizeof(cal), "*-*-* %02u:%02u:00", s->hour, s->minute);
		break;
	case SCHEDULE_WEEKLY:
		snprintf(cal, sizeof(cal), "%s *-*-* %02u:%02u:00", day_systemd[s->weekday % 7], s->hour, s->minute);
		break;
	case SCHEDULE_OFF:
	default:
		err_set(e, RV_USAGE, "no timer for a schedule that is off");
		return NULL;
	}
	snprintf(delay, sizeof(delay), "%umin", s->random_min);
	schedule_format(s, text, sizeof(text));
	{
		const struct subst subs[] = {
			{ "@HEADER@", HEADER },
			{ "@SCHEDULE@", text },
			{ "@ON_CALENDAR@", cal },
			{ "@RANDOMIZED_DELAY_SEC@", delay },
		};

		return fill(schedule_timer_template, subs, ARRAY_LEN(subs));
	}
}

/* A path as one word of the /bin/sh command cron runs, in single quotes.
 * An unescaped % ends cron's command (crontab(5)) and a newline its line:
 * such a path is refused rather than escaped. */
static char *cron_word(const char *v, struct err *e)
{
	size_t used = 0;
	char *out = xmalloc(4 * strlen(v) + 3);

	for (const char *p = v; *p != '\0'; p++)
		if (*p == '%' || (unsigned char)*p < 0x20 || *p == 0x7f) {
			free(out);
			err_set(e, RV_USAGE, "the path %s holds a %s, which a cron line cannot hold: use a path without one",
				v, *p == '%' ? "'%'" : "control character");
			return NULL;
		}
	out[used++] = '\'';
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '\'') {
			memcpy(out + used, "'\\''", 4);
			used += 4;
			continue;
		}
		out[used++] = *p;
	}
	out[used++] = '\'';
	out[used] = '\0';
	return out;
}

static unsigned random_below(unsigned n)
{
	uint32_t r = 0;

	if (n == 0)
		return 0;
	/* A delay need not be unpredictable: the clock is a fallback when
	 * the kernel has no entropy to give yet. */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	return r % n;
}

/* The cron entry: five time fields, the user, the command (crontab(5), the
 * system crontab format that /etc/cron.d uses). */
static char *cron_file(const struct schedule *s, const char *exe, const char *settings, char *when,
		       size_t wcap, struct err *e)
{
	char *qexe = cron_word(exe, e), *qset = NULL, *out = NULL, text[SCHEDULE_TEXT_MAX], note[128] = "";
	unsigned at, delay;

	if (qexe == NULL || (qset = cron_word(settings, e)) == NULL)
		goto done;
	schedule_format(s, text, sizeof(text));
	switch (s->kind) {
	case SCHEDULE_HOURLY:
		snprintf(when, wcap, "0 * * * *");
		break;
	case SCHEDULE_DAILY:
		delay = random_below(s->random_min + 1);
		at = (s->hour * 60 + s->minute + delay) % (24 * 60);
		snprintf(when, wcap, "%u %u * * *", at % 60, at / 60);
		if (s->random_min > 0)
			snprintf(note, sizeof(note), "# cron has no random delay: %u of up to %u minutes, picked once.\n",
				 delay, s->random_min);
		break;
	case SCHEDULE_WEEKLY:
		snprintf(when, wcap, "%u %u * * %u", s->minute, s->hour, s->weekday);
		break;
	case SCHEDULE_OFF:
	default:
		err_set(e, RV_USAGE, "no cron entry for a schedule that is off");
		goto done;
	}
	/* The summary of a good run is not mailed; warnings and failures
	 * (stderr) are. */
	out = xasprintf("# %s\n# revault backup, %s.\n%sSHELL=/bin/sh\nPATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
			"%s root %s -c %s backup >/dev/null\n",
			HEADER, text, note, when, qexe, qset);
done:
	free(qexe);
	free(qset);
	return out;
}

/* ---- the files beneath the root ---- */

const char *schedule_root(struct err *e)
{
	const char *r = getenv("REVAULT_SCHEDULE_ROOT");

	if (r == NULL || r[0] == '\0')
		return "/";
	if (r[0] != '/') {
		err_set(e, RV_USAGE, "REVAULT_SCHEDULE_ROOT must be an absolute path, not \"%s\"", r);
		return NULL;
	}
	return r;
}

static bool is_real_root(const char *root)
{
	return root[strspn(root, "/")] == '\0';
}

static int open_root(const char *root, struct err *e)
{
	int fd = fsat_open_trusted(root, false, 0, true);

	if (fd < 0)
		err_set(e, RV_FAIL, "cannot open %s: %s", root, strerror(errno));
	return fd;
}

enum schedule_driver schedule_driver(const char *root)
{
	struct err e = { 0 };
	int rootfd = open_root(root, &e), fd;

	if (rootfd < 0)
		return SCHEDULE_CRON;
	fd = fsat_open_beneath(rootfd, "run/systemd/system", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	close(rootfd);
	if (fd < 0)
		return SCHEDULE_CRON;
	close(fd);
	return SCHEDULE_SYSTEMD;
}

/* What name beneath dirfd is: absent, a regular file revault wrote, or
 * something else (another's file, a symlink, a directory). */
enum owner { ABSENT, OURS, FOREIGN };

static enum owner file_owner(int dirfd, const char *name)
{
	char *buf;
	ssize_t n;
	enum owner o;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return errno == ENOENT ? ABSENT : FOREIGN;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return FOREIGN;
	}
	buf = xmalloc(FILE_MAX + 1);
	n = read(fd, buf, FILE_MAX);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	o = n > 0 && strstr(buf, MARK) != NULL ? OURS : FOREIGN;
	free(buf);
	return o;
}

/* Writes text to name beneath dirfd, mode 0644, atomically (fsat_replace),
 * over revault's own earlier file only. */
static int write_file(int dirfd, const char *shown, const char *name, const char *text, struct err *e)
{
	if (file_owner(dirfd, name) == FOREIGN)
		return err_set(e, RV_FAIL, "%s was not written by revault: move it away, then run revault schedule again",
			       shown);
	if (fsat_replace(dirfd, name, text, strlen(text), 0644) != 0)
		return err_set(e, RV_FAIL, "cannot write %s: %s", shown, strerror(errno));
	return RV_OK;
}

/* One line systemctl said: to syslog, and kept for an error, its own
 * ("Failed to enable unit: ...") before any notice after it. */
static void output_line(char *line, size_t *len, char *last, size_t cap)
{
	if (*len == 0)
		return;
	line[*len] = '\0';
	syslog(LOG_INFO, "systemctl: %s", line);
	if (!str_has_prefix(last, "Failed") || str_has_prefix(line, "Failed"))
		util_utf8_copy(last, cap, line);
	*len = 0;
}

/* Reads what systemctl says until it closes the pipe: each line to syslog
 * (it must not draw over the text interface or clutter a script's
 * output), the last one kept for an error. */
static void read_output(int fd, char *last, size_t cap)
{
	char buf[1024], line[512];
	size_t len = 0;
	ssize_t n;

	last[0] = '\0';
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n')
				output_line(line, &len, last, cap);
			else if (len < sizeof(line) - 1)
				line[len++] = buf[i] == '\t' || (unsigned char)buf[i] >= 0x20 ? buf[i] : ' ';
		}
	}
	output_line(line, &len, last, cap);
}

/* Runs systemctl with args (no shell; nothing secret in them), waiting for
 * it; its output goes to syslog, its last line into the error when it
 * fails. With a root other than /, `--root=ROOT` and no --now: the files
 * are linked, nothing is started. */
static int systemctl(const char *root, const char *verb, bool now, const char *unit, struct err *e)
{
	char *rootarg = is_real_root(root) ? NULL : xasprintf("--root=%s", root);
	char *argv[6], last[256];
	int n = 0, status = 0, rc, out[2];
	posix_spawn_file_actions_t fa;
	pid_t pid;

	argv[n++] = "systemctl";
	if (rootarg != NULL)
		argv[n++] = rootarg;
	else if (now)
		argv[n++] = "--now";
	argv[n++] = (char *)verb;
	if (unit != NULL)
		argv[n++] = (char *)unit;
	argv[n] = NULL;
	if (pipe2(out, O_CLOEXEC) != 0) {
		free(rootarg);
		return err_set(e, RV_FAIL, "cannot run systemctl: %s", strerror(errno));
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDERR_FILENO);
	rc = posix_spawnp(&pid, "systemctl", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	free(rootarg);
	if (rc != 0) {
		close(out[0]);
		return err_set(e, RV_FAIL, "cannot run systemctl: %s (apt-get install systemd)", strerror(rc));
	}
	read_output(out[0], last, sizeof(last));
	close(out[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(e, RV_FAIL, "systemctl %s%s%s failed (exit %d)%s%s (journalctl -xe may say more)",
			       verb, unit != NULL ? " " : "", unit != NULL ? unit : "",
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1, last[0] != '\0' ? ": " : "", last);
	return RV_OK;
}

/* Removes name beneath dirfd when revault wrote it; a foreign file is named
 * in said. Returns whether it was there and ours. */
static bool remove_ours(int dirfd, const char *shown, const char *name, char *said, size_t cap, int *rc,
			struct err *e)
{
	switch (file_owner(dirfd, name)) {
	case ABSENT:
		return false;
	case FOREIGN: {
		size_t used = strlen(said);

		snprintf(said + used, cap - used, "%s%s was not written by revault: left alone", used ? "; " : "",
			 shown);
		return false;
	}
	case OURS:
		break;
	}
	if (unlinkat(dirfd, name, 0) != 0) {
		*rc = err_set(e, RV_FAIL, "cannot remove %s: %s", shown, strerror(errno));
		return false;
	}
	fsync(dirfd);
	return true;
}

static int open_dir(int rootfd, const char *rel, bool create, struct err *e)
{
	int fd = create ? fsat_mkdirs_beneath(rootfd, rel, 0755)
			: fsat_open_beneath(rootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

	if (fd < 0 && !(errno == ENOENT && !create))
		err_set(e, RV_FAIL, "cannot open /%s: %s", rel, strerror(errno));
	return fd;
}

/* Units left from when systemd ran are still disabled, without stopping
 * or reloading a systemd that is not there (systemctl works on the files). */
static int remove_systemd(const char *root, int rootfd, char *said, size_t cap, struct err *e)
{
	int dirfd = open_dir(rootfd, UNIT_DIR, false, e), rc = RV_OK;
	bool timer, service, running = schedule_driver(root) == SCHEDULE_SYSTEMD;

	if (dirfd < 0)
		return errno == ENOENT ? RV_OK : RV_FAIL;
	if (file_owner(dirfd, TIMER_NAME) == OURS &&
	    (rc = systemctl(root, "disable", running, TIMER_NAME, e)) != RV_OK) {
		close(dirfd);
		return rc;
	}
	timer = remove_ours(dirfd, "/" UNIT_DIR "/" TIMER_NAME, TIMER_NAME, said, cap, &rc, e);
	service = remove_ours(dirfd, "/" UNIT_DIR "/" SERVICE_NAME, SERVICE_NAME, said, cap, &rc, e);
	close(dirfd);
	if (rc == RV_OK && (timer || service)) {
		size_t used = strlen(said);

		snprintf(said + used, cap - used, "%ssystemd timer " TIMER_NAME " disabled and its units removed",
			 used ? "; " : "");
		if (is_real_root(root) && running)
			rc = systemctl(root, "daemon-reload", false, NULL, e);
	}
	return rc;
}

static int remove_cron(int rootfd, char *said, size_t cap, struct err *e)
{
	int dirfd = open_dir(rootfd, CRON_DIR, false, e), rc = RV_OK;

	if (dirfd < 0)
		return errno == ENOENT ? RV_OK : RV_FAIL;
	if (remove_ours(dirfd, "/" CRON_DIR "/" CRON_NAME, CRON_NAME, said, cap, &rc, e)) {
		size_t used = strlen(said);

		snprintf(said + used, cap - used, "%scron entry /" CRON_DIR "/" CRON_NAME " removed", used ? "; " : "");
	}
	close(dirfd);
	return rc;
}

int schedule_remove(const char *root, char *said, size_t cap, struct err *e)
{
	int rootfd = open_root(root, e), rc;

	said[0] = '\0';
	if (rootfd < 0)
		return RV_FAIL;
	rc = remove_systemd(root, rootfd, said, cap, e);
	if (rc == RV_OK)
		rc = remove_cron(rootfd, said, cap, e);
	close(rootfd);
	if (rc == RV_OK && said[0] == '\0')
		snprintf(said, cap, "nothing was installed");
	return rc;
}

static int install_systemd(const struct schedule *s, const char *root, int rootfd, const char *exe,
			   const char *settings, char *said, size_t cap, struct err *e)
{
	char *service = schedule_service_unit(exe, settings, e), *timer = NULL, text[SCHEDULE_TEXT_MAX];
	int dirfd = -1, rc = RV_USAGE;

	if (service == NULL || (timer = schedule_timer_unit(s, e)) == NULL)
		goto done;
	if ((dirfd = open_dir(rootfd, UNIT_DIR, true, e)) < 0) {
		rc = RV_FAIL;
		goto done;
	}
	if ((rc = write_file(dirfd, "/" UNIT_DIR "/" SERVICE_NAME, SERVICE_NAME, service, e)) != RV_OK ||
	    (rc = write_file(dirfd, "/" UNIT_DIR "/" TIMER_NAME, TIMER_NAME, timer, e)) != RV_OK)
		goto done;
	if (is_real_root(root) && (rc = systemctl(root, "daemon-reload", false, NULL, e)) != RV_OK)
		goto done;
	/* enable --now also restarts a running timer with its new time. */
	if ((rc = systemctl(root, "enable", true, TIMER_NAME, e)) != RV_OK)
		goto done;
	if (is_real_root(root) && (rc = systemctl(root, "restart", false, TIMER_NAME, e)) != RV_OK)
		goto done;
	schedule_format(s, text, sizeof(text));
	snprintf(said, cap, "systemd timer " TIMER_NAME " enabled: %s (/" UNIT_DIR "/" TIMER_NAME ")", text);
done:
	if (dirfd >= 0)
		close(dirfd);
	free(service);
	free(timer);
	return rc;
}

static int install_cron(const struct schedule *s, int rootfd, const char *exe, const char *settings, char *said,
			size_t cap, struct err *e)
{
	char when[64], *text = cron_file(s, exe, settings, when, sizeof(when), e);
	int dirfd = -1, rc;

	if (text == NULL)
		return RV_USAGE;
	dirfd = fsat_open_beneath(rootfd, CRON_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dirfd < 0) {
		rc = err_set(e, RV_FAIL,
			     "systemd is not running and there is no /" CRON_DIR ": apt-get install cron, then run revault "
			     "schedule again");
		goto done;
	}
	if ((rc = write_file(dirfd, "/" CRON_DIR "/" CRON_NAME, CRON_NAME, text, e)) != RV_OK)
		goto done;
	snprintf(said, cap, "cron entry /" CRON_DIR "/" CRON_NAME " written: %s%s", when,
		 s->kind == SCHEDULE_DAILY && s->random_min > 0 ? " (the random delay picked once)" : "");
done:
	if (dirfd >= 0)
		close(dirfd);
	free(text);
	return rc;
}

int schedule_install(const struct schedule *s, const char *root, const char *exe, const char *settings,
		     char *said, size_t cap, struct err *e)
{
	char other[SCHEDULE_SAID_MAX] = "";
	int rootfd = open_root(root, e), rc;

	said[0] = '\0';
	if (rootfd < 0)
		return RV_FAIL;
	if (schedule_driver(root) == SCHEDULE_SYSTEMD) {
		rc = install_systemd(s, root, rootfd, exe, settings, said, cap, e);
		if (rc == RV_OK)
			rc = remove_cron(rootfd, other, sizeof(other), e);
	} else {
		rc = install_cron(s, rootfd, exe, settings, said, cap, e);
		if (rc == RV_OK)
			rc = remove_systemd(root, rootfd, other, sizeof(other), e);
	}
	close(rootfd);
	if (rc == RV_OK && other[0] != '\0') {
		size_t used = strlen(said);

		snprintf(said + used, cap - used, "; %s", other);
	}
	return rc;
}

void schedule_installed(const char *root, char *said, size_t cap)
{
	struct err e = { 0 };
	int rootfd = open_root(root, &e), dirfd;

	snprintf(said, cap, "nothing installed");
	if (rootfd < 0)
		return;
	if ((dirfd = open_dir(rootfd, UNIT_DIR, false, &e)) >= 0) {
		if (file_owner(dirfd, TIMER_NAME) == OURS)
			snprintf(said, cap, "systemd timer /" UNIT_DIR "/" TIMER_NAME);
		close(dirfd);
	}
	if ((dirfd = open_dir(rootfd, CRON_DIR, false, &e)) >= 0) {
		if (file_owner(dirfd, CRON_NAME) == OURS)
			snprintf(said, cap, "cron entry /" CRON_DIR "/" CRON_NAME);
		close(dirfd);
	}
	close(rootfd);
}

/* The schedule named in revault's file name beneath dirfd, on its line
 * that starts with prefix (the timer's Description=, the cron entry's
 * comment). */
static bool installed_text(int dirfd, const char *name, const char *prefix, char *text, size_t cap)
{
	char buf[FILE_MAX + 1], *at, *end;
	int fd;
	ssize_t n;

	if (file_owner(dirfd, name) != OURS ||
	    (fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0)
		return false;
	n = read(fd, buf, FILE_MAX);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	at = buf;
	while (at != NULL && !str_has_prefix(at, prefix)) {
		at = strchr(at, '\n');
		if (at != NULL)
			at++;
	}
	if (at == NULL)
		return false;
	at += strlen(prefix);
	end = at + strcspn(at, "\n");
	if (end > at && end[-1] == '.')
		end--;
	snprintf(text, cap, "%.*s", (int)(end - at), at);
	return true;
}

bool schedule_installed_as(const char *root, char *text, size_t cap)
{
	struct err e = { 0 };
	int rootfd = open_root(root, &e), dirfd;
	bool found = false;

	if (rootfd < 0)
		return false;
	if ((dirfd = open_dir(rootfd, UNIT_DIR, false, &e)) >= 0) {
		found = installed_text(dirfd, TIMER_NAME, "Description=revault backup, ", text, cap);
		close(dirfd);
	}
	if (!found && (dirfd = open_dir(rootfd, CRON_DIR, false, &e)) >= 0) {
		found = installed_text(dirfd, CRON_NAME, "# revault backup, ", text, cap);
		close(dirfd);
	}
	close(rootfd);
	return found;
}

void schedule_of(const struct settings *st, struct schedule *out)
{
	struct err e = { 0 };

	if (st->backup.schedule == NULL || schedule_parse(st->backup.schedule, out, &e) != RV_OK)
		*out = (struct schedule){ .kind = SCHEDULE_OFF };
}

/* path made absolute without resolving its last component (the settings
 * file may not exist yet); allocated, NULL with e set. */
static char *absolute(const char *path, struct err *e)
{
	char *dir = dir_of(path), *real, *out;
	const char *base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;

	if (strchr(path, '/') == NULL) {
		free(dir);
		dir = xstrdup(".");
	}
	real = realpath(dir, NULL);
	free(dir);
	if (real == NULL) {
		err_set(e, RV_FAIL, "cannot resolve the folder of %s: %s", path, strerror(errno));
		return NULL;
	}
	out = xasprintf("%s/%s", strcmp(real, "/") == 0 ? "" : real, base);
	free(real);
	return out;
}

/* Only root changes the machine's schedule. */
static int may_change(const char *root, struct err *e)
{
	if (root == NULL)
		return e->code;
	if (is_real_root(root) && geteuid() != 0)
		return err_set(e, RV_USAGE,
			       "revault schedule installs a system timer and needs root: run it as root (a user's "
			       "own backups can run from crontab -e)");
	return RV_OK;
}

int schedule_lock(struct err *e)
{
	char *path;
	int fd;

	if (may_change(schedule_root(e), e) != RV_OK || (path = paths_state_file("schedule.lock", e)) == NULL)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		err_set(e, RV_FAIL, "cannot open the lock file %s: %s", path, strerror(errno));
	while (fd >= 0 && flock(fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		err_set(e, RV_FAIL, "cannot lock %s: %s", path, strerror(errno));
		close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

void schedule_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int schedule_set(struct settings *st, const struct schedule *s, const char *settings_path, char *said,
		 size_t cap, struct err *e)
{
	const char *root = schedule_root(e);
	char exe[4096], *settings = NULL, text[SCHEDULE_TEXT_MAX];
	ssize_t n;
	int rc;

	if (may_change(root, e) != RV_OK)
		return e->code;
	if (s->kind == SCHEDULE_OFF) {
		rc = schedule_remove(root, said, cap, e);
	} else {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0)
			return err_set(e, RV_FAIL, "cannot tell where the revault program is: %s", strerror(errno));
		exe[n] = '\0';
		/* The settings' folder is made as saving would make it, to be named in the unit. */
		if (paths_ensure_dir(settings_path, e) != RV_OK || (settings = absolute(settings_path, e)) == NULL)
			return e->code;
		rc = schedule_install(s, root, exe, settings, said, cap, e);
		free(settings);
	}
	if (rc != RV_OK)
		return rc;
	schedule_format(s, text, sizeof(text));
	free(st->backup.schedule);
	st->backup.schedule = s->kind != SCHEDULE_OFF ? xstrdup(text) : NULL;
	return RV_OK;
}
