/* console: `revault console`, the appliance's own command language as a
 * line shell. The grammar is two keyword trees (exec mode and
 * configuration mode); each command maps to the same core operations as
 * the CLI: settings changes are saved after every successful command, and
 * server work runs as a job through cli_run_job. On a terminal libedit
 * edits lines (console_edit: `?`, Tab, history); otherwise it reads a
 * script from stdin and echoes each command after its prompt, so the
 * output reads as a log. */
#include "cli/cli.h"
#include "cli/console_edit.h"
#include "cli/console_grammar.h"
#include "cli/console_parse.h"
#include "cli/run.h"
#include "cli/status.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/keystore.h"
#include "core/paths.h"
#include "core/schedule.h"
#include "core/secret.h"
#include "core/trust.h"
#include "core/url.h"
#include "core/util.h"

#define MASK "********"

/* ---- the session ---- */

struct console {
	struct cli_ctx *ctx;
	bool config;      /* configuration mode */
	bool terminal;    /* stdin is a terminal: prompts for secrets, no echo of commands */
	bool editor;      /* and it is not dumb: libedit edits the line */
	bool quit;
	struct console_edit ed;
	unsigned lineno, failed, first_failed;
	int status;       /* of the first failure */
};

static const char *prompt(const struct console *c)
{
	return c->config ? CONSOLE_PROMPT_CONFIG : CONSOLE_PROMPT_EXEC;
}

static const struct console_node *tree(const struct console *c)
{
	return console_tree(c->config);
}

static int save(struct console *c, struct err *e)
{
	return cli_save(c->ctx, e);
}

/* A warning from core, in the transcript: "% Warning: " before its first
 * line, "% " before the others, as the console marks what it says itself. */
static void print_note(FILE *out, const char *note)
{
	for (bool first = true; *note != '\0'; first = false) {
		size_t n = strcspn(note, "\n");

		fprintf(out, "%s%.*s\n", first ? "% Warning: " : "% ", (int)n, note);
		note += n + (note[n] == '\n');
	}
}

static int run_revisions(struct console *c, const struct console_cmd *pc, struct err *e)
{
	int rc = settings_set(&c->ctx->settings, "backup.revisions", pc->slot[S_NUMBER], e);

	return rc != RV_OK ? rc : save(c, e);
}

static int run_bandwidth(struct console *c, const struct console_cmd *pc, struct err *e)
{
	int rc = settings_set(&c->ctx->settings, "backup.bandwidth", pc->slot[S_RATE], e);

	return rc != RV_OK ? rc : save(c, e);
}

static int run_server(struct console *c, const struct console_cmd *pc, struct err *e)
{
	struct settings *s = &c->ctx->settings;
	char *plain = NULL, *sealed = NULL;
	int rc;

	if (pc->slot[S_PASSWORD_KW] != NULL) {
		if (pc->slot[S_PASSWORD] != NULL) {
			plain = xstrdup(pc->slot[S_PASSWORD]);
		} else if ((plain = cli_read_secret("Server password: ", -1, true, e)) == NULL) {
			return e->code;
		}
		sealed = secret_seal(c->ctx->settings_path, "server.password", plain, e);
		wipe_free_str(plain);
		if (sealed == NULL)
			return e->code;
	}
	if (pc->slot[S_URL] != NULL && (rc = settings_set(s, "server.url", pc->slot[S_URL], e)) != RV_OK)
		goto out;
	if (pc->slot[S_USER] != NULL && (rc = settings_set(s, "server.username", pc->slot[S_USER], e)) != RV_OK)
		goto out;
	if (sealed != NULL) {
		free(s->server.password);
		s->server.password = sealed;
		sealed = NULL;
		s->server.auth = AUTH_PASSWORD; /* the appliance logged in with the password it was given */
	}
	rc = save(c, e);
out:
	free(sealed);
	return rc;
}

static int run_authenticate(struct console *c, const struct console_cmd *pc, struct err *e)
{
	struct job_params p = { .ask_hostkey = true };

	(void)pc;
	return cli_run_job(c->ctx, JOB_AUTHENTICATE, &p, false, e);
}

static int run_knownhost_add(struct console *c, const struct console_cmd *pc, struct err *e)
{
	struct trust_pinned pin;
	int rc;

	rc = trust_pin(&c->ctx->settings, c->ctx->settings_path, pc->slot[S_HOST], pc->slot[S_TYPE],
		       pc->slot[S_FINGERPRINT], &pin, e);
	if (rc == RV_OK && pin.note != NULL)
		print_note(c->ctx->out, pin.note);
	return rc;
}

