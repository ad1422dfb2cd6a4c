/* form: libform holds the text and choice fields in a pad of the form's
 * own size (labels, fields and the error rows under them), copied onto
 * the screen at each draw, so a screen that erases and redraws itself
 * never loses a field's cursor or scrolling. Key handling is a table;
 * buf mirrors libform's buffer after every key. */
#include "widgets/form.h"

#include <form.h>
#include <stdlib.h>
#include <string.h>

#include "themes/theme.h"
#include "widgets/frame.h"
#include "widgets/keys.h"

enum {
	F_NEXT = 1, F_PREV, F_ENTER, F_LEFT, F_RIGHT, F_HOME, F_END, F_BS, F_DEL, F_KILL, F_SPACE,
};

/* Find and Select stand where Home and End are on a VT220 keyboard. */
static const struct keymap form_keys[] = {
	{ KEY_TAB, F_NEXT }, { KEY_DOWN, F_NEXT }, { KEY_BTAB, F_PREV }, { KEY_UP, F_PREV },
	{ '\n', F_ENTER }, { '\r', F_ENTER }, { KEY_ENTER, F_ENTER },
	{ KEY_LEFT, F_LEFT }, { KEY_RIGHT, F_RIGHT }, { KEY_HOME, F_HOME }, { KEY_CTRL('a'), F_HOME },
	{ KEY_FIND, F_HOME }, { KEY_END, F_END }, { KEY_SELECT, F_END }, { KEY_CTRL('e'), F_END },
	{ KEY_BACKSPACE, F_BS }, { 127, F_BS }, { 8, F_BS },
	{ KEY_DC, F_DEL }, { KEY_CTRL('u'), F_KILL }, { ' ', F_SPACE },
	{ 0, 0 },
};

/* Rows an error may take under its field; a longer one ends in an
 * ellipsis on the last (frame_wrap). */
#define ERROR_ROWS 4

struct form_impl {
	FORM *form;
	FIELD **lf;      /* n + 1, NULL-ended as new_form wants */
	char ***enums;   /* per choice field: its choices, NULL-ended, for TYPE_ENUM */
	WINDOW *pad;
	int *rows;       /* the pad row of each field */
	int labelw, fieldw, height;
	bool fresh;      /* the focused field's value is still selected */
};

/* Where the field's cursor is kept for form_cursor(). */
static int cursor_y = -1, cursor_x = -1;

/* ---- the fields' values ---- */

static bool is_text(const struct form_field *fl)
{
	return fl->kind == FIELD_TEXT;
}

void form_wipe_field(struct form_field *fl)
{
	keys_wipe(fl->buf, sizeof(fl->buf));
	fl->len = fl->cur = 0;
	if (fl->lf != NULL && fl->kind != FIELD_SECRET)
		set_field_buffer(fl->lf, 0, "");
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
	if (fl->lf != NULL && fl->kind != FIELD_SECRET)
		set_field_buffer(fl->lf, 0, fl->kind == FIELD_CHOICE ? form_choice(fl) : fl->buf);
}

const char *form_choice(const struct form_field *fl)
{
	if (fl->kind != FIELD_CHOICE || fl->nchoices == 0)
		return fl->buf;
	return fl->choices[fl->choice];
}

/* libform's buffer into buf: blanks that pad the field are not the value's. */
static void pull(struct form_field *fl)
{
	const char *b;
	size_t n;

	if (fl->lf == NULL || fl->kind == FIELD_SECRET)
		return;
	b = field_buffer(fl->lf, 0);
	n = b != NULL ? strlen(b) : 0;
	while (n > 0 && b[n - 1] == ' ')
		n--;
	if (fl->kind == FIELD_CHOICE) {
		for (int i = 0; i < fl->nchoices; i++)
			if (strlen(fl->choices[i]) == n && strncmp(fl->choices[i], b, n) == 0)
				fl->choice = i;
		return;
	}
	if (n >= sizeof(fl->buf))
		n = sizeof(fl->buf) - 1;
	if (n != fl->len || memcmp(fl->buf, b, n) != 0)
		fl->edited = true;
	keys_wipe(fl->buf, sizeof(fl->buf));
	memcpy(fl->buf, b, n);
	fl->len = fl->cur = n;
}

