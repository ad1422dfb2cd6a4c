/* The answer to "trust this new host key?": a table of answers against a
 * key with both fingerprints, and against one whose MD5 fingerprint could
 * not be computed (an empty string), where an empty answer once trusted
 * the key. What a key type means for this build (the ssh-rsa note, within
 * its columns) and where each server keeps a key of a type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <libssh2.h>

#include "core/fingerprint.h"
#include "core/transport.h"
#include "core/util.h"

#define SHA "SHA256:4Crc8JpA433gNVHAHtohx8pM33lk7JAIkV9e9vPnOqI"
#define MD5 "f8:c0:a1:06:52:34:f6:38:32:ac:f9:f5:bc:8f:ba:ea"

struct answer {
	const char *text;
	bool trusts;
};

/* Refused by every key: neither `yes` nor a whole fingerprint. */
static const struct answer never[] = {
	{ "", false },
	{ " ", false },
	{ "\t", false },
	{ "y", false },
	{ "Y", false },
	{ "ye", false },
	{ "YES", false },
	{ "Yes", false },
	{ "yes ", false },
	{ " yes", false },
	{ "yes\n", false },
	{ "yesyes", false },
	{ "no", false },
	{ "SHA256:", false },
	{ "SHA256", false },
	{ "MD5:", false },
	{ "MD5", false },
	{ "SHA256:4Crc8JpA433gNVHAHtohx8pM33lk7JAIkV9e9vPnOq", false }, /* one character short */
	{ "SHA256:4Crc", false },
	{ SHA " ", false },
	{ " " SHA, false },
	{ "sha256:4crc8jpa433gnvhahtohx8pm33lk7jaikv9e9vpnoqi", false }, /* base64 is case-sensitive */
	{ "SHA256:4Crc8JpA433gNVHAHtohx8pM33lk7JAIkV9e9vPnOqJ", false }, /* another key */
	{ "f8", false },
	{ "f8:c0:a1:06:52:34:f6:38:32:ac:f9:f5:bc:8f:ba", false },       /* a prefix of the MD5 */
	{ "MD5:f8:c0:a1:06:52:34:f6:38:32:ac:f9:f5:bc:8f:ba", false },
	{ "f8:c0:a1:06:52:34:f6:38:32:ac:f9:f5:bc:8f:ba:eb", false },    /* another key */
	{ MD5 ":", false },
	{ "MD5:MD5:" MD5, false },
	{ MD5 " ", false },
};

/* Trusted by the key with both fingerprints. */
static const struct answer both[] = {
	{ "yes", true },
	{ SHA, true },
	{ "MD5:" MD5, true },
	{ MD5, true },
	{ "F8:C0:A1:06:52:34:F6:38:32:AC:F9:F5:BC:8F:BA:EA", true },
	{ "md5:" MD5, true },
	{ "MD5:F8:c0:A1:06:52:34:f6:38:32:ac:f9:f5:bc:8f:ba:ea", true },
};

static void key_with(struct hostkey *k, const char *sha256, const char *md5)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->type, sizeof(k->type), "ssh-ed25519");
	snprintf(k->sha256, sizeof(k->sha256), "%s", sha256);
	snprintf(k->md5, sizeof(k->md5), "%s", md5);
}

static void expect(const struct hostkey *k, const struct answer *a, size_t n, const char *which)
{
	for (size_t i = 0; i < n; i++)
		if (fingerprint_answer_trusts(k, a[i].text) != a[i].trusts)
			fail_msg("%s: answer \"%s\" %s the key", which, a[i].text,
				 a[i].trusts ? "does not trust" : "trusts");
}

/* The list the text interface offers: canonical names only, ed25519
 * first, each one fingerprint_type takes back as itself. */
static void test_type_list(void **state)
{
	struct err e = { 0 };
	size_t n = 0;
	const char *t;

	(void)state;
	assert_string_equal(fingerprint_type_at(0), "ssh-ed25519");
	while ((t = fingerprint_type_at(n)) != NULL) {
		assert_string_equal(fingerprint_type(t, &e), t);
		assert_string_not_equal(t, "ssh-dsa");
		n++;
	}
	assert_int_equal(n, 6);
	assert_string_equal(fingerprint_type_at(4), "ssh-rsa");
	assert_string_equal(fingerprint_type_at(5), "ssh-dss");
}

static void test_both_fingerprints(void **state)
{
	struct hostkey k;

	(void)state;
	key_with(&k, SHA, "MD5:" MD5);
	expect(&k, never, ARRAY_LEN(never), "both");
	expect(&k, both, ARRAY_LEN(both), "both");
	assert_false(fingerprint_answer_trusts(&k, NULL));
	assert_false(fingerprint_answer_trusts(NULL, "yes"));
}

/* The library gives no MD5 (FIPS mode, a build without MD5): only `yes`
 * or the SHA256 fingerprint trust; an empty answer above all does not. */
