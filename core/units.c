/* units: one way to write a number of bytes, a rate and a time left. */
#include "core/units.h"

#include <stdio.h>

#include "core/util.h"

void units_bytes(uint64_t n, char *buf, size_t cap)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < ARRAY_LEN(unit)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, cap, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, cap, "%.1f %s", v, unit[u]);
}

void units_rate(double bytes_per_second, char *buf, size_t cap)
{
	char bytes[UNITS_MAX];

	units_bytes(bytes_per_second > 0 ? (uint64_t)bytes_per_second : 0, bytes, sizeof(bytes));
	snprintf(buf, cap, "%s/s", bytes);
}

void units_duration(double seconds, char *buf, size_t cap)
{
	long t;

	if (seconds < 0 || seconds > 99 * 3600.0) {
		snprintf(buf, cap, "--:--");
		return;
	}
	t = (long)(seconds + 0.5);
	if (t >= 3600)
		snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, cap, "%02ld:%02ld", t / 60, t % 60);
}
