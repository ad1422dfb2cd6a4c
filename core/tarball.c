/* tarball: libarchive on both sides. Reading the sources uses
 * archive_read_disk for metadata (owners, modes, times, xattrs, ACLs) but
 * reads file data itself, so an unreadable file is skipped before its
 * header is written instead of leaving a hole in the archive. */
#include "core/tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

#define IO_BUF (256 * 1024)
#define MANIFEST_MAX (1 << 20)

static bool cancelled(atomic_bool *c)
{
	return c != NULL && atomic_load(c);
}

static void warnf(void (*warn)(void *, const char *), void *arg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void warnf(void (*warn)(void *, const char *), void *arg, const char *fmt, ...)
{
	char msg[PATH_MAX + 256];
	va_list ap;

	if (warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn(arg, msg);
}

static bool excluded(const struct tarball_create_opts *o, const char *path)
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	for (size_t i = 0; i < o->nexclude; i++) {
		const char *pat = o->exclude[i];

		/* A pattern with a slash matches the whole path, else the name. */
		if (fnmatch(pat, strchr(pat, '/') != NULL ? path : base, FNM_PERIOD) == 0)
			return true;
	}
	return false;
}

static void set_current(struct tarball_progress *p, const char *path)
{
	size_t len, cap;

	if (p == NULL)
		return;
	/* A long path keeps its end: the file name is what the operator reads. */
	len = strlen(path);
	cap = sizeof(p->current) - 1;
	if (len > cap)
		snprintf(p->current, sizeof(p->current), "...%.*s", (int)(cap - 3), path + len - (cap - 3));
	else
		memcpy(p->current, path, len + 1);
}

/* Walks every source, calling fn for each entry that is not excluded. */
typedef int (*walk_fn)(void *arg, struct archive *disk, struct archive_entry *entry, struct err *e);

static int walk(const struct tarball_create_opts *o, walk_fn fn, void *arg, struct err *e)
{
	struct archive *disk = archive_read_disk_new();
	struct archive_entry *entry = archive_entry_new();
	int rc = RV_OK;

	archive_read_disk_set_standard_lookup(disk);
	archive_read_disk_set_symlink_physical(disk);
	for (size_t i = 0; i < o->nsources && rc == RV_OK; i++) {
		struct stat st;

		if (lstat(o->sources[i], &st) != 0) {
			rc = err_set(e, RV_USAGE, "source %s: %s: fix it with `revault source remove %s` or create it",
				     o->sources[i], strerror(errno), o->sources[i]);
			break;
		}
		if (archive_read_disk_open(disk, o->sources[i]) != ARCHIVE_OK) {
			rc = err_set(e, RV_FAIL, "cannot read source %s: %s", o->sources[i], archive_error_string(disk));
			break;
		}
		for (;;) {
			int r;
			const char *path;

			if (cancelled(o->cancel)) {
				rc = err_set(e, RV_FAIL, "cancelled");
				break;
			}
			archive_entry_clear(entry);
			r = archive_read_next_header2(disk, entry);
			if (r == ARCHIVE_EOF)
				break;
			path = archive_entry_pathname(entry);
			if (r < ARCHIVE_WARN) {
				/* An unreadable directory or a vanished file: say so and go on. */
				warnf(o->warn, o->warn_arg, "skipped %s: %s", path ? path : o->sources[i],
				      archive_error_string(disk));
				if (o->progress != NULL)
					atomic_fetch_add(&o->progress->skipped, 1);
				if (r == ARCHIVE_FATAL) {
					rc = err_set(e, RV_FAIL, "reading %s failed: %s", o->sources[i],
						     archive_error_string(disk));
					break;
				}
				continue;
			}
			if (path == NULL)
				continue;
			if (excluded(o, path))
				continue; /* not descended either */
			if (archive_read_disk_can_descend(disk))
				archive_read_disk_descend(disk);
			if ((rc = fn(arg, disk, entry, e)) != RV_OK)
				break;
		}
		archive_read_close(disk);
	}
	archive_entry_free(entry);
	archive_read_free(disk);
	return rc;
}

struct scan {
	uint64_t files, bytes;
};

static int scan_one(void *arg, struct archive *disk, struct archive_entry *entry, struct err *e)
{
	struct scan *s = arg;

	(void)disk;
	(void)e;
	s->files++;
	if (archive_entry_filetype(entry) == AE_IFREG)
		s->bytes += (uint64_t)archive_entry_size(entry);
	return RV_OK;
}

int tarball_scan(const struct tarball_create_opts *o, uint64_t *files, uint64_t *bytes, struct err *e)
{
	struct scan s = { 0 };
	int rc = walk(o, scan_one, &s, e);

	*files = s.files;
	*bytes = s.bytes;
	return rc;
}

struct writer {
	const struct tarball_create_opts *o;
	struct archive *a;
	struct archive_entry_linkresolver *links;
	tarball_out out;
	void *out_arg;
	struct err *e;
	struct err out_err;
	uint8_t *buf;
};

static la_ssize_t write_cb(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct writer *w = arg;

	if (w->out(w->out_arg, buf, len, &w->out_err) != 0) {
		archive_set_error(a, EIO, "%s", w->out_err.msg);
		return -1;
	}
	return (la_ssize_t)len;
}

/* Copies a regular file's data; a file that shrinks while read is padded by
 * libarchive, one that grows is cut at the size in its header. */
static int copy_file(struct writer *w, const char *path, int fd, int64_t size)
{
	int64_t left = size;

	while (left > 0) {
		ssize_t n = read(fd, w->buf, left < IO_BUF ? (size_t)left : IO_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warnf(w->o->warn, w->o->warn_arg, "%s: read error after %lld bytes: %s (the copy in this backup is incomplete)",
			      path, (long long)(size - left), strerror(errno));
			break;
		}
		if (n == 0) {
			warnf(w->o->warn, w->o->warn_arg, "%s shrank while being read (the copy in this backup is padded)", path);
			break;
		}
		if (archive_write_data(w->a, w->buf, (size_t)n) < 0)
			return err_set(w->e, RV_FAIL, "%s", w->out_err.code ? w->out_err.msg : archive_error_string(w->a));
		left -= n;
		if (w->o->progress != NULL)
			atomic_fetch_add(&w->o->progress->bytes, (uint64_t)n);
		if (cancelled(w->o->cancel))
			return err_set(w->e, RV_FAIL, "cancelled");
	}
	return RV_OK;
}

static int write_entry(struct writer *w, struct archive_entry *entry, const char *srcpath, int fd)
{
	struct archive_entry *spare = NULL;
	int r;

	archive_entry_linkify(w->links, &entry, &spare);
	if (entry == NULL)
		return RV_OK;
	r = archive_write_header(w->a, entry);
	if (r < ARCHIVE_WARN)
		return err_set(w->e, RV_FAIL, "%s", w->out_err.code ? w->out_err.msg : archive_error_string(w->a));
	if (r == ARCHIVE_WARN)
		warnf(w->o->warn, w->o->warn_arg, "%s: %s", srcpath, archive_error_string(w->a));
	if (fd >= 0 && archive_entry_size(entry) > 0)
		return copy_file(w, srcpath, fd, archive_entry_size(entry));
	return RV_OK;
}

static int create_one(void *arg, struct archive *disk, struct archive_entry *entry, struct err *e)
{
	struct writer *w = arg;
	const char *path = archive_entry_pathname(entry);
	char *abs = xstrdup(path), *rel;
	int fd = -1, rc;

	(void)disk;
	(void)e;
	set_current(w->o->progress, abs);
	if (archive_entry_filetype(entry) == AE_IFREG) {
		fd = open(abs, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			warnf(w->o->warn, w->o->warn_arg, "skipped %s: %s", abs, strerror(errno));
			if (w->o->progress != NULL)
				atomic_fetch_add(&w->o->progress->skipped, 1);
			free(abs);
			return RV_OK;
		}
	}
	/* Stored relative to "/" so a restore can be rooted anywhere. */
	for (rel = abs; *rel == '/'; rel++)
		;
	archive_entry_set_pathname(entry, *rel != '\0' ? rel : ".");
	rc = write_entry(w, entry, abs, fd);
	if (fd >= 0)
		close(fd);
	if (w->o->progress != NULL)
		atomic_fetch_add(&w->o->progress->files, 1);
	free(abs);
	return rc;
}

static int write_manifest(struct writer *w)
{
	struct archive_entry *m = archive_entry_new();
	size_t len = 0, cap = 64;
	char *text = xmalloc(cap);
	int rc = RV_OK;

	len = (size_t)snprintf(text, cap, "revault-manifest 1\n");
	for (size_t i = 0; i < w->o->nsources; i++) {
		size_t need = strlen(w->o->sources[i]) + 9;

		if (len + need >= cap) {
			cap = (len + need) * 2;
			text = xrealloc(text, cap);
		}
		len += (size_t)snprintf(text + len, cap - len, "source %s\n", w->o->sources[i]);
	}
	archive_entry_set_pathname(m, TARBALL_MANIFEST);
	archive_entry_set_filetype(m, AE_IFREG);
	archive_entry_set_perm(m, 0600);
	archive_entry_set_size(m, (la_int64_t)len);
	archive_entry_set_mtime(m, time(NULL), 0);
	if (archive_write_header(w->a, m) != ARCHIVE_OK || archive_write_data(w->a, text, len) != (la_ssize_t)len)
		rc = err_set(w->e, RV_FAIL, "%s", w->out_err.code ? w->out_err.msg : archive_error_string(w->a));
	archive_entry_free(m);
	free(text);
	return rc;
}

int tarball_create(const struct tarball_create_opts *o, tarball_out out, void *arg, struct err *e)
{
	struct writer w = { .o = o, .out = out, .out_arg = arg, .e = e };
	char level[16];
	int rc;

	w.a = archive_write_new();
	w.links = archive_entry_linkresolver_new();
	archive_entry_linkresolver_set_strategy(w.links, ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE);
	w.buf = xmalloc(IO_BUF);
	snprintf(level, sizeof(level), "%u", o->level);
	if (archive_write_set_format_pax(w.a) != ARCHIVE_OK ||
	    archive_write_add_filter_zstd(w.a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(w.a, "zstd", "compression-level", level) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w.a, 64 * 1024) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w.a, 1) != ARCHIVE_OK ||
	    archive_write_open2(w.a, &w, NULL, write_cb, NULL, NULL) != ARCHIVE_OK) {
		rc = err_set(e, RV_FAIL, "cannot start the archive: %s", archive_error_string(w.a));
		goto out;
	}
	if ((rc = write_manifest(&w)) != RV_OK)
		goto out;
	if ((rc = walk(o, create_one, &w, e)) != RV_OK)
		goto out;
	{
		/* Entries the resolver held back (none for tar, but the API asks). */
		struct archive_entry *entry = NULL, *spare = NULL;

		archive_entry_linkify(w.links, &entry, &spare);
		while (entry != NULL) {
			if (archive_write_header(w.a, entry) < ARCHIVE_WARN) {
				rc = err_set(e, RV_FAIL, "%s", archive_error_string(w.a));
				goto out;
			}
			entry = NULL;
			archive_entry_linkify(w.links, &entry, &spare);
		}
	}
	if (archive_write_close(w.a) != ARCHIVE_OK)
		rc = err_set(e, RV_FAIL, "%s", w.out_err.code ? w.out_err.msg : archive_error_string(w.a));
out:
	archive_write_free(w.a);
	archive_entry_linkresolver_free(w.links);
	free(w.buf);
	return rc;
}

