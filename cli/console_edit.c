/* console_edit: libedit drives the terminal (raw mode, keys, redrawing a
 * line that wraps, history); the console adds two keys to it. `?` and Tab
 * are named functions bound like any other libedit key, so an operator's
 * ~/.editrc (read first) can change everything else but not those two. */
#include "cli/console_edit.h"

#include <errno.h>
#include <histedit.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "core/util.h"

/* Keys on top of libedit's emacs map: the console's own two, and Home,
 * End and Delete as VT220-style terminals (tmux, screen, the Linux
 * console) send them, which libedit binds only when the terminfo entry
 * names that form (xterm's names ESC O H for Home, tmux sends ESC [ 1 ~).
 * Written in libedit's own notation: ^[ is ESC. */
static const struct {
	const char *key, *fn;
} bindings[] = {
	{ "?", "rv-help" },
	{ "^I", "rv-complete" },
	{ "^[[1~", "ed-move-to-beg" },
	{ "^[[7~", "ed-move-to-beg" },
	{ "^[[H", "ed-move-to-beg" },
	{ "^[OH", "ed-move-to-beg" },
	{ "^[[4~", "ed-move-to-end" },
	{ "^[[8~", "ed-move-to-end" },
	{ "^[[F", "ed-move-to-end" },
	{ "^[OF", "ed-move-to-end" },
	{ "^[[3~", "ed-delete-next-char" },
};

static struct console_edit *edit_of(EditLine *el)
{
	void *ed = NULL;

	el_get(el, EL_CLIENTDATA, &ed);
	return ed;
}

static char *prompt_of(EditLine *el)
{
	return (char *)edit_of(el)->prompt;
}

/* Inside an open quote a `?` is part of a value, not a question. */
static bool in_quote(const char *from, const char *to)
{
	size_t q = 0;

	for (const char *p = from; p < to; p++)
		q += *p == '"';
	return q % 2 == 1;
}

/* After a list printed below the line: the prompt and line again from the
 * row the cursor is on. EL_REFRESH forgets what libedit had drawn;
 * CC_REDISPLAY would instead move up over the rows the line took and clear
 * them, erasing the list when the line wrapped. */
static unsigned char redraw_below(EditLine *el)
{
	fflush(edit_of(el)->out);
	el_set(el, EL_REFRESH);
	return CC_NORM;
}

/* el_line() converts the line into a buffer that libedit keeps (and
 * el_gets reuses): wiped after each look, as the line may hold a password. */
static void wipe_line_copy(const LineInfo *li)
{
	wipe((char *)li->buffer, strlen(li->buffer));
}

static unsigned char key_help(EditLine *el, int ch)
{
	struct console_edit *ed = edit_of(el);
	const LineInfo *li = el_line(el);
	char *head;

	(void)ch;
	if (in_quote(li->buffer, li->cursor)) {
		wipe_line_copy(li);
		return el_insertstr(el, "?") == 0 ? CC_REFRESH : CC_ERROR;
	}
	head = xstrndup(li->buffer, (size_t)(li->cursor - li->buffer));
	/* The rest of the line, written over itself, leaves the terminal's
	 * cursor after the line however many rows it wraps to; the `?` is
	 * shown where it was typed only at the end, not glued to a word. */
	fwrite(li->cursor, 1, (size_t)(li->lastchar - li->cursor), ed->out);
	fputs(li->cursor == li->lastchar ? "?\n" : "\n", ed->out);
	wipe_line_copy(li);
	fflush(ed->out);
	ed->ops->help(ed->ops->arg, head);
	wipe_free_str(head);
	return redraw_below(el);
}

