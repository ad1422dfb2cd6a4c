/* A first-use host key put on record: an answer that does not trust it
 * changes nothing, one that does adds the known host and saves the file,
 * and a save that fails says so. A pin typed by the operator: a malformed
 * part changes nothing, a good one replaces the host's key of its type
 * and is saved, and an ssh-rsa pin carries the build's note. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/lib/shell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fingerprint.h"
#include "core/settings.h"
#include "core/transport.h"
#include "core/trust.h"
#include "core/util.h"

#define SHA "SHA256:4Crc8JpA433gNVHAHtohx8pM33lk7JAIkV9e9vPnOqI"
#define MD5_BARE "f8:c0:a1:06:52:34:f6:38:32:ac:f9:f5:bc:8f:ba:ea"
#define MD5 "MD5:" MD5_BARE

static char tmpdir[TEST_TMPDIR_MAX];
static const struct hostkey key = { .type = "ssh-ed25519", .sha256 = SHA, .md5 = MD5 };

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

/* The known hosts in the file at path. */
static size_t on_record(const char *path, struct settings *t)
{
	struct err e = { 0 };

	assert_int_equal(settings_load(t, path, &e), RV_OK);
	return t->nknown_hosts;
}

static void test_refused(void **state)
{
	static const char *const answers[] = { "", "no", "y", "YES", "SHA256:4Crc", NULL };
	char *p = path_in("refused/revault.yaml");
	struct settings s;
	struct err e = { 0 };

	(void)state;
	settings_init(&s);
	for (size_t i = 0; i < ARRAY_LEN(answers); i++) {
		memset(&e, 0, sizeof(e));
		assert_int_equal(trust_hostkey(&s, p, "127.0.0.1", 2222, &key, answers[i], &e), RV_HOSTKEY);
		assert_int_equal(s.nknown_hosts, 0);
	}
	assert_int_equal(access(p, F_OK), -1);
	settings_free(&s);
	free(p);
}

static void test_trusted_and_saved(void **state)
{
	static const char *const answers[] = { "yes", SHA, MD5, MD5_BARE };
	struct settings s, t;
	struct err e = { 0 };

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(answers); i++) {
		char name[64];
		char *p;

		snprintf(name, sizeof(name), "trusted-%zu/revault.yaml", i);
		p = path_in(name);
		settings_init(&s);
		assert_int_equal(trust_hostkey(&s, p, "::1", 2222, &key, answers[i], &e), RV_OK);
		assert_int_equal(on_record(p, &t), 1);
		assert_string_equal(t.known_hosts[0].host, "::1");
		assert_int_equal(t.known_hosts[0].port, 2222);
		assert_string_equal(t.known_hosts[0].type, "ssh-ed25519");
		assert_string_equal(t.known_hosts[0].sha256, SHA);
		settings_free(&t);
		settings_free(&s);
		free(p);
	}
}

static void test_save_fails(void **state)
{
	char *file = path_in("plain-file");
	char *p = path_in("plain-file/revault.yaml");
	struct settings s;
	struct err e = { 0 };
	FILE *f = fopen(file, "w");
	int rc;

	(void)state;
	assert_non_null(f);
	fclose(f);
	settings_init(&s);
	rc = trust_hostkey(&s, p, "127.0.0.1", 22, &key, "yes", &e);
	assert_int_not_equal(rc, RV_OK);
	assert_int_not_equal(rc, RV_HOSTKEY);
	assert_int_equal(e.code, rc);
	assert_true(e.msg[0] != '\0');
	settings_free(&s);
	free(p);
	free(file);
}

static void test_pin_refused(void **state)
{
	static const struct {
		const char *host, *type, *fp, *says;
	} bad[] = {
		{ "[::1]x", "ssh-ed25519", SHA, "is not a host" },
		{ "admin@h", "ssh-ed25519", SHA, "is not a host" },
		{ "h", "ssh-foo", SHA, "unknown host key type" },
		{ "h", "ssh-ed25519", "SHA256:4Crc", "is not valid" },
		{ "h", "ssh-ed25519", "", "is not valid" },
		/* the host is checked first, as `revault knownhost add` always did */
		{ "h:0", "ssh-foo", "x", "is not a host" },
	};
	char *p = path_in("pin-refused/revault.yaml");
	struct trust_pinned pin;
	struct settings s;

	(void)state;
	settings_init(&s);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct err e = { 0 };

		assert_int_equal(trust_pin(&s, p, bad[i].host, bad[i].type, bad[i].fp, &pin, &e), RV_USAGE);
		if (strstr(e.msg, bad[i].says) == NULL)
			fail_msg("%s %s %s: \"%s\" lacks \"%s\"", bad[i].host, bad[i].type, bad[i].fp, e.msg,
				 bad[i].says);
		assert_int_equal(s.nknown_hosts, 0);
	}
	assert_int_equal(access(p, F_OK), -1);
	settings_free(&s);
	free(p);
}

static void test_pin_saved(void **state)
{
	char *p = path_in("pin/revault.yaml");
	struct trust_pinned pin;
	struct settings s, t;
	struct err e = { 0 };

	(void)state;
	settings_init(&s);
	assert_int_equal(trust_pin(&s, p, "[::1]:2222", "ssh-ed25519", SHA, &pin, &e), RV_OK);
	assert_string_equal(pin.type, "ssh-ed25519");
	assert_string_equal(pin.where, "[::1]:2222");
	assert_string_equal(pin.fingerprint, SHA);
	assert_null(pin.note);
	/* the same host and type again, in the other form: replaced */
	assert_int_equal(trust_pin(&s, p, "[::1]:2222", "SSH-ED25519", MD5_BARE, &pin, &e), RV_OK);
	assert_string_equal(pin.fingerprint, MD5);
	/* another type, the seed's name for DSA, the default port */
	assert_int_equal(trust_pin(&s, p, "files.example.com", "ssh-dsa", MD5, &pin, &e), RV_OK);
	assert_string_equal(pin.type, "ssh-dss");
	assert_string_equal(pin.where, "files.example.com:22");
	assert_null(pin.note);
	assert_int_equal(trust_pin(&s, p, "files.example.com", "ssh-rsa", SHA, &pin, &e), RV_OK);
	assert_string_equal(pin.type, "ssh-rsa");
	assert_ptr_equal(pin.note, fingerprint_type_note("ssh-rsa"));

	assert_int_equal(on_record(p, &t), 3);
	assert_string_equal(t.known_hosts[0].host, "::1");
	assert_int_equal(t.known_hosts[0].port, 2222);
	assert_string_equal(t.known_hosts[0].type, "ssh-ed25519");
	assert_null(t.known_hosts[0].sha256);
	assert_string_equal(t.known_hosts[0].md5, MD5);
	assert_string_equal(t.known_hosts[1].type, "ssh-dss");
	assert_string_equal(t.known_hosts[2].type, "ssh-rsa");
	assert_int_equal(t.known_hosts[2].port, 22);
	settings_free(&t);
	settings_free(&s);
	free(p);
}

static int setup(void **state)
{
	(void)state;
	return test_tmpdir(tmpdir, "revault-trust");
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
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_trusted_and_saved),
		cmocka_unit_test(test_save_fails),
		cmocka_unit_test(test_pin_refused),
		cmocka_unit_test(test_pin_saved),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