/* ---- extraction ---- */

struct staged {
	char *source;   /* as in the manifest: /etc */
	char *target;   /* where it goes: /etc, or DIR/etc */
	char *staged;   /* where it is extracted: <stage dir>/etc */
	char *aside;    /* where the old target is parked during the swap */
	bool present;   /* the archive held at least the source itself */
	bool swapped, parked;
};

struct tarball_stage {
	char *journal;
	struct staged *v;
	size_t n;
	char **dirs;    /* staging directories to remove */
	char **ancestors; /* the existing directory each one was made in */
	struct timespec *times; /* its atime and mtime before, put back when abandoned */
	size_t ndirs;
	const char **targets;
};

static void stage_free(struct tarball_stage *st)
{
	free(st->journal);
	for (size_t i = 0; i < st->n; i++) {
		free(st->v[i].source);
		free(st->v[i].target);
		free(st->v[i].staged);
		free(st->v[i].aside);
	}
	for (size_t i = 0; i < st->ndirs; i++) {
		free(st->dirs[i]);
		free(st->ancestors[i]);
	}
	free(st->dirs);
	free(st->ancestors);
	free(st->times);
	free(st->v);
	free(st->targets);
	free(st);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Directories restored read-only must be writable to be emptied. */
static int open_up(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D && (sb->st_mode & 0700) != 0700)
		chmod(path, (sb->st_mode & 07777) | 0700);
	return 0;
}

