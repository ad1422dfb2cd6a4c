/* fsat: descriptor-relative filesystem work for restore (see fsat.h). */
#include "core/fsat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util.h"

/* Symlinks followed while opening one trusted path, as the kernel's own
 * limit (MAXSYMLINKS, path_resolution(7)). */
#define MAX_HOPS 40

static void close_keep_errno(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
}

/* The next component of *p (slashes skipped), NUL-terminated in place;
 * NULL at the end. */
static char *next_component(char **p)
{
	char *c = *p, *end;

	while (*c == '/')
		c++;
	if (*c == '\0')
		return NULL;
	end = strchr(c, '/');
	if (end != NULL) {
		*end = '\0';
		*p = end + 1;
	} else {
		*p = c + strlen(c);
	}
	return c;
}

static bool only_slashes(const char *p)
{
	return p[strspn(p, "/")] == '\0';
}

int fsat_open_trusted(const char *abs, bool create, mode_t mode, bool last_nofollow)
{
	char *buf = xstrdup(abs), *rest = buf, *c;
	int fd = -1, hops = 0;

	if (abs[0] != '/') {
		free(buf);
		errno = EINVAL;
		return -1;
	}
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	while (fd >= 0 && (c = next_component(&rest)) != NULL) {
		bool last = only_slashes(rest);
		struct stat st;
		int nfd;

		if (strcmp(c, ".") == 0)
			continue;
		nfd = openat(fd, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, c, mode) != 0 && errno != EEXIST)
				goto fail;
			nfd = openat(fd, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0 || fstat(nfd, &st) != 0) {
			close_keep_errno(nfd);
			goto fail;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n;
			char *joined;

			/* Follow only what root or the caller made: a link another
			 * user planted could point anywhere. */
			if ((last && last_nofollow) || (st.st_uid != 0 && st.st_uid != geteuid()) || ++hops > MAX_HOPS) {
				close(nfd);
				errno = ELOOP;
				goto fail;
			}
			n = readlinkat(nfd, "", target, sizeof(target) - 1);
			close_keep_errno(nfd);
			if (n <= 0)
				goto fail;
			target[n] = '\0';
			joined = xasprintf("%s/%s", target, rest);
			free(buf);
			buf = rest = joined;
			if (target[0] == '/') {
				close(fd);
				fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
			}
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(nfd);
			errno = ENOTDIR;
			goto fail;
		}
		close(fd);
		fd = nfd;
	}
	if (fd >= 0) {
		int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		close_keep_errno(fd);
		fd = dfd;
	}
	free(buf);
	return fd;
fail:
	close_keep_errno(fd);
	free(buf);
	return -1;
}

/* One openat2 call, or -1 with errno ENOSYS where the kernel lacks it. */
static int open_resolved(int dirfd, const char *rel, int flags, mode_t mode)
{
#ifdef SYS_openat2
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC,
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
#else
	(void)dirfd;
	(void)rel;
	(void)flags;
	(void)mode;
	errno = ENOSYS;
	return -1;
#endif
}

/* The same by hand: each directory opened with O_NOFOLLOW, ".." refused. */
static int open_walk(int dirfd, const char *rel, int flags, mode_t mode)
{
	char *buf = xstrdup(rel), *rest = buf, *c;
	int fd = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	while (fd >= 0 && (c = next_component(&rest)) != NULL) {
		bool last = only_slashes(rest);
		int nfd;

		if (strcmp(c, "..") == 0) {
			close(fd);
			fd = -1;
			errno = EXDEV;
			break;
		}
		if (strcmp(c, ".") == 0 && !last)
			continue;
		if (last)
			nfd = openat(fd, c, flags | O_NOFOLLOW | O_CLOEXEC, mode);
		else
			nfd = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close_keep_errno(fd);
		fd = nfd;
		if (last) {
			free(buf);
			return fd;
		}
	}
	if (fd >= 0) {
		/* rel was empty or ended in "/": open the directory itself. */
		int dfd = openat(fd, ".", (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC);

		close_keep_errno(fd);
		fd = dfd;
	}
	free(buf);
	return fd;
}

static int open_piece(int dirfd, const char *rel, int flags, mode_t mode)
{
	int fd;

	if (rel[0] == '\0')
		return openat(dirfd, ".", (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC);
	fd = open_resolved(dirfd, rel, flags, mode);
	if (fd < 0 && errno == ENOSYS)
		fd = open_walk(dirfd, rel, flags, mode);
	/* RESOLVE_BENEATH says EXDEV for "..": one answer for both ways. */
	return fd;
}

int fsat_open_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
	size_t len = strlen(rel);
	int fd = -1, cur = dirfd;
	const char *p = rel;

	if (rel[0] == '/') {
		errno = EXDEV;
		return -1;
	}
	/* The kernel takes at most PATH_MAX bytes a call: a longer path is
	 * opened in pieces cut at slashes, each beneath the last. */
	while ((size_t)(p - rel) + PATH_MAX - 1 < len) {
		const char *cut = p + PATH_MAX - 1;
		char *piece;

		while (cut > p && *cut != '/')
			cut--;
		if (cut == p) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		piece = xstrndup(p, (size_t)(cut - p));
		fd = open_piece(cur, piece, O_PATH | O_DIRECTORY, 0);
		free(piece);
		if (cur != dirfd)
			close_keep_errno(cur);
		cur = fd;
		if (cur < 0)
			return -1;
		p = cut + 1;
	}
	fd = open_piece(cur, p, flags, mode);
fail:
	if (cur != dirfd)
		close_keep_errno(cur);
	return fd;
}

int fsat_mkdirs_beneath(int dirfd, const char *rel, mode_t mode)
{
	char *buf = xstrdup(rel), *rest = buf, *c;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	while (fd >= 0 && (c = next_component(&rest)) != NULL) {
		int nfd;

		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			close(fd);
			fd = -1;
			errno = EXDEV;
			break;
		}
		if (mkdirat(fd, c, mode) != 0 && errno != EEXIST) {
			close_keep_errno(fd);
			fd = -1;
			break;
		}
		nfd = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close_keep_errno(fd);
		fd = nfd;
	}
	free(buf);
	return fd;
}

