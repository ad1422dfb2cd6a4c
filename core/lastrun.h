/* lastrun: the record of the last backups, kept in the state folder
 * (core/paths.h) for `revault status`, the console's `show backup status`
 * and the text interface's "Last backup". Two records: the last attempt
 * (`last-backup`) and the last one that stored a revision
 * (`last-backup-ok`), each written whole (temporary, fsync, rename) by the
 * job itself, so every front end and the timer leave the same trace. An
 * operator's cancel writes neither (core/job_backup.c backup_record).
 * The layout is in docs/OPERATOR.md, "Monitoring". */
#ifndef REVAULT_CORE_LASTRUN_H
#define REVAULT_CORE_LASTRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define LASTRUN_ATTEMPT "last-backup"
#define LASTRUN_SUCCESS "last-backup-ok"
/* The mark of a backup under way: its start time, cleared once its record
 * is written, so a run killed part-way (or one whose record could not be
 * written) is not hidden behind the record of the one before. */
#define LASTRUN_RUNNING "last-backup-running"

struct lastrun {
	char kind[16];        /* the job kind: "backup" */
	int64_t started;      /* seconds since the epoch (UTC) */
	int64_t ended;        /* seconds since the epoch (UTC) */
	int status;           /* its exit status (README.md "Exit status"): 0, or 6 stored with warnings */
	char revision[64];    /* the revision stored, "" when none */
	uint64_t bytes;       /* file data read from the sources, bytes */
	uint64_t wire_bytes;  /* bytes sent to the server */
	uint64_t files;       /* entries archived */
	uint64_t warnings;    /* entries skipped or changed while read, revisions not pruned */
	char message[1024];   /* the one line it ended with (summary or error) */
};

/* True for the statuses that stored a revision (0 and 6). */
bool lastrun_succeeded(int status);

/* Writes r as the record `name` (LASTRUN_ATTEMPT or LASTRUN_SUCCESS) in the
 * state folder, mode 0600: under a temporary name opened beside it with
 * O_EXCL | O_NOFOLLOW in the folder's open descriptor, fsynced, renamed
 * over the old one, so a reader sees the old record or the new, whole.
 * RV_FAIL with e set when it cannot be written. */
int lastrun_write(const char *name, const struct lastrun *r, struct err *e);

/* Reads the record `name`. RV_OK with r filled; *found false (and RV_OK)
 * when there is none yet; RV_FAIL with e naming the file and the line
 * when it is unreadable or malformed (a symlink in its place is refused). */
int lastrun_read(const char *name, struct lastrun *r, bool *found, struct err *e);

/* The last attempt as `revault status`, the console and the screen judge
 * it: the record LASTRUN_ATTEMPT, unless the mark LASTRUN_RUNNING says a
 * later backup started and never wrote one (killed, the machine stopped,
 * the state folder full), in which case r is that run, failed (status 1,
 * started = ended = its start, the message saying so). *running is true
 * while a backup holds the mark (it is under way); r is then the attempt
 * before it. Errors as lastrun_read's. */
int lastrun_read_last(struct lastrun *r, bool *found, bool *running, struct err *e);

/* Marks a backup as started at `started` (seconds since the epoch) in
 * LASTRUN_RUNNING, mode 0600, and holds the mark (flock(2), exclusive)
 * until lastrun_done. Called by the backup that holds the state folder's
 * lock. Returns the descriptor, or -1 with e set when the mark cannot be
 * written (the backup goes on; it warns). */
int lastrun_begin(int64_t started, struct err *e);

/* Ends the mark fd from lastrun_begin (-1: none): cleared when recorded
 * (the run's record is written), else left for lastrun_read_last to report
 * the run as failed. Closes fd. */
void lastrun_done(int fd, bool recorded);

/* "2026-11-30T16:33:04Z" (ISO 8601, UTC) into buf (at least 21 bytes). */
void lastrun_stamp(int64_t t, char *buf, size_t cap);

/* Parses a duration for --max-age: a whole number followed by s, m, h, d
 * or w (seconds, minutes, hours, days, weeks; a bare number is seconds),
 * as systemd.time(7) spells the common ones; "26h". RV_USAGE with e
 * saying what is accepted. *seconds is > 0. */
int lastrun_parse_age(const char *text, int64_t *seconds, struct err *e);

/* The health of the backups, one decision for `revault status`, the
 * console and the screen. */
enum lastrun_health {
	LASTRUN_OK,          /* the last backup stored a revision with no warning */
	LASTRUN_WARNINGS,    /* it stored one with warnings (exit 6) */
	LASTRUN_NONE,        /* no backup is on record */
	LASTRUN_FAILED,      /* the last backup failed */
	LASTRUN_STALE,       /* it succeeded, but longer ago than max_age */
	LASTRUN_UNREADABLE,  /* a record cannot be read */
	LASTRUN_FUTURE,      /* the record ended later than now: the clock is wrong, or the record is */
};

/* Judges the last attempt (have_attempt false: none) at time now (seconds
 * since the epoch); max_age in seconds, 0 for no limit. */
enum lastrun_health lastrun_health(const struct lastrun *attempt, bool have_attempt, int64_t now,
				   int64_t max_age);
/* `revault status`'s exit status for a health: 0 for LASTRUN_OK and
 * LASTRUN_WARNINGS, else RV_FAIL (1) (docs/OPERATOR.md, "Monitoring"). */
int lastrun_exit_status(enum lastrun_health h);
/* A word for each: "ok", "warnings", "none", "failed", "stale", "unreadable",
 * "future". */
const char *lastrun_health_name(enum lastrun_health h);

#endif
