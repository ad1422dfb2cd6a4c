/* revault: entry point. All the work is in cli/ and core/. */
#include <sys/prctl.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
	/* Passwords, passphrases and the master key pass through this process:
	 * no core dump of it, and no ptrace by other processes of the same user. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	return cli_main(argc, argv);
}
