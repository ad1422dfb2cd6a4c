/* scr_restore: the revision picker. Entering lists the server's revisions
 * for this device (or another one, o), newest first; Verify checks one
 * without writing anything, Restore puts it in place or into a directory,
 * Browse opens its tree to restore only some files (tui/scr_browse.c).
 * A revision that fails to verify leaves the picker here to pick another.
 * A device with no revisions yet is an empty picker that says what to do. */
#include "tui/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/units.h"
#include "core/util.h"
#include "widgets/dialog.h"
#include "widgets/frame.h"
#include "widgets/list.h"

enum { R_RESTORE = 1, R_VERIFY, R_DEVICE, R_RELOAD, R_BACK, R_BROWSE };

static const struct keybind keys[] = {
	{ "F1", "?", "Help", 0, { 0 } },
	{ NULL, "b", "Browse", R_BROWSE, { 'b' } },
	{ "F4", "l", "Reload", R_RELOAD, { KEY_F(4), 'l' } },
	{ "F5", "r", "Restore", R_RESTORE, { KEY_F(5), 'r', '\n', '\r', KEY_ENTER } },
	{ "F6", "v", "Verify", R_VERIFY, { KEY_F(6), 'v' } },
	{ "F7", "o", "Device", R_DEVICE, { KEY_F(7), 'o' } },
	/* Esc goes back on every screen (help lists it there): its room
	 * on this bar is Browse's. */
	{ NULL, NULL, NULL, R_BACK, { KEY_ESC } },
	{ "F10", "q", "Quit", 0, { 0 } },
	{ 0 },
};

static const struct list_column cols[] = {
	{ "Revision", 20 }, { "Date (UTC)", 21 }, { "Size", 11 }, { "Kind", 12 }, { "Key", 0 },
};

struct restore {
	struct app_job list_job;  /* running while the revisions are listed */
	const struct revision *revs;
	size_t nrevs;
	struct list list;
	char device[128];
	char error[ERR_MSG_MAX];
	char empty[200];          /* the picker's text when it has no rows */
	char where[ERR_MSG_MAX];  /* the folder listed, once listed */
	char **devices;           /* the device folders on the server, as last listed */
	size_t ndevices;
	bool devices_listed;      /* the server let us list them */
};

static void cell(void *arg, int row, int col, char *buf, size_t cap)
{
	const struct revision *r = &((struct restore *)arg)->revs[row];
	const char *n = r->name;

	switch (col) {
	case 0:
		snprintf(buf, cap, "%s", n);
		break;
	case 1:
		if (strlen(n) >= 15)
			snprintf(buf, cap, "%.4s-%.2s-%.2s %.2s:%.2s:%.2s", n, n + 4, n + 6, n + 9, n + 11, n + 13);
		break;
	case 2:
		units_bytes(r->size, buf, cap);
		break;
	case 3:
		snprintf(buf, cap, "%s", r->protected_ ? (r->header_ok ? "protected" : "damaged") : "UNSIGNED");
		break;
	default:
		if (!r->protected_)
			snprintf(buf, cap, "-");
		else if (!r->header_ok)
			snprintf(buf, cap, "?");
		else
			snprintf(buf, cap, "%s %.8s", r->key_match ? "ours" : "OTHER", r->key_id);
		break;
	}
}

static void start_list(struct app *a, struct restore *r)
{
	struct job_params p;

	r->revs = NULL;
	r->nrevs = 0;
	r->error[0] = '\0';
	r->where[0] = '\0';
	snprintf(r->empty, sizeof(r->empty), "No revisions of %s yet.", r->device[0] ? r->device : "this machine");
	r->list.nrows = 0;
	r->list.sel = r->list.top = 0;
	app_job_params(a, &p);
	p.device = r->device[0] ? r->device : NULL;
	p.devices = true;
	app_job_start(&r->list_job, JOB_LIST, &p);
	app_status(a, ROLE_NORMAL, "Listing revisions on the server...");
}

static void *restore_enter(struct app *a, void *arg)
{
	struct restore *r = xcalloc(1, sizeof(*r));

	(void)arg;
	r->list.cols = cols;
	r->list.ncols = 5;
	r->list.cell = cell;
	r->list.arg = r;
	r->list.empty = r->empty;
	if (a->settings.server.url == NULL) {
		snprintf(r->error, sizeof(r->error), "No server is set: fill in the Server form first.");
		return r;
	}
	start_list(a, r);
	return r;
}

/* The device folders the listing found, for the Device dialog to offer:
 * "alpha, beta, gamma" (cut with "..." when they do not fit). */