static void test_no_md5(void **state)
{
	static const struct answer md5_only[] = {
		{ "yes", true },
		{ SHA, true },
		{ MD5, false },
		{ "MD5:" MD5, false },
		{ "MD5", false },
		{ "MD5:", false },
	};
	struct hostkey k;

	(void)state;
	key_with(&k, SHA, "");
	expect(&k, never, ARRAY_LEN(never), "no MD5");
	expect(&k, md5_only, ARRAY_LEN(md5_only), "no MD5");
}

/* Neither fingerprint known: only the word. */
static void test_no_fingerprints(void **state)
{
	static const struct answer word[] = {
		{ "yes", true }, { "SHA256:", false }, { "MD5:", false }, { "", false }, { SHA, false }, { MD5, false },
	};
	struct hostkey k;

	(void)state;
	key_with(&k, "", "");
	expect(&k, never, ARRAY_LEN(never), "none");
	expect(&k, word, ARRAY_LEN(word), "none");
	/* a malformed MD5 on record ("MD5:" alone) is as good as none */
	key_with(&k, SHA, "MD5:");
	assert_false(fingerprint_answer_trusts(&k, ""));
	assert_false(fingerprint_answer_trusts(&k, "MD5:"));
}

/* Every line of text fits: the first within first columns, the others
 * within cols; no empty line, no final newline. */
static void expect_lines(const char *text, size_t first, size_t cols)
{
	size_t i = 0;

	assert_true(text[0] != '\0');
	assert_true(text[strlen(text) - 1] != '\n');
	for (const char *p = text; *p != '\0'; i++) {
		size_t n = strcspn(p, "\n");

		if (n == 0 || n > (i == 0 ? first : cols))
			fail_msg("line %zu is %zu columns: \"%.*s\"", i + 1, n, (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* libssh2 before 1.11 verifies and signs RSA with SHA-1 only: an ssh-rsa
 * pin is noted with what refuses it and how to get another key; no other
 * type is. */
static void test_type_note(void **state)
{
	static const char *const quiet[] = {
		"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-dss",
		"unknown", "", "rsa-sha2-512", "SSH-RSA",
	};
	const char *note = fingerprint_type_note("ssh-rsa");

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(quiet); i++)
		if (fingerprint_type_note(quiet[i]) != NULL)
			fail_msg("a note for %s", quiet[i]);
	assert_null(fingerprint_type_note(NULL));
#if LIBSSH2_VERSION_NUM < 0x010b00
	assert_non_null(note);
	expect_lines(note, FINGERPRINT_NOTE_FIRST, FINGERPRINT_NOTE_COLS);
	assert_non_null(strstr(note, "OpenSSH 8.8 and later refuse the SHA-1 signatures"));
	assert_non_null(strstr(note, "Dropbear 2022 and AsyncSSH still\naccept them"));
	assert_non_null(strstr(note, "ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub"));
	assert_non_null(strstr(note, "dropbearkey -y -f /etc/dropbear/dropbear_ed25519_host_key"));
	assert_non_null(strstr(note, "ssh-keyscan -t ed25519 HOST | ssh-keygen -lf -"));
#else
	assert_null(note);
#endif
}

/* The files each server keeps a host key of a type in, by type name. */
static void test_server_hint(void **state)
{
	static const struct {
		const char *type, *openssh, *dropbear;
	} cases[] = {
		{ "ssh-ed25519", "/etc/ssh/ssh_host_ed25519_key.pub", "/etc/dropbear/dropbear_ed25519_host_key" },
		{ "ecdsa-sha2-nistp384", "/etc/ssh/ssh_host_ecdsa_key.pub", "/etc/dropbear/dropbear_ecdsa_host_key" },
		{ "ssh-rsa", "/etc/ssh/ssh_host_rsa_key.pub", "/etc/dropbear/dropbear_rsa_host_key" },
		{ "ssh-dss", "/etc/ssh/ssh_host_dsa_key.pub", "/etc/dropbear/dropbear_dss_host_key" },
		{ "unknown", "/etc/ssh/ssh_host_*_key.pub", "/etc/dropbear/dropbear_*_host_key" },
	};
	char buf[256], want[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		snprintf(want, sizeof(want), "  OpenSSH:  ssh-keygen -l -f %s\n  Dropbear: dropbearkey -y -f %s",
			 cases[i].openssh, cases[i].dropbear);
		assert_string_equal(fingerprint_server_hint(cases[i].type, "  ", buf, sizeof(buf)), want);
		expect_lines(fingerprint_server_hint(cases[i].type, "", buf, sizeof(buf)), FINGERPRINT_NOTE_COLS,
			     FINGERPRINT_NOTE_COLS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_list),
		cmocka_unit_test(test_both_fingerprints),
		cmocka_unit_test(test_no_md5),
		cmocka_unit_test(test_no_fingerprints),
		cmocka_unit_test(test_type_note),
		cmocka_unit_test(test_server_hint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
