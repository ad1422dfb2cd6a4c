/* cmd_job: the commands that talk to the server. Each builds a job, steps
 * it until it ends, answers its questions from the terminal (or refuses
 * them when there is none), and prints one summary line. */
#include "cli/cli.h"
#include "cli/run.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/answer.h"
#include "core/fingerprint.h"
#include "core/job.h"
#include "core/sources.h"
#include "core/trust.h"
#include "core/units.h"
#include "core/url.h"
#include "core/util.h"

struct run {
	struct cli_ctx *ctx;
	bool tty_err;
	bool progress;
	bool no_terminal; /* a new host key came and nobody could be asked */
};

static void log_line(void *arg, int prio, const char *msg)
{
	struct run *r = arg;

	if (prio <= LOG_INFO)
		syslog(prio, "%s", msg);
	/* Warnings reach stderr also when it is not a terminal: cron mails
	 * it (unless -q). On a terminal the progress line is cleared first. */
	if (prio <= LOG_WARNING && prio != LOG_ERR && !r->ctx->quiet)
		fprintf(stderr, "%srevault: %s\n", r->tty_err ? "\r\033[K" : "", msg);
}

/* SIGTERM, SIGINT and SIGHUP cancel the job, which then cleans up (the
 * temporary on the server, the staging directories) and fails. */
static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

/* Reads one answer line from the terminal; NULL when there is none. */
static char *ask_line(const char *prompt)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!isatty(STDIN_FILENO))
		return NULL;
	fputs(prompt, stderr);
	fflush(stderr);
	n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

/* Shows the new key and puts the answer (the terminal's, or yes with
 * --yes) to core/trust, which decides and saves. */
static bool answer_hostkey(struct run *r, struct job *j, bool yes)
{
	const struct hostkey *k = job_hostkey(j);
	const struct sftp_url *u = job_server(j);
	struct err e = { 0 };
	char *line = NULL, hint[256];
	const char *note;
	int rc;

	fprintf(stderr,
		"The authenticity of host %s port %u can't be established.\n"
		"  Key type:    %s\n  Fingerprint: %s\n               %s\n"
		"Compare with the server's own, read on the server:\n%s\n",
		u->host, u->port, k->type, k->sha256, k->md5[0] != '\0' ? k->md5 : "MD5: (not available)",
		fingerprint_server_hint(k->type, "  ", hint, sizeof(hint)));
	if (!yes && !isatty(STDIN_FILENO)) {
		/* Nobody was asked, so nothing was "not accepted": the end
		 * of the run says what to do instead (no_terminal_error). */
		r->no_terminal = true;
		return false;
	}
	if (!yes)
		line = ask_line("Type yes (or paste the fingerprint) to trust this key: ");
	rc = trust_hostkey(&r->ctx->settings, r->ctx->settings_path, u->host, u->port, k, yes ? "yes" : line, &e);
	free(line);
	if (rc != RV_OK && rc != RV_HOSTKEY)
		fprintf(stderr, "revault: %s\n", e.msg);
	if (rc == RV_OK && (note = fingerprint_type_note(k->type)) != NULL)
		cli_warn(r->ctx, note);
	return rc == RV_OK;
}

/* The failure when a new host key could not be asked about: the question
 * needs a terminal; the ways round it are --yes (the command line only) or
 * a pin of the fingerprint the server's administrator reads out, spelt as
 * the front end that ran the job takes it. */
static int no_terminal_error(const struct run *r, const struct job *j, struct err *e)
{
	const struct sftp_url *u = job_server(j);
	const char *type = job_hostkey(j)->type;
	char where[URL_HOSTPORT_MAX];

	url_format_hostport(u->host, u->port, URL_DEFAULT_PORT, where, sizeof(where));
	if (r->ctx->console)
		return err_reset(e, RV_HOSTKEY,
			       "trusting the new host key of %s needs a terminal to answer on (stdin is not one): "
			       "run `backup server authenticate` on a terminal, or pin the fingerprint the server's "
			       "administrator gives you with `security ssh knownhost %s %s FINGERPRINT`; "
			       "nothing was sent to the server",
			       where, where, type);
	return err_reset(e, RV_HOSTKEY,
		       "trusting the new host key of %s needs a terminal to answer on (stdin is not one): run "
		       "`revault authenticate` on a terminal, add --yes once the fingerprints above are checked, "
		       "or pin the fingerprint the server's administrator gives you with "
		       "`revault knownhost add %s %s FINGERPRINT`; nothing was sent to the server",
		       where, where, type);
}

