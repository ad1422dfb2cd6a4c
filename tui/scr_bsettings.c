/* scr_bsettings: what is backed up (sources and excludes) and how
 * (revisions kept, compression level, bandwidth cap) and when (the
 * schedule). One list of rows; a adds a source, x an exclude, d removes
 * the selected row, Enter edits a value. */
#include "tui/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/schedule.h"
#include "core/sources.h"
#include "core/util.h"
#include "widgets/dialog.h"
#include "widgets/frame.h"
#include "widgets/list.h"

enum row_kind { R_REVISIONS, R_COMPRESSION, R_DEVICE, R_SCHEDULE, R_BANDWIDTH, R_SOURCE, R_EXCLUDE };

/* The rows before the sources: one per value. */
#define FIXED_ROWS R_SOURCE

enum { B_ADD_SOURCE = 1, B_ADD_EXCLUDE, B_REMOVE, B_EDIT, B_BACK };

static const struct keybind keys[] = {
	{ "F1", "?", "Help", 0, { 0 } },
	{ "F4", "e", "Edit", B_EDIT, { KEY_F(4), 'e', '\n', '\r', KEY_ENTER } },
	{ "F5", "a", "Source", B_ADD_SOURCE, { KEY_F(5), 'a', KEY_IC } },
	{ "F6", "x", "Exclude", B_ADD_EXCLUDE, { KEY_F(6), 'x' } },
	{ "F8", "d", "Remove", B_REMOVE, { KEY_F(8), 'd', KEY_DC } },
	{ NULL, "Esc", "Back", B_BACK, { KEY_ESC } },
	{ "F10", "q", "Quit", 0, { 0 } },
	{ 0 },
};

static const struct list_column cols[] = { { "Setting", 22 }, { "Value", 0 } };

struct bsettings {
	struct list list;
	struct app *a;
};

static enum row_kind row_kind(const struct settings *s, int row, size_t *idx)
{
	if (row < FIXED_ROWS)
		return (enum row_kind)row;
	*idx = (size_t)row - FIXED_ROWS;
	if (*idx < s->backup.nsources)
		return R_SOURCE;
	*idx -= s->backup.nsources;
	return R_EXCLUDE;
}

static void cell(void *arg, int row, int col, char *buf, size_t cap)
{
	const struct settings *s = &((struct bsettings *)arg)->a->settings;
	size_t i = 0;

	switch (row_kind(s, row, &i)) {
	case R_REVISIONS:
		snprintf(buf, cap, "%s", col ? "" : "Revisions kept");
		if (col)
			snprintf(buf, cap, "%u", s->backup.revisions);
		break;
	case R_COMPRESSION:
		snprintf(buf, cap, "%s", col ? "" : "Compression (zstd)");
		if (col)
			snprintf(buf, cap, "%u", s->backup.compression);
		break;
	case R_DEVICE:
		snprintf(buf, cap, "%s", col ? (s->backup.device ? s->backup.device : "(host name)") : "Device name");
		break;
	case R_SCHEDULE:
		snprintf(buf, cap, "%s", col ? (s->backup.schedule ? s->backup.schedule : "off") : "Schedule");
		break;
	case R_BANDWIDTH:
		snprintf(buf, cap, "%s", col ? s->backup.bandwidth : "Bandwidth cap");
		break;
	case R_SOURCE:
		snprintf(buf, cap, "%s", col ? s->backup.sources[i] : "Source");
		break;
	case R_EXCLUDE:
	default:
		snprintf(buf, cap, "%s", col ? s->backup.exclude[i] : "Exclude");
		break;
	}
}

static void *bs_enter(struct app *a, void *arg)
{
	struct bsettings *b = xcalloc(1, sizeof(*b));

	(void)arg;
	b->a = a;
	b->list.cols = cols;
	b->list.ncols = 2;
	b->list.cell = cell;
	b->list.arg = b;
	return b;
}

static void after(struct app *a, int rc, const struct err *e, const char *done)
{
	if (rc != RV_OK) {
		app_message("Backup settings", e->msg, ROLE_ERROR);
		return;
	}
	if (app_save(a) == RV_OK)
		app_status(a, ROLE_OK, "%s (saved)", done);
}

