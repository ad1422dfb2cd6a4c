/* theme: the schemes are plain tables; applying one turns each role into
 * a colour pair (or the mono attribute) once, so drawing is a lookup. */
#include "themes/theme.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEF (-1)

static const struct theme themes[] = {
	{
		.name = "default",
		.role = {
			[ROLE_NORMAL]      = { DEF, DEF, A_NORMAL, A_NORMAL },
			[ROLE_TITLE]       = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE },
			[ROLE_FRAME]       = { COLOR_CYAN, DEF, A_NORMAL, A_NORMAL },
			[ROLE_SELECTED]    = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
			/* The terminal's own foreground: white on its own
			 * background vanishes on a light terminal. */
			[ROLE_KEY]         = { DEF, DEF, A_BOLD, A_BOLD },
			[ROLE_KEYLABEL]    = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
			[ROLE_ERROR]       = { COLOR_RED, DEF, A_BOLD, A_BOLD },
			[ROLE_WARNING]     = { COLOR_YELLOW, DEF, A_BOLD, A_BOLD },
			[ROLE_OK]          = { COLOR_GREEN, DEF, A_NORMAL, A_NORMAL },
			[ROLE_DIM]         = { COLOR_BLUE, DEF, A_BOLD, A_DIM },
			[ROLE_FIELD]       = { DEF, DEF, A_UNDERLINE, A_UNDERLINE },
			[ROLE_FIELD_FOCUS] = { COLOR_BLACK, COLOR_WHITE, A_NORMAL, A_REVERSE },
			[ROLE_PROGRESS]    = { COLOR_GREEN, DEF, A_BOLD, A_BOLD },
		},
	},
	{
		.name = "monochrome",
		.role = {
			[ROLE_NORMAL]      = { DEF, DEF, A_NORMAL, A_NORMAL },
			[ROLE_TITLE]       = { DEF, DEF, A_REVERSE, A_REVERSE },
			[ROLE_FRAME]       = { DEF, DEF, A_NORMAL, A_NORMAL },
			[ROLE_SELECTED]    = { DEF, DEF, A_REVERSE, A_REVERSE },
			[ROLE_KEY]         = { DEF, DEF, A_BOLD, A_BOLD },
			[ROLE_KEYLABEL]    = { DEF, DEF, A_REVERSE, A_REVERSE },
			[ROLE_ERROR]       = { DEF, DEF, A_BOLD, A_BOLD },
			[ROLE_WARNING]     = { DEF, DEF, A_BOLD, A_BOLD },
			[ROLE_OK]          = { DEF, DEF, A_NORMAL, A_NORMAL },
			[ROLE_DIM]         = { DEF, DEF, A_DIM, A_DIM },
			[ROLE_FIELD]       = { DEF, DEF, A_UNDERLINE, A_UNDERLINE },
			[ROLE_FIELD_FOCUS] = { DEF, DEF, A_REVERSE, A_REVERSE },
			[ROLE_PROGRESS]    = { DEF, DEF, A_BOLD, A_BOLD },
		},
	},
	{
		.name = "high-contrast",
		.role = {
			[ROLE_NORMAL]      = { COLOR_WHITE, COLOR_BLACK, A_BOLD, A_NORMAL },
			[ROLE_TITLE]       = { COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_REVERSE },
			[ROLE_FRAME]       = { COLOR_WHITE, COLOR_BLACK, A_BOLD, A_NORMAL },
			[ROLE_SELECTED]    = { COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_REVERSE },
			[ROLE_KEY]         = { COLOR_YELLOW, COLOR_BLACK, A_BOLD, A_BOLD },
			[ROLE_KEYLABEL]    = { COLOR_BLACK, COLOR_WHITE, A_BOLD, A_REVERSE },
			[ROLE_ERROR]       = { COLOR_WHITE, COLOR_RED, A_BOLD, A_BOLD },
			[ROLE_WARNING]     = { COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_BOLD },
			[ROLE_OK]          = { COLOR_GREEN, COLOR_BLACK, A_BOLD, A_NORMAL },
			[ROLE_DIM]         = { COLOR_WHITE, COLOR_BLACK, A_NORMAL, A_NORMAL },
			[ROLE_FIELD]       = { COLOR_WHITE, COLOR_BLACK, A_UNDERLINE | A_BOLD, A_UNDERLINE },
			[ROLE_FIELD_FOCUS] = { COLOR_BLACK, COLOR_WHITE, A_BOLD, A_REVERSE },
			[ROLE_PROGRESS]    = { COLOR_YELLOW, COLOR_BLACK, A_BOLD, A_BOLD },
		},
	},
};

