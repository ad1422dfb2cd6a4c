/* dialog: one loop for all kinds. The screen is the bottom panel, each
 * box a panel over it; update_panels() composes them. */
#include "widgets/dialog.h"

#include <panel.h>
#include <stdlib.h>
#include <string.h>

#include "widgets/form.h"
#include "widgets/frame.h"
#include "widgets/keys.h"
#include "widgets/menu.h"

enum dialog_kind { DLG_MESSAGE, DLG_CONFIRM, DLG_INPUT, DLG_CHOOSE };

enum { D_OK = 1, D_CANCEL, D_YES, D_NO };

/* A question is answered by its keys alone, as DIALOG_ANSWER_KEYS
 * names them under every question: y is Yes; n, Esc and Enter are No.
 * There is no button to move to, so Enter cannot mean Yes by where a
 * highlight was left. */
static const struct keymap confirm_keys[] = {
	{ 'y', D_YES }, { 'Y', D_YES }, { 'n', D_NO }, { 'N', D_NO }, { KEY_ESC, D_CANCEL },
	{ '\n', D_NO }, { '\r', D_NO }, { KEY_ENTER, D_NO },
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
	bool (*tick)(void *arg); /* dialog_confirm_live */
	void *tick_arg;
	struct form_field field;
	struct form form;
	struct menu menu;        /* dialog_choose */
	WINDOW *win;
	PANEL *panel;
};

static void (*backdrop_fn)(void *arg);
static void *backdrop_arg;

void dialog_set_backdrop(void (*fn)(void *arg), void *arg)
{
	backdrop_fn = fn;
	backdrop_arg = arg;
}

/* The screen under every box: stdscr as the bottom panel. */
static void screen_panel(void)
{
	static PANEL *base;

	if (base == NULL)
		base = new_panel(stdscr);
}

/* Rows the box's body takes below its text. */
static int body_rows(const struct dialog *d, int width)
{
	switch (d->kind) {
	case DLG_INPUT:
		return form_rows(&d->form, width - 6) + 1;
	case DLG_CHOOSE:
		return d->menu.n + 1;
	default:
		return 0;
	}
}

static void draw_buttons(const struct dialog *d, WINDOW *w, int y, int width)
{
	const char *yes = "[ Yes ]", *no = "[ No ]";
	int bx = (width - 16) / 2;

	switch (d->kind) {
	case DLG_MESSAGE:
		frame_text(w, y, (width - 6) / 2, 6, "[ OK ]", ROLE_SELECTED, 0);
		return;
	case DLG_INPUT:
		frame_text(w, y, 2, width - 4, "Enter: OK   Esc: cancel", ROLE_DIM, 0);
		return;
	case DLG_CHOOSE:
		frame_text(w, y, 2, width - 4, "Up/Down: choose   Enter: OK   Esc: cancel", ROLE_DIM, 0);
		return;
	default:
		break;
	}
	frame_text(w, y, bx, 7, yes, ROLE_NORMAL, 0);
	frame_text(w, y, bx + 10, 6, no, ROLE_SELECTED, 0);
}

/* The box's window, placed for the terminal's size now. */
static WINDOW *place(struct dialog *d, int h, int width, int y, int x)
{
	if (d->win != NULL && (getmaxy(d->win) != h || getmaxx(d->win) != width || getbegy(d->win) != y ||
			       getbegx(d->win) != x)) {
		del_panel(d->panel);
		delwin(d->win);
		d->win = NULL;
	}
	if (d->win == NULL) {
		/* NULL on a terminal too small for any box: the screen under
		 * it says so (frame_too_small) until it is larger. */
		d->win = newwin(h, width, y, x);
		if (d->win != NULL)
			d->panel = new_panel(d->win);
	}
	return d->win;
}

static void draw(struct dialog *d)
{
	int width = COLS - 4 < 72 ? COLS - 4 : 72, rows, body, h, y, x;
	WINDOW *w;

	curs_set(0);
	screen_panel();
	if (backdrop_fn != NULL)
		backdrop_fn(backdrop_arg);
	if (width < 20)
		width = COLS;
	rows = frame_wrap_rows(width - 4, d->text);
	body = body_rows(d, width);
	/* A list longer than the screen has room for scrolls in the rows
	 * there are (at least three), under the text. */
	if (d->kind == DLG_CHOOSE && rows + 4 + body > LINES - 2)
		body = LINES - 2 - rows - 4 > 4 ? LINES - 2 - rows - 4 : 4;
	h = rows + 4 + body;
	if (h > LINES - 2)
		h = LINES - 2;
	if (h < 3)
		h = 3;
	if (h > LINES)
		h = LINES;
	y = (LINES - h) / 2;
	/* A live dialog sits low, above the status line, so that what goes on
	 * changing above it (a job's progress) stays in view. */
	if (d->tick != NULL && LINES - h - 3 > y)
		y = LINES - h - 3;
	x = (COLS - width) / 2;
	w = place(d, h, width, y > 0 ? y : 0, x > 0 ? x : 0);
	if (w == NULL) {
		update_panels();
		doupdate();
		return;
	}
	werase(w);
	for (int i = 0; i < h; i++)
		frame_text(w, i, 0, width, "", ROLE_NORMAL, 1);
	frame_box(w, 0, 0, h, width, d->role == ROLE_NORMAL ? ROLE_FRAME : d->role);
	frame_text(w, 0, 2, width - 4, d->title, d->role == ROLE_NORMAL ? ROLE_TITLE : d->role, 0);
	frame_wrap(w, 1, 2, width - 4, h - 3 - body, d->text, d->role == ROLE_ERROR ? ROLE_ERROR : ROLE_NORMAL);
	if (d->kind == DLG_INPUT)
		form_draw(w, &d->form, h - 2 - body, 2, 2, width - 6);
	if (d->kind == DLG_CHOOSE)
		menu_draw_rows(w, &d->menu, h - 2 - body, 2, width - 4, body - 1);
	draw_buttons(d, w, h - 2, width);
	if (d->kind == DLG_INPUT)
		form_cursor(w, &d->form);
	top_panel(d->panel);
	update_panels();
	doupdate();
}

