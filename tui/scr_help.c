/* scr_help: every key, read from the tables the screens bind them with
 * (their struct keybind rows and the letters of their menus, and the
 * loop's app_keys), so help cannot drift from what the keys do. The
 * screen help was asked from comes first; the text is wrapped at word
 * boundaries to the screen's width and scrolls. */
#include "tui/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/answer.h"
#include "core/util.h"
#include "widgets/dialog.h"
#include "widgets/frame.h"

/* The screens whose keys help lists, in the order of the main menu. */
static const struct screen *const screens[] = {
	&screen_main, &screen_server, &screen_hosts, &screen_security, &screen_bsettings, &screen_restore,
	&screen_browse, &screen_job,
};

/* What no table holds: the key reader's Esc-digit twins and the widgets'
 * own movement and editing keys. */
static const char *const general[] = {
	"Esc then 1-9, 0: the same as F1-F9, F10 (terminals without function keys).",
	"Up/Down move; PgUp/PgDn move a page. In forms Tab/Shift-Tab move between fields, "
	"Enter goes to the next one, Ctrl-U clears a field, Space or Left/Right change a choice.",
	"First connection: the server's key is shown; type yes only if it matches the fingerprint "
	"the server's administrator gave you. A changed key is refused.",
	"Yes/no questions: " DIALOG_ANSWER_KEYS ". The command line and the console take the same: " ANSWER_HINT ".",
};

/* Text is wrapped one column short of the 78 it is drawn in, so a line
 * the wrapping missed shows as one reaching the screen's edge. */
#define HELP_WIDTH 77
#define KEY_COL 11 /* where a key's text starts, after "  F5/a" */

struct help_line {
	char *text;
	enum theme_role role;
};

struct help {
	struct help_line *l;
	int n, cap;
	int top; /* first line shown */
};

static void add(struct help *h, const char *text, int len, enum theme_role role)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->l = xrealloc(h->l, (size_t)h->cap * sizeof(*h->l));
	}
	h->l[h->n].text = xasprintf("%.*s", len, text);
	h->l[h->n].role = role;
	h->n++;
}

/* lead (key column or blanks) then text wrapped at blanks to HELP_WIDTH,
 * further lines indented by indent. */
static void add_wrapped(struct help *h, const char *lead, int indent, const char *text)
{
	char line[HELP_WIDTH + 1];
	int len = snprintf(line, sizeof(line), "%s", lead);
	bool first = true;
	const char *p = text;

	while (*p != '\0') {
		int n = (int)strcspn(p, " ");

		if (!first && len + 1 + n > HELP_WIDTH) {
			add(h, line, len, ROLE_NORMAL);
			len = snprintf(line, sizeof(line), "%*s", indent, "");
			first = true;
		}
		if (!first && len < HELP_WIDTH)
			line[len++] = ' ';
		n = n < HELP_WIDTH - len ? n : HELP_WIDTH - len; /* a word longer than a line */
		memcpy(line + len, p, (size_t)n);
		len += n;
		line[len] = '\0';
		first = false;
		p += strcspn(p, " ");
		while (*p == ' ')
			p++;
	}
	add(h, line, len, ROLE_NORMAL);
}

static void add_key(struct help *h, const char *key, const char *text)
{
	char lead[KEY_COL + 32];

	snprintf(lead, sizeof(lead), "  %-*s ", KEY_COL - 3, key);
	add_wrapped(h, lead, KEY_COL, text);
}

/* The labelled rows of t, less those of skip (the keys every screen has). */
static void add_keybinds(struct help *h, const struct keybind *t, const struct keybind *skip)
{
	char key[24];

	for (; t != NULL && !keybind_is_end(t); t++) {
		bool common = false;

		if (t->label == NULL)
			continue;
		/* The same key doing what it does everywhere (F1, F10, Esc
		 * going back) is said once, under Everywhere. */
		for (const struct keybind *s = skip; s != NULL && !keybind_is_end(s) && !common; s++)
			common = (t->fkey && s->fkey && strcmp(t->fkey, s->fkey) == 0) ||
				 (t->letter && s->letter && strcmp(t->letter, s->letter) == 0 &&
				  strncmp(s->label, t->label, strlen(t->label)) == 0);
		if (!common)
			add_key(h, keybind_name(t, key, sizeof(key)), t->label);
	}
}