/* Core's messages name what to do as command lines; inside the console
 * the same action is a console command. Only the commands the console
 * has are respelt; the others stay as the command line's. */
static void console_spelling(const char *in, char *out, size_t cap)
{
	static const struct {
		const char *cli, *console;
	} words[] = {
		{ "`revault backup`", "`backup`" },
		{ "`revault list`", "`show backup`" },
		{ "`revault authenticate`", "`backup server authenticate`" },
		{ "`revault key generate`", "`backup security key generate`" },
		{ "`revault set security.protected off`", "`no backup security protected`" },
	};
	size_t o = 0;

	while (*in != '\0' && o + 1 < cap) {
		size_t i, n = 0;

		for (i = 0; i < ARRAY_LEN(words); i++)
			if (strncmp(in, words[i].cli, n = strlen(words[i].cli)) == 0)
				break;
		if (i == ARRAY_LEN(words)) {
			out[o++] = *in++;
			continue;
		}
		o += (size_t)snprintf(out + o, cap - o, "%s", words[i].console);
		if (o >= cap)
			o = cap - 1;
		in += n;
	}
	out[o] = '\0';
}

static void show_progress(struct run *r, struct job *j, time_t *last)
{
	struct job_progress p;
	time_t now = time(NULL);
	char line[160];

	if (!r->progress || now == *last)
		return;
	*last = now;
	job_progress(j, &p);
	if (p.state != JOB_TRANSFER) {
		fprintf(stderr, "\r\033[K%s...", p.phase);
		return;
	}
	if (p.percent >= 0)
		snprintf(line, sizeof(line), "%s %3d%%  %s / %s  %s", p.phase, p.percent, p.done_text, p.total_text,
			 p.rate_text);
	else
		snprintf(line, sizeof(line), "%s  %s  %s", p.phase, p.done_text, p.rate_text);
	if (p.stalled)
		strncat(line, "  - stalled -", sizeof(line) - strlen(line) - 1);
	else if (p.eta >= 0)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "  ETA %s", p.eta_text);
	fprintf(stderr, "\r\033[K%s", line);
}