static unsigned char key_complete(EditLine *el, int ch)
{
	struct console_edit *ed = edit_of(el);
	const LineInfo *li = el_line(el);
	char add[CONSOLE_LINE_MAX + 1];
	char *head, last;
	unsigned char rc = CC_REFRESH;
	int n;

	(void)ch;
	if (li->cursor != li->lastchar || in_quote(li->buffer, li->cursor)) {
		wipe_line_copy(li);
		return CC_ERROR;
	}
	head = xstrndup(li->buffer, (size_t)(li->lastchar - li->buffer));
	wipe_line_copy(li);
	n = ed->ops->complete(ed->ops->arg, head, add, sizeof(add));
	if (add[0] != '\0' && el_insertstr(el, add) != 0)
		rc = CC_ERROR;
	last = add[0] != '\0' ? add[strlen(add) - 1] : head[0] != '\0' ? head[strlen(head) - 1] : '\0';
	if (n == 1 && last != '\0' && last != ' ') {
		el_insertstr(el, " ");
	} else if (n > 1 && add[0] == '\0') {
		fputc('\n', ed->out);
		fflush(ed->out);
		ed->ops->help(ed->ops->arg, head);
		rc = redraw_below(el);
	} else if (n == 0) {
		rc = CC_ERROR;
	}
	wipe_free_str(head);
	return rc;
}

void console_edit_init(struct console_edit *ed, FILE *in, FILE *out)
{
	HistEvent ev;

	memset(ed, 0, sizeof(*ed));
	ed->out = out;
	ed->el = el_init("revault", in, out, stderr);
	ed->hist = history_init();
	if (ed->el == NULL || ed->hist == NULL)
		abort(); /* out of memory, as xmalloc */
	history(ed->hist, &ev, H_SETSIZE, CONSOLE_HISTORY_MAX);
	history(ed->hist, &ev, H_SETUNIQUE, 1);
	el_set(ed->el, EL_CLIENTDATA, ed);
	el_set(ed->el, EL_EDITOR, "emacs");
	/* As OpenSSH's sftp does: libedit follows a resize while a line is
	 * edited, and puts the terminal back before a signal ends the program
	 * (then sends the signal on to the process group). */
	el_set(ed->el, EL_SIGNAL, 1);
	el_set(ed->el, EL_PROMPT, prompt_of);
	el_set(ed->el, EL_HIST, history, ed->hist);
	el_source(ed->el, NULL);
	/* The wide call keeps these names as they are; the narrow one copies
	 * them and never frees the copies. */
	el_wset(ed->el, EL_ADDFN, L"rv-help", L"list what can follow", key_help);
	el_wset(ed->el, EL_ADDFN, L"rv-complete", L"complete the word", key_complete);
	for (size_t i = 0; i < ARRAY_LEN(bindings); i++)
		el_set(ed->el, EL_BIND, bindings[i].key, bindings[i].fn, NULL);
}

void console_edit_free(struct console_edit *ed)
{
	if (ed->hist != NULL)
		history_end(ed->hist);
	if (ed->el != NULL)
		el_end(ed->el);
	memset(ed, 0, sizeof(*ed));
}

void console_edit_remember(struct console_edit *ed, const char *line)
{
	HistEvent ev;

	if (line[0] != '\0')
		history(ed->hist, &ev, H_ENTER, line);
}

/* The line may hold a password: it is wiped where libedit keeps it (the
 * line being edited, and the copy el_gets returned), not left for the
 * next line to overwrite. */
static void wipe_library_line(EditLine *el, const char *got)
{
	const LineInfoW *li = el_wline(el);

	if (li != NULL && li->lastchar > li->buffer)
		wmemset((wchar_t *)li->buffer, L'\0', (size_t)(li->lastchar - li->buffer));
	if (got != NULL)
		wipe((char *)got, strlen(got));
}

static void on_interrupt(int sig)
{
	(void)sig;
}

char *console_edit_read(struct console_edit *ed, const char *prompt, const struct console_edit_ops *ops)
{
	/* Ctrl-C interrupts el_gets (no SA_RESTART) and drops the line. */
	struct sigaction drop = { .sa_handler = on_interrupt }, old;
	const char *got;
	char *line = NULL;
	int n = 0;

	ed->prompt = prompt;
	ed->ops = ops;
	fflush(ed->out);
	sigemptyset(&drop.sa_mask);
	sigaction(SIGINT, &drop, &old);
	errno = 0;
	got = el_gets(ed->el, &n);
	sigaction(SIGINT, &old, NULL);
	if (got != NULL) {
		line = xstrndup(got, strcspn(got, "\n"));
	} else if (n < 0 && errno == EINTR) {
		fputs("^C\n", ed->out);
		line = xstrdup("");
	} else {
		fputc('\n', ed->out);
	}
	fflush(ed->out);
	wipe_library_line(ed->el, got);
	return line;
}
