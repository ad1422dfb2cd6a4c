/* extract: the restore side of the archive (core/tarball.h). libarchive
 * decodes the tar stream; every entry is checked against the archive rules
 * of docs/FORMAT.md and written by this file through core/fsat, beneath the
 * descriptor of a staging directory, so no name in a backup can make
 * revault write outside the tree it is restoring. The staged trees are
 * swapped into place only when the whole container verified and the
 * operator confirmed. */
#include "core/tarball.h"

#include <acl/libacl.h>
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/fs.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "core/fsat.h"
#include "core/paths.h"
#include "core/sources.h"
#include "core/util.h"

#define MANIFEST_MAX (1 << 20)
#define MANIFEST_HEAD "revault-manifest 1\n"
#define STAGE_PREFIX ".revault-stage-"
#define OLD_PREFIX ".revault-old-"
#define JOURNAL_STAGING "revault-staging 2\n"
#define JOURNAL_SWAP "revault-journal 2\n"

static bool stop_asked(atomic_bool *c)
{
	return c != NULL && atomic_load(c);
}

static void warnf(const struct tarball_extract_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warnf(const struct tarball_extract_opts *o, const char *fmt, ...)
{
	char msg[PATH_MAX + 256];
	va_list ap;

	if (o->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o->warn(o->warn_arg, msg);
}

/* A name from an archive, fit for one line of a message: escaped as
 * `revault ls` prints it (util_escape_name), so a newline in a name
 * cannot forge a line, long names cut in the middle. Returns buf. */
static const char *shown(const char *name, char *buf, size_t cap)
{
	char *esc;
	size_t len;

	if (name == NULL)
		return "(no name)";
	esc = util_escape_name(name);
	len = strlen(esc);
	if (len < cap && len <= 200) {
		memcpy(buf, esc, len + 1);
	} else {
		/* The first and last 90 bytes, each cut on a character's start. */
		size_t head = 90, tail = len - 90;

		while (head > 0 && ((unsigned char)esc[head] & 0xc0) == 0x80)
			head--;
		while (tail < len && ((unsigned char)esc[tail] & 0xc0) == 0x80)
			tail++;
		snprintf(buf, cap, "%.*s...%s", (int)head, esc, esc + tail);
	}
	free(esc);
	return buf;
}

/* ---- which paths the archive holds (docs/FORMAT.md, "Archive rules") ----
 *
 * Every entry must lie in a source, follow its folder, and name a path
 * seen nowhere before; a hard link names an earlier file. One keyed
 * 62-bit hash per path (SipHash-2-4 under a random key), the low bits
 * telling a folder from anything else, keeps this in 8 bytes an entry
 * whatever the names' length. */

enum seen_kind { SEEN_NONE, SEEN_DIR, SEEN_OTHER };

struct seen {
	uint64_t *slot;
	size_t cap, used;
	EVP_MAC_CTX *mac;
};

static void seen_init(struct seen *s)
{
	uint8_t key[16];
	EVP_MAC *m = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	size_t outsize = 8;
	OSSL_PARAM params[2] = { OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &outsize), OSSL_PARAM_END };

	if (RAND_bytes(key, sizeof(key)) != 1)
		abort();
	s->mac = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
	EVP_MAC_free(m);
	if (s->mac == NULL || EVP_MAC_init(s->mac, key, sizeof(key), params) != 1)
		abort();
	wipe(key, sizeof(key));
	s->cap = 1024;
	s->used = 0;
	s->slot = xcalloc(s->cap, sizeof(*s->slot));
}

static void seen_free(struct seen *s)
{
	free(s->slot);
	EVP_MAC_CTX_free(s->mac);
	memset(s, 0, sizeof(*s));
}

static uint64_t seen_hash(struct seen *s, const char *path, size_t len)
{
	uint8_t out[8];
	size_t outl = 0;
	uint64_t h = 0;

	if (EVP_MAC_init(s->mac, NULL, 0, NULL) != 1 || EVP_MAC_update(s->mac, (const uint8_t *)path, len) != 1 ||
	    EVP_MAC_final(s->mac, out, &outl, sizeof(out)) != 1)
		abort();
	for (size_t i = 0; i < 8; i++)
		h = h << 8 | out[i];
	return h & ~(uint64_t)3;
}

static uint64_t *seen_find(struct seen *s, uint64_t h)
{
	size_t i = (size_t)(h >> 2) & (s->cap - 1);

	while (s->slot[i] != 0 && (s->slot[i] & ~(uint64_t)3) != h)
		i = (i + 1) & (s->cap - 1);
	return &s->slot[i];
}

static enum seen_kind seen_get(struct seen *s, uint64_t h)
{
	return (enum seen_kind)(*seen_find(s, h) & 3);
}

static void seen_put(struct seen *s, uint64_t h, enum seen_kind k)
{
	uint64_t *p;

	if (2 * (s->used + 1) > s->cap) {
		uint64_t *old = s->slot;
		size_t oldcap = s->cap;

		s->cap *= 2;
		s->slot = xcalloc(s->cap, sizeof(*s->slot));
		for (size_t i = 0; i < oldcap; i++)
			if (old[i] != 0)
				*seen_find(s, old[i] & ~(uint64_t)3) = old[i];
		free(old);
	}
	p = seen_find(s, h);
	if (*p == 0)
		s->used++;
	*p = h | (uint64_t)k;
}

/* ---- the stage ---- */

/* A directory that exists on the machine and holds staging directories:
 * the nearest existing ancestor of each target's parent (in place), or
 * --to DIR itself. */
struct ancestor {
	char *path;
	/* Its spelling in the journal: path, or for a folder inside a source
	 * the source's parent and the rest below it joined by "//" (opened
	 * again by open_journal_ancestor()). */
	char *journal_path;
	int fd;
	char *stage;           /* the staging directory's name in it */
	int stagefd;
	struct timespec times[2]; /* its own times, put back when abandoned */
	mode_t parent_mode;    /* for parents made between it and a target */
};

struct staged {
	char *source;     /* as in the manifest: /etc */
	char *root;       /* its archive name: etc */
	char *target;     /* for messages: /etc, or DIR/etc */
	bool restore;     /* false: not one of this machine's sources (in place) */
	size_t anc;
	char *parent_rel; /* the target's parent, relative to the ancestor */
	char *name;       /* the target's last component */
	char *slot;       /* its tree in the staging directory: "3-etc" */
	char *aside;      /* the old target's name during the swap */
	bool present, swapped, parked;
	/* A path given with --path (tarball_extract_opts.paths): source is
	 * that path, and it is staged and swapped as a source is. The
	 * revision's own sources are then kept only to check entries by. */
	bool pick;
};

/* A folder's owner, mode and times, set once everything in it is written
 * (a read-only folder must stay writable until then). */
struct fixup {
	size_t anc;
	char *path;       /* beneath the staging directory */
	bool dir;         /* a folder; else a file whose chattr flags wait */
	bool applied;     /* its flags are set: cleared again before a removal */
	struct archive_entry *acls; /* a folder's ACLs, set after its mode */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	bool owner;
	struct timespec times[2];
	unsigned long fflags;
};

struct tarball_stage {
	char *journal;
	struct staged *v;
	size_t n;
	struct ancestor *anc;
	size_t nanc;
	int to_fd;
	char *to_made;          /* the first component of --to DIR made, under to_made_in */
	int to_made_in;
	struct timespec to_made_times[2];
	struct fixup *fix;
	size_t nfix;
	char *const *keep;
	size_t nkeep;
	const char **targets;
	void (*warn)(void *, const char *);
	void *warn_arg;
};

static char *random_tag(void)
{
	uint8_t r[6];
	char hex[13];

	if (RAND_bytes(r, sizeof(r)) != 1)
		abort();
	hex_encode(r, sizeof(r), hex);
	return xstrdup(hex);
}

static void stage_free(struct tarball_stage *st)
{
	free(st->journal);
	for (size_t i = 0; i < st->n; i++) {
		free(st->v[i].source);
		free(st->v[i].root);
		free(st->v[i].target);
		free(st->v[i].parent_rel);
		free(st->v[i].name);
		free(st->v[i].slot);
		free(st->v[i].aside);
	}
	for (size_t i = 0; i < st->nanc; i++) {
		free(st->anc[i].path);
		free(st->anc[i].journal_path);
		free(st->anc[i].stage);
		if (st->anc[i].fd >= 0)
			close(st->anc[i].fd);
		if (st->anc[i].stagefd >= 0)
			close(st->anc[i].stagefd);
	}
	for (size_t i = 0; i < st->nfix; i++) {
		free(st->fix[i].path);
		if (st->fix[i].acls != NULL)
			archive_entry_free(st->fix[i].acls);
	}
	if (st->to_fd >= 0)
		close(st->to_fd);
	if (st->to_made_in >= 0)
		close(st->to_made_in);
	free(st->to_made);
	free(st->fix);
	free(st->anc);
	free(st->v);
	free(st->targets);
	free(st);
}

static void say_leftover(void (*warn)(void *, const char *), void *arg, const char *dir, const char *name,
			 const char *stuck, int err)
{
	char msg[PATH_MAX * 2 + 256];

	if (warn == NULL)
		return;
	/* A message cut at its end (paths near PATH_MAX) is still said. */
	if (snprintf(msg, sizeof(msg),
		     "could not remove %s/%s (%s: %s): remove it with `chattr -R -ia '%s/%s'; rm -rf "
		     "--one-file-system '%s/%s'`",
		     dir, name, stuck != NULL ? stuck : name, strerror(err), dir, name, dir, name) < 0)
		return;
	warn(arg, msg);
}

/* The chattr flags set on staged files, cleared again so that an
 * abandoned stage can be removed. */
static void clear_flags(struct tarball_stage *st)
{
	for (size_t i = 0; i < st->nfix; i++) {
		struct fixup *f = &st->fix[i];
		int fd, flags;

		if (!f->applied || st->anc[f->anc].stagefd < 0)
			continue;
		fd = fsat_open_beneath(st->anc[f->anc].stagefd, f->path,
				       O_RDONLY | O_NOFOLLOW | (f->dir ? O_DIRECTORY : 0), 0);
		if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
			flags &= ~(int)(FS_IMMUTABLE_FL | FS_APPEND_FL);
			ioctl(fd, FS_IOC_SETFLAGS, &flags);
		}
		if (fd >= 0)
			close(fd);
		f->applied = false;
	}
}

/* Removes what a stage made; with keep_times the ancestors' times too are
 * as they were (an abandoned restore changes nothing). */
static void remove_stages(struct tarball_stage *st, bool keep_times)
{
	if (keep_times)
		clear_flags(st);
	for (size_t i = 0; i < st->nanc; i++) {
		struct ancestor *a = &st->anc[i];
		char *stuck = NULL;

		if (a->stage == NULL || a->fd < 0)
			continue;
		if (a->stagefd >= 0) {
			close(a->stagefd);
			a->stagefd = -1;
		}
		if (fsat_remove_tree(a->fd, a->stage, &stuck) != 0)
			say_leftover(st->warn, st->warn_arg, a->path, a->stage, stuck, errno);
		free(stuck);
		if (keep_times)
			futimens(a->fd, a->times);
	}
	if (keep_times && st->to_made != NULL && st->to_made_in >= 0) {
		/* A --to DIR this restore made goes again with its parents. */
		fsat_remove_tree(st->to_made_in, st->to_made, NULL);
		futimens(st->to_made_in, st->to_made_times);
	}
}

