/* menu: libmenu keeps the current item and draws the rows into a pad of
 * the menu's own size, which is copied onto the screen at each draw, so a
 * screen that erases and redraws itself never loses the menu. Selection
 * moves and hotkeys come from a table. */
#include "widgets/menu.h"

#include <ctype.h>
#include <stdbool.h>
#include <menu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "themes/theme.h"
#include "widgets/keys.h"

enum { M_UP = 1, M_DOWN, M_HOME, M_END, M_CHOOSE };

static const struct keymap menu_keys[] = {
	{ KEY_UP, M_UP }, { KEY_DOWN, M_DOWN },
	{ KEY_HOME, M_HOME }, { KEY_END, M_END }, { KEY_PPAGE, M_HOME }, { KEY_NPAGE, M_END },
	{ KEY_FIND, M_HOME }, { KEY_SELECT, M_END }, /* a VT220 keyboard's Home and End */
	{ '\n', M_CHOOSE }, { '\r', M_CHOOSE }, { KEY_ENTER, M_CHOOSE }, { KEY_RIGHT, M_CHOOSE },
	{ 0, 0 },
};

struct menu_impl {
	MENU *menu;
	ITEM **items; /* n + 1, NULL-ended as new_menu wants */
	char **names; /* each item's row, padded to width */
	WINDOW *pad;
	int width;
	int top;      /* the first item in view when fewer rows than items show */
};

void menu_free(struct menu *m)
{
	struct menu_impl *im = m->impl;

	if (im == NULL)
		return;
	unpost_menu(im->menu);
	free_menu(im->menu);
	for (int i = 0; i < m->n; i++) {
		free_item(im->items[i]);
		free(im->names[i]);
	}
	free(im->items);
	free(im->names);
	if (im->pad != NULL)
		delwin(im->pad);
	free(im);
	m->impl = NULL;
}

/* The row " K  Label" cut or padded to width columns; a cut label ends in
 * "..." (the labels are ASCII). */
static char *row_text(const struct menu_item *it, int width)
{
	char *s = calloc(1, (size_t)width + 1);
	int n;

	if (s == NULL)
		abort();
	n = snprintf(s, (size_t)width + 1, " %c  %s", it->hotkey ? toupper(it->hotkey) : ' ', it->label);
	if (n > width && width > 3)
		memcpy(s + width - 3, "...", 3);
	for (int i = n < width ? n : width; i < width; i++)
		s[i] = ' ';
	return s;
}

/* True when the menu was made for these rows (a label such as
 * "Protected: on" changes with the setting). */
static bool impl_current(const struct menu *m, const struct menu_impl *im, int width)
{
	bool same = im != NULL && im->width == width;

	for (int i = 0; same && i < m->n; i++) {
		char *row = row_text(&m->items[i], width);

		same = strcmp(row, im->names[i]) == 0;
		free(row);
	}
	return same;
}

/* (Re)builds the libmenu menu for width columns; the current item is kept. */
static struct menu_impl *impl_for(struct menu *m, int width)
{
	struct menu_impl *im = m->impl;
	int sel = m->sel;

	if (impl_current(m, im, width))
		return im;
	menu_free(m);
	im = calloc(1, sizeof(*im));
	if (im == NULL || (im->items = calloc((size_t)m->n + 1, sizeof(ITEM *))) == NULL ||
	    (im->names = calloc((size_t)m->n + 1, sizeof(char *))) == NULL)
		abort();
	im->width = width;
	for (int i = 0; i < m->n; i++) {
		im->names[i] = row_text(&m->items[i], width);
		im->items[i] = new_item(im->names[i], "");
	}
	im->menu = new_menu(im->items);
	set_menu_mark(im->menu, "");
	menu_opts_off(im->menu, O_SHOWDESC);
	set_menu_format(im->menu, m->n, 1);
	im->pad = newpad(m->n > 0 ? m->n : 1, width);
	set_menu_win(im->menu, im->pad);
	set_menu_sub(im->menu, im->pad);
	m->impl = im;
	m->sel = sel >= 0 && sel < m->n ? sel : 0;
	if (m->n > 0)
		set_current_item(im->menu, im->items[m->sel]);
	/* menu_driver works on a posted menu only. */
	post_menu(im->menu);
	return im;
}

