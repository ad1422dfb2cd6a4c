/* progress: a bar with the percent, then the bytes, the rate, and the ETA
 * or "- stalled -", like OpenSSH's meter. It only draws: the caller gives
 * the numbers already smoothed and the sizes already written out (core's
 * job_progress does both). */
#ifndef REVAULT_WIDGETS_PROGRESS_H
#define REVAULT_WIDGETS_PROGRESS_H

#include <stdbool.h>
#include <curses.h>

struct progress_view {
	int percent;        /* 0 to 100; < 0 when the total is not known */
	const char *done;   /* "1.5 MiB" */
	const char *total;  /* "4.0 MiB"; NULL or "" when not known (no ETA then) */
	const char *rate;   /* "1.5 MiB/s" */
	const char *eta;    /* "02:03" */
	bool stalled;       /* "- stalled -" instead of the ETA */
};

/* Two rows at y: the bar with the percent, then bytes, rate, ETA (or
 * stalled) and the cancel hint on the right. */
void progress_draw(WINDOW *w, int y, int x, int width, const struct progress_view *v,
		   const char *cancel_hint);

#endif