static int run_knownhost_del(struct console *c, const struct console_cmd *pc, struct err *e)
{
	char *host = NULL;
	unsigned port;
	size_t n;
	int rc;

	if ((rc = url_parse_hostport(pc->slot[S_HOST], &host, &port, URL_DEFAULT_PORT, e)) != RV_OK)
		return rc;
	n = settings_known_host_remove(&c->ctx->settings, host, port, NULL);
	if (n == 0)
		rc = err_set(e, RV_USAGE, "no host key is pinned for %s: `show security ssh knownhost` lists them",
			     pc->slot[S_HOST]);
	else
		rc = save(c, e);
	free(host);
	return rc;
}

static int run_keygen(struct console *c, const struct console_cmd *pc, struct err *e)
{
	char *path = paths_beside(c->ctx->settings_path, PATHS_MASTER_KEY);
	struct master_key k;
	struct err ke = { 0 };
	char id[2 * KEY_ID_LEN + 1];
	int rc = RV_OK;

	(void)pc;
	if (keystore_exists(path)) {
		/* A runbook run twice must not throw away the key older backups need. */
		if (keystore_load(path, &k, &ke) == RV_OK) {
			keystore_id_hex(k.id, id);
			keystore_clear(&k);
			fprintf(c->ctx->out, "A master key already exists (id %s): kept. To replace it: revault key generate --force\n", id);
		} else {
			rc = err_set(e, ke.code, "%s", ke.msg);
		}
	} else if ((rc = paths_ensure_dir(c->ctx->settings_path, e)) == RV_OK &&
		   (rc = keystore_generate(path, false, &k, e)) == RV_OK) {
		keystore_id_hex(k.id, id);
		keystore_clear(&k);
		fprintf(c->ctx->out, "Master key generated, id %s.\n"
			"Keep a copy away from this machine: revault key export FILE (or --paper)\n", id);
	}
	free(path);
	return rc;
}

static int set_flag(struct console *c, bool *flag, bool on, struct err *e)
{
	*flag = on;
	return save(c, e);
}

static int run_protected_on(struct console *c, const struct console_cmd *pc, struct err *e)
{
	(void)pc;
	return set_flag(c, &c->ctx->settings.security.protected_, true, e);
}

static int run_protected_off(struct console *c, const struct console_cmd *pc, struct err *e)
{
	(void)pc;
	return set_flag(c, &c->ctx->settings.security.protected_, false, e);
}

static int run_enforced_on(struct console *c, const struct console_cmd *pc, struct err *e)
{
	(void)pc;
	return set_flag(c, &c->ctx->settings.security.enforced, true, e);
}

static int run_enforced_off(struct console *c, const struct console_cmd *pc, struct err *e)
{
	(void)pc;
	return set_flag(c, &c->ctx->settings.security.enforced, false, e);
}

/* The words as `revault schedule` takes them; no kind (`no backup
 * schedule`) is off. */
static int run_schedule(struct console *c, const struct console_cmd *pc, struct err *e)
{
	char *words[4];
	size_t n = 0;
	struct schedule s;
	char said[SCHEDULE_SAID_MAX];
	int rc, lock;

	words[n++] = (char *)(pc->slot[S_SCHED_KIND] != NULL ? pc->slot[S_SCHED_KIND] : "off");
	if (pc->slot[S_SCHED_DAY] != NULL)
		words[n++] = (char *)pc->slot[S_SCHED_DAY];
	if (pc->slot[S_SCHED_TIME] != NULL)
		words[n++] = (char *)pc->slot[S_SCHED_TIME];
	if (pc->slot[S_SCHED_RANDOM] != NULL) {
		words[n++] = "random";
		words[n++] = (char *)pc->slot[S_SCHED_RANDOM];
	}
	if ((rc = schedule_parse_words(n, words, &s, e)) != RV_OK || (lock = schedule_lock(e)) < 0)
		return e->code;
	if ((rc = schedule_set(&c->ctx->settings, &s, c->ctx->settings_path, said, sizeof(said), e)) == RV_OK)
		rc = save(c, e);
	schedule_unlock(lock);
	if (rc != RV_OK)
		return rc;
	fprintf(c->ctx->out, "%s\n", said);
	return RV_OK;
}