void tarball_discard(struct tarball_stage *st)
{
	if (st == NULL)
		return;
	remove_stages(st, true);
	if (st->journal != NULL && st->nanc > 0)
		unlink(st->journal);
	stage_free(st);
}

/* ---- the journal (in the state folder) ----
 *
 * A header line, then NUL-terminated fields. While staging: for each
 * ancestor its path and its staging directory's name, so that a run killed
 * before the swap leaves nothing behind after the next one. During the
 * swap: for each target the ancestor, the parent relative to it and that
 * parent's mode, the target's name, the aside name (or empty), the staging
 * directory and the slot. Written and synced before the first rename,
 * removed after the last. */

static void put_field(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s) + 1;

	if (*len + n > *cap) {
		*cap = (*len + n) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
}

static int journal_write(struct tarball_stage *st, bool staging, struct err *e)
{
	char *tmp, *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, rc = RV_OK;

	if (st->journal == NULL)
		return RV_OK;
	put_field(&buf, &len, &cap, staging ? JOURNAL_STAGING : JOURNAL_SWAP);
	len--; /* the header is a line, not a field */
	for (size_t i = 0; staging && i < st->nanc; i++) {
		put_field(&buf, &len, &cap, st->anc[i].journal_path != NULL ? st->anc[i].journal_path : st->anc[i].path);
		put_field(&buf, &len, &cap, st->anc[i].stage);
	}
	for (size_t i = 0; !staging && i < st->n; i++) {
		const struct staged *s = &st->v[i];
		char mode[8];

		if (!s->present || !s->restore)
			continue;
		snprintf(mode, sizeof(mode), "%o", (unsigned)st->anc[s->anc].parent_mode);
		put_field(&buf, &len, &cap,
			  st->anc[s->anc].journal_path != NULL ? st->anc[s->anc].journal_path : st->anc[s->anc].path);
		put_field(&buf, &len, &cap, s->parent_rel);
		put_field(&buf, &len, &cap, mode);
		put_field(&buf, &len, &cap, s->name);
		put_field(&buf, &len, &cap, s->aside != NULL ? s->aside : "");
		put_field(&buf, &len, &cap, st->anc[s->anc].stage);
		put_field(&buf, &len, &cap, s->slot);
	}
	tmp = xasprintf("%s.tmp", st->journal);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len || fsync(fd) != 0) {
		rc = err_set(e, RV_FAIL, "cannot write the restore journal %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	} else {
		close(fd);
		if (renameat(AT_FDCWD, tmp, AT_FDCWD, st->journal) != 0) {
			rc = err_set(e, RV_FAIL, "cannot write the restore journal %s: %s", st->journal, strerror(errno));
			unlink(tmp);
		} else {
			paths_sync_dir(st->journal);
		}
	}
	free(tmp);
	free(buf);
	return rc;
}

/* ---- planning: where each target goes and where it is staged ---- */

/* Is rel (an archive name without trailing slash) root or under it? */
static bool under(const char *rel, const char *root)
{
	size_t n = strlen(root);

	return strncmp(rel, root, n) == 0 && (rel[n] == '\0' || rel[n] == '/');
}

/* A name the archive rules allow: relative, no empty, "." or ".."
 * component, none longer than NAME_MAX. */
static const char *bad_name(const char *p)
{
	if (p[0] == '/')
		return "is absolute";
	if (p[0] == '\0')
		return "is empty";
	for (const char *c = p; *c != '\0';) {
		size_t len = strcspn(c, "/");

		if (len == 0)
			return "has an empty component";
		if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return "has a \".\" or \"..\" component";
		if (len > NAME_MAX)
			return "has a component longer than 255 bytes";
		c += len;
		if (*c == '/')
			c++;
	}
	return NULL;
}

static bool is_configured(const struct tarball_extract_opts *o, const char *source)
{
	if (o->sources == NULL)
		return true;
	for (size_t i = 0; i < o->nsources; i++)
		if (strcmp(o->sources[i], source) == 0)
			return true;
	return false;
}

/* The revision's source that holds path (absolute), or NULL. */
static struct staged *source_of_path(struct tarball_stage *st, const char *path)
{
	for (size_t i = 0; i < st->n; i++)
		if (!st->v[i].pick && under(path + 1, st->v[i].root))
			return &st->v[i];
	return NULL;
}

/* The paths given with --path become the targets, each staged and swapped
 * as a source would be; the sources stay only to check entries against.
 * A path outside every source is not in the revision: said now, before
 * anything is staged. */
static int add_picks(const struct tarball_extract_opts *o, struct tarball_stage *st, struct err *e)
{
	size_t nsources = st->n, noutside = 0;
	char sh[300], *outside = NULL;

	for (size_t i = 0; i < o->npaths; i++) {
		const char *path = o->paths[i];
		const struct staged *src;
		struct staged *s;
		bool covered = false;

		if (path[0] != '/' || bad_name(path + 1) != NULL)
			return err_set(e, RV_USAGE, "\"%s\" is not an absolute path: name a path as `revault ls` prints it",
				       shown(path, sh, sizeof(sh)));
		if ((src = source_of_path(st, path)) == NULL) {
			/* Every such path named at once (below). */
			char *more = xasprintf("%s%s%s", outside != NULL ? outside : "", outside != NULL ? ", " : "",
					       shown(path, sh, sizeof(sh)));

			free(outside);
			outside = more;
			noutside++;
			continue;
		}
		/* A path inside another one given is restored with it. */
		for (size_t k = 0; k < o->npaths && !covered; k++)
			covered = k != i && under(path + 1, o->paths[k] + 1) &&
				  (strcmp(path, o->paths[k]) != 0 || k < i);
		if (covered)
			continue;
		st->v = xrealloc(st->v, (st->n + 1) * sizeof(*st->v));
		src = source_of_path(st, path);
		s = &st->v[st->n++];
		memset(s, 0, sizeof(*s));
		s->pick = true;
		s->source = xstrdup(path);
		s->root = xstrdup(path + 1);
		s->target = o->to_dir != NULL ? xasprintf("%s%s", o->to_dir, path) : xstrdup(path);
		s->restore = o->to_dir != NULL || is_configured(o, src->source);
	}
	if (outside != NULL) {
		char list[512] = "";
		int rc;

		for (size_t k = 0; k < nsources; k++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", k ? ", " : "", st->v[k].source);
		rc = err_set(e, RV_USAGE,
			     "%s %s not in this revision, which holds %s: `revault ls REV` lists what it holds; nothing was changed",
			     outside, noutside == 1 ? "is" : "are", list);
		free(outside);
		return rc;
	}
	for (size_t i = 0; i < nsources; i++)
		st->v[i].restore = false;
	return RV_OK;
}

static int parse_manifest(const char *text, size_t len, const struct tarball_extract_opts *o,
			  struct tarball_stage *st, struct err *e)
{
	const char *p = text + strlen(MANIFEST_HEAD), *end = text + len;
	char sh[300];

	if (len < strlen(MANIFEST_HEAD) || memcmp(text, MANIFEST_HEAD, strlen(MANIFEST_HEAD)) != 0)
		return err_set(e, RV_INTEGRITY, "the archive's manifest is not one this version reads");
	if (memchr(text, '\0', len) != NULL)
		return err_set(e, RV_INTEGRITY, "the archive's manifest is malformed");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *why;
		struct staged *s;
		char *src;

		if (nl == NULL || (size_t)(nl - p) < 8 || strncmp(p, "source /", 8) != 0)
			return err_set(e, RV_INTEGRITY, "the archive's manifest is malformed");
		src = xstrndup(p + 7, (size_t)(nl - p - 7));
		if ((why = bad_name(src + 1)) != NULL) {
			err_set(e, RV_INTEGRITY, "the archive's manifest names the source \"%s\", which %s",
				shown(src, sh, sizeof(sh)), strcmp(src, "/") == 0 ? "is the whole machine" : why);
			free(src);
			return RV_INTEGRITY;
		}
		for (size_t i = 0; i < st->n; i++) {
			if (under(src + 1, st->v[i].root) || under(st->v[i].root, src + 1)) {
				char sh2[300];

				err_set(e, RV_INTEGRITY, "the archive's manifest names the source %s inside %s",
					shown(src, sh, sizeof(sh)), shown(st->v[i].source, sh2, sizeof(sh2)));
				free(src);
				return RV_INTEGRITY;
			}
		}
		st->v = xrealloc(st->v, (st->n + 1) * sizeof(*st->v));
		s = &st->v[st->n++];
		memset(s, 0, sizeof(*s));
		s->source = src;
		s->root = xstrdup(src + 1);
		s->target = o->to_dir != NULL ? xasprintf("%s%s", o->to_dir, src) : xstrdup(src);
		s->restore = o->to_dir != NULL || is_configured(o, src);
		p = nl + 1;
	}
	if (st->n == 0)
		return err_set(e, RV_INTEGRITY, "the archive's manifest names no sources");
	return o->npaths > 0 ? add_picks(o, st, e) : RV_OK;
}

int tarball_check_to(const char *dir, struct err *e)
{
	struct stat sb;

	if (lstat(dir, &sb) != 0)
		return errno == ENOENT ? RV_OK : err_set(e, RV_USAGE, "cannot use %s: %s", dir, strerror(errno));
	if (S_ISLNK(sb.st_mode))
		return err_set(e, RV_USAGE, "%s is a symlink: name the real directory, or a new one", dir);
	if (!S_ISDIR(sb.st_mode))
		return err_set(e, RV_USAGE, "%s is not a directory: name a directory, or a new one", dir);
	if (sb.st_uid != geteuid() && sb.st_uid != 0)
		return err_set(e, RV_USAGE, "%s belongs to another user (uid %u): restore into a directory of your own",
			       dir, (unsigned)sb.st_uid);
	if (sb.st_mode & (S_IWOTH | S_IWGRP))
		return err_set(e, RV_USAGE, "%s is writable by %s: restore into a directory only you can write",
			       dir, sb.st_mode & S_IWOTH ? "everyone" : "its group");
	return RV_OK;
}

/* The nearest existing ancestor of an absolute path (the path itself when
 * it exists), allocated; *rest is what lies below it in path ("" when the
 * path exists), the part a restore has to make. */
static char *nearest_existing(const char *path, const char **rest)
{
	char *cur = xstrdup(path[0] != '\0' ? path : "/");
	struct stat sb;
	size_t len;

	while (lstat(cur, &sb) != 0) {
		char *slash = strrchr(cur, '/');

		if (slash == NULL || slash == cur) {
			strcpy(cur, "/");
			break;
		}
		*slash = '\0';
	}
	len = strlen(cur);
	if (len >= strlen(path))
		*rest = path + strlen(path);
	else
		*rest = path + len + (strcmp(cur, "/") == 0 ? 0 : 1);
	return cur;
}