static void add_heading(struct help *h, const char *name)
{
	if (h->n > 0)
		add(h, "", 0, ROLE_NORMAL);
	add(h, name, (int)strlen(name), ROLE_KEY);
}

static void add_screen(struct help *h, const struct screen *s)
{
	add_heading(h, s->name);
	for (int i = 0; i < s->menu_n; i++) {
		char key[2] = { (char)s->menu[i].hotkey, '\0' }, text[256];

		snprintf(text, sizeof(text), "%s - %s", s->menu[i].label, s->menu[i].hint);
		add_key(h, key, text);
	}
	add_keybinds(h, s->keys, app_keys);
}

static void *help_enter(struct app *a, void *arg)
{
	const struct screen *from = arg;
	struct help *h = xcalloc(1, sizeof(*h));
	char key[24];

	(void)a;
	if (from != NULL && from->name != NULL)
		add_screen(h, from);
	add_heading(h, "Everywhere");
	for (const struct keybind *t = app_keys; !keybind_is_end(t); t++)
		add_key(h, keybind_name(t, key, sizeof(key)), t->label);
	for (size_t i = 0; i < ARRAY_LEN(general); i++)
		add_wrapped(h, "  ", 2, general[i]);
	for (size_t i = 0; i < ARRAY_LEN(screens); i++)
		if (screens[i] != from)
			add_screen(h, screens[i]);
	return h;
}

enum { HELP_BACK = 1, HELP_UP, HELP_DOWN, HELP_PGUP, HELP_PGDN, HELP_HOME, HELP_END };

static const struct keybind keys[] = {
	{ NULL, "Esc", "Back", HELP_BACK, { KEY_ESC, '\n', '\r', KEY_ENTER, KEY_F(1), '?' } },
	{ NULL, "Up/Down", "Scroll", HELP_UP, { KEY_UP, 'k' } },
	{ NULL, NULL, NULL, HELP_DOWN, { KEY_DOWN, 'j', ' ' } },
	{ NULL, "PgUp/PgDn", "Page", HELP_PGUP, { KEY_PPAGE, 'b' } },
	{ NULL, NULL, NULL, HELP_PGDN, { KEY_NPAGE } },
	{ NULL, NULL, NULL, HELP_HOME, { KEY_HOME } },
	{ NULL, NULL, NULL, HELP_END, { KEY_END } },
	{ "F10", "q", "Quit", 0, { 0 } },
	{ 0 },
};

/* Rows the text may use: below the title and above the status line. */
static int rows(void)
{
	return LINES - 4 > 1 ? LINES - 4 : 1;
}

static void help_draw(struct app *a, void *st)
{
	struct help *h = st;
	int r = rows(), i;
	char more[48];

	(void)a;
	for (i = 0; i < r && h->top + i < h->n; i++)
		frame_text(stdscr, 2 + i, 1, HELP_WIDTH + 1, h->l[h->top + i].text, h->l[h->top + i].role, 0);
	if (h->n > r) {
		snprintf(more, sizeof(more), " lines %d-%d of %d ", h->top + 1, h->top + i, h->n);
		frame_text(stdscr, LINES - 2, COLS - 1 - (int)strlen(more), (int)strlen(more), more, ROLE_DIM, 0);
	}
}

static int help_key(struct app *a, void *st, int ch)
{
	struct help *h = st;
	int r = rows(), last = h->n > r ? h->n - r : 0, top = h->top;

	(void)a;
	switch (keybind_lookup(keys, ch)) {
	case HELP_BACK:
		return SCR_POP;
	case HELP_UP: top--; break;
	case HELP_DOWN: top++; break;
	case HELP_PGUP: top -= r - 1; break;
	case HELP_PGDN: top += r - 1; break;
	case HELP_HOME: top = 0; break;
	case HELP_END: top = last; break;
	default:
		return SCR_IGNORED;
	}
	h->top = top < 0 ? 0 : top > last ? last : top;
	return SCR_REDRAW;
}

static void help_leave(struct app *a, void *st)
{
	struct help *h = st;

	(void)a;
	for (int i = 0; i < h->n; i++)
		free(h->l[i].text);
	free(h->l);
	free(h);
}

const struct screen screen_help = {
	.title = "revault: help",
	.name = "Help",
	.enter = help_enter,
	.draw = help_draw,
	.key = help_key,
	.leave = help_leave,
	.keys = keys,
};