static int run_backup(struct console *c, const struct console_cmd *pc, struct err *e)
{
	struct job_params p = { 0 };

	(void)pc;
	return cli_run_job(c->ctx, JOB_BACKUP, &p, false, e);
}

/* A message that names `revault ls REV ...` names the console's own words
 * for it instead: `show backup revision REV ...`. */
static int console_words(int rc, struct err *e)
{
	static const char from[] = "`revault ls REV", to[] = "`show backup revision REV";
	char *at, msg[ERR_MSG_MAX];

	if (rc == RV_OK || (at = strstr(e->msg, from)) == NULL)
		return rc;
	snprintf(msg, sizeof(msg), "%.*s%s%s", (int)(at - e->msg), e->msg, to, at + strlen(from));
	return err_reset(e, rc, "%s", msg);
}

static int run_restore(struct console *c, const struct console_cmd *pc, struct err *e)
{
	struct job_params p = { .revision = pc->slot[S_REVISION] };
	const char *path = pc->slot[S_PATH];
	char **paths = NULL;
	int rc = RV_OK;

	if (path != NULL && (rc = cli_revision_paths(&path, 1, &paths, e)) == RV_OK) {
		p.paths = paths;
		p.npaths = 1;
	}
	if (rc == RV_OK)
		rc = cli_run_job(c->ctx, JOB_RESTORE, &p, false, e);
	cli_free_paths(paths, 1);
	return console_words(rc, e);
}

/* As `revault ls REV [PATH] --long`: an appliance's show is the long form. */
static int run_show_revision(struct console *c, const struct console_cmd *pc, struct err *e)
{
	const char *path = pc->slot[S_PATH];

	return console_words(cli_run_ls(c->ctx, pc->slot[S_REVISION], NULL, &path, path != NULL ? 1 : 0, true, e), e);
}

static int run_show_backup(struct console *c, const struct console_cmd *pc, struct err *e)
{
	struct job_params p = { 0 };

	(void)pc;
	return cli_run_job(c->ctx, JOB_LIST, &p, false, e);
}

static int run_show_backup_status(struct console *c, const struct console_cmd *pc, struct err *e)
{
	struct err se = { 0 };
	enum lastrun_health h;

	(void)pc;
	/* The health is printed, not failed on: a failed backup is news,
	 * not an error of this command. An unreadable record is one. */
	cli_status_print(c->ctx->out, 0, false, &h, &se);
	return h == LASTRUN_UNREADABLE ? err_set(e, se.code, "%s", se.msg) : RV_OK;
}

/* hooks.KEY from the console: the same checks and saving as `revault set`. */
static int set_key(struct console *c, const char *key, const char *value, struct err *e)
{
	int rc = value != NULL ? settings_set(&c->ctx->settings, key, value, e)
			       : settings_unset(&c->ctx->settings, key, e);

	return rc != RV_OK ? rc : save(c, e);
}

static int run_hook_before(struct console *c, const struct console_cmd *pc, struct err *e)
{
	return set_key(c, "hooks.before_backup", pc->slot[S_COMMAND], e);
}

static int run_hook_after(struct console *c, const struct console_cmd *pc, struct err *e)
{
	return set_key(c, "hooks.after_backup", pc->slot[S_COMMAND], e);
}

static int run_hook_timeout(struct console *c, const struct console_cmd *pc, struct err *e)
{
	return set_key(c, "hooks.timeout", pc->slot[S_SECONDS], e);
}

static int run_retries(struct console *c, const struct console_cmd *pc, struct err *e)
{
	return set_key(c, "server.retries", pc->slot[S_NUMBER], e);
}

static int run_channels(struct console *c, const struct console_cmd *pc, struct err *e)
{
	return set_key(c, "server.channels", pc->slot[S_NUMBER], e);
}

static int run_no_hook_before(struct console *c, const struct console_cmd *pc, struct err *e)
{
	(void)pc;
	return set_key(c, "hooks.before_backup", NULL, e);
}

static int run_no_hook_after(struct console *c, const struct console_cmd *pc, struct err *e)
{
	(void)pc;
	return set_key(c, "hooks.after_backup", NULL, e);
}

