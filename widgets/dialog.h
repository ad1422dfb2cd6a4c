/* dialog: modal message, confirmation, entry and choice boxes over the
 * current screen. Each box is a window in a panel stacked over the
 * screen's (ncurses' libpanel, panel(3X)), so the screen can go on
 * redrawing under it. A confirmation names its keys and Enter is its safe
 * answer (No); an
 * entry box is a one-field form (widgets/form.h: the pre-filled value is
 * selected, typing replaces it, long values scroll inside the field) and
 * can be masked, keeping the secret in the widget's own field until it is
 * copied to the caller and wiped. On a resize the parent is redrawn
 * (through the backdrop hook), then the dialog. */
#ifndef REVAULT_WIDGETS_DIALOG_H
#define REVAULT_WIDGETS_DIALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "themes/theme.h"

/* Redraws whatever is under the dialog into stdscr (without doupdate). */
void dialog_set_backdrop(void (*fn)(void *arg), void *arg);

void dialog_message(const char *title, const char *text, enum theme_role role);
/* The keys a yes/no dialog takes, written under every question: the same
 * answers the command line takes as typed words, named as keys. */
#define DIALOG_ANSWER_KEYS "y: Yes; n, Esc or Enter: No"

/* True only when the operator pressed y (Yes); n, Esc and Enter are No.
 * The text is followed by DIALOG_ANSWER_KEYS after a blank line. */
bool dialog_confirm(const char *title, const char *text, enum theme_role role);
/* dialog_confirm over a screen that goes on changing (a running job):
 * while no key waits, tick(arg) is called (it may block about 100 ms), and
 * when it returns true the backdrop and the dialog are drawn again. The
 * box sits low on the screen, leaving its upper part in view. */
bool dialog_confirm_live(const char *title, const char *text, enum theme_role role, bool (*tick)(void *arg),
			 void *arg);
/* True when Enter was pressed (buf filled), false on Esc. buf starts as its
 * current contents. */
bool dialog_input(const char *title, const char *text, char *buf, size_t cap, bool masked);
/* dialog_input that asks check(arg, value, err, errcap) on Enter: while it
 * returns false the box stays open with the value as typed and err (one
 * line saying what to do) under the field. check may act on the value (a
 * setting set); true closes the box with buf filled. */
bool dialog_input_checked(const char *title, const char *text, char *buf, size_t cap, bool masked,
			  bool (*check)(void *arg, const char *value, char *err, size_t errcap), void *arg);
/* A choice from a list (a libmenu menu in the box), moved with the arrows
 * and taken with Enter; *index starts on its value. True when chosen,
 * false on Esc (*index unchanged). */
bool dialog_choose(const char *title, const char *text, const char *const *choices, int n, int *index);

#endif
