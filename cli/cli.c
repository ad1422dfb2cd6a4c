/* cli: global options and the command dispatcher. Commands live in tables
 * (one per file); the longest entry name matching argv's words wins. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "core/paths.h"
#include "core/util.h"
#include "tui/tui.h"

static const struct cli_cmd *const *tables(void)
{
	static const struct cli_cmd *const t[] = {
		cli_settings_cmds, cli_key_cmds, cli_knownhost_cmds, cli_job_cmds, cli_console_cmds, NULL,
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

static void print_usage(FILE *f)
{
	fputs("usage: revault [-c FILE] [--mono] [--ascii] [--slow-link]    (text interface)\n"
	      "       revault [-c FILE] [-q] COMMAND [ARGS]\n\n"
	      "Keeps encrypted, signed revisions of this machine's files on an SFTP server.\n\n"
	      "Commands:\n", f);
	for (const struct cli_cmd *const *t = tables(); *t != NULL; t++)
		for (const struct cli_cmd *c = *t; c->name != NULL; c++) {
			char left[64];

			snprintf(left, sizeof(left), "%s %s", c->name, c->usage ? c->usage : "");
			fprintf(f, "  %-40s %s\n", left, c->help);
		}
	fputs("\nOptions:\n"
	      "  -c, --config FILE   settings file (default: $REVAULT_CONFIG, /etc/revault/revault.yaml\n"
	      "                      as root, else $XDG_CONFIG_HOME/revault/revault.yaml)\n"
	      "  -q, --quiet         errors and the summary only on stderr (warnings still go to syslog)\n"
	      "  -h, --help          this help;  -V, --version  the version\n\n"
	      "Exit status: 0 done; 1 failed (network, server, disk); 2 usage or settings;\n"
	      "3 host key unknown or changed; 4 authentication refused; 5 integrity.\n", f);
}

int cli_usage(const struct cli_cmd *cmd, struct err *e)
{
	return err_set(e, RV_USAGE, "usage: revault %s %s", cmd->name, cmd->usage ? cmd->usage : "");
}

int cli_save(struct cli_ctx *ctx, struct err *e)
{
	return settings_save(&ctx->settings, ctx->settings_path, e);
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

int cli_parse_opts(const struct cli_cmd *cmd, int *argc, char **argv, const struct cli_opt *opts,
		   struct err *e)
{
	int out = 0;
	bool only_args = false;

	for (int i = 0; i < *argc; i++) {
		const char *a = argv[i];
		const struct cli_opt *o;
		size_t nlen;

		if (only_args || a[0] != '-' || a[1] == '\0') {
			argv[out++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_args = true;
			continue;
		}
		for (o = opts; o != NULL && o->name != NULL; o++) {
			nlen = strlen(o->name);
			if (strncmp(a, o->name, nlen) == 0 && (a[nlen] == '\0' || (a[nlen] == '=' && o->value)))
				break;
		}
		if (o == NULL || o->name == NULL) {
			err_set(e, RV_USAGE, "revault %s: unknown option %s (usage: revault %s %s)", cmd->name, a,
				cmd->name, cmd->usage ? cmd->usage : "");
			return RV_USAGE;
		}
		if (o->flag != NULL) {
			*o->flag = true;
		} else if (a[nlen] == '=') {
			*o->value = a + nlen + 1;
		} else if (i + 1 < *argc) {
			*o->value = argv[++i];
		} else {
			return err_set(e, RV_USAGE, "revault %s: %s needs a value", cmd->name, o->name);
		}
	}
	*argc = out;
	argv[out] = NULL;
	return RV_OK;
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
			printf("usage: revault %s %s\n  %s\n", cmd->name, cmd->usage ? cmd->usage : "", cmd->help);
			return RV_OK;
		}
	}
	settings_init(&ctx->settings);
	if (cmd->needs_settings) {
		settings_free(&ctx->settings);
		rc = settings_load(&ctx->settings, ctx->settings_path, &e);
	}
	if (rc == RV_OK) {
		ctx->cmd = cmd;
		rc = cmd->exec(ctx, argc - consumed, argv + consumed, &e);
	}
	fflush(stdout);
	/* Done but incomplete (exit 6) is no failure: its warnings and the
	 * summary said everything. */
	if (rc != RV_OK && rc != RV_INCOMPLETE)
		fprintf(stderr, "revault: %s\n", e.msg[0] != '\0' ? e.msg : "failed");
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