static void print_master_key(FILE *out, const char *settings_path)
{
	char *path = paths_beside(settings_path, PATHS_MASTER_KEY);
	struct master_key k;
	struct err e = { 0 };
	char id[2 * KEY_ID_LEN + 1];

	if (!keystore_exists(path)) {
		fputs("! master key: none (backup security key generate)\n", out);
	} else if (keystore_load(path, &k, &e) != RV_OK) {
		fprintf(out, "! master key: unusable: %s\n", e.msg);
	} else {
		keystore_id_hex(k.id, id);
		keystore_clear(&k);
		fprintf(out, "! master key: id %s\n", id);
	}
	free(path);
}

static int run_show_running(struct console *c, const struct console_cmd *pc, struct err *e)
{
	const struct settings *s = &c->ctx->settings;
	FILE *out = c->ctx->out;

	(void)pc;
	(void)e;
	fprintf(out, "!\n! revault running configuration (%s), secrets masked\n!\n", c->ctx->settings_path);
	settings_print_console(s, out, MASK);
	print_master_key(out, c->ctx->settings_path);
	fputs("end\n", out);
	return RV_OK;
}

static int run_show_knownhost(struct console *c, const struct console_cmd *pc, struct err *e)
{
	const struct settings *s = &c->ctx->settings;
	FILE *out = c->ctx->out;
	int hw = 4, tw = 4;
	char host[URL_HOSTPORT_MAX];

	(void)pc;
	(void)e;
	if (s->nknown_hosts == 0) {
		fputs("No host key is pinned: `security ssh knownhost HOST TYPE FINGERPRINT` in configuration mode,\n"
		      "or `backup server authenticate`.\n", out);
		return RV_OK;
	}
	/* Columns as wide as their longest entry: a fingerprint fills a line. */
	for (size_t i = 0; i < s->nknown_hosts; i++) {
		url_format_hostport(s->known_hosts[i].host, s->known_hosts[i].port, URL_DEFAULT_PORT, host,
				    sizeof(host));
		hw = (int)strlen(host) > hw ? (int)strlen(host) : hw;
		tw = (int)strlen(s->known_hosts[i].type) > tw ? (int)strlen(s->known_hosts[i].type) : tw;
	}
	fprintf(out, "%-*s %-*s %s\n", hw, "HOST", tw, "TYPE", "FINGERPRINT");
	for (size_t i = 0; i < s->nknown_hosts; i++) {
		const struct known_host *k = &s->known_hosts[i];

		url_format_hostport(k->host, k->port, URL_DEFAULT_PORT, host, sizeof(host));
		fprintf(out, "%-*s %-*s %s\n", hw, host, tw, k->type, settings_known_host_fingerprint(k));
	}
	return RV_OK;
}

static int run_configure(struct console *c, const struct console_cmd *pc, struct err *e)
{
	(void)pc;
	(void)e;
	c->config = true;
	if (c->terminal)
		fputs("Enter configuration commands, one per line. End with end.\n", stdout);
	return RV_OK;
}

static int run_end(struct console *c, const struct console_cmd *pc, struct err *e)
{
	(void)pc;
	(void)e;
	c->config = false;
	return RV_OK;
}

static int run_exit(struct console *c, const struct console_cmd *pc, struct err *e)
{
	(void)pc;
	(void)e;
	if (c->config)
		c->config = false;
	else
		c->quit = true;
	return RV_OK;
}

struct command_entry {
	int (*run)(struct console *c, const struct console_cmd *pc, struct err *e);
	bool changes_settings; /* reload from the file when it fails half way */
};

static const struct command_entry commands[C_COUNT] = {
	[C_CONFIGURE] = { run_configure, false },
	[C_END] = { run_end, false },
	[C_EXIT] = { run_exit, false },
	[C_REVISIONS] = { run_revisions, true },
	[C_SERVER] = { run_server, true },
	[C_AUTHENTICATE] = { run_authenticate, true },
	[C_KNOWNHOST_ADD] = { run_knownhost_add, true },
	[C_KNOWNHOST_DEL] = { run_knownhost_del, true },
	[C_KEYGEN] = { run_keygen, false },
	[C_PROTECTED_ON] = { run_protected_on, true },
	[C_PROTECTED_OFF] = { run_protected_off, true },
	[C_ENFORCED_ON] = { run_enforced_on, true },
	[C_ENFORCED_OFF] = { run_enforced_off, true },
	[C_BACKUP] = { run_backup, false },
	[C_RESTORE] = { run_restore, false },
	[C_SHOW_BACKUP] = { run_show_backup, false },
	[C_SHOW_RUNNING] = { run_show_running, false },
	[C_SHOW_KNOWNHOST] = { run_show_knownhost, false },
	[C_SCHEDULE] = { run_schedule, true },
	[C_SHOW_BACKUP_STATUS] = { run_show_backup_status, false },
	[C_HOOK_BEFORE] = { run_hook_before, true },
	[C_HOOK_AFTER] = { run_hook_after, true },
	[C_HOOK_TIMEOUT] = { run_hook_timeout, true },
	[C_NO_HOOK_BEFORE] = { run_no_hook_before, true },
	[C_NO_HOOK_AFTER] = { run_no_hook_after, true },
	[C_SHOW_REVISION] = { run_show_revision, false },
	[C_BANDWIDTH] = { run_bandwidth, true },
	[C_RETRIES] = { run_retries, true },
	[C_CHANNELS] = { run_channels, true },
};

