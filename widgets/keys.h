/* keys: key bindings as tables, the key reader that turns Esc-digit into
 * the matching F-key (for terminals without function keys), and the key bar
 * on the last row that shows what each key does. */
#ifndef REVAULT_WIDGETS_KEYS_H
#define REVAULT_WIDGETS_KEYS_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

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
/* Reads the Home and End sequences of VT-style terminals as KEY_HOME and
 * KEY_END where the terminal's terminfo entry does not bind them already:
 * ESC [ 1 ~ / ESC [ 4 ~ (VT220 Find/Select, the Linux console, tmux,
 * screen), ESC [ 7 ~ / ESC [ 8 ~ (rxvt), ESC [ H / ESC [ F and ESC O H /
 * ESC O F (xterm's normal and application modes). Call after initscr. */
void keys_init(void);
/* Sets the read timeout (ms, -1 blocks) of keys_get. */
void keys_timeout(WINDOW *w, int ms);
int keys_get_timeout(void);

/* A screen's keys, read by both its key handling and its key bar: a row
 * binds codes to the screen's action and shows as "F5/a Add". A row
 * without a label binds without showing (Enter beside F5); a row with
 * action 0 shows a key the loop or a widget handles (F1, F10, Tab). A
 * table ends with a row that has neither. */
#define KEYBIND_CODES 6
struct keybind {
	const char *fkey;   /* "F2", or NULL */
	const char *letter; /* "s", "Esc", or NULL */
	const char *label;
	int action;
	int codes[KEYBIND_CODES]; /* ended by 0 or the array's end */
};

/* The action bound to key, or 0 when none. */
int keybind_lookup(const struct keybind *t, int key);
/* The keys of a row as the bar and the help show them: "F5/a", "Esc". */
const char *keybind_name(const struct keybind *b, char *buf, size_t cap);
/* True for the row that ends a table. */
bool keybind_is_end(const struct keybind *b);
/* Draws the labelled rows on the last row of w. */
void keybar_draw(WINDOW *w, const struct keybind *t);

/* Wipes a secret so the compiler cannot drop the store. */
void keys_wipe(void *p, size_t n);

#endif
