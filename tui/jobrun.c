/* jobrun: how the screens drive a job: the parameters from the app, one
 * step a tick, each question answered once through a dialog (the host key
 * put on record by core/trust), a failure shown by its verdict, and on
 * leaving a cancel that waits a bounded time for the job to tidy up. */
#include "tui/app.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "core/fingerprint.h"
#include "core/trust.h"
#include "core/url.h"
#include "core/util.h"
#include "widgets/dialog.h"

#define STEP_MS 100
#define STOP_WAIT_S 20.0

/* The job's log lines (warnings, a hook's output, the summary) go to
 * syslog as the command line's do; the screen shows the outcome. */
static void log_line(void *arg, int prio, const char *msg)
{
	(void)arg;
	if (prio <= LOG_INFO)
		syslog(prio, "%s", msg);
}

void app_job_params(struct app *a, struct job_params *p)
{
	memset(p, 0, sizeof(*p));
	p->settings_path = a->settings_path;
	p->settings = &a->settings;
	p->ask_hostkey = true;
	openlog("revault", LOG_PID, LOG_DAEMON);
	p->log = log_line;
}

/* The fingerprint dialog: trust on first use needs the word yes, or the
 * fingerprint pasted whole; core/trust decides and saves. */
static bool ask_hostkey(struct app *a, struct job *j)
{
	const struct hostkey *k = job_hostkey(j);
	const struct sftp_url *u = job_server(j);
	struct err e = { 0 };
	char text[1024], answer[128] = "", where[URL_HOSTPORT_MAX], hint[256];
	const char *note = fingerprint_type_note(k->type);
	int rc;

	snprintf(text, sizeof(text),
		 "The authenticity of host %s port %u can't be established.\n\n"
		 "Key type:    %s\nFingerprint: %s\n             %s\n\n"
		 "Compare with the server's own, read on the server:\n%s\n\n"
		 "Type yes to trust this key (or paste its fingerprint); anything else refuses it.",
		 u->host, u->port, k->type, k->sha256, k->md5[0] != '\0' ? k->md5 : "(not available)",
		 fingerprint_server_hint(k->type, "", hint, sizeof(hint)));
	if (!dialog_input("New server key", text, answer, sizeof(answer), false))
		return false;
	rc = trust_hostkey(&a->settings, a->settings_path, u->host, u->port, k, answer, &e);
	if (rc == RV_OK)
		app_status(a, note != NULL ? ROLE_WARNING : ROLE_OK, "Trusted %s %s",
			   url_format_hostport(u->host, u->port, 0, where, sizeof(where)), k->type);
	else if (rc != RV_HOSTKEY)
		app_status(a, ROLE_ERROR, "Not saved: %s", e.msg);
	if (rc == RV_OK && note != NULL)
		dialog_message("Trusted, with a warning", note, ROLE_WARNING);
	return rc == RV_OK;
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

/* Answers the question the parked job asks and lets it go on. */
static void answer(struct app *a, struct job *j)
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

void app_job_start(struct app_job *r, enum job_kind kind, const struct job_params *p)
{
	app_job_stop(r);
	r->job = job_new(kind, p);
	r->answered = JOB_Q_NONE;
	r->running = true;
}

enum job_state app_job_step(struct app *a, struct app_job *r, bool *asked)
{
	enum job_state s = job_step(r->job, STEP_MS);
	enum job_question q = job_question(r->job);

	*asked = false;
	if (s != JOB_WAITING) {
		r->answered = JOB_Q_NONE;
	} else if (q != JOB_Q_NONE && q != r->answered) {
		r->answered = q;
		answer(a, r->job);
		*asked = true;
	}
	if (job_finished(s))
		r->running = false;
	return s;
}

enum job_state app_job_poll(struct app_job *r)
{
	enum job_state s = job_step(r->job, STEP_MS);

	if (s != JOB_WAITING)
		r->answered = JOB_Q_NONE;
	if (job_finished(s))
		r->running = false;
	return s;
}

void app_job_stop(struct app_job *r)
{
	double until = mono_now() + STOP_WAIT_S;

	if (r->job == NULL)
		return;
	if (r->running) {
		job_cancel(r->job);
		while (!job_finished(job_step(r->job, STEP_MS)) && mono_now() < until)
			;
	}
	job_free(r->job);
	r->job = NULL;
	r->running = false;
}

bool app_job_key_warning(const struct job *j)
{
	switch (job_verdict(j)) {
	case JOB_VERDICT_HOSTKEY_UNKNOWN:
	case JOB_VERDICT_HOSTKEY_CHANGED:
	case JOB_VERDICT_HOSTKEY_TYPE:
		return true;
	case JOB_VERDICT_HOSTKEY_REFUSED:
	case JOB_VERDICT_CANCELLED:
	case JOB_VERDICT_NONE:
	default:
		return false;
	}
}

void app_job_failed(struct app *a, struct job *j, const char *what)
{
	struct err e = { 0 };
	char title[96];

	job_result(j, &e);
	if (app_job_key_warning(j)) {
		app_message("WARNING: SERVER KEY CHANGED OR UNKNOWN", e.msg, ROLE_ERROR);
	} else {
		snprintf(title, sizeof(title), "%s failed", what);
		app_message(title, e.msg, ROLE_ERROR);
	}
	a->dirty = true;
}
