/* scr_security: the master key (generate, export, import) and the
 * protected / enforced switches. Passphrases are typed into masked
 * dialogs, asked twice for export, and wiped once used. */
#include "tui/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/keystore.h"
#include "core/util.h"
#include "widgets/dialog.h"
#include "widgets/frame.h"
#include "widgets/menu.h"

enum { S_GENERATE, S_EXPORT, S_IMPORT, S_PAPER, S_FROM_PAPER, S_PROTECTED, S_ENFORCED, S_COUNT };

enum { SEC_BACK = 1 };

/* Enter and the letters are the menu's own. */
static const struct keybind keys[] = {
	{ "F1", "?", "Help", 0, { 0 } },
	{ NULL, "Enter", "Do", 0, { 0 } },
	{ NULL, "letter", "Jump", 0, { 0 } },
	{ NULL, "Esc", "Back", SEC_BACK, { KEY_ESC } },
	{ "F10", "q", "Quit", 0, { 0 } },
	{ 0 },
};

#define PASS_MAX 256

struct security {
	struct menu_item items[S_COUNT];
	char labels[2][64];
	struct menu menu;
};

/* The screen's letters, read by its menu and by help; the two switches
 * show their state in a copy (set_labels). */
static const struct menu_item items[S_COUNT] = {
	[S_GENERATE] = { "Generate master key", 'g',
		"A new random master key; the old one is kept beside it as master.key.old-DATE" },
	[S_EXPORT] = { "Export key to a file", 'x',
		"Writes the key wrapped under a passphrase; keep it off this machine" },
	[S_IMPORT] = { "Import key from a file", 'i',
		"Installs a key exported on another machine, to restore its backups" },
	[S_PAPER] = { "Write the key down (paper)", 'w',
		"Shows the key as four lines of hex with check digits, to copy onto paper" },
	[S_FROM_PAPER] = { "Type a key from paper", 't',
		"Installs a key written down with \"Write the key down\" on another machine" },
	[S_PROTECTED] = { "Protected backups", 'p',
		"on: every backup is encrypted and signed with the master key" },
	[S_ENFORCED] = { "Enforced on restore", 'n',
		"on: restore only protected backups that verify; refuse anything else" },
};

static void set_labels(struct app *a, struct security *s)
{
	memcpy(s->items, items, sizeof(items));
	snprintf(s->labels[0], sizeof(s->labels[0]), "%s: %s", items[S_PROTECTED].label,
		 a->settings.security.protected_ ? "on" : "off");
	snprintf(s->labels[1], sizeof(s->labels[1]), "%s: %s", items[S_ENFORCED].label,
		 a->settings.security.enforced ? "on" : "off");
	s->items[S_PROTECTED].label = s->labels[0];
	s->items[S_ENFORCED].label = s->labels[1];
}

static void *security_enter(struct app *a, void *arg)
{
	struct security *s = xcalloc(1, sizeof(*s));

	(void)arg;
	set_labels(a, s);
	s->menu.items = s->items;
	s->menu.n = S_COUNT;
	return s;
}

static void generate(struct app *a)
{
	bool exists = keystore_exists(a->key_path);
	struct master_key k;
	struct err e = { 0 };

	if (exists && !dialog_confirm("Replace master key",
				      "A master key exists. Backups made with it can only be restored with it. "
				      "Generate a new one (the old one is kept as master.key.old-DATE)?",
				      ROLE_WARNING))
		return;
	if (!exists && !dialog_confirm("Generate master key", "Generate a new master key now?", ROLE_NORMAL))
		return;
	if (keystore_generate(a->key_path, exists, &k, &e) != RV_OK) {
		app_message("Generate master key", e.msg, ROLE_ERROR);
		return;
	}
	keystore_clear(&k);
	app_refresh_key(a);
	app_status(a, ROLE_OK, "New master key %s. Export it (x) and keep the copy safe.", a->key_id);
}

/* Asks twice; false when cancelled or the two differ (pass wiped). */
static bool ask_passphrase_twice(const char *title, char *pass, size_t cap)
{
	char again[PASS_MAX];
	bool ok;

	pass[0] = '\0';
	if (!dialog_input(title, "Passphrase (shown as *):", pass, cap, true))
		return false;
	again[0] = '\0';
	ok = dialog_input(title, "The same passphrase again:", again, sizeof(again), true) && strcmp(pass, again) == 0;
	keys_wipe(again, sizeof(again));
	if (!ok) {
		keys_wipe(pass, cap);
		dialog_message(title, "The passphrases differ or were cancelled; nothing was written.", ROLE_ERROR);
		return false;
	}
	if (pass[0] == '\0') {
		dialog_message(title, "An empty passphrase would protect nothing; nothing was written.", ROLE_ERROR);
		return false;
	}
	return true;
}

