/* keys: key bindings as tables, the key reader that turns Esc-digit into
 * the matching F-key (for terminals without function keys), and the key bar
 * on the last row that shows what each key does. */
#ifndef REVAULT_WIDGETS_KEYS_H
#define REVAULT_WIDGETS_KEYS_H

#include <curses.h>

#define KEY_ESC 27
#define KEY_TAB '\t'
#define KEY_CTRL(c) ((c) & 0x1f)

/* One binding: a curses key code to a widget's or screen's own action.
 * A table ends with { 0, 0 }. */
struct keymap {
	int key;
	int action;
};

/* The action bound to key, or 0 when none. */
int keymap_lookup(const struct keymap *m, int key);

/* Reads a key from w honouring its timeout; Esc then a digit within a
 * short while becomes F1..F10 (Esc 0 is F10). ERR on timeout. */
int keys_get(WINDOW *w);
/* Sets the read timeout (ms, -1 blocks) of keys_get. */
void keys_timeout(WINDOW *w, int ms);
int keys_get_timeout(void);

/* An entry of the key bar: "F2" "s" "Save" shows as "F2/s Save". */
struct keybar_item {
	const char *fkey;   /* "F2", or NULL */
	const char *letter; /* "s", "Esc", or NULL */
	const char *label;
};

/* Draws items on the last row of w; a NULL label ends the list. */
void keybar_draw(WINDOW *w, const struct keybar_item *items);

/* Wipes a secret so the compiler cannot drop the store. */
void keys_wipe(void *p, size_t n);

#endif
