/* lastrun: the last-run records, as key=value lines (one per field, the
 * message last and on one line), so that an admin can read them with cat
 * and a script with grep. Unknown keys are skipped, so a newer revault's
 * record still reads. */
#include "core/lastrun.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fsat.h"
#include "core/paths.h"
#include "core/util.h"

/* A record is small: anything bigger is not one. */
#define RECORD_MAX 8192

bool lastrun_succeeded(int status)
{
	return status == RV_OK || status == RV_INCOMPLETE;
}

void lastrun_stamp(int64_t t, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool parse_stamp(const char *v, int64_t *out)
{
	struct tm tm = { 0 };
	const char *end = strptime(v, "%Y-%m-%dT%H:%M:%SZ", &tm);

	struct tm back, asked;
	time_t t;

	if (end == NULL || *end != '\0')
		return false;
	asked = tm;
	t = timegm(&tm);
	/* A day that does not exist (2026-02-30) would be moved to another. */
	if (gmtime_r(&t, &back) == NULL || back.tm_mday != asked.tm_mday || back.tm_mon != asked.tm_mon ||
	    back.tm_hour != asked.tm_hour || back.tm_min != asked.tm_min)
		return false;
	*out = (int64_t)t;
	return true;
}

static bool parse_u64(const char *v, uint64_t *out)
{
	char *end;

	if (*v < '0' || *v > '9')
		return false;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return errno == 0 && *end == '\0';
}

/* The state folder, opened by core/fsat's rule for it: a symlink on the
 * way only when root's or the caller's, none in its own place. */
static int open_state_dir(bool create, char **dir, struct err *e)
{
	char *probe;
	int fd;

	if (create) {
		/* paths_state_file creates the folder (0700) when missing. */
		probe = paths_state_file(LASTRUN_ATTEMPT, e);
		if (probe == NULL)
			return -1;
		free(probe);
	}
	*dir = paths_state_dir(e);
	if (*dir == NULL)
		return -1;
	fd = fsat_open_trusted(*dir, false, 0, true);
	if (fd < 0 && (create || errno != ENOENT))
		err_set(e, RV_FAIL, "cannot open the state folder %s: %s", *dir, strerror(errno));
	return fd;
}

int lastrun_write(const char *name, const struct lastrun *r, struct err *e)
{
	char *dir = NULL, *text = NULL, started[32], ended[32], message[sizeof(r->message)];
	int dfd = open_state_dir(true, &dir, e), rc = RV_FAIL;
	size_t len = 0;
	FILE *f;

	if (dfd < 0)
		goto out;
	f = open_memstream(&text, &len);
	if (f == NULL)
		abort();
	lastrun_stamp(r->started, started, sizeof(started));
	lastrun_stamp(r->ended, ended, sizeof(ended));
	fprintf(f, "kind=%s\nstarted=%s\nended=%s\nstatus=%d\nrevision=%s\nbytes=%" PRIu64 "\nwire_bytes=%" PRIu64
		   "\nfiles=%" PRIu64 "\nwarnings=%" PRIu64 "\nmessage=",
		r->kind, started, ended, r->status, r->revision, r->bytes, r->wire_bytes, r->files, r->warnings);
	/* One line of valid UTF-8, whatever the message holds. */
	util_utf8_copy(message, sizeof(message), r->message);
	for (const char *c = message; *c != '\0'; c++)
		fputc(*c == '\n' || *c == '\r' ? ' ' : *c, f);
	fputc('\n', f);
	if (fclose(f) != 0)
		abort();
	if (fsat_replace(dfd, name, text, len, 0600) != 0) {
		err_set(e, RV_FAIL, "cannot keep the record of this run in %s/%s: %s", dir, name, strerror(errno));
		goto out;
	}
	rc = RV_OK;
out:
	if (dfd >= 0)
		close(dfd);
	free(text);
	free(dir);
	return rc;
}

/* The record is a regular file revault wrote: owned by the one reading it
 * or by root (in a state folder others can write to, another user's file
 * is not trusted). */
static bool record_file_ok(int fd, const char *dir, const char *name, struct err *e)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		err_set(e, RV_FAIL, "cannot read the record %s/%s: %s", dir, name, strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, RV_FAIL, "the record %s/%s is not a regular file; remove it, the next backup writes a new one",
			dir, name);
		return false;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		err_set(e, RV_FAIL, "the record %s/%s belongs to user %u, not to you or root: remove it, the next "
			"backup writes a new one", dir, name, (unsigned)st.st_uid);
		return false;
	}
	return true;
}

