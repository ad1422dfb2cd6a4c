/* job: the state machine behind every front end. One function per state;
 * job_set_state() is the only way to change state and logs "[old] -> [new]"
 * from a name table. Each job kind is a table of operations (core/job_int.h):
 * the machine connects, checks the host key and logs in the same way for
 * all, then runs the kind's prepare, transfer and commit. The SFTP side
 * runs on the job's worker thread; the archive side (tar + zstd + seal for
 * a backup, open + unzstd + extract for a restore) on a second thread,
 * the two joined by a bounded queue. */
#include "core/job_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/bwlimit.h"
#include "core/container.h"
#include "core/keystore.h"
#include "core/lastrun.h"
#include "core/paths.h"
#include "core/queue.h"
#include "core/secret.h"
#include "core/tarball.h"
#include "core/units.h"
#include "core/util.h"

static const char *const state_names[] = {
	[JOB_NEW] = "new",
	[JOB_CONNECT] = "connect",
	[JOB_HOSTKEY] = "hostkey",
	[JOB_AUTH] = "authenticate",
	[JOB_PREPARE] = "prepare",
	[JOB_TRANSFER] = "transfer",
	[JOB_COMMIT] = "commit",
	[JOB_WAITING] = "waiting",
	[JOB_DONE] = "done",
	[JOB_FAILED] = "failed",
};
_Static_assert(ARRAY_LEN(state_names) == JOB_STATE_COUNT, "a name for every job state");

const char *job_state_name(enum job_state s)
{
	return (size_t)s < ARRAY_LEN(state_names) ? state_names[s] : "?";
}

bool job_finished(enum job_state s)
{
	return s == JOB_DONE || s == JOB_FAILED;
}


static const struct job_ops *const kind_ops[] = {
	[JOB_BACKUP] = &job_backup_ops,
	[JOB_RESTORE] = &job_restore_ops,
	[JOB_VERIFY] = &job_verify_ops,
	[JOB_LIST] = &job_list_ops,
	[JOB_AUTHENTICATE] = &job_authenticate_ops,
	[JOB_LS] = &job_ls_ops,
};
_Static_assert(ARRAY_LEN(kind_ops) == JOB_LS + 1, "operations for every job kind");

