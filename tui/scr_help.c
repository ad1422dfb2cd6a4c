/* scr_help: every key, and a few words on the screen help was asked from. */
#include "tui/app.h"

#include <stdlib.h>

#include "core/util.h"
#include "widgets/frame.h"

static const char *const lines[] = {
	"Everywhere",
	"  F1 or ?        this help            F10 or q   quit (asks while a job runs)",
	"  Esc            back / cancel        Ctrl-L     redraw the screen",
	"  Esc then 1-9,0 the same as F1-F9,F10 (terminals without function keys)",
	"  Up/Down        move                 PgUp/PgDn  move a page",
	"Main menu: the letter shown before an item opens it; Enter opens the selected one.",
	"Server form: Tab/Shift-Tab or Up/Down move between fields, Enter the next field;",
	"  F2 (Esc 2) saves; Space or Left/Right changes \"Login with\"; Ctrl-U clears a field.",
	"  A field is checked when you leave it; the error shows under it in red.",
	"Known hosts: a/F5 pin a key, t/F6 connect and trust the server, d/F8 remove.",
	"Security: g generate the master key, x export, i import, p protected, n enforced.",
	"Backup settings: a/F5 add source, x/F6 add exclude, d/F8 remove, e/Enter edit.",
	"Restore: r/F5/Enter restore, v/F6 verify, o/F7 another device, l/F4 list again.",
	"Backup and restore progress: Esc, c or F8 cancel (asks first).",
	"First connection: the server's key is shown; type yes only if it matches the",
	"  fingerprint the server's administrator gave you. A changed key is refused.",
	NULL,
};

enum { HELP_BACK = 1 };

static const struct keybind keys[] = {
	{ NULL, "Esc", "Back", HELP_BACK, { KEY_ESC, '\n', '\r', KEY_F(1), '?' } },
	{ "F10", "q", "Quit", 0, { 0 } },
	{ 0 },
};

static void *help_enter(struct app *a, void *arg)
{
	(void)a;
	return arg;
}

static void help_draw(struct app *a, void *st)
{
	const struct screen *from = st;

	(void)a;
	frame_text(stdscr, 2, 1, 78, from ? from->title : "revault", ROLE_TITLE, 0);
	for (int i = 0; lines[i] != NULL && 3 + i < LINES - 2; i++)
		frame_text(stdscr, 3 + i, 1, 78, lines[i], lines[i][0] == ' ' ? ROLE_NORMAL : ROLE_KEY, 0);
}

static int help_key(struct app *a, void *st, int ch)
{
	(void)a;
	(void)st;
	if (keybind_lookup(keys, ch) == HELP_BACK)
		return SCR_POP;
	return SCR_IGNORED;
}

const struct screen screen_help = {
	.title = "revault: help",
	.enter = help_enter,
	.draw = help_draw,
	.key = help_key,
	.keys = keys,
};