/* ---- lines ---- */

/* The line as echoed in a script's log: words joined by one blank, secrets
 * masked (console_secret_words decides, from the whole line); cols gets
 * each word's column in it. */
static void display_line(const struct console_words *w, char *buf, size_t cap, size_t *cols)
{
	bool secret[CONSOLE_WORDS_MAX];
	size_t used = 0;

	buf[0] = '\0';
	console_secret_words(console_tree(true), w, secret);
	for (size_t i = 0; i < w->n; i++) {
		const char *t = secret[i] ? MASK : w->text[i];
		bool quote = strpbrk(t, " \t") != NULL || t[0] == '\0';
		int r;

		cols[i] = used + (i > 0);
		r = snprintf(buf + used, cap - used, "%s%s%s%s", i > 0 ? " " : "", quote ? "\"" : "", t,
			     quote ? "\"" : "");
		if (r < 0 || (size_t)r >= cap - used) {
			buf[used] = '\0';
			for (size_t k = i; k < w->n; k++)
				cols[k] = used;
			return;
		}
		used += (size_t)r;
	}
}

static void report(struct console *c, int status)
{
	if (status == RV_OK)
		return;
	c->failed++;
	if (c->status == RV_OK) {
		c->status = status;
		c->first_failed = c->lineno;
	}
}

static void print_caret_mark(const struct console *c, size_t col)
{
	struct winsize ws;
	size_t at = strlen(prompt(c)) + col;

	/* A line the editor wrapped: the caret goes on the row just below,
	 * under the word's column in its own row, not after rows of blanks. */
	if (c->editor && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		at %= ws.ws_col;
	printf("%*s^\n", (int)at, "");
}

static void print_caret(const struct console *c, size_t col, const char *msg)
{
	print_caret_mark(c, col);
	printf("%% %s\n", msg);
}

/* `?` answers fit an 80-column console (or a narrower terminal): the
 * columns a help text may use. */
static size_t help_width(const struct console *c)
{
	struct winsize ws;

	if (c->terminal && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40 && ws.ws_col < 80)
		return ws.ws_col;
	return 80;
}

/* Prints text after lead, wrapped at blanks to width columns, each further
 * row starting with rest (as wide as lead); a word longer than a row is
 * left whole rather than cut. */
static void print_wrapped(const char *lead, const char *rest, const char *text, size_t width)
{
	size_t indent = strlen(lead), col = indent;

	fputs(lead, stdout);
	while (*text != '\0') {
		size_t len;

		text += strspn(text, " ");
		len = strcspn(text, " ");
		if (len == 0)
			break;
		if (col > indent && col + 1 + len > width) {
			printf("\n%s", rest);
			col = indent;
		}
		if (col > indent) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int)len, text);
		col += len;
		text += len;
	}
	putchar('\n');
}

static void print_choices(const struct console *c, const struct console_choice *ch, int n)
{
	char lead[40];

	for (int i = 0; i < n; i++) {
		snprintf(lead, sizeof(lead), "  %-22s ", ch[i].word);
		print_wrapped(lead, "                         ", ch[i].help, help_width(c));
	}
}

/* `?` after line: what can follow. */
static void help(struct console *c, const char *line)
{
	struct console_words w;
	struct console_error ce;
	struct console_choice ch[64];
	int n;

	if (console_split(line, &w, &ce) != RV_OK) {
		printf("%% %s\n", ce.msg);
		return;
	}
	n = console_next(tree(c), &w, ch, ARRAY_LEN(ch), &ce);
	if (n < 0) {
		print_caret_mark(c, ce.col);
		print_wrapped("% ", "  ", ce.msg, help_width(c));
	} else if (n == 0) {
		printf("%% Unrecognized command\n");
	} else {
		print_choices(c, ch, n);
	}
	console_words_free(&w);
}

