/* cli: global options and the command dispatcher. Commands live in tables
 * (one per file); the longest entry name matching argv's words wins. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "core/lastrun.h"
#include "core/paths.h"
#include "core/util.h"
#include "tui/tui.h"

static const struct cli_cmd *const *tables(void)
{
	static const struct cli_cmd *const t[] = {
		cli_settings_cmds, cli_key_cmds, cli_knownhost_cmds, cli_job_cmds, cli_console_cmds,
		cli_schedule_cmds,
		cli_status_cmds,
		NULL,
	};

	return t;
}

/* Number of words of name matched by argv, or 0. */
static int name_matches(const char *name, int argc, char **argv)
{
	int words = 0;
	const char *p = name;

	while (*p != '\0') {
		size_t len = strcspn(p, " ");

		if (words >= argc || strlen(argv[words]) != len || strncmp(argv[words], p, len) != 0)
			return 0;
		words++;
		p += len;
		while (*p == ' ')
			p++;
	}
	return words;
}

static const struct cli_cmd *find_cmd(int argc, char **argv, int *consumed)
{
	const struct cli_cmd *best = NULL;
	int best_words = 0;

	for (const struct cli_cmd *const *t = tables(); *t != NULL; t++) {
		for (const struct cli_cmd *c = *t; c->name != NULL; c++) {
			int w = name_matches(c->name, argc, argv);

			if (w > best_words) {
				best = c;
				best_words = w;
			}
		}
	}
	*consumed = best_words;
	return best;
}

void cli_print_wrapped(FILE *f, int col, int indent, const char *text)
{
	const char *p = text;
	bool first = true; /* no blank before the first word of a line */

	while (*p == ' ')
		p++;
	while (*p != '\0') {
		size_t n = strcspn(p, " ");

		if (!first && col + 1 + (int)n > CLI_HELP_WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
			first = true;
		}
		if (!first) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)n, p);
		col += (int)n;
		first = false;
		p += n;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

void cli_print_item(FILE *f, const char *name, int namecol, const char *text)
{
	int w = fprintf(f, "  %s", name);

	if (w + 2 > namecol) {
		fputc('\n', f);
		w = 0;
	}
	fprintf(f, "%*s", namecol - w, "");
	cli_print_wrapped(f, namecol, namecol, text);
}

/* The column where a command's help starts in revault --help. */
#define USAGE_HELP_COL 30

static void print_usage(FILE *f)
{
	fputs("usage: revault [-c FILE] [--mono] [--ascii] [--slow-link]   (text interface)\n"
	      "       revault [-c FILE] [-q] COMMAND [ARGS]\n\n"
	      "Keeps encrypted, signed revisions of this machine's files on an SFTP server.\n\n"
	      "Commands (revault COMMAND --help for one):\n", f);
	for (const struct cli_cmd *const *t = tables(); *t != NULL; t++)
		for (const struct cli_cmd *c = *t; c->name != NULL; c++) {
			char left[160];

			snprintf(left, sizeof(left), "%s%s%s", c->name, c->usage && c->usage[0] ? " " : "",
				 c->usage ? c->usage : "");
			cli_print_item(f, left, USAGE_HELP_COL, c->help);
		}
	fputs("\nOptions:\n", f);
	cli_print_item(f, "-c, --config FILE", 22,
		       "settings file (default: $REVAULT_CONFIG, /etc/revault/revault.yaml as root, else "
		       "$XDG_CONFIG_HOME/revault/revault.yaml)");
	cli_print_item(f, "-q, --quiet", 22, "errors and the summary only on stderr (warnings still go to syslog)");
	cli_print_item(f, "-h, --help", 22, "this help");
	cli_print_item(f, "-V, --version", 22, "the version");
	cli_print_item(f, "--mono, --ascii", 22, "text interface: monochrome; lines drawn with + - |");
	cli_print_item(f, "--slow-link", 22, "text interface: progress redrawn once a second");
	fputs("\nExit status:\n  ", f);
	cli_print_wrapped(f, 2, 2,
			  "0 done; 1 failed (network, server, disk); 2 usage or settings; 3 host key unknown or "
			  "changed; 4 authentication refused; 5 integrity (tampered, truncated, another key, "
			  "unsigned while enforced); 6 done but incomplete (each entry left out named on stderr).");
}

