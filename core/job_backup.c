/* job_backup: the backup job. The archive thread walks the sources (tar +
 * zstd, core/tarball.c) and seals the stream (core/container.c) into the
 * queue; the worker thread uploads it to a hidden temporary, flushes it,
 * renames it into place, then prunes revisions beyond backup.revisions
 * (docs/OPERATOR.md, "Revisions on the server"). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/hooks.h"
#include "core/job_int.h"
#include "core/lastrun.h"
#include "core/paths.h"
#include "core/sources.h"
#include "core/units.h"
#include "core/util.h"

/* See next_buffer. */
#define FLUSH_EARLY (16 * 1024 * 1024)

/* What a backup never holds, by identity (device and inode), whatever the
 * spelling of a source, a symlink or a bind mount: the machine's secrets,
 * the settings' own (the master key inside an unprotected backup would be
 * in clear; inside a protected one, the key to open it) and the state
 * folder with the lock and the restore journal. */
static void build_never(struct job *j)
{
	char **files, *state = paths_state_dir(NULL);
	size_t n = job_secret_files(j, &files);
	struct stat sb;

	j->never = xcalloc(n + 1, sizeof(*j->never));
	for (size_t i = 0; i < n; i++)
		if (lstat(files[i], &sb) == 0)
			j->never[j->nnever++] = (struct tarball_file_id){ sb.st_dev, sb.st_ino };
	if (state != NULL && lstat(state, &sb) == 0)
		j->never[j->nnever++] = (struct tarball_file_id){ sb.st_dev, sb.st_ino };
	free(state);
	job_free_strings(files, n);
}

static void hook_log(void *arg, int prio, const char *msg)
{
	job_log(arg, prio, "%s", msg);
}

/* Hooks run only from a settings file no one else can write. */
static bool hooks_allowed(struct job *j, struct err *e)
{
	const struct settings *s = j->p.settings;

	if (s->hooks.before_backup == NULL && s->hooks.after_backup == NULL)
		return false;
	return j->p.settings_path != NULL && hooks_check_file(j->p.settings_path, e) == RV_OK;
}

/* hooks.before_backup, before the connection: one that fails stops the
 * backup (exit 1) with the last line it wrote on stderr. */
static void run_before_hook(struct job *j)
{
	const struct settings *s = j->p.settings;
	struct hook_run h = {
		.name = "hooks.before_backup", .command = s->hooks.before_backup, .timeout = s->hooks.timeout,
		.cancel = &j->cancel, .log = hook_log, .log_arg = j,
	};
	struct err e = { 0 };

	if (s->hooks.before_backup == NULL && s->hooks.after_backup == NULL)
		return;
	if (!hooks_allowed(j, &e)) {
		j->hooks_refused = true;
		job_fail(j, e.code, "%s; nothing was backed up", e.msg);
		return;
	}
	if (s->hooks.before_backup == NULL)
		return;
	job_log(j, LOG_INFO, "running hooks.before_backup");
	if (hooks_run(&h, &e) != RV_OK)
		job_fail(j, RV_FAIL, "%s; nothing was backed up", e.msg);
}

/* Before connecting: something to back up, the sources sound (one
 * spelling, none inside another or holding the state folder), the
 * master key when backups are protected, then hooks.before_backup (last,
 * so that a dump is not made for a backup that cannot run). */
static void backup_start(struct job *j)
{
	const struct settings *s = j->p.settings;
	struct err e = { 0 };
	char *state;

	/* Under the state folder's lock: this run is now the last attempt,
	 * even if it is killed before its record. */
	j->runfd = lastrun_begin(j->started_at, &e);
	if (j->runfd < 0)
		job_log(j, LOG_WARNING, "%s", e.msg);
	e = (struct err){ 0 };
	if (s->backup.nsources == 0) {
		job_fail(j, RV_USAGE, "nothing to back up: add a source with `revault source add PATH`");
		return;
	}
	state = paths_state_dir(&e);
	if (state == NULL || sources_check(s->backup.sources, s->backup.nsources, state, &e) != RV_OK) {
		free(state);
		job_fail(j, e.code, "%s", e.msg);
		return;
	}
	free(state);
	for (size_t i = 0; i < s->backup.nsources; i++) {
		char note[PATH_MAX + 512];

		if (sources_symlink_note(s->backup.sources[i], note, sizeof(note)))
			job_log(j, LOG_WARNING, "%s", note);
		if (access(s->backup.sources[i], F_OK) != 0) {
			job_fail(j, RV_USAGE, "source %s does not exist: create it or `revault source remove %s`",
				 s->backup.sources[i], s->backup.sources[i]);
			return;
		}
	}
	if (s->security.protected_ && job_load_key(j, true) != RV_OK)
		return;
	run_before_hook(j);
}

