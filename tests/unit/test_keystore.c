/* Master key and host key vocabulary: key files are created 0600 and never
 * overwritten by accident, bad key files are refused with how to fix them,
 * exports tell a wrong passphrase from a corrupt file, paper typos are
 * caught per line, and fingerprints are read in the three pasted forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/lib/shell.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fingerprint.h"
#include "core/keystore.h"
#include "core/util.h"

static char tmpdir[TEST_TMPDIR_MAX];

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static size_t count_prefixed(const char *prefix)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += str_has_prefix(de->d_name, prefix);
	closedir(d);
	return n;
}

static void test_generate_and_load(void **state)
{
	char *p = path_in("gen.key");
	struct master_key k, again, other;
	struct err e = { 0 };
	struct stat st;

	(void)state;
	assert_int_equal(keystore_generate(p, false, &k, &e), RV_OK);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, MASTER_KEY_LEN);
	assert_int_equal(keystore_load(p, &again, &e), RV_OK);
	assert_memory_equal(k.key, again.key, MASTER_KEY_LEN);
	assert_memory_equal(k.id, again.id, KEY_ID_LEN);

	/* No overwrite without force; nothing changes. */
	assert_int_equal(keystore_generate(p, false, &other, &e), RV_USAGE);
	assert_non_null(strstr(e.msg, "--force"));
	assert_int_equal(keystore_load(p, &again, &e), RV_OK);
	assert_memory_equal(k.key, again.key, MASTER_KEY_LEN);

	/* With force the old key is kept beside the new one. */
	err_clear(&e);
	assert_int_equal(keystore_generate(p, true, &other, &e), RV_OK);
	assert_memory_not_equal(k.key, other.key, MASTER_KEY_LEN);
	assert_int_equal(count_prefixed("gen.key.old-"), 1);
	free(p);
}

static void test_load_refuses_bad_files(void **state)
{
	char *p = path_in("bad.key");
	struct master_key k;
	struct err e = { 0 };
	FILE *f;

	(void)state;
	assert_int_equal(keystore_load(p, &k, &e), RV_USAGE);
	assert_non_null(strstr(e.msg, "revault key generate"));

	f = fopen(p, "w");
	fputs("short", f);
	fclose(f);
	chmod(p, 0600);
	err_clear(&e);
	assert_int_equal(keystore_load(p, &k, &e), RV_USAGE);
	assert_non_null(strstr(e.msg, "not 32"));

	truncate(p, MASTER_KEY_LEN);
	chmod(p, 0640);
	err_clear(&e);
	assert_int_equal(keystore_load(p, &k, &e), RV_USAGE);
	assert_non_null(strstr(e.msg, "chmod 600"));

	chmod(p, 0600);
	err_clear(&e);
	assert_int_equal(keystore_load(p, &k, &e), RV_OK);
	free(p);
}

static void test_key_id_is_stable(void **state)
{
	uint8_t key[MASTER_KEY_LEN] = { 0 }, id[KEY_ID_LEN];
	char hex[2 * KEY_ID_LEN + 1], hex2[2 * KEY_ID_LEN + 1];

	(void)state;
	keystore_key_id(key, id);
	keystore_id_hex(id, hex);
	assert_int_equal(strlen(hex), 16);
	key[31] = 1;
	keystore_key_id(key, id);
	keystore_id_hex(id, hex2);
	assert_string_not_equal(hex, hex2);
}