static void print_cmd_help(FILE *f, const struct cli_cmd *cmd)
{
	char usage[160];

	snprintf(usage, sizeof(usage), "revault %s%s%s", cmd->name, cmd->usage && cmd->usage[0] ? " " : "",
		 cmd->usage ? cmd->usage : "");
	fputs("usage: ", f);
	cli_print_wrapped(f, 7, 4, usage);
	fputs("  ", f);
	cli_print_wrapped(f, 2, 2, cmd->help);
	if (cmd->more_help != NULL) {
		fputc('\n', f);
		cmd->more_help(f);
	}
}

int cli_usage(const struct cli_cmd *cmd, struct err *e)
{
	return err_set(e, RV_USAGE, "usage: revault %s%s%s", cmd->name, cmd->usage ? " " : "",
		       cmd->usage ? cmd->usage : "");
}

int cli_save(struct cli_ctx *ctx, struct err *e)
{
	return settings_save(&ctx->settings, ctx->settings_path, e);
}

void cli_warn(const struct cli_ctx *ctx, const char *text)
{
	const char *p = text;

	if (ctx->quiet) {
		char *flat = xstrdup(text);

		for (char *q = flat; *q != '\0'; q++)
			if (*q == '\n')
				*q = ' ';
		syslog(LOG_WARNING, "%s", flat);
		free(flat);
		return;
	}
	for (bool first = true; *p != '\0'; first = false) {
		size_t n = strcspn(p, "\n");

		fprintf(stderr, "%s%.*s\n", first ? "revault: warning: " : "  ", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

int cli_parse_fd(const char *s, int *fd, struct err *e)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 1024)
		return err_set(e, RV_USAGE, "\"%s\" is not a file descriptor number", s);
	*fd = (int)v;
	return RV_OK;
}

/* The option's place in the running command's spec; naming one the spec
 * lacks is a mistake in the command. */
static int opt_index(const struct cli_ctx *ctx, const char *name)
{
	const struct cli_opt *opts = ctx->cmd->args.opts;

	for (int i = 0; i < CLI_OPTS_MAX && opts[i].name != NULL; i++)
		if (strcmp(opts[i].name, name) == 0)
			return i;
	abort();
}

bool cli_flag(const struct cli_ctx *ctx, const char *name)
{
	return ctx->opt_given[opt_index(ctx, name)];
}

const char *cli_opt_value(const struct cli_ctx *ctx, const char *name)
{
	return ctx->opt_value[opt_index(ctx, name)];
}

size_t cli_opt_values(const struct cli_ctx *ctx, const char *name, const char *const **out)
{
	int i = opt_index(ctx, name);

	*out = ctx->opt_values[i];
	return ctx->opt_nvalues[i];
}

/* Takes the options of cmd's spec out of argc/argv into ctx, leaving the
 * positional words, and checks their count. */
static int parse_args(struct cli_ctx *ctx, const struct cli_cmd *cmd, int *argc, char **argv, struct err *e)
{
	const struct cli_opt *opts = cmd->args.opts;
	int out = 0;
	bool only_args = opts[0].name == NULL;

	for (int i = 0; i < *argc; i++) {
		const char *a = argv[i];
		size_t nlen = 0;
		int o;

		if (only_args || a[0] != '-' || a[1] == '\0') {
			argv[out++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_args = true;
			continue;
		}
		for (o = 0; o < CLI_OPTS_MAX && opts[o].name != NULL; o++) {
			nlen = strlen(opts[o].name);
			if (strncmp(a, opts[o].name, nlen) == 0 &&
			    (a[nlen] == '\0' || (a[nlen] == '=' && opts[o].takes_value)))
				break;
		}
		if (o == CLI_OPTS_MAX || opts[o].name == NULL)
			return err_set(e, RV_USAGE, "revault %s: unknown option %s (usage: revault %s %s)", cmd->name,
				       a, cmd->name, cmd->usage ? cmd->usage : "");
		ctx->opt_given[o] = true;
		if (!opts[o].takes_value)
			continue;
		if (a[nlen] == '=')
			ctx->opt_value[o] = a + nlen + 1;
		else if (i + 1 < *argc)
			ctx->opt_value[o] = argv[++i];
		else
			return err_set(e, RV_USAGE, "revault %s: %s needs a value", cmd->name, opts[o].name);
		ctx->opt_values[o] = xrealloc(ctx->opt_values[o], (ctx->opt_nvalues[o] + 1) * sizeof(char *));
		ctx->opt_values[o][ctx->opt_nvalues[o]++] = ctx->opt_value[o];
	}
	*argc = out;
	argv[out] = NULL;
	if (out < cmd->args.min || (cmd->args.max != CLI_ARGS_ANY && out > cmd->args.max))
		return cli_usage(cmd, e);
	return RV_OK;
}

/* A backup that stopped before its job (broken settings, a usage error)
 * is an attempt too: `revault status` must not go on saying OK. */
static void record_refused_backup(int status, const struct err *why)
{
	struct lastrun r = { .kind = "backup", .status = status };
	struct err e = { 0 };

	r.started = r.ended = (int64_t)time(NULL);
	util_utf8_copy(r.message, sizeof(r.message), why->msg);
	if (lastrun_write(LASTRUN_ATTEMPT, &r, &e) != RV_OK)
		fprintf(stderr, "revault: warning: %s\n", e.msg);
}

/* The command argv names (help included), with the settings loaded when
 * it needs them; a failure is said on stderr in one line. */
static int run_command(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_cmd *cmd;
	struct err e = { 0 };
	int consumed, rc = RV_OK;

	if (strcmp(argv[0], "help") == 0) {
		print_usage(stdout);
		return RV_OK;
	}
	cmd = find_cmd(argc, argv, &consumed);
	if (cmd == NULL) {
		fprintf(stderr, "revault: unknown command \"%s\" (see revault --help)\n", argv[0]);
		return RV_USAGE;
	}
	for (int j = consumed; j < argc; j++) {
		if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
			print_cmd_help(stdout, cmd);
			return RV_OK;
		}
	}
	settings_init(&ctx->settings);
	if (cmd->needs_settings) {
		settings_free(&ctx->settings);
		rc = settings_load(&ctx->settings, ctx->settings_path, &e);
	}
	ctx->cmd = cmd;
	argc -= consumed;
	argv += consumed;
	/* After the settings, as when each command parsed its own words: a
	 * broken settings file is said before a usage error. */
	if (rc == RV_OK)
		rc = parse_args(ctx, cmd, &argc, argv, &e);
	if (rc == RV_OK)
		rc = cmd->exec(ctx, argc, argv, &e);
	else if (cmd->records_backup)
		record_refused_backup(rc, &e);
	fflush(stdout);
	/* Done but incomplete (exit 6) is no failure: its warnings and the
	 * summary said everything. */
	if (rc != RV_OK && rc != RV_INCOMPLETE)
		fprintf(stderr, "revault: %s\n", e.msg[0] != '\0' ? e.msg : "failed");
	for (int i = 0; i < CLI_OPTS_MAX; i++)
		free(ctx->opt_values[i]);
	settings_free(&ctx->settings);
	return rc;
}

int cli_main(int argc, char **argv)
{
	struct cli_ctx ctx = { .out = stdout };
	struct tui_options topt = { 0 };
	const char *config = NULL;
	struct err e = { 0 };
	int i, rc;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (++i >= argc) {
				fputs("revault: -c needs a settings file\n", stderr);
				return RV_USAGE;
			}
			config = argv[i];
		} else if (str_has_prefix(a, "--config=")) {
			config = a + strlen("--config=");
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			print_usage(stdout);
			return RV_OK;
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("revault %s\n", REVAULT_VERSION);
			return RV_OK;
		} else if (strcmp(a, "--mono") == 0) {
			topt.mono = true;
		} else if (strcmp(a, "--ascii") == 0) {
			topt.ascii = true;
		} else if (strcmp(a, "--slow-link") == 0) {
			topt.slow_link = true;
		} else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
			ctx.quiet = true;
		} else {
			fprintf(stderr, "revault: unknown option %s (see revault --help)\n", a);
			return RV_USAGE;
		}
	}
	ctx.settings_path = paths_settings(config, &e);
	if (ctx.settings_path == NULL) {
		fprintf(stderr, "revault: %s\n", e.msg);
		return e.code;
	}
	/* No command: the text interface, which refuses itself without a terminal. */
	rc = i == argc ? tui_main(ctx.settings_path, &topt) : run_command(&ctx, argc - i, argv + i);
	free(ctx.settings_path);
	return rc;
}
