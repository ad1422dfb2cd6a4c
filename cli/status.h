/* status: the last backups as `revault status` and the console's
 * `show backup status` print them, from core/lastrun's records. */
#ifndef REVAULT_CLI_STATUS_H
#define REVAULT_CLI_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "core/lastrun.h"

/* Prints the health line, then the last attempt and the last success, to
 * out (as one JSON object with json). max_age in seconds, 0: no limit.
 * Returns the exit status (core/lastrun.h lastrun_exit_status: 0 when the
 * last backup stored a revision, with or without warnings, and is not
 * older than max_age; 1 otherwise) and sets e to it with the health line
 * (or, for an unreadable record, with why). health, when not NULL, gets
 * the verdict: a caller that shows a failed backup as news rather than
 * failing on it (the console's `show backup status`) fails only on
 * LASTRUN_UNREADABLE. */
int cli_status_print(FILE *out, int64_t max_age, bool json, enum lastrun_health *health, struct err *e);

#endif