/* The caller may have set sel; libmenu follows it. */
static void follow_sel(struct menu *m, struct menu_impl *im)
{
	if (m->n > 0 && m->sel >= 0 && m->sel < m->n && current_item(im->menu) != im->items[m->sel])
		set_current_item(im->menu, im->items[m->sel]);
}

void menu_draw(WINDOW *w, const struct menu *cm, int y, int x, int width)
{
	menu_draw_rows(w, cm, y, x, width, cm->n);
}

void menu_draw_rows(WINDOW *w, const struct menu *cm, int y, int x, int width, int nrows)
{
	/* const in the signature for the screens that draw from a const
	 * state; the menu itself is never a const object, and drawing it
	 * makes its libmenu half on first use. */
	struct menu *m = (struct menu *)cm;
	struct menu_impl *im;
	int rows, cols;

	if (m->n <= 0 || width <= 0)
		return;
	im = impl_for(m, width);
	/* Colours and letters follow the theme, which may change under us. */
	set_menu_fore(im->menu, theme_attr(ROLE_SELECTED));
	set_menu_back(im->menu, theme_attr(ROLE_NORMAL));
	follow_sel(m, im);
	unpost_menu(im->menu);
	post_menu(im->menu);
	for (int i = 0; i < m->n; i++) {
		/* chgat takes the colour pair apart from the attributes: a pair
		 * left in attr would be replaced by the pair argument. */
		if (i != m->sel && m->items[i].hotkey) {
			attr_t key = theme_attr(ROLE_KEY);

			mvwchgat(im->pad, i, 1, 1, key & ~A_COLOR, (short)PAIR_NUMBER(key), NULL);
		}
	}
	rows = nrows < m->n ? nrows : m->n;
	if (getmaxy(w) - y < rows)
		rows = getmaxy(w) - y;
	cols = getmaxx(w) - x < width ? getmaxx(w) - x : width;
	if (rows <= 0 || cols <= 0)
		return;
	/* The window onto the pad follows the current item. */
	if (m->sel < im->top)
		im->top = m->sel;
	if (m->sel >= im->top + rows)
		im->top = m->sel - rows + 1;
	if (im->top > m->n - rows)
		im->top = m->n - rows;
	if (im->top < 0)
		im->top = 0;
	copywin(im->pad, w, im->top, 0, y, x, y + rows - 1, x + cols - 1, FALSE);
}

int menu_key(struct menu *m, int ch, int *used)
{
	static const int req[] = {
		[M_UP] = REQ_UP_ITEM, [M_DOWN] = REQ_DOWN_ITEM, [M_HOME] = REQ_FIRST_ITEM, [M_END] = REQ_LAST_ITEM,
	};
	int act = keymap_lookup(menu_keys, ch);
	struct menu_impl *im;

	*used = 0;
	if (m->n <= 0)
		return -1;
	im = impl_for(m, m->impl != NULL ? m->impl->width : 1);
	follow_sel(m, im);
	*used = 1;
	switch (act) {
	case M_UP:
	case M_DOWN:
		/* libmenu stops at the ends; the menu goes round. */
		if (menu_driver(im->menu, req[act]) == E_REQUEST_DENIED)
			menu_driver(im->menu, act == M_UP ? REQ_LAST_ITEM : REQ_FIRST_ITEM);
		m->sel = item_index(current_item(im->menu));
		return -1;
	case M_HOME:
	case M_END:
		menu_driver(im->menu, req[act]);
		m->sel = item_index(current_item(im->menu));
		return -1;
	case M_CHOOSE:
		return m->sel;
	default:
		break;
	}
	for (int i = 0; ch > 0 && ch < 256 && i < m->n; i++)
		if (m->items[i].hotkey && m->items[i].hotkey == tolower(ch)) {
			set_current_item(im->menu, im->items[i]);
			m->sel = i;
			return i;
		}
	*used = 0;
	return -1;
}
