/* console_grammar: the appliance console's command language as two keyword
 * trees, exec mode and configuration mode, with the checks its arguments
 * pass before anything is changed. */
#ifndef REVAULT_CLI_CONSOLE_GRAMMAR_H
#define REVAULT_CLI_CONSOLE_GRAMMAR_H

#include <stdbool.h>

#include "cli/console_parse.h"
#include "core/err.h"

#define CONSOLE_PROMPT_EXEC "revault# "
#define CONSOLE_PROMPT_CONFIG "revault(config)# "

/* Where a command's arguments land in console_cmd.slot. */
enum console_slot {
	S_NUMBER = 1,
	S_URL,
	S_USER,
	S_PASSWORD_KW,
	S_PASSWORD,
	S_HOST,
	S_TYPE,
	S_FINGERPRINT,
	S_REVISION,
	S_SCHED_KIND,   /* daily, weekly, hourly, off */
	S_SCHED_DAY,
	S_SCHED_TIME,
	S_SCHED_RANDOM,
	S_COMMAND,
	S_SECONDS,
	S_PATH,
	S_RATE,
	S_END /* one past the last slot */
};

/* What a line asks for: console_cmd.cmd. */
enum console_command {
	C_NONE,
	C_CONFIGURE,
	C_END,
	C_EXIT,
	C_REVISIONS,
	C_SERVER,
	C_AUTHENTICATE,
	C_KNOWNHOST_ADD,
	C_KNOWNHOST_DEL,
	C_KEYGEN,
	C_PROTECTED_ON,
	C_PROTECTED_OFF,
	C_ENFORCED_ON,
	C_ENFORCED_OFF,
	C_BACKUP,
	C_RESTORE,
	C_SHOW_BACKUP,
	C_SHOW_RUNNING,
	C_SHOW_KNOWNHOST,
	C_SCHEDULE,     /* backup schedule ...; no backup schedule (no kind: off) */
	C_SHOW_BACKUP_STATUS,
	C_HOOK_BEFORE,
	C_HOOK_AFTER,
	C_HOOK_TIMEOUT,
	C_NO_HOOK_BEFORE,
	C_NO_HOOK_AFTER,
	C_SHOW_REVISION,
	C_BANDWIDTH,
	C_RETRIES,
	C_CHANNELS,
	C_COUNT
};

const struct console_node *console_tree(bool config);

#endif
