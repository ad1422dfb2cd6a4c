/* cmd_key: placeholder table until the commands land. */
#include "cli/cli.h"

#include <stddef.h>

const struct cli_cmd cli_key_cmds[] = {
	{ .name = NULL },
};
