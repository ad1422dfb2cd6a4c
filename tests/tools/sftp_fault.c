/* sftp_fault: an LD_PRELOAD shim that makes OpenSSH's external sftp-server
 * fail at the end of an upload, as a full or failing disk on the server
 * would, so that tests/integration/upload_end.sh can check that revault
 * never renames a revision into place that the server did not store.
 *
 *   Subsystem sftp /usr/bin/env LD_PRELOAD=.../libsftp_fault.so \
 *       SFTP_FAULT=fsync=EIO[,close=EIO][,write-from=OFFSET] \
 *       [SFTP_FAULT_LOG=FILE] /usr/lib/openssh/sftp-server
 *
 * Only files whose name holds ".tmp-" (revault's upload temporaries) are
 * touched:
 *   fsync=EIO         fsync and fdatasync fail with EIO (the server answers
 *                     FAILURE to fsync@openssh.com);
 *   close=EIO         the real close happens, then -1 with EIO;
 *   write-from=OFF    every write that reaches byte OFF of the file or
 *                     beyond fails with ENOSPC, nothing written.
 * Each fault injected is one line in SFTP_FAULT_LOG when it is set.
 *
 * sftp-server 9.2 opens with open(), writes with lseek() + write() and
 * flushes with fsync(); the other calls are covered as well in case another
 * build uses them. The server is single-threaded. This file is built
 * without sanitizers: it is loaded into a program that has none. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_FD 4096

/* Descriptors open on a temporary; a higher one is never faulted. */
static bool tracked[MAX_FD];

static struct {
	bool parsed;
	bool fsync_eio;
	bool close_eio;
	bool write_from_set;
	off_t write_from;
} cfg;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_close)(int);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static off_t (*real_lseek)(int, off_t, int);

static void *real_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL) {
		/* Nothing sensible can go on without the real call (stdio
		 * writes through libc's own write, not this one). */
		fprintf(stderr, "sftp_fault: %s not found in libc\n", name);
		abort();
	}
	return p;
}

#define RESOLVE(var, name)                                       \
	do {                                                     \
		if ((var) == NULL)                               \
			(var) = (__typeof__(var))real_sym(name); \
	} while (0)

static void setup(void)
{
	const char *spec = getenv("SFTP_FAULT");
	char buf[256], *tok, *save = NULL;

	if (cfg.parsed)
		return;
	cfg.parsed = true;
	if (spec == NULL || strlen(spec) >= sizeof(buf))
		return;
	strcpy(buf, spec);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "fsync=EIO") == 0) {
			cfg.fsync_eio = true;
		} else if (strcmp(tok, "close=EIO") == 0) {
			cfg.close_eio = true;
		} else if (strncmp(tok, "write-from=", 11) == 0) {
			char *end;
			long long v;

			errno = 0;
			v = strtoll(tok + 11, &end, 10);
			if (errno == 0 && end != tok + 11 && *end == '\0' && v >= 0) {
				cfg.write_from = (off_t)v;
				cfg.write_from_set = true;
			}
		}
	}
}

/* note FMT...: one line in SFTP_FAULT_LOG, written with the real calls. */
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	const char *path = getenv("SFTP_FAULT_LOG");
	char line[512];
	va_list ap;
	int fd, n;

	if (path == NULL || *path == '\0')
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	RESOLVE(real_open, "open");
	RESOLVE(real_write, "write");
	RESOLVE(real_close, "close");
	fd = real_open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	(void)!real_write(fd, line, (size_t)n);
	real_close(fd);
}

static bool is_tracked(int fd)
{
	return fd >= 0 && fd < MAX_FD && tracked[fd];
}

/* opened FD PATH: the result of an open, remembered when it is a temporary. */
static int opened(int fd, const char *path)
{
	int saved = errno;

	setup();
	if (fd >= 0 && fd < MAX_FD) {
		tracked[fd] = path != NULL && strstr(path, ".tmp-") != NULL;
		if (tracked[fd])
			note("open fd %d %s", fd, path);
	}
	errno = saved;
	return fd;
}

/* The mode argument is there only when the file may be created. */
static bool has_mode(int flags)
{
	return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
}

/* Sets mode from the optional third argument of the open call it stands in
 * (va_start must be in the variadic function itself). */
#define MODE_ARG(flags, mode)                                   \
	do {                                                    \
		if (has_mode(flags)) {                          \
			va_list ap_;                            \
							\
			va_start(ap_, flags);                   \
			(mode) = (mode_t)va_arg(ap_, int);      \
			va_end(ap_);                            \
		}                                               \
	} while (0)

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	RESOLVE(real_open, "open");
	return opened(real_open(path, flags, mode), path);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	RESOLVE(real_open64, "open64");
	return opened(real_open64(path, flags, mode), path);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	RESOLVE(real_openat, "openat");
	return opened(real_openat(dirfd, path, flags, mode), path);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	RESOLVE(real_openat64, "openat64");
	return opened(real_openat64(dirfd, path, flags, mode), path);
}

int close(int fd)
{
	bool fault;
	int rc;

	RESOLVE(real_close, "close");
	setup();
	fault = is_tracked(fd) && cfg.close_eio;
	if (is_tracked(fd))
		tracked[fd] = false;
	rc = real_close(fd);
	if (rc == 0 && fault) {
		note("close fd %d: EIO after the real close", fd);
		errno = EIO;
		return -1;
	}
	return rc;
}

/* fsync_fault FD: true (errno EIO) when the flush of FD is to fail. */
static bool fsync_fault(int fd, const char *what)
{
	setup();
	if (!is_tracked(fd) || !cfg.fsync_eio)
		return false;
	note("%s fd %d: EIO", what, fd);
	errno = EIO;
	return true;
}

int fsync(int fd)
{
	RESOLVE(real_fsync, "fsync");
	return fsync_fault(fd, "fsync") ? -1 : real_fsync(fd);
}

int fdatasync(int fd)
{
	RESOLVE(real_fdatasync, "fdatasync");
	return fsync_fault(fd, "fdatasync") ? -1 : real_fdatasync(fd);
}

/* write_fault FD OFF LEN: true (errno ENOSPC) when a write of LEN bytes at
 * OFF reaches the byte write-from names. */
static bool write_fault(int fd, off_t off, size_t len)
{
	setup();
	if (!is_tracked(fd) || !cfg.write_from_set || len == 0 || off < 0)
		return false;
	if ((uintmax_t)off + len <= (uintmax_t)cfg.write_from)
		return false;
	note("write fd %d at %jd, %zu bytes: ENOSPC", fd, (intmax_t)off, len);
	errno = ENOSPC;
	return true;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	RESOLVE(real_write, "write");
	if (is_tracked(fd)) {
		off_t pos;

		RESOLVE(real_lseek, "lseek");
		pos = real_lseek(fd, 0, SEEK_CUR);
		if (write_fault(fd, pos, len))
			return -1;
	}
	return real_write(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	RESOLVE(real_pwrite, "pwrite");
	return write_fault(fd, off, len) ? -1 : real_pwrite(fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	RESOLVE(real_pwrite64, "pwrite64");
	return write_fault(fd, (off_t)off, len) ? -1 : real_pwrite64(fd, buf, len, off);
}
