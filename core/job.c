/* job: the state machine behind every front end. One function per state;
 * set_state() is the only way to change state and logs "[old] -> [new]".
 * The SFTP side runs on the job's worker thread; the archive side (tar +
 * zstd + seal for a backup, open + unzstd + extract for a restore) runs on
 * a second thread, the two joined by a bounded queue. */
#include "core/job.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/container.h"
#include "core/keystore.h"
#include "core/paths.h"
#include "core/queue.h"
#include "core/secret.h"
#include "core/tarball.h"
#include "core/util.h"

#define QUEUE_BUFS 6
#define QUEUE_BUF_SIZE (512 * 1024)
/* See next_buffer. */
#define FLUSH_EARLY (16 * 1024 * 1024)
#define STALE_TEMP_AGE (24 * 3600)
#define REVISIONS_MAX 100000

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

struct job {
	enum job_kind kind;
	struct job_params p;

	pthread_t worker, side;
	bool started, side_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int evfd[2];

	enum job_state state;
	enum job_question question;
	bool answered, answer;
	atomic_bool cancel;
	struct err err;
	int result;
	char summary[512];
	const char *phase;

	/* connection */
	struct sftp_url url;
	char *password, *passphrase;
	struct transport *t;
	struct hostkey hostkey;
	char *device, *remote_dir;
	struct master_key key;
	bool have_key;
	int lockfd;

	/* progress */
	struct tarball_progress tp;
	_Atomic uint64_t wire;
	uint64_t bytes_total, files_total;
	double rate, last_sample, last_change;
	uint64_t last_bytes;

	/* list, restore, verify */
	struct revision *revs;
	size_t nrevs;
	struct revision *chosen;
	bool header_checked;

	/* backup */
	char **exclude;    /* the settings' own, then the machine's secrets */
	size_t nexclude;
	char *rev_name, *tmp_path, *final_path;
	struct remote_file *rf;
	struct queue *q;
	struct err side_err;
	unsigned pruned, kept;

	/* restore */
	struct opener *opener;
	struct qbuf *fill; /* restore: the queue buffer being filled with plaintext */
	struct qbuf *held;
	bool in_eof;
	struct tarball_stage *stage;
	char *journal;
};

const char *job_state_name(enum job_state s)
{
	return (size_t)s < ARRAY_LEN(state_names) ? state_names[s] : "?";
}

bool job_finished(enum job_state s)
{
	return s == JOB_DONE || s == JOB_FAILED;
}

static void logf_(struct job *j, int prio, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void logf_(struct job *j, int prio, const char *fmt, ...)
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

static const char *phase_for(struct job *j, enum job_state s)
{
	switch (s) {
	case JOB_NEW: return "starting";
	case JOB_CONNECT: return "connecting";
	case JOB_HOSTKEY: return "checking the host key";
	case JOB_AUTH: return "logging in";
	case JOB_PREPARE: return j->kind == JOB_BACKUP ? "scanning" : "looking up";
	case JOB_TRANSFER:
		return j->kind == JOB_BACKUP ? "uploading" : j->kind == JOB_VERIFY ? "verifying" : "restoring";
	case JOB_COMMIT: return j->kind == JOB_BACKUP ? "committing" : "putting in place";
	case JOB_WAITING: return "waiting for an answer";
	case JOB_DONE: return "done";
	case JOB_FAILED: return "failed";
	default: return "?";
	}
}

/* The only way state changes. */
static void set_state(struct job *j, enum job_state s)
{
	pthread_mutex_lock(&j->lock);
	if (j->state != s)
		logf_(j, LOG_DEBUG, "[%s] -> [%s]", job_state_name(j->state), job_state_name(s));
	j->state = s;
	j->phase = phase_for(j, s);
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	notify(j);
}

/* Parks the job until the front end answers; false on no or cancel. */
static bool ask(struct job *j, enum job_question q)
{
	enum job_state prev = j->state;
	bool yes;

	pthread_mutex_lock(&j->lock);
	j->question = q;
	j->answered = false;
	pthread_mutex_unlock(&j->lock);
	set_state(j, JOB_WAITING);
	pthread_mutex_lock(&j->lock);
	while (!j->answered && !atomic_load(&j->cancel))
		pthread_cond_wait(&j->cond, &j->lock);
	yes = j->answered && j->answer;
	j->question = JOB_Q_NONE;
	pthread_mutex_unlock(&j->lock);
	set_state(j, prev);
	return yes;
}

static int fail(struct job *j, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct job *j, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(&j->err, code, fmt, ap);
	va_end(ap);
	return j->err.code;
}

static bool cancelled(struct job *j)
{
	if (!atomic_load(&j->cancel))
		return false;
	fail(j, RV_FAIL, "cancelled: nothing was changed");
	return true;
}

/* ---- revisions ---- */

static int digits(const char *p, size_t n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*p++ - '0');
	return v;
}

/* A real UTC time: a server's junk named 20261399T999999Z is no revision
 * (and would otherwise sort as the newest). */
static bool stamp_ok(const char *f)
{
	int mon = digits(f + 4, 2), day = digits(f + 6, 2);

	return digits(f, 4) >= 1970 && mon >= 1 && mon <= 12 && day >= 1 && day <= 31 &&
	       digits(f + 9, 2) <= 23 && digits(f + 11, 2) <= 59 && digits(f + 13, 2) <= 60;
}