static void export_key(struct app *a)
{
	char file[512] = "", pass[PASS_MAX];
	struct master_key k;
	struct err e = { 0 };

	if (!dialog_input_checked("Export master key", "File to write (absolute path):", file, sizeof(file), false,
				  app_check_absolute, NULL) ||
	    file[0] == '\0')
		return;
	if (!ask_passphrase_twice("Export master key", pass, sizeof(pass)))
		return;
	if (keystore_load(a->key_path, &k, &e) == RV_OK) {
		keystore_export(&k, file, pass, &e);
		keystore_clear(&k);
	}
	keys_wipe(pass, sizeof(pass));
	if (e.code != RV_OK)
		app_message("Export master key", e.msg, ROLE_ERROR);
	else
		app_status(a, ROLE_OK, "Key %s exported to %s", a->key_id, file);
}

/* Asks before installing k (warning when it replaces this machine's key),
 * installs it, and wipes it. */
static void install_key(struct app *a, const char *title, struct master_key *k)
{
	bool exists = keystore_exists(a->key_path);
	char id[2 * KEY_ID_LEN + 1], q[160];
	struct err e = { 0 };

	keystore_id_hex(k->id, id);
	snprintf(q, sizeof(q), "Install key %s%s?", id, exists ? ", replacing this machine's key (kept as .old)" : "");
	if (dialog_confirm(title, q, exists ? ROLE_WARNING : ROLE_NORMAL) &&
	    keystore_install(a->key_path, k, exists, &e) == RV_OK)
		app_status(a, ROLE_OK, "Key %s installed", id);
	else if (e.code != RV_OK)
		app_message(title, e.msg, ROLE_ERROR);
	keystore_clear(k);
	app_refresh_key(a);
}

static void import_key(struct app *a)
{
	char file[512] = "", pass[PASS_MAX] = "";
	struct master_key k;
	struct err e = { 0 };
	int rc;

	if (!dialog_input("Import master key", "Exported key file:", file, sizeof(file), false) || file[0] == '\0')
		return;
	if (!dialog_input("Import master key", "Its passphrase (shown as *):", pass, sizeof(pass), true))
		return;
	rc = keystore_unwrap(file, pass, &k, &e);
	keys_wipe(pass, sizeof(pass));
	if (rc != RV_OK) {
		app_message("Import master key", e.msg, ROLE_ERROR);
		return;
	}
	install_key(a, "Import master key", &k);
}

static void show_paper(struct app *a)
{
	struct master_key k;
	struct err e = { 0 };
	char *paper;

	if (!dialog_confirm("Write the key down",
			    "The master key will be shown on this screen. Make sure nobody can see it and "
			    "that this session is not being recorded. Show it?", ROLE_WARNING))
		return;
	if (keystore_load(a->key_path, &k, &e) != RV_OK) {
		app_message("Write the key down", e.msg, ROLE_ERROR);
		return;
	}
	paper = keystore_paper(&k);
	keystore_clear(&k);
	dialog_message("Write the key down", paper, ROLE_NORMAL);
	wipe_free_str(paper);
	clearok(curscr, TRUE); /* leave nothing of it in the terminal's buffer we control */
}

