/* Sources: one spelling per path (relative, doubled and trailing slashes,
 * `.` and `..`), which paths hold which (`/a` does not hold `/ab`, `/`
 * holds everything), the checks on a configured list and on a source
 * about to be added, and settings_source_add / remove built on them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/settings.h"
#include "core/sources.h"
#include "core/util.h"

static void test_normalise(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "/", "/" },
		{ "//", "/" },
		{ "///", "/" },
		{ "/etc", "/etc" },
		{ "/etc/", "/etc" },
		{ "/etc///", "/etc" },
		{ "//etc", "/etc" },
		{ "//etc/revault", "/etc/revault" },
		{ "/etc//revault/", "/etc/revault" },
		{ "/etc/./revault", "/etc/revault" },
		{ "/etc/revault/.", "/etc/revault" },
		{ "/./etc", "/etc" },
		{ "/etc/../var", "/var" },
		{ "/etc/revault/..", "/etc" },
		{ "/etc/revault/../..", "/" },
		{ "/..", "/" },
		{ "/../../etc", "/etc" },
		{ "/a/b/c/../../d/./e//", "/a/d/e" },
		{ "/a/.../b", "/a/.../b" },       /* three dots is a name */
		{ "/a/..b/.c", "/a/..b/.c" },     /* so are names that start with dots */
		{ "/var/lib/app data/", "/var/lib/app data" },
		{ "/a/b/../../..", "/" },
	};
	struct err e = { 0 };

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *got = sources_normalise(cases[i].in, &e);

		assert_non_null(got);
		if (strcmp(got, cases[i].out) != 0)
			fail_msg("sources_normalise(\"%s\") = \"%s\", expected \"%s\"", cases[i].in, got, cases[i].out);
		free(got);
	}
}

static void test_normalise_relative(void **state)
{
	static const struct {
		const char *in, *tail;
	} cases[] = {
		{ "x", "/x" },
		{ "x/", "/x" },
		{ "./x", "/x" },
		{ "x/../y", "/y" },
		{ "x//y/.", "/x/y" },
	};
	char cwd[PATH_MAX], *want, *got;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(chdir("/tmp"), 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		want = xasprintf("%s%s", strcmp(cwd, "/") == 0 ? "" : cwd, cases[i].tail);
		got = sources_normalise(cases[i].in, &e);
		assert_non_null(got);
		if (strcmp(got, want) != 0)
			fail_msg("sources_normalise(\"%s\") in %s = \"%s\", expected \"%s\"", cases[i].in, cwd, got, want);
		free(got);
		free(want);
	}
	got = sources_normalise(".", &e);
	assert_string_equal(got, cwd);
	free(got);
	got = sources_normalise("..", &e);
	assert_string_equal(got, "/"); /* /tmp/.. */
	free(got);
}

static void test_normalise_empty(void **state)
{
	struct err e = { 0 };

	(void)state;
	assert_null(sources_normalise("", &e));
	assert_int_equal(e.code, RV_USAGE);
	assert_true(strlen(e.msg) > 0);
	err_clear(&e);
	assert_null(sources_normalise(NULL, &e));
	assert_int_equal(e.code, RV_USAGE);
}

