/* The answer to "trust this new host key?": a table of answers against a
 * key with both fingerprints, and against one whose MD5 fingerprint could
 * not be computed (an empty string), where an empty answer once trusted
 * the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_fingerprints),
		cmocka_unit_test(test_no_md5),
		cmocka_unit_test(test_no_fingerprints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