/* What an entry box checks on Enter: the value goes into the settings as
 * `revault set` would take it; a refusal keeps the box open with the
 * reason under the field. */
struct entry {
	struct app *a;
	const char *key;   /* backup.revisions ..., or NULL for a source or exclude */
	bool source;
};

static bool take(void *arg, const char *v, char *msg, size_t cap)
{
	struct entry *en = arg;
	struct settings *s = &en->a->settings;
	struct err e = { 0 };
	int rc;

	/* The box asks for an absolute path: the TUI's own directory is no
	 * operator's choice (the command line resolves against its cwd). */
	if (en->key == NULL && en->source && !app_check_absolute(NULL, v, msg, cap))
		return false;
	if (app_fresh(en->a, &e) != RV_OK)
		rc = e.code;
	else if (en->key == NULL)
		rc = en->source ? settings_source_add(s, v, &e) : settings_exclude_add(s, v, &e);
	else if (strcmp(en->key, "backup.device") == 0 && v[0] == '\0')
		rc = settings_unset(s, en->key, &e); /* empty: the host name (the prompt says so) */
	else
		rc = settings_set(s, en->key, v, &e);
	if (rc != RV_OK) {
		snprintf(msg, cap, "%s", e.msg);
		app_hint(msg, cap); /* the screen and key, not a command line */
	}
	return rc == RV_OK;
}

static void add(struct app *a, bool source)
{
	struct entry en = { .a = a, .source = source };
	char v[512] = "";

	if (!dialog_input_checked(source ? "Add source" : "Add exclude",
				  source ? "Absolute path of a file or folder to back up:"
					 : "Pattern to leave out (e.g. *.tmp, /var/cache/*):",
				  v, sizeof(v), false, take, &en) || v[0] == '\0')
		return;
	/* The entry as the settings hold it (a path is normalised). */
	if (app_save(a) == RV_OK)
		app_status(a, ROLE_OK, "%s %s (saved)", source ? "Source added:" : "Exclude added:",
			   source ? a->settings.backup.sources[a->settings.backup.nsources - 1]
				  : a->settings.backup.exclude[a->settings.backup.nexclude - 1]);
	if (source) {
		char note[1024];

		if (sources_symlink_note(a->settings.backup.sources[a->settings.backup.nsources - 1], note, sizeof(note)))
			dialog_message("Only the link", note, ROLE_WARNING);
	}
}

/* The schedule is installed as well as kept (core/schedule.h): what was
 * installed is said on the status line. A schedule refused (impossible
 * words, or an install that failed) keeps its box open with the reason. */
struct sched_entry {
	struct app *a;
	char said[SCHEDULE_SAID_MAX];
	int lock; /* schedule_lock, held until the settings are saved; -1 before */
};

static bool take_schedule(void *arg, const char *v, char *msg, size_t cap)
{
	struct sched_entry *se = arg;
	struct schedule sc;
	struct err e = { 0 };

	if (schedule_parse(v, &sc, &e) != RV_OK || (se->lock < 0 && (se->lock = schedule_lock(&e)) < 0) ||
	    app_fresh(se->a, &e) != RV_OK ||
	    schedule_set(&se->a->settings, &sc, se->a->settings_path, se->said, sizeof(se->said), &e) != RV_OK) {
		snprintf(msg, cap, "%s", e.msg);
		return false;
	}
	return true;
}

static void edit_schedule(struct app *a)
{
	struct sched_entry se = { .a = a, .lock = -1 };
	char v[64];

	snprintf(v, sizeof(v), "%s", a->settings.backup.schedule ? a->settings.backup.schedule : "off");
	if (!dialog_input_checked("Schedule", "daily HH:MM [random MIN], weekly DAY HH:MM, hourly or off:", v,
				  sizeof(v), false, take_schedule, &se)) {
		schedule_unlock(se.lock);
		return;
	}
	if (app_save(a) == RV_OK)
		app_status(a, ROLE_OK, "%s", se.said);
	schedule_unlock(se.lock);
}