struct remover {
	dev_t dev;
	int err;
	char *stuck;
};

static void remove_at(struct remover *r, int dirfd, const char *name);

static void remember(struct remover *r, const char *name)
{
	if (r->err == 0) {
		r->err = errno != 0 ? errno : EIO;
		r->stuck = xstrdup(name);
	}
}

/* Opens the directory name in dirfd for emptying: never through a
 * symlink, and only the directory that was listed (st). */
static int open_listed_dir(int dirfd, const char *name, const struct stat *st)
{
	struct stat now;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == EACCES) {
		/* Not readable by us (not root): open it up through a descriptor
		 * of the directory itself, so a swapped name changes nothing. */
		int pfd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char proc[64];

		if (pfd < 0)
			return -1;
		if (fstat(pfd, &now) != 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
			close(pfd);
			errno = EAGAIN;
			return -1;
		}
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
		if (chmod(proc, (now.st_mode & 07777) | 0700) != 0) {
			close_keep_errno(pfd);
			return -1;
		}
		fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close_keep_errno(pfd);
	}
	if (fd < 0)
		return -1;
	if (fstat(fd, &now) != 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
		close(fd);
		errno = EAGAIN;
		return -1;
	}
	if ((now.st_mode & 0700) != 0700 && fchmod(fd, (now.st_mode & 07777) | 0700) != 0) {
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

/* The names in a directory, read whole before any is removed: removing
 * while reading may skip entries on some filesystems. */
static char **list_names(int fd, size_t *n)
{
	int dfd = dup(fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	char **v = NULL;
	size_t cap = 0;
	struct dirent *ent;

	*n = 0;
	if (d == NULL) {
		close_keep_errno(dfd);
		return NULL;
	}
	while ((ent = readdir(d)) != NULL) {
		if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[(*n)++] = xstrdup(ent->d_name);
	}
	closedir(d);
	return v;
}

/* How often an entry is looked at again when it changed under the walk
 * (another user swapping a folder for a symlink, or filling a folder
 * again): enough for a race to lose, bounded so a busy folder ends. */
#define REMOVE_TRIES 8

static void empty_dir(struct remover *r, int fd)
{
	char **names;
	size_t n;

	names = list_names(fd, &n);
	for (size_t i = 0; i < n; i++) {
		remove_at(r, fd, names[i]);
		free(names[i]);
	}
	free(names);
}

static void remove_at(struct remover *r, int dirfd, const char *name)
{
	for (int tries = 0; tries < REMOVE_TRIES; tries++) {
		struct stat st;
		int fd;

		errno = 0;
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno != ENOENT)
				remember(r, name);
			return;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
				return;
			if (errno == EISDIR)
				continue; /* it became a folder: look again */
			remember(r, name);
			return;
		}
		if (st.st_dev != r->dev) {
			errno = EBUSY; /* a mount point: not ours to empty */
			remember(r, name);
			return;
		}
		fd = open_listed_dir(dirfd, name, &st);
		if (fd < 0) {
			if (errno == ELOOP || errno == ENOTDIR || errno == EAGAIN || errno == ENOENT)
				continue; /* swapped since it was listed: look again */
			remember(r, name);
			return;
		}
		for (int pass = 0; pass < REMOVE_TRIES; pass++) {
			empty_dir(r, fd);
			if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT) {
				close(fd);
				return;
			}
			if (errno != ENOTEMPTY && errno != EEXIST)
				break;
		}
		close(fd);
		if (errno == ENOTDIR)
			continue;
		remember(r, name);
		return;
	}
	/* It kept changing under the walk: gone now is fine, else it stays
	 * and is reported (never as "no such file", which would hide it). */
	{
		struct stat st;

		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
			return;
	}
	errno = EAGAIN;
	remember(r, name);
}

int fsat_remove_tree(int dirfd, const char *name, char **stuck)
{
	struct remover r = { 0 };
	struct stat st;

	if (stuck != NULL)
		*stuck = NULL;
	if (fstat(dirfd, &st) != 0)
		return -1;
	r.dev = st.st_dev;
	remove_at(&r, dirfd, name);
	if (r.err == 0)
		return 0;
	if (stuck != NULL)
		*stuck = r.stuck;
	else
		free(r.stuck);
	errno = r.err;
	return -1;
}

void fsat_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
	setrlimit(RLIMIT_NOFILE, &rl);
}

int fsat_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
	char *tmp = xasprintf(".%s.tmp", name);
	const char *p = data;
	size_t off = 0;
	int fd, saved;

	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		goto fail;
	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			break;
		}
		off += (size_t)w;
	}
	if (off < len || fchmod(fd, mode) != 0 || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail;
	}
	if (close(fd) != 0 || renameat(dirfd, tmp, dirfd, name) != 0)
		goto fail;
	fsync(dirfd);
	free(tmp);
	return 0;
fail:
	saved = errno;
	unlinkat(dirfd, tmp, 0);
	free(tmp);
	errno = saved;
	return -1;
}
