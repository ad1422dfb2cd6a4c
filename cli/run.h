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

#endif
