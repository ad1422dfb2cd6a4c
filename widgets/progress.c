/* progress: rate smoothing is an exponential moving average sampled at
 * most four times a second, so a burst does not swing the ETA. */
#include "widgets/progress.h"

#include <stdio.h>
#include <string.h>

#include "themes/theme.h"
#include "widgets/frame.h"

#define SAMPLE_SECONDS 0.25
#define SMOOTH 0.3

void progress_init(struct progress *p, double now)
{
	memset(p, 0, sizeof(*p));
	p->last_change = p->last_sample = p->t0 = now;
	p->started = true;
}

void progress_update(struct progress *p, uint64_t done, uint64_t total, double now)
{
	double dt = now - p->last_sample;

	if (!p->started)
		progress_init(p, now);
	p->total = total;
	if (done > p->done)
		p->last_change = now;
	p->done = done;
	/* Finished: keep the rate it ran at (the average, when it finished
	 * before a first sample) instead of letting it decay to zero. */
	if (total > 0 && done >= total) {
		if (p->rate <= 0 && now > p->t0)
			p->rate = (double)done / (now - p->t0);
		return;
	}
	if (dt < SAMPLE_SECONDS)
		return;
	if (done >= p->sample_done) {
		double inst = (double)(done - p->sample_done) / dt;

		p->rate = p->rate <= 0 ? inst : (1 - SMOOTH) * p->rate + SMOOTH * inst;
	}
	p->sample_done = done;
	p->last_sample = now;
}

bool progress_stalled(const struct progress *p, double now)
{
	if (p->total > 0 && p->done >= p->total)
		return false;
	return now - p->last_change >= PROGRESS_STALL_SECONDS;
}

double progress_eta(const struct progress *p)
{
	if (p->total == 0 || p->rate <= 0 || p->done > p->total)
		return -1;
	return (double)(p->total - p->done) / p->rate;
}

int progress_percent(const struct progress *p)
{
	double pc;

	if (p->total == 0)
		return 0;
	pc = 100.0 * (double)p->done / (double)p->total;
	return pc > 100 ? 100 : (int)pc;
}

void progress_bytes(uint64_t n, char *buf, size_t cap)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, cap, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, cap, "%.1f %s", v, unit[u]);
}

void progress_time(double s, char *buf, size_t cap)
{
	long t;

	if (s < 0 || s > 99 * 3600.0) {
		snprintf(buf, cap, "--:--");
		return;
	}
	t = (long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, cap, "%d:%02d:%02d", (int)(t / 3600 % 100), (int)(t / 60 % 60), (int)(t % 60));
	else
		snprintf(buf, cap, "%02d:%02d", (int)(t / 60 % 60), (int)(t % 60));
}

static void draw_bar(WINDOW *w, int y, int x, int width, const struct progress *p)
{
	char pct[8];
	int barw = width - 7, fill;

	if (barw < 4)
		return;
	fill = p->total ? (int)((double)barw * (double)progress_percent(p) / 100.0) : 0;
	wattrset(w, theme_attr(ROLE_FRAME));
	mvwaddch(w, y, x, '[');
	wattrset(w, theme_attr(ROLE_PROGRESS));
	for (int i = 0; i < barw - 2; i++)
		waddch(w, i < fill - 1 || (fill == barw && i < barw - 2) ? theme_line(LINE_FILL) : theme_line(LINE_EMPTY));
	wattrset(w, theme_attr(ROLE_FRAME));
	waddch(w, ']');
	if (p->total)
		snprintf(pct, sizeof(pct), " %3d%%", progress_percent(p));
	else
		snprintf(pct, sizeof(pct), "  ---");
	frame_text(w, y, x + barw, 7, pct, ROLE_NORMAL, 1);
}

void progress_draw(WINDOW *w, int y, int x, int width, const struct progress *p, double now,
		   const char *cancel_hint)
{
	char done[24], total[24], rate[24], eta[16], line[160];
	int hint = cancel_hint ? (int)strlen(cancel_hint) : 0;

	draw_bar(w, y, x, width, p);
	progress_bytes(p->done, done, sizeof(done));
	progress_bytes(p->total, total, sizeof(total));
	progress_bytes((uint64_t)(p->rate > 0 ? p->rate : 0), rate, sizeof(rate));
	progress_time(progress_eta(p), eta, sizeof(eta));
	if (p->total)
		snprintf(line, sizeof(line), "%s of %s  %s/s  ", done, total, rate);
	else
		snprintf(line, sizeof(line), "%s  %s/s  ", done, rate);
	frame_text(w, y + 1, x, width, line, ROLE_NORMAL, 1);
	if (progress_stalled(p, now))
		frame_text(w, y + 1, x + (int)strlen(line), 13, "- stalled -", ROLE_WARNING, 0);
	else if (p->total) {
		frame_text(w, y + 1, x + (int)strlen(line), 4, "ETA ", ROLE_NORMAL, 0);
		waddstr(w, eta);
	}
	if (hint && hint < width / 2)
		frame_text(w, y + 1, x + width - hint, hint, cancel_hint, ROLE_DIM, 0);
}