static void rm_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	nftw(path, open_up, 32, FTW_PHYS | FTW_MOUNT);
	nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static void remove_stages(struct tarball_stage *st, bool keep_times)
{
	for (size_t i = 0; i < st->ndirs; i++) {
		rm_tree(st->dirs[i]);
		/* An abandoned restore leaves even the parent's times as they were. */
		if (keep_times)
			utimensat(AT_FDCWD, st->ancestors[i], &st->times[2 * i], AT_SYMLINK_NOFOLLOW);
	}
}

void tarball_discard(struct tarball_stage *st)
{
	if (st == NULL)
		return;
	remove_stages(st, true);
	if (st->journal != NULL && st->ndirs > 0)
		unlink(st->journal);
	stage_free(st);
}

static char *random_tag(void)
{
	uint8_t r[6];
	char hex[13];

	if (RAND_bytes(r, sizeof(r)) != 1)
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (uint8_t)(rand() ^ getpid());
	hex_encode(r, sizeof(r), hex);
	return xstrdup(hex);
}

/* The nearest existing ancestor directory of path, resolved (so extraction
 * never goes through a symlink in its own prefix). */
static char *existing_ancestor(const char *path)
{
	char *p = xstrdup(path), *real;

	for (;;) {
		char *slash = strrchr(p, '/');
		struct stat st;

		if (slash == NULL || slash == p) {
			strcpy(p, "/");
		} else {
			*slash = '\0';
		}
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			break;
		if (strcmp(p, "/") == 0)
			break;
	}
	real = realpath(p, NULL);
	free(p);
	return real != NULL ? real : xstrdup("/");
}

