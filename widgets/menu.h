/* menu: a vertical list of actions, moved with the arrows and chosen with
 * Enter or the item's own letter. A thin layer over ncurses' libmenu
 * (menu(3X)): libmenu keeps the current item and draws the rows; this
 * widget keeps the look (" K  Label", the letter in the key colour, the
 * chosen row as wide as the menu) and the key table. */
#ifndef REVAULT_WIDGETS_MENU_H
#define REVAULT_WIDGETS_MENU_H

#include <curses.h>

struct menu_item {
	const char *label;
	int hotkey;        /* a lower-case letter or digit, 0 for none */
	const char *hint;  /* one line shown beside the item when selected */
};

struct menu_impl; /* the libmenu MENU and its items, made on first use */

struct menu {
	const struct menu_item *items;
	int n;
	int sel;                /* the current item; may be set by the caller */
	struct menu_impl *impl; /* private; NULL until first drawn or keyed */
};

/* Draws n rows of width columns at (y, x) of w. */
void menu_draw(WINDOW *w, const struct menu *m, int y, int x, int width);
/* menu_draw in at most nrows rows: a longer menu scrolls to keep the
 * current item in view. */
void menu_draw_rows(WINDOW *w, const struct menu *m, int y, int x, int width, int nrows);
/* Returns the index chosen (Enter or a hotkey), -1 when the key only moved
 * or was not the menu's, and sets *used when the menu took the key. */
int menu_key(struct menu *m, int ch, int *used);
/* Frees what libmenu holds for m (a menu that lives until exit need not). */
void menu_free(struct menu *m);

#endif