void job_log(struct job *j, int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (j->p.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	j->p.log(j->p.log_arg, prio, msg);
}

static void notify(struct job *j)
{
	char c = 1;

	(void)!write(j->evfd[1], &c, 1);
}

static const char *phase_for(const struct job *j, enum job_state s)
{
	switch (s) {
	case JOB_NEW: return "starting";
	case JOB_CONNECT: return "connecting";
	case JOB_HOSTKEY: return "checking the host key";
	case JOB_AUTH: return "logging in";
	case JOB_PREPARE: return j->ops->prepare_phase;
	case JOB_TRANSFER: return j->ops->transfer_phase;
	case JOB_COMMIT: return j->ops->commit_phase;
	case JOB_WAITING: return "waiting for an answer";
	case JOB_DONE: return "done";
	case JOB_FAILED: return j->verdict == JOB_VERDICT_CANCELLED ? "cancelled" : "failed";
	default: return "?";
	}
}

/* The exit status of a job that ends in state s. */
static int status_for(const struct job *j, enum job_state s)
{
	if (s == JOB_DONE)
		return j->result == RV_INCOMPLETE ? RV_INCOMPLETE : RV_OK;
	return j->result ? j->result : RV_FAIL;
}

void job_set_state(struct job *j, enum job_state s)
{
	unsigned again = s == JOB_DONE && j->t != NULL ? transport_reconnects(j->t) : 0;

	/* A transfer that went on over a new connection says so. */
	if (again > 0 && j->summary[0] != '\0') {
		size_t n = strlen(j->summary);

		snprintf(j->summary + n, sizeof(j->summary) - n, " (after %u reconnect%s)", again,
			 again == 1 ? "" : "s");
	}
	/* The last words of a run, its record (and a backup's after hook),
	 * are said before a front end can see that it ended: one that frees
	 * a finished job cancels whatever still runs. */
	if (job_finished(s) && !j->recorded && j->ops->record != NULL) {
		j->recorded = true;
		j->final_status = status_for(j, s);
		j->ops->record(j);
	}
	pthread_mutex_lock(&j->lock);
	if (j->state != s)
		job_log(j, LOG_DEBUG, "[%s] -> [%s]", job_state_name(j->state), job_state_name(s));
	j->state = s;
	j->phase = phase_for(j, s);
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	notify(j);
}

bool job_ask(struct job *j, enum job_question q)
{
	enum job_state prev = j->state;
	bool yes;

	pthread_mutex_lock(&j->lock);
	j->question = q;
	j->answered = false;
	pthread_mutex_unlock(&j->lock);
	job_set_state(j, JOB_WAITING);
	pthread_mutex_lock(&j->lock);
	while (!j->answered && !atomic_load(&j->cancel))
		pthread_cond_wait(&j->cond, &j->lock);
	yes = j->answered && j->answer;
	j->question = JOB_Q_NONE;
	pthread_mutex_unlock(&j->lock);
	job_set_state(j, prev);
	return yes;
}

int job_fail(struct job *j, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(&j->err, code, fmt, ap);
	va_end(ap);
	return j->err.code;
}

bool job_stop_if_cancelled(struct job *j)
{
	if (!atomic_load(&j->cancel))
		return false;
	job_fail(j, RV_FAIL, "cancelled: nothing was changed");
	return true;
}

char *job_join(const char *dir, const char *name)
{
	return xasprintf("%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", name);
}

int job_load_key(struct job *j, bool required)
{
	char *path = paths_beside(j->p.settings_path, PATHS_MASTER_KEY);
	struct err e = { 0 };
	int rc = RV_OK;

	if (!keystore_exists(path)) {
		if (required)
			rc = job_fail(j, RV_USAGE, "no master key at %s: run `revault key generate` (new machine) or `revault key import` (restoring another machine's backups)%s",
				  path, j->ops == &job_backup_ops ? ", or turn protection off (`revault set security.protected off`)" : "");
	} else if (keystore_load(path, &j->key, &e) != RV_OK) {
		rc = job_fail(j, e.code, "%s", e.msg);
	} else {
		j->have_key = true;
	}
	free(path);
	return rc;
}

void job_warn(void *arg, const char *msg)
{
	job_log(arg, LOG_WARNING, "%s", msg);
}

static int take_lock(struct job *j)
{
	struct err e = { 0 };
	char *path = paths_state_file("lock", &e);
	int rc = RV_OK;

	if (path == NULL)
		return job_fail(j, e.code, "%s", e.msg);
	j->lockfd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (j->lockfd < 0)
		rc = job_fail(j, RV_FAIL, "cannot open the lock file %s: %s", path, strerror(errno));
	else if (flock(j->lockfd, LOCK_EX | LOCK_NB) != 0) {
		j->lock_busy = true;
		rc = job_fail(j, RV_FAIL, "another revault backup or restore is running (lock %s held): try again when it is done",
			  path);
	}
	free(path);
	return rc;
}

static void release_lock(struct job *j)
{
	if (j->lockfd >= 0) {
		close(j->lockfd);
		j->lockfd = -1;
	}
}

static char *local_device(void)
{
	char host[256] = "";

	if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
		return xstrdup("localhost");
	host[strcspn(host, ".")] = '\0';
	return xstrdup(host);
}

/* The machine's secrets: the files beside the settings whose names start
 * with these (master.key, secret.key, and what rotating or writing them
 * leaves: master.key.old-..., master.key.tmp-...). Never backed up, and
 * carried through an in-place restore of their folder. */
static const char *const machine_secrets[] = { PATHS_MASTER_KEY, PATHS_SECRET_KEY };

static bool is_secret_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(machine_secrets); i++)
		if (str_has_prefix(name, machine_secrets[i]))
			return true;
	return false;
}

/* The paths of the machine's secret files (resolved, so they compare with
 * a source's path), allocated, in *out. */
size_t job_secret_files(const struct job *j, char ***out)
{
	char *real = realpath(j->p.settings_path, NULL), *slash;
	char **v = NULL;
	size_t n = 0;
	DIR *d;
	struct dirent *ent;

	*out = NULL;
	if (real == NULL || (slash = strrchr(real, '/')) == NULL) {
		free(real);
		return 0;
	}
	*slash = '\0';
	d = opendir(real[0] != '\0' ? real : "/");
	while (d != NULL && (ent = readdir(d)) != NULL) {
		if (!is_secret_name(ent->d_name))
			continue;
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = xasprintf("%s/%s", real, ent->d_name);
	}
	if (d != NULL)
		closedir(d);
	free(real);
	*out = v;
	return n;
}

