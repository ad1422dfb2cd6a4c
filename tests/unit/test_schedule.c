/* The schedule's words (core/schedule.h): a table of accepted texts with
 * their canonical form, read back to the same schedule; refused texts
 * with the part of the message that says how to write them; the timer's
 * OnCalendar and delay; paths quoted for a unit (", \, % and $); and
 * backup.schedule in a settings file, checked and kept canonical. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/schedule.h"
#include "core/settings.h"

struct sched_case {
	const char *text;
	const char *canonical; /* NULL: refused */
	const char *why;       /* refused: a part of the message */
};

static const struct sched_case cases[] = {
	{ "off", "off", NULL },
	{ "hourly", "hourly", NULL },
	{ "daily 02:30", "daily 02:30", NULL },
	{ "daily 2:05", "daily 02:05", NULL },
	{ "daily 00:00", "daily 00:00", NULL },
	{ "daily 23:59", "daily 23:59", NULL },
	{ "  daily\t02:30  random 15 ", "daily 02:30 random 15", NULL },
	{ "daily 02:30 random 720", "daily 02:30 random 720", NULL },
	{ "weekly sun 03:00", "weekly sun 03:00", NULL },
	{ "weekly Saturday 23:15", "weekly sat 23:15", NULL },
	{ "weekly MON 00:01", "weekly mon 00:01", NULL },
	{ "daily 24:00", NULL, "00:00 to 23:59" },
	{ "daily 12:60", NULL, "00:00 to 23:59" },
	{ "daily 7:5", NULL, "HH:MM" },
	{ "daily 123:00", NULL, "HH:MM" },
	{ "daily -1:00", NULL, "HH:MM" },
	{ "daily 02:30 random 0", NULL, "from 1 to 720" },
	{ "daily 02:30 random 721", NULL, "from 1 to 720" },
	{ "daily 02:30 random 1x", NULL, "from 1 to 720" },
	{ "daily 02:30 random", NULL, "not a schedule" },
	{ "weekly funday 03:00", NULL, "day of the week" },
	{ "weekly sun", NULL, "not a schedule" },
	{ "weekly 03:00 sun", NULL, "day of the week" },
	{ "hourly 5", NULL, "not a schedule" },
	{ "monthly 1 02:00", NULL, "not a schedule" },
	{ "", NULL, "no schedule" },
	{ "Daily 02:30", "daily 02:30", NULL },
	{ "OFF", "off", NULL },
	{ "Hourly", "hourly", NULL },
	{ "DAILY 02:30 RANDOM 5", "daily 02:30 random 5", NULL },
	{ "WEEKLY SUNDAY 03:00", "weekly sun 03:00", NULL },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct sched_case *c = &cases[i];
		struct schedule s, back;
		struct err e = { 0 };
		char text[SCHEDULE_TEXT_MAX], again[SCHEDULE_TEXT_MAX];
		int rc = schedule_parse(c->text, &s, &e);

		if (c->canonical == NULL) {
			if (rc != RV_USAGE || strstr(e.msg, c->why) == NULL)
				fail_msg("\"%s\": rc %d, \"%s\", expected RV_USAGE with \"%s\"", c->text, rc, e.msg, c->why);
			continue;
		}
		if (rc != RV_OK)
			fail_msg("\"%s\" refused: %s", c->text, e.msg);
		schedule_format(&s, text, sizeof(text));
		assert_string_equal(text, c->canonical);
		assert_int_equal(schedule_parse(text, &back, &e), RV_OK);
		schedule_format(&back, again, sizeof(again));
		assert_string_equal(again, text);
		assert_memory_equal(&s, &back, sizeof(s));
	}
}

static void test_timer(void **state)
{
	static const struct {
		const char *text, *calendar, *delay;
	} t[] = {
		{ "daily 02:30 random 45", "OnCalendar=*-*-* 02:30:00\n", "RandomizedDelaySec=45min\n" },
		{ "weekly fri 23:15", "OnCalendar=Fri *-*-* 23:15:00\n", "RandomizedDelaySec=0min\n" },
		{ "hourly", "OnCalendar=*-*-* *:00:00\n", "RandomizedDelaySec=0min\n" },
	};
	struct err e = { 0 };
	struct schedule s;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *unit;

		assert_int_equal(schedule_parse(t[i].text, &s, &e), RV_OK);
		unit = schedule_timer_unit(&s, &e);
		assert_non_null(unit);
		if (strstr(unit, t[i].calendar) == NULL || strstr(unit, t[i].delay) == NULL ||
		    strstr(unit, "Persistent=true\n") == NULL || strstr(unit, "`revault schedule off` removes it") == NULL)
			fail_msg("timer for %s:\n%s", t[i].text, unit);
		free(unit);
	}
	s.kind = SCHEDULE_OFF;
	assert_null(schedule_timer_unit(&s, &e));
}

static void test_service_quoting(void **state)
{
	struct err e = { 0 };
	char *unit;

	(void)state;
	unit = schedule_service_unit("/opt/re vault/bin/revault", "/etc/a \"b\" 100%$HOME\\x/revault.yaml", &e);
	assert_non_null(unit);
	if (strstr(unit, "ExecStart=\"/opt/re vault/bin/revault\" -c "
			 "\"/etc/a \\\"b\\\" 100%%$$HOME\\\\x/revault.yaml\" backup\n") == NULL ||
	    strstr(unit, "ReadWritePaths=\"-/etc/a \\\"b\\\" 100%%$HOME\\\\x\"\n") == NULL)
		fail_msg("quoting:\n%s", unit);
	free(unit);
	unit = schedule_service_unit("/usr/bin/revault", "/etc/new\nline/revault.yaml", &e);
	assert_null(unit);
	assert_int_equal(e.code, RV_USAGE);
	assert_non_null(strstr(e.msg, "control character"));
}

static void test_settings_file(void **state)
{
	char dir[] = "/tmp/rv-schedule-XXXXXX", path[64];
	struct settings s;
	struct err e = { 0 };
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/revault.yaml", dir);
	f = fopen(path, "w");
	fputs("backup:\n  schedule: \"weekly Tuesday 4:05\"\n", f);
	fclose(f);
	/* settings_load starts from the defaults itself. */
	assert_int_equal(settings_load(&s, path, &e), RV_OK);
	assert_string_equal(s.backup.schedule, "weekly tue 04:05");
	settings_free(&s);
	f = fopen(path, "w");
	fputs("backup:\n  schedule: \"daily 25:00\"\n", f);
	fclose(f);
	assert_int_equal(settings_load(&s, path, &e), RV_USAGE);
	if (strstr(e.msg, "revault.yaml:2:") == NULL || strstr(e.msg, "not a time of day") == NULL)
		fail_msg("%s", e.msg);
	settings_free(&s);
	/* Not set with `revault set`: that would keep a time nothing runs at. */
	settings_init(&s);
	memset(&e, 0, sizeof(e));
	assert_int_equal(settings_set(&s, "backup.schedule", "hourly", &e), RV_USAGE);
	assert_non_null(strstr(e.msg, "revault schedule"));
	settings_free(&s);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_timer),
		cmocka_unit_test(test_service_quoting),
		cmocka_unit_test(test_settings_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
