/* cmd_knownhost: placeholder table until the commands land. */
#include "cli/cli.h"

#include <stddef.h>

const struct cli_cmd cli_knownhost_cmds[] = {
	{ .name = NULL },
};
