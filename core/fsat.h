/* fsat: filesystem work on the machine, relative to open directories.
 * Restore, its staging, the swap, the removal of old trees, crash recovery
 * and the put-back of secrets resolve every path from a directory
 * descriptor and never follow a symlink they did not make themselves
 * (docs/SECURITY.md): a local user who owns a folder inside a
 * restored tree can swap it for a symlink at any moment, and nothing
 * outside the tree may change because of it. Paths as strings remain for
 * reading sources and for revault's own files. */
#ifndef REVAULT_CORE_FSAT_H
#define REVAULT_CORE_FSAT_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/err.h"

/* Opens an absolute directory path that the operator or the settings named
 * (a source's parent, --to DIR's parent, the state folder). Symlinks along
 * the way are followed only when owned by root or by the caller, as the
 * kernel's fs.protected_symlinks rule would (a symlink another user planted
 * is refused); with create, missing components are made with mode. With
 * last_nofollow the last component must be a real directory. Returns a
 * directory descriptor (O_RDONLY|O_DIRECTORY|O_CLOEXEC) or -1 with errno
 * set (ELOOP for a refused symlink, ENOTDIR, ENOENT, EACCES...). */
int fsat_open_trusted(const char *abs, bool create, mode_t mode, bool last_nofollow);

/* Opens rel beneath dirfd, never leaving it and never following a symlink
 * (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, or
 * an O_NOFOLLOW walk on kernels without it). rel may be longer than
 * PATH_MAX; "" opens dirfd itself. flags are open(2)'s; O_CREAT is honoured
 * for the last component only. Returns the descriptor or -1 with errno
 * (ELOOP or EXDEV when a symlink or ".." was in the way). */
int fsat_open_beneath(int dirfd, const char *rel, int flags, mode_t mode);

/* Makes every missing directory of rel beneath dirfd with mode (existing
 * ones are kept, symlinks refused) and opens the last one. Returns the
 * directory descriptor or -1 with errno. */
int fsat_mkdirs_beneath(int dirfd, const char *rel, mode_t mode);

/* Removes the entry name in dirfd and, when it is a directory, everything
 * under it, as coreutils' rm does: each directory is opened with
 * O_NOFOLLOW|O_DIRECTORY and checked to be the one that was listed, emptied
 * through its descriptor, then removed with unlinkat. A symlink is removed,
 * never followed; directories without write or search permission are
 * opened up through their descriptor first. Stays on the filesystem of
 * dirfd. Returns 0, or -1 with errno of the first entry that could not be
 * removed and *stuck (if given) set to that entry's name, allocated (an
 * immutable file, a mount point); the rest is removed as far as possible. */
int fsat_remove_tree(int dirfd, const char *name, char **stuck);

/* Replaces name in dirfd with len bytes of data, mode bits as given: a
 * temporary ".NAME.tmp" made with O_EXCL|O_NOFOLLOW (one left by a crash is
 * removed first), written whole, fsynced, renamed over name, then dirfd
 * fsynced, so a reader sees the old file or the new one, never a part.
 * Returns 0, or -1 with errno (the temporary removed). */
int fsat_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode);

/* Raises the soft limit on open descriptors to the hard limit (at most
 * 65536): a tree walk holds one descriptor per level. */
void fsat_raise_fd_limit(void);

#endif