static void edit_help(void *arg, const char *line)
{
	help(arg, line);
}

static int edit_complete(void *arg, const char *line, char *buf, size_t cap)
{
	struct console *c = arg;
	struct console_words w;
	struct console_error ce;
	int n;

	buf[0] = '\0';
	if (console_split(line, &w, &ce) != RV_OK)
		return 0;
	n = console_complete(tree(c), &w, buf, cap);
	console_words_free(&w);
	return n;
}

/* In exec mode a configuration command gets a hint instead of a bare error. */
static bool is_config_command(const struct console_words *w)
{
	struct console_cmd pc;
	struct console_error ce;

	return console_parse(console_tree(true), w, &pc, &ce) == RV_OK && pc.cmd != C_END && pc.cmd != C_EXIT &&
	       !(w->n > 0 && strncasecmp(w->text[0], "show", strlen(w->text[0])) == 0);
}

static int execute(struct console *c, const struct console_cmd *pc)
{
	struct err e = { 0 };
	int rc;

	rc = commands[pc->cmd].run(c, pc, &e);
	fflush(c->ctx->out);
	/* Done with warnings: the summary already says so; the script's
	 * status keeps the 6. */
	if (rc == RV_OK || rc == RV_INCOMPLETE)
		return rc;
	printf("%% %s\n", e.msg[0] != '\0' ? e.msg : "failed");
	if (commands[pc->cmd].changes_settings) {
		/* What is in memory must be what is on disk: nothing half done. */
		struct err le = { 0 };

		settings_free(&c->ctx->settings);
		if (settings_load(&c->ctx->settings, c->ctx->settings_path, &le) != RV_OK) {
			printf("%% %s\n", le.msg);
			c->quit = true;
		}
	}
	return rc;
}

/* Echoes a script line that could not be split (an open quote): the words
 * before the fault, masked as usual, then "..." for the rest, which may be
 * a password. Returns the column of the fault in the echo. */
static size_t echo_unsplit(const struct console *c, const char *line, size_t col)
{
	char *head = xstrndup(line, col);
	char shown[CONSOLE_LINE_MAX + 64];
	size_t cols[CONSOLE_WORDS_MAX];
	struct console_words w;
	struct console_error ce;

	shown[0] = '\0';
	if (console_split(head, &w, &ce) == RV_OK) {
		display_line(&w, shown, sizeof(shown), cols);
		console_words_free(&w);
	}
	wipe_free_str(head);
	printf("%s%s%s...\n", prompt(c), shown, shown[0] != '\0' ? " " : "");
	return strlen(shown) + (shown[0] != '\0');
}

/* Parses and runs one line; returns its status. */
static int console_line(struct console *c, char *line)
{
	struct console_words w;
	struct console_error ce;
	struct console_cmd pc;
	size_t len = strlen(line), cols[CONSOLE_WORDS_MAX];
	char shown[CONSOLE_LINE_MAX + 64];
	int ask = 0; /* 1: "word?", 2: "word ?" */
	int rc;

	line[strcspn(line, "\r\n")] = '\0';
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		line[--len] = '\0';
	len = strlen(line);
	if (strspn(line, " \t") == len || line[strspn(line, " \t")] == '!' || line[strspn(line, " \t")] == '#')
		return RV_OK;
	if (line[len - 1] == '?') {
		ask = len > 1 && (line[len - 2] == ' ' || line[len - 2] == '\t') ? 2 : 1;
		line[len - 1] = '\0';
	}
	if (console_split(line, &w, &ce) != RV_OK) {
		print_caret(c, c->terminal ? ce.col : echo_unsplit(c, line, ce.col), ce.msg);
		return RV_USAGE;
	}
	if (!c->terminal) {
		display_line(&w, shown, sizeof(shown), cols);
		printf("%s%s%s\n", prompt(c), shown, ask == 2 ? " ?" : ask == 1 ? "?" : "");
	} else {
		for (size_t i = 0; i < w.n; i++)
			cols[i] = w.col[i];
	}
	if (ask) {
		help(c, line);
		console_words_free(&w);
		return RV_OK;
	}
	rc = console_parse(tree(c), &w, &pc, &ce);
	if (rc == RV_OK && pc.cmd == C_SERVER && pc.slot[S_PASSWORD_KW] != NULL && pc.slot[S_PASSWORD] == NULL &&
	    !c->terminal) {
		ce.fault = CF_INCOMPLETE;
		ce.col = w.end + 1;
		snprintf(ce.msg, sizeof(ce.msg), "Incomplete command: a script gives the password after `password`.");
		rc = RV_USAGE;
	}
	if (rc != RV_OK) {
		size_t col = ce.col;

		for (size_t i = 0; i < w.n; i++)
			if (ce.col == w.col[i])
				col = cols[i];
		if (ce.fault == CF_INCOMPLETE)
			col = c->terminal ? w.end + 1 : strlen(shown) + 1;
		print_caret(c, col, ce.msg);
		if (!c->config && is_config_command(&w))
			printf("%% This is a configuration command: type `configure terminal` first.\n");
	} else if (pc.cmd != C_NONE) {
		rc = execute(c, &pc);
	}
	console_words_free(&w);
	return rc;
}

