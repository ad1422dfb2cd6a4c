/* scr_job: runs one job (backup, restore, verify, authenticate) with its
 * phase, current file and progress bar, answers its questions through
 * dialogs, and shows how it ended. Esc or c cancels, after a confirmation. */
#include "tui/app.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "core/util.h"
#include "widgets/dialog.h"
#include "widgets/frame.h"
#include "widgets/progress.h"

struct jobscr {
	struct job_request req;
	char *revision, *device, *to_dir;
	char **paths;
	struct app_job run;
	enum job_state state;
	struct job_progress jp;
	double last_draw;
	int result;
	struct err err;
	bool key_warning;  /* failed over the server's key: app_job_key_warning */
	bool cancel_asked; /* the operator said Yes to the cancel */
	bool cancelled;    /* and it stopped the job: JOB_VERDICT_CANCELLED */
	char summary[ERR_MSG_MAX + 64];
	/* The job's warnings (log lines at LOG_WARNING and above), written on
	 * its thread: the first ones kept to show with the result, all
	 * counted; each also goes to syslog as the command line's do. */
	pthread_mutex_t warn_lock;
	char warnings[2][512];
	size_t nwarnings;
};

#define SHOWN_WARNINGS 2

enum { J_CANCEL = 1, J_BACK };

static const struct keybind keys[] = {
	{ "F1", "?", "Help", 0, { 0 } },
	{ "F8", "c", "Cancel", J_CANCEL, { 'c', KEY_F(8) } },
	{ NULL, "Esc", "Cancel/Back", J_CANCEL, { KEY_ESC } },
	{ NULL, NULL, NULL, J_BACK, { '\n', '\r', KEY_ENTER } },
	{ "F10", "q", "Quit", 0, { 0 } },
	{ 0 },
};

/* Once the cancel was sent, the job only winds down. */
static const struct keybind cancelling_keys[] = {
	{ "F1", "?", "Help", 0, { 0 } },
	{ "F10", "q", "Quit", 0, { 0 } },
	{ 0 },
};

/* Once the job has ended there is nothing left to cancel. */
static const struct keybind done_keys[] = {
	{ "F1", "?", "Help", 0, { 0 } },
	{ NULL, "Enter/Esc", "Back", J_BACK, { '\n', '\r', KEY_ENTER, KEY_ESC } },
	{ "F10", "q", "Quit", 0, { 0 } },
	{ 0 },
};