bool revision_parse_file(const char *file, char *name, size_t cap, bool *protected_)
{
	size_t len = strlen(file), base;
	const char *ext;

	if (len > strlen(REVISION_EXT_PROTECTED) && strcmp(file + len - strlen(REVISION_EXT_PROTECTED),
							   REVISION_EXT_PROTECTED) == 0) {
		*protected_ = true;
		ext = REVISION_EXT_PROTECTED;
	} else if (len > strlen(REVISION_EXT_PLAIN) && strcmp(file + len - strlen(REVISION_EXT_PLAIN),
								REVISION_EXT_PLAIN) == 0) {
		*protected_ = false;
		ext = REVISION_EXT_PLAIN;
	} else {
		return false;
	}
	base = len - strlen(ext);
	/* YYYYMMDDTHHMMSSZ, optionally -N */
	if (base < 16 || base > 24 || file[8] != 'T' || file[15] != 'Z')
		return false;
	for (size_t i = 0; i < 15; i++)
		if (i != 8 && (file[i] < '0' || file[i] > '9'))
			return false;
	if (!stamp_ok(file))
		return false;
	if (base > 16) {
		if (file[16] != '-' || base == 17)
			return false;
		for (size_t i = 17; i < base; i++)
			if (file[i] < '0' || file[i] > '9')
				return false;
	}
	if (base >= cap)
		return false;
	memcpy(name, file, base);
	name[base] = '\0';
	return true;
}

static int revision_cmp_newest_first(const void *a, const void *b)
{
	const struct revision *x = a, *y = b;
	size_t lx = strlen(x->name), ly = strlen(y->name);
	int c = strncmp(y->name, x->name, 16);

	if (c != 0)
		return c;
	/* Same second: "-N" suffixes are newer, higher N newer still. */
	if (lx != ly)
		return lx < ly ? 1 : -1;
	return strcmp(y->name, x->name);
}

static void revisions_free(struct revision *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].file);
	}
	free(v);
}

static char *join(const char *dir, const char *name)
{
	return xasprintf("%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", name);
}

/* After a revision could not be opened: true when the server still answers
 * (so the fault is that file's), false when the connection is gone. A
 * server that answered a few times is taken as alive from then on. */
static bool still_connected(struct job *j, unsigned *probes)
{
	struct remote_entry *ents = NULL;
	size_t n = 0;
	struct err e = { 0 };

	if (*probes >= 8)
		return true;
	(*probes)++;
	if (transport_list(j->t, j->remote_dir, &ents, &n, &e) != RV_OK)
		return false;
	remote_entries_free(ents, n);
	return true;
}

/* Reads the revisions in the device folder; with headers, also reads the
 * plain header of each protected one (a few hundred bytes each). */
static int load_revisions(struct job *j, bool headers)
{
	struct remote_entry *ents = NULL;
	size_t n = 0;
	struct err e = { 0 };
	unsigned probes = 0;
	int rc;

	revisions_free(j->revs, j->nrevs);
	j->revs = NULL;
	j->nrevs = 0;
	rc = transport_list(j->t, j->remote_dir, &ents, &n, &e);
	if (rc != RV_OK) {
		if (j->kind == JOB_LIST || j->kind == JOB_RESTORE || j->kind == JOB_VERIFY)
			return fail(j, rc, "%s", e.msg);
		return fail(j, rc, "%s", e.msg);
	}
	for (size_t i = 0; i < n && j->nrevs < REVISIONS_MAX; i++) {
		char name[64];
		bool prot;
		struct revision *r;

		if (ents[i].is_dir || !revision_parse_file(ents[i].name, name, sizeof(name), &prot))
			continue;
		j->revs = xrealloc(j->revs, (j->nrevs + 1) * sizeof(*j->revs));
		r = &j->revs[j->nrevs++];
		memset(r, 0, sizeof(*r));
		r->name = xstrdup(name);
		r->file = xstrdup(ents[i].name);
		r->size = ents[i].size;
		r->mtime = ents[i].mtime;
		r->protected_ = prot;
	}
	remote_entries_free(ents, n);
	if (j->nrevs > 1)
		qsort(j->revs, j->nrevs, sizeof(*j->revs), revision_cmp_newest_first);
	if (!headers)
		return RV_OK;
	for (size_t i = 0; i < j->nrevs && !cancelled(j); i++) {
		struct revision *r = &j->revs[i];
		uint8_t buf[CONTAINER_HEADER_MAX];
		size_t got = 0;
		struct container_header h;
		size_t hl;
		char *path;
		struct remote_file *f;

		if (!r->protected_)
			continue;
		path = join(j->remote_dir, r->file);
		f = transport_open(j->t, path, &e);
		free(path);
		if (f == NULL && !still_connected(j, &probes))
			return fail(j, e.code, "%s", e.msg);
		if (f == NULL) {
			/* One unreadable entry (a symlink loop, no permission) is
			 * shown as such; it does not hide the others. */
			err_clear(&e);
			continue;
		}
		while (got < sizeof(buf)) {
			long k = remote_read(f, buf + got, sizeof(buf) - got, &e);

			if (k <= 0)
				break;
			got += (size_t)k;
			if (container_header_parse(buf, got, &h, &hl) != CONTAINER_INCOMPLETE)
				break;
		}
		remote_close(f);
		if (e.code != RV_OK)
			return fail(j, e.code, "%s", e.msg);
		if (container_header_parse(buf, got, &h, &hl) == CONTAINER_OK) {
			r->header_ok = true;
			keystore_id_hex(h.key_id, r->key_id);
			r->key_match = j->have_key && memcmp(h.key_id, j->key.id, KEY_ID_LEN) == 0;
			snprintf(r->device, sizeof(r->device), "%s", h.device);
		}
	}
	return j->err.code;
}

/* ---- states ---- */

static int load_key(struct job *j, bool required)
{
	char *path = paths_beside(j->p.settings_path, PATHS_MASTER_KEY);
	struct err e = { 0 };
	int rc = RV_OK;

	if (!keystore_exists(path)) {
		if (required)
			rc = fail(j, RV_USAGE, "no master key at %s: run `revault key generate` (new machine) or `revault key import` (restoring another machine's backups)%s",
				  path, j->kind == JOB_BACKUP ? ", or set security.protected off" : "");
	} else if (keystore_load(path, &j->key, &e) != RV_OK) {
		rc = fail(j, e.code, "%s", e.msg);
	} else {
		j->have_key = true;
	}
	free(path);
	return rc;
}

