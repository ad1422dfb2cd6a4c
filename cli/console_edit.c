/* console_edit: the console's line editor. Keys are a table from byte (or
 * escape sequence) to action; the line is redrawn on its own row with a
 * carriage return and an erase-to-end, which every terminal that is not
 * "dumb" understands (the console uses plain line input on dumb ones). */
#include "cli/console_edit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "core/util.h"

enum edit_action {
	ED_NONE,
	ED_INSERT,
	ED_ENTER,
	ED_BACKSPACE,
	ED_DELETE,
	ED_EOF_OR_DELETE,
	ED_LEFT,
	ED_RIGHT,
	ED_HOME,
	ED_END,
	ED_KILL_END,
	ED_KILL_START,
	ED_KILL_WORD,
	ED_PREV,
	ED_NEXT,
	ED_CANCEL,
	ED_REDRAW,
	ED_COMPLETE,
};

struct edit_state {
	struct console_edit *ed;
	const char *prompt;
	const struct console_edit_ops *ops;
	char buf[CONSOLE_LINE_MAX + 1];
	size_t len, pos;
	size_t hist;                       /* nhistory: the line being edited */
	char saved[CONSOLE_LINE_MAX + 1];  /* that line while browsing history */
};

static const struct {
	unsigned char key;
	enum edit_action action;
} control_keys[] = {
	{ '\r', ED_ENTER },      { '\n', ED_ENTER },       { 0x7f, ED_BACKSPACE },  { 0x08, ED_BACKSPACE },
	{ 0x04, ED_EOF_OR_DELETE }, { 0x02, ED_LEFT },     { 0x06, ED_RIGHT },      { 0x01, ED_HOME },
	{ 0x05, ED_END },        { 0x0b, ED_KILL_END },    { 0x15, ED_KILL_START }, { 0x17, ED_KILL_WORD },
	{ 0x10, ED_PREV },       { 0x0e, ED_NEXT },        { 0x03, ED_CANCEL },     { 0x0c, ED_REDRAW },
	{ '\t', ED_COMPLETE },
};

/* The final byte of ESC [ x and ESC O x sequences. */
static const struct {
	unsigned char key;
	enum edit_action action;
} escape_keys[] = {
	{ 'A', ED_PREV }, { 'B', ED_NEXT }, { 'C', ED_RIGHT }, { 'D', ED_LEFT }, { 'H', ED_HOME }, { 'F', ED_END },
};

void console_edit_init(struct console_edit *ed, int in, int out)
{
	memset(ed, 0, sizeof(*ed));
	ed->in = in;
	ed->out = out;
}

void console_edit_free(struct console_edit *ed)
{
	for (size_t i = 0; i < ed->nhistory; i++)
		wipe_free_str(ed->history[i]);
	ed->nhistory = 0;
}

void console_edit_remember(struct console_edit *ed, const char *line)
{
	if (line[0] == '\0')
		return;
	if (ed->nhistory > 0 && strcmp(ed->history[ed->nhistory - 1], line) == 0)
		return;
	if (ed->nhistory == CONSOLE_HISTORY_MAX) {
		wipe_free_str(ed->history[0]);
		memmove(ed->history, ed->history + 1, (CONSOLE_HISTORY_MAX - 1) * sizeof(*ed->history));
		ed->nhistory--;
	}
	ed->history[ed->nhistory++] = xstrdup(line);
}

