/* progress: draws what it is given; no maths beyond the bar's length. */
#include "widgets/progress.h"

#include <stdio.h>
#include <string.h>

#include "themes/theme.h"
#include "widgets/frame.h"

static void draw_bar(WINDOW *w, int y, int x, int width, int percent)
{
	char pct[16];
	int barw = width - 7, fill;

	if (barw < 4)
		return;
	fill = percent > 0 ? (int)((double)barw * (double)percent / 100.0) : 0;
	wattrset(w, theme_attr(ROLE_FRAME));
	mvwaddch(w, y, x, '[');
	wattrset(w, theme_attr(ROLE_PROGRESS));
	for (int i = 0; i < barw - 2; i++)
		waddch(w, i < fill - 1 || (fill == barw && i < barw - 2) ? theme_line(LINE_FILL) : theme_line(LINE_EMPTY));
	wattrset(w, theme_attr(ROLE_FRAME));
	waddch(w, ']');
	if (percent >= 0)
		snprintf(pct, sizeof(pct), " %3d%%", percent);
	else
		snprintf(pct, sizeof(pct), "  ---");
	frame_text(w, y, x + barw, 7, pct, ROLE_NORMAL, 1);
}

void progress_draw(WINDOW *w, int y, int x, int width, const struct progress_view *v,
		   const char *cancel_hint)
{
	bool total = v->total != NULL && v->total[0] != '\0';
	char line[160];
	int hint = cancel_hint ? (int)strlen(cancel_hint) : 0;

	draw_bar(w, y, x, width, v->percent);
	if (total)
		snprintf(line, sizeof(line), "%s of %s  %s  ", v->done, v->total, v->rate);
	else
		snprintf(line, sizeof(line), "%s  %s  ", v->done, v->rate);
	frame_text(w, y + 1, x, width, line, ROLE_NORMAL, 1);
	if (v->stalled)
		frame_text(w, y + 1, x + (int)strlen(line), 13, "- stalled -", ROLE_WARNING, 0);
	else if (total) {
		frame_text(w, y + 1, x + (int)strlen(line), 4, "ETA ", ROLE_NORMAL, 0);
		waddstr(w, v->eta);
	}
	if (hint && hint < width / 2)
		frame_text(w, y + 1, x + width - hint, hint, cancel_hint, ROLE_DIM, 0);
}