static int take_lock(struct job *j)
{
	char *path = paths_beside(j->p.settings_path, "revault.lock");
	struct err e = { 0 };
	int rc = RV_OK;

	if (paths_ensure_dir(j->p.settings_path, &e) != RV_OK) {
		free(path);
		return fail(j, e.code, "%s", e.msg);
	}
	j->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (j->lockfd < 0)
		rc = fail(j, RV_FAIL, "cannot open the lock file %s: %s", path, strerror(errno));
	else if (flock(j->lockfd, LOCK_EX | LOCK_NB) != 0)
		rc = fail(j, RV_FAIL, "another revault backup or restore is running (lock %s held): try again when it is done",
			  path);
	free(path);
	return rc;
}

static char *local_device(void)
{
	char host[256] = "";

	if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
		return xstrdup("localhost");
	host[strcspn(host, ".")] = '\0';
	return xstrdup(host);
}

static void st_new(struct job *j)
{
	const struct settings *s = j->p.settings;
	struct err e = { 0 };

	if (s->server.url == NULL) {
		fail(j, RV_USAGE, "no server set: run `revault set server.url sftp://host/dir`");
		return;
	}
	if (url_parse(s->server.url, &j->url, &e) != RV_OK) {
		fail(j, e.code, "%s", e.msg);
		return;
	}
	if (j->kind == JOB_BACKUP || j->kind == JOB_RESTORE) {
		if (take_lock(j) != RV_OK)
			return;
	}
	if (j->kind == JOB_RESTORE) {
		bool recovered;

		j->journal = paths_beside(j->p.settings_path, "restore.journal");
		if (tarball_recover(j->journal, &recovered, &e) != RV_OK) {
			fail(j, e.code, "%s", e.msg);
			return;
		}
		if (recovered)
			logf_(j, LOG_WARNING, "finished a restore that was interrupted during its last step");
	}
	if (j->kind == JOB_BACKUP) {
		if (s->backup.nsources == 0) {
			fail(j, RV_USAGE, "nothing to back up: add a source with `revault source add PATH`");
			return;
		}
		for (size_t i = 0; i < s->backup.nsources; i++) {
			if (access(s->backup.sources[i], F_OK) != 0) {
				fail(j, RV_USAGE, "source %s does not exist: create it or `revault source remove %s`",
				     s->backup.sources[i], s->backup.sources[i]);
				return;
			}
		}
		if (s->security.protected_ && load_key(j, true) != RV_OK)
			return;
	}
	if (j->kind == JOB_LIST && load_key(j, false) != RV_OK)
		return;
	if (j->kind != JOB_AUTHENTICATE && s->server.auth == AUTH_PASSWORD && s->server.password != NULL) {
		j->password = secret_open(j->p.settings_path, "server.password", s->server.password, &e);
		if (j->password == NULL) {
			fail(j, e.code, "%s", e.msg);
			return;
		}
	}
	if (j->kind != JOB_AUTHENTICATE && s->server.auth == AUTH_PUBLICKEY && s->server.identity_passphrase != NULL) {
		j->passphrase = secret_open(j->p.settings_path, "server.identity_passphrase",
					    s->server.identity_passphrase, &e);
		if (j->passphrase == NULL) {
			fail(j, e.code, "%s", e.msg);
			return;
		}
	}
	j->device = xstrdup(j->p.device != NULL ? j->p.device : s->backup.device != NULL ? s->backup.device : "");
	if (j->device[0] == '\0') {
		free(j->device);
		j->device = local_device();
	}
	if (strchr(j->device, '/') != NULL || strcmp(j->device, "..") == 0 || strcmp(j->device, ".") == 0) {
		fail(j, RV_USAGE, "\"%s\" is not a device name", j->device);
		return;
	}
	j->remote_dir = join(j->url.dir, j->device);
	set_state(j, JOB_CONNECT);
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
	};
	struct err e = { 0 };

	j->t = transport_new(&c);
	if (transport_connect(j->t, &e) != RV_OK) {
		fail(j, e.code, "%s", e.msg);
		return;
	}
	j->hostkey = *transport_hostkey(j->t);
	set_state(j, JOB_HOSTKEY);
}

static void st_hostkey(struct job *j)
{
	const struct settings *s = j->p.settings;
	struct err e = { 0 };

	switch (transport_check_hostkey(j->t, s->known_hosts, s->nknown_hosts, &e)) {
	case HOSTKEY_MATCH:
		if (j->kind == JOB_AUTHENTICATE) {
			snprintf(j->summary, sizeof(j->summary), "%s:%u is already trusted (%s %s)", j->url.host,
				 j->url.port, j->hostkey.type, j->hostkey.sha256);
			set_state(j, JOB_DONE);
			return;
		}
		set_state(j, JOB_AUTH);
		return;
	case HOSTKEY_UNKNOWN:
		if (!j->p.ask_hostkey) {
			fail(j, RV_HOSTKEY, "%s", e.msg);
			return;
		}
		if (!ask(j, JOB_Q_HOSTKEY_NEW)) {
			if (!cancelled(j))
				fail(j, RV_HOSTKEY, "host key of %s:%u not accepted: nothing was sent to the server",
				     j->url.host, j->url.port);
			return;
		}
		logf_(j, LOG_NOTICE, "trusted %s:%u %s %s", j->url.host, j->url.port, j->hostkey.type,
		      j->hostkey.sha256);
		if (j->kind == JOB_AUTHENTICATE) {
			snprintf(j->summary, sizeof(j->summary), "%s:%u trusted: %s %s", j->url.host, j->url.port,
				 j->hostkey.type, j->hostkey.sha256);
			set_state(j, JOB_DONE);
			return;
		}
		set_state(j, JOB_AUTH);
		return;
	case HOSTKEY_CHANGED:
	default:
		fail(j, RV_HOSTKEY, "%s", e.msg);
		return;
	}
}