void job_free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int job_queue_sink(void *arg, const uint8_t *buf, size_t len, struct err *e)
{
	struct job_qwriter *w = arg;

	atomic_fetch_add(&w->j->produced, len);
	while (len > 0) {
		size_t n;

		bool waiting = true;

		while (w->cur == NULL && waiting) {
			w->cur = queue_get_free_wait(w->j->q, w->keep_busy ? JOB_KEEP_BUSY_WAIT : -1, &waiting);
			if (w->cur == NULL && waiting)
				transport_idle(w->j->t);
		}
		if (w->cur == NULL)
			return err_set(e, RV_FAIL, "stopped"), -1;
		n = w->cur->cap - w->cur->len < len ? w->cur->cap - w->cur->len : len;
		memcpy(w->cur->data + w->cur->len, buf, n);
		w->cur->len += n;
		buf += n;
		len -= n;
		if (w->cur->len == w->cur->cap) {
			queue_push(w->j->q, w->cur);
			w->cur = NULL;
		}
	}
	return 0;
}

static void st_new(struct job *j)
{
	const struct settings *s = j->p.settings;
	struct err e = { 0 };

	if (j->ops->needs_lock) {
		bool recovered;

		/* A restore killed during its swap is finished first, before the
		 * settings are needed (they may have been inside the swapped
		 * tree): a backup must not store a half-swapped tree, a restore
		 * not start on one. The lock and the journal are in the state
		 * folder, which no restore replaces. */
		if (take_lock(j) != RV_OK)
			return;
		j->journal = paths_state_file("restore.journal", &e);
		if (j->journal == NULL || tarball_recover(j->journal, &recovered, job_warn, j, &e) != RV_OK) {
			job_fail(j, e.code, "%s", e.msg);
			return;
		}
		if (recovered && s->server.url == NULL) {
			job_fail(j, RV_FAIL, "finished a restore that was interrupted during its last step; it held the settings: run the command again");
			return;
		}
		if (recovered)
			job_log(j, LOG_WARNING, "finished a restore that was interrupted during its last step");
	}
	if (s->server.url == NULL) {
		job_fail(j, RV_USAGE, "no server set: run `revault set server.url sftp://host/dir`");
		return;
	}
	if (url_parse(s->server.url, &j->url, &e) != RV_OK) {
		job_fail(j, e.code, "%s", e.msg);
		return;
	}
	if (j->ops->start != NULL) {
		j->ops->start(j);
		if (j->err.code != RV_OK)
			return;
	}
	if (j->ops->logs_in && s->server.auth == AUTH_PASSWORD && s->server.password != NULL) {
		j->password = secret_open(j->p.settings_path, "server.password", s->server.password, &e);
		if (j->password == NULL) {
			job_fail(j, e.code, "%s", e.msg);
			return;
		}
	}
	if (j->ops->logs_in && s->server.auth == AUTH_PUBLICKEY && s->server.identity_passphrase != NULL) {
		j->passphrase = secret_open(j->p.settings_path, "server.identity_passphrase",
					    s->server.identity_passphrase, &e);
		if (j->passphrase == NULL) {
			job_fail(j, e.code, "%s", e.msg);
			return;
		}
	}
	j->device = xstrdup(j->p.device != NULL ? j->p.device : s->backup.device != NULL ? s->backup.device : "");
	if (j->device[0] == '\0') {
		free(j->device);
		j->device = local_device();
	}
	if (strchr(j->device, '/') != NULL || strcmp(j->device, "..") == 0 || strcmp(j->device, ".") == 0) {
		job_fail(j, RV_USAGE, "\"%s\" is not a device name", j->device);
		return;
	}
	j->remote_dir = job_join(j->url.dir, j->device);
	job_set_state(j, JOB_CONNECT);
}