static void free_devices(struct restore *r)
{
	for (size_t i = 0; i < r->ndevices; i++)
		free(r->devices[i]);
	free(r->devices);
	r->devices = NULL;
	r->ndevices = 0;
}

static void note_devices(struct restore *r)
{
	char *const *dev;
	size_t n = job_devices(r->list_job.job, &dev);

	free_devices(r);
	r->devices_listed = dev != NULL;
	r->devices = xcalloc(n ? n : 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		r->devices[i] = xstrdup(dev[i]);
	r->ndevices = n;
}

/* The device name typed in a box: empty is this machine's. */
static bool type_device(const char *lead, char *dev, size_t cap)
{
	char text[300];

	snprintf(text, sizeof(text), "%sDevice folder to list (empty: this machine's):", lead);
	return dialog_input_checked("Other device", text, dev, cap, false, app_check_device, NULL);
}

/* Which device's revisions to list: a list of the device folders on the
 * server (as the last listing found them; it scrolls when they are many),
 * with this machine's first and a way to type another name last. */
static void pick_device(struct app *a, struct restore *r)
{
	char dev[128];

	snprintf(dev, sizeof(dev), "%s", r->device);
	if (r->ndevices > 0) {
		const char **choices = xcalloc(r->ndevices + 2, sizeof(char *));
		int n = (int)r->ndevices + 2, at = 0;
		bool ok;

		choices[0] = "(this machine's)";
		for (size_t i = 0; i < r->ndevices; i++) {
			choices[i + 1] = r->devices[i];
			if (strcmp(r->devices[i], r->device) == 0)
				at = (int)i + 1;
		}
		choices[n - 1] = "(type another name)";
		ok = dialog_choose("Other device", "Device folders on the server:", choices, n, &at);
		free(choices);
		if (!ok)
			return;
		if (at == n - 1) {
			if (!type_device("", dev, sizeof(dev)))
				return;
		} else {
			snprintf(dev, sizeof(dev), "%s", at == 0 ? "" : r->devices[at - 1]);
		}
	} else if (!type_device(r->devices_listed ? "No device folders on the server yet.\n\n"
						  : "The device folders on the server could not be listed (the server "
						    "refused, or the listing has not run).\n\n",
				dev, sizeof(dev))) {
		return;
	}
	snprintf(r->device, sizeof(r->device), "%s", dev);
	if (!r->list_job.running && a->settings.server.url)
		start_list(a, r);
}

static void list_done(struct app *a, struct restore *r)
{
	struct err e = { 0 };

	if (job_result(r->list_job.job, &e) != RV_OK) {
		snprintf(r->error, sizeof(r->error), "%s", e.msg);
		app_hint(r->error, sizeof(r->error));
		app_status(a, ROLE_ERROR, "Listing failed");
		app_job_failed(a, r->list_job.job, "Listing");
		return;
	}
	r->nrevs = job_revisions(r->list_job.job, &r->revs);
	note_devices(r);
	r->list.nrows = (int)r->nrevs;
	snprintf(r->where, sizeof(r->where), "%s", job_remote_dir(r->list_job.job));
	/* No backup of the device yet is not a failure: an empty picker. */
	if (r->nrevs == 0)
		app_status(a, ROLE_NORMAL, "No revisions yet in %s", r->where);
	else
		app_status(a, ROLE_OK, "%zu revision%s in %s", r->nrevs, r->nrevs == 1 ? "" : "s", r->where);
}

static int restore_tick(struct app *a, void *st)
{
	struct restore *r = st;
	bool asked;
	enum job_state s = app_job_step(a, &r->list_job, &asked);

	if (asked)
		return SCR_REDRAW;
	if (job_finished(s)) {
		list_done(a, r);
		return SCR_REDRAW;
	}
	return SCR_IGNORED;
}

static bool restore_busy(struct app *a, void *st)
{
	(void)a;
	return ((struct restore *)st)->list_job.running;
}

static void run(struct app *a, struct restore *r, enum job_kind kind)
{
	struct job_request req = { .kind = kind };
	char dir[512] = "", q[700];
	const char *name;

	if (!r->list_job.running && r->error[0] == '\0' && r->nrevs == 0) {
		app_status(a, ROLE_WARNING, "Nothing to %s: no revisions yet", kind == JOB_VERIFY ? "verify" : "restore");
		return;
	}
	if (r->list_job.running || r->nrevs == 0 || r->list.sel < 0) {
		app_status(a, ROLE_WARNING, "No revision to pick");
		return;
	}
	name = r->revs[r->list.sel].name;
	req.revision = name;
	req.device = r->device[0] ? r->device : NULL;
	if (kind == JOB_LS) {
		app_push(a, &screen_browse, &req);
		return;
	}
	if (kind == JOB_RESTORE) {
		if (!dialog_input_checked("Restore", "Restore into this directory (an absolute path):", dir, sizeof(dir),
					  false, app_check_restore_dir, NULL)) {
			app_status(a, ROLE_NORMAL, "Restore cancelled: nothing was changed");
			return;
		}
		/* An empty answer is a slip as often as a choice: in place is
		 * only taken after its own question, which defaults to No. */
		if (dir[0] == '\0') {
			snprintf(q, sizeof(q),
				 "No directory was given. Restore revision %s in place instead, replacing the "
				 "backed-up paths on this machine?", name);
			if (!dialog_confirm("Restore in place", q, ROLE_WARNING)) {
				app_status(a, ROLE_NORMAL, "Restore cancelled: no directory given, nothing was changed");
				return;
			}
		} else {
			snprintf(q, sizeof(q), "Restore revision %s into %s?", name, dir);
			if (!dialog_confirm("Restore", q, ROLE_NORMAL)) {
				app_status(a, ROLE_NORMAL, "Restore cancelled: nothing was changed");
				return;
			}
			req.to_dir = dir;
		}
	}
	app_push(a, &screen_job, &req);
}

static int restore_key(struct app *a, void *st, int ch)
{
	struct restore *r = st;

	switch (keybind_lookup(keys, ch)) {
	case R_RESTORE:
		run(a, r, JOB_RESTORE);
		return SCR_REDRAW;
	case R_VERIFY:
		run(a, r, JOB_VERIFY);
		return SCR_REDRAW;
	case R_BROWSE:
		run(a, r, JOB_LS);
		return SCR_REDRAW;
	case R_DEVICE:
		pick_device(a, r);
		return SCR_REDRAW;
	case R_RELOAD:
		if (!r->list_job.running && a->settings.server.url)
			start_list(a, r);
		return SCR_REDRAW;
	case R_BACK:
		return SCR_POP;
	default:
		return list_key(&r->list, ch, 10) ? SCR_REDRAW : SCR_IGNORED;
	}
}

static void restore_draw(struct app *a, void *st)
{
	struct restore *r = st;
	char buf[200];

	(void)a;
	snprintf(buf, sizeof(buf), "Revisions of %s, newest first", r->device[0] ? r->device : "this machine");
	frame_text(stdscr, 2, 2, 76, buf, ROLE_TITLE, 0);
	if (r->list_job.running) {
		struct job_progress p;

		job_progress(r->list_job.job, &p);
		snprintf(buf, sizeof(buf), "Listing: %s...", p.phase ? p.phase : job_state_name(p.state));
		frame_text(stdscr, 4, 2, 76, buf, ROLE_NORMAL, 0);
		return;
	}
	if (r->error[0]) {
		frame_wrap(stdscr, 4, 2, 76, 8, r->error, ROLE_ERROR);
		frame_text(stdscr, 13, 2, 76, "l tries again, Esc goes back.", ROLE_DIM, 0);
		return;
	}
	list_draw(stdscr, &r->list, 4, 1, 15, 78);
	if (r->nrevs == 0) {
		char text[ERR_MSG_MAX + 200];

		frame_text(stdscr, 7, 2, 76, "Nothing is stored on the server yet. Looked in:", ROLE_NORMAL, 0);
		frame_wrap(stdscr, 8, 4, 74, 2, r->where, ROLE_NORMAL);
		if (r->device[0])
			snprintf(text, sizeof(text), "Is %s that machine's device name (its backup.device)? o picks "
				 "another device; l lists again.", r->device);
		else
			snprintf(text, sizeof(text), "Backup now (B on the main menu) sends the first revision; l lists "
				 "again.");
		frame_wrap(stdscr, 11, 2, 76, 2, text, ROLE_DIM);
		return;
	}
	frame_text(stdscr, 20, 2, 76, "Verify (v) checks without writing anything; Browse (b) shows the files.",
		   ROLE_DIM, 0);
}

static void restore_leave(struct app *a, void *st)
{
	struct restore *r = st;

	(void)a;
	app_job_stop(&r->list_job);
	free_devices(r);
	free(r);
}

const struct screen screen_restore = {
	.title = "revault: restore",
	.name = "Restore",
	.enter = restore_enter,
	.draw = restore_draw,
	.key = restore_key,
	.tick = restore_tick,
	.leave = restore_leave,
	.keys = keys,
	.busy = restore_busy,
};
