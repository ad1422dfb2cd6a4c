/* revisions: the revisions of a device on the server. A revision is named
 * by the UTC time of its backup (20261124T101500Z, "-N" when several fall
 * in one second) and stored as NAME.revault (protected) or NAME.tar.zst
 * (docs/FORMAT.md, docs/OPERATOR.md "Revisions on the server"). Listing reads the device folder once and,
 * for `list`, each protected revision's plain header (at most 1 KiB). This
 * file is also the list job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "core/job_int.h"
#include "core/url.h"
#include "core/util.h"

/* More entries than any real device folder holds. */
#define REVISIONS_MAX 100000
/* A failed backup's temporary is another machine's live one until then. */
#define STALE_TEMP_AGE (24 * 3600)

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

void revisions_sort(struct revision *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), revision_cmp_newest_first);
}

void revisions_free(struct revision *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].file);
	}
	free(v);
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

/* After the device folder could not be listed: true when it is simply not
 * there, the device has no backup on the server yet. The transport does
 * not tell "no such file" apart from other refusals, so the folder above
 * it (server.url's, which logging in found to be a folder) is listed and
 * must hold nothing of the device's name. A device folder that is there
 * but cannot be read, a folder above that cannot be listed, or a lost
 * connection all stay failures. One more round trip, on this path only. */
static bool device_folder_missing(struct job *j)
{
	struct remote_entry *ents = NULL;
	size_t n = 0;
	struct err e = { 0 };
	bool missing = true;

	if (transport_list(j->t, j->url.dir, &ents, &n, &e) != RV_OK)
		return false;
	for (size_t i = 0; i < n && missing; i++)
		if (strcmp(ents[i].name, j->device) == 0)
			missing = false;
	remote_entries_free(ents, n);
	return missing;
}

