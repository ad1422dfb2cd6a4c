/* tarball: libarchive on both sides. Reading the sources uses
 * archive_read_disk for metadata (owners, modes, times, xattrs, ACLs) but
 * reads file data itself, so an unreadable file is skipped before its
 * header is written instead of leaving a hole in the archive. */
#include "core/tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/exclude.h"
#include "core/util.h"

#define IO_BUF (256 * 1024)
#define MANIFEST_MAX (1 << 20)

static bool stop_asked(atomic_bool *c)
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

static bool excluded(const struct tarball_create_opts *o, const char *path, const char *source, bool is_dir)
{
	for (size_t i = 0; i < o->nexclude; i++)
		if (exclude_match(o->exclude[i], path, source, is_dir))
			return true;
	return false;
}

static bool never_archived(const struct tarball_create_opts *o, struct archive_entry *entry)
{
	for (size_t i = 0; i < o->nnever; i++)
		if (o->never[i].dev == archive_entry_dev(entry) && o->never[i].ino == (ino_t)archive_entry_ino64(entry))
			return true;
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
	uint64_t seen = 0;
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

			if (stop_asked(o->cancel)) {
				rc = err_set(e, RV_FAIL, "cancelled");
				break;
			}
			/* Every entry counts, left out or not. */
			if (o->tick != NULL && ++seen % 64 == 0)
				o->tick(o->tick_arg);
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
			if (excluded(o, path, o->sources[i], archive_entry_filetype(entry) == AE_IFDIR) ||
			    never_archived(o, entry)) {
				/* A settings file edited by hand can exclude a whole
				 * source: say so, or the backup is silently empty. */
				if (strcmp(path, o->sources[i]) == 0) {
					warnf(o->warn, o->warn_arg, "the whole source %s is left out by an exclude pattern or holds only revault's own files",
					      o->sources[i]);
					if (o->progress != NULL)
						atomic_fetch_add(&o->progress->skipped, 1);
				}
				continue; /* not descended either */
			}
			if (archive_entry_filetype(entry) == AE_IFSOCK) {
				/* pax has no type for a socket; tar skips them too, and
				 * the program that made it makes it again. */
				warnf(o->warn, o->warn_arg, "skipped %s: a socket (tar cannot store sockets)", path);
				if (o->progress != NULL)
					atomic_fetch_add(&o->progress->skipped, 1);
				continue;
			}
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

	/* A failed output is never told to libarchive: once its writer is in
	 * ARCHIVE_STATE_FATAL, libarchive 3.6 frees the archive without
	 * closing its last filter and leaks that filter's block buffer. The
	 * error stays in out_err, the rest is dropped, and every step checks
	 * out_err (output_failed) and stops the walk; the archive is then
	 * closed normally. */
	(void)a;
	if (w->out_err.code == RV_OK)
		w->out(w->out_arg, buf, len, &w->out_err);
	return (la_ssize_t)len;
}

/* RV_FAIL with the output's error once the output failed (write_cb). */
static int output_failed(struct writer *w)
{
	if (w->out_err.code == RV_OK)
		return RV_OK;
	return err_set(w->e, w->out_err.code, "%s", w->out_err.msg);
}

/* Copies a regular file's data, at most the size in its header: a file
 * that grew is cut there, one that shrank is padded with zeros by
 * libarchive (as GNU tar does); the caller says which. */