static void st_connect(struct job *j)
{
	const struct settings *s = j->p.settings;
	struct transport_config c = {
		.url = &j->url,
		.username = s->server.username,
		.auth = s->server.auth,
		.password = j->password,
		.identity = s->server.identity,
		.identity_passphrase = j->passphrase,
		.connect_timeout = s->server.connect_timeout,
		.timeout = s->server.timeout,
		.known = s->known_hosts,
		.nknown = s->nknown_hosts,
		.warn = job_warn,
		.warn_arg = j,
		.retries = s->server.retries,
		.channels = s->server.channels,
		.cancel = &j->cancel,
	};
	struct err e = { 0 };
	struct bwlimit_table cap;
	struct transport *t;

	/* Checked when the settings were read; a cap that is off costs nothing. */
	if (bwlimit_parse(s->backup.bandwidth, &cap, &e) != RV_OK) {
		job_fail(j, e.code, "%s", e.msg);
		return;
	}
	if (j->bwlimit == NULL && !bwlimit_is_off(&cap)) {
		struct bwlimit *b = bwlimit_new(&cap, NULL);

		/* job_cancel reads it under the lock to stop a capped transfer. */
		pthread_mutex_lock(&j->lock);
		j->bwlimit = b;
		pthread_mutex_unlock(&j->lock);
	}
	c.bwlimit = j->bwlimit;
	t = transport_new(&c);

	/* job_cancel reads j->t under the lock to interrupt a blocked connect. */
	pthread_mutex_lock(&j->lock);
	j->t = t;
	pthread_mutex_unlock(&j->lock);
	if (transport_connect(t, &e) != RV_OK) {
		/* The handshake fails with RV_HOSTKEY only over the key's type. */
		if (e.code == RV_HOSTKEY)
			j->verdict = JOB_VERDICT_HOSTKEY_TYPE;
		job_fail(j, e.code, "%s", e.msg);
		return;
	}
	j->hostkey = *transport_hostkey(j->t);
	job_set_state(j, JOB_HOSTKEY);
}

static void st_hostkey(struct job *j)
{
	const struct settings *s = j->p.settings;
	struct err e = { 0 };
	char where[URL_HOSTPORT_MAX];

	/* Always with its port, IPv6 in brackets: [::1]:22. */
	url_format_hostport(j->url.host, j->url.port, 0, where, sizeof(where));

	switch (transport_check_hostkey(j->t, s->known_hosts, s->nknown_hosts, &e)) {
	case HOSTKEY_MATCH:
		if (!j->ops->logs_in) {
			snprintf(j->summary, sizeof(j->summary), "%s is already trusted (%s %s)", where, j->hostkey.type,
				 j->hostkey.sha256);
			job_set_state(j, JOB_DONE);
			return;
		}
		job_set_state(j, JOB_AUTH);
		return;
	case HOSTKEY_UNKNOWN:
		if (!j->p.ask_hostkey) {
			j->verdict = JOB_VERDICT_HOSTKEY_UNKNOWN;
			job_fail(j, RV_HOSTKEY, "%s", e.msg);
			return;
		}
		if (!job_ask(j, JOB_Q_HOSTKEY_NEW)) {
			if (!job_stop_if_cancelled(j)) {
				j->verdict = JOB_VERDICT_HOSTKEY_REFUSED;
				job_fail(j, RV_HOSTKEY, "host key of %s not accepted: nothing was sent to the server", where);
			}
			return;
		}
		job_log(j, LOG_NOTICE, "trusted %s %s %s", where, j->hostkey.type, j->hostkey.sha256);
		if (!j->ops->logs_in) {
			snprintf(j->summary, sizeof(j->summary), "%s trusted: %s %s", where, j->hostkey.type,
				 j->hostkey.sha256);
			job_set_state(j, JOB_DONE);
			return;
		}
		job_set_state(j, JOB_AUTH);
		return;
	case HOSTKEY_CHANGED:
	default:
		j->verdict = JOB_VERDICT_HOSTKEY_CHANGED;
		job_fail(j, RV_HOSTKEY, "%s", e.msg);
		return;
	}
}

static void st_auth(struct job *j)
{
	struct err e = { 0 };

	if (transport_auth(j->t, &e) != RV_OK || transport_sftp(j->t, &e) != RV_OK) {
		job_fail(j, e.code, "%s", e.msg);
		return;
	}
	job_set_state(j, JOB_PREPARE);
}

static void st_prepare(struct job *j)
{
	j->ops->prepare(j);
}

static void st_transfer(struct job *j)
{
	j->ops->transfer(j);
}

static void st_commit(struct job *j)
{
	j->ops->commit(j);
}

/* ---- the worker ---- */

typedef void (*state_fn)(struct job *j);

static const state_fn state_fns[] = {
	[JOB_NEW] = st_new,
	[JOB_CONNECT] = st_connect,
	[JOB_HOSTKEY] = st_hostkey,
	[JOB_AUTH] = st_auth,
	[JOB_PREPARE] = st_prepare,
	[JOB_TRANSFER] = st_transfer,
	[JOB_COMMIT] = st_commit,
};

/* Leaves nothing behind on failure: the kind's own leftovers, then an
 * open remote file. */
static void cleanup_failed(struct job *j)
{
	if (j->ops->cleanup != NULL)
		j->ops->cleanup(j);
	if (j->rf != NULL) {
		remote_close(j->rf);
		j->rf = NULL;
	}
}

