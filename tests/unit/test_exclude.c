/* Exclude patterns (core/exclude.h): a table of pattern, source, path and
 * the answer. Where GNU tar has the same rule (a pattern without a slash
 * matches a name at any depth, dotfiles included), the same tree is given
 * to `tar --exclude` and tar's answer must be ours too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/exclude.h"
#include "core/util.h"
#include "tests/lib/shell.h"

static const struct row {
	const char *pattern, *source, *path;
	bool dir, excluded, tar_same;
} rows[] = {
	/* a name at any depth, dotfiles included */
	{ "*.tmp", "/s", "/s/a.tmp", false, true, true },
	{ "*.tmp", "/s", "/s/.hidden.tmp", false, true, true },
	{ "*.tmp", "/s", "/s/d/e/f.tmp", false, true, true },
	{ "*.tmp", "/s", "/s/a.tmpx", false, false, true },
	{ "*.tmp", "/s", "/s/tmp", false, false, true },
	{ ".cache", "/s", "/s/home/u/.cache", true, true, true },
	{ ".*", "/s", "/s/.profile", false, true, true },
	{ "core", "/s", "/s/core", false, true, true },
	{ "core", "/s", "/s/src/core", true, true, true },
	{ "core", "/s", "/s/src/core.c", false, false, true },
	{ "?.log", "/s", "/s/x/a.log", false, true, true },
	{ "?.log", "/s", "/s/x/ab.log", false, false, true },
	{ "[ab].conf", "/s", "/s/b.conf", false, true, true },
	{ "[ab].conf", "/s", "/s/c.conf", false, false, true },
	{ "*~", "/s", "/s/notes.txt~", false, true, true },
	/* a trailing slash: folders only */
	{ "cache/", "/s", "/s/var/cache", true, true, false },
	{ "cache/", "/s", "/s/var/cache", false, false, false },
	{ "cache/", "/s", "/s/cache", true, true, false },
	/* a slash inside: anchored at the source's root */
	{ "keep/*.log", "/s", "/s/keep/a.log", false, true, false },
	{ "keep/*.log", "/s", "/s/x/keep/a.log", false, false, false },
	{ "keep/*.log", "/s", "/s/keep/sub/a.log", false, false, false },
	{ "cache/x", "/srv/app", "/srv/app/cache/x", false, true, false },
	{ "cache/x", "/srv/app", "/srv/cache/x", false, false, false },
	{ "app/cache", "/srv", "/srv/app/cache", true, true, false },
	/* a leading slash: an absolute path */
	{ "/var/cache/apt", "/var", "/var/cache/apt", true, true, false },
	{ "/var/cache/apt", "/var", "/var/cache/apt2", true, false, false },
	{ "/var/cache/*", "/var", "/var/cache/man", true, true, false },
	{ "/var/cache/*", "/var", "/var/cache/man/x", false, false, false },
	{ "/srv/www/tmp/", "/srv", "/srv/www/tmp", false, false, false },
	/* ** crosses folders */
	{ "logs/**/*.gz", "/s", "/s/logs/a.gz", false, true, false },
	{ "logs/**/*.gz", "/s", "/s/logs/2026/11/a.gz", false, true, false },
	{ "logs/**/*.gz", "/s", "/s/other/a.gz", false, false, false },
	{ "**/node_modules", "/s", "/s/web/app/node_modules", true, true, false },
	{ "**/node_modules", "/s", "/s/node_modules", true, true, false },
	{ "/**/*.bak", "/s", "/s/x/y.bak", false, true, false },
	/* a source of / */
	{ "tmp/*", "/", "/tmp/x", false, true, false },
};

/* What GNU tar leaves out of the same tree with --exclude=PATTERN. */
static bool tar_excludes(const struct row *r, const char *root)
{
	char *base = xasprintf("%s/t", root), *list = xasprintf("%s/list", root);
	char *rel = xstrdup(r->path + 1), *parent, *slash;
	bool out;

	slash = strrchr(rel, '/');
	parent = slash != NULL ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup(".");
	sh("rm -rf '%s' && mkdir -p '%s/%s'", base, base, parent);
	if (r->dir)
		sh("mkdir -p '%s/%s'", base, rel);
	else
		sh(": > '%s/%s'", base, rel);
	sh("cd '%s' && tar -cf /dev/null -v --exclude='%s' '%s' > '%s'", base, r->pattern, r->source + 1, list);
	out = sh_status("grep -qxF '%s%s' '%s'", rel, r->dir ? "/" : "", list) != 0;
	free(base);
	free(list);
	free(rel);
	free(parent);
	return out;
}

static void test_table(void **state)
{
	char root[TEST_TMPDIR_MAX];
	size_t tar_checked = 0;

	(void)state;
	assert_true(ARRAY_LEN(rows) >= 30);
	assert_int_equal(test_tmpdir(root, "revault-exclude"), 0);
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		const struct row *r = &rows[i];
		bool got = exclude_match(r->pattern, r->path, r->source, r->dir);

		if (got != r->excluded)
			fail_msg("%s on %s (source %s%s): %s, expected %s", r->pattern, r->path, r->source,
				 r->dir ? ", a folder" : "", got ? "excluded" : "kept", r->excluded ? "excluded" : "kept");
		if (r->tar_same) {
			bool tar = tar_excludes(r, root);

			if (tar != r->excluded)
				fail_msg("tar --exclude='%s' %s %s, the table says %s", r->pattern, tar ? "leaves out" : "keeps",
					 r->path, r->excluded ? "left out" : "kept");
			tar_checked++;
		}
	}
	assert_true(tar_checked >= 15);
	sh("rm -rf '%s'", root);
}

static void test_never_matches(void **state)
{
	char *sources[] = { "/etc", "/srv/app" };
	static const char *const refused[] = {
		"", "/", "a//b", "./x", "x/../y", "/etc/./x", "/var/cache/*", "/srv/other", "/srv",
	};
	static const char *const accepted[] = {
		"*.tmp", "cache/", "keep/*.log", "/etc/ssh", "/etc/*", "/srv/app/cache/", "/**/*.bak", "/*/app/x",
	};
	struct err e = { 0 };
	char longname[300];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(refused); i++) {
		err_clear(&e);
		if (exclude_check(refused[i], sources, 2, &e) != RV_USAGE)
			fail_msg("\"%s\" was accepted", refused[i]);
		assert_true(e.msg[0] != '\0');
	}
	for (size_t i = 0; i < ARRAY_LEN(accepted); i++) {
		err_clear(&e);
		if (exclude_check(accepted[i], sources, 2, &e) != RV_OK)
			fail_msg("\"%s\" was refused: %s", accepted[i], e.msg);
	}
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	err_clear(&e);
	assert_int_equal(exclude_check(longname, sources, 2, &e), RV_USAGE);
	/* With no sources yet, an absolute pattern cannot be judged. */
	err_clear(&e);
	assert_int_equal(exclude_check("/var/cache/*", NULL, 0, &e), RV_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_never_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
