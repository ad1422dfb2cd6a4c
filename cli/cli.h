/* cli: the non-interactive commands. Each command is a table entry; the
 * dispatcher matches the longest entry name against the words of argv
 * ("key generate" before "key"). Commands print; they never draw. */
#ifndef REVAULT_CLI_CLI_H
#define REVAULT_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "core/err.h"
#include "core/settings.h"

/* One option a command accepts anywhere among its words: a flag
 * ("--force") or one that takes a value ("--to DIR" or "--to=DIR"). */
struct cli_opt {
	const char *name;
	bool takes_value; /* every value given is kept, in order: cli_opt_values() */
};

#define CLI_OPTS_MAX 5
/* max_args for a command whose exec checks the count itself. */
#define CLI_ARGS_ANY (-1)

/* What a command's words may be, checked by the dispatcher before exec:
 * min..max positional words and the options (a command with none takes
 * every word as positional, so "--x" there is a usage error, not an
 * unknown option). */
struct cli_argspec {
	int min, max;
	struct cli_opt opts[CLI_OPTS_MAX]; /* ended by a NULL name or the array's end */
};

struct cli_ctx {
	char *settings_path;
	struct settings settings; /* loaded before exec when the entry asks for it */
	const struct cli_cmd *cmd; /* the command being run */
	FILE *out;
	bool quiet;                /* -q: warnings to syslog only, not to stderr */
	bool console;              /* run by the console: hints name its commands */
	/* The options given, by their place in cmd->args.opts. */
	bool opt_given[CLI_OPTS_MAX];
	const char *opt_value[CLI_OPTS_MAX];
	/* Every value given to each option that takes one, in order. */
	const char **opt_values[CLI_OPTS_MAX];
	size_t opt_nvalues[CLI_OPTS_MAX];
};

struct cli_cmd {
	const char *name;   /* one or more words: "knownhost add" */
	const char *usage;  /* arguments after the name; NULL: none, and the usage
			     * error ends at the name */
	const char *help;   /* one line */
	bool needs_settings;
	/* A backup: when it fails before its job starts (the settings do not
	 * load, a usage error), the last-run record says so (core/lastrun.h). */
	bool records_backup;
	struct cli_argspec args;
	/* argc/argv are the positional words after the name, options taken
	 * out (cli_flag, cli_opt_value). Returns an exit status; on failure e
	 * holds the one line to print. */
	int (*exec)(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
	/* More for `revault NAME --help` after the usage and help lines
	 * (set lists its keys); NULL: nothing more. */
	void (*more_help)(FILE *f);
};

/* Tables, each ended by an entry whose name is NULL. */
extern const struct cli_cmd cli_settings_cmds[]; /* cli/cmd_settings.c */
extern const struct cli_cmd cli_key_cmds[];      /* cli/cmd_key.c */
extern const struct cli_cmd cli_knownhost_cmds[];/* cli/cmd_knownhost.c */
extern const struct cli_cmd cli_job_cmds[];      /* cli/cmd_job.c */
extern const struct cli_cmd cli_console_cmds[];  /* cli/console.c */
extern const struct cli_cmd cli_schedule_cmds[]; /* cli/cmd_schedule.c */
extern const struct cli_cmd cli_status_cmds[];   /* cli/cmd_status.c */

int cli_main(int argc, char **argv);
/* Saves ctx->settings to ctx->settings_path. */
int cli_save(struct cli_ctx *ctx, struct err *e);
/* A warning of one or more lines (a note from core, lines joined by
 * '\n'): on stderr whether or not it is a terminal, "revault: warning: "
 * before the first line and two blanks before each other; with -q to
 * syslog only, as one line. */
void cli_warn(const struct cli_ctx *ctx, const char *text);
/* Help text is fitted to this many columns. */
#define CLI_HELP_WIDTH 80
/* Writes text from column col (where the caller left the line), wrapped
 * at blanks to CLI_HELP_WIDTH columns with indent blanks before each
 * further line, and ends the line. A word longer than a line is written
 * whole. */
void cli_print_wrapped(FILE *f, int col, int indent, const char *text);
/* "  NAME" then text wrapped in a column from namecol, or on the next
 * line when NAME does not fit before it: the layout of every list in the
 * help (commands, options, keys). */
void cli_print_item(FILE *f, const char *name, int namecol, const char *text);

/* Usage error for the command: sets e (RV_USAGE) to "usage: revault NAME USAGE". */
int cli_usage(const struct cli_cmd *cmd, struct err *e);

/* Whether the running command was given the option its spec names. */
bool cli_flag(const struct cli_ctx *ctx, const char *name);
/* The value given to the option its spec names, or NULL. */
const char *cli_opt_value(const struct cli_ctx *ctx, const char *name);
/* Every value given to an option that takes one ("--path A --path B"), in
 * order; their count, 0 when none. cli_opt_value() is the last of them. */
size_t cli_opt_values(const struct cli_ctx *ctx, const char *name, const char *const **out);
/* Parses a file descriptor number given to --passphrase-fd and the like. */
int cli_parse_fd(const char *s, int *fd, struct err *e);

/* Reads a secret: from fd when fd >= 0; else from stdin, prompting without
 * echo on the terminal (twice when confirm) or reading one line when stdin
 * is not a terminal. Allocated; wipe_free_str() it. NULL with e set. */
char *cli_read_secret(const char *prompt, int fd, bool confirm, struct err *e);

#endif
