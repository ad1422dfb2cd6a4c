/* job_int: what the files of the job share, and nothing a front end sees.
 * core/job.c is the machine (states, set_state, ask, fail, the worker, the
 * public API); core/revisions.c names, lists and orders revisions (and is
 * the list job); core/job_backup.c and core/job_restore.c are the backup
 * and the restore/verify pipelines. Each kind is one `const struct
 * job_ops`, as curl has one protocol table per protocol on one set_state.
 * docs/ARCHITECTURE.md draws the threads and the states per kind. */
#ifndef REVAULT_CORE_JOB_INT_H
#define REVAULT_CORE_JOB_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/container.h"
#include "core/job.h"
#include "core/keystore.h"
#include "core/meter.h"
#include "core/queue.h"
#include "core/tarball.h"
#include "core/transport.h"
#include "core/url.h"

/* Queue between the SFTP thread and the archive thread: six buffers of
 * 512 KiB (the restore's peak memory is measured against this:
 * docs/PERFORMANCE.md). */
#define JOB_QUEUE_BUFS 6
#define JOB_QUEUE_BUF_SIZE (512 * 1024)

/* What a job kind is: its words for the screen, what it needs before it
 * connects, and its three steps after the login. A step does its work and
 * ends with job_set_state() to the next state, or job_fail(). */
struct job_ops {
	const char *name;            /* "backup" */
	const char *prepare_phase;   /* "scanning" */
	const char *transfer_phase;  /* "uploading" */
	const char *commit_phase;    /* "committing" */
	/* Takes the machine-wide lock in the state folder and finishes a
	 * restore that a killed run left half swapped, before anything else. */
	bool needs_lock;
	/* Logs in after the host key (false: the job ends once the host key
	 * is known and trusted, as `authenticate` does). */
	bool logs_in;
	/* Progress counts file data read from disk (else bytes fetched). */
	bool progress_from_disk;
	/* Checks of its own before connecting (sources, keys, --to DIR). */
	void (*start)(struct job *j);
	void (*prepare)(struct job *j);
	void (*transfer)(struct job *j);
	void (*commit)(struct job *j);
	/* After a failure: leave nothing behind (a temporary on the server, a
	 * staging directory on disk). */
	void (*cleanup)(struct job *j);
	/* As it finishes, done or failed, before the front end can see it
	 * has (j->final_status holds the outcome): keeps a record of the run
	 * (the backup's last-run record in the state folder) and runs the
	 * backup's after hook. */
	void (*record)(struct job *j);
};

extern const struct job_ops job_backup_ops;
extern const struct job_ops job_restore_ops;
extern const struct job_ops job_verify_ops;
extern const struct job_ops job_list_ops;
extern const struct job_ops job_authenticate_ops;
extern const struct job_ops job_ls_ops;

/* Who writes what. "front end": job_new/job_answer/job_cancel on the
 * caller's thread; "worker": the job's own thread, which runs every
 * state; "side": the archive thread of a backup, restore or verify (it
 * runs only between the worker's pthread_create and pthread_join, so the
 * worker reads its results after the join without a lock). Fields marked
 * "lock" are read and written under j->lock only. */
struct job {
	enum job_kind kind;              /* front end, at job_new */
	const struct job_ops *ops;       /* front end, at job_new */
	struct job_params p;             /* front end, at job_new */

	pthread_t worker, side;
	bool started, side_started;      /* started: front end; side_started: worker */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int evfd[2];                     /* worker writes, front end drains */

	enum job_state state;            /* lock (written by the worker only) */
	const char *phase;               /* lock */
	enum job_question question;      /* lock */
	bool answered, answer;           /* lock (front end) */
	atomic_bool cancel;              /* front end sets; everyone reads */
	struct err err;                  /* worker */
	enum job_verdict verdict;        /* worker */
	int result;                      /* worker: the exit status; RV_INCOMPLETE when done with warnings */
	char summary[512];               /* worker; read once finished */
	int64_t started_at;              /* worker: when it started, seconds since the epoch */
	bool recorded;                   /* worker: record() has run */
	int final_status;                /* worker: the exit status it ends with, for record() */

	/* connection: worker */
	struct sftp_url url;
	char *password, *passphrase;
	struct transport *t;             /* lock when set or cleared: job_cancel reads it */
	struct bwlimit *bwlimit;         /* backup.bandwidth, or NULL: no cap */
	struct hostkey hostkey;
	char *device, *remote_dir;
	struct master_key key;
	bool have_key;
	int lockfd;                      /* worker: held from st_new until the worker ends, -1 after */
	bool lock_busy;                  /* worker: refused, another backup or restore held the lock */

