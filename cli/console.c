/* console: placeholder table until the console lands. */
#include "cli/cli.h"

#include <stddef.h>

const struct cli_cmd cli_console_cmds[] = {
	{ .name = NULL },
};
