/* The last-run records (core/lastrun): a record written reads back whole,
 * a damaged one is refused with its line, a missing one is "none", and
 * the health and exit status a monitoring check gets from them; --max-age
 * durations. Records go to a state folder made for the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lastrun.h"
#include "core/util.h"

static char dir[] = "/tmp/revault-lastrun.XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	setenv("REVAULT_STATE_DIR", dir, 1);
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);

	(void)state;
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static void test_roundtrip(void **state)
{
	struct lastrun w = { .kind = "backup", .started = 1795000000, .ended = 1795000007, .status = 6,
			     .revision = "20261130T034402Z", .bytes = 48213, .wire_bytes = 12044, .files = 312,
			     .warnings = 2, .message = "backup done\nwith a newline" };
	struct lastrun r;
	struct err e = { 0 };
	struct stat sb;
	bool found;
	char *path = xasprintf("%s/%s", dir, LASTRUN_ATTEMPT);

	(void)state;
	assert_int_equal(lastrun_write(LASTRUN_ATTEMPT, &w, &e), RV_OK);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(lastrun_read(LASTRUN_ATTEMPT, &r, &found, &e), RV_OK);
	assert_true(found);
	assert_string_equal(r.kind, "backup");
	assert_int_equal(r.started, w.started);
	assert_int_equal(r.ended, w.ended);
	assert_int_equal(r.status, 6);
	assert_string_equal(r.revision, w.revision);
	assert_int_equal(r.bytes, 48213);
	assert_int_equal(r.wire_bytes, 12044);
	assert_int_equal(r.files, 312);
	assert_int_equal(r.warnings, 2);
	assert_string_equal(r.message, "backup done with a newline"); /* one line */
	free(path);
}

static void test_missing_and_damaged(void **state)
{
	struct lastrun r;
	struct err e = { 0 };
	bool found = true;

	(void)state;
	assert_int_equal(lastrun_read("no-such-record", &r, &found, &e), RV_OK);
	assert_false(found);
	write_file("bad", "ended=2026-11-30T03:44:09Z\nstatus=zero\n");
	assert_int_equal(lastrun_read("bad", &r, &found, &e), RV_FAIL);
	assert_false(found);
	assert_non_null(strstr(e.msg, "damaged at line 2"));
	err_clear(&e);
	write_file("short", "status=0\nmessage=x\n");
	assert_int_equal(lastrun_read("short", &r, &found, &e), RV_FAIL);
	assert_non_null(strstr(e.msg, "end time"));
	err_clear(&e);
	/* The record before its fields grew (ended, status, warnings,
	 * revision, message) still reads; unknown keys are skipped. */
	write_file("old", "ended=2026-11-30T03:44:09Z\nstatus=0\nwarnings=0\nrevision=20261130T034402Z\n"
			  "future=1\nmessage=backup done\n");
	assert_int_equal(lastrun_read("old", &r, &found, &e), RV_OK);
	assert_true(found);
	assert_string_equal(r.kind, "backup");
	assert_int_equal(r.started, r.ended);
}

static void test_health(void **state)
{
	struct lastrun r = { .ended = 1000000, .status = 0 };

	(void)state;
	assert_int_equal(lastrun_health(&r, false, 1000000, 0), LASTRUN_NONE);
	assert_int_equal(lastrun_health(&r, true, 1000100, 0), LASTRUN_OK);
	assert_int_equal(lastrun_health(&r, true, 1000000 + 26 * 3600, 26 * 3600), LASTRUN_OK);
	assert_int_equal(lastrun_health(&r, true, 1000001 + 26 * 3600, 26 * 3600), LASTRUN_STALE);
	r.status = 6;
	assert_int_equal(lastrun_health(&r, true, 1000100, 3600), LASTRUN_WARNINGS);
	r.status = 3;
	assert_int_equal(lastrun_health(&r, true, 1000100, 3600), LASTRUN_FAILED);
	assert_int_equal(lastrun_exit_status(LASTRUN_OK), 0);
	assert_int_equal(lastrun_exit_status(LASTRUN_WARNINGS), 0);
	assert_int_equal(lastrun_exit_status(LASTRUN_FAILED), 1);
	assert_int_equal(lastrun_exit_status(LASTRUN_STALE), 1);
	assert_int_equal(lastrun_exit_status(LASTRUN_NONE), 1);
	assert_int_equal(lastrun_exit_status(LASTRUN_UNREADABLE), 1);
	/* Ended in the future, past a minute of slack: the clock, not OK. */
	r.status = 0;
	assert_int_equal(lastrun_health(&r, true, 1000000 - 60, 0), LASTRUN_OK);
	assert_int_equal(lastrun_health(&r, true, 1000000 - 61, 26 * 3600), LASTRUN_FUTURE);
	assert_int_equal(lastrun_exit_status(LASTRUN_FUTURE), 1);
}

/* Text from outside made valid UTF-8: a bad byte is U+FFFD, a cut falls
 * between characters. */
static void test_utf8_copy(void **state)
{
	char out[8];

	(void)state;
	util_utf8_copy(out, sizeof(out), "caf\xe9!");
	assert_string_equal(out, "caf\xef\xbf\xbd!");
	/* "ab" then three two-byte characters: 7 bytes fit, the third does not. */
	util_utf8_copy(out, sizeof(out), "ab\xc3\xa9\xc3\xa9\xc3\xa9");
	assert_string_equal(out, "ab\xc3\xa9\xc3\xa9");
	/* A sequence cut short, an overlong form, a surrogate. */
	util_utf8_copy(out, sizeof(out), "\xc3");
	assert_string_equal(out, "\xef\xbf\xbd");
	util_utf8_copy(out, sizeof(out), "\xc0\xaf");
	assert_string_equal(out, "\xef\xbf\xbd\xef\xbf\xbd");
	assert_false(util_utf8_valid("\xed\xa0\x80"));
	assert_true(util_utf8_valid("/etc/caf\xc3\xa9"));
	assert_false(util_utf8_valid("/tmp/x\xff"));
	/* An error line cut to fit is cut between characters. */
	{
		char lon[3 * ERR_MSG_MAX];
		struct err e = { 0 };

		for (size_t i = 0; i + 2 < sizeof(lon); i += 2)
			memcpy(lon + i, "\xc3\xa9", 2);
		lon[sizeof(lon) - 1 - (sizeof(lon) - 1) % 2] = '\0';
		err_set(&e, RV_FAIL, "xy%s", lon); /* 2 + 2k bytes: the cut falls inside one */
		assert_true(util_utf8_valid(e.msg));
		assert_true(strlen(e.msg) >= ERR_MSG_MAX - 4);
	}
}

static void test_parse_age(void **state)
{
	static const struct {
		const char *text;
		int64_t seconds;
	} good[] = { { "26h", 93600 }, { "90m", 5400 }, { "2d", 172800 }, { "1w", 604800 }, { "3600", 3600 },
		     { "45s", 45 } };
	static const char *const bad[] = { "", "h", "0", "0h", "26x", "26hh", "-1h", "1.5h", " 26h", "26 h",
					   "99999999999999999999" };
	struct err e = { 0 };
	int64_t s;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		assert_int_equal(lastrun_parse_age(good[i].text, &s, &e), RV_OK);
		assert_int_equal(s, good[i].seconds);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		err_clear(&e);
		assert_int_equal(lastrun_parse_age(bad[i], &s, &e), RV_USAGE);
		assert_non_null(strstr(e.msg, "26h"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_missing_and_damaged),
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_utf8_copy),
		cmocka_unit_test(test_parse_age),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
