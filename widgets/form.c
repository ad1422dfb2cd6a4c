/* form: a small line editor per field; key handling is a table. */
#include "widgets/form.h"

#include <string.h>

#include "themes/theme.h"
#include "widgets/frame.h"
#include "widgets/keys.h"

enum {
	F_NEXT = 1, F_PREV, F_ENTER, F_LEFT, F_RIGHT, F_HOME, F_END, F_BS, F_DEL, F_KILL, F_SPACE,
};

static const struct keymap form_keys[] = {
	{ KEY_TAB, F_NEXT }, { KEY_DOWN, F_NEXT }, { KEY_BTAB, F_PREV }, { KEY_UP, F_PREV },
	{ '\n', F_ENTER }, { '\r', F_ENTER }, { KEY_ENTER, F_ENTER },
	{ KEY_LEFT, F_LEFT }, { KEY_RIGHT, F_RIGHT }, { KEY_HOME, F_HOME }, { KEY_CTRL('a'), F_HOME },
	{ KEY_END, F_END }, { KEY_CTRL('e'), F_END }, { KEY_BACKSPACE, F_BS }, { 127, F_BS }, { 8, F_BS },
	{ KEY_DC, F_DEL }, { KEY_CTRL('u'), F_KILL }, { ' ', F_SPACE },
	{ 0, 0 },
};

/* Where the field's cursor is kept for form_cursor(). */
static int cursor_y = -1, cursor_x = -1;

void form_wipe_field(struct form_field *fl)
{
	keys_wipe(fl->buf, sizeof(fl->buf));
	fl->len = fl->cur = 0;
}

void form_wipe(struct form *f)
{
	for (int i = 0; i < f->n; i++)
		form_wipe_field(&f->fields[i]);
}

void form_set(struct form_field *fl, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= sizeof(fl->buf))
		n = sizeof(fl->buf) - 1;
	form_wipe_field(fl);
	if (n)
		memcpy(fl->buf, s, n);
	fl->len = fl->cur = n;
	fl->edited = false;
	if (fl->kind == FIELD_CHOICE)
		for (int i = 0; i < fl->nchoices; i++)
			if (s && strcmp(fl->choices[i], s) == 0)
				fl->choice = i;
}

const char *form_choice(const struct form_field *fl)
{
	if (fl->kind != FIELD_CHOICE || fl->nchoices == 0)
		return fl->buf;
	return fl->choices[fl->choice];
}

static void insert(struct form_field *fl, int ch)
{
	if (fl->len + 1 >= sizeof(fl->buf))
		return;
	memmove(fl->buf + fl->cur + 1, fl->buf + fl->cur, fl->len - fl->cur);
	fl->buf[fl->cur++] = (char)ch;
	fl->buf[++fl->len] = '\0';
	fl->edited = true;
}

static void delete_at(struct form_field *fl, size_t at)
{
	if (at >= fl->len)
		return;
	memmove(fl->buf + at, fl->buf + at + 1, fl->len - at);
	fl->buf[--fl->len] = '\0';
	fl->edited = true;
}

static void cycle(struct form_field *fl, int d)
{
	if (fl->nchoices == 0)
		return;
	fl->choice = (fl->choice + d + fl->nchoices) % fl->nchoices;
	fl->edited = true;
}

static int move_focus(struct form *f, int d, int *left)
{
	*left = f->focus;
	f->focus = (f->focus + d + f->n) % f->n;
	f->fields[f->focus].edited = false;
	f->fields[f->focus].cur = f->fields[f->focus].len;
	return FORM_LEFT;
}

static int edit_key(struct form_field *fl, int act, int ch)
{
	bool choice = fl->kind == FIELD_CHOICE;

	switch (act) {
	case F_LEFT:
		if (choice)
			cycle(fl, -1);
		else if (fl->cur > 0)
			fl->cur--;
		return FORM_HANDLED;
	case F_RIGHT:
	case F_SPACE:
		if (choice)
			cycle(fl, 1);
		else if (act == F_SPACE)
			insert(fl, ' ');
		else if (fl->cur < fl->len)
			fl->cur++;
		return FORM_HANDLED;
	case F_HOME:
		fl->cur = 0;
		return FORM_HANDLED;
	case F_END:
		fl->cur = fl->len;
		return FORM_HANDLED;
	case F_BS:
		if (!choice && fl->cur > 0)
			delete_at(fl, --fl->cur);
		return FORM_HANDLED;
	case F_DEL:
		if (!choice)
			delete_at(fl, fl->cur);
		return FORM_HANDLED;
	case F_KILL:
		if (!choice) {
			form_wipe_field(fl);
			fl->edited = true;
		}
		return FORM_HANDLED;
	default:
		break;
	}
	if (!choice && ch >= ' ' && ch < 256 && ch != 127) {
		insert(fl, ch);
		return FORM_HANDLED;
	}
	return FORM_IGNORED;
}

int form_key(struct form *f, int ch, int *left)
{
	int act = keymap_lookup(form_keys, ch);

	*left = f->focus;
	if (f->n == 0)
		return FORM_IGNORED;
	switch (act) {
	case F_NEXT:
		return move_focus(f, 1, left);
	case F_PREV:
		return move_focus(f, -1, left);
	case F_ENTER:
		if (f->focus == f->n - 1)
			return FORM_SUBMIT;
		return move_focus(f, 1, left);
	default:
		return edit_key(&f->fields[f->focus], act, ch);
	}
}

/* The visible part of a field: the cursor always in view. */
static void draw_field(WINDOW *w, const struct form_field *fl, bool focus, int y, int x, int width)
{
	enum theme_role role = focus ? ROLE_FIELD_FOCUS : ROLE_FIELD;
	char shown[FORM_FIELD_MAX + 8];
	size_t start = 0, n;

	if (fl->kind == FIELD_CHOICE) {
		snprintf(shown, sizeof(shown), "< %s >", form_choice(fl));
		frame_text(w, y, x, width, shown, role, 1);
		return;
	}
	if (fl->len == 0 && fl->placeholder && !focus) {
		frame_text(w, y, x, width, fl->placeholder, ROLE_DIM, 1);
		return;
	}
	if (fl->cur >= (size_t)width)
		start = fl->cur - (size_t)width + 1;
	n = fl->len - start;
	if (fl->kind == FIELD_SECRET)
		memset(shown, '*', n);
	else
		memcpy(shown, fl->buf + start, n);
	shown[n] = '\0';
	frame_clip(w, y, x, width, shown, role, 1);
	keys_wipe(shown, sizeof(shown));
	if (focus) {
		cursor_y = y;
		cursor_x = x + (int)(fl->cur - start);
	}
}

int form_draw(WINDOW *w, const struct form *f, int y, int x, int labelw, int fieldw)
{
	int row = y;

	cursor_y = cursor_x = -1;
	for (int i = 0; i < f->n; i++) {
		const struct form_field *fl = &f->fields[i];

		frame_text(w, row, x, labelw, fl->label, i == f->focus ? ROLE_KEY : ROLE_NORMAL, 1);
		draw_field(w, fl, i == f->focus, row, x + labelw, fieldw);
		row++;
		if (fl->error[0] != '\0') {
			row += frame_wrap(w, row, x + labelw, fieldw, 2, fl->error, ROLE_ERROR);
		}
	}
	return row - y;
}

void form_cursor(WINDOW *w, const struct form *f)
{
	(void)f;
	if (cursor_y >= 0) {
		wmove(w, cursor_y, cursor_x);
		curs_set(1);
	} else {
		curs_set(0);
	}
}
