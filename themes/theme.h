/* theme: colour schemes as data, indexed by semantic role, and the line
 * style (box drawing or plain + - |). Screens and widgets ask for a role's
 * attributes and never name a colour themselves. */
#ifndef REVAULT_THEMES_THEME_H
#define REVAULT_THEMES_THEME_H

#include <stdbool.h>
#include <curses.h>

enum theme_role {
	ROLE_NORMAL,
	ROLE_TITLE,
	ROLE_FRAME,
	ROLE_SELECTED,
	ROLE_KEY,       /* the key name in the key bar */
	ROLE_KEYLABEL,  /* what the key does */
	ROLE_ERROR,
	ROLE_WARNING,
	ROLE_OK,
	ROLE_DIM,
	ROLE_FIELD,
	ROLE_FIELD_FOCUS,
	ROLE_PROGRESS,
	ROLE_COUNT
};

enum theme_line {
	LINE_H,
	LINE_V,
	LINE_UL,
	LINE_UR,
	LINE_LL,
	LINE_LR,
	LINE_FILL,  /* the done part of a progress bar */
	LINE_EMPTY, /* the rest of it */
	LINE_COUNT
};

struct theme_style {
	short fg, bg;  /* -1: the terminal's default */
	attr_t attr;   /* added to the colour pair */
	attr_t mono;   /* used alone when there is no colour */
};

struct theme {
	const char *name;
	struct theme_style role[ROLE_COUNT];
};

/* The compiled-in schemes: "default", "monochrome", "high-contrast". */
const struct theme *theme_find(const char *name);
const char *theme_name_at(int i);

/* Picks the scheme and line style after initscr(). Monochrome when asked
 * (mono, NO_COLOR, name "monochrome") or when the terminal has no colours;
 * ASCII lines when asked or when the locale is not UTF-8. */
void theme_apply(const char *name, bool mono, bool ascii);
attr_t theme_attr(enum theme_role r);
chtype theme_line(enum theme_line l);
bool theme_is_mono(void);
bool theme_is_ascii(void);
const char *theme_current(void);

/* Decisions theme_apply() takes, exposed for tests. */
bool theme_want_mono(bool asked, const char *name, const char *no_color, bool has_colour);
bool theme_want_ascii(bool asked, const char *codeset);

#endif
