/* job_restore: the restore and verify jobs. The worker thread downloads
 * the revision and opens the container (core/container.c), queueing the
 * verified plaintext; the archive thread decompresses and checks every
 * entry, and for a restore extracts it into staging directories
 * (core/extract.c). Only when everything verified, and the operator
 * confirmed an in-place restore, are the staged trees swapped in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "core/job_int.h"
#include "core/paths.h"
#include "core/sources.h"
#include "core/util.h"

static bool in_place(const struct job *j)
{
	return j->ops == &job_restore_ops && j->p.to_dir == NULL;
}

static void protect_add(struct job *j, char *path, const char *what)
{
	if (path == NULL)
		return;
	j->protect = xrealloc(j->protect, (j->nprotect + 1) * sizeof(*j->protect));
	j->protect[j->nprotect++] = (struct tarball_protect){ .path = path, .what = what };
}

/* What the restore never replaces: the state folder; under --to DIR also
 * this machine's sources and the settings folder, which only an in-place
 * restore replaces, with its confirmation and the keys carried over. */
static void build_protect(struct job *j)
{
	const struct settings *s = j->p.settings;
	char *state = paths_state_dir(NULL);

	if (state != NULL)
		protect_add(j, sources_resolved(state, NULL), "revault's state folder: its lock and restore journal");
	free(state);
	if (in_place(j))
		return;
	for (size_t i = 0; i < s->backup.nsources; i++) {
		struct err e = { 0 };

		protect_add(j, sources_physical(s->backup.sources[i], &e), "a source this machine backs up");
	}
	{
		char *dir = xstrdup(j->p.settings_path), *slash = strrchr(dir, '/');

		if (slash != NULL) {
			*slash = '\0';
			protect_add(j, sources_resolved(dir[0] != '\0' ? dir : "/", NULL), "the folder of revault's settings and keys");
		}
		free(dir);
	}
}

/* Before connecting: a --to DIR that can be written safely; in place, the
 * sources that will be replaced are sound. */
static void restore_start(struct job *j)
{
	const struct settings *s = j->p.settings;
	struct err e = { 0 };

	if (j->p.to_dir != NULL && tarball_check_to(j->p.to_dir, &e) != RV_OK) {
		job_fail(j, e.code, "%s", e.msg);
		return;
	}
	if (in_place(j) && !j->p.all_sources) {
		char *state = paths_state_dir(&e);

		if (state == NULL || sources_check(s->backup.sources, s->backup.nsources, state, &e) != RV_OK)
			job_fail(j, e.code, "%s", e.msg);
		free(state);
	}
}

/* Picks the revision; an unprotected one needs this machine's consent
 * (security.enforced) and, for a restore, the operator's; a protected one
 * needs the master key. */
static void restore_prepare(struct job *j)
{
	const struct settings *s = j->p.settings;
	struct err e = { 0 };
	char *path;

	if (revisions_choose(j) != RV_OK)
		return;
	if (!j->chosen->protected_) {
		if (s->security.enforced) {
			job_fail(j, RV_INTEGRITY,
				 "revision %s is not protected (unsigned) and security.enforced is on: refused; pick a protected revision",
				 j->rev_name);
			return;
		}
		if (j->ops == &job_ls_ops)
			job_log(j, LOG_WARNING, "revision %s is not protected: anyone with access to the server could have changed what it lists",
				j->rev_name);
		if (j->ops == &job_restore_ops) {
			job_log(j, LOG_WARNING, "revision %s is not protected: anyone with access to the server could have changed it",
				j->rev_name);
			if (!j->p.assume_yes && !job_ask(j, JOB_Q_UNSIGNED)) {
				if (!job_stop_if_cancelled(j)) {
					j->verdict = JOB_VERDICT_CANCELLED;
					job_fail(j, RV_INTEGRITY, "revision %s is unsigned and was not confirmed: nothing was changed",
						 j->rev_name);
				}
				return;
			}
		}
	} else if (job_load_key(j, true) != RV_OK) {
		return;
	}
	path = job_join(j->remote_dir, j->chosen->file);
	j->rf = transport_open(j->t, path, j->chosen->size, &e);
	free(path);
	if (j->rf == NULL) {
		job_fail(j, e.code, "%s", e.msg);
		return;
	}
	job_set_state(j, JOB_TRANSFER);
}

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
	struct job_qwriter w = { .j = j, .cur = j->fill, .keep_busy = true };
	int rc;

	if (check_header(j, e) != 0)
		return -1;
	rc = job_queue_sink(&w, buf, len, e);
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
	const struct settings *s = j->p.settings;
	bool only_ours = in_place(j) && !j->p.all_sources;
	struct tarball_extract_opts o = {
		.to_dir = j->p.to_dir, .journal = j->journal, .verify_only = j->ops != &job_restore_ops,
		.paths = j->p.paths, .npaths = j->p.npaths,
		.entry = j->ops == &job_ls_ops ? j->p.entry : NULL, .entry_arg = j->p.entry_arg,
		.sources = only_ours ? s->backup.sources : NULL,
		.nsources = only_ours ? s->backup.nsources : 0,
		.cancel = &j->cancel,
		.progress = &j->tp, .warn = job_warn, .warn_arg = j,
	};

	build_protect(j);
	o.protect = j->protect;
	o.nprotect = j->nprotect;
	if (in_place(j)) {
		j->nkeep = job_secret_files(j, &j->keep);
		o.keep = j->keep;
		o.nkeep = j->nkeep;
	}
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

