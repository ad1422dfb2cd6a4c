/* hooks: the commands an admin has run before and after each backup
 * (hooks.before_backup, hooks.after_backup; docs/OPERATOR.md, "Hooks").
 * A hook is a shell command line, run as cron runs one: /bin/sh -c CMD,
 * stdin /dev/null, in a process group of its own, with no descriptor of
 * revault's open (the lock, the connection), bounded by hooks.timeout. */
#ifndef REVAULT_CORE_HOOKS_H
#define REVAULT_CORE_HOOKS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

/* Hooks are settings that run commands: they are refused unless the
 * settings file at path is a regular file owned by the running user or
 * root and writable by no one else (group or others), as sshd's
 * StrictModes and cron judge their files. RV_USAGE with e saying what to
 * chmod or chown; RV_OK when it is sound. */
int hooks_check_file(const char *settings_path, struct err *e);

/* One NAME=VALUE added to the hook's environment. */
struct hook_var {
	const char *name;
	const char *value;
};

struct hook_run {
	const char *name;   /* "hooks.before_backup", for the log and messages */
	const char *command;
	unsigned timeout;   /* seconds; at the deadline the process group gets
			     * SIGTERM, then SIGKILL HOOKS_KILL_GRACE seconds later */
	const struct hook_var *vars; /* added to revault's own environment (which
				      * holds no secret: revault never takes one from it) */
	size_t nvars;
	const atomic_bool *cancel;   /* when set, the hook is stopped as at its timeout; may be NULL */
	/* Each line the hook writes, stdout and stderr, "NAME: line", at
	 * LOG_INFO (the log, not the terminal). */
	void (*log)(void *arg, int priority, const char *msg);
	void *log_arg;
};

#define HOOKS_KILL_GRACE 2

/* Runs the hook and waits for it (and ends whatever it left running in
 * its process group). RV_OK when it exited 0; else RV_FAIL with e: the
 * exit status or signal, or the timeout, and the last line it wrote on
 * stderr, so a refusal is shown with its reason. */
int hooks_run(const struct hook_run *h, struct err *e);

#endif
