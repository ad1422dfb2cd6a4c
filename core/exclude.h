/* exclude: the patterns of backup.exclude, with GNU tar's and restic's
 * habits (docs/OPERATOR.md, "What is left out"):
 *  - a pattern without '/' matches the name of an entry at any depth,
 *    dotfiles included: `*.tmp` leaves out `a.tmp` and `.hidden.tmp`;
 *  - a pattern with '/' inside is anchored at the root of each source:
 *    `cache/x` is SOURCE/cache/x, and `keep/` + `*.log` is SOURCE/keep/a.log; one
 *    that starts with '/' is an absolute path: `/var/cache/apt`;
 *  - a trailing '/' matches folders only: `cache/`, `/srv/www/tmp/`;
 *  - `*`, `?` and `[...]` (fnmatch(3)) stay within one path component;
 *    a component that is exactly `**` crosses any number of folders, so
 *    the pattern "logs", "**", "old.gz" joined by slashes matches
 *    SOURCE/logs/old.gz and SOURCE/logs/2026/11/old.gz.
 * A folder that is left out is not descended into. */
#ifndef REVAULT_CORE_EXCLUDE_H
#define REVAULT_CORE_EXCLUDE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

/* Does pattern leave out the entry at abs (an absolute path in its one
 * spelling) found under source (the source it was reached from)? is_dir:
 * the entry is a folder. */
bool exclude_match(const char *pattern, const char *abs, const char *source, bool is_dir);

/* Refuses (RV_USAGE, one line with the reason and what to write instead)
 * a pattern that can never match: empty, a "." or ".." or empty
 * component (paths are compared in their one spelling), a component
 * longer than 255 bytes, or an absolute pattern outside every one of
 * sources (when any are configured). RV_OK otherwise. */
int exclude_check(const char *pattern, char *const *sources, size_t nsources, struct err *e);

#endif
