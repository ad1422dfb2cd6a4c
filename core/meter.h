/* meter: how fast a count of bytes grows, decided once for every front end:
 * the rate as an exponential moving average sampled at most four times a
 * second (so a burst does not swing the ETA), the time left, the percent,
 * and "stalled" after METER_STALL_SECONDS without progress, like OpenSSH's
 * progress meter. The caller gives the time, so tests need no clock. */
#ifndef REVAULT_CORE_METER_H
#define REVAULT_CORE_METER_H

#include <stdbool.h>
#include <stdint.h>

#define METER_STALL_SECONDS 5.0

struct meter {
	uint64_t done;
	uint64_t total;      /* 0 when unknown */
	double rate;         /* bytes/s, smoothed */
	double t0;           /* when it started */
	double last_change;  /* when done last grew */
	double last_sample;
	uint64_t sample_done;
};

void meter_init(struct meter *m, double now);
void meter_update(struct meter *m, uint64_t done, uint64_t total, double now);
/* No progress for METER_STALL_SECONDS (never once finished). */
bool meter_stalled(const struct meter *m, double now);
/* Seconds left, < 0 when unknown. */
double meter_eta(const struct meter *m);
/* 0 to 100; < 0 when the total is unknown. */
int meter_percent(const struct meter *m);

#endif