/* Opens --to DIR, making it (0700, and its missing parents 0700) when it
 * is not there; remembers what it made so an abandoned restore removes it. */
static int open_to_dir(struct tarball_stage *st, const char *dir, struct err *e)
{
	char *abs, *cur;
	const char *rest;
	struct stat sb;
	int fd;

	if (tarball_check_to(dir, e) != RV_OK)
		return RV_USAGE;
	if (dir[0] == '/') {
		abs = xstrdup(dir);
	} else {
		char *cwd = getcwd(NULL, 0);

		if (cwd == NULL)
			return err_set(e, RV_FAIL, "cannot tell the current directory: %s", strerror(errno));
		abs = xasprintf("%s/%s", cwd, dir);
		free(cwd);
	}
	/* The nearest existing ancestor, then each missing component made
	 * beneath it. */
	cur = nearest_existing(abs, &rest);
	if (*rest == '\0') {
		fd = fsat_open_trusted(abs, false, 0, true);
	} else {
		st->to_made_in = fsat_open_trusted(cur, false, 0, false);
		if (st->to_made_in >= 0 && fstat(st->to_made_in, &sb) == 0) {
			st->to_made_times[0] = sb.st_atim;
			st->to_made_times[1] = sb.st_mtim;
			st->to_made = xstrndup(rest, strcspn(rest, "/"));
		}
		fd = st->to_made_in >= 0 ? fsat_mkdirs_beneath(st->to_made_in, rest, 0700) : -1;
	}
	if (fd < 0) {
		int rc = err_set(e, errno == ELOOP ? RV_USAGE : RV_FAIL, "cannot open or create %s: %s%s", abs,
				 strerror(errno), errno == ELOOP ? " (a symlink in the way that root did not make)" : "");

		free(cur);
		free(abs);
		return rc;
	}
	free(cur);
	free(abs);
	st->to_fd = fd;
	/* Checked again on what was opened: the name may have changed since. */
	if (fstat(fd, &sb) != 0 || (sb.st_uid != geteuid() && sb.st_uid != 0) || (sb.st_mode & (S_IWOTH | S_IWGRP)))
		return err_set(e, RV_USAGE, "%s changed while it was opened: restore into a directory only you can write",
			       dir);
	return RV_OK;
}

static size_t add_ancestor(struct tarball_stage *st, const char *path, int fd, mode_t parent_mode)
{
	struct ancestor *a;
	struct stat sb;

	for (size_t i = 0; i < st->nanc; i++)
		if (strcmp(st->anc[i].path, path) == 0) {
			close(fd);
			return i;
		}
	st->anc = xrealloc(st->anc, (st->nanc + 1) * sizeof(*st->anc));
	a = &st->anc[st->nanc];
	memset(a, 0, sizeof(*a));
	a->path = xstrdup(path);
	a->fd = fd;
	a->stagefd = -1;
	a->parent_mode = parent_mode;
	if (fstat(fd, &sb) == 0) {
		a->times[0] = sb.st_atim;
		a->times[1] = sb.st_mtim;
	}
	return st->nanc++;
}

/* Is b a or under it (both absolute, in one spelling)? */
static bool path_within(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (strcmp(a, "/") == 0)
		return true;
	return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

/* No target is, holds or lies inside a protected place, compared where
 * they lie on disk: `--to /` would otherwise be an unconfirmed in-place
 * restore, and a revision naming the state folder would replace the lock
 * and the journal under the running job. */
static int check_protected(struct tarball_stage *st, const struct tarball_extract_opts *o, struct err *e)
{
	char *base = NULL;

	if (o->to_dir != NULL) {
		char proc[64], buf[PATH_MAX];
		ssize_t n;

		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", st->to_fd);
		n = readlink(proc, buf, sizeof(buf) - 1);
		if (n <= 0)
			return err_set(e, RV_FAIL, "cannot tell where %s is: %s", o->to_dir, strerror(errno));
		buf[n] = '\0';
		base = xstrdup(strcmp(buf, "/") == 0 ? "" : buf);
	}
	for (size_t i = 0; i < st->n; i++) {
		const struct staged *s = &st->v[i];
		char *target;

		if (!s->restore)
			continue;
		if (base != NULL) {
			target = xasprintf("%s%s", base, s->source);
		} else {
			struct err pe = { 0 };

			target = sources_physical(s->source, &pe);
			if (target == NULL)
				target = xstrdup(s->source);
		}
		for (size_t k = 0; k < o->nprotect; k++) {
			const char *p = o->protect[k].path;

			if (path_within(target, p) || path_within(p, target)) {
				int rc = err_set(e, RV_USAGE,
						 "restoring %s to %s would replace %s (%s): %s", s->source, target, p,
						 o->protect[k].what,
						 base != NULL ? "name a directory of its own with --to, or restore in place"
							      : "nothing was changed");

				free(target);
				free(base);
				return rc;
			}
		}
		free(target);
	}
	free(base);
	return RV_OK;
}

/* Opens the folders of rel beneath dirfd one by one, never following a
 * symlink, as far as they exist. Returns the deepest one opened (a copy of
 * dirfd when the first is missing), *done the length of rel it covers; or
 * -1 with errno (ELOOP: a symlink, ENOTDIR: not a folder) and *done the
 * length up to the component in the way. */
static int walk_existing(int dirfd, const char *rel, size_t *done)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	const char *p = rel;

	*done = 0;
	while (fd >= 0 && *p != '\0') {
		size_t len = strcspn(p, "/");
		char *comp = xstrndup(p, len);
		int nfd = fsat_open_beneath(fd, comp, O_RDONLY | O_DIRECTORY, 0);
		int en = errno;

		free(comp);
		if (nfd < 0 && en == ENOENT)
			break;
		close(fd);
		if (nfd < 0) {
			*done = (size_t)(p - rel) + len;
			errno = en;
			return -1;
		}
		fd = nfd;
		p += len;
		*done = (size_t)(p - rel);
		if (*p == '/')
			p++;
	}
	return fd;
}

/* The refusal of a folder in the way, found by walk_existing(). */
static int in_the_way(struct err *e, const char *what, const char *base, const char *rel, size_t done, int en)
{
	char sh[300], sh2[300];
	char *at = xasprintf("%s%s%.*s", strcmp(base, "/") != 0 ? base : "", "/", (int)done, rel);
	int rc;

	if (en == ELOOP || en == EXDEV)
		rc = err_set(e, RV_USAGE,
			     "cannot restore %s: %s is a symlink, which a restore does not follow inside a source or "
			     "--to DIR: remove it or restore elsewhere with --to DIR; nothing was changed",
			     shown(what, sh, sizeof(sh)), shown(at, sh2, sizeof(sh2)));
	else if (en == ENOTDIR)
		rc = err_set(e, RV_USAGE,
			     "cannot restore %s: %s is not a folder: move it away or restore elsewhere with --to DIR; "
			     "nothing was changed",
			     shown(what, sh, sizeof(sh)), shown(at, sh2, sizeof(sh2)));
	else
		rc = err_set(e, RV_FAIL, "cannot restore %s: opening %s: %s", shown(what, sh, sizeof(sh)),
			     shown(at, sh2, sizeof(sh2)), strerror(en));
	free(at);
	return rc;
}

/* The ancestor of a path given with --path, restored in place: the
 * source's parent opened as the settings name it (fsat_open_trusted, as a
 * whole-source restore does), then every folder from the source down to
 * the path's parent opened without following any symlink, root's
 * included: a user who owns a folder inside the source can move root's
 * symlinks into place. */
static int plan_pick(struct tarball_stage *st, struct staged *s, const char *source, const char *parent,
		     struct err *e)
{
	const char *slash = strrchr(source, '/'), *below, *rest;
	char *sparent = slash == source ? xstrdup("/") : xstrndup(source, (size_t)(slash - source));
	char *cur = nearest_existing(sparent, &rest);
	size_t done, n = strcmp(sparent, "/") == 0 ? 0 : strlen(sparent);
	int tfd, fd, rc = RV_OK;

	tfd = fsat_open_trusted(cur, false, 0, false);
	if (tfd < 0) {
		rc = err_set(e, errno == ELOOP ? RV_USAGE : RV_FAIL, "cannot restore %s: opening %s: %s%s", s->source,
			     cur, strerror(errno), errno == ELOOP ? " (a symlink in the way that root did not make)" : "");
		goto out;
	}
	if (*rest != '\0') {
		/* The source's own parent is gone: all below it is made. */
		size_t c = strcmp(cur, "/") == 0 ? 1 : strlen(cur) + 1;

		s->parent_rel = xstrdup(strlen(parent) > c ? parent + c : "");
		s->anc = add_ancestor(st, cur, tfd, 0755);
		goto out;
	}
	below = parent[n] == '/' ? parent + n + 1 : parent + n;
	fd = walk_existing(tfd, below, &done);
	if (fd < 0) {
		rc = in_the_way(e, s->source, sparent, below, done, errno);
		close(tfd);
		goto out;
	}
	close(tfd);
	{
		char *path = done == 0 ? xstrdup(sparent) : xasprintf("%s/%.*s", n ? sparent : "", (int)done, below);
		struct ancestor *a;

		s->parent_rel = xstrdup(below[done] == '/' ? below + done + 1 : below + done);
		s->anc = add_ancestor(st, path, fd, 0755);
		a = &st->anc[s->anc];
		if (done > 0 && a->journal_path == NULL)
			a->journal_path = xasprintf("%s//%.*s", n ? sparent : "", (int)done, below);
		free(path);
	}
out:
	free(cur);
	free(sparent);
	return rc;
}

/* Picks an ancestor and a slot for every target being restored. */
static int plan_stage(struct tarball_stage *st, const struct tarball_extract_opts *o, struct err *e)
{
	if (o->to_dir != NULL && open_to_dir(st, o->to_dir, e) != RV_OK)
		return e->code;
	for (size_t i = 0; i < st->n; i++) {
		struct staged *s = &st->v[i];
		const char *slash = strrchr(s->source, '/');
		char *parent = xstrndup(s->source, (size_t)(slash - s->source));

		if (!s->restore) {
			free(parent);
			continue;
		}
		s->name = xstrdup(slash + 1);
		s->slot = xasprintf("%zu-%s", i, s->name);
		if (o->to_dir != NULL) {
			int fd = dup(st->to_fd);
			size_t done;

			s->parent_rel = xstrdup(parent[0] == '/' ? parent + 1 : parent);
			s->anc = add_ancestor(st, o->to_dir, fd, 0700);
			/* Said now, not when the swap makes the folders. */
			if ((fd = walk_existing(st->to_fd, s->parent_rel, &done)) < 0) {
				int rc = in_the_way(e, s->target, o->to_dir, s->parent_rel, done, errno);

				free(parent);
				return rc;
			}
			close(fd);
		} else if (s->pick) {
			int rc = plan_pick(st, s, source_of_path(st, s->source)->source, parent, e);

			free(parent);
			if (rc != RV_OK)
				return rc;
			continue;
		} else {
			const char *rest;
			char *cur = nearest_existing(parent[0] != '\0' ? parent : "/", &rest);
			int fd;

			fd = fsat_open_trusted(cur, false, 0, false);
			if (fd < 0) {
				int rc = err_set(e, errno == ELOOP ? RV_USAGE : RV_FAIL, "cannot restore %s: opening %s: %s%s",
						 s->source, cur, strerror(errno),
						 errno == ELOOP ? " (a symlink in the way that root did not make)" : "");

				free(cur);
				free(parent);
				return rc;
			}
			s->parent_rel = xstrdup(rest);
			s->anc = add_ancestor(st, cur, fd, 0755);
			free(cur);
		}
		free(parent);
	}
	if (check_protected(st, o, e) != RV_OK)
		return e->code;
	for (size_t i = 0; i < st->nanc; i++) {
		char *tag = random_tag();

		st->anc[i].stage = xasprintf(STAGE_PREFIX "%s", tag);
		free(tag);
	}
	return RV_OK;
}