static void *worker(void *arg)
{
	struct job *j = arg;

	j->started_at = (int64_t)time(NULL);
	while (!job_finished(j->state)) {
		enum job_state before = j->state;

		if (job_stop_if_cancelled(j) || before >= ARRAY_LEN(state_fns) || state_fns[before] == NULL) {
			if (j->err.code == RV_OK)
				job_fail(j, RV_FAIL, "internal: no handler for state %s", job_state_name(before));
		} else {
			state_fns[before](j);
		}
		if (j->err.code != RV_OK) {
			/* However the cancel surfaced (an interrupted connect, an
			 * aborted queue), the front end asked for it. */
			if (atomic_load(&j->cancel) && j->verdict == JOB_VERDICT_NONE)
				j->verdict = JOB_VERDICT_CANCELLED;
			cleanup_failed(j);
			j->result = j->err.code;
			job_log(j, LOG_ERR, "%s", j->err.msg);
			job_set_state(j, JOB_FAILED);
		}
	}
	/* The lock is the running job's: a front end that keeps the finished
	 * job to show its result (the TUI waits for a key) must not keep cron's
	 * next backup out. The record (job_set_state) is written under it. */
	release_lock(j);
	if (j->state == JOB_DONE && j->summary[0] != '\0')
		job_log(j, LOG_NOTICE, "%s", j->summary);
	if (j->t != NULL) {
		struct transport *t = j->t;

		pthread_mutex_lock(&j->lock);
		j->t = NULL;
		pthread_mutex_unlock(&j->lock);
		transport_free(t);
	}
	if (j->have_key) {
		keystore_clear(&j->key);
		j->have_key = false;
	}
	notify(j);
	return NULL;
}

/* ---- authenticate: the host key, and nothing else ---- */

const struct job_ops job_authenticate_ops = {
	.name = "authenticate",
	.logs_in = false,
};

/* ---- the front end's side ---- */

struct job *job_new(enum job_kind kind, const struct job_params *p)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->kind = kind;
	j->ops = kind_ops[kind];
	j->p = *p;
	j->lockfd = -1;
	j->runfd = -1;
	j->phase = phase_for(j, JOB_NEW);
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	if (pipe2(j->evfd, O_CLOEXEC | O_NONBLOCK) != 0) {
		fputs("revault: out of file descriptors\n", stderr);
		abort();
	}
	meter_init(&j->meter, mono_now());
	return j;
}