int cli_run_job(struct cli_ctx *ctx, enum job_kind kind, struct job_params *p, bool yes, struct err *e)
{
	struct run r = { .ctx = ctx, .tty_err = isatty(STDERR_FILENO) };
	struct sigaction stop = { .sa_handler = on_stop }, old_term, old_int, old_hup;
	struct job *j;
	enum job_state s;
	time_t last = 0;
	int rc;

	r.progress = r.tty_err && (kind == JOB_BACKUP || kind == JOB_RESTORE || kind == JOB_VERIFY);
	openlog("revault", LOG_PID, LOG_DAEMON);
	p->settings_path = ctx->settings_path;
	p->settings = &ctx->settings;
	p->log = log_line;
	p->log_arg = &r;
	j = job_new(kind, p);
	stop_signal = 0;
	sigaction(SIGTERM, &stop, &old_term);
	sigaction(SIGINT, &stop, &old_int);
	sigaction(SIGHUP, &stop, &old_hup);
	while (!job_finished(s = job_step(j, 250))) {
		if (stop_signal != 0) {
			job_cancel(j);
			continue;
		}
		if (s == JOB_WAITING) {
			const char **targets;
			size_t n;
			char *line;
			bool ok = false;

			if (r.progress)
				fputs("\r\033[K", stderr);
			switch (job_question(j)) {
			case JOB_Q_HOSTKEY_NEW:
				ok = answer_hostkey(&r, j, yes);
				break;
			case JOB_Q_UNSIGNED:
				fputs("WARNING: this revision is not protected: anyone with access to the server could have changed it.\n",
				      stderr);
				line = ask_line("Restore it anyway? (" ANSWER_HINT ") ");
				ok = answer_yes(line);
				free(line);
				if (line == NULL)
					fputs("revault: no terminal to confirm: add --yes to restore an unsigned revision\n", stderr);
				break;
			case JOB_Q_REPLACE:
				n = job_targets(j, &targets);
				fputs("The restore will replace, as they are in the backup:\n", stderr);
				for (size_t i = 0; i < n; i++)
					fprintf(stderr, "  %s\n", targets[i]);
				line = ask_line("Replace them? (" ANSWER_HINT ") ");
				ok = answer_yes(line);
				free(line);
				if (line == NULL)
					fputs("revault: no terminal to confirm: add --yes to restore in place, or --to DIR\n", stderr);
				break;
			case JOB_Q_NONE:
				continue;
			}
			job_answer(j, ok);
			continue;
		}
		show_progress(&r, j, &last);
	}
	if (r.progress)
		fputs("\r\033[K", stderr);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	rc = job_result(j, e);
	if (rc == RV_HOSTKEY && r.no_terminal)
		rc = no_terminal_error(&r, j, e);
	if (kind == JOB_LIST && rc == RV_OK) {
		const struct revision *v;
		size_t n = job_revisions(j, &v);

		/* None yet: the summary line alone says so, and what to do. */
		if (n > 0)
			fprintf(ctx->out, "%-20s %10s  %-10s %s\n", "REVISION", "SIZE", "KIND", "KEY");
		for (size_t i = 0; i < n; i++) {
			char size[UNITS_MAX];
			const char *key = "-";
			char keybuf[40];

			units_bytes(v[i].size, size, sizeof(size));
			if (v[i].protected_ && v[i].header_ok) {
				snprintf(keybuf, sizeof(keybuf), "%s %s", v[i].key_id, v[i].key_match ? "(ours)" : "(other key)");
				key = keybuf;
			} else if (v[i].protected_) {
				key = "(unreadable header)";
			}
			fprintf(ctx->out, "%-20s %10s  %-10s %s\n", v[i].name, size,
				v[i].protected_ ? "protected" : "unsigned", key);
		}
	}
	if (ctx->console && rc != RV_OK) {
		char spelt[sizeof(e->msg)];

		console_spelling(e->msg, spelt, sizeof(spelt));
		memcpy(e->msg, spelt, sizeof(e->msg));
	}
	if (job_summary(j)[0] != '\0') {
		char spelt[1024];

		console_spelling(job_summary(j), spelt, sizeof(spelt));
		fprintf(rc == RV_OK || rc == RV_INCOMPLETE ? ctx->out : stderr, "%s\n",
			ctx->console ? spelt : job_summary(j));
	}
	job_free(j);
	closelog();
	return rc;
}

static int exec_backup(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	struct job_params p = { 0 };

	(void)argc;
	(void)argv;
	return cli_run_job(ctx, JOB_BACKUP, &p, false, e);
}

static int exec_list(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	struct job_params p = { .device = cli_opt_value(ctx, "--device") };

	(void)argc;
	(void)argv;
	return cli_run_job(ctx, JOB_LIST, &p, false, e);
}

static int exec_verify(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	struct job_params p = { .device = cli_opt_value(ctx, "--device"), .revision = argv[0] };

	(void)argc;
	return cli_run_job(ctx, JOB_VERIFY, &p, false, e);
}

/* Paths inside a revision as the operator types them: absolute (as `ls`
 * prints them), in one spelling. Allocated into *out; RV_USAGE naming a
 * path that is not absolute. */
