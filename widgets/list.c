/* list: columns laid out left to right, the last one taking the rest. */
#include "widgets/list.h"

#include "themes/theme.h"
#include "widgets/frame.h"
#include "widgets/keys.h"

enum { L_UP = 1, L_DOWN, L_PGUP, L_PGDN, L_HOME, L_END };

static const struct keymap list_keys[] = {
	{ KEY_UP, L_UP }, { 'k', L_UP }, { KEY_DOWN, L_DOWN }, { 'j', L_DOWN },
	{ KEY_PPAGE, L_PGUP }, { KEY_NPAGE, L_PGDN }, { KEY_HOME, L_HOME }, { KEY_END, L_END },
	{ 0, 0 },
};

static void draw_row(WINDOW *w, struct list *l, int row, int y, int x, int width)
{
	/* The header (row -1) is one bar, the gaps between its titles too. */
	enum theme_role role = row < 0 ? ROLE_TITLE : row == l->sel ? ROLE_SELECTED : ROLE_NORMAL;
	int cx = x;
	char buf[256];

	frame_text(w, y, x, width, "", role, 1);
	for (int c = 0; c < l->ncols && cx < x + width; c++) {
		int cw = l->cols[c].width ? l->cols[c].width : x + width - cx;

		if (cx + cw > x + width)
			cw = x + width - cx;
		buf[0] = '\0';
		if (row >= 0)
			l->cell(l->arg, row, c, buf, sizeof(buf));
		frame_text(w, y, cx, cw - 1, row >= 0 ? buf : l->cols[c].title, role, 0);
		cx += cw;
	}
}

void list_draw(WINDOW *w, struct list *l, int y, int x, int h, int width)
{
	int rows = h - 1;

	frame_text(w, y, x, width, "", ROLE_TITLE, 1);
	draw_row(w, l, -1, y, x, width);
	if (l->nrows == 0) {
		frame_text(w, y + 1, x + 1, width - 1, l->empty ? l->empty : "(empty)", ROLE_DIM, 0);
		return;
	}
	if (l->sel >= l->nrows)
		l->sel = l->nrows - 1;
	if (l->sel < 0)
		l->sel = 0;
	if (l->sel < l->top)
		l->top = l->sel;
	if (l->sel >= l->top + rows)
		l->top = l->sel - rows + 1;
	for (int i = 0; i < rows && l->top + i < l->nrows; i++)
		draw_row(w, l, l->top + i, y + 1 + i, x, width);
}

int list_key(struct list *l, int ch, int page)
{
	switch (keymap_lookup(list_keys, ch)) {
	case L_UP:
		l->sel--;
		break;
	case L_DOWN:
		l->sel++;
		break;
	case L_PGUP:
		l->sel -= page > 1 ? page : 1;
		break;
	case L_PGDN:
		l->sel += page > 1 ? page : 1;
		break;
	case L_HOME:
		l->sel = 0;
		break;
	case L_END:
		l->sel = l->nrows - 1;
		break;
	default:
		return 0;
	}
	if (l->sel >= l->nrows)
		l->sel = l->nrows - 1;
	if (l->sel < 0)
		l->sel = 0;
	return 1;
}
