/* Archive layer: a tree with every file kind survives create + extract +
 * commit; hostile entries in an archive never write outside the target;
 * a failed extraction leaves the target as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/lib/shell.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/tarball.h"
#include "core/util.h"

static char tmp[TEST_TMPDIR_MAX];

struct mem {
	uint8_t *buf;
	size_t len, cap, pos;
	size_t piece; /* how much the reader hands out at a time */
	bool fail_at_end;
};

static int mem_out(void *arg, const void *buf, size_t len, struct err *e)
{
	struct mem *m = arg;

	(void)e;
	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->buf = xrealloc(m->buf, m->cap);
	}
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return 0;
}

static ssize_t mem_in(void *arg, const void **buf, struct err *e)
{
	struct mem *m = arg;
	size_t n = m->len - m->pos;

	if (n == 0 && m->fail_at_end)
		return err_set(e, RV_INTEGRITY, "the container failed at its end"), -1;
	if (n > m->piece)
		n = m->piece;
	*buf = m->buf + m->pos;
	m->pos += n;
	return (ssize_t)n;
}

/* What a restore promises about the tree under DIR, one line per entry:
 * path, type, mode, owner, mtime, and for all but directories the size,
 * link count and link target; then the content hashes and the user.*
 * extended attributes. A directory is compared by its entries, never by
 * its size or link count: those are the filesystem's bookkeeping (tmpfs
 * counts entries, btrfs sums name lengths) and no restore promises them. */
static char *manifest_of(const char *dir)
{
	char *out = xasprintf("%s/manifest-%d", tmp, rand());

	sh("cd %s && { find . -type d -printf '%%p %%y %%m %%U:%%G %%T@\\n' && "
	   "find . ! -type d -printf '%%p %%y %%m %%U:%%G %%T@ %%s %%n %%l\\n'; } | sort > %s.list && "
	   "find . -type f -print0 | sort -z | xargs -0 -r sha256sum >> %s.list && "
	   "(getfattr -R -d . 2>/dev/null | grep -v '^#' | sort) >> %s.list; mv %s.list %s",
	   dir, out, out, out, out, out);
	return out;
}

static void same_files(const char *a, const char *b)
{
	sh("diff -u %s %s", a, b);
}

static void build_tree(const char *root)
{
	sh("mkdir -p %s/etc/app/sub %s/data && cd %s && "
	   "printf 'hello\\n' > etc/app/a.conf && head -c 300000 /dev/urandom > etc/app/blob && "
	   "chmod 640 etc/app/a.conf && ln -s a.conf etc/app/link && ln etc/app/a.conf etc/app/hard && "
	   "touch -d '2020-02-03 04:05:06' etc/app/a.conf && : > etc/app/empty && mkfifo etc/app/fifo && "
	   "printf 'x' > 'etc/app/sub/name with spaces' && printf 'y' > data/tmp.tmp && printf 'z' > data/keep && "
	   "chmod 700 etc/app/sub && (setfattr -n user.revault -v hello etc/app/a.conf 2>/dev/null || true)",
	   root, root, root);
}

static void test_round_trip(void **state)
{
	char *src = xasprintf("%s/src", tmp), *dst = xasprintf("%s/dst", tmp);
	char *s1 = xasprintf("%s/src/etc/app", tmp), *s2 = xasprintf("%s/src/data", tmp);
	char *sources[] = { s1, s2 };
	char *exclude[] = { "*.tmp" };
	struct tarball_progress prog = { 0 };
	struct tarball_create_opts co = { .sources = sources, .nsources = 2, .exclude = exclude, .nexclude = 1,
					   .level = 3, .progress = &prog };
	struct tarball_extract_opts eo = { .to_dir = dst };
	struct mem m = { .piece = 777 };
	struct tarball_stage *st;
	struct err e = { 0 };
	uint64_t files, bytes;
	char *m1, *m2;

	(void)state;
	build_tree(src);
	sleep(1); /* so a directory time not put back would show */
	assert_int_equal(tarball_scan(&co, &files, &bytes, &e), RV_OK);
	assert_true(bytes >= 300000);
	assert_int_equal(tarball_create(&co, mem_out, &m, &e), RV_OK);
	assert_true(prog.files >= 9);
	assert_int_equal(tarball_extract(&eo, mem_in, &m, &st, &e), RV_OK);
	/* Staged, not in place yet: DIR was made (0700) to hold the stage. */
	sh("test \"$(stat -c %%a %s)\" = 700 && test -z \"$(ls -A %s | grep -v '^\\.revault-stage-')\"", dst, dst);
	assert_int_equal(tarball_commit(st, &e), RV_OK);
	for (size_t i = 0; i < 2; i++) {
		char *restored = xasprintf("%s%s", dst, sources[i]);

		m1 = manifest_of(sources[i]);
		sh("sed -i '/tmp\\.tmp/d' %s", m1); /* excluded, so not expected back */
		m2 = manifest_of(restored);
		same_files(m1, m2);
		free(restored);
		free(m1);
		free(m2);
	}
	/* No staging or parked directories left anywhere. */
	sh("! find %s -name '.revault-*' | grep -q .", tmp);
	free(src);
	free(dst);
	free(s1);
	free(s2);
	free(m.buf);
}