/* Validates a path stored in the archive: relative, no "..", no empty
 * components; refuses rather than sanitises. */
static bool safe_relpath(const char *p)
{
	if (p == NULL || *p == '\0' || *p == '/')
		return false;
	for (const char *c = p; *c != '\0';) {
		size_t len = strcspn(c, "/");

		if ((len == 2 && c[0] == '.' && c[1] == '.') || len == 0)
			return false;
		c += len;
		if (*c == '/')
			c++;
	}
	return strlen(p) < PATH_MAX / 2;
}

static int parse_manifest(const char *text, size_t len, const char *to_dir, struct tarball_stage *st,
			  struct err *e)
{
	const char *p = text, *end = text + len;

	if (len < 19 || strncmp(text, "revault-manifest 1\n", 19) != 0)
		return err_set(e, RV_INTEGRITY, "the archive's manifest is not one this version reads");
	p += 19;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char *src;
		struct staged *s;

		if (nl == NULL || (size_t)(nl - p) < 8 || strncmp(p, "source /", 8) != 0)
			return err_set(e, RV_INTEGRITY, "the archive's manifest is malformed");
		src = xstrndup(p + 7, (size_t)(nl - p - 7));
		if (strlen(src) > 1 && !safe_relpath(src + 1)) {
			free(src);
			return err_set(e, RV_INTEGRITY, "the archive's manifest names an unsafe source path");
		}
		st->v = xrealloc(st->v, (st->n + 1) * sizeof(*st->v));
		s = &st->v[st->n++];
		memset(s, 0, sizeof(*s));
		s->source = src;
		s->target = to_dir != NULL ? xasprintf("%s%s", to_dir, strcmp(src, "/") == 0 ? "" : src) : xstrdup(src);
		p = nl + 1;
	}
	if (st->n == 0)
		return err_set(e, RV_INTEGRITY, "the archive's manifest names no sources");
	return RV_OK;
}

/* Picks a staging directory for every target, on the target's filesystem;
 * they are made only once the journal names them (make_stage). */
static void plan_stage(struct tarball_stage *st)
{
	for (size_t i = 0; i < st->n; i++) {
		struct staged *s = &st->v[i];
		char *anc = existing_ancestor(s->target), *dir = NULL, *tag = random_tag();
		const char *rest;

		/* Targets under the same ancestor share one stage directory. */
		for (size_t j = 0; j < st->ndirs; j++)
			if (strcmp(st->ancestors[j], anc) == 0)
				dir = st->dirs[j];
		if (dir == NULL) {
			struct stat as;

			if (stat(anc, &as) != 0)
				memset(&as, 0, sizeof(as));
			dir = xasprintf("%s%s.revault-stage-%s", anc, strcmp(anc, "/") == 0 ? "" : "/", tag);
			st->dirs = xrealloc(st->dirs, (st->ndirs + 1) * sizeof(*st->dirs));
			st->ancestors = xrealloc(st->ancestors, (st->ndirs + 1) * sizeof(*st->ancestors));
			st->times = xrealloc(st->times, (st->ndirs + 1) * 2 * sizeof(*st->times));
			st->times[2 * st->ndirs] = as.st_atim;
			st->times[2 * st->ndirs + 1] = as.st_mtim;
			st->dirs[st->ndirs] = dir;
			st->ancestors[st->ndirs++] = xstrdup(anc);
		}
		/* Each target gets its own numbered slot in the stage, so targets
		 * sharing a stage directory never collide. */
		rest = strrchr(s->target, '/');
		s->staged = xasprintf("%s/%zu-%s", dir, i, rest != NULL && rest[1] != '\0' ? rest + 1 : "root");
		free(anc);
		free(tag);
	}
}