static int make_stage(struct tarball_stage *st, struct err *e)
{
	for (size_t i = 0; i < st->nanc; i++) {
		struct ancestor *a = &st->anc[i];

		if (mkdirat(a->fd, a->stage, 0700) != 0 ||
		    (a->stagefd = openat(a->fd, a->stage, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			int en = errno;

			if (en == EEXIST)
				return err_set(e, RV_FAIL, "cannot create a staging directory in %s: it exists", a->path);
			free(a->stage);
			a->stage = NULL;
			return err_set(e, RV_FAIL,
				       "cannot create a staging directory in %s: %s (restore needs space and write access there)",
				       a->path, strerror(en));
		}
		{
			/* Nothing staged may inherit the folder's default ACL:
			 * each entry gets exactly the ACL it was backed up with. */
			char proc[64];

			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", a->stagefd);
			acl_delete_def_file(proc);
		}
	}
	return RV_OK;
}

/* ---- writing one entry beneath the stage ---- */

struct extractor {
	const struct tarball_extract_opts *o;
	struct tarball_stage *st;
	struct archive *a;
	struct err *e;
	struct err in_err;
	tarball_in in;
	void *in_arg;
	bool root;
	struct seen seen;
	/* The last parent directory opened, kept for the next entry. */
	size_t cached_anc;
	char *cached_dir;
	int cached_fd;
	/* One-name caches for owner lookups. */
	char uname[64], gname[64];
	uid_t uid;
	gid_t gid;
	bool have_uid, have_gid;
	uint8_t *copybuf;
	/* First names to add with --path (need_path), and the first second
	 * name found. */
	char **need;
	size_t nneed;
	char *need_first;
};

static la_ssize_t read_cb(struct archive *a, void *arg, const void **buf)
{
	struct extractor *x = arg;
	ssize_t n = x->in(x->in_arg, buf, &x->in_err);

	if (n < 0) {
		archive_set_error(a, EIO, "%s", x->in_err.msg);
		return -1;
	}
	return n;
}

/* The archive could not be read on: the layer below's error when it has
 * one (a tampered chunk), else the tar stream itself is damaged. */
static int damaged(struct extractor *x, const char *what)
{
	if (x->in_err.code != RV_OK)
		return err_set(x->e, x->in_err.code, "%s", x->in_err.msg);
	return err_set(x->e, RV_INTEGRITY, "the archive is damaged: %s: %s", what, archive_error_string(x->a));
}

static int refuse(struct extractor *x, const char *name, const char *why)
{
	char sh[300];

	return err_set(x->e, RV_INTEGRITY, "archive entry \"%s\" %s: the revision is refused", shown(name, sh, sizeof(sh)),
		       why);
}

/* A write failed with errno: the disk's fault, or a name the kernel would
 * not create beneath its source (then the revision is at fault). */
static int write_error(struct extractor *x, const char *name)
{
	int en = errno;
	char sh[300];

	switch (en) {
	case ENOSPC:
	case EDQUOT:
		return err_set(x->e, RV_FAIL, "cannot restore %s: %s: free space there or restore elsewhere with --to DIR (nothing was changed)",
			       shown(name, sh, sizeof(sh)), strerror(en));
	case ELOOP:
	case EXDEV:
	case EEXIST:
	case ENOTDIR:
	case ENAMETOOLONG:
		return err_set(x->e, RV_INTEGRITY, "archive entry \"%s\" cannot be created beneath its source: %s: the revision is refused",
			       shown(name, sh, sizeof(sh)), strerror(en));
	default:
		return err_set(x->e, RV_FAIL, "cannot restore %s: %s", shown(name, sh, sizeof(sh)), strerror(en));
	}
}

/* The directory that will hold path (beneath the staging directory of
 * ancestor anc), opened without following anything; its last component
 * in *base. */
static int parent_fd(struct extractor *x, size_t anc, const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash != NULL ? (size_t)(slash - path) : 0;
	int fd;

	*base = slash != NULL ? slash + 1 : path;
	if (x->cached_fd >= 0 && x->cached_anc == anc && strlen(x->cached_dir) == dlen &&
	    memcmp(x->cached_dir, path, dlen) == 0)
		return x->cached_fd;
	if (x->cached_fd >= 0)
		close(x->cached_fd);
	free(x->cached_dir);
	x->cached_dir = xstrndup(path, dlen);
	x->cached_anc = anc;
	fd = fsat_open_beneath(x->st->anc[anc].stagefd, x->cached_dir, O_PATH | O_DIRECTORY, 0);
	x->cached_fd = fd;
	return fd;
}

static void forget_cached(struct extractor *x)
{
	if (x->cached_fd >= 0)
		close(x->cached_fd);
	x->cached_fd = -1;
	free(x->cached_dir);
	x->cached_dir = NULL;
}

/* The owner to give an entry: its user and group names where this machine
 * knows them (as tar does), else the numbers stored. The last name looked
 * up is kept: most entries share an owner. */
static void owner_of(struct extractor *x, struct archive_entry *entry, uid_t *uid, gid_t *gid)
{
	const char *un = archive_entry_uname(entry), *gn = archive_entry_gname(entry);
	char buf[4096];

	*uid = (uid_t)archive_entry_uid(entry);
	*gid = (gid_t)archive_entry_gid(entry);
	if (un != NULL && *un != '\0' && strlen(un) < sizeof(x->uname)) {
		if (strcmp(un, x->uname) != 0) {
			struct passwd pw, *res = NULL;

			snprintf(x->uname, sizeof(x->uname), "%s", un);
			x->have_uid = getpwnam_r(un, &pw, buf, sizeof(buf), &res) == 0 && res != NULL;
			x->uid = x->have_uid ? pw.pw_uid : 0;
		}
		if (x->have_uid)
			*uid = x->uid;
	}
	if (gn != NULL && *gn != '\0' && strlen(gn) < sizeof(x->gname)) {
		if (strcmp(gn, x->gname) != 0) {
			struct group gr, *res = NULL;

			snprintf(x->gname, sizeof(x->gname), "%s", gn);
			x->have_gid = getgrnam_r(gn, &gr, buf, sizeof(buf), &res) == 0 && res != NULL;
			x->gid = x->have_gid ? gr.gr_gid : 0;
		}
		if (x->have_gid)
			*gid = x->gid;
	}
}

static void entry_times(struct archive_entry *entry, struct timespec ts[2])
{
	ts[1].tv_sec = archive_entry_mtime(entry);
	ts[1].tv_nsec = archive_entry_mtime_nsec(entry);
	if (archive_entry_atime_is_set(entry)) {
		ts[0].tv_sec = archive_entry_atime(entry);
		ts[0].tv_nsec = archive_entry_atime_nsec(entry);
	} else {
		ts[0] = ts[1];
	}
}

/* Where an entry's attributes go: its open descriptor, or for what is
 * not opened (symlinks, FIFOs, device nodes) its name in the parent's
 * descriptor. The stage is private (0700) and the name was made just now,
 * so reaching it through /proc/self/fd by name follows nothing foreign. */
struct where {
	int fd;
	int pfd;
	const char *base;
	bool symlink;
};

static void where_path(const struct where *w, char *buf, size_t cap)
{
	if (w->fd >= 0)
		snprintf(buf, cap, "/proc/self/fd/%d", w->fd);
	else
		snprintf(buf, cap, "/proc/self/fd/%d/%s", w->pfd, w->base);
}

/* POSIX.1e ACLs of one type from the entry; NULL when it has none. */
static acl_t build_acl(struct archive_entry *entry, int type, bool *bad)
{
	acl_t acl;
	int atype, perm, tag, qual;
	const char *name;

	*bad = false;
	if (archive_entry_acl_reset(entry, type) == 0)
		return NULL;
	acl = acl_init(8);
	if (acl == NULL) {
		*bad = true;
		return NULL;
	}
	while (archive_entry_acl_next(entry, type, &atype, &perm, &tag, &qual, &name) == ARCHIVE_OK) {
		acl_entry_t ae;
		acl_permset_t ps;
		acl_tag_t t;

		switch (tag) {
		case ARCHIVE_ENTRY_ACL_USER_OBJ: t = ACL_USER_OBJ; break;
		case ARCHIVE_ENTRY_ACL_USER: t = ACL_USER; break;
		case ARCHIVE_ENTRY_ACL_GROUP_OBJ: t = ACL_GROUP_OBJ; break;
		case ARCHIVE_ENTRY_ACL_GROUP: t = ACL_GROUP; break;
		case ARCHIVE_ENTRY_ACL_MASK: t = ACL_MASK; break;
		case ARCHIVE_ENTRY_ACL_OTHER: t = ACL_OTHER; break;
		default: continue;
		}
		if (acl_create_entry(&acl, &ae) != 0 || acl_set_tag_type(ae, t) != 0 || acl_get_permset(ae, &ps) != 0) {
			*bad = true;
			break;
		}
		acl_clear_perms(ps);
		if (perm & ARCHIVE_ENTRY_ACL_READ)
			acl_add_perm(ps, ACL_READ);
		if (perm & ARCHIVE_ENTRY_ACL_WRITE)
			acl_add_perm(ps, ACL_WRITE);
		if (perm & ARCHIVE_ENTRY_ACL_EXECUTE)
			acl_add_perm(ps, ACL_EXECUTE);
		if (t == ACL_USER) {
			uid_t id = (uid_t)qual;

			acl_set_qualifier(ae, &id);
		} else if (t == ACL_GROUP) {
			gid_t id = (gid_t)qual;

			acl_set_qualifier(ae, &id);
		}
	}
	if (*bad || acl_valid(acl) != 0) {
		*bad = true;
		acl_free(acl);
		return NULL;
	}
	return acl;
}

/* The entry's ACLs, after its mode (chmod would rewrite the mask). Linux
 * has no ACLs on symlinks. */
static void set_acls(struct extractor *x, const struct where *w, struct archive_entry *entry, const char *name)
{
	static const int types[] = { ARCHIVE_ENTRY_ACL_TYPE_ACCESS, ARCHIVE_ENTRY_ACL_TYPE_DEFAULT };
	char path[PATH_MAX + 64], sh[300];

	if (w->symlink)
		return;
	for (size_t i = 0; i < ARRAY_LEN(types); i++) {
		bool bad;
		acl_t acl = build_acl(entry, types[i], &bad);
		int rc;

		if (acl == NULL && !bad)
			continue;
		if (acl == NULL) {
			warnf(x->o, "%s: its ACL in the archive is not valid: not set", shown(name, sh, sizeof(sh)));
			continue;
		}
		where_path(w, path, sizeof(path));
		if (types[i] == ARCHIVE_ENTRY_ACL_TYPE_ACCESS && w->fd >= 0)
			rc = acl_set_fd(w->fd, acl);
		else
			rc = acl_set_file(path, types[i] == ARCHIVE_ENTRY_ACL_TYPE_ACCESS ? ACL_TYPE_ACCESS : ACL_TYPE_DEFAULT,
					  acl);
		if (rc != 0)
			warnf(x->o, "%s: cannot set its ACL: %s", shown(name, sh, sizeof(sh)), strerror(errno));
		acl_free(acl);
	}
}

/* Extended attributes; a failure is a warning (a filesystem without them,
 * trusted.* as a user), as tar treats it. */
static void set_xattrs(struct extractor *x, const struct where *w, struct archive_entry *entry, const char *name)
{
	const char *xname;
	const void *value;
	size_t size;
	char path[PATH_MAX + 64], sh[300];

	where_path(w, path, sizeof(path));
	archive_entry_xattr_reset(entry);
	while (archive_entry_xattr_next(entry, &xname, &value, &size) == ARCHIVE_OK) {
		int rc;

		if (xname == NULL)
			continue;
		rc = w->fd >= 0 ? fsetxattr(w->fd, xname, value, size, 0) : lsetxattr(path, xname, value, size, 0);
		if (rc != 0)
			warnf(x->o, "%s: cannot set the extended attribute %s: %s", shown(name, sh, sizeof(sh)), xname,
			      strerror(errno));
	}
}

static void set_fflags(struct extractor *x, int fd, unsigned long set, const char *name)
{
	int flags = 0;
	char sh[300];

	if (set == 0)
		return;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0 || (flags |= (int)set, ioctl(fd, FS_IOC_SETFLAGS, &flags)) != 0)
		warnf(x->o, "%s: cannot set its file attributes (chattr): %s", shown(name, sh, sizeof(sh)), strerror(errno));
}

/* chattr flags wait until everything is written: an immutable or
 * append-only file could not take a second name, nor a folder entries. */
static struct fixup *add_fixup(struct tarball_stage *st, size_t anc, char *path, bool dir)
{
	struct fixup *f;

	st->fix = xrealloc(st->fix, (st->nfix + 1) * sizeof(*st->fix));
	f = &st->fix[st->nfix++];
	memset(f, 0, sizeof(*f));
	f->anc = anc;
	f->path = path;
	f->dir = dir;
	return f;
}

/* Owner, mode, extras and times on an open file: owner first, since
 * chown clears set-user-ID bits. */
static void set_meta_fd(struct extractor *x, int fd, struct archive_entry *entry, const char *name)
{
	struct timespec ts[2];

	if (x->root) {
		uid_t uid;
		gid_t gid;

		owner_of(x, entry, &uid, &gid);
		if (fchown(fd, uid, gid) != 0) {
			char sh[300];

			warnf(x->o, "%s: cannot set its owner: %s", shown(name, sh, sizeof(sh)), strerror(errno));
		}
	}
	fchmod(fd, archive_entry_perm(entry) & 07777);
	{
		struct where w = { .fd = fd, .pfd = -1 };

		set_xattrs(x, &w, entry, name);
		set_acls(x, &w, entry, name);
	}
	entry_times(entry, ts);
	futimens(fd, ts);
}

static int copy_data(struct extractor *x, int fd, const char *name)
{
	const void *blk;
	size_t len;
	la_int64_t off;
	int h;

	while ((h = archive_read_data_block(x->a, &blk, &len, &off)) == ARCHIVE_OK) {
		const uint8_t *p = blk;

		while (len > 0) {
			ssize_t n = pwrite(fd, p, len, off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return write_error(x, name);
			p += n;
			len -= (size_t)n;
			off += n;
			if (x->o->progress != NULL)
				atomic_fetch_add(&x->o->progress->bytes, (uint64_t)n);
		}
		if (stop_asked(x->o->cancel))
			return err_set(x->e, RV_FAIL, "cancelled");
	}
	if (h != ARCHIVE_EOF)
		return damaged(x, name);
	return RV_OK;
}

static int skip_data(struct extractor *x, const char *name)
{
	const void *blk;
	size_t len;
	la_int64_t off;
	int h;

	while ((h = archive_read_data_block(x->a, &blk, &len, &off)) == ARCHIVE_OK)
		if (x->o->progress != NULL)
			atomic_fetch_add(&x->o->progress->bytes, len);
	if (h != ARCHIVE_EOF)
		return damaged(x, name);
	return RV_OK;
}

/* A hard link whose file lives in another staging directory (another
 * filesystem): a copy, as tar does when it cannot link. */
static int copy_linked(struct extractor *x, int from_fd, int pfd, const char *base, const char *name)
{
	struct stat sb;
	int out;
	ssize_t n;

	if (fstat(from_fd, &sb) != 0)
		return write_error(x, name);
	out = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return write_error(x, name);
	while ((n = read(from_fd, x->copybuf, 256 * 1024)) > 0)
		if (write(out, x->copybuf, (size_t)n) != n) {
			int rc = write_error(x, name);

			close(out);
			return rc;
		}
	if (x->root && fchown(out, sb.st_uid, sb.st_gid) != 0)
		warnf(x->o, "cannot set the owner of a copied hard link: %s", strerror(errno));
	fchmod(out, sb.st_mode & 07777);
	futimens(out, (struct timespec[2]){ sb.st_atim, sb.st_mtim });
	close(out);
	return RV_OK;
}

static struct staged *source_of(struct tarball_stage *st, const char *rel)
{
	for (size_t i = 0; i < st->n; i++)
		if (!st->v[i].pick && under(rel, st->v[i].root))
			return &st->v[i];
	return NULL;
}

/* Where an entry goes: the path given with --path that holds it (NULL
 * when none does), or else its source. */
static struct staged *target_of(struct tarball_stage *st, const char *rel, bool picks)
{
	if (!picks)
		return source_of(st, rel);
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].pick && under(rel, st->v[i].root))
			return &st->v[i];
	return NULL;
}

