/* job: the one way work gets done. A job (backup, restore, verify, list,
 * authenticate) moves through named states: connect, host key, authenticate,
 * prepare, transfer, commit, then done or failed. The work itself runs on
 * core's own threads (SFTP on one, archive + seal or open + extract on the
 * other); the front end calls job_step(), which waits a bounded time for
 * something to change and returns, so a screen stays alive and a command
 * line can simply loop. When the job needs a decision it parks in
 * JOB_WAITING with a question; job_answer() lets it go on. */
#ifndef REVAULT_CORE_JOB_H
#define REVAULT_CORE_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/settings.h"
#include "core/tarball.h"
#include "core/transport.h"
#include "core/units.h"
#include "core/url.h"

enum job_kind {
	JOB_BACKUP,
	JOB_RESTORE,
	JOB_VERIFY,
	JOB_LIST,
	JOB_AUTHENTICATE,
	JOB_LS,        /* the entries of a revision, verified as they are read */
};

enum job_state {
	JOB_NEW,
	JOB_CONNECT,
	JOB_HOSTKEY,
	JOB_AUTH,
	JOB_PREPARE,
	JOB_TRANSFER,
	JOB_COMMIT,
	JOB_WAITING,   /* parked on a question */
	JOB_DONE,
	JOB_FAILED,
	JOB_STATE_COUNT
};

enum job_question {
	JOB_Q_NONE,
	JOB_Q_HOSTKEY_NEW,      /* trust this server's key? (see job_hostkey) */
	JOB_Q_UNSIGNED,         /* restore a backup that is not protected? */
	JOB_Q_REPLACE,          /* replace these paths in place? (see job_targets) */
};

struct job_params {
	const char *settings_path;
	const struct settings *settings; /* must outlive the job */
	const char *revision;  /* restore, verify: a revision name or "latest" */
	const char *device;    /* list, restore, verify: another device's folder */
	const char *to_dir;    /* restore: under this directory instead of in place */
	bool ask_hostkey;      /* an unknown host becomes a question, not a refusal */
	bool devices;          /* list: also the device folders on the server (job_devices) */
	bool assume_yes;       /* answer JOB_Q_UNSIGNED and JOB_Q_REPLACE with yes */
	bool all_sources;      /* restore in place: the revision's sources that this
				* machine does not back up too (else they are skipped) */
	/* restore, ls: only these absolute paths (sources_normalise'd) and what
	 * lies under them (core/tarball.h, tarball_extract_opts.paths); a path
	 * not in the revision fails the job with RV_USAGE naming it. */
	char *const *paths;
	size_t npaths;
	/* ls: each entry once it passed the archive rules, called on core's
	 * archive thread while the revision is read (nothing is kept); after
	 * a later integrity failure the entries already given are from a
	 * revision that did not verify. */
	void (*entry)(void *arg, const struct tarball_entry *en);
	void *entry_arg;
	/* Log lines (transitions at debug level, warnings, the summary). */
	void (*log)(void *arg, int priority, const char *msg);
	void *log_arg;
};

struct job_progress {
	enum job_state state;
	const char *phase;        /* a word for the screen: "connecting", "uploading" ... */
	uint64_t bytes_done;      /* file data archived (backup) or downloaded (restore) */
	uint64_t bytes_total;     /* 0 when not known */
	uint64_t files_done;
	uint64_t files_total;
	uint64_t wire_bytes;      /* bytes sent or received over SFTP */
	uint64_t skipped;         /* unreadable or refused entries */
	/* How fast it goes, decided here for every front end (core/meter.h). */
	double rate;              /* bytes per second, smoothed */
	double eta;               /* seconds, < 0 when unknown */
	int percent;              /* of bytes_total, < 0 when that is not known */
	bool stalled;             /* no progress for a while: say so instead of an ETA */
	/* The same numbers written for people (core/units.h). */
	char done_text[UNITS_MAX];   /* bytes_done: "1.5 MiB" */
	char total_text[UNITS_MAX];  /* bytes_total, "" when not known */
	char rate_text[UNITS_MAX];   /* "1.5 MiB/s" */
	char eta_text[UNITS_MAX];    /* "02:03", "--:--" when unknown */
	char current[256];        /* the file being worked on */
};