/* The revisions among a listing of the device folder, into j->revs. */
static void revisions_from(struct job *j, const struct remote_entry *ents, size_t n)
{
	revisions_free(j->revs, j->nrevs);
	j->revs = NULL;
	j->nrevs = 0;
	for (size_t i = 0; i < n && j->nrevs < REVISIONS_MAX; i++) {
		char name[64];
		bool prot;
		struct revision *r;

		/* A FIFO named like a revision would block the open: skipped
		 * before it is opened, as folders are. */
		if (ents[i].is_dir || ents[i].is_other || !revision_parse_file(ents[i].name, name, sizeof(name), &prot))
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
	revisions_sort(j->revs, j->nrevs);
}

/* Removes hidden temporaries among a listing that a failed run left
 * behind a day ago or more; younger ones may belong to a run still going
 * on elsewhere. */
static void remove_stale(struct job *j, const struct remote_entry *ents, size_t n)
{
	struct err e = { 0 };
	time_t now = time(NULL);

	for (size_t i = 0; i < n; i++) {
		if (ents[i].is_dir || ents[i].name[0] != '.' || strstr(ents[i].name, ".tmp-") == NULL)
			continue;
		if (now - ents[i].mtime < STALE_TEMP_AGE)
			continue;
		char *path = job_join(j->remote_dir, ents[i].name);

		err_clear(&e);
		if (transport_unlink(j->t, path, &e) == RV_OK)
			job_log(j, LOG_NOTICE, "removed stale temporary %s", path);
		free(path);
	}
}

/* Lists the device folder once: its revisions into j->revs and, with
 * stale, the old temporaries removed. *missing (may be NULL) is set when
 * the folder is not there. */
static int load(struct job *j, bool stale, bool *missing)
{
	struct remote_entry *ents = NULL;
	size_t n = 0;
	struct err e = { 0 };
	int rc;

	if (missing != NULL)
		*missing = false;
	revisions_from(j, NULL, 0);
	rc = transport_list(j->t, j->remote_dir, &ents, &n, &e);
	if (rc != RV_OK) {
		bool gone = transport_gone(j->t);

		if (device_folder_missing(j)) {
			if (missing != NULL)
				*missing = true;
			return RV_OK;
		}
		if (gone) {
			/* "No such folder", yet it is there: another machine
			 * under the same device name made it between the two
			 * listings. Once more. */
			err_clear(&e);
			rc = transport_list(j->t, j->remote_dir, &ents, &n, &e);
		}
	}
	if (rc != RV_OK)
		return job_fail(j, rc, "%s", e.msg);
	if (stale)
		remove_stale(j, ents, n);
	revisions_from(j, ents, n);
	remote_entries_free(ents, n);
	return RV_OK;
}

int revisions_load_for_backup(struct job *j, bool *missing)
{
	return load(j, true, missing);
}

void revisions_add(struct job *j, const char *name, const char *file, uint64_t size, bool protected_)
{
	struct revision *r;

	j->revs = xrealloc(j->revs, (j->nrevs + 1) * sizeof(*j->revs));
	r = &j->revs[j->nrevs++];
	memset(r, 0, sizeof(*r));
	r->name = xstrdup(name);
	r->file = xstrdup(file);
	r->size = size;
	r->mtime = time(NULL);
	r->protected_ = protected_;
	revisions_sort(j->revs, j->nrevs);
}

/* Reads the revisions in the device folder; with headers, also reads the
 * plain header of each protected one (a few hundred bytes each). A device
 * folder that is not there holds no revisions: not a failure. */
int revisions_load(struct job *j, bool headers)
{
	struct err e = { 0 };
	unsigned probes = 0;

	if (load(j, false, NULL) != RV_OK)
		return j->err.code;
	if (!headers)
		return RV_OK;
	for (size_t i = 0; i < j->nrevs && !job_stop_if_cancelled(j); i++) {
		struct revision *r = &j->revs[i];
		uint8_t buf[CONTAINER_HEADER_MAX];
		size_t got = 0;
		struct container_header h;
		size_t hl;
		char *path;
		struct remote_file *f;

		if (!r->protected_)
			continue;
		path = job_join(j->remote_dir, r->file);
		f = transport_open(j->t, path, r->size, &e);
		free(path);
		if (f == NULL && !still_connected(j, &probes))
			return job_fail(j, e.code, "%s", e.msg);
		if (f == NULL) {
			/* One unreadable entry (a symlink loop, no permission) is
			 * shown as such; it does not hide the others. */
			err_clear(&e);
			continue;
		}
		{
			long k = remote_read_head(f, buf, sizeof(buf), &e);

			got = k > 0 ? (size_t)k : 0;
		}
		remote_close(f);
		if (e.code != RV_OK)
			return job_fail(j, e.code, "%s", e.msg);
		if (container_header_parse(buf, got, &h, &hl) == CONTAINER_OK) {
			r->header_ok = true;
			keystore_id_hex(h.key_id, r->key_id);
			r->key_match = j->have_key && memcmp(h.key_id, j->key.id, KEY_ID_LEN) == 0;
			snprintf(r->device, sizeof(r->device), "%s", h.device);
		}
	}
	return j->err.code;
}

char *revisions_next_name(const char *stamp, const struct revision *revs, size_t n)
{
	size_t len = strlen(stamp);
	unsigned long next = 0;

	for (size_t i = 0; i < n; i++) {
		const char *name = revs[i].name;

		if (strncmp(name, stamp, len) != 0)
			continue;
		if (name[len] == '\0' && next < 1)
			next = 1;
		else if (name[len] == '-' && strtoul(name + len + 1, NULL, 10) + 1 > next)
			next = strtoul(name + len + 1, NULL, 10) + 1;
	}
	return next == 0 ? xstrdup(stamp) : xasprintf("%s-%lu", stamp, next);
}

/* "no revisions of DEVICE yet in DIR on HOST:PORT" and what to do, for
 * a device with no revision on the server (its folder empty or not there). */
static void no_revisions(const struct job *j, const char *before, char *buf, size_t cap)
{
	char where[URL_HOSTPORT_MAX];

	url_format_hostport(j->url.host, j->url.port, 0, where, sizeof(where));
	if (j->p.device == NULL)
		snprintf(buf, cap, "%sno revisions of %s yet in %s on %s: run `revault backup`", before, j->device,
			 j->url.dir, where);
	else
		snprintf(buf, cap, "%sno revisions of %s yet in %s on %s: is %s that machine's backup.device?",
			 before, j->device, j->url.dir, where, j->device);
}

int revisions_choose(struct job *j)
{
	const char *want = j->p.revision != NULL ? j->p.revision : "latest";

	if (revisions_load(j, false) != RV_OK)
		return j->err.code;
	if (j->nrevs == 0) {
		char msg[ERR_MSG_MAX];

		/* As for a revision that is not there: the operator asked for
		 * something the server does not hold (exit 2). */
		no_revisions(j, j->ops == &job_restore_ops ? "nothing to restore: "
			     : j->ops == &job_ls_ops ? "nothing to list: " : "nothing to verify: ", msg,
			     sizeof(msg));
		return job_fail(j, RV_USAGE, "%s", msg);
	}
	if (strcmp(want, "latest") == 0) {
		j->chosen = &j->revs[0];
	} else {
		for (size_t i = 0; i < j->nrevs; i++)
			if (strcmp(j->revs[i].name, want) == 0 || strcmp(j->revs[i].file, want) == 0)
				j->chosen = &j->revs[i];
		if (j->chosen == NULL)
			return job_fail(j, RV_USAGE, "no revision %s of device %s: `revault list%s%s` shows them", want,
					j->device, j->p.device ? " --device " : "", j->p.device ? j->p.device : "");
	}
	j->rev_name = xstrdup(j->chosen->name);
	j->bytes_total = j->chosen->size;
	return RV_OK;
}

/* ---- the list job ---- */

static void list_start(struct job *j)
{
	job_load_key(j, false);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The device folders beside this one: every folder in server.url's
 * directory but hidden ones, as backup.device names them. One more
 * listing, asked for by the front end that offers to pick a device. An
 * account that may read its device folder but not the one above still
 * gets its revisions: a refused listing leaves j->devices NULL. */
static void devices_load(struct job *j)
{
	struct remote_entry *ents = NULL;
	size_t n = 0;
	struct err e = { 0 };

	if (transport_list(j->t, j->url.dir, &ents, &n, &e) != RV_OK) {
		job_log(j, LOG_DEBUG, "device folders not listed: %s", e.msg);
		return;
	}
	j->devices = xcalloc(1, sizeof(*j->devices));
	for (size_t i = 0; i < n; i++) {
		if (!ents[i].is_dir || ents[i].name[0] == '.')
			continue;
		j->devices = xrealloc(j->devices, (j->ndevices + 1) * sizeof(*j->devices));
		j->devices[j->ndevices++] = xstrdup(ents[i].name);
	}
	remote_entries_free(ents, n);
	if (j->ndevices > 1)
		qsort(j->devices, j->ndevices, sizeof(*j->devices), cmp_names);
}

static void list_prepare(struct job *j)
{
	if (revisions_load(j, true) != RV_OK)
		return;
	if (j->p.devices)
		devices_load(j);
	if (j->nrevs == 0)
		no_revisions(j, "", j->summary, sizeof(j->summary));
	else
		snprintf(j->summary, sizeof(j->summary), "%zu revision%s of %s", j->nrevs, j->nrevs == 1 ? "" : "s",
			 j->device);
	job_set_state(j, JOB_DONE);
}

const struct job_ops job_list_ops = {
	.name = "list",
	.prepare_phase = "looking up",
	.logs_in = true,
	.start = list_start,
	.prepare = list_prepare,
};
