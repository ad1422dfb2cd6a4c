/* The bandwidth cap: every form backup.bandwidth takes and refuses, its
 * one spelling through the settings file, and the token bucket under a
 * fake clock: the rate held, never more than a second's worth at once,
 * the day table followed as the wall clock passes its times (and past
 * midnight), and off letting everything through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/lib/shell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bwlimit.h"
#include "core/settings.h"
#include "core/units.h"
#include "core/util.h"

#define MiB (1024 * 1024)

struct fake_clock {
	double mono;         /* seconds */
	unsigned day_start;  /* second of the day at mono 0 */
};

static double fake_mono(void *arg)
{
	return ((struct fake_clock *)arg)->mono;
}

static unsigned fake_day_second(void *arg)
{
	struct fake_clock *c = arg;

	return (unsigned)(c->day_start + (unsigned long)c->mono) % 86400;
}

static struct bwlimit *limiter(const char *text, struct fake_clock *c)
{
	struct bwlimit_clock clock = { .mono = fake_mono, .day_second = fake_day_second, .arg = c };
	struct bwlimit_table t;
	struct err e = { 0 };

	if (bwlimit_parse(text, &t, &e) != RV_OK)
		fail_msg("\"%s\": %s", text, e.msg);
	return bwlimit_new(&t, &clock);
}

/* A sender that always wants more: asks, and when told to wait, sleeps
 * (on the fake clock) until it may ask again. Returns the bytes moved
 * until `until`; *largest is the most given at one instant. */
static uint64_t drain(struct bwlimit *b, struct fake_clock *c, double until, size_t want, uint64_t *largest)
{
	uint64_t total = 0, at_once = 0;
	double at = c->mono;

	while (c->mono < until) {
		double wake = 0;
		size_t n = bwlimit_take(b, want, &wake);

		if (n > 0) {
			if (c->mono != at)
				at_once = 0, at = c->mono;
			at_once += n;
			if (largest != NULL && at_once > *largest)
				*largest = at_once;
			total += n;
			continue;
		}
		assert_true(wake > c->mono);
		c->mono = wake;
	}
	return total;
}

static void test_parse_rates(void **state)
{
	static const struct {
		const char *text;
		uint64_t rate;
	} good[] = {
		{ "65536", 65536 },
		{ "1000", 1000 },
		{ "512k", 512 * 1024 },
		{ "512K", 512 * 1024 },
		{ "2M", 2 * MiB },
		{ "2m", 2 * MiB },
		{ "1G", 1024 * MiB },
		{ "16Mbit", 2000000 },
		{ "16mbit", 2000000 },
		{ "800kbit", 100000 },
		{ "1Gbit", 125000000 },
		{ "8000bit", 1000 },
		{ "off", 0 },
		{ "OFF", 0 },
	};
	static const char *const bad[] = {
		"", " ", "k", "-1", "1.5M", "2 M", "2MB", "2MiB", "999", "7kbit", "16Mbits", "fast",
		"2M 3M", "99999999999999999999", "1099511627777", "0", "1T", "on",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		struct bwlimit_table t;
		struct err e = { 0 };

		if (bwlimit_parse(good[i].text, &t, &e) != RV_OK)
			fail_msg("\"%s\" refused: %s", good[i].text, e.msg);
		assert_int_equal(t.n, 1);
		assert_int_equal(t.entry[0].second, 0);
		if (t.entry[0].rate != good[i].rate)
			fail_msg("\"%s\" read as %llu, not %llu", good[i].text, (unsigned long long)t.entry[0].rate,
				 (unsigned long long)good[i].rate);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct bwlimit_table t;
		struct err e = { 0 };

		if (bwlimit_parse(bad[i], &t, &e) != RV_USAGE)
			fail_msg("\"%s\" accepted", bad[i]);
		/* One line that shows what is taken. */
		assert_non_null(strstr(e.msg, "08:00,512k 18:00,off"));
		assert_null(strchr(e.msg, '\n'));
	}
}