static void test_export_import(void **state)
{
	char *keyp = path_in("exp.key"), *file = path_in("exp.txt"), *dst = path_in("imp.key");
	struct master_key k, back;
	struct err e = { 0 };
	struct stat st;
	char *text;
	FILE *f;
	long n;

	(void)state;
	assert_int_equal(keystore_generate(keyp, false, &k, &e), RV_OK);
	assert_int_equal(keystore_export(&k, file, "correct horse battery", &e), RV_OK);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* Never over an existing file. */
	assert_int_equal(keystore_export(&k, file, "correct horse battery", &e), RV_USAGE);
	err_clear(&e);

	assert_int_equal(keystore_unwrap(file, "correct horse battery", &back, &e), RV_OK);
	assert_memory_equal(k.key, back.key, MASTER_KEY_LEN);
	assert_int_equal(keystore_install(dst, &back, false, &e), RV_OK);

	assert_int_equal(keystore_unwrap(file, "wrong horse", &back, &e), RV_USAGE);
	assert_non_null(strstr(e.msg, "wrong passphrase"));

	/* One changed character anywhere: corrupt, not "wrong passphrase". */
	f = fopen(file, "r+");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	text = xcalloc(1, (size_t)n + 1);
	fseek(f, 0, SEEK_SET);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	for (long i = 0; i < n; i++) {
		char c = text[i];

		if (c == '\n' || c == ' ')
			continue;
		text[i] = c == 'A' ? 'B' : 'A';
		fseek(f, 0, SEEK_SET);
		fwrite(text, 1, (size_t)n, f);
		fflush(f);
		err_clear(&e);
		assert_int_not_equal(keystore_unwrap(file, "correct horse battery", &back, &e), RV_OK);
		assert_null(strstr(e.msg, "wrong passphrase"));
		text[i] = c;
	}
	fclose(f);
	free(text);
	free(keyp);
	free(file);
	free(dst);
}

static void test_paper(void **state)
{
	struct master_key k, back;
	struct err e = { 0 };
	char *paper, *typo, *line3;

	(void)state;
	for (int i = 0; i < MASTER_KEY_LEN; i++)
		k.key[i] = (uint8_t)(i * 37 + 11);
	keystore_key_id(k.key, k.id);
	paper = keystore_paper(&k);
	assert_int_equal(keystore_from_paper(paper, &back, &e), RV_OK);
	assert_memory_equal(k.key, back.key, MASTER_KEY_LEN);

	/* Upper case, dashes instead of spaces, no labels: still read. */
	typo = xstrdup(paper);
	for (char *c = typo; *c; c++)
		*c = *c == ' ' ? '-' : (char)toupper((unsigned char)*c);
	assert_int_equal(keystore_from_paper(typo, &back, &e), RV_OK);
	free(typo);

	/* A typo on line 3 is named. */
	typo = xstrdup(paper);
	line3 = strstr(typo, "\n3: ") + 4;
	*line3 = *line3 == '0' ? '1' : '0';
	assert_int_equal(keystore_from_paper(typo, &back, &e), RV_USAGE);
	assert_non_null(strstr(e.msg, "line 3"));
	free(typo);

	/* Two lines swapped: the check digits are bound to the position. */
	err_clear(&e);
	typo = xasprintf("%.*s", (int)(strstr(paper, "\n3: ") - paper), paper);
	assert_int_equal(keystore_from_paper(typo, &back, &e), RV_USAGE);
	free(typo);
	free(paper);
}

/* One line at a time, as the text interface checks them while typed. */
static void test_paper_line(void **state)
{
	struct master_key k;
	struct err e = { 0 };
	char *paper, *line[4], *save = NULL, typo[64];

	(void)state;
	for (int i = 0; i < MASTER_KEY_LEN; i++)
		k.key[i] = (uint8_t)(i * 53 + 7);
	keystore_key_id(k.key, k.id);
	paper = keystore_paper(&k);
	strtok_r(paper, "\n", &save); /* the "# revault master key" line */
	for (int i = 0; i < 4; i++)
		line[i] = strtok_r(NULL, "\n", &save);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(keystore_paper_line(i + 1, line[i], &e), RV_OK);
	/* Without its label; and a line checked as another line's is a typo. */
	assert_int_equal(keystore_paper_line(2, line[1] + 3, &e), RV_OK);
	assert_int_equal(keystore_paper_line(3, line[1], &e), RV_USAGE);
	assert_non_null(strstr(e.msg, "line 3 of the paper key has a typo"));
	err_clear(&e);
	snprintf(typo, sizeof(typo), "%s", line[3]);
	typo[3] = typo[3] == '0' ? '1' : '0';
	assert_int_equal(keystore_paper_line(4, typo, &e), RV_USAGE);
	assert_non_null(strstr(e.msg, "line 4"));
	err_clear(&e);
	assert_int_equal(keystore_paper_line(1, "1: abcd abcd", &e), RV_USAGE);
	assert_non_null(strstr(e.msg, "line 1 of the paper key should hold 20 hex digits"));
	err_clear(&e);
	assert_int_equal(keystore_paper_line(5, line[0], &e), RV_USAGE);
	free(paper);
}

