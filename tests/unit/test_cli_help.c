/* The command line's help: every line of `revault --help`, of each
 * command's --help and of the key list `revault set` prints fits in 80
 * columns, and `revault set --help` lists every key of the settings
 * table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/settings.h"

#define WIDTH 80

/* Runs cli_main on the words of line with fd (1 or 2) going to a file;
 * returns what was written there (malloc'd) and sets *rc. */
static char *capture(int fd, const char *line, int *rc)
{
	char *words = strdup(line), *argv[16] = { "revault" }, *out;
	int argc = 1, saved;
	FILE *tmp = tmpfile();
	long n;

	assert_non_null(tmp);
	for (char *w = strtok(words, " "); w != NULL && argc < 15; w = strtok(NULL, " "))
		argv[argc++] = w;
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	saved = dup(fd);
	dup2(fileno(tmp), fd);
	*rc = cli_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved, fd);
	close(saved);
	n = lseek(fileno(tmp), 0, SEEK_END);
	out = calloc(1, (size_t)n + 1);
	assert_int_equal(pread(fileno(tmp), out, (size_t)n, 0), n);
	fclose(tmp);
	free(words);
	return out;
}

static void assert_fits(const char *what, const char *text)
{
	int lineno = 1;

	assert_true(text[0] != '\0');
	for (const char *p = text; *p != '\0'; lineno++) {
		size_t n = strcspn(p, "\n");

		if (n > WIDTH)
			fail_msg("%s: line %d is %zu columns wide: \"%.*s\"", what, lineno, n, (int)n, p);
		p += n + (p[n] == '\n');
	}
}

static void test_main_help_fits(void **state)
{
	int rc;
	char *out = capture(1, "--help", &rc);

	(void)state;
	assert_int_equal(rc, 0);
	assert_fits("revault --help", out);
	free(out);
}

static void test_every_command_help_fits(void **state)
{
	const struct cli_cmd *const tables[] = {
		cli_settings_cmds, cli_key_cmds, cli_knownhost_cmds, cli_job_cmds, cli_console_cmds,
	};
	char *all;
	int rc;

	(void)state;
	all = capture(1, "--help", &rc);
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct cli_cmd *c = tables[t]; c->name != NULL; c++) {
			char line[128], *out;

			snprintf(line, sizeof(line), "%s --help", c->name);
			out = capture(1, line, &rc);
			assert_int_equal(rc, 0);
			assert_fits(line, out);
			if (strncmp(out, "usage: revault ", 15) != 0 || strstr(out, c->name) == NULL)
				fail_msg("%s: no usage line: %s", line, out);
			free(out);
			/* and revault --help names it */
			snprintf(line, sizeof(line), "\n  %s", c->name);
			if (strstr(all, line) == NULL)
				fail_msg("revault --help leaves out %s", c->name);
		}
	free(all);
}

/* Every key of the table, in `set --help`; the settable ones also in the
 * list `revault set` alone prints on its usage error. */
static void test_set_lists_every_key(void **state)
{
	char *help, *bare, name[64], want[80];
	const char *keyhelp;
	bool settable;
	size_t n = 0;
	int rc;

	(void)state;
	setenv("REVAULT_CONFIG", "/nonexistent-revault-test/revault.yaml", 1);
	help = capture(1, "set --help", &rc);
	assert_int_equal(rc, 0);
	assert_fits("revault set --help", help);
	bare = capture(2, "set", &rc);
	assert_int_equal(rc, 2);
	assert_fits("revault set", bare);
	for (size_t i = 0; settings_key_at(i, name, sizeof(name), &keyhelp, &settable); i++, n++) {
		snprintf(want, sizeof(want), "\n  %s ", name);
		if (strstr(help, want) == NULL && (snprintf(want, sizeof(want), "\n  %s\n", name), strstr(help, want) == NULL))
			fail_msg("revault set --help leaves out %s:\n%s", name, help);
		snprintf(want, sizeof(want), "\n  %s", name);
		if (settable && strstr(bare, want) == NULL)
			fail_msg("revault set leaves out %s:\n%s", name, bare);
	}
	/* The table reaches every section. */
	assert_true(n >= 19);
	assert_non_null(strstr(help, "security.protected"));
	assert_non_null(strstr(help, "ui.theme"));
	free(help);
	free(bare);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_main_help_fits),
		cmocka_unit_test(test_every_command_help_fits),
		cmocka_unit_test(test_set_lists_every_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