static void test_parse_tables(void **state)
{
	static const char *const bad[] = {
		"08:00,512k 08:00,off",  /* not increasing */
		"18:00,512k 08:00,off",
		"8:00,512k",             /* HH:MM */
		"24:00,1M",
		"07:60,1M",
		"08:00",                 /* no rate */
		"08:00,",
		"08:00,fast",
		"08:00;512k",
		",512k",
		"08:00,512k,1M",
		"08:00,512k 2M",         /* a bare rate inside a table */
		"08:00,1111111111111111111111111111111111111111111111111111111111111111111111111111k",
		"00:00,1M 01:00,1M 02:00,1M 03:00,1M 04:00,1M 05:00,1M 06:00,1M 07:00,1M 08:00,1M 09:00,1M "
		"10:00,1M 11:00,1M 12:00,1M 13:00,1M 14:00,1M 15:00,1M 16:00,1M 17:00,1M 18:00,1M 19:00,1M "
		"20:00,1M 21:00,1M 22:00,1M 23:00,1M 23:30,1M", /* 25 entries */
	};
	struct bwlimit_table t;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(bwlimit_parse("08:00,512k 18:00,off", &t, &e), RV_OK);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.entry[0].second, 8 * 3600);
	assert_int_equal(t.entry[0].rate, 512 * 1024);
	assert_int_equal(t.entry[1].second, 18 * 3600);
	assert_int_equal(t.entry[1].rate, 0);
	assert_false(bwlimit_is_off(&t));
	assert_int_equal(bwlimit_parse("  00:00,16Mbit\t06:30,2M   23:59,OFF ", &t, &e), RV_OK);
	assert_int_equal(t.n, 3);
	assert_int_equal(t.entry[1].second, 6 * 3600 + 30 * 60);
	assert_int_equal(t.entry[2].second, 23 * 3600 + 59 * 60);
	assert_int_equal(bwlimit_parse("09:00,off", &t, &e), RV_OK);
	assert_true(bwlimit_is_off(&t));
	/* The entry in force: the latest at or before the time, else the
	 * day's last one, from the day before. */
	assert_int_equal(bwlimit_parse("08:00,512k 18:00,off 22:00,1M", &t, &e), RV_OK);
	assert_int_equal(bwlimit_rate_at(&t, 8 * 3600 - 1), 1024 * 1024);
	assert_int_equal(bwlimit_rate_at(&t, 0), 1024 * 1024);
	assert_int_equal(bwlimit_rate_at(&t, 8 * 3600), 512 * 1024);
	assert_int_equal(bwlimit_rate_at(&t, 18 * 3600 - 1), 512 * 1024);
	assert_int_equal(bwlimit_rate_at(&t, 18 * 3600), 0);
	assert_int_equal(bwlimit_rate_at(&t, 86399), 1024 * 1024);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		err_clear(&e);
		if (bwlimit_parse(bad[i], &t, &e) != RV_USAGE)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_non_null(strstr(e.msg, "08:00,512k 18:00,off"));
		assert_null(strchr(e.msg, '\n'));
	}
}

/* Through `revault set`'s path and the file: one spelling, kept; a bad
 * value refused with the forms and the old one kept. */