/* ---- libform's half ---- */

static void impl_free(struct form *f)
{
	struct form_impl *im = f->impl;

	if (im == NULL)
		return;
	unpost_form(im->form);
	free_form(im->form);
	for (int i = 0; i < f->n; i++) {
		free_field(im->lf[i]);
		f->fields[i].lf = NULL;
		free(im->enums[i]);
	}
	free(im->lf);
	free(im->enums);
	free(im->rows);
	if (im->pad != NULL)
		delwin(im->pad);
	free(im);
	f->impl = NULL;
}

void form_wipe(struct form *f)
{
	for (int i = 0; i < f->n; i++)
		form_wipe_field(&f->fields[i]);
	impl_free(f);
}

static void *xalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		abort();
	return p;
}

/* The rows of each field and the form's height for fields fieldw wide. */
static int layout(const struct form *f, int fieldw, int *rows)
{
	int row = 0;

	for (int i = 0; i < f->n; i++) {
		int er = 0;

		if (rows != NULL)
			rows[i] = row;
		row++;
		if (f->fields[i].error[0] != '\0') {
			er = frame_wrap_rows(fieldw, f->fields[i].error);
			row += er < ERROR_ROWS ? er : ERROR_ROWS;
		}
	}
	return row > 0 ? row : 1;
}

int form_rows(const struct form *f, int fieldw)
{
	return layout(f, fieldw, NULL);
}

static FIELD *make_field(struct form_impl *im, struct form_field *fl, int i, int row)
{
	FIELD *lf = new_field(1, im->fieldw, row, im->labelw, 0, 0);

	if (lf == NULL)
		abort();
	/* O_BLANK (on by default) clears the whole field when a character
	 * is typed at its first position, wherever the cursor came from
	 * (form_field_opts(3X)); the selection is text_key()'s own. */
	field_opts_off(lf, O_AUTOSKIP | O_BLANK);
	switch (fl->kind) {
	case FIELD_TEXT:
		/* A growing field scrolls sideways inside its columns. */
		field_opts_off(lf, O_STATIC);
		set_max_field(lf, FORM_FIELD_MAX - 1);
		set_field_buffer(lf, 0, fl->buf);
		break;
	case FIELD_CHOICE:
		im->enums[i] = xalloc((size_t)fl->nchoices + 1, sizeof(char *));
		for (int c = 0; c < fl->nchoices; c++)
			im->enums[i][c] = (char *)fl->choices[c];
		set_field_type(lf, TYPE_ENUM, im->enums[i], 0, 0);
		field_opts_off(lf, O_EDIT);
		set_field_buffer(lf, 0, form_choice(fl));
		break;
	case FIELD_SECRET:
	default:
		/* Focus stops here, but libform never holds the text. */
		field_opts_off(lf, O_EDIT | O_PUBLIC);
		break;
	}
	fl->lf = lf;
	return lf;
}

/* Focus arrived at the current field: a text field's value is selected. */
static void arrive(struct form *f)
{
	struct form_field *fl = &f->fields[f->focus];

	f->impl->fresh = is_text(fl) && fl->len > 0;
	fl->edited = false;
}

/* Makes libform's form for fields fieldw wide after labels labelw wide,
 * with the values in buf, focus on f->focus. */
static struct form_impl *impl_make(struct form *f, int labelw, int fieldw)
{
	struct form_impl *im = xalloc(1, sizeof(*im));

	f->impl = im;
	im->labelw = labelw;
	im->fieldw = fieldw;
	im->lf = xalloc((size_t)f->n + 1, sizeof(FIELD *));
	im->enums = xalloc((size_t)f->n, sizeof(char **));
	im->rows = xalloc((size_t)f->n, sizeof(int));
	im->height = layout(f, fieldw, im->rows);
	for (int i = 0; i < f->n; i++)
		im->lf[i] = make_field(im, &f->fields[i], i, im->rows[i]);
	im->form = new_form(im->lf);
	im->pad = newpad(im->height, labelw + fieldw);
	if (im->form == NULL || im->pad == NULL)
		abort();
	set_form_win(im->form, im->pad);
	set_form_sub(im->form, im->pad);
	if (f->focus < 0 || f->focus >= f->n)
		f->focus = 0;
	set_current_field(im->form, im->lf[f->focus]);
	post_form(im->form);
	arrive(f);
	return im;
}