static const char *kind_name(enum job_kind k)
{
	static const char *const names[] = {
		[JOB_BACKUP] = "Backup", [JOB_RESTORE] = "Restore", [JOB_VERIFY] = "Verify",
		[JOB_LIST] = "List", [JOB_AUTHENTICATE] = "Authenticate",
		[JOB_LS] = "Browse",
	};

	return (size_t)k < ARRAY_LEN(names) ? names[k] : "Job";
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void job_log(void *arg, int prio, const char *msg)
{
	struct jobscr *js = arg;

	if (prio <= LOG_INFO)
		syslog(prio, "%s", msg);
	if (prio > LOG_WARNING)
		return;
	pthread_mutex_lock(&js->warn_lock);
	if (js->nwarnings < SHOWN_WARNINGS)
		snprintf(js->warnings[js->nwarnings], sizeof(js->warnings[0]), "%s", msg);
	js->nwarnings++;
	pthread_mutex_unlock(&js->warn_lock);
}

/* The command line's "add --path A --path B" as what the browser does:
 * "mark also A, B". */
static void marks_for_paths(char *msg, size_t cap)
{
	static const char from[] = "add --path ", to[] = "mark also ";
	char *at = strstr(msg, from), *p;

	if (at == NULL)
		return;
	memmove(at + strlen(to), at + strlen(from), strlen(at + strlen(from)) + 1);
	memcpy(at, to, strlen(to));
	while ((p = strstr(at, " --path ")) != NULL) {
		memmove(p + 2, p + strlen(" --path "), strlen(p + strlen(" --path ")) + 1);
		memcpy(p, ", ", 2);
	}
	(void)cap; /* both rewrites shorten the text */
}

static void *job_enter(struct app *a, void *arg)
{
	const struct job_request *req = arg;
	struct jobscr *js = xcalloc(1, sizeof(*js));
	struct job_params p;

	js->req = *req;
	js->revision = dup_or_null(req->revision);
	js->device = dup_or_null(req->device);
	js->to_dir = dup_or_null(req->to_dir);
	if (req->npaths > 0) {
		js->paths = xcalloc(req->npaths, sizeof(char *));
		for (size_t i = 0; i < req->npaths; i++)
			js->paths[i] = xstrdup(req->paths[i]);
	}
	js->req.paths = NULL;
	pthread_mutex_init(&js->warn_lock, NULL);
	app_job_params(a, &p);
	p.log = job_log;
	p.log_arg = js;
	p.paths = js->paths;
	p.npaths = req->npaths;
	p.revision = js->revision;
	p.device = js->device;
	p.to_dir = js->to_dir;
	app_job_start(&js->run, req->kind, &p);
	job_progress(js->run.job, &js->jp);
	js->state = JOB_NEW;
	js->result = -1;
	app_status(a, ROLE_NORMAL, "%s started", kind_name(req->kind));
	return js;
}

static bool done(const struct jobscr *js)
{
	return js->result == RV_OK || js->result == RV_INCOMPLETE;
}

static void finish(struct app *a, struct jobscr *js)
{
	const char *what = kind_name(js->req.kind);

	js->result = job_result(js->run.job, &js->err);
	js->key_warning = app_job_key_warning(js->run.job);
	js->cancelled = job_verdict(js->run.job) == JOB_VERDICT_CANCELLED;
	/* Done with warnings (exit 6) is done: the summary says how many. */
	if (js->cancelled)
		snprintf(js->summary, sizeof(js->summary), "%s cancelled: nothing was changed", what);
	else if (done(js) && js->cancel_asked)
		snprintf(js->summary, sizeof(js->summary), "%s finished before the cancel: %s", what,
			 job_summary(js->run.job));
	else
		snprintf(js->summary, sizeof(js->summary), "%s",
			 done(js) ? job_summary(js->run.job) : js->err.msg);
	app_hint(js->summary, sizeof(js->summary));
	if (js->paths != NULL)
		marks_for_paths(js->summary, sizeof(js->summary));
	/* The job wrote its record before it was seen to end. */
	if (js->req.kind == JOB_BACKUP)
		app_refresh_last_backup(a);
	if (js->cancelled)
		app_status(a, ROLE_WARNING, "%s cancelled: nothing was changed. Enter or Esc goes back.", what);
	else if (done(js) && js->cancel_asked)
		app_status(a, ROLE_WARNING, "%s finished before the cancel. Enter or Esc goes back.", what);
	else if (js->result == RV_OK)
		app_status(a, ROLE_OK, "%s done. Enter or Esc goes back.", kind_name(js->req.kind));
	else if (js->result == RV_INCOMPLETE)
		app_status(a, ROLE_WARNING, "%s done with warnings (see the log). Enter or Esc goes back.",
			   kind_name(js->req.kind));
	else
		app_status(a, ROLE_ERROR, "%s failed. Enter or Esc goes back.", kind_name(js->req.kind));
}

static int job_tick(struct app *a, void *st)
{
	struct jobscr *js = st;
	enum job_state prev = js->state;
	bool asked;
	double now;

	if (js->result >= 0)
		return SCR_IGNORED;
	js->state = app_job_step(a, &js->run, &asked);
	if (asked)
		return SCR_REDRAW;
	now = mono_now();
	job_progress(js->run.job, &js->jp);
	if (job_finished(js->state)) {
		finish(a, js);
		return SCR_REDRAW;
	}
	if (js->state != prev || (now - js->last_draw) * 1000 >= app_redraw_ms(a)) {
		js->last_draw = now;
		return SCR_REDRAW;
	}
	return SCR_IGNORED;
}

static void draw_line(int y, const char *label, const char *value)
{
	frame_text(stdscr, y, 2, 12, label, ROLE_DIM, 0);
	frame_text(stdscr, y, 14, 64, value, ROLE_NORMAL, 1);
}

static void draw_result(struct jobscr *js)
{
	if (js->cancelled || (done(js) && js->cancel_asked)) {
		frame_text(stdscr, 13, 2, 76, js->cancelled ? "Cancelled" : "Finished before the cancel",
			   ROLE_WARNING, 0);
		frame_wrap(stdscr, 14, 2, 76, 5, js->summary, ROLE_NORMAL);
		return;
	}
	if (done(js)) {
		int y = 14;

		frame_text(stdscr, 13, 2, 76, js->result == RV_OK ? "Done" : "Done, with warnings",
			   js->result == RV_OK ? ROLE_OK : ROLE_WARNING, 0);
		/* The warnings first: the summary refers to them as above. */
		pthread_mutex_lock(&js->warn_lock);
		for (size_t i = 0; i < js->nwarnings && i < SHOWN_WARNINGS; i++)
			y += frame_wrap(stdscr, y, 2, 76, 2, js->warnings[i], ROLE_WARNING);
		if (js->nwarnings > SHOWN_WARNINGS) {
			char more[96];

			snprintf(more, sizeof(more), "and %zu more warnings (in the system log)",
				 js->nwarnings - SHOWN_WARNINGS);
			y += frame_wrap(stdscr, y, 2, 76, 1, more, ROLE_WARNING);
		}
		pthread_mutex_unlock(&js->warn_lock);
		frame_wrap(stdscr, y, 2, 76, 21 - y, js->summary, ROLE_NORMAL);
		return;
	}
	frame_text(stdscr, 13, 2, 76,
		   js->key_warning ? "WARNING: the server's key is not the one trusted. Nothing was sent." : "Failed",
		   ROLE_ERROR, 0);
	frame_wrap(stdscr, 14, 2, 76, 6, js->summary, ROLE_ERROR);
	if (js->key_warning)
		frame_wrap(stdscr, 20, 2, 76, 1, "If the server was really re-keyed, remove it under Known hosts.",
			   ROLE_NORMAL);
}

/* Whether the job archives or fetches files, so that its counters and
 * bar mean something. */
static bool moves_data(enum job_kind k)
{
	return k == JOB_BACKUP || k == JOB_RESTORE || k == JOB_VERIFY;
}

static void job_draw(struct app *a, void *st)
{
	struct jobscr *js = st;
	const struct progress_view bar = {
		.percent = js->jp.percent, .done = js->jp.done_text, .total = js->jp.total_text,
		.rate = js->jp.rate_text, .eta = js->jp.eta_text, .stalled = js->jp.stalled,
	};
	char buf[128];

	snprintf(buf, sizeof(buf), "revault: %s", kind_name(js->req.kind));
	frame_text(stdscr, 0, 1, 40, buf, ROLE_TITLE, 0);
	frame_text(stdscr, 2, 2, 76, kind_name(js->req.kind), ROLE_TITLE, 0);
	draw_line(3, "Server", a->settings.server.url ? a->settings.server.url : "(not set)");
	if (js->revision)
		draw_line(4, "Revision", js->revision);
	if (js->to_dir)
		draw_line(5, "Into", js->to_dir);
	draw_line(6, "Phase", js->jp.phase ? js->jp.phase : job_state_name(js->state));
	if (!moves_data(js->req.kind)) {
		/* Authenticate only talks to the server: no files, no bytes. */
		if (js->result >= 0)
			draw_result(js);
		return;
	}
	draw_line(7, "Current", js->jp.current);
	snprintf(buf, sizeof(buf), "%llu%s%llu   skipped %llu", (unsigned long long)js->jp.files_done,
		 js->jp.files_total ? " of " : "", (unsigned long long)js->jp.files_total,
		 (unsigned long long)js->jp.skipped);
	if (!js->jp.files_total)
		snprintf(buf, sizeof(buf), "%llu   skipped %llu", (unsigned long long)js->jp.files_done,
			 (unsigned long long)js->jp.skipped);
	draw_line(8, "Files", buf);
	progress_draw(stdscr, 10, 2, 76, &bar, js->result < 0 && !js->cancel_asked ? "Esc/c cancel" : NULL);
	if (js->result >= 0)
		draw_result(js);
}

struct live {
	struct app *a;
	struct jobscr *js;
};

/* While the cancel confirmation is up the job goes on: its progress is
 * drawn under the dialog; its end is seen there but shown once the
 * operator has answered. */
static bool cancel_tick(void *arg)
{
	struct live *l = arg;
	struct jobscr *js = l->js;
	enum job_state prev = js->state;
	double now;

	if (job_finished(js->state)) {
		napms(100);
		return false;
	}
	js->state = app_job_poll(&js->run);
	job_progress(js->run.job, &js->jp);
	now = mono_now();
	if (js->state != prev || (now - js->last_draw) * 1000 >= app_redraw_ms(l->a)) {
		js->last_draw = now;
		return true;
	}
	return false;
}

static int job_key(struct app *a, void *st, int ch)
{
	struct jobscr *js = st;
	struct live live = { a, js };
	int act = keybind_lookup(keys, ch);
	char q[96];

	if (js->result >= 0)
		return keybind_lookup(done_keys, ch) ? SCR_POP : SCR_IGNORED;
	if (act != J_CANCEL)
		return SCR_IGNORED;
	if (js->cancel_asked)
		return SCR_HANDLED; /* asked once; the job is winding down */
	snprintf(q, sizeof(q), "Cancel the %s? What was sent so far is removed from the server.",
		 kind_name(js->req.kind));
	if (dialog_confirm_live("Cancel", q, ROLE_WARNING, cancel_tick, &live)) {
		js->cancel_asked = true;
		/* A job that ended under the dialog is not cancelled: finish()
		 * says it came too late. Else the job may still end done (the
		 * revision renamed into place first), and finish() says so. */
		if (!job_finished(js->state)) {
			job_cancel(js->run.job);
			app_status(a, ROLE_WARNING, "Cancelling...");
		}
	}
	if (job_finished(js->state))
		finish(a, js);
	return SCR_REDRAW;
}

static void job_leave(struct app *a, void *st)
{
	struct jobscr *js = st;

	(void)a;
	app_job_stop(&js->run);
	pthread_mutex_destroy(&js->warn_lock);
	free(js->revision);
	free(js->device);
	free(js->to_dir);
	for (size_t i = 0; i < js->req.npaths; i++)
		free(js->paths[i]);
	free(js->paths);
	free(js);
}

static const struct keybind *job_bar(struct app *a, void *st)
{
	const struct jobscr *js = st;

	(void)a;
	if (js->result >= 0)
		return done_keys;
	return js->cancel_asked ? cancelling_keys : keys;
}

static bool job_busy(struct app *a, void *st)
{
	struct jobscr *js = st;

	(void)a;
	return js->result < 0;
}

const struct screen screen_job = {
	.title = "revault: job",
	.name = "Backup and restore progress",
	.enter = job_enter,
	.draw = job_draw,
	.key = job_key,
	.tick = job_tick,
	.leave = job_leave,
	.keys = keys,
	.bar = job_bar,
	.busy = job_busy,
};