static void edit(struct app *a, struct bsettings *b)
{
	/* By row kind; the schedule has its own dialog (edit_schedule). */
	static const char *const names[] = { "backup.revisions", "backup.compression", "backup.device", NULL,
					     "backup.bandwidth" };
	static const char *const prompts[] = {
		"Revisions kept on the server (1-1000):", "zstd level (1-19; 1 is fastest):",
		"Folder name on the server (empty: the host name):", NULL,
		"off, 512k, 2M (bytes/s), 16Mbit, or 08:00,512k 18:00,off:",
	};
	const struct settings *s = &a->settings;
	size_t i = 0;
	enum row_kind k = row_kind(s, b->list.sel, &i);
	struct entry en = { .a = a };
	char v[256], label[64];

	if (k == R_SCHEDULE) {
		edit_schedule(a);
		return;
	}
	if (k > R_BANDWIDTH) {
		app_status(a, ROLE_NORMAL, "Sources and excludes are added (a, x) and removed (d)");
		return;
	}
	en.key = names[k];
	cell(b, b->list.sel, 1, v, sizeof(v));
	if (k == R_DEVICE && s->backup.device == NULL)
		v[0] = '\0';
	if (!dialog_input_checked("Backup settings", prompts[k], v, sizeof(v), false, take, &en))
		return;
	/* The value as the settings hold it now, not as typed. */
	cell(b, b->list.sel, 0, label, sizeof(label));
	cell(b, b->list.sel, 1, v, sizeof(v));
	if (app_save(a) == RV_OK)
		app_status(a, ROLE_OK, "%s: %s (saved)", label, v);
}

static void remove_sel(struct app *a, struct bsettings *b)
{
	const struct settings *s = &a->settings;
	struct err e = { 0 };
	size_t i = 0;
	enum row_kind k = row_kind(s, b->list.sel, &i);
	char q[600], v[512];

	if (k < FIXED_ROWS)
		return;
	snprintf(v, sizeof(v), "%s", k == R_SOURCE ? s->backup.sources[i] : s->backup.exclude[i]);
	snprintf(q, sizeof(q), "Remove %s %s?", k == R_SOURCE ? "source" : "exclude", v);
	if (!dialog_confirm("Backup settings", q, ROLE_WARNING))
		return;
	if (app_fresh(a, &e) != RV_OK)
		app_message("Backup settings", e.msg, ROLE_ERROR);
	else if (k == R_SOURCE)
		after(a, settings_source_remove(&a->settings, v, &e), &e, "Source removed");
	else
		after(a, settings_exclude_remove(&a->settings, v, &e), &e, "Exclude removed");
}

static int bs_key(struct app *a, void *st, int ch)
{
	struct bsettings *b = st;

	b->list.nrows = FIXED_ROWS + (int)(a->settings.backup.nsources + a->settings.backup.nexclude);
	switch (keybind_lookup(keys, ch)) {
	case B_ADD_SOURCE:
		add(a, true);
		return SCR_REDRAW;
	case B_ADD_EXCLUDE:
		add(a, false);
		return SCR_REDRAW;
	case B_REMOVE:
		remove_sel(a, b);
		return SCR_REDRAW;
	case B_EDIT:
		edit(a, b);
		return SCR_REDRAW;
	case B_BACK:
		return SCR_POP;
	default:
		return list_key(&b->list, ch, 10) ? SCR_REDRAW : SCR_IGNORED;
	}
}

static void bs_draw(struct app *a, void *st)
{
	struct bsettings *b = st;

	b->list.nrows = FIXED_ROWS + (int)(a->settings.backup.nsources + a->settings.backup.nexclude);
	frame_text(stdscr, 2, 2, 76, "What is backed up, and how", ROLE_TITLE, 0);
	list_draw(stdscr, &b->list, 4, 1, 15, 78);
	if (a->settings.backup.nsources == 0)
		frame_text(stdscr, 20, 2, 76, "Nothing to back up yet: press a to add a folder such as /etc.",
			   ROLE_WARNING, 0);
}

static void bs_leave(struct app *a, void *st)
{
	(void)a;
	free(st);
}

const struct screen screen_bsettings = {
	.title = "revault: backup settings",
	.name = "Backup settings",
	.enter = bs_enter,
	.draw = bs_draw,
	.key = bs_key,
	.leave = bs_leave,
	.keys = keys,
};
