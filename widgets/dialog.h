/* dialog: modal message, confirmation and entry boxes drawn over the
 * current screen. A confirmation starts on the safe answer (No); an entry
 * box can be masked, keeping the secret in the widget's own field until it
 * is copied to the caller and wiped. On a resize the parent is redrawn
 * (through the backdrop hook), then the dialog. */
#ifndef REVAULT_WIDGETS_DIALOG_H
#define REVAULT_WIDGETS_DIALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "themes/theme.h"

/* Redraws whatever is under the dialog into stdscr (without doupdate). */
void dialog_set_backdrop(void (*fn)(void *arg), void *arg);

void dialog_message(const char *title, const char *text, enum theme_role role);
/* True only when the operator chose Yes; Esc and Enter on the start are No. */
bool dialog_confirm(const char *title, const char *text, enum theme_role role);
/* True when Enter was pressed (buf filled), false on Esc. buf starts as its
 * current contents. */
bool dialog_input(const char *title, const char *text, char *buf, size_t cap, bool masked);

#endif