/* libform's form for this layout: made again when the widths or the error
 * rows changed (libform places fields only while a form is not posted). */
static struct form_impl *impl_for(struct form *f, int labelw, int fieldw)
{
	struct form_impl *im = f->impl;
	bool same = im != NULL && im->labelw == labelw && im->fieldw == fieldw;

	if (same) {
		int *rows = xalloc((size_t)f->n, sizeof(int));

		same = layout(f, fieldw, rows) == im->height &&
		       memcmp(rows, im->rows, (size_t)f->n * sizeof(int)) == 0;
		free(rows);
	}
	if (same)
		return im;
	if (im != NULL) {
		bool fresh = im->fresh;

		for (int i = 0; i < f->n; i++)
			pull(&f->fields[i]);
		impl_free(f);
		im = impl_make(f, labelw, fieldw);
		/* Posting put the cursor at the start: a value being edited
		 * (one refused, say) goes on from its end. */
		if (!fresh && im->fresh) {
			im->fresh = false;
			form_driver(im->form, REQ_END_FIELD);
		}
		return im;
	}
	return impl_make(f, labelw, fieldw);
}

/* Keys may come before the first draw: the form is made 40 columns wide
 * and placed again when drawn. */
static struct form_impl *impl_any(struct form *f)
{
	return f->impl != NULL ? f->impl : impl_for(f, 1, 40);
}

/* ---- keys ---- */

static void secret_insert(struct form_field *fl, int ch)
{
	if (fl->len + 1 >= sizeof(fl->buf))
		return;
	memmove(fl->buf + fl->cur + 1, fl->buf + fl->cur, fl->len - fl->cur);
	fl->buf[fl->cur++] = (char)ch;
	fl->buf[++fl->len] = '\0';
	fl->edited = true;
}

static void secret_delete(struct form_field *fl, size_t at)
{
	if (at >= fl->len)
		return;
	memmove(fl->buf + at, fl->buf + at + 1, fl->len - at);
	fl->buf[--fl->len] = '\0';
	fl->edited = true;
}

/* The masked entry of a secret field. */
static int secret_key(struct form_field *fl, int act, int ch)
{
	switch (act) {
	case F_LEFT:
		if (fl->cur > 0)
			fl->cur--;
		return FORM_HANDLED;
	case F_RIGHT:
		if (fl->cur < fl->len)
			fl->cur++;
		return FORM_HANDLED;
	case F_HOME:
		fl->cur = 0;
		return FORM_HANDLED;
	case F_END:
		fl->cur = fl->len;
		return FORM_HANDLED;
	case F_BS:
		if (fl->cur > 0)
			secret_delete(fl, --fl->cur);
		return FORM_HANDLED;
	case F_DEL:
		secret_delete(fl, fl->cur);
		return FORM_HANDLED;
	case F_KILL:
		keys_wipe(fl->buf, sizeof(fl->buf));
		fl->len = fl->cur = 0;
		fl->edited = true;
		return FORM_HANDLED;
	case F_SPACE:
		secret_insert(fl, ' ');
		return FORM_HANDLED;
	default:
		break;
	}
	if (ch >= ' ' && ch < 256 && ch != 127) {
		secret_insert(fl, ch);
		return FORM_HANDLED;
	}
	return FORM_IGNORED;
}

static int choice_key(FORM *form, int act)
{
	switch (act) {
	case F_LEFT:
		form_driver(form, REQ_PREV_CHOICE);
		return FORM_HANDLED;
	case F_RIGHT:
	case F_SPACE:
		form_driver(form, REQ_NEXT_CHOICE);
		return FORM_HANDLED;
	case F_HOME:
	case F_END:
	case F_BS:
	case F_DEL:
	case F_KILL:
		return FORM_HANDLED;
	default:
		return FORM_IGNORED;
	}
}

