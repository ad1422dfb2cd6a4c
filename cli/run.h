/* run: stepping a job from a line-oriented front end (the commands and the
 * console): progress on a terminal, questions asked on the terminal or
 * refused without one, list output, one summary line. */
#ifndef REVAULT_CLI_RUN_H
#define REVAULT_CLI_RUN_H

#include "cli/cli.h"
#include "core/job.h"

/* p->settings and p->settings_path are filled from ctx. yes answers every
 * question with yes (--yes). Returns the exit status; e holds the error. */
int cli_run_job(struct cli_ctx *ctx, enum job_kind kind, struct job_params *p, bool yes, struct err *e);

/* Lists revision rev (of device, NULL: this machine's) on ctx->out, one
 * entry a line, under the absolute paths given (none: everything); long as
 * tar -tv. Exit status as cli_run_job; on an integrity failure after some
 * lines, e says they came from a revision that did not verify. */
int cli_run_ls(struct cli_ctx *ctx, const char *rev, const char *device, const char *const *paths, size_t npaths,
	       bool long_, struct err *e);

/* Paths inside a revision as typed (absolute, as `ls` prints them) in one
 * spelling, allocated into *out (free with cli_free_paths, whatever the
 * result). RV_USAGE naming one that is not absolute. */
int cli_revision_paths(const char *const *in, size_t n, char ***out, struct err *e);
void cli_free_paths(char **v, size_t n);

#endif