static void restore_transfer(struct job *j)
{
	struct err e = { 0 };
	uint8_t *ct = xmalloc(JOB_QUEUE_BUF_SIZE);
	const struct err *cause;
	bool side_first;
	long n;

	j->q = queue_new(JOB_QUEUE_BUFS, JOB_QUEUE_BUF_SIZE);
	if (j->chosen->protected_)
		j->opener = opener_new(&j->key, restore_sink, j);
	if (pthread_create(&j->side, NULL, restore_side, j) != 0) {
		free(ct);
		job_fail(j, RV_FAIL, "cannot start the restore thread");
		return;
	}
	j->side_started = true;
	for (;;) {
		n = remote_read(j->rf, ct, JOB_QUEUE_BUF_SIZE, &e);
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
	if (job_stop_if_cancelled(j))
		return;
	/* The cause is the error of whoever stopped first: the other side
	 * only saw the stop. */
	cause = e.code == RV_OK || (side_first && j->side_err.code != RV_OK) ? &j->side_err : &e;
	if (cause->code == RV_INTEGRITY) {
		job_fail(j, RV_INTEGRITY, "revision %s: %s", j->rev_name, cause->msg);
		return;
	}
	if (cause->code != RV_OK) {
		job_fail(j, cause->code, "%s", cause->msg);
		return;
	}
	job_set_state(j, JOB_COMMIT);
}

static void verify_commit(struct job *j)
{
	char in[32];
	uint64_t skipped = atomic_load(&j->tp.skipped);

	units_bytes(atomic_load(&j->tp.bytes), in, sizeof(in));
	snprintf(j->summary, sizeof(j->summary), "revision %s is intact: %s, %llu files, %s%s", j->rev_name,
		 j->chosen->protected_ ? "authenticated" : "unsigned (not authenticated)",
		 (unsigned long long)atomic_load(&j->tp.files), in,
		 skipped ? "; some entries would be skipped on restore (see the log)" : "");
	job_set_state(j, JOB_DONE);
}

static void restore_commit(struct job *j)
{
	struct err e = { 0 };
	char in[32];
	uint64_t skipped = atomic_load(&j->tp.skipped);
	size_t npaths = 0;
	int rc;

	units_bytes(atomic_load(&j->tp.bytes), in, sizeof(in));
	if (in_place(j) && !j->p.assume_yes && !job_ask(j, JOB_Q_REPLACE)) {
		/* The operator's No is a cancel, not a failure of the restore. */
		if (!job_stop_if_cancelled(j)) {
			j->verdict = JOB_VERDICT_CANCELLED;
			job_fail(j, RV_FAIL, "restore of %s not confirmed: nothing was changed", j->rev_name);
		}
		return;
	}
	if (j->p.npaths > 0) {
		const char **targets;

		/* Paths inside another one given came with it. */
		npaths = tarball_stage_targets(j->stage, &targets);
	}
	rc = tarball_commit(j->stage, &e);
	j->stage = NULL;
	if (rc != RV_OK) {
		job_fail(j, e.code, "%s", e.msg);
		return;
	}
	if (skipped > 0)
		j->result = RV_INCOMPLETE;
	if (j->p.npaths > 0)
		/* The files counted are every entry read, not only those restored. */
		snprintf(j->summary, sizeof(j->summary), "restored %zu path%s of %s%s%s%s", npaths,
			 npaths == 1 ? "" : "s", j->rev_name, j->p.to_dir ? " under " : " in place",
			 j->p.to_dir ? j->p.to_dir : "", skipped ? "; some entries were skipped (named above)" : "");
	else
		snprintf(j->summary, sizeof(j->summary), "restored %s%s%s: %llu files, %s%s", j->rev_name,
			 j->p.to_dir ? " under " : " in place", j->p.to_dir ? j->p.to_dir : "",
			 (unsigned long long)atomic_load(&j->tp.files), in,
			 skipped ? "; some entries were skipped (named above)" : "");
	job_set_state(j, JOB_DONE);
}

/* No staging directory left on disk. */
static void restore_cleanup(struct job *j)
{
	tarball_discard(j->stage);
	j->stage = NULL;
}

const struct job_ops job_restore_ops = {
	.name = "restore",
	.prepare_phase = "looking up",
	.transfer_phase = "restoring",
	.commit_phase = "putting in place",
	.needs_lock = true,
	.logs_in = true,
	.start = restore_start,
	.prepare = restore_prepare,
	.transfer = restore_transfer,
	.commit = restore_commit,
	.cleanup = restore_cleanup,
};

/* ls: what it printed is the output; the summary would only repeat it. */
static void ls_commit(struct job *j)
{
	job_set_state(j, JOB_DONE);
}

const struct job_ops job_ls_ops = {
	.name = "ls",
	.prepare_phase = "looking up",
	.transfer_phase = "reading",
	.commit_phase = "finishing",
	.logs_in = true,
	.prepare = restore_prepare,
	.transfer = restore_transfer,
	.commit = ls_commit,
	.cleanup = restore_cleanup,
};

const struct job_ops job_verify_ops = {
	.name = "verify",
	.prepare_phase = "looking up",
	.transfer_phase = "verifying",
	.commit_phase = "putting in place",
	.logs_in = true,
	.prepare = restore_prepare,
	.transfer = restore_transfer,
	.commit = verify_commit,
	.cleanup = restore_cleanup,
};