static int make_stage(struct tarball_stage *st, struct err *e)
{
	for (size_t i = 0; i < st->ndirs; i++)
		if (mkdir(st->dirs[i], 0700) != 0)
			return err_set(e, RV_FAIL, "cannot create a staging directory in %s: %s (restore needs space and write access there)",
				       st->ancestors[i], strerror(errno));
	return RV_OK;
}

static int mkdirs_for(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (char *c = p + 1; *c != '\0'; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST)
			rc = -1;
		*c = '/';
	}
	free(p);
	return rc;
}

struct reader {
	tarball_in in;
	void *arg;
	struct err in_err;
};

static la_ssize_t read_cb(struct archive *a, void *arg, const void **buf)
{
	struct reader *r = arg;
	ssize_t n = r->in(r->arg, buf, &r->in_err);

	if (n < 0) {
		archive_set_error(a, EIO, "%s", r->in_err.msg);
		return -1;
	}
	return n;
}

/* Finds the source an archive path belongs to (longest match). */
static struct staged *owner_of(struct tarball_stage *st, const char *rel)
{
	struct staged *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < st->n; i++) {
		const char *src = st->v[i].source + 1; /* without the leading '/' */
		size_t len = strlen(src);

		if (len == 0 || (strncmp(rel, src, len) == 0 && (rel[len] == '\0' || rel[len] == '/'))) {
			if (best == NULL || len > best_len) {
				best = &st->v[i];
				best_len = len;
			}
		}
	}
	return best;
}

