/* frame: shared drawing. */
#include "widgets/frame.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* Multibyte text (file names, messages with dashes) is decoded in the
 * current locale and clipped by display columns; what the locale cannot
 * decode, or cannot show, becomes '?'. */
/* Decodes the character at *s, steps past it and returns its display
 * width (1 for what is shown as '?' or a blank). */
static int next_char(const char **s, mbstate_t *mb, wchar_t *wc)
{
	size_t n = mbrtowc(wc, *s, MB_CUR_MAX, mb);
	int cw;

	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		memset(mb, 0, sizeof(*mb));
		*wc = L'?';
		n = 1;
	}
	cw = wcwidth(*wc);
	if (*wc < L' ' || cw < 0) {
		*wc = *wc < L' ' ? L' ' : L'?';
		cw = 1;
	}
	*s += n;
	return cw;
}

/* True when s is wider than width columns. */
static bool too_wide(const char *s, int width)
{
	mbstate_t mb;
	wchar_t wc;
	int cols = 0;

	memset(&mb, 0, sizeof(mb));
	while (s != NULL && *s != '\0' && cols <= width)
		cols += next_char(&s, &mb, &wc);
	return cols > width;
}

static void put_text(WINDOW *w, int y, int x, int width, const char *s, enum theme_role role, int pad,
		     bool ellipsis)
{
	const char *ell = theme_is_ascii() ? "..." : "\xe2\x80\xa6";
	int ell_w = theme_is_ascii() ? 3 : 1, cols = 0, room = width;
	mbstate_t mb;

	if (width <= 0 || y < 0 || y >= getmaxy(w))
		return;
	/* A cut value says so: the ellipsis takes the last columns. */
	if (ellipsis && width > ell_w && too_wide(s, width))
		room = width - ell_w;
	else
		ellipsis = false;
	memset(&mb, 0, sizeof(mb));
	wattrset(w, theme_attr(role));
	wmove(w, y, x);
	while (s != NULL && *s != '\0' && cols < room) {
		const char *at = s;
		wchar_t wc;
		int cw = next_char(&s, &mb, &wc);

		if (cols + cw > room) {
			s = at;
			break;
		}
		waddnwstr(w, &wc, 1);
		cols += cw;
	}
	if (ellipsis) {
		waddstr(w, ell);
		cols += ell_w;
	}
	for (; pad && cols < width; cols++)
		waddch(w, ' ');
	wattrset(w, theme_attr(ROLE_NORMAL));
}

void frame_text(WINDOW *w, int y, int x, int width, const char *s, enum theme_role role, int pad)
{
	put_text(w, y, x, width, s, role, pad, true);
}

void frame_clip(WINDOW *w, int y, int x, int width, const char *s, enum theme_role role, int pad)
{
	put_text(w, y, x, width, s, role, pad, false);
}

void frame_title(WINDOW *w, const char *title, const char *right)
{
	int maxx = getmaxx(w);

	frame_text(w, 0, 0, maxx, "", ROLE_TITLE, 1);
	frame_text(w, 0, 1, maxx - 2, title, ROLE_TITLE, 0);
	if (right != NULL && (int)strlen(right) + (int)strlen(title) + 4 < maxx)
		frame_text(w, 0, maxx - 1 - (int)strlen(right), (int)strlen(right), right, ROLE_TITLE, 0);
}

void frame_status(WINDOW *w, const char *msg, enum theme_role role)
{
	int y = getmaxy(w) - 2;

	frame_text(w, y, 0, getmaxx(w), "", ROLE_NORMAL, 1);
	if (msg != NULL)
		frame_text(w, y, 1, getmaxx(w) - 2, msg, role, 0);
}

void frame_box(WINDOW *w, int y, int x, int h, int wd, enum theme_role role)
{
	wattrset(w, theme_attr(role));
	mvwaddch(w, y, x, theme_line(LINE_UL));
	mvwhline(w, y, x + 1, theme_line(LINE_H), wd - 2);
	mvwaddch(w, y, x + wd - 1, theme_line(LINE_UR));
	mvwvline(w, y + 1, x, theme_line(LINE_V), h - 2);
	mvwvline(w, y + 1, x + wd - 1, theme_line(LINE_V), h - 2);
	mvwaddch(w, y + h - 1, x, theme_line(LINE_LL));
	mvwhline(w, y + h - 1, x + 1, theme_line(LINE_H), wd - 2);
	mvwaddch(w, y + h - 1, x + wd - 1, theme_line(LINE_LR));
	wattrset(w, theme_attr(ROLE_NORMAL));
}

/* The length in bytes of the next line of s that fits width display
 * columns, breaking at a space when there is one; *skip is what to step
 * over after it. */
static int wrap_len(const char *s, int width, int *skip)
{
	const char *p = s;
	mbstate_t mb;
	wchar_t wc;
	int cols = 0, brk = -1;

	*skip = 0;
	memset(&mb, 0, sizeof(mb));
	while (*p != '\0' && *p != '\n') {
		const char *at = p;
		int cw = next_char(&p, &mb, &wc);

		if (cols + cw > width) {
			p = at;
			break;
		}
		if (*at == ' ')
			brk = (int)(at - s);
		cols += cw;
	}
	if (*p == '\n') {
		*skip = 1;
		return (int)(p - s);
	}
	if (*p == '\0' || brk <= 0) {
		/* A character wider than the whole width still goes on a row of
		 * its own (cut there), so the text moves on. */
		if (p == s && *p != '\0') {
			memset(&mb, 0, sizeof(mb));
			next_char(&p, &mb, &wc);
		}
		return (int)(p - s);
	}
	*skip = 1;
	return brk;
}

int frame_wrap(WINDOW *w, int y, int x, int width, int maxrows, const char *s, enum theme_role role)
{
	int rows = 0, skip, n;
	char line[512];

	if (width <= 0)
		return 0;
	while (s != NULL && *s != '\0' && rows < maxrows) {
		n = wrap_len(s, width, &skip);
		/* The last row of the room with more to come is the rest cut
		 * with an ellipsis (frame_text), so a cut text says so. */
		if (rows == maxrows - 1 && s[n + skip] != '\0') {
			if (w != NULL)
				frame_text(w, y + rows, x, width, s, role, 0);
			return rows + 1;
		}
		if (n >= (int)sizeof(line)) {
			n = (int)sizeof(line) - 1;
			skip = 0;
		}
		memcpy(line, s, (size_t)n);
		line[n] = '\0';
		if (w != NULL)
			frame_text(w, y + rows, x, width, line, role, 0);
		s += n + skip;
		rows++;
	}
	return rows;
}

int frame_wrap_rows(int width, const char *s)
{
	return frame_wrap(NULL, 0, 0, width, 1000, s, ROLE_NORMAL);
}

void frame_too_small(WINDOW *w, int minw, int minh)
{
	char msg[96];
	int h = getmaxy(w), wd = getmaxx(w), len;

	werase(w);
	len = snprintf(msg, sizeof(msg), "Terminal too small: %dx%d, needs %dx%d", wd, h, minw, minh);
	if (len > wd)
		len = wd;
	frame_text(w, h / 2, (wd - len) / 2 > 0 ? (wd - len) / 2 : 0, wd, msg, ROLE_WARNING, 0);
}
