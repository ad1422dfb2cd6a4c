/* Revision names: what parses as a revision, the order `latest` and the
 * retention rely on, and the name a new backup takes when others fell in
 * the same second, also after some of those were pruned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/job_int.h"
#include "core/util.h"

static void test_parse(void **state)
{
	static const struct {
		const char *file, *name;
		bool protected_;
	} ok[] = {
		{ "20261124T101500Z.revault", "20261124T101500Z", true },
		{ "20261124T101500Z.tar.zst", "20261124T101500Z", false },
		{ "20261124T101500Z-1.revault", "20261124T101500Z-1", true },
		{ "20261124T101500Z-1234567.revault", "20261124T101500Z-1234567", true },
		{ "19700101T000000Z.revault", "19700101T000000Z", true },
	};
	static const char *const bad[] = {
		"20261124T101500Z", "20261124T101500Z.revault.tmp-1", ".20261124T101500Z.revault.tmp-ab",
		"20261399T999999Z.revault", "20261124T1015Z.revault", "20261124T101500Z-.revault",
		"20261124T101500Z-x.revault", "20261124T101500Z-12345678.revault", "x.revault", ".revault",
		"20261124X101500Z.revault", "20261124T101500Y.revault",
	};
	char name[64];
	bool prot;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
		assert_true(revision_parse_file(ok[i].file, name, sizeof(name), &prot));
		assert_string_equal(name, ok[i].name);
		assert_int_equal(prot, ok[i].protected_);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		if (revision_parse_file(bad[i], name, sizeof(name), &prot))
			fail_msg("%s parsed as a revision", bad[i]);
}

static struct revision *revs_of(const char *const *names, size_t n)
{
	struct revision *v = xcalloc(n ? n : 1, sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		v[i].name = xstrdup(names[i]);
		v[i].file = xasprintf("%s.revault", names[i]);
	}
	return v;
}

static void expect_order(struct revision *v, size_t n, const char *const *want)
{
	revisions_sort(v, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i].name, want[i]);
}

static void test_order(void **state)
{
	const char *const in[] = { "20261124T101500Z-2", "20261124T101459Z", "20261124T101500Z",
				   "20261124T101500Z-10", "20261124T101500Z-9", "20261125T000000Z" };
	const char *const want[] = { "20261125T000000Z", "20261124T101500Z-10", "20261124T101500Z-9",
				     "20261124T101500Z-2", "20261124T101500Z", "20261124T101459Z" };
	struct revision *v = revs_of(in, ARRAY_LEN(in));

	(void)state;
	expect_order(v, ARRAY_LEN(in), want);
	revisions_free(v, ARRAY_LEN(in));
}

/* Several backups in one second, the retention pruning the oldest of them
 * in between: each new one takes a name never given before, and sorts as
 * the newest. */
static void test_next_name_never_reused(void **state)
{
	const char *stamp = "20261124T101500Z";
	struct revision *v = NULL;
	size_t n = 0;
	char *names[8];

	(void)state;
	for (size_t k = 0; k < ARRAY_LEN(names); k++) {
		names[k] = revisions_next_name(stamp, v, n);
		for (size_t i = 0; i < k; i++)
			assert_string_not_equal(names[k], names[i]);
		/* Keep two: the new one and the newest before it. */
		v = xrealloc(v, (n + 1) * sizeof(*v));
		memset(&v[n], 0, sizeof(v[n]));
		v[n].name = xstrdup(names[k]);
		v[n].file = xasprintf("%s.revault", names[k]);
		n++;
		revisions_sort(v, n);
		assert_string_equal(v[0].name, names[k]);
		while (n > 2) {
			free(v[n - 1].name);
			free(v[n - 1].file);
			n--;
		}
	}
	assert_string_equal(names[0], stamp);
	assert_string_equal(names[1], "20261124T101500Z-1");
	assert_string_equal(names[7], "20261124T101500Z-7");
	for (size_t k = 0; k < ARRAY_LEN(names); k++)
		free(names[k]);
	revisions_free(v, n);
}

/* The case that was seen: "…Z" pruned, "…Z-1" and "…Z-2" kept; the next
 * backup in that second must not take the free "…Z" (it would sort as the
 * oldest, and `latest` would restore the one before it). */
static void test_next_name_after_base_pruned(void **state)
{
	const char *const kept[] = { "20261124T101500Z-2", "20261124T101500Z-1", "20261124T101459Z" };
	struct revision *v = revs_of(kept, ARRAY_LEN(kept));
	char *name = revisions_next_name("20261124T101500Z", v, ARRAY_LEN(kept));

	(void)state;
	assert_string_equal(name, "20261124T101500Z-3");
	free(name);
	name = revisions_next_name("20261124T101501Z", v, ARRAY_LEN(kept));
	assert_string_equal(name, "20261124T101501Z");
	free(name);
	revisions_free(v, ARRAY_LEN(kept));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_next_name_never_reused),
		cmocka_unit_test(test_next_name_after_base_pruned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