static void put(struct edit_state *st, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(st->ed->out, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void puts_out(struct edit_state *st, const char *s)
{
	put(st, s, strlen(s));
}

static void redraw(struct edit_state *st)
{
	char back[32];

	puts_out(st, "\r");
	puts_out(st, st->prompt);
	put(st, st->buf, st->len);
	puts_out(st, "\033[K");
	if (st->pos < st->len) {
		snprintf(back, sizeof(back), "\033[%zuD", st->len - st->pos);
		puts_out(st, back);
	}
}

static void insert(struct edit_state *st, const char *s, size_t n)
{
	if (st->len + n > CONSOLE_LINE_MAX) {
		puts_out(st, "\a");
		return;
	}
	memmove(st->buf + st->pos + n, st->buf + st->pos, st->len - st->pos);
	memcpy(st->buf + st->pos, s, n);
	st->len += n;
	st->pos += n;
	st->buf[st->len] = '\0';
}

static void erase(struct edit_state *st, size_t from, size_t to)
{
	memmove(st->buf + from, st->buf + to, st->len - to);
	st->len -= to - from;
	st->pos = from;
	st->buf[st->len] = '\0';
}

/* Inside an open quote a `?` is part of a value, not a question. */
static bool in_quote(const struct edit_state *st)
{
	size_t q = 0;

	for (size_t i = 0; i < st->pos; i++)
		q += st->buf[i] == '"';
	return q % 2 == 1;
}

static void show_help(struct edit_state *st, const char *typed)
{
	char head[CONSOLE_LINE_MAX + 1];

	memcpy(head, st->buf, st->pos);
	head[st->pos] = '\0';
	puts_out(st, typed);
	puts_out(st, "\n");
	fflush(stdout);
	st->ops->help(st->ops->arg, head);
	fflush(stdout);
	wipe(head, sizeof(head));
}

static void complete(struct edit_state *st)
{
	char head[CONSOLE_LINE_MAX + 1], add[CONSOLE_LINE_MAX + 1];
	int n;

	if (st->pos != st->len || in_quote(st)) {
		puts_out(st, "\a");
		return;
	}
	memcpy(head, st->buf, st->pos);
	head[st->pos] = '\0';
	n = st->ops->complete(st->ops->arg, head, add, sizeof(add));
	if (add[0] != '\0')
		insert(st, add, strlen(add));
	if (n == 1 && st->len > 0 && st->buf[st->len - 1] != ' ')
		insert(st, " ", 1);
	else if (n > 1 && add[0] == '\0')
		show_help(st, "");
	else if (n == 0)
		puts_out(st, "\a");
	wipe(head, sizeof(head));
}

static void browse(struct edit_state *st, bool back)
{
	struct console_edit *ed = st->ed;

	if (back ? st->hist == 0 : st->hist >= ed->nhistory)
		return;
	if (st->hist == ed->nhistory)
		memcpy(st->saved, st->buf, sizeof(st->saved));
	st->hist = back ? st->hist - 1 : st->hist + 1;
	snprintf(st->buf, sizeof(st->buf), "%s", st->hist == ed->nhistory ? st->saved : ed->history[st->hist]);
	st->len = st->pos = strlen(st->buf);
}

static int read_byte(int fd, unsigned char *c)
{
	for (;;) {
		ssize_t r = read(fd, c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		return r == 1 ? 0 : -1;
	}
}

/* After ESC: the action of a cursor-key sequence, or ED_NONE. */
static enum edit_action read_escape(int fd)
{
	unsigned char a, b, c;

	if (read_byte(fd, &a) != 0 || (a != '[' && a != 'O'))
		return ED_NONE;
	if (read_byte(fd, &b) != 0)
		return ED_NONE;
	if (b >= '0' && b <= '9') {
		/* ESC [ 3 ~ is Delete; ESC [ 1 ~ / 7 ~ Home, 4 ~ / 8 ~ End */
		do {
			if (read_byte(fd, &c) != 0)
				return ED_NONE;
		} while (c >= '0' && c <= '9');
		if (c != '~')
			return ED_NONE;
		return b == '3' ? ED_DELETE : (b == '1' || b == '7') ? ED_HOME : (b == '4' || b == '8') ? ED_END : ED_NONE;
	}
	for (size_t i = 0; i < ARRAY_LEN(escape_keys); i++)
		if (escape_keys[i].key == b)
			return escape_keys[i].action;
	return ED_NONE;
}

static enum edit_action action_of(unsigned char c, int fd)
{
	if (c == 0x1b)
		return read_escape(fd);
	for (size_t i = 0; i < ARRAY_LEN(control_keys); i++)
		if (control_keys[i].key == c)
			return control_keys[i].action;
	return c >= 0x20 ? ED_INSERT : ED_NONE;
}

/* Applies one action; returns 1 when the line is done, -1 at end of input. */
static int apply(struct edit_state *st, enum edit_action a, unsigned char c)
{
	size_t p;

	switch (a) {
	case ED_INSERT:
		if (c == '?' && !in_quote(st)) {
			show_help(st, "?");
			break;
		}
		insert(st, (const char *)&c, 1);
		break;
	case ED_ENTER:
		return 1;
	case ED_BACKSPACE:
		if (st->pos > 0)
			erase(st, st->pos - 1, st->pos);
		break;
	case ED_EOF_OR_DELETE:
		if (st->len == 0)
			return -1;
		/* fall through */
	case ED_DELETE:
		if (st->pos < st->len)
			erase(st, st->pos, st->pos + 1);
		break;
	case ED_LEFT:
		st->pos -= st->pos > 0;
		break;
	case ED_RIGHT:
		st->pos += st->pos < st->len;
		break;
	case ED_HOME:
		st->pos = 0;
		break;
	case ED_END:
		st->pos = st->len;
		break;
	case ED_KILL_END:
		erase(st, st->pos, st->len);
		break;
	case ED_KILL_START:
		erase(st, 0, st->pos);
		break;
	case ED_KILL_WORD:
		p = st->pos;
		while (p > 0 && st->buf[p - 1] == ' ')
			p--;
		while (p > 0 && st->buf[p - 1] != ' ')
			p--;
		erase(st, p, st->pos);
		break;
	case ED_PREV:
	case ED_NEXT:
		browse(st, a == ED_PREV);
		break;
	case ED_CANCEL:
		st->pos = st->len;
		redraw(st);
		puts_out(st, "^C");
		st->len = st->pos = 0;
		st->buf[0] = '\0';
		return 1;
	case ED_COMPLETE:
		complete(st);
		break;
	case ED_REDRAW:
	case ED_NONE:
		break;
	}
	return 0;
}

char *console_edit_read(struct console_edit *ed, const char *prompt, const struct console_edit_ops *ops)
{
	struct edit_state *st = xcalloc(1, sizeof(*st));
	struct termios old, raw;
	bool is_raw = tcgetattr(ed->in, &old) == 0;
	char *line = NULL;
	int done = 0;

	st->ed = ed;
	st->prompt = prompt;
	st->ops = ops;
	st->hist = ed->nhistory;
	fflush(stdout);
	if (is_raw) {
		raw = old;
		raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO | ISIG | IEXTEN);
		raw.c_iflag &= (tcflag_t) ~(ICRNL | IXON);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(ed->in, TCSADRAIN, &raw);
	}
	redraw(st);
	while (done == 0) {
		unsigned char c;

		if (read_byte(ed->in, &c) != 0) {
			done = st->len > 0 ? 1 : -1;
			break;
		}
		done = apply(st, action_of(c, ed->in), c);
		if (done == 0)
			redraw(st);
	}
	if (is_raw)
		tcsetattr(ed->in, TCSADRAIN, &old);
	puts_out(st, "\n");
	if (done > 0)
		line = xstrndup(st->buf, st->len);
	wipe(st, sizeof(*st));
	free(st);
	return line;
}