/* A text field's key to libform. While the value is selected, a
 * character replaces it and Backspace, Delete or Ctrl-U clear it, as
 * libform's O_BLANK does for the first character; a cursor key keeps it
 * for editing. O_BLANK itself is off (make_field): libform refuses option
 * changes on the current field, and left on it would clear the value at
 * any character typed at the first position (after Home, Ctrl-A, Left). */
static int text_key(struct form_impl *im, int act, int ch)
{
	static const int req[] = {
		[F_LEFT] = REQ_PREV_CHAR, [F_RIGHT] = REQ_NEXT_CHAR, [F_HOME] = REQ_BEG_FIELD,
		[F_END] = REQ_END_FIELD, [F_BS] = REQ_DEL_PREV, [F_DEL] = REQ_DEL_CHAR, [F_KILL] = REQ_CLR_FIELD,
	};
	bool fresh = im->fresh, typed = act == F_SPACE || (act == 0 && ch >= ' ' && ch < 256 && ch != 127);

	if (act == 0 && !typed)
		return FORM_IGNORED;
	im->fresh = false;
	switch (act) {
	case F_BS:
	case F_DEL:
		form_driver(im->form, fresh ? REQ_CLR_FIELD : req[act]);
		return FORM_HANDLED;
	case F_LEFT:
	case F_RIGHT:
	case F_HOME:
	case F_END:
	case F_KILL:
		form_driver(im->form, req[act]);
		return FORM_HANDLED;
	default:
		break;
	}
	if (fresh)
		form_driver(im->form, REQ_CLR_FIELD);
	form_driver(im->form, act == F_SPACE ? ' ' : ch);
	return FORM_HANDLED;
}

static int move_focus(struct form *f, int req, int *left)
{
	struct form_impl *im = f->impl;

	*left = f->focus;
	form_driver(im->form, req);
	f->focus = field_index(current_field(im->form));
	arrive(f);
	return FORM_LEFT;
}

int form_key(struct form *f, int ch, int *left)
{
	int act = keymap_lookup(form_keys, ch), r;
	struct form_impl *im;
	struct form_field *fl;

	*left = f->focus;
	if (f->n == 0)
		return FORM_IGNORED;
	im = impl_any(f);
	if (field_index(current_field(im->form)) != f->focus) {
		set_current_field(im->form, im->lf[f->focus]);
		arrive(f);
	}
	fl = &f->fields[f->focus];
	switch (act) {
	case F_NEXT:
		return move_focus(f, REQ_NEXT_FIELD, left);
	case F_PREV:
		return move_focus(f, REQ_PREV_FIELD, left);
	case F_ENTER:
		form_driver(im->form, REQ_VALIDATION);
		pull(fl);
		if (f->focus == f->n - 1)
			return FORM_SUBMIT;
		return move_focus(f, REQ_NEXT_FIELD, left);
	default:
		break;
	}
	switch (fl->kind) {
	case FIELD_SECRET:
		return secret_key(fl, act, ch);
	case FIELD_CHOICE:
		r = choice_key(im->form, act);
		pull(fl);
		if (r == FORM_HANDLED && act != 0 && act != F_HOME && act != F_END)
			fl->edited = true;
		return r;
	case FIELD_TEXT:
	default:
		r = text_key(im, act, ch);
		/* REQ_VALIDATION copies libform's window into its buffer. */
		form_driver(im->form, REQ_VALIDATION);
		pull(fl);
		return r;
	}
}

/* ---- drawing ---- */

static enum theme_role field_role(const struct form *f, int i)
{
	if (i != f->focus)
		return ROLE_FIELD;
	return f->impl->fresh ? ROLE_SELECTED : ROLE_FIELD_FOCUS;
}

/* What libform does not draw: the choice's "< value >", a secret's '*'
 * and the dim placeholder of an empty field. Returns the cursor column
 * for a secret field, -1 otherwise. */