/* The entry's path beneath its staging directory: slot + the rest. */
static char *stage_path(const struct staged *s, const char *rel)
{
	return xasprintf("%s%s", s->slot, rel + strlen(s->root));
}

/* A second name (hard link) whose file is stored under a first name that
 * is not being restored (outside the paths given with --path, or in a
 * source an in-place restore leaves out): noted, and the whole restore
 * refused once the revision is read (need_paths_error). */
static void need_path(struct extractor *x, const char *rel, const char *hl)
{
	for (size_t i = 0; i < x->nneed; i++)
		if (strcmp(x->need[i], hl) == 0)
			return;
	if (x->nneed == 0)
		x->need_first = xstrdup(rel);
	x->need = xrealloc(x->need, (x->nneed + 1) * sizeof(*x->need));
	x->need[x->nneed++] = xstrdup(hl);
}

/* Refuses a restore that would leave out a second name: in place the
 * swap would remove it from disk, under --to it would be missing. One
 * line naming every --path to add (or --all-sources); nothing has changed
 * yet. */
static int need_paths_error(struct extractor *x)
{
	char sh[300], sh2[300], *add = xstrdup("");
	int rc;

	for (size_t i = 0; i < x->nneed; i++) {
		char *more = xasprintf("%s%s--path /%s", add, i ? " " : "", shown(x->need[i], sh, sizeof(sh)));

		free(add);
		add = more;
	}
	if (x->o->npaths == 0)
		/* A whole restore in place leaving out the other source. */
		rc = err_set(x->e, RV_USAGE,
			     "/%s is a second name (hard link) of /%s, in a source this machine does not back up: "
			     "restore in place with --all-sources, or with --to DIR; nothing was changed",
			     shown(x->need_first, sh, sizeof(sh)), shown(x->need[0], sh2, sizeof(sh2)));
	else if (x->nneed == 1)
		rc = err_set(x->e, RV_USAGE,
			     "/%s is a second name (hard link) of /%s in this revision: add %s to restore both; "
			     "nothing was changed",
			     shown(x->need_first, sh, sizeof(sh)), shown(x->need[0], sh2, sizeof(sh2)), add);
	else
		rc = err_set(x->e, RV_USAGE,
			     "/%s and others are second names (hard links) of files not being restored: add %s to "
			     "restore them; nothing was changed",
			     shown(x->need_first, sh, sizeof(sh)), add);
	free(add);
	return rc;
}

