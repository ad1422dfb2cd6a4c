/* Hostile backups: containers sealed correctly with this machine's master
 * key (so they pass every integrity check) but holding archives that try
 * to escape the restore target, claim absurd sizes, or carry header fields
 * at and beyond their limits. Each is put on a real sshd and restored with
 * the real binary; nothing may be written outside the target, a failed
 * restore changes nothing, and the exit status is the documented one
 * (docs/SECURITY.md). Skipped (77) when sshd cannot run here
 * (tests/lib/skip.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/lib/shell.h"
#include "tests/lib/skip.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/container.h"
#include "core/keystore.h"
#include "core/tarball.h"
#include "core/util.h"

#define DEVICE "hdev"

static char tmp[TEST_TMPDIR_MAX];
static char *revault, *cfg, *src, *srvroot, *devdir, *outside;
static struct master_key key;
static char out_text[8192], err_text[8192];

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, cap - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* Runs the real binary on our settings; returns its exit status and keeps
 * its stdout and stderr in out_text and err_text. */
static int rv(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int rv(const char *fmt, ...)
{
	char args[4096], *cmd, *o = xasprintf("%s/.out", tmp), *e = xasprintf("%s/.err", tmp);
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	cmd = xasprintf("REVAULT_CONFIG=%s/revault.yaml REVAULT_STATE_DIR=%s/.state timeout -k 5 120 '%s' %s >%s 2>%s </dev/null",
			cfg, tmp, revault, args, o, e);
	st = system(cmd);
	slurp(o, out_text, sizeof(out_text));
	slurp(e, err_text, sizeof(err_text));
	free(cmd);
	free(o);
	free(e);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* ---- building archives and containers ---- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static la_ssize_t la_out(struct archive *a, void *arg, const void *p, size_t n)
{
	(void)a;
	buf_add(arg, p, n);
	return (la_ssize_t)n;
}

static struct archive *tar_begin(struct buf *b, bool zstd)
{
	struct archive *a = archive_write_new();

	archive_write_set_format_pax(a);
	if (zstd)
		archive_write_add_filter_zstd(a);
	archive_write_set_bytes_in_last_block(a, 1);
	assert_int_equal(archive_write_open2(a, b, NULL, la_out, NULL, NULL), ARCHIVE_OK);
	return a;
}

static void tar_add(struct archive *a, const char *path, mode_t type, const char *symlink, const char *hard,
		    const char *data)
{
	struct archive_entry *en = archive_entry_new();

	archive_entry_set_pathname(en, path);
	archive_entry_set_filetype(en, type);
	archive_entry_set_perm(en, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_mtime(en, 1700000000, 0);
	if (symlink != NULL)
		archive_entry_set_symlink(en, symlink);
	if (hard != NULL)
		archive_entry_set_hardlink(en, hard);
	if (type == AE_IFCHR)
		archive_entry_set_rdev(en, makedev(1, 3));
	archive_entry_set_size(en, data != NULL ? (la_int64_t)strlen(data) : 0);
	assert_true(archive_write_header(a, en) >= ARCHIVE_WARN);
	if (data != NULL)
		archive_write_data(a, data, strlen(data));
	archive_entry_free(en);
}

/* The manifest and the source directory itself, as a backup starts. */
static void tar_start_backup(struct archive *a)
{
	char *m = xasprintf("revault-manifest 1\nsource %s\n", src);

	tar_add(a, TARBALL_MANIFEST, AE_IFREG, NULL, NULL, m);
	tar_add(a, src + 1, AE_IFDIR, NULL, NULL, NULL);
	free(m);
}

static int file_sink(void *arg, const uint8_t *p, size_t n, struct err *e)
{
	(void)e;
	return fwrite(p, 1, n, arg) == n ? 0 : -1;
}

/* Seals plain (a tar.zst) into dir/<file> under our master key. */
static void seal_to(const char *dir, const char *file, const char *device, const char *revision,
		    const struct buf *plain)
{
	struct container_header h = { 0 };
	char *path = xasprintf("%s/%s", dir, file);
	FILE *f;
	struct sealer *s;
	struct err e = { 0 };

	sh("mkdir -p '%s'", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	snprintf(h.device, sizeof(h.device), "%s", device);
	snprintf(h.revision, sizeof(h.revision), "%s", revision);
	snprintf(h.tool_version, sizeof(h.tool_version), "revault test");
	h.created = 1700000000;
	s = sealer_new(&key, &h, file_sink, f, &e);
	if (s == NULL)
		fail_msg("sealer_new: %s", e.msg);
	assert_int_equal(sealer_write(s, plain->p, plain->len, &e), RV_OK);
	assert_int_equal(sealer_finish(s, &e), RV_OK);
	sealer_free(s);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void seal_rev(const char *revision, const struct buf *plain)
{
	char *file = xasprintf("%s.revault", revision);

	seal_to(devdir, file, DEVICE, revision, plain);
	free(file);
}

/* The restore target, with older content a restore would replace. */
static char *fresh_target(const char *name)
{
	char *t = xasprintf("%s/%s", tmp, name);

	sh("rm -rf '%s' && mkdir -p '%s%s' && echo older > '%s%s/keep'", t, t, src, t, src);
	return t;
}

/* list_tree DIR OUT: every entry under DIR with its type and mtime, and the
 * size of all but directories (a directory's size is the filesystem's
 * bookkeeping: tmpfs counts entries). */
static void list_tree(const char *dir, const char *out)
{
	sh("cd '%s' && find . -printf '%%p %%y %%T@ ' \\( -type d -printf '\\n' -o -printf '%%s\\n' \\) | sort > '%s'",
	   dir, out);
}

static void no_stage_left(const char *dir)
{
	sh("! find '%s' -name '.revault-stage-*' | grep -q . && ! find '%s' -name '.revault-old-*' | grep -q .",
	   dir, dir);
}

/* What must never change, whatever the archive says. */
static void outside_untouched(void)
{
	sh("test \"$(cat '%s/victim')\" = safe && test \"$(ls -A '%s')\" = victim", outside, outside);
	/* Other programs may edit /etc/passwd meanwhile: look for our traces. */
	sh("test ! -e '%s/abs-victim' && ! find '%s' -samefile /etc/passwd | grep -q . && "
	   "! grep -q '^root::0:0::/:/bin/sh' /etc/passwd", tmp, tmp);
}

/* ---- tests ---- */

/* Entries that climb out with "..", absolute paths, a symlink and then a
 * file through it, hard links to /etc/passwd, entries outside the
 * sources: revault never writes any of them, so the first one refuses the
 * whole revision (exit 5, the entry named), in verify as in restore, and
 * nothing is written anywhere. */
static void test_escapes_refused(void **state)
{
	struct buf plain = { 0 };
	struct archive *a;
	char *p[16], *target;
	int rc;

	(void)state;
	a = tar_begin(&plain, true);
	tar_start_backup(a);
	p[0] = xasprintf("%s/../outside/victim", src + 1);
	p[1] = xasprintf("%s/abs-victim", tmp);
	p[2] = xasprintf("%s/esc", src + 1);
	p[3] = xasprintf("%s/esc/victim", src + 1);
	p[4] = xasprintf("%s/hl-passwd", src + 1);
	p[5] = xasprintf("%s/hl-dotdot", src + 1);
	p[6] = xasprintf("%s/../../../../../../etc/passwd", src + 1);
	p[7] = xasprintf("%s/ok", src + 1);
	p[8] = xasprintf("%s/hl-abs", src + 1);
	p[9] = xasprintf("%s/%0*d", src + 1, 5000, 7);
	tar_add(a, p[0], AE_IFREG, NULL, NULL, "pwned");
	tar_add(a, p[1], AE_IFREG, NULL, NULL, "pwned");            /* absolute */
	tar_add(a, p[2], AE_IFLNK, outside, NULL, NULL);           /* symlink out ... */
	tar_add(a, p[3], AE_IFREG, NULL, NULL, "pwned");            /* ... then through it */
	tar_add(a, p[4], AE_IFREG, NULL, "etc/passwd", NULL);       /* hard link out of the sources */
	tar_add(a, p[5], AE_IFREG, NULL, p[6], NULL);               /* hard link climbing out */
	tar_add(a, p[8], AE_IFREG, NULL, "/etc/passwd", NULL);      /* hard link, absolute */
	tar_add(a, p[6], AE_IFREG, NULL, NULL, "root::0:0::/:/bin/sh\n");
	tar_add(a, "etc/passwd", AE_IFREG, NULL, NULL, "root::0:0::/:/bin/sh\n"); /* not a source */
	tar_add(a, p[9], AE_IFREG, NULL, NULL, "long");             /* longer than PATH_MAX / 2 */
	tar_add(a, p[7], AE_IFREG, NULL, NULL, "fine");
	archive_write_close(a);
	archive_write_free(a);
	seal_rev("20261101T000000Z", &plain);

	rc = rv("verify 20261101T000000Z");
	assert_int_equal(rc, 5);
	assert_non_null(strstr(err_text, "outside/victim"));
	assert_int_equal(lines(err_text), 1);

	target = fresh_target("t-escape");
	rc = rv("restore 20261101T000000Z --to '%s'", target);
	if (rc != 5)
		fail_msg("restore: exit %d, expected 5: %s", rc, err_text);
	assert_non_null(strstr(err_text, "outside/victim"));
	outside_untouched();
	sh("test \"$(cat '%s%s/keep')\" = older && test ! -e '%s%s/ok'", target, src, target, src);
	no_stage_left(tmp);

	/* In place, too: the source stays as it was. */
	sh("printf before > '%s/ok'", src);
	rc = rv("restore 20261101T000000Z --yes");
	if (rc != 5)
		fail_msg("restore in place: exit %d, expected 5: %s", rc, err_text);
	outside_untouched();
	sh("test \"$(cat '%s/ok')\" = before", src);
	no_stage_left(tmp);

	for (int i = 0; i < 10; i++)
		free(p[i]);
	free(target);
	free(plain.p);
}

/* A device node: root restores it (a backup of /dev-like content made by
 * root must come back), anyone else skips it with a warning. */
static void test_device_node(void **state)
{
	struct buf plain = { 0 };
	struct archive *a;
	char *node = xasprintf("%s/null", src + 1), *ok = xasprintf("%s/ok", src + 1), *target;
	struct stat st;
	int rc;

	(void)state;
	a = tar_begin(&plain, true);
	tar_start_backup(a);
	tar_add(a, node, AE_IFCHR, NULL, NULL, NULL);
	tar_add(a, ok, AE_IFREG, NULL, NULL, "fine");
	archive_write_close(a);
	archive_write_free(a);
	seal_rev("20261102T000000Z", &plain);
	target = fresh_target("t-dev");
	rc = rv("restore 20261102T000000Z --to '%s'", target);
	if (rc != 0)
		fail_msg("restore: exit %d: %s", rc, err_text);
	free(node);
	node = xasprintf("%s%s/null", target, src);
	if (geteuid() == 0) {
		assert_int_equal(lstat(node, &st), 0);
		assert_true(S_ISCHR(st.st_mode));
		assert_int_equal(major(st.st_rdev), 1);
		assert_int_equal(minor(st.st_rdev), 3);
	} else {
		assert_int_not_equal(lstat(node, &st), 0);
		assert_non_null(strstr(out_text, "refused"));
	}
	sh("test \"$(cat '%s%s/ok')\" = fine", target, src);
	outside_untouched();
	no_stage_left(tmp);
	free(node);
	free(ok);
	free(target);
	free(plain.p);
}

/* A ustar header by hand: libarchive's writer would pad the data out. */
static void ustar_header(uint8_t h[512], const char *name, uint64_t size)
{
	unsigned sum = 0;

	memset(h, 0, 512);
	snprintf((char *)h, 100, "%s", name);
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	h[124] = 0x80; /* base-256 size */
	for (int i = 0; i < 8; i++)
		h[135 - i] = (uint8_t)(size >> (8 * i));
	memcpy(h + 136, "14524770400", 12);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

/* An entry that claims 1 TiB and carries a few bytes: the archive ends
 * inside it, the restore fails as damaged (exit 5, one line), and the
 * target and its parent are as they were. */
static void test_absurd_size(void **state)
{
	struct buf tar = { 0 }, plain = { 0 };
	struct archive *a, *z;
	struct archive_entry *en;
	uint8_t h[512], pad[1536] = { 0 };
	char *name = xasprintf("%s/huge", src + 1), *target, *before, *after;
	int rc;

	(void)state;
	a = tar_begin(&tar, false);
	tar_start_backup(a);
	archive_write_close(a);
	archive_write_free(a);
	assert_true(tar.len >= 1024);
	tar.len -= 1024; /* drop the end-of-archive blocks */
	ustar_header(h, name, (uint64_t)1 << 40);
	buf_add(&tar, h, sizeof(h));
	memcpy(pad, "a few bytes", 11);
	buf_add(&tar, pad, sizeof(pad));

	/* Compress the raw tar bytes as they are. */
	z = archive_write_new();
	archive_write_set_format_raw(z);
	archive_write_add_filter_zstd(z);
	archive_write_set_bytes_in_last_block(z, 1);
	assert_int_equal(archive_write_open2(z, &plain, NULL, la_out, NULL, NULL), ARCHIVE_OK);
	en = archive_entry_new();
	archive_entry_set_filetype(en, AE_IFREG);
	archive_entry_set_pathname(en, "raw");
	assert_int_equal(archive_write_header(z, en), ARCHIVE_OK);
	assert_int_equal(archive_write_data(z, tar.p, tar.len), (la_ssize_t)tar.len);
	archive_entry_free(en);
	archive_write_close(z);
	archive_write_free(z);
	seal_rev("20261103T000000Z", &plain);

	target = fresh_target("t-huge");
	before = xasprintf("%s/huge.before", tmp);
	after = xasprintf("%s/huge.after", tmp);
	list_tree(target, before);
	rc = rv("restore 20261103T000000Z --to '%s'", target);
	assert_int_equal(rc, 5);
	assert_int_equal(lines(err_text), 1);
	list_tree(target, after);
	sh("cmp -s '%s' '%s'", before, after);
	rc = rv("verify 20261103T000000Z");
	assert_int_equal(rc, 5);
	/* In place: the source directory keeps its content. */
	sh("echo mine > '%s/mine'", src);
	rc = rv("restore 20261103T000000Z --yes");
	assert_int_equal(rc, 5);
	sh("test \"$(cat '%s/mine')\" = mine", src);
	no_stage_left(tmp);
	outside_untouched();
	free(name);
	free(target);
	free(before);
	free(after);
	free(tar.p);
	free(plain.p);
}

/* Header fields at their limits and beyond. */
static void test_header_fields(void **state)
{
	struct buf plain = { 0 };
	struct archive *a;
	char dev255[CONTAINER_DEVICE_MAX + 1], rev64[CONTAINER_REVISION_MAX + 1], *dir, *target, *ok;
	struct container_header h = { 0 }, parsed;
	struct err e = { 0 };
	struct sealer *s;
	uint8_t hdr[CONTAINER_HEADER_MAX];
	size_t hl;
	FILE *f;
	int rc;

	(void)state;
	ok = xasprintf("%s/ok", src + 1);
	a = tar_begin(&plain, true);
	tar_start_backup(a);
	tar_add(a, ok, AE_IFREG, NULL, NULL, "fine");
	archive_write_close(a);
	archive_write_free(a);

	/* A 255-byte device name: the longest a header and a folder hold. */
	memset(dev255, 'd', sizeof(dev255) - 1);
	dev255[sizeof(dev255) - 1] = '\0';
	dir = xasprintf("%s/%s", srvroot, dev255);
	seal_to(dir, "20261104T000000Z.revault", dev255, "20261104T000000Z", &plain);
	rc = rv("list --device %s", dev255);
	if (rc != 0)
		fail_msg("list: exit %d: %s", rc, err_text);
	assert_non_null(strstr(out_text, "20261104T000000Z"));
	assert_non_null(strstr(out_text, "(ours)"));
	target = fresh_target("t-dev255");
	rc = rv("restore latest --device %s --to '%s'", dev255, target);
	if (rc != 0)
		fail_msg("restore: exit %d: %s", rc, err_text);
	sh("test \"$(cat '%s%s/ok')\" = fine", target, src);
	free(target);

	/* A 64-byte revision stored under a valid file name: the header names
	 * another revision, so the file was renamed: refused. */
	memset(rev64, '9', sizeof(rev64) - 1);
	rev64[sizeof(rev64) - 1] = '\0';
	seal_to(devdir, "20261105T000000Z.revault", DEVICE, rev64, &plain);
	target = fresh_target("t-rev64");
	rc = rv("restore 20261105T000000Z --to '%s'", target);
	assert_int_equal(rc, 5);
	assert_int_equal(lines(err_text), 1);
	assert_non_null(strstr(err_text, "renamed"));
	sh("test \"$(ls -A '%s%s')\" = keep", target, src);

	/* Too long or empty: the sealer refuses to write such a header. */
	snprintf(h.revision, sizeof(h.revision), "20261106T000000Z");
	s = sealer_new(&key, &h, file_sink, stderr, &e);
	assert_null(s);
	assert_int_equal(e.code, RV_USAGE);

	/* A stored header whose device has length zero: list flags it, a
	 * restore refuses it with one line, never crashes. */
	seal_to(devdir, "20261106T000000Z.revault", DEVICE, "20261106T000000Z", &plain);
	{
		char *path = xasprintf("%s/20261106T000000Z.revault", devdir);
		size_t n;

		f = fopen(path, "r+b");
		assert_non_null(f);
		n = fread(hdr, 1, sizeof(hdr), f);
		assert_int_equal(container_header_parse(hdr, n, &parsed, &hl), CONTAINER_OK);
		hdr[27] = 0; /* the device's length byte */
		assert_int_equal(container_header_parse(hdr, n, &parsed, &hl), CONTAINER_MALFORMED);
		assert_int_equal(fseek(f, 27, SEEK_SET), 0);
		assert_int_equal(fputc(0, f), 0);
		assert_int_equal(fclose(f), 0);
		free(path);
	}
	rc = rv("list");
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out_text, "unreadable header"));
	rc = rv("restore 20261106T000000Z --to '%s'", target);
	assert_int_equal(rc, 5);
	assert_int_equal(lines(err_text), 1);
	sh("test \"$(ls -A '%s%s')\" = keep", target, src);
	no_stage_left(tmp);
	outside_untouched();
	free(dir);
	free(target);
	free(ok);
	free(plain.p);
}

/* ---- the server and the settings ---- */

/* Settings for the sshd main() started, and this machine's master key. */
static int setup(void **state)
{
	char *keyfile;
	struct err e = { 0 };

	(void)state;
	sh("mkdir -p '%s' '%s' && echo safe > '%s/victim' && echo original > '%s/keep'", src, outside, outside,
	   src);
	sh(". '%s/sshd/env' && export REVAULT_CONFIG='%s/revault.yaml' && mkdir -p '%s' && "
	   "'%s' set server.url \"sftp://127.0.0.1:$SSHD_PORT$SSHD_ROOT\" && '%s' set server.username \"$SSHD_USER\" && "
	   "'%s' set server.auth publickey && '%s' set server.identity \"$SSHD_KEY\" && "
	   "'%s' set backup.device " DEVICE " && '%s' source add '%s' && '%s' key generate >/dev/null && "
	   "'%s' set security.protected on && '%s' set security.enforced on && "
	   "'%s' authenticate --yes >/dev/null 2>&1",
	   tmp, cfg, cfg, revault, revault, revault, revault, revault, revault, src, revault, revault, revault,
	   revault);
	keyfile = xasprintf("%s/master.key", cfg);
	if (keystore_load(keyfile, &key, &e) != RV_OK) {
		print_message("cannot load the master key: %s\n", e.msg);
		free(keyfile);
		return -1;
	}
	free(keyfile);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	keystore_clear(&key);
	return 0;
}

/* Starts the sshd in tmp/sshd: 0, or 77 (cannot run here) or 1 with what
 * sshd.sh said in WHY. */
static int server_start(char *why, size_t cap)
{
	char *cmd = xasprintf("bash \"$REVAULT_SOURCE_DIR/tests/servers/sshd.sh\" start '%s/sshd' 2>'%s/.srv'", tmp,
			      tmp);
	char *p = xasprintf("%s/.srv", tmp);
	int st = system(cmd);

	free(cmd);
	slurp(p, why, cap);
	free(p);
	why[strcspn(why, "\n")] = '\0';
	if (!WIFEXITED(st))
		return 1;
	return WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 77 ? WEXITSTATUS(st) : 1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes_refused),
		cmocka_unit_test(test_device_node),
		cmocka_unit_test(test_absurd_size),
		cmocka_unit_test(test_header_fields),
	};
	char why[512];
	bool server_up;
	int rc;

	revault = getenv("REVAULT");
	if (revault == NULL || getenv("REVAULT_SOURCE_DIR") == NULL)
		return skip_exit("REVAULT and REVAULT_SOURCE_DIR are not set (run through ctest)");
	if (test_tmpdir(tmp, "revault-hostile") != 0) {
		perror("mkdtemp");
		return 1;
	}
	chmod(tmp, 0755);
	cfg = xasprintf("%s/cfg", tmp);
	src = xasprintf("%s/src", tmp);
	outside = xasprintf("%s/outside", tmp);
	srvroot = xasprintf("%s/sshd/srv", tmp);
	devdir = xasprintf("%s/%s", srvroot, DEVICE);
	rc = server_start(why, sizeof(why));
	server_up = rc == 0;
	if (rc == 77)
		rc = skip_exit(why);
	else if (rc != 0)
		fprintf(stderr, "FAIL: sshd.sh start: %s\n", why);
	else
		rc = cmocka_run_group_tests(tests, setup, teardown);
	if (server_up)
		sh_status("bash \"$REVAULT_SOURCE_DIR/tests/servers/sshd.sh\" stop '%s/sshd' >/dev/null 2>&1", tmp);
	sh_status("chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", tmp, tmp);
	free(cfg);
	free(src);
	free(outside);
	free(srvroot);
	free(devdir);
	return rc;
}
