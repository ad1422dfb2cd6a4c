/* answer: the words a yes/no question takes, one rule for the text
 * interface's dialogs, the command line's prompts and the console. Yes is
 * y or yes in any letter case (the dialogs take the key y); anything else,
 * an empty line included, is No, the safe answer. A new host key is not a
 * yes/no question: it takes the word yes or the fingerprint (core/trust,
 * as OpenSSH's StrictHostKeyChecking=ask). */
#ifndef REVAULT_CORE_ANSWER_H
#define REVAULT_CORE_ANSWER_H

#include <stdbool.h>

/* What each front end writes after its question, so all say the same:
 * a prompt that reads a line, and a dialog that takes a key (its first
 * key answers, so a dialog names letters, not words that would run on
 * into the screen behind it). */
#define ANSWER_HINT "y or yes: Yes; n, no or Enter: No"
#define ANSWER_KEYS "y: Yes; n, Esc or Enter: No"

/* True for "y" or "yes" in any case, blanks around it ignored; false for
 * NULL (no answer, no terminal) and every other line. */
bool answer_yes(const char *line);

#endif