/* One key=value line into r; false when the value does not read. */
static bool take_field(struct lastrun *r, const char *key, const char *v, unsigned *seen)
{
	uint64_t n;

	if (strcmp(key, "kind") == 0) {
		util_utf8_copy(r->kind, sizeof(r->kind), v);
	} else if (strcmp(key, "started") == 0) {
		return parse_stamp(v, &r->started);
	} else if (strcmp(key, "ended") == 0) {
		*seen |= 1;
		return parse_stamp(v, &r->ended);
	} else if (strcmp(key, "status") == 0) {
		*seen |= 2;
		if (!parse_u64(v, &n) || n > 255)
			return false;
		r->status = (int)n;
	} else if (strcmp(key, "revision") == 0) {
		util_utf8_copy(r->revision, sizeof(r->revision), v);
	} else if (strcmp(key, "bytes") == 0) {
		return parse_u64(v, &r->bytes);
	} else if (strcmp(key, "wire_bytes") == 0) {
		return parse_u64(v, &r->wire_bytes);
	} else if (strcmp(key, "files") == 0) {
		return parse_u64(v, &r->files);
	} else if (strcmp(key, "warnings") == 0) {
		return parse_u64(v, &r->warnings);
	} else if (strcmp(key, "message") == 0) {
		util_utf8_copy(r->message, sizeof(r->message), v);
	}
	return true;
}

int lastrun_read(const char *name, struct lastrun *r, bool *found, struct err *e)
{
	char *dir = NULL, buf[RECORD_MAX + 1];
	int dfd, fd = -1, rc = RV_FAIL;
	unsigned seen = 0, lineno = 0;
	ssize_t n;
	size_t len = 0;

	memset(r, 0, sizeof(*r));
	*found = false;
	dfd = open_state_dir(false, &dir, e);
	if (dfd < 0) {
		rc = dir != NULL && e->code == RV_OK ? RV_OK : e->code; /* no state folder: no record yet */
		goto out;
	}
	/* O_NONBLOCK: a FIFO put in its place must not hang the reader. */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			rc = RV_OK;
		else
			err_set(e, RV_FAIL, "cannot read the record %s/%s: %s; remove it, the next backup writes a new one",
				dir, name, strerror(errno));
		goto out;
	}
	if (!record_file_ok(fd, dir, name, e))
		goto out;
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	if (len >= RECORD_MAX || memchr(buf, '\0', len) != NULL) {
		err_set(e, RV_FAIL, "the record %s/%s is not a revault record; remove it, the next backup writes a new one",
			dir, name);
		goto out;
	}
	for (char *line = buf, *next; *line != '\0'; line = next) {
		char *eq;

		lineno++;
		next = line + strcspn(line, "\n");
		if (*next == '\n')
			*next++ = '\0';
		eq = strchr(line, '=');
		if (eq == NULL && *line == '\0')
			continue;
		if (eq != NULL)
			*eq = '\0';
		if (eq == NULL || !take_field(r, line, eq + 1, &seen)) {
			err_set(e, RV_FAIL, "the record %s/%s is damaged at line %u; remove it, the next backup writes a "
				"new one", dir, name, lineno);
			goto out;
		}
	}
	if (seen != 3) {
		err_set(e, RV_FAIL, "the record %s/%s lacks its %s; remove it, the next backup writes a new one", dir,
			name, (seen & 1) == 0 ? "end time (ended=)" : "exit status (status=)");
		goto out;
	}
	if (r->kind[0] == '\0')
		snprintf(r->kind, sizeof(r->kind), "backup");
	/* A record of a success names the revision it stored. */
	if (strcmp(r->kind, "backup") != 0 || (lastrun_succeeded(r->status) && r->revision[0] == '\0')) {
		err_set(e, RV_FAIL, "the record %s/%s is not a backup's record (%s); remove it, the next backup writes a "
			"new one", dir, name, strcmp(r->kind, "backup") != 0 ? "kind= is not backup" :
			"a success without its revision=");
		goto out;
	}
	if (r->started == 0)
		r->started = r->ended;
	*found = true;
	rc = RV_OK;
out:
	if (rc != RV_OK)
		memset(r, 0, sizeof(*r));
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(dir);
	return rc;
}

int lastrun_begin(int64_t started, struct err *e)
{
	char *dir = NULL, stamp[32], text[96];
	int dfd = open_state_dir(true, &dir, e), fd = -1;
	size_t len;

	if (dfd < 0)
		goto out;
	fd = openat(dfd, LASTRUN_RUNNING, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0 || !record_file_ok(fd, dir, LASTRUN_RUNNING, e) || flock(fd, LOCK_EX) != 0)
		goto fail;
	lastrun_stamp(started, stamp, sizeof(stamp));
	len = (size_t)snprintf(text, sizeof(text), "started=%s\npid=%ld\n", stamp, (long)getpid());
	if (pwrite(fd, text, len, 0) != (ssize_t)len || ftruncate(fd, (off_t)len) != 0 || fsync(fd) != 0)
		goto fail;
	goto out;
fail:
	if (e->code == RV_OK)
		err_set(e, RV_FAIL, "cannot mark this backup as running in %s/%s: %s; if it is killed, `revault status` "
			"will not know", dir, LASTRUN_RUNNING, strerror(errno));
	if (fd >= 0)
		close(fd);
	fd = -1;
out:
	if (dfd >= 0)
		close(dfd);
	free(dir);
	return fd;
}

void lastrun_done(int fd, bool recorded)
{
	if (fd < 0)
		return;
	if (recorded && ftruncate(fd, 0) == 0)
		fsync(fd);
	close(fd);
}

