/* scr_job: runs one job (backup, restore, verify, authenticate) with its
 * phase, current file and progress bar, answers its questions through
 * dialogs, and shows how it ended. Esc or c cancels, after a confirmation. */
#include "tui/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/url.h"
#include "core/util.h"
#include "widgets/dialog.h"
#include "widgets/frame.h"
#include "widgets/progress.h"

#define STEP_MS 100
#define LEAVE_WAIT_S 20.0

struct jobscr {
	struct job_request req;
	char *revision, *device, *to_dir;
	struct job *job;
	enum job_state state;
	enum job_question answered;
	struct job_progress jp;
	struct progress bar;
	double last_draw;
	int result;
	struct err err;
	char summary[ERR_MSG_MAX + 64];
};

enum { J_CANCEL = 1, J_BACK };

static const struct keymap job_keys[] = {
	{ KEY_ESC, J_CANCEL }, { 'c', J_CANCEL }, { KEY_F(8), J_CANCEL },
	{ '\n', J_BACK }, { '\r', J_BACK }, { KEY_ENTER, J_BACK },
	{ 0, 0 },
};

static const struct keybar_item keys[] = {
	{ "F1", "?", "Help" },
	{ "F8", "c", "Cancel" },
	{ NULL, "Esc", "Cancel/Back" },
	{ "F10", "q", "Quit" },
	{ NULL, NULL, NULL },
};

static const char *kind_name(enum job_kind k)
{
	static const char *const names[] = {
		[JOB_BACKUP] = "Backup", [JOB_RESTORE] = "Restore", [JOB_VERIFY] = "Verify",
		[JOB_LIST] = "List", [JOB_AUTHENTICATE] = "Authenticate",
	};

	return (size_t)k < ARRAY_LEN(names) ? names[k] : "Job";
}

void app_job_params(struct app *a, struct job_params *p)
{
	memset(p, 0, sizeof(*p));
	p->settings_path = a->settings_path;
	p->settings = &a->settings;
	p->ask_hostkey = true;
}

/* The fingerprint dialog: trust on first use needs the word yes. */
static bool ask_hostkey(struct app *a, struct job *j)
{
	const struct hostkey *k = job_hostkey(j);
	struct sftp_url u;
	struct err e = { 0 };
	char text[1024], answer[128] = "";
	bool ok;

	if (k == NULL || url_parse(a->settings.server.url ? a->settings.server.url : "", &u, &e) != RV_OK)
		return false;
	snprintf(text, sizeof(text),
		 "The authenticity of host %s port %u can't be established.\n\n"
		 "Key type: %s\nSHA256:   %s\nMD5:      %s\n\n"
		 "Compare with the server's own (ssh-keygen -l -f /etc/ssh/ssh_host_*_key.pub).\n"
		 "Type yes to trust this key; anything else refuses it.",
		 u.host, u.port, k->type, k->sha256, k->md5);
	ok = dialog_input("New server key", text, answer, sizeof(answer), false) &&
	     (strcmp(answer, "yes") == 0 || strcmp(answer, k->sha256) == 0);
	if (ok) {
		settings_known_host_add(&a->settings, u.host, u.port, k->type, k->sha256, k->md5);
		ok = app_save(a) == RV_OK;
		if (ok)
			app_status(a, ROLE_OK, "Trusted %s:%u %s", u.host, u.port, k->type);
	}
	url_free(&u);
	return ok;
}

static bool ask_replace(struct job *j)
{
	const char **targets;
	size_t n = job_targets(j, &targets);
	char text[1400];
	size_t len;

	len = (size_t)snprintf(text, sizeof(text), "Restore in place replaces these paths:\n");
	for (size_t i = 0; i < n && i < 8 && len < sizeof(text); i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "  %s\n", targets[i]);
	if (n > 8 && len < sizeof(text))
		len += (size_t)snprintf(text + len, sizeof(text) - len, "  ... and %zu more\n", n - 8);
	if (len < sizeof(text))
		snprintf(text + len, sizeof(text) - len, "Replace them?");
	return dialog_confirm("Replace files", text, ROLE_WARNING);
}

void app_job_answer(struct app *a, struct job *j)
{
	bool yes = false;

	switch (job_question(j)) {
	case JOB_Q_HOSTKEY_NEW:
		yes = ask_hostkey(a, j);
		break;
	case JOB_Q_UNSIGNED:
		yes = dialog_confirm("Unprotected backup",
				     "This revision is not protected: it is neither encrypted nor signed, so "
				     "nothing proves it was not changed on the server. Restore it anyway?",
				     ROLE_WARNING);
		break;
	case JOB_Q_REPLACE:
		yes = ask_replace(j);
		break;
	case JOB_Q_NONE:
	default:
		return;
	}
	job_answer(j, yes);
	a->dirty = true;
}

