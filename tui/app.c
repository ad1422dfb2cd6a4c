/* app: the text interface's entry point. */
#include "tui/tui.h"

#include <stdio.h>

int tui_main(const char *settings_path, const struct tui_options *opt)
{
	(void)settings_path;
	(void)opt;
	fputs("revault: this build has no text interface yet; use the commands (revault --help)\n", stderr);
	return 2;
}
