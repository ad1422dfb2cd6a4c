/* Skips in the cmocka programs, by the same rule as the shell tests: a test
 * that cannot run here is skipped with its reason, but under CI=true only
 * for a reason tests/lib/ci_skip.sh accepts (one that installing a package
 * cannot meet); any other skip is a failure. Include after cmocka.h. */
#ifndef REVAULT_TESTS_LIB_SKIP_H
#define REVAULT_TESTS_LIB_SKIP_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* skip_allowed(REASON): asks tests/lib/ci_skip.sh, which says why not. */
static inline bool skip_allowed(const char *reason)
{
	const char *src = getenv("REVAULT_SOURCE_DIR");
	char script[4096];
	pid_t pid;
	int st;

	snprintf(script, sizeof(script), "%s/tests/lib/ci_skip.sh", src != NULL ? src : "..");
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execlp("bash", "bash", script, reason, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return false;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* skip_exit(REASON): main's exit status when the whole program cannot run
 * here: 77 (ctest: skipped), or 1 when this skip is not allowed. */
static inline int skip_exit(const char *reason)
{
	if (!skip_allowed(reason))
		return 1;
	fprintf(stderr, "SKIP: %s\n", reason);
	return 77;
}

/* SKIP_TEST(REASON): the current cmocka test cannot run here. */
#define SKIP_TEST(reason)                                                  \
	do {                                                               \
		const char *skip_reason_ = (reason);                       \
		if (!skip_allowed(skip_reason_))                           \
			fail_msg("skipped under CI: %s", skip_reason_);    \
		print_message("SKIP: %s\n", skip_reason_);                 \
		skip();                                                    \
	} while (0)

#endif