static int copy_file(struct writer *w, const char *path, int fd, int64_t size, int64_t *copied)
{
	int64_t left = size;

	while (left > 0) {
		ssize_t n = read(fd, w->buf, left < IO_BUF ? (size_t)left : IO_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warnf(w->o->warn, w->o->warn_arg, "%s: read error after %lld bytes: %s (the copy in this backup is padded with zeros)",
			      path, (long long)(size - left), strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (archive_write_data(w->a, w->buf, (size_t)n) < 0)
			return err_set(w->e, RV_FAIL, "%s", w->out_err.code ? w->out_err.msg : archive_error_string(w->a));
		if (output_failed(w) != RV_OK)
			return w->e->code;
		left -= n;
		if (w->o->progress != NULL)
			atomic_fetch_add(&w->o->progress->bytes, (uint64_t)n);
		if (stop_asked(w->o->cancel))
			return err_set(w->e, RV_FAIL, "cancelled");
	}
	*copied = size - left;
	return RV_OK;
}

/* After a file was read: did it change while it was (GNU tar's "file
 * changed as we read it")? Size, modification and change times, and the
 * file itself, against what the header says. Not read again: a file that
 * keeps changing (a log, a database) would only change again, and the
 * warning tells the admin which files need a snapshot or a dump. */
static void check_unchanged(struct writer *w, const char *path, int fd, struct archive_entry *entry,
			    int64_t copied)
{
	int64_t size = archive_entry_size(entry);
	struct stat st;
	char what[160] = "";
	size_t len = 0;

	if (fstat(fd, &st) != 0)
		return;
	if (copied < size)
		len += (size_t)snprintf(what + len, sizeof(what) - len, "%sshrank to %lld bytes (padded with zeros to %lld)",
					len ? ", " : "", (long long)copied, (long long)size);
	else if (st.st_size > size)
		len += (size_t)snprintf(what + len, sizeof(what) - len, "%sgrew to %lld bytes (cut at %lld)",
					len ? ", " : "", (long long)st.st_size, (long long)size);
	if (st.st_mtim.tv_sec != archive_entry_mtime(entry) || st.st_mtim.tv_nsec != archive_entry_mtime_nsec(entry))
		len += (size_t)snprintf(what + len, sizeof(what) - len, "%smodified", len ? ", " : "");
	else if (st.st_ctim.tv_sec != archive_entry_ctime(entry) || st.st_ctim.tv_nsec != archive_entry_ctime_nsec(entry))
		len += (size_t)snprintf(what + len, sizeof(what) - len, "%sits attributes changed", len ? ", " : "");
	if (st.st_ino != (ino_t)archive_entry_ino64(entry) || st.st_dev != archive_entry_dev(entry))
		len += (size_t)snprintf(what + len, sizeof(what) - len, "%sreplaced by another file", len ? ", " : "");
	if (len == 0)
		return;
	warnf(w->o->warn, w->o->warn_arg, "%s changed while it was read: %s (the copy in this backup may be inconsistent)",
	      path, what);
	if (w->o->progress != NULL)
		atomic_fetch_add(&w->o->progress->changed, 1);
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
	if (output_failed(w) != RV_OK)
		return w->e->code;
	/* A name that is not UTF-8 is stored as its bytes (pax hdrcharset=
	 * BINARY) and comes back exactly: libarchive's warning about it says
	 * nothing an operator needs. */
	if (r == ARCHIVE_WARN && strstr(archive_error_string(w->a), "Can't translate") == NULL)
		warnf(w->o->warn, w->o->warn_arg, "%s: %s", srcpath, archive_error_string(w->a));
	/* A second name of a file already stored carries no data. */
	if (fd >= 0 && archive_entry_hardlink(entry) == NULL) {
		int64_t copied = 0;
		int rc = archive_entry_size(entry) > 0 ? copy_file(w, srcpath, fd, archive_entry_size(entry), &copied)
						       : RV_OK;

		if (rc == RV_OK)
			check_unchanged(w, srcpath, fd, entry, copied);
		return rc;
	}
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
	else
		rc = output_failed(w);
	archive_entry_free(m);
	free(text);
	return rc;
}

int tarball_create(const struct tarball_create_opts *o, tarball_out out, void *arg, struct err *e)
{
	struct writer w = { .o = o, .out = out, .out_arg = arg, .e = e };
	locale_t old_locale = util_utf8_begin();
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
	if (archive_write_close(w.a) != ARCHIVE_OK || w.out_err.code != RV_OK)
		rc = err_set(e, RV_FAIL, "%s", w.out_err.code ? w.out_err.msg : archive_error_string(w.a));
out:
	archive_write_free(w.a);
	archive_entry_linkresolver_free(w.links);
	free(w.buf);
	util_utf8_end(old_locale);
	return rc;
}