static void test_fingerprints(void **state)
{
	struct err e = { 0 };
	char *sha, *md5;

	(void)state;
	assert_string_equal(fingerprint_type("ssh-dsa", &e), "ssh-dss");
	assert_string_equal(fingerprint_type("ssh-ed25519", &e), "ssh-ed25519");
	assert_string_equal(fingerprint_type("ecdsa-sha2-nistp521", &e), "ecdsa-sha2-nistp521");
	assert_null(fingerprint_type("ssh-foo", &e));
	assert_int_equal(e.code, RV_USAGE);

	assert_int_equal(fingerprint_parse("a5:3a:12:6d:e9:48:a3:34:be:8f:ee:50:30:e5:e6:c3", &sha, &md5, &e), RV_OK);
	assert_null(sha);
	assert_string_equal(md5, "MD5:a5:3a:12:6d:e9:48:a3:34:be:8f:ee:50:30:e5:e6:c3");
	free(md5);
	assert_int_equal(fingerprint_parse("MD5:A5:3A:12:6D:E9:48:A3:34:BE:8F:EE:50:30:E5:E6:C3", &sha, &md5, &e), RV_OK);
	assert_string_equal(md5, "MD5:a5:3a:12:6d:e9:48:a3:34:be:8f:ee:50:30:e5:e6:c3");
	free(md5);
	assert_int_equal(fingerprint_parse("SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8", &sha, &md5, &e), RV_OK);
	assert_string_equal(sha, "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8");
	free(sha);
	assert_int_equal(fingerprint_parse("SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8=", &sha, &md5, &e), RV_OK);
	assert_string_equal(sha, "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8");
	free(sha);

	static const char *bad[] = {
		"", "a5:3a", "a5:3a:12:6d:e9:48:a3:34:be:8f:ee:50:30:e5:e6", /* 15 bytes */
		"a5:3a:12:6d:e9:48:a3:34:be:8f:ee:50:30:e5:e6:c3:00",        /* 17 bytes */
		"a5-3a-12-6d-e9-48-a3-34-be-8f-ee-50-30-e5-e6-c3", "g5:3a:12:6d:e9:48:a3:34:be:8f:ee:50:30:e5:e6:c3",
		"SHA256:", "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY", /* 42 characters */
		"SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8x", "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5S!8",
		"SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY9", /* non-canonical last digit */
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		err_clear(&e);
		assert_int_equal(fingerprint_parse(bad[i], &sha, &md5, &e), RV_USAGE);
		assert_null(sha);
		assert_null(md5);
		assert_non_null(strstr(e.msg, "expected"));
	}
}

static int setup(void **state)
{
	(void)state;
	umask(077);
	return test_tmpdir(tmpdir, "revault-keystore");
}

static int teardown(void **state)
{
	(void)state;
	test_tmpdir_remove(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_and_load),
		cmocka_unit_test(test_load_refuses_bad_files),
		cmocka_unit_test(test_key_id_is_stable),
		cmocka_unit_test(test_export_import),
		cmocka_unit_test(test_paper),
		cmocka_unit_test(test_paper_line),
		cmocka_unit_test(test_fingerprints),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