int cli_revision_paths(const char *const *in, size_t n, char ***out, struct err *e)
{
	*out = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		if (in[i][0] != '/' || strcmp(in[i], "/") == 0) {
			char *shown = util_escape_name(in[i]);

			err_set(e, RV_USAGE,
				"\"%s\" is not a path inside the revision: give an absolute path as `revault ls REV` prints it%s",
				shown, strcmp(in[i], "/") == 0 ? " (for everything, leave the path out)" : "");
			free(shown);
			return RV_USAGE;
		}
		if (((*out)[i] = sources_normalise(in[i], e)) == NULL)
			return e->code;
	}
	return RV_OK;
}

void cli_free_paths(char **v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

static int exec_restore(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	bool yes = cli_flag(ctx, "--yes");
	struct job_params p = {
		.device = cli_opt_value(ctx, "--device"), .to_dir = cli_opt_value(ctx, "--to"),
		.all_sources = cli_flag(ctx, "--all-sources"), .revision = argv[0], .assume_yes = yes,
	};
	const char *const *given;
	size_t ngiven = cli_opt_values(ctx, "--path", &given);
	char *abs = NULL, **paths = NULL;
	int rc;

	(void)argc;
	if (ngiven > 0) {
		if ((rc = cli_revision_paths(given, ngiven, &paths, e)) != RV_OK) {
			cli_free_paths(paths, ngiven);
			return rc;
		}
		p.paths = paths;
		p.npaths = ngiven;
	}
	if (p.to_dir != NULL) {
		if (p.to_dir[0] == '\0') {
			cli_free_paths(paths, ngiven);
			return err_set(e, RV_USAGE, "--to needs a directory");
		}
		/* One spelling (absolute, no "." or ".." or trailing "/"), so
		 * that `LINK/.` is checked as LINK. */
		if ((abs = sources_normalise(p.to_dir, e)) == NULL) {
			cli_free_paths(paths, ngiven);
			return e->code;
		}
		p.to_dir = abs;
	}
	rc = cli_run_job(ctx, JOB_RESTORE, &p, yes, e);
	free(abs);
	cli_free_paths(paths, ngiven);
	return rc;
}

struct ls_out {
	FILE *out;
	bool long_;
	uint64_t printed;
	int write_errno; /* the first write that failed (a full disk), else 0 */
};

/* One entry a line, escaped (util_escape_name) so that no name can forge
 * a line; --long as `tar -tv` writes it. Called on core's archive thread
 * while the job runs; nothing else writes to out meanwhile. */
static void ls_print(void *arg, const struct tarball_entry *en)
{
	struct ls_out *lo = arg;
	char *path = util_escape_name(en->path);

	if (lo->long_) {
		char owner[160], when[32], *u, *g, *link = en->link != NULL ? util_escape_name(en->link) : NULL;
		time_t t = (time_t)en->mtime;
		struct tm tm;
		int w;

		u = en->uname != NULL && en->uname[0] ? util_escape_name(en->uname) : xasprintf("%lld", (long long)en->uid);
		g = en->gname != NULL && en->gname[0] ? util_escape_name(en->gname) : xasprintf("%lld", (long long)en->gid);
		snprintf(owner, sizeof(owner), "%s/%s", u, g);
		if (localtime_r(&t, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm) == 0)
			snprintf(when, sizeof(when), "%lld", (long long)en->mtime);
		/* GNU tar's column: owner and size fill 19 at least. */
		w = 19 - (int)strlen(owner) - 1;
		fprintf(lo->out, "%s %s %*llu %s %s%s%s\n", en->mode_text, owner, w > 1 ? w : 1,
			(unsigned long long)en->size, when, path,
			link == NULL ? "" : en->type == 'h' ? " link to " : " -> ", link != NULL ? link : "");
		free(u);
		free(g);
		free(link);
	} else {
		fprintf(lo->out, "%s\n", path);
	}
	free(path);
	lo->printed++;
	if (lo->write_errno == 0 && ferror(lo->out))
		lo->write_errno = errno != 0 ? errno : EIO;
}

int cli_run_ls(struct cli_ctx *ctx, const char *rev, const char *device, const char *const *given, size_t ngiven,
	       bool long_, struct err *e)
{
	struct ls_out lo = { .out = ctx->out, .long_ = long_ };
	struct job_params p = { .device = device, .revision = rev, .entry = ls_print, .entry_arg = &lo };
	char **paths = NULL;
	int rc;

	if ((rc = cli_revision_paths(given, ngiven, &paths, e)) == RV_OK) {
		p.paths = paths;
		p.npaths = ngiven;
		rc = cli_run_job(ctx, JOB_LS, &p, false, e);
	}
	cli_free_paths(paths, ngiven);
	/* A listing cut short by a full disk is a failure (a closed pipe ends
	 * the process by SIGPIPE, as it does tar). */
	if (fflush(lo.out) != 0 && lo.write_errno == 0)
		lo.write_errno = errno;
	if (lo.write_errno != 0 && rc != RV_INTEGRITY) {
		if (rc != RV_OK)
			return rc;
		return err_set(e, RV_FAIL, "cannot write the listing: %s; the lines written are incomplete: free space, or list to another file",
			       strerror(lo.write_errno));
	}
	if (rc == RV_INTEGRITY && lo.printed > 0) {
		char msg[ERR_MSG_MAX];

		snprintf(msg, sizeof(msg), "%.800s; the %llu entr%s printed above came from a revision that did not verify: do not rely on %s",
			 e->msg, (unsigned long long)lo.printed, lo.printed == 1 ? "y" : "ies", lo.printed == 1 ? "it" : "them");
		err_reset(e, rc, "%s", msg);
	}
	return rc;
}

static int exec_ls(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	return cli_run_ls(ctx, argv[0], cli_opt_value(ctx, "--device"), (const char *const *)argv + 1,
			  (size_t)argc - 1, cli_flag(ctx, "--long"), e);
}

static int exec_authenticate(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	struct job_params p = { .ask_hostkey = true };

	(void)argc;
	(void)argv;
	return cli_run_job(ctx, JOB_AUTHENTICATE, &p, cli_flag(ctx, "--yes"), e);
}

const struct cli_cmd cli_job_cmds[] = {
	{ .name = "authenticate", .usage = "[--yes]",
	  .help = "connect, show the server's host key and trust it", .needs_settings = true,
	  .args = { .min = 0, .max = 0, .opts = { { "--yes", false } } }, .exec = exec_authenticate },
	{ .name = "backup", .usage = "", .help = "back up the sources now", .needs_settings = true,
	  .records_backup = true,
	  .args = { .min = 0, .max = 0 }, .exec = exec_backup },
	{ .name = "list", .usage = "[--device NAME]", .help = "revisions on the server, newest first",
	  .needs_settings = true, .args = { .min = 0, .max = 0, .opts = { { "--device", true } } }, .exec = exec_list },
	{ .name = "verify", .usage = "REV|latest [--device NAME]",
	  .help = "download and check a revision without restoring it", .needs_settings = true,
	  .args = { .min = 1, .max = 1, .opts = { { "--device", true } } }, .exec = exec_verify },
	{ .name = "restore", .usage = "REV [--path P]... [--to DIR] [--device NAME] [--yes] [--all-sources]",
	  .help = "restore revision REV (or latest) in place, or under DIR; with --path, only the file or folder at each absolute path P", .needs_settings = true,
	  .args = { .min = 1, .max = 1, .opts = { { "--device", true }, { "--to", true }, { "--yes", false }, { "--all-sources", false },
						  { "--path", true } } },
	  .exec = exec_restore },
	{ .name = "ls", .usage = "REV|latest [PATH]... [--device NAME] [--long]",
	  .help = "the files and folders of a revision (under the absolute PATHs), checked as they are read; --long as tar -tv",
	  .needs_settings = true,
	  .args = { .min = 1, .max = CLI_ARGS_ANY, .opts = { { "--device", true }, { "--long", false } } }, .exec = exec_ls },
	{ .name = NULL },
};