void app_job_failed(struct app *a, struct job *j, const char *what)
{
	struct err e = { 0 };
	int rc = job_result(j, &e);
	char title[96];

	if (rc == RV_HOSTKEY && strstr(e.msg, "not accepted") == NULL) {
		dialog_message("WARNING: SERVER KEY CHANGED OR UNKNOWN", e.msg, ROLE_ERROR);
	} else {
		snprintf(title, sizeof(title), "%s failed", what);
		dialog_message(title, e.msg, ROLE_ERROR);
	}
	a->dirty = true;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
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
	app_job_params(a, &p);
	p.revision = js->revision;
	p.device = js->device;
	p.to_dir = js->to_dir;
	js->job = job_new(req->kind, &p);
	js->state = JOB_NEW;
	js->result = -1;
	progress_init(&js->bar, mono_now());
	app_status(a, ROLE_NORMAL, "%s started", kind_name(req->kind));
	return js;
}

static void finish(struct app *a, struct jobscr *js)
{
	time_t now = time(NULL);
	struct tm tm;

	js->result = job_result(js->job, &js->err);
	snprintf(js->summary, sizeof(js->summary), "%s", js->result == RV_OK ? job_summary(js->job) : js->err.msg);
	if (js->result == RV_OK && js->req.kind == JOB_BACKUP) {
		localtime_r(&now, &tm);
		strftime(a->last_backup, sizeof(a->last_backup), "%Y-%m-%d %H:%M (ok)", &tm);
	}
	if (js->result == RV_OK)
		app_status(a, ROLE_OK, "%s done. Enter or Esc goes back.", kind_name(js->req.kind));
	else
		app_status(a, ROLE_ERROR, "%s failed. Enter or Esc goes back.", kind_name(js->req.kind));
}

static int job_tick(struct app *a, void *st)
{
	struct jobscr *js = st;
	enum job_state prev = js->state;
	double now;

	if (js->result >= 0)
		return SCR_IGNORED;
	js->state = job_step(js->job, STEP_MS);
	if (js->state != JOB_WAITING)
		js->answered = JOB_Q_NONE;
	else if (job_question(js->job) != JOB_Q_NONE && job_question(js->job) != js->answered) {
		js->answered = job_question(js->job);
		app_job_answer(a, js->job);
		return SCR_REDRAW;
	}
	now = mono_now();
	job_progress(js->job, &js->jp);
	progress_update(&js->bar, js->jp.bytes_done, js->jp.bytes_total, now);
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
	bool changed = js->result == RV_HOSTKEY && strstr(js->err.msg, "not accepted") == NULL;

	if (js->result == RV_OK) {
		frame_text(stdscr, 13, 2, 76, "Done", ROLE_OK, 0);
		frame_wrap(stdscr, 14, 2, 76, 5, js->summary, ROLE_NORMAL);
		return;
	}
	frame_text(stdscr, 13, 2, 76,
		   changed ? "WARNING: the server's key is not the one trusted. Nothing was sent." : "Failed",
		   ROLE_ERROR, 0);
	frame_wrap(stdscr, 14, 2, 76, 6, js->summary, ROLE_ERROR);
	if (changed)
		frame_wrap(stdscr, 20, 2, 76, 1, "If the server was really re-keyed, remove it under Known hosts.",
			   ROLE_NORMAL);
}

static void job_draw(struct app *a, void *st)
{
	struct jobscr *js = st;
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
	draw_line(7, "Current", js->jp.current);
	snprintf(buf, sizeof(buf), "%llu%s%llu   skipped %llu", (unsigned long long)js->jp.files_done,
		 js->jp.files_total ? " of " : "", (unsigned long long)js->jp.files_total,
		 (unsigned long long)js->jp.skipped);
	if (!js->jp.files_total)
		snprintf(buf, sizeof(buf), "%llu   skipped %llu", (unsigned long long)js->jp.files_done,
			 (unsigned long long)js->jp.skipped);
	draw_line(8, "Files", buf);
	progress_draw(stdscr, 10, 2, 76, &js->bar, mono_now(), js->result < 0 ? "Esc/c cancel" : NULL);
	if (js->result >= 0)
		draw_result(js);
}

static int job_key(struct app *a, void *st, int ch)
{
	struct jobscr *js = st;
	int act = keymap_lookup(job_keys, ch);
	char q[96];

	if (js->result >= 0)
		return act ? SCR_POP : SCR_IGNORED;
	if (act != J_CANCEL)
		return SCR_IGNORED;
	snprintf(q, sizeof(q), "Cancel the %s? What was sent so far is removed from the server.",
		 kind_name(js->req.kind));
	if (dialog_confirm("Cancel", q, ROLE_WARNING)) {
		job_cancel(js->job);
		app_status(a, ROLE_WARNING, "Cancelling...");
	}
	return SCR_REDRAW;
}

static void job_leave(struct app *a, void *st)
{
	struct jobscr *js = st;
	double until = mono_now() + LEAVE_WAIT_S;

	(void)a;
	if (js->result < 0) {
		job_cancel(js->job);
		while (!job_finished(job_step(js->job, STEP_MS)) && mono_now() < until)
			;
	}
	job_free(js->job);
	free(js->revision);
	free(js->device);
	free(js->to_dir);
	free(js);
}

static bool job_busy(struct app *a, void *st)
{
	struct jobscr *js = st;

	(void)a;
	return js->result < 0;
}

const struct screen screen_job = {
	.title = "revault: job",
	.enter = job_enter,
	.draw = job_draw,
	.key = job_key,
	.tick = job_tick,
	.leave = job_leave,
	.keys = keys,
	.busy = job_busy,
};
