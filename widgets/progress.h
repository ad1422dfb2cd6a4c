/* progress: a bar with percent, bytes, a smoothed rate, the ETA, and
 * "- stalled -" after 5 s without progress, like OpenSSH's meter. The
 * caller feeds it the byte count and the time; the widget does the maths. */
#ifndef REVAULT_WIDGETS_PROGRESS_H
#define REVAULT_WIDGETS_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <curses.h>

#define PROGRESS_STALL_SECONDS 5.0

struct progress {
	uint64_t done;
	uint64_t total;      /* 0 when unknown */
	double rate;         /* bytes/s, exponentially smoothed */
	double last_change;  /* when done last grew */
	double last_sample;
	uint64_t sample_done;
	double t0;           /* when it started */
	bool started;
};

void progress_init(struct progress *p, double now);
void progress_update(struct progress *p, uint64_t done, uint64_t total, double now);
bool progress_stalled(const struct progress *p, double now);
/* Seconds left, < 0 when unknown. */
double progress_eta(const struct progress *p);
int progress_percent(const struct progress *p);

/* "1.5 MiB", "734 B" */
void progress_bytes(uint64_t n, char *buf, size_t cap);
/* "1:02:03", "02:03", "--:--" */
void progress_time(double seconds, char *buf, size_t cap);

/* Two rows at y: the bar with the percent, then bytes, rate, ETA (or
 * stalled) and the cancel hint on the right. */
void progress_draw(WINDOW *w, int y, int x, int width, const struct progress *p, double now,
		   const char *cancel_hint);

#endif