/* Why a job failed, for a front end to switch on (the message says the
 * same in words). */
enum job_verdict {
	JOB_VERDICT_NONE,            /* not failed, or failed for another reason */
	JOB_VERDICT_HOSTKEY_UNKNOWN, /* the server's key is not trusted, and no one was asked */
	JOB_VERDICT_HOSTKEY_CHANGED, /* the server's key is not the one trusted */
	JOB_VERDICT_HOSTKEY_TYPE,    /* the server offers no key of the trusted type, or
				      * none that can be checked (only RSA) */
	JOB_VERDICT_HOSTKEY_REFUSED, /* the operator did not trust the new key */
	JOB_VERDICT_CANCELLED,       /* job_cancel() stopped it before it changed anything,
				      * or the operator answered No to its question (replace
				      * in place, an unprotected revision): nothing changed;
				      * a cancel that comes too late leaves the job JOB_DONE */
};

/* A revision on the server, as `list` reports it. */
struct revision {
	char *name;        /* 20261124T101500Z */
	char *file;        /* its file name */
	uint64_t size;
	int64_t mtime;
	bool protected_;   /* a revault container (else a plain .tar.zst) */
	bool header_ok;    /* protected and the header parsed */
	char key_id[17];   /* from the header */
	bool key_match;    /* the header's key id is ours */
	char device[256];  /* from the header */
};

struct job;

struct job *job_new(enum job_kind kind, const struct job_params *p);
void job_free(struct job *j);

/* Starts the job on first call; then waits up to timeout_ms for a change
 * and returns the current state. */
enum job_state job_step(struct job *j, int timeout_ms);
/* A file descriptor that becomes readable when the job changes (for poll);
 * job_step() drains it. */
int job_fd(const struct job *j);
void job_cancel(struct job *j);

enum job_question job_question(const struct job *j);
void job_answer(struct job *j, bool yes);
/* The server's host key (valid from JOB_HOSTKEY on). */
const struct hostkey *job_hostkey(const struct job *j);
/* The server the job talks to, from the settings' URL (valid from
 * JOB_CONNECT on, so while a host key question is asked). */
const struct sftp_url *job_server(const struct job *j);
/* For JOB_Q_REPLACE: the paths a restore would replace. */
size_t job_targets(const struct job *j, const char ***targets);

void job_progress(struct job *j, struct job_progress *out);
/* The outcome once JOB_DONE or JOB_FAILED: an exit status, and e with the
 * message on failure. */
int job_result(const struct job *j, struct err *e);
/* Once JOB_FAILED: what kind of failure, where a front end shows one
 * differently (a changed host key as a warning with no way to accept it). */
enum job_verdict job_verdict(const struct job *j);
/* One line for the operator: what was done. */
const char *job_summary(const struct job *j);
/* JOB_LIST: the revisions, newest first. */
size_t job_revisions(const struct job *j, const struct revision **out);
/* JOB_LIST with params.devices: the folders in server.url's directory,
 * each a device's (hidden ones left out), sorted by name, and how many.
 * *out is NULL when they were not asked for, or the server refused to list
 * that directory (the revisions are listed all the same). */
size_t job_devices(const struct job *j, char *const **out);
/* The server path used, "dir/device". */
const char *job_remote_dir(const struct job *j);

const char *job_state_name(enum job_state s);
bool job_finished(enum job_state s);

/* Revision names: the UTC time of the backup, 20261124T101500Z, maybe with
 * "-N" when two backups fall in the same second. */
#define REVISION_EXT_PROTECTED ".revault"
#define REVISION_EXT_PLAIN ".tar.zst"
bool revision_parse_file(const char *file, char *name, size_t cap, bool *protected_);

#endif