static char *stage_path(const struct staged *s, const char *rel)
{
	size_t len = strlen(s->source + 1);
	char *p = xasprintf("%s%s", s->staged, rel + len);

	/* No trailing slash: only the parents are made beforehand, so that
	 * libarchive creates the directory itself and defers its times. */
	for (size_t n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
		p[n - 1] = '\0';
	return p;
}

static int fail_extract(struct err *e, struct reader *r, struct archive *a, const char *what)
{
	if (r->in_err.code != RV_OK)
		return err_set(e, r->in_err.code, "%s", r->in_err.msg);
	return err_set(e, RV_INTEGRITY, "%s: %s", what, archive_error_string(a));
}

static int journal_write(struct tarball_stage *st, bool staging, struct err *e);

/* A write into the staging tree failed: what, why, and for the common
 * case (no space) what to do. */
static int write_failed(struct err *e, struct archive *w, const char *name)
{
	int en = archive_errno(w);

	if (en == ENOSPC || en == EDQUOT)
		return err_set(e, RV_FAIL, "cannot restore %s: %s: free space there or restore elsewhere with --to DIR (nothing was changed)",
			       name, strerror(en));
	if (en > 0)
		return err_set(e, RV_FAIL, "cannot restore %s: %s: %s", name, archive_error_string(w), strerror(en));
	return err_set(e, RV_FAIL, "cannot restore %s: %s", name, archive_error_string(w));
}

/* Writes one entry, header and data, into the staging tree. */
static int extract_one(struct archive *a, struct archive *w, struct archive_entry *entry, const char *name,
		       struct tarball_progress *p, struct reader *r, struct err *e)
{
	const void *blk;
	size_t len;
	la_int64_t off;
	int h;

	if (archive_write_header(w, entry) < ARCHIVE_WARN)
		return write_failed(e, w, name);
	while ((h = archive_read_data_block(a, &blk, &len, &off)) == ARCHIVE_OK) {
		if (archive_write_data_block(w, blk, len, off) < ARCHIVE_OK)
			return write_failed(e, w, name);
		if (p != NULL)
			atomic_fetch_add(&p->bytes, len);
	}
	if (h != ARCHIVE_EOF)
		return fail_extract(e, r, a, "the archive is damaged");
	if (archive_write_finish_entry(w) < ARCHIVE_WARN)
		return write_failed(e, w, name);
	return RV_OK;
}

int tarball_extract(const struct tarball_extract_opts *o, tarball_in in, void *arg,
		    struct tarball_stage **stage, struct err *e)
{
	struct reader r = { .in = in, .arg = arg };
	struct archive *a = archive_read_new(), *w = NULL;
	struct archive_entry *entry;
	struct tarball_stage *st = xcalloc(1, sizeof(*st));
	bool root = geteuid() == 0, have_manifest = false;
	int rc = RV_OK, flags;

	*stage = NULL;
	if (o->journal != NULL)
		st->journal = xstrdup(o->journal);
	archive_read_support_format_tar(a);
	archive_read_support_filter_zstd(a);
	if (archive_read_open(a, &r, NULL, read_cb, NULL) != ARCHIVE_OK) {
		rc = fail_extract(e, &r, a, "not a readable archive");
		goto out;
	}
	if (!o->verify_only) {
		w = archive_write_disk_new();
		flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_XATTR |
			ARCHIVE_EXTRACT_FFLAGS | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
			ARCHIVE_EXTRACT_UNLINK;
		if (root)
			flags |= ARCHIVE_EXTRACT_OWNER;
		archive_write_disk_set_options(w, flags);
		archive_write_disk_set_standard_lookup(w);
	}
	for (;;) {
		const char *rel;
		struct staged *s;
		char *dest = NULL;
		int h;

		if (cancelled(o->cancel)) {
			rc = err_set(e, RV_FAIL, "cancelled");
			goto out;
		}
		h = archive_read_next_header(a, &entry);
		if (h == ARCHIVE_EOF)
			break;
		if (h < ARCHIVE_WARN) {
			rc = fail_extract(e, &r, a, "the archive is damaged");
			goto out;
		}
		rel = archive_entry_pathname(entry);
		if (!have_manifest) {
			char *text;
			la_ssize_t n;

			if (rel == NULL || strcmp(rel, TARBALL_MANIFEST) != 0 || archive_entry_size(entry) > MANIFEST_MAX) {
				rc = err_set(e, RV_INTEGRITY, "not a revault archive: it does not start with a manifest");
				goto out;
			}
			text = xmalloc((size_t)archive_entry_size(entry) + 1);
			n = archive_read_data(a, text, (size_t)archive_entry_size(entry));
			if (n != archive_entry_size(entry)) {
				free(text);
				rc = fail_extract(e, &r, a, "the archive's manifest is damaged");
				goto out;
			}
			rc = parse_manifest(text, (size_t)n, o->to_dir, st, e);
			free(text);
			if (rc != RV_OK)
				goto out;
			if (!o->verify_only) {
				plan_stage(st);
				if ((rc = journal_write(st, true, e)) != RV_OK || (rc = make_stage(st, e)) != RV_OK)
					goto out;
			}
			have_manifest = true;
			continue;
		}
		if (!safe_relpath(rel) || (s = owner_of(st, rel)) == NULL) {
			warnf(o->warn, o->warn_arg, "refused archive entry \"%s\": outside the backed-up sources",
			      rel ? rel : "(no name)");
			if (o->progress != NULL)
				atomic_fetch_add(&o->progress->skipped, 1);
			continue;
		}
		if (o->progress != NULL)
			set_current(o->progress, rel);
		if (!root && (archive_entry_filetype(entry) == AE_IFCHR || archive_entry_filetype(entry) == AE_IFBLK)) {
			warnf(o->warn, o->warn_arg, "skipped device node /%s: only root can restore device nodes", rel);
			if (o->progress != NULL)
				atomic_fetch_add(&o->progress->skipped, 1);
			continue;
		}
		if (archive_entry_hardlink(entry) != NULL) {
			const char *hl = archive_entry_hardlink(entry);
			struct staged *hs;

			if (!safe_relpath(hl) || (hs = owner_of(st, hl)) == NULL) {
				warnf(o->warn, o->warn_arg, "refused hard link /%s -> %s: outside the backed-up sources", rel, hl);
				if (o->progress != NULL)
					atomic_fetch_add(&o->progress->skipped, 1);
				continue;
			}
			if (!o->verify_only) {
				char *hdest = stage_path(hs, hl);

				archive_entry_copy_hardlink(entry, hdest);
				free(hdest);
			}
		}
		/* Directories are stored with a trailing slash. */
		if (strlen(s->source) == 1 || (strncmp(rel, s->source + 1, strlen(s->source + 1)) == 0 &&
					       strspn(rel + strlen(s->source + 1), "/") == strlen(rel + strlen(s->source + 1))))
			s->present = true;
		if (o->verify_only) {
			const void *blk;
			size_t len;
			la_int64_t off;

			while ((h = archive_read_data_block(a, &blk, &len, &off)) == ARCHIVE_OK)
				if (o->progress != NULL)
					atomic_fetch_add(&o->progress->bytes, len);
			if (h != ARCHIVE_EOF) {
				rc = fail_extract(e, &r, a, "the archive is damaged");
				goto out;
			}
		} else {
			/* rel lives in the entry: copy it before the entry is renamed. */
			char *name = xasprintf("/%s", rel);

			dest = stage_path(s, rel);
			archive_entry_copy_pathname(entry, dest);
			mkdirs_for(dest, 0700);
			rc = extract_one(a, w, entry, name, o->progress, &r, e);
			free(name);
			free(dest);
			if (rc != RV_OK)
				goto out;
		}
		if (o->progress != NULL)
			atomic_fetch_add(&o->progress->files, 1);
	}
	if (!have_manifest) {
		rc = err_set(e, RV_INTEGRITY, "not a revault archive: it is empty");
		goto out;
	}
	/* Read to the very end so the layers below see (and verify) every byte. */
	{
		const void *buf;
		ssize_t n;

		while ((n = in(arg, &buf, &r.in_err)) > 0)
			;
		if (n < 0) {
			rc = err_set(e, r.in_err.code ? r.in_err.code : RV_INTEGRITY, "%s", r.in_err.msg);
			goto out;
		}
	}
	if (w != NULL && archive_write_close(w) != ARCHIVE_OK) {
		rc = write_failed(e, w, "the directories' times and modes");
		goto out;
	}
out:
	if (w != NULL)
		archive_write_free(w);
	archive_read_free(a);
	if (rc != RV_OK || o->verify_only) {
		tarball_discard(st);
		return rc;
	}
	*stage = st;
	return RV_OK;
}

size_t tarball_stage_targets(const struct tarball_stage *st, const char ***targets)
{
	struct tarball_stage *m = (struct tarball_stage *)st;

	free(m->targets);
	m->targets = xcalloc(st->n + 1, sizeof(char *));
	for (size_t i = 0; i < st->n; i++)
		m->targets[i] = st->v[i].target;
	*targets = m->targets;
	return st->n;
}

static void rollback(struct tarball_stage *st)
{
	for (size_t i = st->n; i-- > 0;) {
		struct staged *s = &st->v[i];

		if (s->swapped && rename(s->target, s->staged) == 0)
			s->swapped = false;
		if (s->parked && rename(s->aside, s->target) == 0)
			s->parked = false;
	}
}

/* The journal: a header line, then for each target three NUL-terminated
 * paths (target, aside or empty, staged). Written and synced before the
 * first rename, removed after the last. While extracting, a first version
 * ("revault-staging 1") names only the staging directories, so that a run
 * killed before the swap leaves nothing behind after the next restore. */
static int journal_write(struct tarball_stage *st, bool staging, struct err *e)
{
	char *tmp;
	FILE *f;
	int ok;

	if (st->journal == NULL)
		return RV_OK;
	tmp = xasprintf("%s.tmp", st->journal);
	f = fopen(tmp, "wbx");
	if (f == NULL) {
		unlink(tmp);
		f = fopen(tmp, "wbx");
	}
	if (f == NULL) {
		int rc = err_set(e, RV_FAIL, "cannot write the restore journal %s: %s", tmp, strerror(errno));

		free(tmp);
		return rc;
	}
	fputs(staging ? "revault-staging 1\n" : "revault-journal 1\n", f);
	for (size_t i = 0; staging && i < st->ndirs; i++)
		fprintf(f, "%s%c", st->dirs[i], 0);
	for (size_t i = 0; !staging && i < st->n; i++) {
		const struct staged *s = &st->v[i];

		if (!s->present)
			continue;
		fprintf(f, "%s%c%s%c%s%c", s->target, 0, s->aside ? s->aside : "", 0, s->staged, 0);
	}
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, st->journal) != 0) {
		int rc = err_set(e, RV_FAIL, "cannot write the restore journal %s: %s", st->journal, strerror(errno));

		unlink(tmp);
		free(tmp);
		return rc;
	}
	free(tmp);
	return RV_OK;
}

