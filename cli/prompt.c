/* prompt: reading a secret from a terminal without echo, from a pipe, or
 * from a file descriptor the caller names. The secret only ever lives in
 * buffers this module owns until it is handed over. */
#include "cli/cli.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "core/util.h"

#define SECRET_LINE_MAX 4096

/* Reads one line from fd, byte by byte so nothing past the newline is
 * consumed (the caller may read more from the same fd). */
static char *read_line(int fd, struct err *e)
{
	char *buf = xmalloc(SECRET_LINE_MAX + 1);
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set(e, RV_FAIL, "cannot read the secret: %s", strerror(errno));
			goto fail;
		}
		if (r == 0 || c == '\n')
			break;
		if (n == SECRET_LINE_MAX) {
			err_set(e, RV_USAGE, "the secret is longer than %d characters", SECRET_LINE_MAX);
			goto fail;
		}
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return buf;
fail:
	wipe(buf, SECRET_LINE_MAX + 1);
	free(buf);
	return NULL;
}

static char *ask(int fd, const char *prompt, struct err *e)
{
	struct termios old, quiet;
	bool echo_off = tcgetattr(fd, &old) == 0;
	char *line;

	fputs(prompt, stderr);
	fflush(stderr);
	if (echo_off) {
		quiet = old;
		quiet.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	line = read_line(fd, e);
	if (echo_off) {
		tcsetattr(fd, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return line;
}

char *cli_read_secret(const char *prompt, int fd, bool confirm, struct err *e)
{
	char *first = NULL, *second = NULL;

	if (fd >= 0 || !isatty(STDIN_FILENO)) {
		first = read_line(fd >= 0 ? fd : STDIN_FILENO, e);
		goto check;
	}
	first = ask(STDIN_FILENO, prompt, e);
	if (first == NULL || !confirm)
		goto check;
	second = ask(STDIN_FILENO, "Again, to confirm: ", e);
	if (second == NULL || strcmp(first, second) != 0) {
		if (second != NULL)
			err_set(e, RV_USAGE, "the two entries differ: nothing was changed, try again");
		wipe_free_str(first);
		wipe_free_str(second);
		return NULL;
	}
	wipe_free_str(second);
check:
	if (first != NULL && first[0] == '\0') {
		err_set(e, RV_USAGE, "empty secret: nothing was changed");
		wipe_free_str(first);
		return NULL;
	}
	return first;
}