/* An archive whose end fails to verify leaves the target untouched. */
static void test_failure_changes_nothing(void **state)
{
	char *src = xasprintf("%s/f-src", tmp), *target = xasprintf("%s/f-src/etc/app", tmp);
	char *sources[] = { target };
	struct tarball_create_opts co = { .sources = sources, .nsources = 1, .level = 1 };
	struct tarball_extract_opts eo = { 0 };
	struct mem m = { .piece = 65536 };
	struct tarball_stage *st = NULL;
	struct err e = { 0 };
	char *before, *after;

	(void)state;
	build_tree(src);
	assert_int_equal(tarball_create(&co, mem_out, &m, &e), RV_OK);
	sh("printf changed > %s/a.conf && rm %s/blob", target, target);
	before = manifest_of(src);
	m.fail_at_end = true;
	assert_int_equal(tarball_extract(&eo, mem_in, &m, &st, &e), RV_INTEGRITY);
	assert_null(st);
	after = manifest_of(src);
	same_files(before, after);
	sh("! find %s -name '.revault-*' | grep -q .", tmp);
	/* In place this time, for real: the same archive, verified, replaces it. */
	m.fail_at_end = false;
	m.pos = 0;
	err_clear(&e);
	assert_int_equal(tarball_extract(&eo, mem_in, &m, &st, &e), RV_OK);
	assert_int_equal(tarball_commit(st, &e), RV_OK);
	sh("test \"$(cat %s/a.conf)\" = hello && test -f %s/blob", target, target);
	free(src);
	free(target);
	free(m.buf);
	free(before);
	free(after);
}

static void add(struct archive *a, const char *path, int type, const char *link, const char *hard,
		const char *data)
{
	struct archive_entry *en = archive_entry_new();

	archive_entry_set_pathname(en, path);
	archive_entry_set_filetype(en, (unsigned)type);
	archive_entry_set_perm(en, 0644);
	if (link != NULL)
		archive_entry_set_symlink(en, link);
	if (hard != NULL)
		archive_entry_set_hardlink(en, hard);
	archive_entry_set_size(en, data != NULL ? (la_int64_t)strlen(data) : 0);
	assert_true(archive_write_header(a, en) >= ARCHIVE_WARN);
	if (data != NULL)
		archive_write_data(a, data, strlen(data));
	archive_entry_free(en);
}

static la_ssize_t la_out(struct archive *a, void *arg, const void *buf, size_t len)
{
	(void)a;
	return mem_out(arg, buf, len, NULL) == 0 ? (la_ssize_t)len : -1;
}