static void st_auth(struct job *j)
{
	struct err e = { 0 };

	if (transport_auth(j->t, &e) != RV_OK || transport_sftp(j->t, &e) != RV_OK) {
		fail(j, e.code, "%s", e.msg);
		return;
	}
	set_state(j, JOB_PREPARE);
}

/* Removes hidden temporaries that a failed run left behind a day ago or
 * more; younger ones may belong to a run still going on elsewhere. */
static void remove_stale(struct job *j)
{
	struct remote_entry *ents = NULL;
	size_t n = 0;
	struct err e = { 0 };
	time_t now = time(NULL);

	if (transport_list(j->t, j->remote_dir, &ents, &n, &e) != RV_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		if (ents[i].is_dir || ents[i].name[0] != '.' || strstr(ents[i].name, ".tmp-") == NULL)
			continue;
		if (now - ents[i].mtime < STALE_TEMP_AGE)
			continue;
		char *path = join(j->remote_dir, ents[i].name);

		err_clear(&e);
		if (transport_unlink(j->t, path, &e) == RV_OK)
			logf_(j, LOG_NOTICE, "removed stale temporary %s", path);
		free(path);
	}
	remote_entries_free(ents, n);
}

static void warn_cb(void *arg, const char *msg)
{
	logf_(arg, LOG_WARNING, "%s", msg);
}

/* This machine's secret files (beside the settings): never backed up, and
 * put back after an in-place restore of their folder. */
static const char *const machine_secrets[] = { PATHS_MASTER_KEY, PATHS_SECRET_KEY };

/* An exact path as an fnmatch pattern. */
static char *pattern_of(const char *path)
{
	char *p = xmalloc(2 * strlen(path) + 1), *o = p;

	for (; *path != '\0'; path++) {
		if (strchr("*?[\\", *path) != NULL)
			*o++ = '\\';
		*o++ = *path;
	}
	*o = '\0';
	return p;
}

/* Adds an allocated pattern to the backup's excludes. */
static void exclude_add(struct job *j, char *pattern)
{
	j->exclude = xrealloc(j->exclude, (j->nexclude + 1) * sizeof(*j->exclude));
	j->exclude[j->nexclude++] = pattern;
}

/* The master key and the machine secret never go into a backup, even when
 * the settings folder lies under a source (/etc with /etc/revault): an
 * unprotected backup would hold them in clear, and a protected one would
 * hold the key that opens it. Both the path as given and as resolved. */
static void build_excludes(struct job *j)
{
	const struct settings *s = j->p.settings;
	char *real = realpath(j->p.settings_path, NULL);

	for (size_t i = 0; i < s->backup.nexclude; i++)
		exclude_add(j, xstrdup(s->backup.exclude[i]));
	for (size_t i = 0; i < ARRAY_LEN(machine_secrets); i++) {
		char *p = paths_beside(j->p.settings_path, machine_secrets[i]);

		if (p[0] == '/')
			exclude_add(j, pattern_of(p));
		free(p);
		if (real != NULL) {
			p = paths_beside(real, machine_secrets[i]);
			exclude_add(j, pattern_of(p));
			free(p);
		}
	}
	free(real);
}