/* Returns 1 for OK/Yes, 0 for No/cancel, -1 to go on. */
static int on_key(struct dialog *d, int ch)
{
	int left, used;

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
		default:
			return -1;
		}
	case DLG_CHOOSE:
		if (ch == KEY_ESC)
			return 0;
		return menu_key(&d->menu, ch, &used) >= 0 ? 1 : -1;
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

/* Runs the box until answered; with check (an entry box), an answer the
 * check refuses keeps it open with the error under the field. */
static int run_checked(struct dialog *d, bool (*check)(void *arg, const char *value, char *err, size_t errcap),
		       void *arg)
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
		if (rc == 1 && check != NULL) {
			d->field.error[0] = '\0';
			if (!check(arg, d->field.buf, d->field.error, sizeof(d->field.error)))
				rc = -1;
		}
		if (rc < 0)
			draw(d);
	}
	keys_timeout(stdscr, saved);
	curs_set(0);
	if (d->win != NULL) {
		del_panel(d->panel);
		delwin(d->win);
		d->win = NULL;
		update_panels();
	}
	return rc;
}

static int run(struct dialog *d)
{
	return run_checked(d, NULL, NULL);
}

void dialog_message(const char *title, const char *text, enum theme_role role)
{
	struct dialog d = { .kind = DLG_MESSAGE, .title = title, .text = text, .role = role };

	run(&d);
}

/* The question with its answers after a blank line. Allocated. */
static char *with_answers(const char *text)
{
	size_t n = strlen(text) + sizeof("\n\n" DIALOG_ANSWER_KEYS);
	char *q = malloc(n);

	if (q == NULL)
		abort();
	snprintf(q, n, "%s\n\n" DIALOG_ANSWER_KEYS, text);
	return q;
}

bool dialog_confirm(const char *title, const char *text, enum theme_role role)
{
	return dialog_confirm_live(title, text, role, NULL, NULL);
}

bool dialog_confirm_live(const char *title, const char *text, enum theme_role role, bool (*tick)(void *arg),
			 void *arg)
{
	char *q = with_answers(text);
	struct dialog d = { .kind = DLG_CONFIRM, .title = title, .text = q, .role = role,
			    .tick = tick, .tick_arg = arg };
	bool yes = run(&d) == 1;

	free(q);
	return yes;
}

bool dialog_input_checked(const char *title, const char *text, char *buf, size_t cap, bool masked,
			  bool (*check)(void *arg, const char *value, char *err, size_t errcap), void *arg)
{
	struct dialog d = { .kind = DLG_INPUT, .title = title, .text = text, .role = ROLE_NORMAL };
	bool ok;

	d.field.kind = masked ? FIELD_SECRET : FIELD_TEXT;
	d.field.label = ">";
	d.form.fields = &d.field;
	d.form.n = 1;
	form_set(&d.field, masked ? "" : buf);
	ok = run_checked(&d, check, arg) == 1;
	if (ok && cap > 0) {
		size_t n = d.field.len < cap - 1 ? d.field.len : cap - 1;

		memcpy(buf, d.field.buf, n);
		buf[n] = '\0';
	}
	form_wipe(&d.form);
	return ok;
}

bool dialog_input(const char *title, const char *text, char *buf, size_t cap, bool masked)
{
	return dialog_input_checked(title, text, buf, cap, masked, NULL, NULL);
}

bool dialog_choose(const char *title, const char *text, const char *const *choices, int n, int *index)
{
	struct dialog d = { .kind = DLG_CHOOSE, .title = title, .text = text, .role = ROLE_NORMAL };
	struct menu_item *items = calloc(n > 0 ? (size_t)n : 1, sizeof(*items));
	bool ok;

	if (items == NULL)
		abort();
	for (int i = 0; i < n; i++)
		items[i].label = choices[i];
	d.menu.items = items;
	d.menu.n = n;
	d.menu.sel = *index >= 0 && *index < n ? *index : 0;
	ok = n > 0 && run(&d) == 1;
	if (ok)
		*index = d.menu.sel;
	menu_free(&d.menu);
	free(items);
	return ok;
}
