/* Shell commands from the cmocka tests: sh_status returns the command's exit
 * status (1 when it did not exit), sh fails the test unless it is 0.
 * test_tmpdir makes the test's scratch folder. Include after cmocka.h. */
#ifndef REVAULT_TESTS_LIB_SHELL_H
#define REVAULT_TESTS_LIB_SHELL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#define SHELL_CMD_MAX 8192

static inline int shell_run(char cmd[SHELL_CMD_MAX], const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static inline int shell_run(char cmd[SHELL_CMD_MAX], const char *fmt, va_list ap)
{
	int rc;

	vsnprintf(cmd, SHELL_CMD_MAX, fmt, ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
}

static inline int sh_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline int sh_status(const char *fmt, ...)
{
	char cmd[SHELL_CMD_MAX];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = shell_run(cmd, fmt, ap);
	va_end(ap);
	return rc;
}

static inline void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline void sh(const char *fmt, ...)
{
	char cmd[SHELL_CMD_MAX];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = shell_run(cmd, fmt, ap);
	va_end(ap);
	if (rc != 0)
		fail_msg("command failed: %s", cmd);
}

/* test_tmpdir(DIR, NAME): a fresh folder $TMPDIR/NAME-XXXXXX (TMPDIR, else
 * /tmp) named in DIR; 0, or -1 when it could not be made. */
#define TEST_TMPDIR_MAX 256

static inline int test_tmpdir(char dir[TEST_TMPDIR_MAX], const char *name)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (snprintf(dir, TEST_TMPDIR_MAX, "%s/%s-XXXXXX", base, name) >= TEST_TMPDIR_MAX)
		return -1;
	return mkdtemp(dir) != NULL ? 0 : -1;
}

/* test_tmpdir_remove(DIR): removes what test_tmpdir made; the test's
 * teardown. */
static inline int test_tmpdir_remove(const char *dir)
{
	return sh_status("rm -rf '%s'", dir) == 0 ? 0 : -1;
}

#endif