/* The mark: *started of a backup that began and wrote no record yet,
 * *running when it still holds the mark. *found false when none. */
static int read_mark(int64_t *started, bool *running, bool *found, struct err *e)
{
	char *dir = NULL, buf[128], *p;
	int dfd, fd = -1, rc = RV_OK;
	ssize_t n;

	*found = *running = false;
	dfd = open_state_dir(false, &dir, e);
	if (dfd < 0) {
		rc = e->code;
		goto out;
	}
	fd = openat(dfd, LASTRUN_RUNNING, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			rc = err_set(e, RV_FAIL, "cannot read %s/%s: %s; remove it", dir, LASTRUN_RUNNING, strerror(errno));
		goto out;
	}
	if (!record_file_ok(fd, dir, LASTRUN_RUNNING, e)) {
		rc = e->code;
		goto out;
	}
	if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
		/* Its backup holds it: under way. */
		*running = errno == EWOULDBLOCK;
		goto out;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	flock(fd, LOCK_UN);
	if (n <= 0)
		goto out; /* cleared: its record is written */
	buf[n] = '\0';
	*found = true;
	*started = 0;
	/* A mark cut short (the machine stopped as it was written) still says
	 * a backup began. */
	if (strncmp(buf, "started=", 8) == 0 && (p = strchr(buf, '\n')) != NULL) {
		*p = '\0';
		parse_stamp(buf + 8, started);
	}
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(dir);
	return rc;
}

int lastrun_read_last(struct lastrun *r, bool *found, bool *running, struct err *e)
{
	int64_t started = 0;
	bool marked;
	char stamp[32];

	*running = false;
	if (lastrun_read(LASTRUN_ATTEMPT, r, found, e) != RV_OK)
		return e->code;
	if (read_mark(&started, running, &marked, e) != RV_OK)
		return e->code;
	/* A run that wrote its record cleared its mark: one left is that of a
	 * run that never ended (the record is an earlier run's). */
	if (marked && (!*found || started == 0 || started >= r->started)) {
		memset(r, 0, sizeof(*r));
		snprintf(r->kind, sizeof(r->kind), "backup");
		r->started = r->ended = started;
		r->status = RV_FAIL;
		if (started != 0) {
			lastrun_stamp(started, stamp, sizeof(stamp));
			snprintf(r->message, sizeof(r->message), "the backup started at %s did not finish and left no record "
				 "(killed, the machine stopped, or the state folder full?): see the log", stamp);
		} else {
			snprintf(r->message, sizeof(r->message), "a backup did not finish and left no record (killed, the "
				 "machine stopped, or the state folder full?): see the log");
		}
		*found = true;
	}
	return RV_OK;
}

int lastrun_parse_age(const char *text, int64_t *seconds, struct err *e)
{
	static const struct {
		char unit;
		int64_t seconds;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 } };
	uint64_t n;
	char *end;
	int64_t mult = 0;

	errno = 0;
	n = text[0] >= '0' && text[0] <= '9' ? strtoull(text, &end, 10) : 0;
	if (text[0] >= '0' && text[0] <= '9' && errno == 0) {
		if (*end == '\0')
			mult = 1;
		for (size_t i = 0; i < ARRAY_LEN(units) && end[0] != '\0' && end[1] == '\0'; i++)
			if (end[0] == units[i].unit)
				mult = units[i].seconds;
	}
	/* Up to about 290 years fits the product; no one waits longer. */
	if (mult == 0 || n == 0 || n > (uint64_t)INT64_MAX / 604800 / 1000)
		return err_set(e, RV_USAGE, "--max-age takes a duration such as 26h, 90m, 2d or 3600 (seconds), not \"%s\"",
			       text);
	*seconds = (int64_t)n * mult;
	return RV_OK;
}

enum lastrun_health lastrun_health(const struct lastrun *attempt, bool have_attempt, int64_t now, int64_t max_age)
{
	if (!have_attempt)
		return LASTRUN_NONE;
	if (!lastrun_succeeded(attempt->status))
		return LASTRUN_FAILED;
	/* A minute of slack for a clock stepped by NTP. */
	if (attempt->ended > now + 60)
		return LASTRUN_FUTURE;
	if (max_age > 0 && now - attempt->ended > max_age)
		return LASTRUN_STALE;
	return attempt->status == RV_OK ? LASTRUN_OK : LASTRUN_WARNINGS;
}

int lastrun_exit_status(enum lastrun_health h)
{
	return h == LASTRUN_OK || h == LASTRUN_WARNINGS ? RV_OK : RV_FAIL;
}

const char *lastrun_health_name(enum lastrun_health h)
{
	static const char *const names[] = {
		[LASTRUN_OK] = "ok", [LASTRUN_WARNINGS] = "warnings", [LASTRUN_NONE] = "none",
		[LASTRUN_FAILED] = "failed", [LASTRUN_STALE] = "stale", [LASTRUN_UNREADABLE] = "unreadable",
		[LASTRUN_FUTURE] = "future",
	};

	return (size_t)h < ARRAY_LEN(names) ? names[h] : "?";
}
