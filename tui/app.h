/* app: what the screens share: the settings being edited, the screen stack
 * and the status line. Each screen is one file exporting a const struct
 * screen; the loop in app.c calls its hooks and redraws only when a hook
 * says something changed. */
#ifndef REVAULT_TUI_APP_H
#define REVAULT_TUI_APP_H

#include <stdbool.h>

#include "core/job.h"
#include "core/settings.h"
#include "themes/theme.h"
#include "tui/tui.h"
#include "widgets/keys.h"
#include "widgets/menu.h"

/* What a key or tick hook returns. */
enum {
	SCR_IGNORED = 0, /* not this screen's key: the loop tries the global ones */
	SCR_HANDLED = 1,
	SCR_REDRAW = 2,
	SCR_POP = 4,     /* leave this screen */
};

struct app;

struct screen {
	const char *title;
	/* How help and hints name the screen: "Security". */
	const char *name;
	/* The menu whose letters the screen reads, for help: its items'
	 * hotkeys, labels and hints are the screen's other keys. */
	const struct menu_item *menu;
	int menu_n;
	void *(*enter)(struct app *a, void *arg);
	void (*draw)(struct app *a, void *st);
	int (*key)(struct app *a, void *st, int ch);
	/* Called every ~100 ms while set (a running job); may block that long. */
	int (*tick)(struct app *a, void *st);
	void (*leave)(struct app *a, void *st);
	const struct keybind *keys;
	/* When set, the keys the bar shows now, for a screen whose keys change
	 * with its state (a job's once it ended); else keys. */
	const struct keybind *(*bar)(struct app *a, void *st);
	/* True while the screen has work that quitting would cut short. */
	bool (*busy)(struct app *a, void *st);
};

#define APP_STACK_MAX 8
#define APP_MIN_W 80
#define APP_MIN_H 24

struct app {
	char *settings_path;
	char *key_path;
	struct settings settings;
	struct tui_options opt;
	struct {
		const struct screen *s;
		void *st;
	} stack[APP_STACK_MAX];
	int depth;
	bool quit;
	bool dirty;
	char status[320];
	enum theme_role status_role;
	char key_id[32];     /* "none" or 16 hex digits */
	char last_backup[96];
	enum theme_role last_backup_role;
};

void app_push(struct app *a, const struct screen *s, void *arg);
/* Sets the status line. */
void app_status(struct app *a, enum theme_role role, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Saves the settings; on failure the status line says why and the
 * settings in memory go back to what the file holds, so a change that was
 * not saved is neither shown nor saved later with another. Returns RV_*. */
int app_save(struct app *a);
/* Reloads the settings from the file, dropping unsaved edits; on failure
 * the status line says why and the settings stay as they were. Returns
 * RV_OK or settings_load's code (RV_USAGE: the file cannot be read). */
int app_reload(struct app *a);
/* Reads the settings file again just before one change is applied, so the
 * change lands on what the file holds now (a `revault set` or `revault
 * source remove` from a shell since the screen was drawn is kept) and the
 * save writes only that change. RV_OK, or RV_USAGE with "the settings file
 * cannot be read: ..." in e (the change is then refused). */
int app_fresh(struct app *a, struct err *e);
/* Refreshes a->key_id from master.key. */
void app_refresh_key(struct app *a);
/* Reads the last-run record (core/lastrun.h) into last_backup: "2026-11-30
 * 03:44 (ok)", "(with warnings)", "(failed)", or "none yet". */
void app_refresh_last_backup(struct app *a);
/* Milliseconds between progress redraws (4/s, or 1/s on a slow link). */
int app_redraw_ms(const struct app *a);

/* What screen_job runs; the strings are copied. */
struct job_request {
	enum job_kind kind;
	const char *revision;
	const char *device;
	const char *to_dir;
	/* restore: only these absolute paths (job_params.paths) */
	const char *const *paths;
	size_t npaths;
};

/* tui/jobrun.c: how a screen drives a job, written once. */
/* A job a screen runs, and the question last answered (each is asked once). */
struct app_job {
	struct job *job;
	enum job_question answered;
	bool running;        /* started and not yet seen to end */
};

/* Fills the parameters every job needs from the app. */
void app_job_params(struct app *a, struct job_params *p);
/* Starts a job in r (stopping the one it held first). */
void app_job_start(struct app_job *r, enum job_kind kind, const struct job_params *p);
/* Steps r's job for up to a tick (~100 ms); a question it asks for the
 * first time is answered through the dialogs (fingerprint, unsigned backup,
 * paths to replace), and then *asked is true. Returns the state. */
enum job_state app_job_step(struct app *a, struct app_job *r, bool *asked);
/* Steps r's job like app_job_step but asks nothing: for a dialog that is
 * up already (the cancel confirmation); a question waits for the next
 * app_job_step. */
enum job_state app_job_poll(struct app_job *r);
/* Cancels r's job if it still runs, steps it until it ends (20 s at most)
 * and frees it. */
void app_job_stop(struct app_job *r);
/* True when a failed job's server key was refused by revault (changed,
 * unknown, or of another type), not by the operator: shown as a warning
 * that offers no way to accept it. */
bool app_job_key_warning(const struct job *j);
/* Shows a failed job's message in a dialog, such a key as that warning. */
void app_job_failed(struct app *a, struct job *j, const char *what);

/* tui/terminal.c: true when TERM names a terminal that terminfo knows and
 * that addresses the cursor (the cup capability, terminfo(5)); else false
 * with why (cap bytes) saying what is missing. */
bool app_terminal_usable(char *why, size_t cap);

/* tui/entry_checks.c: checks for dialog_input_checked (arg unused). Each
 * returns true for a value to take, or false with one line in err (cap
 * bytes) saying what to type instead. app_check_absolute takes an empty
 * value or an absolute path. app_check_restore_dir takes an empty value
 * (in place, asked after) or an absolute path that tarball_check_to
 * accepts and whose nearest existing ancestor is a directory, so the
 * restore can make it. app_check_device takes an empty value (this
 * machine's) or a name backup.device accepts (core/settings.c). */
bool app_check_absolute(void *arg, const char *v, char *err, size_t cap);
bool app_check_restore_dir(void *arg, const char *v, char *err, size_t cap);
bool app_check_device(void *arg, const char *v, char *err, size_t cap);

/* tui/hints.c: rewrites each `revault ...` command a core message names
 * as the screen and key that do it ("Security -> g Generate master key"). */
void app_hint(char *msg, size_t cap);
/* dialog_message with msg passed through app_hint. */
void app_message(const char *title, const char *msg, enum theme_role role);

/* The keys every screen has (help, quit, back, redraw), read by the loop
 * and shown by help. */
extern const struct keybind app_keys[];

/* The screens. */
extern const struct screen screen_main;
extern const struct screen screen_server;
extern const struct screen screen_hosts;
extern const struct screen screen_security;
extern const struct screen screen_bsettings;
extern const struct screen screen_job;
extern const struct screen screen_restore;
extern const struct screen screen_browse;  /* arg: a job_request naming the revision */
extern const struct screen screen_help;

#endif
