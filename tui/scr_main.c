/* scr_main: the main menu and a summary of where things stand. */
#include "tui/app.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/job.h"
#include "widgets/frame.h"
#include "widgets/menu.h"

enum { M_BACKUP, M_RESTORE, M_SERVER, M_HOSTS, M_SECURITY, M_BSETTINGS, M_HELP, M_QUIT };

static const struct menu_item items[] = {
	[M_BACKUP] = { "Backup now", 'b', "Send a new revision of the sources to the server" },
	[M_RESTORE] = { "Restore", 'r', "Pick a revision on the server; verify or restore it" },
	[M_SERVER] = { "Server", 's', "Server address, user name and how to log in" },
	[M_HOSTS] = { "Known hosts", 'k', "Trusted server keys: add, remove, authenticate" },
	[M_SECURITY] = { "Security", 'e', "Master key, export and import, protected and enforced" },
	[M_BSETTINGS] = { "Backup settings", 'o', "What is backed up, excludes, revisions kept" },
	[M_HELP] = { "Help", 'h', "Every key and what it does" },
	[M_QUIT] = { "Quit", 'q', "Leave revault" },
};

static const struct keybind keys[] = {
	{ "F1", "?", "Help", 0, { 0 } },
	{ NULL, "Enter", "Open", 0, { 0 } },
	{ NULL, "letter", "Jump", 0, { 0 } },
	{ "F10", "q", "Quit", 0, { 0 } },
	{ 0 },
};

static struct menu menu = { .items = items, .n = 8 };

static void *main_enter(struct app *a, void *arg)
{
	(void)a;
	(void)arg;
	return &menu;
}

static void summary_line(int y, const char *label, const char *value, enum theme_role role)
{
	frame_text(stdscr, y, 34, 16, label, ROLE_DIM, 0);
	frame_text(stdscr, y, 50, 29, value, role, 0);
}

static void draw_summary(struct app *a)
{
	const struct settings *s = &a->settings;
	char buf[64];

	frame_text(stdscr, 2, 34, 40, "Current state", ROLE_TITLE, 0);
	summary_line(3, "Server", s->server.url ? s->server.url : "not set", s->server.url ? ROLE_NORMAL : ROLE_WARNING);
	snprintf(buf, sizeof(buf), "%s%s%s", s->server.username ? s->server.username : "(from URL)", " / ",
		 settings_auth_name(s->server.auth));
	summary_line(4, "User / login", buf, ROLE_NORMAL);
	snprintf(buf, sizeof(buf), "%zu", s->nknown_hosts);
	summary_line(5, "Known hosts", buf, s->nknown_hosts ? ROLE_NORMAL : ROLE_WARNING);
	summary_line(6, "Last backup", a->last_backup, a->last_backup_role);
	summary_line(7, "Master key", a->key_id, a->key_id[0] == 'n' || a->key_id[0] == 'u' ? ROLE_WARNING : ROLE_OK);
	summary_line(8, "Protected", s->security.protected_ ? "on (encrypt + sign)" : "off",
		     s->security.protected_ ? ROLE_OK : ROLE_WARNING);
	summary_line(9, "Enforced", s->security.enforced ? "on" : "off", ROLE_NORMAL);
	snprintf(buf, sizeof(buf), "%zu source%s, %u kept", s->backup.nsources, s->backup.nsources == 1 ? "" : "s",
		 s->backup.revisions);
	summary_line(10, "Backups", buf, s->backup.nsources ? ROLE_NORMAL : ROLE_WARNING);
}

static void main_draw(struct app *a, void *st)
{
	struct menu *m = st;

	frame_text(stdscr, 2, 2, 28, "Main menu", ROLE_TITLE, 0);
	menu_draw(stdscr, m, 3, 2, 28);
	frame_wrap(stdscr, 13, 2, 76, 2, m->items[m->sel].hint, ROLE_DIM);
	draw_summary(a);
	if (a->settings.server.url == NULL)
		frame_wrap(stdscr, 16, 2, 76, 3, "Start with Server (s) to set where backups go, then Security (e) to "
			   "generate a master key, then Backup now (b).", ROLE_NORMAL);
}

static int open_item(struct app *a, int i)
{
	static const struct job_request backup = { .kind = JOB_BACKUP };

	switch (i) {
	case M_BACKUP:
		app_push(a, &screen_job, (void *)&backup);
		break;
	case M_RESTORE:
		app_push(a, &screen_restore, NULL);
		break;
	case M_SERVER:
		app_push(a, &screen_server, NULL);
		break;
	case M_HOSTS:
		app_push(a, &screen_hosts, NULL);
		break;
	case M_SECURITY:
		app_push(a, &screen_security, NULL);
		break;
	case M_BSETTINGS:
		app_push(a, &screen_bsettings, NULL);
		break;
	case M_HELP:
		app_push(a, &screen_help, (void *)&screen_main);
		break;
	case M_QUIT:
	default:
		a->quit = true;
		break;
	}
	return SCR_REDRAW;
}

static int main_key(struct app *a, void *st, int ch)
{
	struct menu *m = st;
	int used, i;

	if (ch == KEY_ESC)
		return SCR_HANDLED; /* nothing to go back to */
	i = menu_key(m, ch, &used);
	if (i >= 0)
		return open_item(a, i);
	return used ? SCR_REDRAW : SCR_IGNORED;
}

const struct screen screen_main = {
	.title = "revault: backups of this machine",
	.name = "Main menu",
	.menu = items,
	.menu_n = 8,
	.enter = main_enter,
	.draw = main_draw,
	.key = main_key,
	.keys = keys,
};
