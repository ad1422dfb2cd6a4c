/* answer: the words a yes/no question takes, one rule for the text
 * interface's dialogs, the command line's prompts and the console. Yes is
 * y or yes in any letter case (the dialogs take the key y); anything else,
 * an empty line included, is No, the safe answer. A new host key is not a
 * yes/no question: it takes the word yes or the fingerprint (core/trust,
 * as OpenSSH's StrictHostKeyChecking=ask). */
#ifndef REVAULT_CORE_ANSWER_H
#define REVAULT_CORE_ANSWER_H

#include <stdbool.h>

/* What a prompt that reads a line writes after its question, so the
 * command line and the console say the same. (A dialog takes a key, its
 * first key answering: it names letters, widgets/dialog.h
 * DIALOG_ANSWER_KEYS.) */
#define ANSWER_HINT "y or yes: Yes; n, no or Enter: No"

/* True for "y" or "yes" in any case, blanks around it ignored; false for
 * NULL (no answer, no terminal) and every other line. */
bool answer_yes(const char *line);

#endif