int tarball_recover(const char *journal, bool *recovered, struct err *e)
{
	FILE *f = fopen(journal, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = RV_OK;

	*recovered = false;
	if (f == NULL)
		return errno == ENOENT ? RV_OK : err_set(e, RV_FAIL, "cannot read %s: %s", journal, strerror(errno));
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > (64u << 20)) {
				fclose(f);
				free(buf);
				return err_set(e, RV_FAIL, "%s is not a restore journal: move it away", journal);
			}
			buf = xrealloc(buf, cap);
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	if (len >= 18 && memcmp(buf, "revault-staging 1\n", 18) == 0) {
		/* Killed before the swap: nothing is in place; only the staging
		 * directories are left to remove. */
		for (size_t p = 18; p < len;) {
			const char *z = memchr(buf + p, 0, len - p);

			if (z == NULL)
				break;
			if (strstr(buf + p, "/.revault-stage-") != NULL)
				rm_tree(buf + p);
			p = (size_t)(z - buf) + 1;
		}
		free(buf);
		unlink(journal);
		return RV_OK;
	}
	if (len < 18 || memcmp(buf, "revault-journal 1\n", 18) != 0) {
		free(buf);
		return err_set(e, RV_FAIL, "%s is not a restore journal: move it away", journal);
	}
	/* Roll forward: what was staged had verified completely. */
	for (size_t p = 18; p < len && rc == RV_OK;) {
		const char *f3[3];

		for (int k = 0; k < 3; k++) {
			const char *z = memchr(buf + p, 0, len - p);

			if (z == NULL) {
				free(buf);
				return err_set(e, RV_FAIL, "the restore journal %s is cut short: check the restored paths by hand", journal);
			}
			f3[k] = buf + p;
			p = (size_t)(z - buf) + 1;
		}
		struct stat sb;
		bool staged_there = lstat(f3[2], &sb) == 0;

		if (staged_there) {
			if (f3[1][0] != '\0' && lstat(f3[1], &sb) != 0 && lstat(f3[0], &sb) == 0 && rename(f3[0], f3[1]) != 0)
				rc = err_set(e, RV_FAIL, "recovering the interrupted restore: cannot move %s aside: %s", f3[0], strerror(errno));
			else if (mkdirs_for(f3[0], 0755), rename(f3[2], f3[0]) != 0)
				rc = err_set(e, RV_FAIL, "recovering the interrupted restore: cannot move %s into place: %s", f3[0], strerror(errno));
		}
		if (rc == RV_OK && f3[1][0] != '\0')
			rm_tree(f3[1]);
	}
	/* Only now: targets share a stage directory, and one removed early
	 * would take the staged trees still to be moved in with it. */
	for (size_t p = 18; p < len && rc == RV_OK;) {
		const char *staged = NULL;

		for (int k = 0; k < 3; k++) {
			staged = buf + p;
			p += strlen(buf + p) + 1;
		}
		/* The stage directory is the staged path's parent. */
		char *dir = xstrdup(staged), *slash = strrchr(dir, '/');

		if (slash != NULL && strstr(dir, "/.revault-stage-") != NULL) {
			*slash = '\0';
			rm_tree(dir);
		}
		free(dir);
	}
	free(buf);
	if (rc == RV_OK) {
		unlink(journal);
		*recovered = true;
	}
	return rc;
}