static void test_hostile_entries(void **state)
{
	struct mem m = { .piece = 4096 };
	struct archive *a = archive_write_new();
	char *root = xasprintf("%s/hostile", tmp), *manifest;
	struct tarball_extract_opts eo = { .to_dir = root };
	struct tarball_stage *st;
	struct err e = { 0 };

	(void)state;
	sh("mkdir -p %s/outside && echo safe > %s/outside/victim", tmp, tmp);
	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_zstd(a);
	archive_write_set_bytes_in_last_block(a, 1);
	archive_write_open2(a, &m, NULL, la_out, NULL, NULL);
	manifest = xasprintf("revault-manifest 1\nsource /srv\n");
	add(a, TARBALL_MANIFEST, AE_IFREG, NULL, NULL, manifest);
	add(a, "srv", AE_IFDIR, NULL, NULL, NULL);
	add(a, "srv/../../outside/victim", AE_IFREG, NULL, NULL, "pwned");
	add(a, "/tmp/abs-victim", AE_IFREG, NULL, NULL, "pwned");
	add(a, "srv/esc", AE_IFLNK, "../../outside", NULL, NULL);
	add(a, "srv/esc/victim", AE_IFREG, NULL, NULL, "pwned");
	add(a, "srv/hl", AE_IFREG, NULL, "etc/shadow", NULL);
	add(a, "other/file", AE_IFREG, NULL, NULL, "not a source");
	add(a, "srv/ok", AE_IFREG, NULL, NULL, "fine");
	archive_write_close(a);
	archive_write_free(a);

	/* The first escaping entry refuses the whole revision, and the --to
	 * DIR made for it goes again. */
	assert_int_equal(tarball_extract(&eo, mem_in, &m, &st, &e), RV_INTEGRITY);
	assert_null(st);
	assert_non_null(strstr(e.msg, "srv/../../outside/victim"));
	sh("test \"$(cat %s/outside/victim)\" = safe", tmp);
	sh("test ! -e /tmp/abs-victim && test ! -e %s", root);
	free(root);
	free(manifest);
	free(m.buf);
}

/* The process dies at its Nth rename: a SIGKILL in the middle of the swap. */
static int kill_at_rename;

int renameat(int fromfd, const char *from, int tofd, const char *to)
{
	if (kill_at_rename > 0 && --kill_at_rename == 0)
		raise(SIGKILL);
	return (int)syscall(SYS_renameat2, fromfd, from, tofd, to, 0);
}

static void killed_swap_recovers(int nth)
{
	char *src = xasprintf("%s/k%d", tmp, nth), *target = xasprintf("%s/k%d/etc/app", tmp, nth);
	char *journal = xasprintf("%s/journal-%d", tmp, nth);
	char *sources[] = { target };
	struct tarball_create_opts co = { .sources = sources, .nsources = 1, .level = 1 };
	struct tarball_extract_opts eo = { .journal = journal };
	struct mem m = { .piece = 65536 };
	struct tarball_stage *st = NULL;
	struct err e = { 0 };
	bool recovered;
	pid_t pid;
	int status;

	build_tree(src);
	assert_int_equal(tarball_create(&co, mem_out, &m, &e), RV_OK);
	sh("printf changed > %s/a.conf && rm %s/blob", target, target);
	pid = fork();
	if (pid == 0) {
		if (tarball_extract(&eo, mem_in, &m, &st, &e) != RV_OK)
			_exit(3);
		kill_at_rename = nth;
		tarball_commit(st, &e);
		_exit(4); /* not reached */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	if (nth > 1) {
		/* The journal is there and recovery rolls the restore forward. */
		assert_int_equal(tarball_recover(journal, &recovered, NULL, NULL, &e), RV_OK);
		assert_true(recovered);
		sh("test \"$(cat %s/a.conf)\" = hello && test -f %s/blob", target, target);
	} else {
		/* Killed writing the journal: nothing was swapped, nothing to do. */
		assert_int_equal(tarball_recover(journal, &recovered, NULL, NULL, &e), RV_OK);
		assert_false(recovered);
		sh("test \"$(cat %s/a.conf)\" = changed", target);
	}
	sh("test ! -e %s && ! find %s -name '.revault-old-*' | grep -q .", journal, src);
	free(src);
	free(target);
	free(journal);
	free(m.buf);
}

static void test_killed_during_swap(void **state)
{
	(void)state;
	/* 1: the journal's own rename; 2: target moved aside; 3: staged moved in. */
	for (int nth = 1; nth <= 3; nth++)
		killed_swap_recovers(nth);
}

static int setup(void **state)
{
	(void)state;
	return test_tmpdir(tmp, "revault-tarball");
}

static int teardown(void **state)
{
	(void)state;
	sh("rm -rf %s", tmp);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_failure_changes_nothing),
		cmocka_unit_test(test_hostile_entries),
		cmocka_unit_test(test_killed_during_swap),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