/* tarball_scan's tick: the local scan keeps the connection busy. */
static void keep_busy(void *arg)
{
	struct job *j = arg;

	transport_idle(j->t);
}

static void backup_prepare(struct job *j)
{
	const struct settings *s = j->p.settings;
	struct tarball_create_opts o = {
		.sources = s->backup.sources, .nsources = s->backup.nsources,
		.exclude = s->backup.exclude, .nexclude = s->backup.nexclude,
		.cancel = &j->cancel,
	};
	struct err e = { 0 };
	char stamp[32], rnd[8], rhex[17];
	time_t now = time(NULL);
	struct tm tm;
	const char *ext = s->security.protected_ ? REVISION_EXT_PROTECTED : REVISION_EXT_PLAIN;
	bool missing;

	build_never(j);
	o.never = j->never;
	o.nnever = j->nnever;
	/* One listing of the device folder per backup: the revisions it
	 * holds (for the name and the pruning), the old temporaries, and
	 * whether the folder must be made first. */
	if (revisions_load_for_backup(j, &missing) != RV_OK)
		return;
	if (missing && transport_mkdirs(j->t, j->remote_dir, &e) != RV_OK) {
		job_fail(j, e.code, "%s", e.msg);
		return;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	j->rev_name = revisions_next_name(stamp, j->revs, j->nrevs);
	o.tick = keep_busy;
	o.tick_arg = j;
	if (tarball_scan(&o, &j->files_total, &j->bytes_total, &e) != RV_OK) {
		job_fail(j, e.code, "%s", e.msg);
		return;
	}
	if (RAND_bytes((unsigned char *)rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	hex_encode((const uint8_t *)rnd, sizeof(rnd), rhex);
	j->final_path = xasprintf("%s/%s%s", j->remote_dir, j->rev_name, ext);
	j->tmp_path = xasprintf("%s/.%s%s.tmp-%s", j->remote_dir, j->rev_name, ext, rhex);
	j->rf = transport_create(j->t, j->tmp_path, &e);
	if (j->rf == NULL) {
		job_fail(j, e.code, "%s", e.msg);
		return;
	}
	remote_count_acked(j->rf, &j->acked);
	job_set_state(j, JOB_TRANSFER);
}

struct sealed_out {
	struct job_qwriter *qw;
	struct sealer *sealer;
};

static int archive_out(void *arg, const void *buf, size_t len, struct err *e)
{
	struct sealed_out *o = arg;

	if (o->sealer != NULL)
		return sealer_write(o->sealer, buf, len, e) == RV_OK ? 0 : -1;
	return job_queue_sink(o->qw, buf, len, e);
}

static void *backup_side(void *arg)
{
	struct job *j = arg;
	const struct settings *s = j->p.settings;
	struct job_qwriter qw = { .j = j };
	struct sealed_out out = { .qw = &qw };
	struct tarball_create_opts o = {
		.sources = s->backup.sources, .nsources = s->backup.nsources,
		.exclude = s->backup.exclude, .nexclude = s->backup.nexclude,
		.never = j->never, .nnever = j->nnever,
		.level = s->backup.compression, .cancel = &j->cancel, .progress = &j->tp,
		.warn = job_warn, .warn_arg = j,
	};
	struct err *e = &j->side_err;

	if (s->security.protected_) {
		struct container_header h = { 0 };

		snprintf(h.device, sizeof(h.device), "%s", j->device);
		snprintf(h.revision, sizeof(h.revision), "%s", j->rev_name);
		snprintf(h.tool_version, sizeof(h.tool_version), "revault %s", REVAULT_VERSION);
		h.created = (int64_t)time(NULL);
		out.sealer = sealer_new(&j->key, &h, job_queue_sink, &qw, e);
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
	struct qbuf *b;
	bool waiting;

	if (!queue_ready(j->q) && remote_unflushed(j->rf) >= FLUSH_EARLY &&
	    remote_flush(j->rf, e) != RV_OK) {
		queue_abort(j->q);
		return NULL;
	}
	/* While the archive thread works on (150,000 small files compress
	 * to almost nothing), the channel is kept busy. */
	while ((b = queue_pop_wait(j->q, JOB_KEEP_BUSY_WAIT, &waiting)) == NULL && waiting)
		transport_idle(j->t);
	return b;
}

static void backup_transfer(struct job *j)
{
	struct err e = { 0 };
	struct qbuf *b;

	j->q = queue_new(JOB_QUEUE_BUFS, JOB_QUEUE_BUF_SIZE);
	if (pthread_create(&j->side, NULL, backup_side, j) != 0) {
		job_fail(j, RV_FAIL, "cannot start the archive thread");
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
	if (job_stop_if_cancelled(j))
		return;
	/* The upload's own error first: the archive side then only saw "stopped". */
	if (e.code != RV_OK) {
		job_fail(j, e.code, "%s", e.msg);
		return;
	}
	if (j->side_err.code != RV_OK) {
		job_fail(j, j->side_err.code, "%s", j->side_err.msg);
		return;
	}
	job_set_state(j, JOB_COMMIT);
}

/* Removes revisions beyond backup.revisions, counted in the listing the
 * backup made before its upload with the revision it just stored added
 * (remote_commit read it back under its name): no second listing. A
 * revision another run removed in between is not a warning. */
static int prune(struct job *j)
{
	unsigned keep = j->p.settings->backup.revisions;
	struct err e = { 0 };

	revisions_add(j, j->rev_name, strrchr(j->final_path, '/') + 1, atomic_load(&j->wire),
		      j->p.settings->security.protected_);
	/* Revisions are kept counting from the one just made: any named later
	 * (a clock that was ahead, another machine's, or junk) are neither
	 * counted nor removed, and are named, so they can never push out the
	 * real history. */
	size_t self = j->nrevs;

	for (size_t i = 0; i < j->nrevs; i++)
		if (strcmp(j->revs[i].name, j->rev_name) == 0)
			self = i;
	for (size_t i = 0; i < self && self < j->nrevs; i++)
		job_log(j, LOG_WARNING, "revision %s is named later than this backup (%s): kept, and not counted in backup.revisions; remove it if it is not real",
			j->revs[i].name, j->rev_name);
	for (size_t i = (self < j->nrevs ? self : 0) + keep; i < j->nrevs; i++) {
		char *path;

		path = job_join(j->remote_dir, j->revs[i].file);

		err_clear(&e);
		if (transport_unlink(j->t, path, &e) == RV_OK) {
			j->pruned++;
			job_log(j, LOG_INFO, "removed old revision %s", j->revs[i].name);
		} else if (transport_gone(j->t)) {
			j->pruned++;
			job_log(j, LOG_INFO, "old revision %s was removed already", j->revs[i].name);
		} else {
			job_log(j, LOG_WARNING, "could not remove old revision %s (backup.revisions is %u): %s", j->revs[i].name,
				keep, e.msg);
			j->prune_failed++;
		}
		free(path);
	}
	j->kept = (unsigned)(j->nrevs - j->pruned);
	return RV_OK;
}

static void backup_commit(struct job *j)
{
	struct err e = { 0 };
	bool renamed;
	int rc;
	char in[UNITS_MAX], wire[UNITS_MAX], warned[96] = "";
	uint64_t skipped = atomic_load(&j->tp.skipped), changed = atomic_load(&j->tp.changed), warnings;

	units_bytes(atomic_load(&j->tp.bytes), in, sizeof(in));
	units_bytes(atomic_load(&j->wire), wire, sizeof(wire));
	rc = remote_commit(j->rf, j->final_path, &renamed, &e);
	j->rf = NULL;
	if (renamed) {
		free(j->tmp_path);
		j->tmp_path = NULL; /* in place: nothing to clean up any more */
	}
	if (rc != RV_OK) {
		job_fail(j, e.code, "%s", e.msg);
		return;
	}
	if (prune(j) != RV_OK)
		return;
	/* Stored but incomplete (exit 6): entries left out or changed while
	 * read, or revisions beyond backup.revisions that could not be
	 * removed; each was named in a warning as it happened. */
	warnings = skipped + changed + j->prune_failed;
	if (warnings > 0) {
		snprintf(warned, sizeof(warned), " with %llu warning%s", (unsigned long long)warnings,
			 warnings == 1 ? "" : "s");
		j->result = RV_INCOMPLETE;
	}
	snprintf(j->summary, sizeof(j->summary), "backup %s done%s: %llu files, %s -> %s %s in %s; %u revision%s kept",
		 j->rev_name, warned, (unsigned long long)atomic_load(&j->tp.files), in, wire,
		 j->p.settings->security.protected_ ? "protected" : "unprotected", j->remote_dir, j->kept,
		 j->kept == 1 ? "" : "s");
	job_set_state(j, JOB_DONE);
}

/* No temporary left on the server: an aborted upload is removed (a later
 * backup removes one that could not be, once it is a day old). */
static void backup_cleanup(struct job *j)
{
	struct err e = { 0 };

	if (j->rf != NULL) {
		remote_abort(j->rf);
		j->rf = NULL;
	}
	if (j->tmp_path != NULL && j->t != NULL && transport_unlink(j->t, j->tmp_path, &e) != RV_OK)
		job_log(j, LOG_NOTICE, "could not remove the temporary %s (a later backup removes it): %s", j->tmp_path,
			e.msg);
}

/* hooks.after_backup, after every attempt, with its outcome in the
 * environment. Its failure is a warning: the backup's outcome stands. A
 * cancelled backup is an attempt too, so the cancel does not stop this
 * hook (it is there to report it); hooks.timeout bounds it. */
static void run_after_hook(struct job *j, const struct lastrun *r)
{
	const struct settings *s = j->p.settings;
	char status[16], bytes[24], files[24], warnings[24];
	const struct hook_var vars[] = {
		{ "REVAULT_STATUS", status }, { "REVAULT_REVISION", r->revision }, { "REVAULT_MESSAGE", r->message },
		{ "REVAULT_BYTES", bytes }, { "REVAULT_FILES", files }, { "REVAULT_WARNINGS", warnings },
		{ "REVAULT_CANCELLED", j->verdict == JOB_VERDICT_CANCELLED ? "1" : "0" },
	};
	struct hook_run h = {
		.name = "hooks.after_backup", .command = s->hooks.after_backup, .timeout = s->hooks.timeout,
		.vars = vars, .nvars = ARRAY_LEN(vars), .log = hook_log, .log_arg = j,
	};
	struct err e = { 0 };

	if (s->hooks.after_backup == NULL)
		return;
	if (!hooks_allowed(j, &e)) {
		/* Said once: the backup already failed on it. */
		if (!j->hooks_refused)
			job_log(j, LOG_WARNING, "%s", e.msg);
		return;
	}
	snprintf(status, sizeof(status), "%d", r->status);
	snprintf(bytes, sizeof(bytes), "%" PRIu64, r->bytes);
	snprintf(files, sizeof(files), "%" PRIu64, r->files);
	snprintf(warnings, sizeof(warnings), "%" PRIu64, r->warnings);
	job_log(j, LOG_INFO, "running hooks.after_backup");
	if (hooks_run(&h, &e) != RV_OK)
		job_log(j, LOG_WARNING, "%s", e.msg);
}

/* The last-run record (core/lastrun.h): every attempt, from whichever
 * front end or the timer, and the last one that stored a revision. An
 * operator's cancel is no attempt of the backup system: it leaves both
 * records as they were, so `revault status` neither pages for it nor
 * lets it hide the last attempt that ran to its end (a failure stays a
 * failure); the after hook still runs, told REVAULT_CANCELLED=1
 * (docs/OPERATOR.md, "Hooks"). */
static void backup_record(struct job *j)
{
	struct lastrun r = { .kind = "backup", .started = j->started_at, .ended = (int64_t)time(NULL) };
	struct err e = { 0 };
	bool recorded;

	/* Refused because another one runs: that one's outcome is the last
	 * attempt's, and no alarm is raised (docs/OPERATOR.md, "Monitoring"). */
	if (j->lock_busy) {
		job_log(j, LOG_NOTICE, "not recorded as an attempt: another backup or restore was running");
		return;
	}
	r.status = j->final_status;
	r.warnings = atomic_load(&j->tp.skipped) + atomic_load(&j->tp.changed) + j->prune_failed;
	r.bytes = atomic_load(&j->tp.bytes);
	r.wire_bytes = atomic_load(&j->wire);
	r.files = atomic_load(&j->tp.files);
	if (j->rev_name != NULL && lastrun_succeeded(r.status))
		snprintf(r.revision, sizeof(r.revision), "%s", j->rev_name);
	util_utf8_copy(r.message, sizeof(r.message), lastrun_succeeded(r.status) ? j->summary : j->err.msg);
	if (j->verdict == JOB_VERDICT_CANCELLED) {
		/* Accounted for: the running mark goes, as for a recorded run. */
		job_log(j, LOG_NOTICE, "cancelled: the last-run record keeps the last backup that ran to its end");
		recorded = true;
	} else {
		recorded = lastrun_write(LASTRUN_ATTEMPT, &r, &e) == RV_OK;
		if (!recorded)
			job_log(j, LOG_WARNING, "%s; `revault status` reports this run as one that left no record", e.msg);
		else if (lastrun_succeeded(r.status) && lastrun_write(LASTRUN_SUCCESS, &r, &e) != RV_OK)
			job_log(j, LOG_WARNING, "%s", e.msg);
	}
	lastrun_done(j->runfd, recorded);
	j->runfd = -1;
	run_after_hook(j, &r);
}

const struct job_ops job_backup_ops = {
	.name = "backup",
	.prepare_phase = "scanning",
	.transfer_phase = "uploading",
	.commit_phase = "committing",
	.needs_lock = true,
	.logs_in = true,
	.progress_from_disk = true,
	.start = backup_start,
	.prepare = backup_prepare,
	.transfer = backup_transfer,
	.commit = backup_commit,
	.cleanup = backup_cleanup,
	.record = backup_record,
};