static struct {
	const struct theme *theme;
	bool mono;
	bool ascii;
	attr_t attr[ROLE_COUNT];
} cur = { .theme = &themes[0], .mono = true, .ascii = true };

const struct theme *theme_find(const char *name)
{
	for (size_t i = 0; i < sizeof(themes) / sizeof(themes[0]); i++)
		if (name != NULL && strcmp(themes[i].name, name) == 0)
			return &themes[i];
	return NULL;
}

const char *theme_name_at(int i)
{
	if (i < 0 || (size_t)i >= sizeof(themes) / sizeof(themes[0]))
		return NULL;
	return themes[i].name;
}

bool theme_want_mono(bool asked, const char *name, const char *no_color, bool has_colour)
{
	if (asked || !has_colour)
		return true;
	if (no_color != NULL && no_color[0] != '\0')
		return true;
	return name != NULL && strcmp(name, "monochrome") == 0;
}

bool theme_want_ascii(bool asked, const char *codeset)
{
	if (asked || codeset == NULL)
		return true;
	return strcasecmp(codeset, "UTF-8") != 0 && strcasecmp(codeset, "utf8") != 0;
}

/* Pairs for the roles. When the terminal cannot keep its own default
 * colours (use_default_colors fails), "default" becomes white on black,
 * as curses' pair 0 is. */
static void set_colours(void)
{
	bool defaults = use_default_colors() == OK;

	for (int r = 0; r < ROLE_COUNT; r++) {
		const struct theme_style *st = &cur.theme->role[r];
		short fg = st->fg, bg = st->bg;

		if (!defaults && fg == DEF)
			fg = COLOR_WHITE;
		if (!defaults && bg == DEF)
			bg = COLOR_BLACK;
		init_pair((short)(r + 1), fg, bg);
		cur.attr[r] = COLOR_PAIR(r + 1) | st->attr;
	}
}

void theme_apply(const char *name, bool mono, bool ascii)
{
	cur.theme = theme_find(name);
	if (cur.theme == NULL)
		cur.theme = &themes[0];
	cur.mono = theme_want_mono(mono, cur.theme->name, getenv("NO_COLOR"), has_colors());
	/* COLORS and COLOR_PAIRS are 0 until start_color(), so whether there
	 * are enough colours is known only once colour is started; it is
	 * started only when it is to be used. */
	if (!cur.mono && (start_color() != OK || COLORS < 8 || COLOR_PAIRS <= ROLE_COUNT))
		cur.mono = true;
	cur.ascii = theme_want_ascii(ascii, nl_langinfo(CODESET));
	if (cur.mono) {
		for (int r = 0; r < ROLE_COUNT; r++)
			cur.attr[r] = cur.theme->role[r].mono;
		return;
	}
	set_colours();
}

attr_t theme_attr(enum theme_role r)
{
	if ((int)r < 0 || r >= ROLE_COUNT)
		return A_NORMAL;
	return cur.attr[r];
}

chtype theme_line(enum theme_line l)
{
	static const chtype plain[LINE_COUNT] = {
		[LINE_H] = '-', [LINE_V] = '|', [LINE_UL] = '+', [LINE_UR] = '+',
		[LINE_LL] = '+', [LINE_LR] = '+', [LINE_FILL] = '#', [LINE_EMPTY] = '.',
	};

	if (cur.ascii || (int)l < 0 || l >= LINE_COUNT)
		return ((int)l >= 0 && l < LINE_COUNT) ? plain[l] : '?';
	switch (l) {
	case LINE_H: return ACS_HLINE;
	case LINE_V: return ACS_VLINE;
	case LINE_UL: return ACS_ULCORNER;
	case LINE_UR: return ACS_URCORNER;
	case LINE_LL: return ACS_LLCORNER;
	case LINE_LR: return ACS_LRCORNER;
	case LINE_FILL: return ACS_CKBOARD;
	case LINE_EMPTY: return ' ';
	default: return '?';
	}
}

bool theme_is_mono(void)
{
	return cur.mono;
}

bool theme_is_ascii(void)
{
	return cur.ascii;
}

const char *theme_current(void)
{
	return cur.mono ? "monochrome" : cur.theme->name;
}
