/* revault: entry point. All the work is in cli/ and core/. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
