/* dialog: one loop for all three kinds. */
#include "widgets/dialog.h"

#include <string.h>

#include "widgets/form.h"
#include "widgets/frame.h"
#include "widgets/keys.h"

enum dialog_kind { DLG_MESSAGE, DLG_CONFIRM, DLG_INPUT };

enum { D_OK = 1, D_CANCEL, D_YES, D_NO, D_SWITCH };

static const struct keymap confirm_keys[] = {
	{ 'y', D_YES }, { 'Y', D_YES }, { 'n', D_NO }, { 'N', D_NO }, { KEY_ESC, D_CANCEL },
	{ KEY_LEFT, D_SWITCH }, { KEY_RIGHT, D_SWITCH }, { KEY_TAB, D_SWITCH }, { KEY_BTAB, D_SWITCH },
	{ '\n', D_OK }, { '\r', D_OK }, { KEY_ENTER, D_OK },
	{ 0, 0 },
};

static const struct keymap message_keys[] = {
	{ KEY_ESC, D_OK }, { '\n', D_OK }, { '\r', D_OK }, { KEY_ENTER, D_OK }, { ' ', D_OK },
	{ 'q', D_OK },
	{ 0, 0 },
};

static const struct keymap input_keys[] = {
	{ KEY_ESC, D_CANCEL }, { '\n', D_OK }, { '\r', D_OK }, { KEY_ENTER, D_OK },
	{ 0, 0 },
};

struct dialog {
	enum dialog_kind kind;
	const char *title;
	const char *text;
	enum theme_role role;
	bool yes_focus;
	bool (*tick)(void *arg); /* dialog_confirm_live */
	void *tick_arg;
	struct form_field field;
	struct form form;
};

static void (*backdrop_fn)(void *arg);
static void *backdrop_arg;

void dialog_set_backdrop(void (*fn)(void *arg), void *arg)
{
	backdrop_fn = fn;
	backdrop_arg = arg;
}

static void draw_buttons(const struct dialog *d, int y, int x, int width)
{
	const char *yes = "[ Yes ]", *no = "[ No ]";
	int bx = x + (width - 16) / 2;

	if (d->kind == DLG_MESSAGE) {
		frame_text(stdscr, y, x + (width - 6) / 2, 6, "[ OK ]", ROLE_SELECTED, 0);
		return;
	}
	if (d->kind == DLG_INPUT) {
		frame_text(stdscr, y, x + 2, width - 4, "Enter: OK   Esc: cancel", ROLE_DIM, 0);
		return;
	}
	frame_text(stdscr, y, bx, 7, yes, d->yes_focus ? ROLE_SELECTED : ROLE_NORMAL, 0);
	frame_text(stdscr, y, bx + 10, 6, no, d->yes_focus ? ROLE_NORMAL : ROLE_SELECTED, 0);
}

static void draw(struct dialog *d)
{
	int width = COLS - 4 < 72 ? COLS - 4 : 72, rows, h, y, x;

	curs_set(0);
	if (backdrop_fn != NULL)
		backdrop_fn(backdrop_arg);
	if (width < 20)
		width = COLS;
	rows = frame_wrap_rows(width - 4, d->text);
	h = rows + 4 + (d->kind == DLG_INPUT ? 2 : 0);
	if (h > LINES - 2)
		h = LINES - 2;
	y = (LINES - h) / 2;
	/* A live dialog sits low, above the status line, so that what goes on
	 * changing above it (a job's progress) stays in view. */
	if (d->tick != NULL && LINES - h - 3 > y)
		y = LINES - h - 3;
	x = (COLS - width) / 2;
	for (int i = 0; i < h; i++)
		frame_text(stdscr, y + i, x, width, "", ROLE_NORMAL, 1);
	frame_box(stdscr, y, x, h, width, d->role == ROLE_NORMAL ? ROLE_FRAME : d->role);
	frame_text(stdscr, y, x + 2, width - 4, d->title, d->role == ROLE_NORMAL ? ROLE_TITLE : d->role, 0);
	frame_wrap(stdscr, y + 1, x + 2, width - 4, h - 3 - (d->kind == DLG_INPUT ? 2 : 0), d->text,
		   d->role == ROLE_ERROR ? ROLE_ERROR : ROLE_NORMAL);
	if (d->kind == DLG_INPUT)
		form_draw(stdscr, &d->form, y + h - 4, x + 2, 2, width - 6);
	draw_buttons(d, y + h - 2, x, width);
	if (d->kind == DLG_INPUT)
		form_cursor(stdscr, &d->form);
	wnoutrefresh(stdscr);
	doupdate();
}

/* Returns 1 for OK/Yes, 0 for No/cancel, -1 to go on. */
static int on_key(struct dialog *d, int ch)
{
	int left;

	switch (d->kind) {
	case DLG_MESSAGE:
		return keymap_lookup(message_keys, ch) == D_OK ? 1 : -1;
	case DLG_CONFIRM:
		switch (keymap_lookup(confirm_keys, ch)) {
		case D_YES:
			return 1;
		case D_NO:
		case D_CANCEL:
			return 0;
		case D_SWITCH:
			d->yes_focus = !d->yes_focus;
			return -1;
		case D_OK:
			return d->yes_focus ? 1 : 0;
		default:
			return -1;
		}
	case DLG_INPUT:
	default:
		switch (keymap_lookup(input_keys, ch)) {
		case D_OK:
			return 1;
		case D_CANCEL:
			return 0;
		default:
			form_key(&d->form, ch, &left);
			return -1;
		}
	}
}

static int run(struct dialog *d)
{
	int saved = keys_get_timeout(), rc = -1, ch;

	/* With a tick the key read does not wait: the tick does. */
	keys_timeout(stdscr, d->tick != NULL ? 0 : -1);
	draw(d);
	while (rc < 0) {
		ch = keys_get(stdscr);
		if (ch == ERR) {
			if (d->tick != NULL && d->tick(d->tick_arg))
				draw(d);
			continue;
		}
		if (ch != KEY_RESIZE)
			rc = on_key(d, ch);
		if (rc < 0)
			draw(d);
	}
	keys_timeout(stdscr, saved);
	curs_set(0);
	return rc;
}

void dialog_message(const char *title, const char *text, enum theme_role role)
{
	struct dialog d = { .kind = DLG_MESSAGE, .title = title, .text = text, .role = role };

	run(&d);
}

bool dialog_confirm(const char *title, const char *text, enum theme_role role)
{
	struct dialog d = { .kind = DLG_CONFIRM, .title = title, .text = text, .role = role };

	return run(&d) == 1;
}

bool dialog_confirm_live(const char *title, const char *text, enum theme_role role, bool (*tick)(void *arg),
			 void *arg)
{
	struct dialog d = { .kind = DLG_CONFIRM, .title = title, .text = text, .role = role,
			    .tick = tick, .tick_arg = arg };

	return run(&d) == 1;
}

bool dialog_input(const char *title, const char *text, char *buf, size_t cap, bool masked)
{
	struct dialog d = { .kind = DLG_INPUT, .title = title, .text = text, .role = ROLE_NORMAL };
	bool ok;

	d.field.kind = masked ? FIELD_SECRET : FIELD_TEXT;
	d.field.label = ">";
	d.form.fields = &d.field;
	d.form.n = 1;
	form_set(&d.field, masked ? "" : buf);
	ok = run(&d) == 1;
	if (ok && cap > 0) {
		size_t n = d.field.len < cap - 1 ? d.field.len : cap - 1;

		memcpy(buf, d.field.buf, n);
		buf[n] = '\0';
	}
	form_wipe_field(&d.field);
	return ok;
}
