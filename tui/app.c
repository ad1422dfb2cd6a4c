/* app: the entry point and the one loop. It waits on the keyboard (with a
 * short timeout while a job runs, so the job is stepped between keys),
 * hands each key to the top screen and then to the global bindings, and
 * redraws with wnoutrefresh + doupdate only when something is dirty. The
 * terminal is restored on every way out, signals included. */
#include "tui/app.h"

#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/keystore.h"
#include "core/lastrun.h"
#include "core/paths.h"
#include "core/util.h"
#include "widgets/dialog.h"
#include "widgets/frame.h"

enum { G_HELP = 1, G_QUIT, G_BACK, G_REDRAW };

const struct keybind app_keys[] = {
	{ "F1", "?", "Help on the keys (? not in text fields)", G_HELP, { KEY_F(1), '?' } },
	{ "F10", "q", "Quit (asks while a job runs; q not in text fields)", G_QUIT, { KEY_F(10), 'q' } },
	{ NULL, "Esc", "Back, or cancel a dialog (No)", G_BACK, { KEY_ESC } },
	{ NULL, "Ctrl-L", "Redraw the whole screen", G_REDRAW, { KEY_CTRL('l') } },
	{ 0 },
};

static volatile sig_atomic_t curses_on;

static void restore_terminal(void)
{
	if (curses_on) {
		curses_on = 0;
		endwin();
	}
}

/* endwin() is not async-signal-safe, but leaving the terminal in raw mode
 * is worse for an operator on a serial line; the signal is re-raised with
 * its default action right after. */
static void on_fatal(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGABRT, SIGFPE };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

int app_redraw_ms(const struct app *a)
{
	return a->opt.slow_link ? 1000 : 250;
}

void app_status(struct app *a, enum theme_role role, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->status, sizeof(a->status), fmt, ap);
	va_end(ap);
	app_hint(a->status, sizeof(a->status));
	a->status_role = role;
	a->dirty = true;
}

int app_save(struct app *a)
{
	struct err e = { 0 };

	if (settings_save(&a->settings, a->settings_path, &e) != RV_OK) {
		struct err le = { 0 };

		/* The change stays only in the file it failed to reach: memory
		 * (and so the screen) goes back to what the file holds. */
		if (app_fresh(a, &le) != RV_OK)
			app_status(a, ROLE_ERROR, "Not saved: %s; %s", e.msg, le.msg);
		else
			app_status(a, ROLE_ERROR, "Not saved: %s", e.msg);
		return e.code;
	}
	app_status(a, ROLE_OK, "Saved to %s", a->settings_path);
	return RV_OK;
}

int app_fresh(struct app *a, struct err *e)
{
	struct settings s;
	struct err le = { 0 };

	/* settings_load starts from the defaults itself. */
	if (settings_load(&s, a->settings_path, &le) != RV_OK) {
		settings_free(&s);
		return err_set(e, le.code, "the settings file cannot be read: %s", le.msg);
	}
	settings_free(&a->settings);
	a->settings = s;
	return RV_OK;
}

int app_reload(struct app *a)
{
	struct err e = { 0 };

	if (app_fresh(a, &e) != RV_OK)
		app_status(a, ROLE_ERROR, "%s", e.msg);
	return e.code;
}

void app_refresh_key(struct app *a)
{
	struct master_key k;
	struct err e = { 0 };

	if (!keystore_exists(a->key_path)) {
		snprintf(a->key_id, sizeof(a->key_id), "none");
		return;
	}
	if (keystore_load(a->key_path, &k, &e) != RV_OK) {
		snprintf(a->key_id, sizeof(a->key_id), "unusable");
		app_status(a, ROLE_ERROR, "%s", e.msg);
		return;
	}
	keystore_id_hex(k.id, a->key_id);
	keystore_clear(&k);
}