static void test_contains(void **state)
{
	static const struct {
		const char *a, *b;
		bool holds;
	} cases[] = {
		{ "/", "/", true },
		{ "/", "/etc", true },
		{ "/", "/var/lib/revault", true },
		{ "/etc", "/etc", true },
		{ "/etc", "/etc/revault", true },
		{ "/etc", "/etc/revault/x", true },
		{ "/etc/revault", "/etc", false },
		{ "/a", "/ab", false },
		{ "/ab", "/a", false },
		{ "/a", "/a b", false },
		{ "/a", "/a.d/x", false },
		{ "/etc", "/", false },
		{ "/var/lib", "/var/lib/revault", true },
		{ "/var/lib/revault", "/var/lib/revault-old", false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (sources_contains(cases[i].a, cases[i].b) != cases[i].holds)
			fail_msg("sources_contains(\"%s\", \"%s\") should be %s", cases[i].a, cases[i].b,
				 cases[i].holds ? "true" : "false");
}

/* check(STATE, PATHS...): sources_check on the paths; the message in e. */
static int check(struct err *e, const char *state_dir, int n, ...)
{
	char *v[8];
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		v[i] = va_arg(ap, char *);
	va_end(ap);
	err_clear(e);
	return sources_check(v, (size_t)n, state_dir, e);
}

static void expect_names(const struct err *e, const char *a, const char *b)
{
	if (strstr(e->msg, a) == NULL || (b != NULL && strstr(e->msg, b) == NULL))
		fail_msg("\"%s\" does not name %s and %s", e->msg, a, b != NULL ? b : "-");
	if (strchr(e->msg, '\n') != NULL)
		fail_msg("\"%s\" is more than one line", e->msg);
}

static void test_check(void **state)
{
	const char *st = "/var/lib/revault";
	struct err e = { 0 };

	(void)state;
	assert_int_equal(check(&e, st, 0), RV_OK);
	assert_int_equal(check(&e, st, 2, "/etc", "/srv"), RV_OK);
	assert_int_equal(check(&e, st, 2, "/a", "/ab"), RV_OK);
	assert_int_equal(check(&e, st, 3, "/etc", "/var/lib/app", "/var/lib/revault-old"), RV_OK);

	/* nested, in both orders: both named, the inner one to remove */
	assert_int_equal(check(&e, st, 2, "/etc", "/etc/revault"), RV_USAGE);
	expect_names(&e, "/etc/revault", "/etc");
	assert_non_null(strstr(e.msg, "remove /etc/revault"));
	assert_int_equal(check(&e, st, 2, "/etc/revault", "/etc"), RV_USAGE);
	expect_names(&e, "/etc/revault", "/etc");
	assert_non_null(strstr(e.msg, "remove /etc/revault"));
	assert_int_equal(check(&e, NULL, 2, "/", "/etc"), RV_USAGE);
	assert_non_null(strstr(e.msg, "remove /etc"));

	/* the same source twice, in two spellings of a hand-edited file */
	assert_int_equal(check(&e, st, 2, "/etc", "//etc/"), RV_USAGE);
	expect_names(&e, "/etc", NULL);
	assert_non_null(strstr(e.msg, "twice"));

	/* the state folder: held by a source, the source itself, or inside it */
	assert_int_equal(check(&e, st, 1, "/var/lib"), RV_USAGE);
	expect_names(&e, "/var/lib", st);
	assert_int_equal(check(&e, st, 1, "/var/lib/revault/"), RV_USAGE);
	expect_names(&e, st, NULL);
	assert_int_equal(check(&e, st, 1, "/var/lib/revault/journal"), RV_USAGE);
	expect_names(&e, "/var/lib/revault/journal", st);
	assert_int_equal(check(&e, st, 1, "/"), RV_USAGE);
	assert_int_equal(check(&e, "/tmp//state/", 1, "/tmp"), RV_USAGE);
	expect_names(&e, "/tmp", "/tmp/state");
	assert_int_equal(check(&e, NULL, 1, "/"), RV_OK);
}

/* add(STATE, CANDIDATE, PATHS...): sources_check_add. */
static int add(struct err *e, const char *state_dir, const char *cand, int n, ...)
{
	char *v[8];
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		v[i] = va_arg(ap, char *);
	va_end(ap);
	err_clear(e);
	return sources_check_add(v, (size_t)n, cand, state_dir, e);
}

static void test_check_add(void **state)
{
	const char *st = "/var/lib/revault";
	struct err e = { 0 };

	(void)state;
	assert_int_equal(add(&e, st, "/etc", 0), RV_OK);
	assert_int_equal(add(&e, st, "/ab", 1, "/a"), RV_OK);
	assert_int_equal(add(&e, st, "/a", 1, "/ab"), RV_OK);
	assert_int_equal(add(&e, st, "/etc", 1, "/etc"), RV_USAGE);
	assert_non_null(strstr(e.msg, "already a source"));
	assert_int_equal(add(&e, st, "/etc", 1, "/etc/"), RV_USAGE); /* a list not yet normalised */
	assert_non_null(strstr(e.msg, "already a source"));
	assert_int_equal(add(&e, st, "/etc/revault", 2, "/srv", "/etc"), RV_USAGE);
	expect_names(&e, "/etc/revault", "/etc");
	assert_int_equal(add(&e, st, "/etc", 2, "/srv", "/etc/revault"), RV_USAGE);
	expect_names(&e, "/etc", "/etc/revault");
	assert_non_null(strstr(e.msg, "remove /etc/revault"));
	assert_int_equal(add(&e, st, "/var/lib", 0), RV_USAGE);
	expect_names(&e, "/var/lib", st);
	assert_int_equal(add(&e, st, "/var/lib/revault", 0), RV_USAGE);
	assert_int_equal(add(&e, st, "/var/lib/revault/x", 0), RV_USAGE);
	assert_int_equal(add(&e, st, "/", 0), RV_USAGE);
	expect_names(&e, "/", st);
	assert_int_equal(add(&e, st, "/var/lib/revault-old", 0), RV_OK);
	assert_int_equal(add(&e, NULL, "/", 0), RV_OK);
	assert_int_equal(add(&e, NULL, "/", 1, "/etc"), RV_USAGE);
}

static void test_settings_add_remove(void **state)
{
	struct settings s;
	struct err e = { 0 };

	(void)state;
	setenv("REVAULT_STATE_DIR", "/tmp/revault-sources-test/state", 1);
	settings_init(&s);
	assert_int_equal(settings_source_add(&s, "//etc/x", &e), RV_OK);
	assert_int_equal(settings_source_add(&s, "/srv//data/", &e), RV_OK);
	assert_int_equal(s.backup.nsources, 2);
	assert_string_equal(s.backup.sources[0], "/etc/x");
	assert_string_equal(s.backup.sources[1], "/srv/data");
	err_clear(&e);
	assert_int_equal(settings_source_add(&s, "/etc//x/", &e), RV_USAGE);
	assert_non_null(strstr(e.msg, "already a source"));
	err_clear(&e);
	assert_int_equal(settings_source_add(&s, "/etc", &e), RV_USAGE);
	expect_names(&e, "/etc", "/etc/x");
	err_clear(&e);
	assert_int_equal(settings_source_add(&s, "/etc/x/y/..//z", &e), RV_USAGE);
	expect_names(&e, "/etc/x/z", "/etc/x");
	err_clear(&e);
	assert_int_equal(settings_source_add(&s, "/tmp/revault-sources-test", &e), RV_USAGE);
	expect_names(&e, "/tmp/revault-sources-test", "/tmp/revault-sources-test/state");
	assert_int_equal(s.backup.nsources, 2);
	/* any spelling removes */
	assert_int_equal(settings_source_remove(&s, "//etc/./x/", &e), RV_OK);
	assert_int_equal(s.backup.nsources, 1);
	err_clear(&e);
	assert_int_equal(settings_source_remove(&s, "/etc/x", &e), RV_USAGE);
	settings_free(&s);
	unsetenv("REVAULT_STATE_DIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),   cmocka_unit_test(test_normalise_relative),
		cmocka_unit_test(test_normalise_empty), cmocka_unit_test(test_contains),
		cmocka_unit_test(test_check),       cmocka_unit_test(test_check_add),
		cmocka_unit_test(test_settings_add_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
