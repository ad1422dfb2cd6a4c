/* meter: rate smoothing and what follows from it. */
#include "core/meter.h"

#include <string.h>

#define SAMPLE_SECONDS 0.25
#define SMOOTH 0.3

void meter_init(struct meter *m, double now)
{
	memset(m, 0, sizeof(*m));
	m->t0 = m->last_change = m->last_sample = now;
}

void meter_update(struct meter *m, uint64_t done, uint64_t total, double now)
{
	double dt = now - m->last_sample;

	m->total = total;
	if (done > m->done)
		m->last_change = now;
	m->done = done;
	/* Finished: keep the rate it ran at (the average, when it finished
	 * before a first sample) instead of letting it decay to zero. */
	if (total > 0 && done >= total) {
		if (m->rate <= 0 && now > m->t0)
			m->rate = (double)done / (now - m->t0);
		return;
	}
	if (dt < SAMPLE_SECONDS)
		return;
	if (done >= m->sample_done) {
		double inst = (double)(done - m->sample_done) / dt;

		m->rate = m->rate <= 0 ? inst : (1 - SMOOTH) * m->rate + SMOOTH * inst;
	}
	m->sample_done = done;
	m->last_sample = now;
}

bool meter_stalled(const struct meter *m, double now)
{
	if (m->total > 0 && m->done >= m->total)
		return false;
	return now - m->last_change >= METER_STALL_SECONDS;
}

double meter_eta(const struct meter *m)
{
	if (m->total == 0 || m->rate <= 0 || m->done > m->total)
		return -1;
	return (double)(m->total - m->done) / m->rate;
}

int meter_percent(const struct meter *m)
{
	double pc;

	if (m->total == 0)
		return -1;
	pc = 100.0 * (double)m->done / (double)m->total;
	return pc > 100 ? 100 : (int)pc;
}
