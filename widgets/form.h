/* form: labelled entry fields, moved between with Tab/Shift-Tab, the
 * arrows and Enter. A thin layer over ncurses' libform (form(3X)): libform
 * keeps each text field's buffer, cursor and horizontal scrolling (a value
 * longer than the field scrolls inside it), and a choice field is a
 * TYPE_ENUM field cycled with REQ_NEXT_CHOICE/REQ_PREV_CHOICE. Focus
 * arriving at a text field selects its whole value: drawn as selected, the
 * first character typed replaces it (as libform's O_BLANK), Backspace or
 * Delete clears it, and a cursor key keeps it for editing.
 *
 * A secret field is our own masked entry: what is typed stays in the
 * field's buffer here, is shown as '*' and is wiped by form_wipe(). It is
 * not given to libform because libform copies a field's text into buffers
 * of its own (the field buffer, its wide-character copy, the window
 * cells) and frees them without clearing: the secret would stay in freed
 * memory.
 *
 * A field reports when focus leaves it so the screen can validate it and
 * put the error next to it. buf mirrors the value after every key. */
#ifndef REVAULT_WIDGETS_FORM_H
#define REVAULT_WIDGETS_FORM_H

#include <stdbool.h>
#include <stddef.h>
#include <curses.h>

#define FORM_FIELD_MAX 512
/* The reason shown under a field, in bytes with its NUL: as long as a
 * core error message (core/err.h ERR_MSG_MAX). */
#define FORM_ERROR_MAX 1024

enum field_kind {
	FIELD_TEXT,
	FIELD_SECRET,
	FIELD_CHOICE, /* cycled with Space or Left/Right */
};

struct form_field {
	const char *label;
	enum field_kind kind;
	char buf[FORM_FIELD_MAX];
	size_t len;
	size_t cur;
	const char *const *choices;
	int nchoices;
	int choice;
	const char *placeholder; /* shown dim when empty */
	char error[FORM_ERROR_MAX];
	bool edited;             /* changed since focus came */
	struct fieldnode *lf;    /* private: libform's FIELD */
};

struct form_impl; /* libform's FORM, made on first use */

struct form {
	struct form_field *fields;
	int n;
	int focus;
	struct form_impl *impl; /* private; NULL until first drawn or keyed */
};

enum form_result {
	FORM_IGNORED,  /* not the form's key */
	FORM_HANDLED,
	FORM_LEFT,     /* focus moved; *left is the field it left */
	FORM_SUBMIT,   /* Enter on the last field; *left is that field */
};

int form_key(struct form *f, int ch, int *left);
/* Labels in labelw columns, fields fieldw wide, errors on the row below a
 * field that has one; returns the rows used. */
int form_draw(WINDOW *w, const struct form *f, int y, int x, int labelw, int fieldw);
/* Rows form_draw would use, for sizing a dialog. */
int form_rows(const struct form *f, int fieldw);
/* Places the terminal cursor in the focused field (call last). */
void form_cursor(WINDOW *w, const struct form *f);
void form_set(struct form_field *fl, const char *s);
/* The choice field's current value. */
const char *form_choice(const struct form_field *fl);
void form_wipe_field(struct form_field *fl);
/* Wipes every field and frees what libform holds for f (call when done
 * with the form; it is made again if used after). */
void form_wipe(struct form *f);

#endif