void app_refresh_last_backup(struct app *a)
{
	static const char *const word[] = {
		[LASTRUN_OK] = "ok", [LASTRUN_WARNINGS] = "with warnings", [LASTRUN_FAILED] = "failed",
		[LASTRUN_FUTURE] = "in the future: check the clock",
	};
	static const enum theme_role role[] = {
		[LASTRUN_OK] = ROLE_NORMAL, [LASTRUN_WARNINGS] = ROLE_WARNING, [LASTRUN_FAILED] = ROLE_ERROR,
		[LASTRUN_FUTURE] = ROLE_WARNING,
	};
	struct lastrun r;
	struct err e = { 0 };
	bool found, running;
	enum lastrun_health h;
	time_t ended;
	struct tm tm;
	char when[32];

	if (lastrun_read_last(&r, &found, &running, &e) != RV_OK) {
		snprintf(a->last_backup, sizeof(a->last_backup), "unreadable record");
		a->last_backup_role = ROLE_ERROR;
		/* The path makes the full line too long for the status line. */
		app_status(a, ROLE_ERROR, "The last-run record is unreadable: `revault status` names it and what to do");
		return;
	}
	h = lastrun_health(&r, found, (int64_t)time(NULL), 0);
	if (h == LASTRUN_NONE) {
		snprintf(a->last_backup, sizeof(a->last_backup), "none yet");
		a->last_backup_role = ROLE_WARNING;
		return;
	}
	ended = (time_t)r.ended;
	localtime_r(&ended, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	snprintf(a->last_backup, sizeof(a->last_backup), "%s (%s)", when, word[h]);
	a->last_backup_role = role[h];
}

void app_push(struct app *a, const struct screen *s, void *arg)
{
	if (a->depth == APP_STACK_MAX) {
		app_status(a, ROLE_ERROR, "Too many screens open: press Esc to go back");
		return;
	}
	/* What the status line said was about the screen being left. */
	a->status[0] = '\0';
	a->stack[a->depth].s = s;
	a->stack[a->depth].st = s->enter ? s->enter(a, arg) : NULL;
	a->depth++;
	a->dirty = true;
}

static void pop(struct app *a)
{
	a->depth--;
	a->status[0] = '\0';
	if (a->stack[a->depth].s->leave)
		a->stack[a->depth].s->leave(a, a->stack[a->depth].st);
	a->dirty = true;
}

static void draw_top(void *arg)
{
	struct app *a = arg;
	const struct screen *s = a->stack[a->depth - 1].s;
	char right[64];

	werase(stdscr);
	curs_set(0);
	if (LINES < APP_MIN_H || COLS < APP_MIN_W) {
		frame_too_small(stdscr, APP_MIN_W, APP_MIN_H);
		return;
	}
	snprintf(right, sizeof(right), "revault %s", REVAULT_VERSION);
	frame_title(stdscr, s->title, right);
	frame_status(stdscr, a->status[0] ? a->status : NULL, a->status_role);
	keybar_draw(stdscr, s->bar != NULL ? s->bar(a, a->stack[a->depth - 1].st) : s->keys);
	s->draw(a, a->stack[a->depth - 1].st);
}

static void redraw(struct app *a)
{
	draw_top(a);
	wnoutrefresh(stdscr);
	doupdate();
	a->dirty = false;
}

static bool any_busy(struct app *a)
{
	for (int i = 0; i < a->depth; i++)
		if (a->stack[i].s->busy && a->stack[i].s->busy(a, a->stack[i].st))
			return true;
	return false;
}

static void global_key(struct app *a, int ch)
{
	switch (keybind_lookup(app_keys, ch)) {
	case G_HELP:
		if (a->stack[a->depth - 1].s != &screen_help)
			app_push(a, &screen_help, (void *)a->stack[a->depth - 1].s);
		return;
	case G_QUIT:
		if (any_busy(a) && !dialog_confirm("Quit", "A job is running. Cancel it and quit?", ROLE_WARNING)) {
			a->dirty = true;
			return;
		}
		a->quit = true;
		return;
	case G_BACK:
		if (a->depth > 1)
			pop(a);
		return;
	case G_REDRAW:
		clearok(curscr, TRUE);
		a->dirty = true;
		return;
	default:
		return;
	}
}

static void handle(struct app *a, int r)
{
	if (r & (SCR_REDRAW | SCR_HANDLED))
		a->dirty = true;
	if (r & SCR_POP)
		pop(a);
}

static void loop(struct app *a)
{
	while (!a->quit && a->depth > 0) {
		const struct screen *s = a->stack[a->depth - 1].s;
		void *st = a->stack[a->depth - 1].st;
		bool ticking = s->tick && (!s->busy || s->busy(a, st));
		int ch, r;

		if (a->dirty)
			redraw(a);
		/* A running job waits inside its tick (job_step), so the key
		 * read does not wait at all. */
		keys_timeout(stdscr, ticking ? 0 : -1);
		ch = keys_get(stdscr);
		if (ch == ERR) {
			if (ticking)
				handle(a, s->tick(a, st));
			continue;
		}
		if (ch == KEY_RESIZE) {
			a->dirty = true;
			continue;
		}
		if (LINES < APP_MIN_H || COLS < APP_MIN_W) {
			if (keybind_lookup(app_keys, ch) == G_QUIT)
				a->quit = true;
			continue;
		}
		r = s->key ? s->key(a, st, ch) : SCR_IGNORED;
		if (r == SCR_IGNORED)
			global_key(a, ch);
		else
			handle(a, r);
	}
	while (a->depth > 0)
		pop(a);
}

static void start_curses(struct app *a)
{
	if (getenv("ESCDELAY") == NULL)
		set_escdelay(100);
	initscr();
	curses_on = 1;
	atexit(restore_terminal);
	install_signals();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	keys_init();
	intrflush(stdscr, FALSE);
	curs_set(0);
	theme_apply(a->settings.ui.theme, a->opt.mono, a->opt.ascii || a->settings.ui.ascii);
	dialog_set_backdrop(draw_top, a);
}

int tui_main(const char *settings_path, const struct tui_options *opt)
{
	struct app a;
	struct err e = { 0 };
	int rc = RV_OK;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fputs("revault: the text interface needs a terminal; for scripts use the commands (revault --help)\n",
		      stderr);
		return RV_USAGE;
	}
	{
		char why[256];

		if (!app_terminal_usable(why, sizeof(why))) {
			fprintf(stderr, "revault: %s; the commands (revault --help) and the console (revault console) "
					"work on any terminal\n", why);
			return RV_USAGE;
		}
	}
	memset(&a, 0, sizeof(a));
	a.opt = *opt;
	a.settings_path = xstrdup(settings_path);
	a.key_path = paths_beside(settings_path, PATHS_MASTER_KEY);
	if (settings_load(&a.settings, settings_path, &e) != RV_OK) {
		fprintf(stderr, "revault: %s\n", e.msg);
		rc = e.code;
		goto out;
	}
	a.opt.slow_link = a.opt.slow_link || a.settings.ui.slow_link;
	setlocale(LC_ALL, "");
	app_refresh_key(&a);
	start_curses(&a);
	app_push(&a, &screen_main, NULL);
	/* After the push, which clears the status line: a damaged record is
	 * said there. */
	app_refresh_last_backup(&a);
	loop(&a);
	restore_terminal();
out:
	settings_free(&a.settings);
	free(a.settings_path);
	free(a.key_path);
	return rc;
}
