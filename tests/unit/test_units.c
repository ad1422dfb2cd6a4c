/* How fast a job goes and how that is written: the meter's smoothed rate,
 * ETA, percent and stall (given times, no clock), and the one convention
 * for sizes, rates and durations (IEC). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/meter.h"
#include "core/units.h"

static void test_meter(void **state)
{
	struct meter m;

	(void)state;
	meter_init(&m, 100.0);
	meter_update(&m, 0, 1000000, 100.0);
	meter_update(&m, 250000, 1000000, 101.0);
	assert_int_equal(meter_percent(&m), 25);
	assert_true(m.rate > 200000 && m.rate < 300000);
	assert_true(meter_eta(&m) > 2.5 && meter_eta(&m) < 3.5);
	assert_false(meter_stalled(&m, 105.9));
	assert_true(meter_stalled(&m, 106.1));
	meter_update(&m, 1000000, 1000000, 110.0);
	assert_int_equal(meter_percent(&m), 100);
	assert_false(meter_stalled(&m, 200.0));
	meter_update(&m, 500000, 1000000, 120.0);
	assert_int_equal(meter_percent(&m), 50);
	assert_true(meter_stalled(&m, 130.0));
}

static void test_meter_unknown_total(void **state)
{
	struct meter m;

	(void)state;
	meter_init(&m, 0.0);
	meter_update(&m, 4096, 0, 1.0);
	assert_true(meter_percent(&m) < 0);
	assert_true(meter_eta(&m) < 0);
	assert_true(m.rate > 4000 && m.rate < 4200);
}

/* A job that ends before a first sample keeps its average rate. */
static void test_meter_fast_finish(void **state)
{
	struct meter m;

	(void)state;
	meter_init(&m, 10.0);
	meter_update(&m, 1000, 1000, 10.1);
	assert_true(m.rate > 9900 && m.rate < 10100);
	assert_false(meter_stalled(&m, 100.0));
}

static void test_units(void **state)
{
	char buf[UNITS_MAX];

	(void)state;
	units_bytes(512, buf, sizeof(buf));
	assert_string_equal(buf, "512 B");
	units_bytes(1023, buf, sizeof(buf));
	assert_string_equal(buf, "1023 B");
	units_bytes(1024, buf, sizeof(buf));
	assert_string_equal(buf, "1.0 KiB");
	units_bytes(3 * 1024 * 1024 / 2, buf, sizeof(buf));
	assert_string_equal(buf, "1.5 MiB");
	units_bytes(UINT64_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "16777216.0 TiB");
	units_rate(3 * 1024 * 1024 / 2, buf, sizeof(buf));
	assert_string_equal(buf, "1.5 MiB/s");
	units_rate(-1, buf, sizeof(buf));
	assert_string_equal(buf, "0 B/s");
	units_duration(3723, buf, sizeof(buf));
	assert_string_equal(buf, "1:02:03");
	units_duration(65, buf, sizeof(buf));
	assert_string_equal(buf, "01:05");
	units_duration(-1, buf, sizeof(buf));
	assert_string_equal(buf, "--:--");
	units_duration(100 * 3600.0, buf, sizeof(buf));
	assert_string_equal(buf, "--:--");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meter),
		cmocka_unit_test(test_meter_unknown_total),
		cmocka_unit_test(test_meter_fast_finish),
		cmocka_unit_test(test_units),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
