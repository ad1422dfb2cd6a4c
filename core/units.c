/* units: one way to write a number of bytes, a rate and a time left. */
#include "core/units.h"

#include <stdio.h>
#include <strings.h>

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

int units_parse_rate(const char *text, uint64_t *bytes_per_second)
{
	static const struct {
		const char *suffix;
		uint64_t bytes_num, bytes_den; /* bytes per second = n * num / den */
	} units[] = {
		{ "", 1, 1 },
		{ "k", 1024, 1 },
		{ "m", 1024 * 1024, 1 },
		{ "g", 1024 * 1024 * 1024, 1 },
		{ "bit", 1, 8 },
		{ "kbit", 1000, 8 },
		{ "mbit", 1000 * 1000, 8 },
		{ "gbit", 1000 * 1000 * 1000, 8 },
	};
	const char *p = text;
	uint64_t n = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > UNITS_RATE_MAX * 8)
			return -1;
	}
	for (size_t i = 0; i < ARRAY_LEN(units); i++) {
		if (strcasecmp(p, units[i].suffix) != 0)
			continue;
		if (n > UNITS_RATE_MAX * units[i].bytes_den / units[i].bytes_num)
			return -1;
		*bytes_per_second = n * units[i].bytes_num / units[i].bytes_den;
		return 0;
	}
	return -1;
}
