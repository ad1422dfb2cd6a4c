/* frame: the pieces every screen draws: a title bar on the first row, a
 * status line above the key bar, boxes in the theme's line style, and text
 * clipped or wrapped to a width. */
#ifndef REVAULT_WIDGETS_FRAME_H
#define REVAULT_WIDGETS_FRAME_H

#include <curses.h>

#include "themes/theme.h"

void frame_title(WINDOW *w, const char *title, const char *right);
/* The status line (second-to-last row); msg may be NULL. */
void frame_status(WINDOW *w, const char *msg, enum theme_role role);
void frame_box(WINDOW *w, int y, int x, int h, int wd, enum theme_role role);
/* Writes at most width columns of s, padding with spaces when pad; text
 * that does not fit ends in an ellipsis (… in UTF-8, ... with ASCII
 * lines), so a cut value is never taken for the whole. */
void frame_text(WINDOW *w, int y, int x, int width, const char *s, enum theme_role role, int pad);
/* frame_text without the ellipsis, for what scrolls in view by itself
 * (a text field around its cursor). */
void frame_clip(WINDOW *w, int y, int x, int width, const char *s, enum theme_role role, int pad);
/* Writes s wrapped at width from row y; returns the rows used (at most maxrows). */
int frame_wrap(WINDOW *w, int y, int x, int width, int maxrows, const char *s, enum theme_role role);
/* Rows frame_wrap would use, for sizing a dialog. */
int frame_wrap_rows(int width, const char *s);
/* A centred notice when the terminal is smaller than minw x minh. */
void frame_too_small(WINDOW *w, int minw, int minh);

#endif