static int write_hardlink(struct extractor *x, const char *rel, const char *hl, const struct staged *s)
{
	struct staged *hs = target_of(x->st, hl, x->o->npaths > 0);
	char *to, *from;
	const char *base;
	int pfd, ffd, rc = RV_OK;

	if (hs == NULL || !hs->restore) {
		need_path(x, rel, hl);
		return RV_OK;
	}
	to = stage_path(s, rel);
	from = stage_path(hs, hl);
	/* Both parents open at once: the cache holds one. */
	ffd = fsat_open_beneath(x->st->anc[hs->anc].stagefd, from, O_PATH | O_NOFOLLOW, 0);
	pfd = parent_fd(x, s->anc, to, &base);
	if (ffd < 0 || pfd < 0) {
		rc = write_error(x, rel);
	} else {
		char proc[64];

		/* Link the very inode opened above, not a name that could move. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", ffd);
		if (linkat(AT_FDCWD, proc, pfd, base, AT_SYMLINK_FOLLOW) != 0) {
			if (errno == EXDEV) {
				int rfd = fsat_open_beneath(x->st->anc[hs->anc].stagefd, from, O_RDONLY | O_NOFOLLOW, 0);

				rc = rfd >= 0 ? copy_linked(x, rfd, pfd, base, rel) : write_error(x, rel);
				if (rfd >= 0)
					close(rfd);
			} else {
				rc = write_error(x, rel);
			}
		}
	}
	if (ffd >= 0)
		close(ffd);
	free(to);
	free(from);
	return rc;
}

static int write_entry(struct extractor *x, struct archive_entry *entry, const char *rel, struct staged *s)
{
	char *path = stage_path(s, rel);
	const char *base;
	mode_t type = archive_entry_filetype(entry);
	struct timespec ts[2];
	int pfd = parent_fd(x, s->anc, path, &base), fd, rc = RV_OK;

	if (pfd < 0) {
		rc = write_error(x, rel);
		goto out;
	}
	entry_times(entry, ts);
	switch (type) {
	case AE_IFDIR: {
		struct fixup *f;

		if (mkdirat(pfd, base, 0700) != 0 ||
		    (fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			rc = write_error(x, rel);
			break;
		}
		{
			struct where w = { .fd = fd, .pfd = -1 };

			set_xattrs(x, &w, entry, rel);
		}
		close(fd);
		f = add_fixup(x->st, s->anc, path, true);
		path = NULL;
		/* Its ACLs after its mode, and its default ACL only once
		 * everything in it is made, or the entries would inherit it. */
		if (archive_entry_acl_count(entry, ARCHIVE_ENTRY_ACL_TYPE_ACCESS | ARCHIVE_ENTRY_ACL_TYPE_DEFAULT) > 0)
			f->acls = archive_entry_clone(entry);
		f->mode = archive_entry_perm(entry) & 07777;
		if (x->root) {
			owner_of(x, entry, &f->uid, &f->gid);
			f->owner = true;
		}
		f->times[0] = ts[0];
		f->times[1] = ts[1];
		{
			unsigned long set, clear;

			archive_entry_fflags(entry, &set, &clear);
			f->fflags = set;
		}
		rc = skip_data(x, rel);
		break;
	}
	case AE_IFREG: {
		unsigned long set, clear;

		fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			rc = write_error(x, rel);
			break;
		}
		rc = copy_data(x, fd, rel);
		if (rc == RV_OK && ftruncate(fd, archive_entry_size(entry)) != 0)
			rc = write_error(x, rel);
		if (rc == RV_OK) {
			set_meta_fd(x, fd, entry, rel);
			archive_entry_fflags(entry, &set, &clear);
			if (set != 0) {
				add_fixup(x->st, s->anc, path, false)->fflags = set;
				path = NULL;
			}
		}
		close(fd);
		break;
	}
	case AE_IFLNK: {
		const char *target = archive_entry_symlink(entry);

		if (target == NULL) {
			rc = refuse(x, rel, "is a symlink without a target");
			break;
		}
		if (symlinkat(target, pfd, base) != 0) {
			rc = write_error(x, rel);
			break;
		}
		if (x->root) {
			uid_t uid;
			gid_t gid;

			owner_of(x, entry, &uid, &gid);
			if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
				char sh[300];

				warnf(x->o, "%s: cannot set its owner: %s", shown(rel, sh, sizeof(sh)), strerror(errno));
			}
		}
		{
			struct where w = { .fd = -1, .pfd = pfd, .base = base, .symlink = true };

			set_xattrs(x, &w, entry, rel);
		}
		utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
		rc = skip_data(x, rel);
		break;
	}
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO: {
		if (type != AE_IFIFO && !x->root) {
			char sh[300];

			warnf(x->o, "skipped device node /%s: only root can restore device nodes", shown(rel, sh, sizeof(sh)));
			if (x->o->progress != NULL)
				atomic_fetch_add(&x->o->progress->skipped, 1);
			rc = skip_data(x, rel);
			break;
		}
		if (mknodat(pfd, base, (type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO) | 0600,
			    archive_entry_rdev(entry)) != 0) {
			rc = write_error(x, rel);
			break;
		}
		/* A node is opened by path, not through a descriptor (opening a
		 * FIFO would block): the stage is ours alone (0700), and the
		 * name was made just now. */
		if (x->root) {
			uid_t uid;
			gid_t gid;

			owner_of(x, entry, &uid, &gid);
			if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
				char sh[300];

				warnf(x->o, "%s: cannot set its owner: %s", shown(rel, sh, sizeof(sh)), strerror(errno));
			}
		}
		if (fchmodat(pfd, base, archive_entry_perm(entry) & 07777, 0) != 0) {
			char sh[300];

			warnf(x->o, "%s: cannot set its mode: %s", shown(rel, sh, sizeof(sh)), strerror(errno));
		}
		{
			struct where w = { .fd = -1, .pfd = pfd, .base = base };

			set_xattrs(x, &w, entry, rel);
			set_acls(x, &w, entry, rel);
		}
		utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
		rc = skip_data(x, rel);
		break;
	}
	default:
		rc = refuse(x, rel, "has a type revault does not write");
		break;
	}
out:
	free(path);
	return rc;
}

/* Checks one entry against the archive rules; RV_INTEGRITY naming it. The
 * same in verify and in restore, so `verify` refuses what restore would. */
static int check_entry(struct extractor *x, struct archive_entry *entry, char *rel, struct staged **owner)
{
	const char *why, *hl = archive_entry_hardlink(entry);
	size_t len = strlen(rel);
	bool dir = archive_entry_filetype(entry) == AE_IFDIR && hl == NULL;
	struct staged *s;
	uint64_t h;

	/* Directories are stored with a trailing slash. */
	while (len > 1 && rel[len - 1] == '/')
		rel[--len] = '\0';
	if ((why = bad_name(rel)) != NULL)
		return refuse(x, rel, why);
	if ((s = source_of(x->st, rel)) == NULL)
		return refuse(x, rel, "lies outside the revision's sources");
	h = seen_hash(&x->seen, rel, len);
	if (seen_get(&x->seen, h) != SEEN_NONE)
		return refuse(x, rel, "appears twice");
	if (strcmp(rel, s->root) != 0) {
		size_t plen = (size_t)(strrchr(rel, '/') - rel);

		switch (seen_get(&x->seen, seen_hash(&x->seen, rel, plen))) {
		case SEEN_DIR:
			break;
		case SEEN_OTHER:
			return refuse(x, rel, "goes through an entry that is not a folder (a symlink or a file)");
		default:
			return refuse(x, rel, "comes before its folder");
		}
	} else {
		s->present = true;
	}
	if (hl == NULL && archive_entry_filetype(entry) == AE_IFLNK) {
		const char *target = archive_entry_symlink(entry);

		/* What symlink(2) can make: revault stores only those. */
		if (target == NULL || target[0] == '\0')
			return refuse(x, rel, "is a symlink without a target");
		if (strlen(target) >= PATH_MAX)
			return refuse(x, rel, "is a symlink whose target is longer than the kernel allows");
	}
	if (hl != NULL) {
		char *t = xstrdup(hl);
		size_t tlen = strlen(t);
		int rc = RV_OK;

		while (tlen > 1 && t[tlen - 1] == '/')
			t[--tlen] = '\0';
		if (bad_name(t) != NULL || source_of(x->st, t) == NULL)
			rc = refuse(x, rel, "is a hard link to a path outside the revision's sources");
		else if (seen_get(&x->seen, seen_hash(&x->seen, t, tlen)) != SEEN_OTHER)
			rc = refuse(x, rel, "is a hard link to an entry that is not an earlier file");
		free(t);
		if (rc != RV_OK)
			return rc;
	}
	seen_put(&x->seen, h, dir ? SEEN_DIR : SEEN_OTHER);
	*owner = s;
	return RV_OK;
}

/* Sets the folders' owners, modes, ACLs and times, deepest first, and
 * last of all the chattr flags. */
static int apply_fixups(struct extractor *x)
{
	for (size_t i = x->st->nfix; i-- > 0;) {
		struct fixup *f = &x->st->fix[i];
		int fd;

		if (!f->dir)
			continue;
		fd = fsat_open_beneath(x->st->anc[f->anc].stagefd, f->path, O_RDONLY | O_DIRECTORY, 0);
		if (fd < 0)
			return write_error(x, f->path);
		if (f->owner && fchown(fd, f->uid, f->gid) != 0)
			warnf(x->o, "cannot set the owner of a restored folder: %s", strerror(errno));
		fchmod(fd, f->mode);
		if (f->acls != NULL) {
			struct where w = { .fd = fd, .pfd = -1 };

			set_acls(x, &w, f->acls, f->path);
		}
		futimens(fd, f->times);
		close(fd);
	}
	for (size_t i = x->st->nfix; i-- > 0;) {
		struct fixup *f = &x->st->fix[i];
		int fd;

		if (f->fflags == 0)
			continue;
		fd = fsat_open_beneath(x->st->anc[f->anc].stagefd, f->path, O_RDONLY | O_NOFOLLOW, 0);
		if (fd < 0)
			return write_error(x, f->path);
		set_fflags(x, fd, f->fflags, f->path);
		f->applied = true;
		close(fd);
	}
	return RV_OK;
}

static int read_manifest(struct extractor *x, struct archive_entry *entry)
{
	const char *rel = archive_entry_pathname(entry);
	la_int64_t size = archive_entry_size(entry);
	char *text;
	la_ssize_t n;
	int rc;

	if (rel == NULL || strcmp(rel, TARBALL_MANIFEST) != 0 || archive_entry_filetype(entry) != AE_IFREG ||
	    size < 0 || size > MANIFEST_MAX)
		return err_set(x->e, RV_INTEGRITY, "not a revault archive: it does not start with a manifest");
	text = xmalloc((size_t)size + 1);
	n = size > 0 ? archive_read_data(x->a, text, (size_t)size) : 0;
	if (n != size) {
		free(text);
		return damaged(x, "the manifest");
	}
	rc = parse_manifest(text, (size_t)n, x->o, x->st, x->e);
	free(text);
	return rc;
}

/* An entry that passed the archive rules, to o->entry. */
static void tell_entry(const struct tarball_extract_opts *o, struct archive_entry *entry, const char *rel)
{
	const char *hl = archive_entry_hardlink(entry), *sm = archive_entry_strmode(entry);
	char *path = xasprintf("/%s", rel), *link = NULL, mode[12];
	struct tarball_entry en = {
		.path = path, .mode_text = mode,
		.uname = archive_entry_uname(entry), .gname = archive_entry_gname(entry),
		.uid = archive_entry_uid(entry), .gid = archive_entry_gid(entry),
		.size = archive_entry_size(entry) > 0 ? (uint64_t)archive_entry_size(entry) : 0,
		.mtime = archive_entry_mtime(entry),
	};

	/* "drwxr-xr-x" then '+' with ACLs (libarchive ends it in ' ' else). */
	snprintf(mode, sizeof(mode), "%.10s%s", sm, strlen(sm) > 10 && sm[10] == '+' ? "+" : "");
	en.type = mode[0];
	if (hl != NULL) {
		size_t n = strlen(hl);

		while (n > 1 && hl[n - 1] == '/')
			n--;
		en.link = link = xasprintf("/%.*s", (int)n, hl);
		en.size = 0;
	} else if (archive_entry_filetype(entry) == AE_IFLNK) {
		en.link = archive_entry_symlink(entry);
	}
	if (archive_entry_filetype(entry) != AE_IFREG)
		en.size = 0;
	o->entry(o->entry_arg, &en);
	free(link);
	free(path);
}

