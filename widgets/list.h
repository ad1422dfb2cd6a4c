/* list: a scrolling picker with columns and a header row. Rows come from a
 * callback, so the list holds no copy of the data. */
#ifndef REVAULT_WIDGETS_LIST_H
#define REVAULT_WIDGETS_LIST_H

#include <stddef.h>
#include <curses.h>

struct list_column {
	const char *title;
	int width; /* 0: what is left */
};

struct list {
	const struct list_column *cols;
	int ncols;
	int nrows;
	int sel;
	int top;
	/* Writes row's text for col into buf. */
	void (*cell)(void *arg, int row, int col, char *buf, size_t cap);
	void *arg;
	const char *empty; /* shown when there are no rows */
};

/* Draws the header and as many rows as fit in h rows (header included). */
void list_draw(WINDOW *w, struct list *l, int y, int x, int h, int width);
/* Moves the selection; returns 1 when the key was the list's. */
int list_key(struct list *l, int ch, int page);

#endif
