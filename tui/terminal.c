/* terminal: whether the terminal can show the text interface, asked of
 * terminfo (terminfo(5)) before curses takes the screen. Apart from
 * tui/app.c because <term.h> defines a macro for every capability name
 * (lines, columns, bell, ...). */
#include "tui/app.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <term.h>
#include <unistd.h>

bool app_terminal_usable(char *why, size_t cap)
{
	const char *term = getenv("TERM");
	char *cup;
	int err = 0;
	bool ok;

	if (term == NULL || term[0] == '\0') {
		snprintf(why, cap, "TERM is not set: set it to the terminal's type (xterm, vt220, linux)");
		return false;
	}
	/* err is 0 for a type terminfo does not know, 1 for a hardcopy one. */
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK) {
		if (err == 0)
			snprintf(why, cap, "TERM=%s is not a terminal type known here (no terminfo entry): set TERM "
				 "to one that is (xterm, vt220, linux)", term);
		else
			snprintf(why, cap, "TERM=%s is a printing terminal: it cannot show a screen", term);
		return false;
	}
	/* cup moves the cursor to a row and column: without it (dumb) only
	 * lines can be printed, not a screen. */
	cup = tigetstr("cup");
	ok = cup != NULL && cup != (char *)-1;
	if (!ok)
		snprintf(why, cap, "TERM=%s cannot move the cursor, so it cannot show a screen", term);
	del_curterm(cur_term);
	return ok;
}