static int extract_all(struct extractor *x)
{
	const struct tarball_extract_opts *o = x->o;
	struct archive_entry *entry;
	bool have_manifest = false;
	int rc = RV_OK, h;

	for (;;) {
		struct staged *s = NULL;
		char *rel;

		if (stop_asked(o->cancel))
			return err_set(x->e, RV_FAIL, "cancelled");
		h = archive_read_next_header(x->a, &entry);
		if (h == ARCHIVE_EOF)
			break;
		/* A warning here is a header libarchive had to skip or guess
		 * at: revault's archives never have one. */
		if (h != ARCHIVE_OK)
			return damaged(x, "a header");
		if (!have_manifest) {
			if ((rc = read_manifest(x, entry)) != RV_OK)
				return rc;
			have_manifest = true;
			if (!o->verify_only) {
				size_t restored = 0;

				for (size_t i = 0; i < x->st->n; i++) {
					if (x->st->v[i].pick != (o->npaths > 0))
						continue;
					if (x->st->v[i].restore)
						restored++;
					else
						warnf(o, "not restored: %s is not among this machine's sources (restore it with --to DIR, or with --all-sources)",
						      x->st->v[i].source);
				}
				if (restored == 0)
					return err_set(x->e, RV_USAGE,
						       "none of this revision's sources is backed up on this machine: restore with --to DIR, or in place with --all-sources");
				if ((rc = plan_stage(x->st, o, x->e)) != RV_OK ||
				    (rc = journal_write(x->st, true, x->e)) != RV_OK || (rc = make_stage(x->st, x->e)) != RV_OK)
					return rc;
			}
			continue;
		}
		if (archive_entry_pathname(entry) == NULL)
			return damaged(x, "an entry without a name");
		rel = xstrdup(archive_entry_pathname(entry));
		rc = check_entry(x, entry, rel, &s);
		if (rc == RV_OK && o->progress != NULL) {
			char sh[256];

			snprintf(o->progress->current, sizeof(o->progress->current), "/%s", shown(rel, sh, sizeof(sh)));
		}
		if (rc == RV_OK) {
			s = target_of(x->st, rel, o->npaths > 0);
			if (s != NULL && strcmp(rel, s->root) == 0)
				s->present = true;
			if (s != NULL && o->verify_only && o->entry != NULL)
				tell_entry(o, entry, rel);
		}
		if (rc == RV_OK) {
			if (o->verify_only || s == NULL || !s->restore)
				rc = skip_data(x, rel);
			else if (archive_entry_hardlink(entry) != NULL &&
				 (rc = write_hardlink(x, rel, archive_entry_hardlink(entry), s)) == RV_OK)
				rc = skip_data(x, rel);
			else if (archive_entry_hardlink(entry) == NULL)
				rc = write_entry(x, entry, rel, s);
		}
		free(rel);
		if (rc != RV_OK)
			return rc;
		if (o->progress != NULL)
			atomic_fetch_add(&o->progress->files, 1);
	}
	if (!have_manifest)
		return err_set(x->e, RV_INTEGRITY, "not a revault archive: it is empty");
	/* Read to the very end so the layers below see (and verify) every byte. */
	{
		const void *buf;
		ssize_t n;

		while ((n = x->in(x->in_arg, &buf, &x->in_err)) > 0)
			;
		if (n < 0)
			return err_set(x->e, x->in_err.code ? x->in_err.code : RV_INTEGRITY, "%s", x->in_err.msg);
	}
	/* Known only now that every entry was read and verified: every path
	 * missing is named. */
	{
		char sh[300], *missing = NULL;
		const char *where = NULL;
		size_t nmissing = 0;

		for (size_t i = 0; i < x->st->n; i++) {
			char *more;

			if (!x->st->v[i].pick || x->st->v[i].present)
				continue;
			more = xasprintf("%s%s%s", missing != NULL ? missing : "", missing != NULL ? ", " : "",
					 shown(x->st->v[i].source, sh, sizeof(sh)));
			free(missing);
			missing = more;
			if (nmissing++ == 0)
				where = source_of_path(x->st, x->st->v[i].source)->source;
		}
		if (missing != NULL) {
			rc = err_set(x->e, RV_USAGE,
				     "%s %s not in this revision: `revault ls REV %s` lists what it holds there; nothing was changed",
				     missing, nmissing == 1 ? "is" : "are", where);
			free(missing);
			return rc;
		}
	}
	if (x->nneed > 0)
		return need_paths_error(x);
	forget_cached(x);
	return o->verify_only ? RV_OK : apply_fixups(x);
}

int tarball_extract(const struct tarball_extract_opts *o, tarball_in in, void *arg,
		    struct tarball_stage **stage, struct err *e)
{
	struct extractor x = { .o = o, .e = e, .in = in, .in_arg = arg, .root = geteuid() == 0, .cached_fd = -1 };
	struct tarball_stage *st = xcalloc(1, sizeof(*st));
	locale_t old_locale;
	int rc;

	*stage = NULL;
	st->to_fd = -1;
	st->to_made_in = -1;
	st->keep = o->keep;
	st->nkeep = o->nkeep;
	st->warn = o->warn;
	st->warn_arg = o->warn_arg;
	if (o->journal != NULL && !o->verify_only)
		st->journal = xstrdup(o->journal);
	x.st = st;
	x.copybuf = xmalloc(256 * 1024);
	seen_init(&x.seen);
	fsat_raise_fd_limit();
	old_locale = util_utf8_begin();
	x.a = archive_read_new();
	archive_read_support_format_tar(x.a);
	archive_read_support_filter_zstd(x.a);
	if (archive_read_open(x.a, &x, NULL, read_cb, NULL) != ARCHIVE_OK)
		rc = damaged(&x, "not a readable archive");
	else
		rc = extract_all(&x);
	forget_cached(&x);
	archive_read_free(x.a);
	util_utf8_end(old_locale);
	seen_free(&x.seen);
	free(x.copybuf);
	for (size_t i = 0; i < x.nneed; i++)
		free(x.need[i]);
	free(x.need);
	free(x.need_first);
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
	size_t n = 0;

	free(m->targets);
	m->targets = xcalloc(st->n + 1, sizeof(char *));
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].restore && st->v[i].present)
			m->targets[n++] = st->v[i].target;
	*targets = m->targets;
	return n;
}

/* ---- the swap ---- */

/* Carries a file that is never in a backup (a machine secret) into the
 * staged tree that will replace its folder. */
static void carry_over(struct tarball_stage *st, const char *file)
{
	for (size_t i = 0; i < st->n; i++) {
		struct staged *s = &st->v[i];
		const char *rel, *slash, *base;
		char *dir, buf[65536], *where;
		int in, pfd, out;
		struct stat sb, ps;
		ssize_t n;
		size_t tl;

		if (!s->restore || !s->present)
			continue;
		/* Compared where the target lies on disk (file is resolved): a
		 * source spelled through a symlinked parent is the same folder. */
		where = realpath(s->source, NULL);
		tl = where != NULL ? strlen(where) : 0;
		if (where == NULL || strncmp(file, where, tl) != 0 || file[tl] != '/') {
			free(where);
			continue;
		}
		free(where);
		rel = file + tl + 1;
		in = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0)
			return;
		if (fstat(in, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > (off_t)sizeof(buf)) {
			close(in);
			return;
		}
		slash = strrchr(rel, '/');
		base = slash != NULL ? slash + 1 : rel;
		dir = slash != NULL ? xasprintf("%s/%.*s", s->slot, (int)(slash - rel), rel) : xstrdup(s->slot);
		pfd = fsat_mkdirs_beneath(st->anc[s->anc].stagefd, dir, 0700);
		free(dir);
		if (pfd >= 0 && fstat(pfd, &ps) == 0) {
			unlinkat(pfd, base, 0); /* the machine's own copy wins */
			out = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			n = read(in, buf, sizeof(buf));
			if (out < 0 || n < 0 || write(out, buf, (size_t)n) != n || fchown(out, sb.st_uid, sb.st_gid) != 0 ||
			    fsync(out) != 0) {
				char msg[PATH_MAX + 128];

				snprintf(msg, sizeof(msg), "could not keep %s through the restore: %s", file, strerror(errno));
				if (st->warn != NULL)
					st->warn(st->warn_arg, msg);
			}
			if (out >= 0)
				close(out);
			/* The folder keeps the time it was backed up with. */
			futimens(pfd, (struct timespec[2]){ ps.st_atim, ps.st_mtim });
			wipe(buf, sizeof(buf));
		}
		if (pfd >= 0)
			close(pfd);
		close(in);
		return;
	}
}

static void rollback(struct tarball_stage *st)
{
	for (size_t i = st->n; i-- > 0;) {
		struct staged *s = &st->v[i];
		struct ancestor *a = &st->anc[s->anc];
		int pfd;

		if (!s->swapped && !s->parked)
			continue;
		pfd = fsat_open_beneath(a->fd, s->parent_rel, O_PATH | O_DIRECTORY, 0);
		if (pfd < 0)
			continue;
		if (s->swapped && renameat(pfd, s->name, a->stagefd, s->slot) == 0)
			s->swapped = false;
		if (s->parked && renameat(pfd, s->aside, pfd, s->name) == 0)
			s->parked = false;
		close(pfd);
	}
}

/* A mount point at or under a target (from /proc/self/mountinfo): the
 * swap would move it aside with the old tree. Allocated, or NULL. */
static char *mount_under(const char *target)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, *found = NULL;
	size_t cap = 0;

	while (f != NULL && found == NULL && getline(&line, &cap, f) > 0) {
		char mp[PATH_MAX], *o = mp;
		const char *c = line;

		/* The fifth field, octal escapes (\040) undone. */
		for (int field = 0; field < 4 && c != NULL; field++)
			c = strchr(c, ' ') != NULL ? strchr(c, ' ') + 1 : NULL;
		if (c == NULL)
			continue;
		while (*c != ' ' && *c != '\0' && o < mp + sizeof(mp) - 1) {
			if (c[0] == '\\' && c[1] >= '0' && c[1] <= '3' && c[2] >= '0' && c[2] <= '7' && c[3] >= '0' &&
			    c[3] <= '7') {
				*o++ = (char)((c[1] - '0') * 64 + (c[2] - '0') * 8 + (c[3] - '0'));
				c += 4;
			} else {
				*o++ = *c++;
			}
		}
		*o = '\0';
		if (path_within(target, mp))
			found = xstrdup(mp);
	}
	free(line);
	if (f != NULL)
		fclose(f);
	return found;
}