int tarball_commit(struct tarball_stage *st, struct err *e)
{
	int rc = RV_OK;

	/* Name every aside first so the journal holds the whole plan. */
	for (size_t i = 0; i < st->n; i++) {
		struct staged *s = &st->v[i];
		struct stat sb;
		const char *slash = strrchr(s->target, '/');

		if (s->present && lstat(s->target, &sb) == 0) {
			char *tag = random_tag();

			s->aside = xasprintf("%.*s/.revault-old-%s-%s", (int)(slash - s->target), s->target, tag, slash + 1);
			free(tag);
		}
	}
	if ((rc = journal_write(st, false, e)) != RV_OK) {
		tarball_discard(st);
		return rc;
	}
	for (size_t i = 0; i < st->n; i++) {
		struct staged *s = &st->v[i];

		if (!s->present)
			continue;
		if (mkdirs_for(s->target, 0755) != 0) {
			rc = err_set(e, RV_FAIL, "cannot create the parent directories of %s: %s", s->target, strerror(errno));
			break;
		}
		if (s->aside != NULL) {
			if (rename(s->target, s->aside) != 0) {
				rc = err_set(e, RV_FAIL, "cannot move %s aside: %s%s", s->target, strerror(errno),
					     errno == EBUSY ? " (a mount point: restore with --to DIR and copy by hand)" : "");
				break;
			}
			s->parked = true;
		}
		if (rename(s->staged, s->target) != 0) {
			rc = err_set(e, RV_FAIL, "cannot move the restored %s into place: %s", s->target, strerror(errno));
			break;
		}
		s->swapped = true;
	}
	if (rc != RV_OK) {
		rollback(st);
		if (st->journal != NULL)
			unlink(st->journal);
		tarball_discard(st);
		return rc;
	}
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].parked)
			rm_tree(st->v[i].aside);
	remove_stages(st, false);
	/* Last: until now a killed run is finished by tarball_recover(). */
	if (st->journal != NULL)
		unlink(st->journal);
	stage_free(st);
	return RV_OK;
}