	/* progress */
	struct tarball_progress tp;      /* side (atomic counters) */
	_Atomic uint64_t wire;           /* worker */
	/* A backup's upload: bytes the archive side made (job_queue_sink)
	 * and bytes the server acknowledged (remote_count_acked); their
	 * ratio turns the data read from disk into the data stored. */
	_Atomic uint64_t produced;       /* side */
	_Atomic uint64_t acked;          /* worker */
	uint64_t bytes_total, files_total; /* worker, before the transfer */
	struct meter meter;              /* front end (job_progress) */

	/* list, restore, verify: worker */
	struct revision *revs;
	size_t nrevs;
	struct revision *chosen;
	bool header_checked;
	char **devices;                  /* list with params.devices */
	size_t ndevices;

	/* backup */
	struct tarball_file_id *never;   /* worker, before the side starts */
	size_t nnever;
	char *rev_name, *tmp_path, *final_path; /* worker */
	struct remote_file *rf;          /* worker */
	struct queue *q;                 /* worker creates; both threads use it */
	struct err side_err;             /* side */
	unsigned pruned, kept;           /* worker */
	unsigned prune_failed;           /* worker: revisions that could not be removed */
	bool hooks_refused;              /* worker: the settings file failed hooks_check_file */
	int runfd;                       /* worker: the LASTRUN_RUNNING mark held, -1 when none */

	/* restore */
	struct opener *opener;           /* worker */
	struct qbuf *fill;               /* worker: the buffer being filled with plaintext */
	struct qbuf *held;               /* side */
	bool in_eof;                     /* side */
	struct tarball_stage *stage;     /* side makes it; worker after the join */
	char *journal;                   /* worker, at the start */
	char **keep;                     /* worker: the machine's secrets, carried through an in-place swap */
	size_t nkeep;
	struct tarball_protect *protect; /* worker: places the restore never replaces */
	size_t nprotect;
};

void job_log(struct job *j, int prio, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Records the failure (the first one wins); returns its code. */
int job_fail(struct job *j, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The only way the state changes. */
void job_set_state(struct job *j, enum job_state s);
/* Parks the job on a question until the front end answers; false on no or
 * on cancel. */
bool job_ask(struct job *j, enum job_question q);
/* True when the front end cancelled, and then records the failure. */
bool job_stop_if_cancelled(struct job *j);
/* A tarball warn callback: a warning line for the log (and stderr). */
void job_warn(void *job, const char *msg);
/* Loads the master key beside the settings; required: a missing one fails. */
int job_load_key(struct job *j, bool required);
/* "dir/name" on the server. */
char *job_join(const char *dir, const char *name);
/* The machine's secret files (resolved paths), allocated, in *out. */
size_t job_secret_files(const struct job *j, char ***out);
void job_free_strings(char **v, size_t n);
/* Copies bytes into the queue's buffers, pushing each one when full (the
 * sink of a sealer, or of an opener on the SFTP thread). */
/* How long (seconds) the thread of the connection waits for the other
 * thread between two looks at its connection (transport_idle). */
#define JOB_KEEP_BUSY_WAIT 0.25

struct job_qwriter {
	struct job *j;
	struct qbuf *cur;
	/* The writer is the thread of the connection: while it waits for a
	 * free buffer, it keeps the connection busy (transport_idle). */
	bool keep_busy;
};
int job_queue_sink(void *arg, const uint8_t *buf, size_t len, struct err *e);

/* revisions.c */
/* Reads the revisions in the device folder into j->revs, newest first;
 * with headers, also each protected one's plain header. A device folder
 * that is not there (no backup of the device yet) holds none: RV_OK, and
 * j->nrevs is 0; any other listing failure fails the job. */
int revisions_load(struct job *j, bool headers);
void revisions_free(struct revision *v, size_t n);
/* Newest first: by the second in the name, then by the "-N" suffix. */
void revisions_sort(struct revision *v, size_t n);
/* For a backup: revisions_load without headers from the one listing of
 * the device folder a backup makes, which also removes the hidden
 * temporaries a failed run left a day ago or more. *missing is set when
 * the folder is not there yet (RV_OK, no revisions). */
int revisions_load_for_backup(struct job *j, bool *missing);
/* Adds the revision a backup just stored (its name, file name, size in
 * bytes, and whether it is protected) to j->revs, in order, so that
 * pruning needs no second listing. */
void revisions_add(struct job *j, const char *name, const char *file, uint64_t size, bool protected_);
/* The name for a new revision made in the second stamp (20261124T101500Z):
 * stamp itself, or stamp-N with N above every suffix of that second on the
 * server, so a name is never given twice (rename never overwrites) and a
 * later backup never sorts before an earlier one, even after the earlier
 * ones of that second were pruned. Allocated. */
char *revisions_next_name(const char *stamp, const struct revision *revs, size_t n);
/* Picks j->p.revision (or "latest") into j->chosen; RV_USAGE when absent,
 * or when the device has no revision at all ("nothing to restore"). */
int revisions_choose(struct job *j);

#endif