static void from_paper(struct app *a)
{
	char lines[4][64], text[4 * 64 + 8] = "", prompt[ERR_MSG_MAX + 128], kept[32];
	struct master_key k;
	struct err e = { 0 };
	int i, rc;

	/* Each line is checked as it is entered: a typo is named and that
	 * line asked again, the lines before it kept. */
	for (i = 0; i < 4;) {
		lines[i][0] = '\0';
		if (i == 0)
			kept[0] = '\0';
		else if (i == 1)
			snprintf(kept, sizeof(kept), "Line 1 kept. ");
		else
			snprintf(kept, sizeof(kept), "Lines 1-%d kept. ", i);
		if (e.msg[0] != '\0')
			snprintf(prompt, sizeof(prompt), "Not taken: %s.\n\n%sLine %d again (shown as *):", e.msg, kept,
				 i + 1);
		else
			snprintf(prompt, sizeof(prompt), "Line %d of the paper key (shown as *):", i + 1);
		if (!dialog_input("Type a key from paper", prompt, lines[i], sizeof(lines[i]), true))
			break;
		err_clear(&e);
		if (keystore_paper_line((unsigned)i + 1, lines[i], &e) != RV_OK) {
			keys_wipe(lines[i], sizeof(lines[i]));
			continue;
		}
		strcat(text, lines[i]);
		strcat(text, "\n");
		i++;
	}
	keys_wipe(lines, sizeof(lines));
	if (i < 4) {
		keys_wipe(text, sizeof(text));
		app_status(a, ROLE_NORMAL, "Key import cancelled: nothing was changed");
		return;
	}
	rc = keystore_from_paper(text, &k, &e);
	keys_wipe(text, sizeof(text));
	if (rc != RV_OK) {
		app_message("Type a key from paper", e.msg, ROLE_ERROR);
		return;
	}
	install_key(a, "Type a key from paper", &k);
}

static void toggle(struct app *a, const char *key, bool on)
{
	struct err e = { 0 };

	if (app_fresh(a, &e) != RV_OK || settings_set(&a->settings, key, on ? "off" : "on", &e) != RV_OK) {
		app_status(a, ROLE_ERROR, "%s", e.msg);
		return;
	}
	if (app_save(a) == RV_OK)
		app_status(a, ROLE_OK, "%s is %s (saved)", key, on ? "off" : "on");
}

static int security_key(struct app *a, void *st, int ch)
{
	struct security *s = st;
	int used, i;

	if (keybind_lookup(keys, ch) == SEC_BACK)
		return SCR_POP;
	i = menu_key(&s->menu, ch, &used);
	switch (i) {
	case S_GENERATE:
		generate(a);
		break;
	case S_EXPORT:
		export_key(a);
		break;
	case S_IMPORT:
		import_key(a);
		break;
	case S_PAPER:
		show_paper(a);
		break;
	case S_FROM_PAPER:
		from_paper(a);
		break;
	case S_PROTECTED:
		/* Off means the next backup is neither encrypted nor signed:
		 * asked as key generation asks, starting on No. */
		if (a->settings.security.protected_ &&
		    !dialog_confirm("Turn protection off",
				    "Backups made from now on will be neither encrypted nor signed: anyone with "
				    "access to the server could read or change them. Turn protection off?",
				    ROLE_WARNING))
			break;
		toggle(a, "security.protected", a->settings.security.protected_);
		break;
	case S_ENFORCED:
		toggle(a, "security.enforced", a->settings.security.enforced);
		break;
	default:
		return used ? SCR_REDRAW : SCR_IGNORED;
	}
	set_labels(a, s);
	return SCR_REDRAW;
}

static void security_draw(struct app *a, void *st)
{
	struct security *s = st;

	frame_text(stdscr, 2, 2, 76, "Master key and what a backup must be", ROLE_TITLE, 0);
	frame_text(stdscr, 4, 2, 14, "Master key id", ROLE_DIM, 0);
	frame_text(stdscr, 4, 17, 60, a->key_id, a->key_id[0] == 'n' ? ROLE_WARNING : ROLE_OK, 0);
	frame_text(stdscr, 5, 2, 14, "Key file", ROLE_DIM, 0);
	frame_text(stdscr, 5, 17, 60, a->key_path, ROLE_NORMAL, 0);
	menu_draw(stdscr, &s->menu, 7, 2, 40);
	frame_wrap(stdscr, 15, 2, 76, 2, s->items[s->menu.sel].hint, ROLE_DIM);
	if (a->key_id[0] == 'n')
		frame_wrap(stdscr, 18, 2, 76, 2, "No master key yet: protected backups need one. Press g to generate it.",
			   ROLE_WARNING);
}

static void security_leave(struct app *a, void *st)
{
	struct security *s = st;

	(void)a;
	menu_free(&s->menu);
	free(st);
}

const struct screen screen_security = {
	.title = "revault: security",
	.name = "Security",
	.menu = items,
	.menu_n = S_COUNT,
	.enter = security_enter,
	.draw = security_draw,
	.key = security_key,
	.leave = security_leave,
	.keys = keys,
};
