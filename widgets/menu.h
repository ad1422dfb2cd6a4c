/* menu: a vertical list of actions, moved with the arrows and chosen with
 * Enter or the item's own letter. */
#ifndef REVAULT_WIDGETS_MENU_H
#define REVAULT_WIDGETS_MENU_H

#include <curses.h>

struct menu_item {
	const char *label;
	int hotkey;        /* a lower-case letter or digit, 0 for none */
	const char *hint;  /* one line shown beside the item when selected */
};

struct menu {
	const struct menu_item *items;
	int n;
	int sel;
};

void menu_draw(WINDOW *w, const struct menu *m, int y, int x, int width);
/* Returns the index chosen (Enter or a hotkey), -1 when the key only moved
 * or was not the menu's, and sets *used when the menu took the key. */
int menu_key(struct menu *m, int ch, int *used);

#endif