static int draw_extras(struct form_impl *im, const struct form_field *fl, bool focus, int row, enum theme_role role)
{
	char shown[FORM_FIELD_MAX + 8];
	int width = im->fieldw, col = im->labelw;
	size_t start = 0, n;

	if (fl->kind == FIELD_CHOICE) {
		snprintf(shown, sizeof(shown), "< %s >", form_choice(fl));
		frame_text(im->pad, row, col, width, shown, role, 1);
		return -1;
	}
	if (fl->len == 0 && fl->placeholder && !focus) {
		frame_text(im->pad, row, col, width, fl->placeholder, ROLE_DIM, 1);
		return -1;
	}
	/* A value wider than its field, out of focus, is its start and an
	 * ellipsis, so that it is not taken for the whole. */
	if (fl->kind == FIELD_TEXT && !focus) {
		frame_text(im->pad, row, col, width, fl->buf, role, 1);
		return -1;
	}
	if (fl->kind != FIELD_SECRET)
		return -1;
	if (fl->cur >= (size_t)width)
		start = fl->cur - (size_t)width + 1;
	n = fl->len - start;
	memset(shown, '*', n);
	shown[n] = '\0';
	frame_clip(im->pad, row, col, width, shown, role, 1);
	return col + (int)(fl->cur - start);
}

int form_draw(WINDOW *w, const struct form *cf, int y, int x, int labelw, int fieldw)
{
	/* const in the signature for the screens that draw from a const
	 * state; a form is never a const object, and drawing it places its
	 * libform half. */
	struct form *f = (struct form *)cf;
	struct form_impl *im;
	int cy = -1, cx = -1, rows, cols;

	cursor_y = cursor_x = -1;
	if (f->n == 0 || labelw < 0 || fieldw < 1)
		return 0;
	im = impl_for(f, labelw, fieldw);
	if (field_index(current_field(im->form)) != f->focus) {
		set_current_field(im->form, im->lf[f->focus]);
		arrive(f);
	}
	for (int i = 0; i < f->n; i++) {
		const struct form_field *fl = &f->fields[i];
		attr_t a = theme_attr(field_role(f, i));
		int er = im->rows[i] + 1;

		frame_text(im->pad, im->rows[i], 0, labelw, fl->label, i == f->focus ? ROLE_KEY : ROLE_NORMAL, 1);
		/* Setting the look redraws the field (libform keeps the cursor). */
		if (field_back(im->lf[i]) != a || field_fore(im->lf[i]) != a) {
			set_field_back(im->lf[i], a);
			set_field_fore(im->lf[i], a);
		}
		/* The current field shows a new look at its next refresh. */
		if (i == f->focus && f->fields[i].kind != FIELD_SECRET)
			form_driver(im->form, REQ_VALIDATION);
		for (int r = er; r < (i + 1 < f->n ? im->rows[i + 1] : im->height); r++)
			frame_text(im->pad, r, 0, labelw + fieldw, "", ROLE_NORMAL, 1);
		if (fl->error[0] != '\0')
			frame_wrap(im->pad, er, labelw, fieldw, ERROR_ROWS, fl->error, ROLE_ERROR);
	}
	pos_form_cursor(im->form);
	getyx(im->pad, cy, cx);
	for (int i = 0; i < f->n; i++) {
		int col = draw_extras(im, &f->fields[i], i == f->focus, im->rows[i], field_role(f, i));

		if (i == f->focus && f->fields[i].kind == FIELD_SECRET)
			cx = col;
		if (i == f->focus && f->fields[i].kind == FIELD_CHOICE)
			cx = -1;
	}
	rows = getmaxy(w) - y < im->height ? getmaxy(w) - y : im->height;
	cols = getmaxx(w) - x < labelw + fieldw ? getmaxx(w) - x : labelw + fieldw;
	if (rows > 0 && cols > 0)
		copywin(im->pad, w, 0, 0, y, x, y + rows - 1, x + cols - 1, FALSE);
	if (cx >= 0 && cy >= 0 && cy < rows && cx < cols) {
		cursor_y = getbegy(w) + y + cy;
		cursor_x = getbegx(w) + x + cx;
	}
	return im->height;
}

void form_cursor(WINDOW *w, const struct form *f)
{
	(void)f;
	if (cursor_y >= 0) {
		wmove(w, cursor_y - getbegy(w), cursor_x - getbegx(w));
		curs_set(1);
	} else {
		curs_set(0);
	}
}