int tarball_commit(struct tarball_stage *st, struct err *e)
{
	int rc = RV_OK;

	/* Nothing is moved while a target holds a mount point: the swap would
	 * carry it aside with the old tree. */
	for (size_t i = 0; i < st->n; i++) {
		struct staged *s = &st->v[i];
		char *t, *mp;

		if (!s->restore || !s->present)
			continue;
		t = s->target[0] == '/' ? realpath(s->target, NULL) : NULL;
		mp = t != NULL ? mount_under(t) : NULL;
		if (mp != NULL) {
			rc = err_set(e, RV_FAIL,
				     "%s holds the mount point %s, which a restore in place would move aside: unmount it, or restore with --to DIR and copy by hand (nothing was changed)",
				     s->target, mp);
			free(mp);
			free(t);
			tarball_discard(st);
			return rc;
		}
		free(t);
	}

	for (size_t i = 0; i < st->nkeep; i++)
		carry_over(st, st->keep[i]);
	/* The staged trees on disk before any of them is in place: a power
	 * cut after the swap must not leave empty files. */
	for (size_t i = 0; i < st->nanc; i++)
		if (syncfs(st->anc[i].fd) != 0) {
			rc = err_set(e, RV_FAIL, "cannot flush the restored files to disk in %s: %s (nothing was changed)",
				     st->anc[i].path, strerror(errno));
			tarball_discard(st);
			return rc;
		}
	/* Name every aside first so the journal holds the whole plan. */
	for (size_t i = 0; i < st->n; i++) {
		struct staged *s = &st->v[i];
		char *tag;

		if (!s->restore || !s->present)
			continue;
		tag = random_tag();
		s->aside = xasprintf(OLD_PREFIX "%s-%s", tag, s->name);
		free(tag);
	}
	if ((rc = journal_write(st, false, e)) != RV_OK) {
		tarball_discard(st);
		return rc;
	}
	for (size_t i = 0; i < st->n && rc == RV_OK; i++) {
		struct staged *s = &st->v[i];
		struct ancestor *a = &st->anc[s->anc];
		struct stat sb;
		int pfd;

		if (!s->restore || !s->present)
			continue;
		pfd = fsat_mkdirs_beneath(a->fd, s->parent_rel, a->parent_mode);
		if (pfd < 0) {
			rc = err_set(e, RV_FAIL, "cannot create the parent directories of %s: %s", s->target, strerror(errno));
			break;
		}
		if (fstatat(pfd, s->name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
			if (renameat(pfd, s->name, pfd, s->aside) != 0) {
				rc = err_set(e, RV_FAIL, "cannot move %s aside: %s%s", s->target, strerror(errno),
					     errno == EBUSY ? " (a mount point: restore with --to DIR and copy by hand)" : "");
				close(pfd);
				break;
			}
			s->parked = true;
		}
		if (renameat(a->stagefd, s->slot, pfd, s->name) != 0) {
			rc = err_set(e, RV_FAIL, "cannot move the restored %s into place: %s", s->target, strerror(errno));
			close(pfd);
			break;
		}
		s->swapped = true;
		fsync(pfd);
		close(pfd);
	}
	if (rc != RV_OK) {
		rollback(st);
		if (st->journal != NULL)
			unlink(st->journal);
		tarball_discard(st);
		return rc;
	}
	for (size_t i = 0; i < st->n; i++) {
		struct staged *s = &st->v[i];
		struct ancestor *a = &st->anc[s->anc];
		char *stuck = NULL;
		int pfd;

		if (!s->parked)
			continue;
		pfd = fsat_open_beneath(a->fd, s->parent_rel, O_RDONLY | O_DIRECTORY, 0);
		if (pfd >= 0 && fsat_remove_tree(pfd, s->aside, &stuck) != 0) {
			char *where = s->parent_rel[0] ? xasprintf("%s/%s", strcmp(a->path, "/") ? a->path : "", s->parent_rel)
						       : xstrdup(a->path);

			say_leftover(st->warn, st->warn_arg, where, s->aside, stuck, errno);
			free(where);
		}
		free(stuck);
		if (pfd >= 0)
			close(pfd);
	}
	remove_stages(st, false);
	/* Last: until now a killed run is finished by tarball_recover(). */
	if (st->journal != NULL)
		unlink(st->journal);
	stage_free(st);
	return RV_OK;
}

/* ---- recovery after a killed run ---- */

static char *slurp_journal(const char *journal, size_t *len, int *err)
{
	int fd = open(journal, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	*len = 0;
	*err = 0;
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > (64u << 20)) {
				*err = EFBIG;
				break;
			}
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + *len, cap - *len);
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	if (*err != 0) {
		free(buf);
		return NULL;
	}
	if (buf == NULL)
		buf = xmalloc(1);
	buf[*len] = '\0';
	return buf;
}

/* The next NUL-terminated field at *p, or NULL when the journal is cut. */
static const char *field(const char *buf, size_t len, size_t *p)
{
	const char *f = buf + *p, *z;

	if (*p >= len || (z = memchr(f, '\0', len - *p)) == NULL)
		return NULL;
	*p = (size_t)(z - buf) + 1;
	return f;
}

static bool stage_name_ok(const char *name)
{
	return strncmp(name, STAGE_PREFIX, strlen(STAGE_PREFIX)) == 0 && strchr(name, '/') == NULL;
}

/* Opens an ancestor as the journal spells it (struct ancestor's
 * journal_path): the part before "//" as the settings name it, the rest
 * beneath it without following any symlink. -1 with errno. */
static int open_journal_ancestor(const char *path)
{
	const char *sep = strstr(path, "//");
	char *trusted;
	int tfd, fd;

	if (sep == NULL)
		return fsat_open_trusted(path, false, 0, false);
	trusted = sep == path ? xstrdup("/") : xstrndup(path, (size_t)(sep - path));
	tfd = fsat_open_trusted(trusted, false, 0, false);
	free(trusted);
	if (tfd < 0)
		return -1;
	fd = fsat_open_beneath(tfd, sep + 2, O_RDONLY | O_DIRECTORY, 0);
	close(tfd);
	return fd;
}

/* The ancestor as a path, for messages: the journal's "//" as "/". In
 * buf, which holds PATH_MAX bytes. */
static const char *journal_ancestor_shown(const char *path, char *buf)
{
	const char *sep = strstr(path, "//");

	if (sep == NULL)
		return path;
	snprintf(buf, PATH_MAX, "%.*s/%s", (int)(sep - path), path, sep + 2);
	return buf;
}

int tarball_recover(const char *journal, bool *recovered, void (*warn)(void *arg, const char *msg),
		    void *warn_arg, struct err *e)
{
	size_t len, p;
	int err, rc = RV_OK;
	char *buf = slurp_journal(journal, &len, &err);
	char shownbuf[PATH_MAX];
	bool staging;

	*recovered = false;
	{
		/* A journal being written when the run was killed. */
		char *tmp = xasprintf("%s.tmp", journal);

		unlink(tmp);
		free(tmp);
	}
	if (buf == NULL)
		return err == ENOENT ? RV_OK : err_set(e, RV_FAIL, "cannot read the restore journal %s: %s: move it away",
						       journal, strerror(err));
	staging = len >= strlen(JOURNAL_STAGING) && memcmp(buf, JOURNAL_STAGING, strlen(JOURNAL_STAGING)) == 0;
	if (!staging && (len < strlen(JOURNAL_SWAP) || memcmp(buf, JOURNAL_SWAP, strlen(JOURNAL_SWAP)) != 0)) {
		free(buf);
		return err_set(e, RV_FAIL, "%s is not a restore journal of this version: move it away", journal);
	}
	p = strlen(JOURNAL_SWAP);
	if (staging) {
		/* Killed before the swap: nothing is in place; only the staging
		 * directories are left to remove. */
		const char *anc, *stage;

		while ((anc = field(buf, len, &p)) != NULL && (stage = field(buf, len, &p)) != NULL) {
			int fd = anc[0] == '/' ? open_journal_ancestor(anc) : -1;
			char *stuck = NULL;

			if (fd >= 0 && stage_name_ok(stage) && fsat_remove_tree(fd, stage, &stuck) != 0)
				say_leftover(warn, warn_arg, journal_ancestor_shown(anc, shownbuf), stage, stuck, errno);
			free(stuck);
			if (fd >= 0)
				close(fd);
		}
		free(buf);
		unlink(journal);
		return RV_OK;
	}
	/* Roll forward: what was staged had verified completely. The stage
	 * directories go only at the end: targets share them. */
	for (int pass = 0; pass < 2 && rc == RV_OK; pass++) {
		p = strlen(JOURNAL_SWAP);
		while (rc == RV_OK && p < len) {
			const char *f[7];
			int afd, pfd = -1, sfd = -1;
			struct stat sb;

			for (int k = 0; k < 7; k++)
				if ((f[k] = field(buf, len, &p)) == NULL) {
					free(buf);
					return err_set(e, RV_FAIL, "the restore journal %s is cut short: check the restored paths by hand, then remove it",
						       journal);
				}
			/* ancestor, parent_rel, mode, name, aside, stage, slot */
			if (f[0][0] != '/' || !stage_name_ok(f[5]) || strchr(f[3], '/') != NULL ||
			    strchr(f[6], '/') != NULL || (f[4][0] != '\0' && strchr(f[4], '/') != NULL)) {
				free(buf);
				return err_set(e, RV_FAIL, "the restore journal %s is damaged: check the restored paths by hand, then remove it",
					       journal);
			}
			afd = open_journal_ancestor(f[0]);
			if (afd < 0) {
				rc = err_set(e, RV_FAIL, "recovering the interrupted restore: cannot open %s: %s",
					     journal_ancestor_shown(f[0], shownbuf), strerror(errno));
				break;
			}
			if (pass == 1) {
				char *stuck = NULL;

				if (fsat_remove_tree(afd, f[5], &stuck) != 0)
					say_leftover(warn, warn_arg, journal_ancestor_shown(f[0], shownbuf), f[5], stuck, errno);
				free(stuck);
				close(afd);
				continue;
			}
			sfd = openat(afd, f[5], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			pfd = fsat_mkdirs_beneath(afd, f[1], (mode_t)strtoul(f[2], NULL, 8) & 0777);
			if (pfd < 0) {
				rc = err_set(e, RV_FAIL, "recovering the interrupted restore: cannot open the folder of %s: %s", f[3],
					     strerror(errno));
			} else if (sfd >= 0 && fstatat(sfd, f[6], &sb, AT_SYMLINK_NOFOLLOW) == 0) {
				/* Not moved in yet: park the old one (unless it is parked
				 * already), then move the staged one in. */
				if (f[4][0] != '\0' && fstatat(pfd, f[4], &sb, AT_SYMLINK_NOFOLLOW) != 0 &&
				    fstatat(pfd, f[3], &sb, AT_SYMLINK_NOFOLLOW) == 0 && renameat(pfd, f[3], pfd, f[4]) != 0)
					rc = err_set(e, RV_FAIL, "recovering the interrupted restore: cannot move %s aside: %s", f[3],
						     strerror(errno));
				else if (renameat(sfd, f[6], pfd, f[3]) != 0)
					rc = err_set(e, RV_FAIL, "recovering the interrupted restore: cannot move %s into place: %s",
						     f[3], strerror(errno));
				else
					fsync(pfd);
			}
			if (rc == RV_OK && f[4][0] != '\0') {
				char *stuck = NULL;

				if (fsat_remove_tree(pfd, f[4], &stuck) != 0)
					say_leftover(warn, warn_arg, journal_ancestor_shown(f[0], shownbuf), f[4], stuck, errno);
				free(stuck);
			}
			if (sfd >= 0)
				close(sfd);
			if (pfd >= 0)
				close(pfd);
			close(afd);
		}
	}
	free(buf);
	if (rc == RV_OK) {
		unlink(journal);
		*recovered = true;
	}
	return rc;
}