static bool remember(const char *line)
{
	struct console_words w;
	struct console_error ce;
	bool secret;

	if (console_split(line, &w, &ce) != RV_OK)
		return !strchr(line, '"');
	secret = console_has_secret(console_tree(true), &w);
	console_words_free(&w);
	return !secret;
}

static void on_prompt_interrupt(int sig)
{
	(void)sig;
}

static char *read_line(struct console *c)
{
	const struct console_edit_ops ops = { edit_help, edit_complete, c };
	char *line = NULL, *copy;
	size_t cap = 0;
	ssize_t n;

	if (c->editor) {
		line = console_edit_read(&c->ed, prompt(c), &ops);
		if (line != NULL && remember(line))
			console_edit_remember(&c->ed, line);
		return line;
	}
	if (c->terminal) {
		fputs(prompt(c), stdout);
		fflush(stdout);
	}
	n = getline(&line, &cap, stdin);
	if (n < 0 && errno == EINTR && c->terminal) {
		/* Ctrl-C at the prompt drops the line, as the editor does. */
		clearerr(stdin);
		free(line);
		fputc('\n', stdout);
		return xstrdup("");
	}
	if (n < 0) {
		free(line);
		if (c->terminal)
			fputc('\n', stdout);
		return NULL;
	}
	copy = xstrdup(line);
	wipe(line, cap);
	free(line);
	return copy;
}

static bool dumb_terminal(void)
{
	const char *t = getenv("TERM");

	return t == NULL || t[0] == '\0' || strcmp(t, "dumb") == 0;
}

static int exec_console(struct cli_ctx *ctx, int argc, char **argv, struct err *e)
{
	struct console c = { .ctx = ctx };
	char *line;

	(void)argc;
	(void)argv;
	ctx->console = true;
	c.terminal = isatty(STDIN_FILENO) != 0;
	c.editor = c.terminal && isatty(STDOUT_FILENO) && !dumb_terminal();
	if (c.editor)
		console_edit_init(&c.ed, stdin, stdout);
	/* On a terminal without the editor, Ctrl-C at the prompt interrupts
	 * the read (no SA_RESTART) instead of ending the console, as the
	 * editor does while it reads; during a job cli_run_job's own handler
	 * cancels the job. */
	if (c.terminal && !c.editor) {
		struct sigaction drop = { .sa_handler = on_prompt_interrupt };

		sigemptyset(&drop.sa_mask);
		sigaction(SIGINT, &drop, NULL);
	}
	if (c.terminal)
		printf("revault %s console. ? lists the commands, Tab completes, exit leaves.\n", REVAULT_VERSION);
	while (!c.quit && (line = read_line(&c)) != NULL) {
		int rc;

		c.lineno++;
		rc = console_line(&c, line);
		wipe_free_str(line);
		fflush(stdout);
		if (!c.terminal)
			report(&c, rc);
	}
	console_edit_free(&c.ed);
	fflush(stdout);
	if (c.status != RV_OK)
		return err_set(e, c.status, "console: %u command%s failed, the first on line %u; the others were done",
			       c.failed, c.failed == 1 ? "" : "s", c.first_failed);
	return RV_OK;
}

const struct cli_cmd cli_console_cmds[] = {
	{ .name = "console", .usage = "",
	  .help = "the appliance's configuration commands (config t, show running-config ...); reads a script from stdin",
	  .needs_settings = true, .args = { .min = 0, .max = 0 }, .exec = exec_console },
	{ .name = NULL },
};
