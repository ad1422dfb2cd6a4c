/* cli: the non-interactive commands. Each command is a table entry; the
 * dispatcher matches the longest entry name against the words of argv
 * ("key generate" before "key"). Commands print; they never draw. */
#ifndef REVAULT_CLI_CLI_H
#define REVAULT_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "core/err.h"
#include "core/settings.h"

struct cli_ctx {
	char *settings_path;
	struct settings settings; /* loaded before exec when the entry asks for it */
	const struct cli_cmd *cmd; /* the command being run */
	FILE *out;
	bool quiet;                /* -q: warnings to syslog only, not to stderr */
};

struct cli_cmd {
	const char *name;   /* one or more words: "knownhost add" */
	const char *usage;  /* arguments after the name */
	const char *help;   /* one line */
	bool needs_settings;
	/* argc/argv are the words after the name. Returns an exit status; on
	 * failure e holds the one line to print. */
	int (*exec)(struct cli_ctx *ctx, int argc, char **argv, struct err *e);
};

/* Tables, each ended by an entry whose name is NULL. */
extern const struct cli_cmd cli_settings_cmds[]; /* cli/cmd_settings.c */
extern const struct cli_cmd cli_key_cmds[];      /* cli/cmd_key.c */
extern const struct cli_cmd cli_knownhost_cmds[];/* cli/cmd_knownhost.c */
extern const struct cli_cmd cli_job_cmds[];      /* cli/cmd_job.c */
extern const struct cli_cmd cli_console_cmds[];  /* cli/console.c */

int cli_main(int argc, char **argv);
/* Saves ctx->settings to ctx->settings_path. */
int cli_save(struct cli_ctx *ctx, struct err *e);
/* Usage error for the command: sets e (RV_USAGE) to "usage: revault NAME USAGE". */
int cli_usage(const struct cli_cmd *cmd, struct err *e);

/* Options a command accepts anywhere among its words. A flag sets *flag;
 * a valued option (`--to DIR` or `--to=DIR`) sets *value. */
struct cli_opt {
	const char *name; /* "--force" */
	bool *flag;
	const char **value;
};
/* Takes the options out of argc/argv, leaving the positional words.
 * Unknown "--x" words are a usage error. */
int cli_parse_opts(const struct cli_cmd *cmd, int *argc, char **argv, const struct cli_opt *opts,
		   struct err *e);
/* Parses a file descriptor number given to --passphrase-fd and the like. */
int cli_parse_fd(const char *s, int *fd, struct err *e);

/* Reads a secret: from fd when fd >= 0; else from stdin, prompting without
 * echo on the terminal (twice when confirm) or reading one line when stdin
 * is not a terminal. Allocated; wipe_free_str() it. NULL with e set. */
char *cli_read_secret(const char *prompt, int fd, bool confirm, struct err *e);

#endif