static void test_setting(void **state)
{
	char dir[TEST_TMPDIR_MAX], *p;
	struct settings s, t;
	struct err e = { 0 };

	(void)state;
	assert_int_equal(test_tmpdir(dir, "bwlimit"), 0);
	p = xasprintf("%s/revault.yaml", dir);
	settings_init(&s);
	assert_string_equal(s.backup.bandwidth, "off");
	assert_int_equal(settings_set(&s, "backup.bandwidth", "  08:00,512K\t 18:00,OFF ", &e), RV_OK);
	assert_string_equal(s.backup.bandwidth, "08:00,512K 18:00,off");
	assert_int_equal(settings_set(&s, "backup.bandwidth", "25:00,1M", &e), RV_USAGE);
	assert_non_null(strstr(e.msg, "HH:MM"));
	assert_int_equal(settings_set(&s, "backup.bandwidth", "", &e), RV_USAGE);
	assert_string_equal(s.backup.bandwidth, "08:00,512K 18:00,off");
	assert_int_equal(settings_save(&s, p, &e), RV_OK);
	assert_int_equal(settings_load(&t, p, &e), RV_OK);
	assert_string_equal(t.backup.bandwidth, "08:00,512K 18:00,off");
	settings_free(&t);
	assert_int_equal(settings_set(&s, "backup.bandwidth", "16Mbit", &e), RV_OK);
	assert_int_equal(settings_save(&s, p, &e), RV_OK);
	assert_int_equal(settings_load(&t, p, &e), RV_OK);
	assert_string_equal(t.backup.bandwidth, "16Mbit");
	settings_free(&t);
	settings_free(&s);
	free(p);
	assert_int_equal(test_tmpdir_remove(dir), 0);
}

static void test_rate_held(void **state)
{
	static const char *const rates[] = { "512k", "2M", "16Mbit", "1000" };

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(rates); i++) {
		struct fake_clock c = { .mono = 100.0, .day_start = 12 * 3600 };
		struct bwlimit *b = limiter(rates[i], &c);
		struct bwlimit_table t;
		struct err e = { 0 };
		uint64_t rate, moved;

		assert_int_equal(bwlimit_parse(rates[i], &t, &e), RV_OK);
		rate = t.entry[0].rate;
		/* A writer asking for a window at a time, and a reader for less. */
		moved = drain(b, &c, 110.0, 1 * MiB, NULL);
		if (moved > rate * 10 + rate / 16 || moved < rate * 10 - rate / 8)
			fail_msg("%s: %llu bytes in 10 s, not %llu", rates[i], (unsigned long long)moved,
				 (unsigned long long)rate * 10);
		moved = drain(b, &c, c.mono + 10, 7500, NULL);
		/* What the bucket held when the writer stopped comes on top. */
		if (moved > rate * 10 + rate / 16 || moved < rate * 10 - rate / 8)
			fail_msg("%s: %llu bytes in 10 s, not %llu", rates[i], (unsigned long long)moved,
				 (unsigned long long)rate * 10);
		bwlimit_free(b);
	}
}

static void test_burst_at_most_a_second(void **state)
{
	struct fake_clock c = { .mono = 5.0, .day_start = 0 };
	struct bwlimit *b = limiter("2M", &c);
	uint64_t largest = 0;
	double wake = 0;
	size_t n;

	(void)state;
	/* It starts empty: the first bytes wait for their share. */
	assert_int_equal(bwlimit_take(b, 1 * MiB, &wake), 0);
	assert_true(wake > 5.0 && wake <= 5.0 + 1.0 / 16 + 1e-9);
	/* An hour of nothing (a long scan): a second's worth, no more. */
	c.mono += 3600;
	n = bwlimit_take(b, 64 * MiB, &wake);
	assert_int_equal(n, 2 * MiB);
	assert_int_equal(bwlimit_take(b, 64 * MiB, &wake), 0);
	/* Then steady, in pieces of at most 1/16 s worth. */
	drain(b, &c, c.mono + 10, 64 * MiB, &largest);
	assert_true(largest <= 2 * MiB / 16 + 1);
	assert_int_equal(bwlimit_piece(b), 2 * MiB / 16);
	/* Bytes given back (a short read) are there again, up to a second's. */
	c.mono += 0.5;
	n = bwlimit_take(b, 64 * MiB, &wake);
	assert_true(n >= MiB - 1 && n <= MiB + 2 * MiB / 16);
	bwlimit_give_back(b, 8 * MiB);
	assert_int_equal(bwlimit_take(b, 64 * MiB, &wake), 2 * MiB);
	bwlimit_free(b);
}

/* A long transfer across the table's times: 07:59:50 to 08:00:10 is
 * uncapped then 512k; 17:59:50 to 18:00:10 back to no cap. */
