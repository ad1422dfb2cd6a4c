/* sources: what a backup source may be. A source is one absolute path in
 * a single spelling (so `/etc`, `//etc/` and `/etc/.` are one source), no
 * source lies inside another (a restore would write the inner one twice),
 * and none holds revault's state folder (a restore would replace the lock
 * and the restore journal under the running job). All of it is lexical:
 * symlinks are not followed. */
#ifndef REVAULT_CORE_SOURCES_H
#define REVAULT_CORE_SOURCES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

/* The one spelling of a path: a relative path is taken from the current
 * directory, repeated and trailing slashes are dropped, `.` and `..` are
 * resolved by name (`/..` is `/`). Returns it allocated; NULL with e set
 * (RV_USAGE) when in is empty or the current directory is unknown. */
char *sources_normalise(const char *in, struct err *e);

/* True when path a contains path b (both normalised): b is a, or lies
 * under it. "/" contains every path; "/a" does not contain "/ab". */
bool sources_contains(const char *a, const char *b);

/* Checks the configured sources (normalised here, so any spelling does):
 * RV_USAGE with one line naming both paths, and which one to remove, when
 * a source is listed twice or lies inside another, or when one is, holds
 * or lies inside state_dir (NULL: not checked). RV_OK otherwise. */
int sources_check(char *const *sources, size_t n, const char *state_dir, struct err *e);

/* The same checks for a normalised candidate about to join the list:
 * RV_USAGE ("already a source", nested either way, the state folder)
 * with one line naming both paths, else RV_OK. */
int sources_check_add(char *const *sources, size_t n, const char *candidate, const char *state_dir,
		      struct err *e);

/* Where a path lies on disk: normalised, its parent's symlinks resolved
 * (the last component is not followed). Allocated; NULL with e set when
 * path is empty. */
char *sources_physical(const char *path, struct err *e);

/* Where a folder lies on disk: fully resolved (realpath) when it exists,
 * else as sources_physical. Allocated; NULL with e set when dir is empty. */
char *sources_resolved(const char *dir, struct err *e);

/* When source (a path on this machine) is a symlink, writes into msg the
 * warning that only the link is backed up, naming where it points and
 * what to add instead, and returns true; false otherwise. */
bool sources_symlink_note(const char *source, char *msg, size_t cap);

#endif
