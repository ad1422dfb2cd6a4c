/* form: labelled entry fields, moved between with Tab/Shift-Tab, the
 * arrows and Enter. A secret field is our own masked entry: what is typed
 * stays in the field's buffer, is shown as '*' and is wiped by form_wipe().
 * A field reports when focus leaves it so the screen can validate it and
 * put the error next to it. */
#ifndef REVAULT_WIDGETS_FORM_H
#define REVAULT_WIDGETS_FORM_H

#include <stdbool.h>
#include <stddef.h>
#include <curses.h>

#define FORM_FIELD_MAX 512

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
	char error[192];
	bool edited;             /* changed since focus came */
};

struct form {
	struct form_field *fields;
	int n;
	int focus;
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
/* Places the terminal cursor in the focused field (call last). */
void form_cursor(WINDOW *w, const struct form *f);
void form_set(struct form_field *fl, const char *s);
/* The choice field's current value. */
const char *form_choice(const struct form_field *fl);
void form_wipe_field(struct form_field *fl);
void form_wipe(struct form *f);

#endif