static void test_table_switch(void **state)
{
	struct fake_clock c = { .mono = 0, .day_start = 8 * 3600 - 10 };
	struct bwlimit *b = limiter("08:00,512k 18:00,off", &c);
	double wake = 0;
	uint64_t moved;

	(void)state;
	assert_int_equal(bwlimit_take(b, 64 * MiB, &wake), 64 * MiB);
	c.mono = 9.5;
	assert_int_equal(bwlimit_take(b, 64 * MiB, &wake), 64 * MiB);
	c.mono = 10.0; /* 08:00:00 */
	assert_int_equal(bwlimit_take(b, 64 * MiB, &wake), 0);
	moved = drain(b, &c, 20.0, 1 * MiB, NULL);
	assert_true(moved <= 10 * 512 * 1024 && moved >= 10 * 512 * 1024 - 512 * 1024 / 8);
	/* A lower rate keeps at most its own second's worth. */
	bwlimit_free(b);
	c = (struct fake_clock){ .mono = 0, .day_start = 18 * 3600 - 10 };
	b = limiter("08:00,2M 18:00,512k", &c);
	assert_int_equal(bwlimit_take(b, 1, &wake), 0); /* empty when it starts */
	c.mono = 9.9;
	assert_int_equal(bwlimit_take(b, 1, &wake), 1); /* 2M, full after 9.9 s */
	c.mono = 10.0;
	assert_true(bwlimit_take(b, 64 * MiB, &wake) <= 512 * 1024);
	moved = drain(b, &c, 20.0, 1 * MiB, NULL);
	assert_true(moved <= 10 * 512 * 1024);
	/* And off again at 08:00 the next day only: 2M then. */
	bwlimit_free(b);
	c = (struct fake_clock){ .mono = 0, .day_start = 18 * 3600 - 10 };
	b = limiter("08:00,512k 18:00,off", &c);
	c.mono = 1;
	assert_int_equal(bwlimit_take(b, 1, &wake), 0);
	c.mono = 10.0;
	assert_int_equal(bwlimit_take(b, 64 * MiB, &wake), 64 * MiB);
	bwlimit_free(b);
}

/* 23:59:55 to 00:00:05 with "22:00,1M 06:00,off": still 1M after
 * midnight, from the day before's last entry. */
static void test_wrap_past_midnight(void **state)
{
	struct fake_clock c = { .mono = 0, .day_start = 86400 - 5 };
	struct bwlimit *b = limiter("06:00,off 22:00,1M", &c);
	uint64_t moved;

	(void)state;
	moved = drain(b, &c, 10.0, 1 * MiB, NULL);
	assert_true(moved <= 10 * MiB && moved >= 10 * MiB - MiB / 8);
	assert_int_equal(fake_day_second(&c), 5);
	bwlimit_free(b);
	/* Before the first entry of the day, the last one is in force. */
	c = (struct fake_clock){ .mono = 0, .day_start = 3 * 3600 };
	b = limiter("06:00,off 22:00,1M", &c);
	moved = drain(b, &c, 4.0, 1 * MiB, NULL);
	assert_true(moved <= 4 * MiB);
	bwlimit_free(b);
}

static void test_off(void **state)
{
	struct fake_clock c = { .mono = 0, .day_start = 0 };
	struct bwlimit *b = limiter("off", &c);
	double wake = 0;

	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(bwlimit_take(b, 64 * MiB, &wake), 64 * MiB);
	assert_true(wake == 0);
	assert_true(bwlimit_piece(b) == SIZE_MAX);
	bwlimit_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rates),
		cmocka_unit_test(test_parse_tables),
		cmocka_unit_test(test_setting),
		cmocka_unit_test(test_rate_held),
		cmocka_unit_test(test_burst_at_most_a_second),
		cmocka_unit_test(test_table_switch),
		cmocka_unit_test(test_wrap_past_midnight),
		cmocka_unit_test(test_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