static void prepare_backup(struct job *j)
{
	const struct settings *s = j->p.settings;
	struct tarball_create_opts o = {
		.sources = s->backup.sources, .nsources = s->backup.nsources,
		.cancel = &j->cancel,
	};
	struct err e = { 0 };
	char stamp[32], rnd[8], rhex[17];
	time_t now = time(NULL);
	struct tm tm;
	const char *ext = s->security.protected_ ? REVISION_EXT_PROTECTED : REVISION_EXT_PLAIN;

	build_excludes(j);
	o.exclude = j->exclude;
	o.nexclude = j->nexclude;
	if (transport_mkdirs(j->t, j->remote_dir, &e) != RV_OK) {
		fail(j, e.code, "%s", e.msg);
		return;
	}
	remove_stale(j);
	if (load_revisions(j, false) != RV_OK)
		return;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	j->rev_name = xstrdup(stamp);
	/* Rename never overwrites: two backups in one second get a suffix. */
	for (unsigned n = 1; n < 1000; n++) {
		bool taken = false;

		for (size_t i = 0; i < j->nrevs; i++)
			if (strcmp(j->revs[i].name, j->rev_name) == 0)
				taken = true;
		if (!taken)
			break;
		free(j->rev_name);
		j->rev_name = xasprintf("%s-%u", stamp, n);
	}
	if (tarball_scan(&o, &j->files_total, &j->bytes_total, &e) != RV_OK) {
		fail(j, e.code, "%s", e.msg);
		return;
	}
	transport_keepalive(j->t);
	if (RAND_bytes((unsigned char *)rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	hex_encode((const uint8_t *)rnd, sizeof(rnd), rhex);
	j->final_path = xasprintf("%s/%s%s", j->remote_dir, j->rev_name, ext);
	j->tmp_path = xasprintf("%s/.%s%s.tmp-%s", j->remote_dir, j->rev_name, ext, rhex);
	j->rf = transport_create(j->t, j->tmp_path, &e);
	if (j->rf == NULL) {
		fail(j, e.code, "%s", e.msg);
		return;
	}
	set_state(j, JOB_TRANSFER);
}

static void prepare_read(struct job *j)
{
	const struct settings *s = j->p.settings;
	const char *want = j->p.revision != NULL ? j->p.revision : "latest";
	struct err e = { 0 };
	char *path;

	if (load_revisions(j, false) != RV_OK)
		return;
	if (j->nrevs == 0) {
		fail(j, RV_USAGE, "no revisions of device %s in %s on the server: check server.url and --device",
		     j->device, j->url.dir);
		return;
	}
	if (strcmp(want, "latest") == 0) {
		j->chosen = &j->revs[0];
	} else {
		for (size_t i = 0; i < j->nrevs; i++)
			if (strcmp(j->revs[i].name, want) == 0 || strcmp(j->revs[i].file, want) == 0)
				j->chosen = &j->revs[i];
		if (j->chosen == NULL) {
			fail(j, RV_USAGE, "no revision %s of device %s: `revault list%s%s` shows them", want, j->device,
			     j->p.device ? " --device " : "", j->p.device ? j->p.device : "");
			return;
		}
	}
	j->rev_name = xstrdup(j->chosen->name);
	j->bytes_total = j->chosen->size;
	if (!j->chosen->protected_) {
		if (s->security.enforced) {
			fail(j, RV_INTEGRITY,
			     "revision %s is not protected (unsigned) and security.enforced is on: refused; pick a protected revision",
			     j->rev_name);
			return;
		}
		if (j->kind == JOB_RESTORE) {
			logf_(j, LOG_WARNING, "revision %s is not protected: anyone with access to the server could have changed it",
			      j->rev_name);
			if (!j->p.assume_yes && !ask(j, JOB_Q_UNSIGNED)) {
				if (!cancelled(j))
					fail(j, RV_INTEGRITY, "revision %s is unsigned and was not confirmed: nothing was changed",
					     j->rev_name);
				return;
			}
		}
	} else if (load_key(j, true) != RV_OK) {
		return;
	}
	path = join(j->remote_dir, j->chosen->file);
	j->rf = transport_open(j->t, path, &e);
	free(path);
	if (j->rf == NULL) {
		fail(j, e.code, "%s", e.msg);
		return;
	}
	set_state(j, JOB_TRANSFER);
}

static void st_prepare(struct job *j)
{
	switch (j->kind) {
	case JOB_BACKUP:
		prepare_backup(j);
		return;
	case JOB_LIST:
		if (load_revisions(j, true) == RV_OK) {
			snprintf(j->summary, sizeof(j->summary), "%zu revision%s of %s", j->nrevs,
				 j->nrevs == 1 ? "" : "s", j->device);
			set_state(j, JOB_DONE);
		}
		return;
	case JOB_RESTORE:
	case JOB_VERIFY:
		prepare_read(j);
		return;
	case JOB_AUTHENTICATE:
		set_state(j, JOB_DONE);
		return;
	}
}

/* ---- backup: archive thread -> queue -> SFTP ---- */

struct qwriter {
	struct job *j;
	struct qbuf *cur;
};

static int queue_sink(void *arg, const uint8_t *buf, size_t len, struct err *e)
{
	struct qwriter *w = arg;

	while (len > 0) {
		size_t n;

		if (w->cur == NULL && (w->cur = queue_get_free(w->j->q)) == NULL)
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

struct sealed_out {
	struct qwriter *qw;
	struct sealer *sealer;
};

static int archive_out(void *arg, const void *buf, size_t len, struct err *e)
{
	struct sealed_out *o = arg;

	if (o->sealer != NULL)
		return sealer_write(o->sealer, buf, len, e) == RV_OK ? 0 : -1;
	return queue_sink(o->qw, buf, len, e);
}

static void *backup_side(void *arg)
{
	struct job *j = arg;
	const struct settings *s = j->p.settings;
	struct qwriter qw = { .j = j };
	struct sealed_out out = { .qw = &qw };
	struct tarball_create_opts o = {
		.sources = s->backup.sources, .nsources = s->backup.nsources,
		.exclude = j->exclude, .nexclude = j->nexclude,
		.level = s->backup.compression, .cancel = &j->cancel, .progress = &j->tp,
		.warn = warn_cb, .warn_arg = j,
	};
	struct err *e = &j->side_err;

	if (s->security.protected_) {
		struct container_header h = { 0 };

		snprintf(h.device, sizeof(h.device), "%s", j->device);
		snprintf(h.revision, sizeof(h.revision), "%s", j->rev_name);
		snprintf(h.tool_version, sizeof(h.tool_version), "revault %s", REVAULT_VERSION);
		h.created = (int64_t)time(NULL);
		out.sealer = sealer_new(&j->key, &h, queue_sink, &qw, e);
		if (out.sealer == NULL)
			goto out;
	}
	if (tarball_create(&o, archive_out, &out, e) != RV_OK)
		goto out;
	if (out.sealer != NULL && sealer_finish(out.sealer, e) != RV_OK)
		goto out;
	if (qw.cur != NULL) {
		queue_push(j->q, qw.cur);
		qw.cur = NULL;
	}
	queue_close(j->q);
out:
	sealer_free(out.sealer);
	if (e->code != RV_OK) {
		if (qw.cur != NULL)
			queue_release(j->q, qw.cur);
		queue_abort(j->q);
	}
	return NULL;
}

/* The next buffer from the archive thread. While it has none ready, the
 * upload has time to spare: ask the server to write back what it holds, so
 * that its disk works while the archive thread compresses, instead of in
 * one flush at the end that waits for the whole revision (600 MB are more
 * than a second of disk). An upload that keeps the queue full is never
 * held up for it. */
static struct qbuf *next_buffer(struct job *j, struct err *e)
{
	if (!queue_ready(j->q) && remote_unflushed(j->rf) >= FLUSH_EARLY &&
	    remote_flush(j->rf, e) != RV_OK) {
		queue_abort(j->q);
		return NULL;
	}
	return queue_pop(j->q);
}

static void transfer_backup(struct job *j)
{
	struct err e = { 0 };
	struct qbuf *b;

	j->q = queue_new(QUEUE_BUFS, QUEUE_BUF_SIZE);
	if (pthread_create(&j->side, NULL, backup_side, j) != 0) {
		fail(j, RV_FAIL, "cannot start the archive thread");
		return;
	}
	j->side_started = true;
	while ((b = next_buffer(j, &e)) != NULL) {
		int rc = remote_write(j->rf, b->data, b->len, &e);

		atomic_fetch_add(&j->wire, b->len);
		queue_release(j->q, b);
		if (rc != RV_OK || atomic_load(&j->cancel)) {
			queue_abort(j->q);
			break;
		}
	}
	pthread_join(j->side, NULL);
	j->side_started = false;
	if (cancelled(j))
		return;
	/* The upload's own error first: the archive side then only saw "stopped". */
	if (e.code != RV_OK) {
		fail(j, e.code, "%s", e.msg);
		return;
	}
	if (j->side_err.code != RV_OK) {
		fail(j, j->side_err.code, "%s", j->side_err.msg);
		return;
	}
	set_state(j, JOB_COMMIT);
}

/* ---- restore and verify: SFTP -> queue -> open + extract thread ---- */

/* The header is authentic once a chunk verified (the commitment covers it);
 * it must also name the revision and device the file was fetched as, or
 * the file was renamed or moved on the server. */
static int check_header(struct job *j, struct err *e)
{
	const struct container_header *h = j->opener != NULL ? opener_header(j->opener) : NULL;

	if (j->header_checked || h == NULL)
		return 0;
	j->header_checked = true;
	if (strcmp(h->revision, j->chosen->name) != 0 || strcmp(h->device, j->device) != 0)
		return err_set(e, RV_INTEGRITY,
			       "%s is revision %s of device %s inside, but is stored as %s of %s: it was "
			       "renamed or moved on the server; refused", j->chosen->file, h->revision,
			       h->device, j->chosen->name, j->device), -1;
	return 0;
}

/* The opener's sink, on the SFTP thread: verified plaintext goes into queue
 * buffers for the extraction thread, so that opening (GCM) runs beside
 * decompression and file creation instead of before them. */
static int restore_sink(void *arg, const uint8_t *buf, size_t len, struct err *e)
{
	struct job *j = arg;
	struct qwriter w = { .j = j, .cur = j->fill };
	int rc;

	if (check_header(j, e) != 0)
		return -1;
	rc = queue_sink(&w, buf, len, e);
	j->fill = w.cur;
	return rc;
}

/* libarchive's read callback: the next piece of the tar.zst stream, as
 * the SFTP thread queued it (already verified when protected). */
static ssize_t restore_in(void *arg, const void **buf, struct err *e)
{
	struct job *j = arg;
	struct qbuf *b;

	if (j->held != NULL) {
		queue_release(j->q, j->held);
		j->held = NULL;
	}
	if (j->in_eof)
		return 0;
	b = queue_pop(j->q);
	if (b == NULL) {
		if (queue_aborted(j->q))
			return err_set(e, RV_FAIL, "download stopped"), -1;
		j->in_eof = true;
		return 0;
	}
	j->held = b;
	*buf = b->data;
	return (ssize_t)b->len;
}

static void *restore_side(void *arg)
{
	struct job *j = arg;
	struct tarball_extract_opts o = {
		.to_dir = j->p.to_dir, .journal = j->journal, .verify_only = j->kind == JOB_VERIFY,
		.cancel = &j->cancel,
		.progress = &j->tp, .warn = warn_cb, .warn_arg = j,
	};

	if (tarball_extract(&o, restore_in, j, &j->stage, &j->side_err) != RV_OK)
		queue_abort(j->q);
	if (j->held != NULL) {
		queue_release(j->q, j->held);
		j->held = NULL;
	}
	return NULL;
}

/* Feeds one read of ciphertext (or of a plain .tar.zst) to the queue. */
static int restore_feed(struct job *j, const uint8_t *buf, size_t len, struct err *e)
{
	if (j->opener != NULL)
		return opener_write(j->opener, buf, len, e) == RV_OK ? 0 : -1;
	return restore_sink(j, buf, len, e);
}

/* End of the download: the final chunk must verify before the extraction
 * thread is told the stream ended. */
static int restore_end(struct job *j, struct err *e)
{
	if (j->opener != NULL && (opener_finish(j->opener, e) != RV_OK || check_header(j, e) != 0))
		return -1;
	if (j->fill != NULL) {
		queue_push(j->q, j->fill);
		j->fill = NULL;
	}
	return 0;
}

static void transfer_restore(struct job *j)
{
	struct err e = { 0 };
	uint8_t *ct = xmalloc(QUEUE_BUF_SIZE);
	const struct err *cause;
	bool side_first;
	long n;

	j->q = queue_new(QUEUE_BUFS, QUEUE_BUF_SIZE);
	if (j->chosen->protected_)
		j->opener = opener_new(&j->key, restore_sink, j);
	if (pthread_create(&j->side, NULL, restore_side, j) != 0) {
		free(ct);
		fail(j, RV_FAIL, "cannot start the restore thread");
		return;
	}
	j->side_started = true;
	for (;;) {
		n = remote_read(j->rf, ct, QUEUE_BUF_SIZE, &e);
		if (n < 0 || atomic_load(&j->cancel))
			break;
		if (n == 0) {
			if (restore_end(j, &e) != 0)
				n = -1;
			break;
		}
		atomic_fetch_add(&j->wire, (uint64_t)n);
		if (restore_feed(j, ct, (size_t)n, &e) != 0) {
			n = -1;
			break;
		}
	}
	if (j->fill != NULL) {
		queue_release(j->q, j->fill);
		j->fill = NULL;
	}
	/* Who stopped first: the extraction thread (it aborted the queue), or
	 * this one (a read, or the container). */
	side_first = queue_aborted(j->q);
	if (n < 0 || atomic_load(&j->cancel))
		queue_abort(j->q);
	else
		queue_close(j->q);
	free(ct);
	pthread_join(j->side, NULL);
	j->side_started = false;
	remote_close(j->rf);
	j->rf = NULL;
	if (cancelled(j))
		return;
	/* The cause is the error of whoever stopped first: the other side
	 * only saw the stop. */
	cause = e.code == RV_OK || (side_first && j->side_err.code != RV_OK) ? &j->side_err : &e;
	if (cause->code == RV_INTEGRITY) {
		fail(j, RV_INTEGRITY, "revision %s: %s", j->rev_name, cause->msg);
		return;
	}
	if (cause->code != RV_OK) {
		fail(j, cause->code, "%s", cause->msg);
		return;
	}
	set_state(j, JOB_COMMIT);
}

static void st_transfer(struct job *j)
{
	if (j->kind == JOB_BACKUP)
		transfer_backup(j);
	else
		transfer_restore(j);
}

/* ---- commit ---- */

static void prune(struct job *j)
{
	unsigned keep = j->p.settings->backup.revisions;
	struct err e = { 0 };

	if (load_revisions(j, false) != RV_OK) {
		/* The backup is in place; failing to prune is worth a warning only. */
		logf_(j, LOG_WARNING, "could not list revisions to prune: %s", j->err.msg);
		err_clear(&j->err);
		return;
	}
	for (size_t i = keep; i < j->nrevs; i++) {
		char *path;

		/* Never the one just made, even when the server holds revisions
		 * named later (a clock that was ahead, or junk). */
		if (strcmp(j->revs[i].name, j->rev_name) == 0)
			continue;
		path = join(j->remote_dir, j->revs[i].file);

		err_clear(&e);
		if (transport_unlink(j->t, path, &e) == RV_OK) {
			j->pruned++;
			logf_(j, LOG_INFO, "removed old revision %s", j->revs[i].name);
		} else {
			logf_(j, LOG_WARNING, "could not remove old revision %s: %s", j->revs[i].name, e.msg);
		}
		free(path);
	}
	j->kept = (unsigned)(j->nrevs - j->pruned);
}

static void human(uint64_t n, char *buf, size_t cap)
{
	static const char *const units[] = { "B", "KB", "MB", "GB", "TB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1000 && u + 1 < ARRAY_LEN(units)) {
		v /= 1000;
		u++;
	}
	snprintf(buf, cap, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

/* The machine's secrets are never in a backup (build_excludes), so an
 * in-place restore of the folder that holds them would drop them: they are
 * read before the swap and written back when the swap removed them. */
struct kept_secret {
	char *path;
	uint8_t data[256];
	ssize_t len;
};

static void keep_secrets(struct job *j, struct kept_secret kept[])
{
	for (size_t i = 0; i < ARRAY_LEN(machine_secrets); i++) {
		int fd;

		kept[i].path = paths_beside(j->p.settings_path, machine_secrets[i]);
		kept[i].len = -1;
		if (j->p.to_dir != NULL)
			continue;
		fd = open(kept[i].path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		kept[i].len = read(fd, kept[i].data, sizeof(kept[i].data));
		close(fd);
	}
}

static void put_back_secrets(struct job *j, struct kept_secret kept[])
{
	for (size_t i = 0; i < ARRAY_LEN(machine_secrets); i++) {
		struct err e = { 0 };

		if (kept[i].len > 0 && (size_t)kept[i].len < sizeof(kept[i].data) && access(kept[i].path, F_OK) != 0 &&
		    errno == ENOENT && paths_ensure_dir(j->p.settings_path, &e) == RV_OK) {
			if (paths_write_new(kept[i].path, kept[i].data, (size_t)kept[i].len, &e) == RV_OK)
				logf_(j, LOG_NOTICE, "kept %s: the restore replaced its folder", kept[i].path);
			else
				logf_(j, LOG_WARNING, "could not put %s back after the restore: %s", kept[i].path, e.msg);
		}
		wipe(kept[i].data, sizeof(kept[i].data));
		free(kept[i].path);
	}
}

static void st_commit(struct job *j)
{
	struct kept_secret kept[ARRAY_LEN(machine_secrets)];
	struct err e = { 0 };
	int rc;
	char in[32], wire[32];
	uint64_t skipped = atomic_load(&j->tp.skipped);

	human(atomic_load(&j->tp.bytes), in, sizeof(in));
	human(atomic_load(&j->wire), wire, sizeof(wire));
	if (j->kind == JOB_BACKUP) {
		rc = remote_commit(j->rf, &e);
		j->rf = NULL;
		if (rc != RV_OK || transport_rename(j->t, j->tmp_path, j->final_path, &e) != RV_OK) {
			fail(j, e.code, "%s", e.msg);
			return;
		}
		free(j->tmp_path);
		j->tmp_path = NULL; /* in place: nothing to clean up any more */
		prune(j);
		snprintf(j->summary, sizeof(j->summary),
			 "backup %s%s: %llu files, %s -> %s %s in %s; %u revision%s kept%s",
			 j->rev_name, skipped ? " (partial)" : "", (unsigned long long)atomic_load(&j->tp.files), in,
			 wire, j->p.settings->security.protected_ ? "protected" : "unprotected", j->remote_dir, j->kept,
			 j->kept == 1 ? "" : "s", skipped ? "; some files could not be read (see the log)" : "");
		if (skipped)
			fail(j, RV_FAIL, "backup %s is partial: %llu file%s could not be read (named in the log)",
			     j->rev_name, (unsigned long long)skipped, skipped == 1 ? "" : "s");
		else
			set_state(j, JOB_DONE);
		return;
	}
	if (j->kind == JOB_VERIFY) {
		snprintf(j->summary, sizeof(j->summary), "revision %s is intact: %s, %llu files, %s%s", j->rev_name,
			 j->chosen->protected_ ? "authenticated" : "unsigned (not authenticated)",
			 (unsigned long long)atomic_load(&j->tp.files), in,
			 skipped ? "; some entries would be refused on restore (see the log)" : "");
		set_state(j, JOB_DONE);
		return;
	}
	if (j->p.to_dir == NULL && !j->p.assume_yes && !ask(j, JOB_Q_REPLACE)) {
		if (!cancelled(j))
			fail(j, RV_FAIL, "restore of %s not confirmed: nothing was changed", j->rev_name);
		return;
	}
	keep_secrets(j, kept);
	rc = tarball_commit(j->stage, &e);
	j->stage = NULL;
	put_back_secrets(j, kept);
	if (rc != RV_OK) {
		fail(j, e.code, "%s", e.msg);
		return;
	}
	snprintf(j->summary, sizeof(j->summary), "restored %s%s%s: %llu files, %s%s", j->rev_name,
		 j->p.to_dir ? " under " : " in place", j->p.to_dir ? j->p.to_dir : "",
		 (unsigned long long)atomic_load(&j->tp.files), in,
		 skipped ? "; some entries were refused (see the log)" : "");
	set_state(j, JOB_DONE);
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

/* Leaves nothing behind on failure: no temporary on the server, no
 * staging directory on disk. */
static void cleanup_failed(struct job *j)
{
	struct err e = { 0 };

	if (j->kind == JOB_BACKUP && j->rf != NULL) {
		remote_abort(j->rf);
		j->rf = NULL;
	}
	if (j->kind == JOB_BACKUP && j->tmp_path != NULL && j->t != NULL) {
		if (transport_unlink(j->t, j->tmp_path, &e) != RV_OK)
			logf_(j, LOG_WARNING, "could not remove the temporary %s (a later backup removes it): %s",
			      j->tmp_path, e.msg);
	}
	if (j->rf != NULL) {
		remote_close(j->rf);
		j->rf = NULL;
	}
	tarball_discard(j->stage);
	j->stage = NULL;
}

static void *worker(void *arg)
{
	struct job *j = arg;

	while (!job_finished(j->state)) {
		enum job_state before = j->state;

		if (cancelled(j) || before >= ARRAY_LEN(state_fns) || state_fns[before] == NULL) {
			if (j->err.code == RV_OK)
				fail(j, RV_FAIL, "internal: no handler for state %s", job_state_name(before));
		} else {
			state_fns[before](j);
		}
		if (j->err.code != RV_OK) {
			cleanup_failed(j);
			j->result = j->err.code;
			logf_(j, LOG_ERR, "%s", j->err.msg);
			set_state(j, JOB_FAILED);
		}
	}
	if (j->state == JOB_DONE && j->summary[0] != '\0')
		logf_(j, LOG_NOTICE, "%s", j->summary);
	if (j->t != NULL) {
		transport_free(j->t);
		j->t = NULL;
	}
	if (j->have_key) {
		keystore_clear(&j->key);
		j->have_key = false;
	}
	notify(j);
	return NULL;
}

/* ---- the front end's side ---- */

struct job *job_new(enum job_kind kind, const struct job_params *p)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->kind = kind;
	j->p = *p;
	j->lockfd = -1;
	j->phase = phase_for(j, JOB_NEW);
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	if (pipe2(j->evfd, O_CLOEXEC | O_NONBLOCK) != 0) {
		fputs("revault: out of file descriptors\n", stderr);
		abort();
	}
	j->last_sample = j->last_change = mono_now();
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
	if (j->lockfd >= 0)
		close(j->lockfd);
	wipe_free_str(j->password);
	wipe_free_str(j->passphrase);
	url_free(&j->url);
	free(j->device);
	free(j->remote_dir);
	revisions_free(j->revs, j->nrevs);
	for (size_t i = 0; i < j->nexclude; i++)
		free(j->exclude[i]);
	free(j->exclude);
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
			fail(j, RV_FAIL, "cannot start a thread");
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

size_t job_targets(const struct job *j, const char ***targets)
{
	if (j->stage == NULL) {
		*targets = NULL;
		return 0;
	}
	return tarball_stage_targets(j->stage, targets);
}

void job_progress(struct job *j, struct job_progress *out)
{
	double t = mono_now();
	uint64_t done;

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
	done = j->kind == JOB_BACKUP ? atomic_load(&j->tp.bytes) : out->wire_bytes;
	out->bytes_done = done;
	out->bytes_total = j->bytes_total;
	if (done != j->last_bytes) {
		double dt = t - j->last_sample;

		if (dt >= 0.25) {
			double inst = (double)(done - j->last_bytes) / dt;

			j->rate = j->rate == 0 ? inst : 0.7 * j->rate + 0.3 * inst;
			j->last_sample = t;
			j->last_bytes = done;
		}
		j->last_change = t;
	} else if (t - j->last_change > 5) {
		j->rate = 0;
	}
	out->rate = j->rate;
	out->stalled = t - j->last_change;
	out->eta = (j->rate > 0 && j->bytes_total > done) ? (double)(j->bytes_total - done) / j->rate : -1;
	memcpy(out->current, j->tp.current, sizeof(out->current));
	out->current[sizeof(out->current) - 1] = '\0';
}

int job_result(const struct job *j, struct err *e)
{
	if (e != NULL) {
		e->code = j->err.code;
		memcpy(e->msg, j->err.msg, sizeof(e->msg));
	}
	return j->state == JOB_DONE ? RV_OK : j->result ? j->result : RV_FAIL;
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

const char *job_remote_dir(const struct job *j)
{
	return j->remote_dir != NULL ? j->remote_dir : "";
}
