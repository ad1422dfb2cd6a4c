/* console_edit: the console's line editing on a terminal, through libedit
 * (emacs keys, history, lines longer than the terminal redrawn in place).
 * `?` and Tab are bound to the caller's help and completion, which know
 * the grammar. The terminal is back in its normal mode whenever a line has
 * been returned, so the caller can prompt for a password or run a job in
 * between. */
#ifndef REVAULT_CLI_CONSOLE_EDIT_H
#define REVAULT_CLI_CONSOLE_EDIT_H

#include <stddef.h>
#include <stdio.h>

#define CONSOLE_LINE_MAX 1024
#define CONSOLE_HISTORY_MAX 100

struct console_edit_ops {
	/* Prints what can follow line (it starts on a fresh row). */
	void (*help)(void *arg, const char *line);
	/* Writes the text to append to line into buf and returns the number of
	 * candidates (1: the word is complete). */
	int (*complete)(void *arg, const char *line, char *buf, size_t cap);
	void *arg;
};

struct editline;
struct history;

struct console_edit {
	struct editline *el;
	struct history *hist;
	FILE *out;
	const char *prompt;
	const struct console_edit_ops *ops;
};

void console_edit_init(struct console_edit *ed, FILE *in, FILE *out);
/* Ends the editor and drops its history. */
void console_edit_free(struct console_edit *ed);
/* Reads one line after prompt. Ctrl-C gives an empty line; NULL at the end
 * of input (Ctrl-D on an empty line). Allocated: wipe_free_str() it. */
char *console_edit_read(struct console_edit *ed, const char *prompt, const struct console_edit_ops *ops);
/* Adds line to the history (the caller leaves out lines with secrets). */
void console_edit_remember(struct console_edit *ed, const char *line);

#endif
