/* tui: the full-screen text interface. */
#ifndef REVAULT_TUI_TUI_H
#define REVAULT_TUI_TUI_H

#include <stdbool.h>

struct tui_options {
	bool mono;      /* --mono: monochrome theme */
	bool ascii;     /* --ascii: + - | lines */
	bool slow_link; /* --slow-link: progress redrawn once a second */
};

/* Runs the interface until the operator quits; returns an exit status. */
int tui_main(const char *settings_path, const struct tui_options *opt);

#endif