void job_free(struct job *j)
{
	if (j == NULL)
		return;
	if (j->started) {
		job_cancel(j);
		pthread_join(j->worker, NULL);
	}
	release_lock(j);
	lastrun_done(j->runfd, false);
	bwlimit_free(j->bwlimit);
	wipe_free_str(j->password);
	wipe_free_str(j->passphrase);
	url_free(&j->url);
	free(j->device);
	free(j->remote_dir);
	revisions_free(j->revs, j->nrevs);
	job_free_strings(j->devices, j->ndevices);
	free(j->never);
	job_free_strings(j->keep, j->nkeep);
	for (size_t i = 0; i < j->nprotect; i++)
		free((char *)j->protect[i].path);
	free(j->protect);
	free(j->rev_name);
	free(j->tmp_path);
	free(j->final_path);
	free(j->journal);
	queue_free(j->q);
	opener_free(j->opener);
	close(j->evfd[0]);
	close(j->evfd[1]);
	pthread_cond_destroy(&j->cond);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

enum job_state job_step(struct job *j, int timeout_ms)
{
	struct pollfd pfd = { .fd = j->evfd[0], .events = POLLIN };
	char drain[64];
	enum job_state s;

	if (!j->started) {
		j->started = true;
		if (pthread_create(&j->worker, NULL, worker, j) != 0) {
			j->started = false;
			job_fail(j, RV_FAIL, "cannot start a thread");
			j->result = RV_FAIL;
			j->state = JOB_FAILED;
			return JOB_FAILED;
		}
	}
	pthread_mutex_lock(&j->lock);
	s = j->state;
	pthread_mutex_unlock(&j->lock);
	if (!job_finished(s) && timeout_ms > 0)
		poll(&pfd, 1, timeout_ms);
	while (read(j->evfd[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&j->lock);
	s = j->state;
	pthread_mutex_unlock(&j->lock);
	if (job_finished(s)) {
		/* The worker may still be tidying up; join so results are stable. */
		pthread_join(j->worker, NULL);
		j->started = false;
	}
	return s;
}

int job_fd(const struct job *j)
{
	return j->evfd[0];
}

void job_cancel(struct job *j)
{
	atomic_store(&j->cancel, true);
	pthread_mutex_lock(&j->lock);
	pthread_cond_broadcast(&j->cond);
	/* Before the transfer there is nothing to clean up on the server, so a
	 * blocked connect or handshake may be cut at once. During the transfer
	 * the worker notices between bounded calls and removes its temporary. */
	if (j->t != NULL && j->state < JOB_TRANSFER)
		transport_interrupt(j->t);
	/* Under a cap, what is buffered would take long to creep out. */
	if (j->bwlimit != NULL)
		bwlimit_stop(j->bwlimit);
	pthread_mutex_unlock(&j->lock);
	if (j->q != NULL)
		queue_abort(j->q);
}

enum job_question job_question(const struct job *j)
{
	return j->state == JOB_WAITING ? j->question : JOB_Q_NONE;
}

void job_answer(struct job *j, bool yes)
{
	pthread_mutex_lock(&j->lock);
	j->answer = yes;
	j->answered = true;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
}

const struct hostkey *job_hostkey(const struct job *j)
{
	return &j->hostkey;
}

const struct sftp_url *job_server(const struct job *j)
{
	return &j->url;
}

size_t job_targets(const struct job *j, const char ***targets)
{
	if (j->stage == NULL) {
		*targets = NULL;
		return 0;
	}
	return tarball_stage_targets(j->stage, targets);
}

/* The data read from disk that the server holds: the archive runs ahead
 * of the upload by the queue (JOB_QUEUE_BUFS x JOB_QUEUE_BUF_SIZE) and the
 * transport's window, which on a slow or capped link is all of a small
 * backup, so the disk count alone reads 100 % while most of it is still to
 * go. It is scaled by the share of the archive's output acknowledged,
 * which assumes the data compresses evenly; once all is acknowledged it
 * is the disk count itself. */
static uint64_t backup_done(struct job *j)
{
	uint64_t disk = atomic_load(&j->tp.bytes);
	uint64_t produced = atomic_load(&j->produced);
	uint64_t acked = atomic_load(&j->acked);

	if (produced == 0 || acked >= produced)
		return disk;
	return (uint64_t)((long double)disk * (long double)acked / (long double)produced);
}

void job_progress(struct job *j, struct job_progress *out)
{
	double now = mono_now();

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&j->lock);
	out->state = j->state;
	out->phase = j->phase;
	pthread_mutex_unlock(&j->lock);
	out->files_done = atomic_load(&j->tp.files);
	out->files_total = j->files_total;
	out->wire_bytes = atomic_load(&j->wire);
	out->skipped = atomic_load(&j->tp.skipped);
	/* A backup counts the data read from disk; a restore the bytes fetched. */
	out->bytes_done = j->ops->progress_from_disk ? backup_done(j) : out->wire_bytes;
	out->bytes_total = j->bytes_total;
	meter_update(&j->meter, out->bytes_done, out->bytes_total, now);
	out->rate = j->meter.rate;
	out->eta = meter_eta(&j->meter);
	out->percent = meter_percent(&j->meter);
	out->stalled = meter_stalled(&j->meter, now);
	units_bytes(out->bytes_done, out->done_text, sizeof(out->done_text));
	if (out->bytes_total > 0)
		units_bytes(out->bytes_total, out->total_text, sizeof(out->total_text));
	units_rate(out->rate, out->rate_text, sizeof(out->rate_text));
	units_duration(out->eta, out->eta_text, sizeof(out->eta_text));
	memcpy(out->current, j->tp.current, sizeof(out->current));
	out->current[sizeof(out->current) - 1] = '\0';
}

int job_result(const struct job *j, struct err *e)
{
	if (e != NULL) {
		e->code = j->err.code;
		memcpy(e->msg, j->err.msg, sizeof(e->msg));
	}
	return status_for(j, j->state);
}

enum job_verdict job_verdict(const struct job *j)
{
	return j->state == JOB_FAILED ? j->verdict : JOB_VERDICT_NONE;
}

const char *job_summary(const struct job *j)
{
	return j->summary;
}

size_t job_revisions(const struct job *j, const struct revision **out)
{
	*out = j->revs;
	return j->nrevs;
}

size_t job_devices(const struct job *j, char *const **out)
{
	*out = j->devices;
	return j->ndevices;
}

const char *job_remote_dir(const struct job *j)
{
	return j->remote_dir != NULL ? j->remote_dir : "";
}
