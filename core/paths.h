/* paths: where revault keeps its files. The settings file is -c FILE, else
 * $REVAULT_CONFIG, else /etc/revault/revault.yaml for root, else
 * $XDG_CONFIG_HOME/revault/revault.yaml (~/.config when unset). The master
 * key and the machine secret live beside it. */
#ifndef REVAULT_CORE_PATHS_H
#define REVAULT_CORE_PATHS_H

#include <stddef.h>

#include "core/err.h"

/* The files beside the settings that hold this machine's secrets: the
 * master key and the key that seals secrets inside the settings. */
#define PATHS_MASTER_KEY "master.key"
#define PATHS_SECRET_KEY "secret.key"

/* Returns an allocated path, or NULL with e set when no home is known. */
char *paths_settings(const char *override, struct err *e);
/* A file in the settings file's directory; allocated. */
char *paths_beside(const char *settings_path, const char *name);
/* Creates the settings file's directory (mode 0700) when missing. */
int paths_ensure_dir(const char *settings_path, struct err *e);
/* Makes a rename or link of path durable: fsyncs the directory holding it. */
void paths_sync_dir(const char *path);
/* Writes data to a new file at path, mode 0600: written under a temporary
 * name and linked into place, so the file is absent or complete, and one
 * that exists is never replaced (RV_USAGE). */
int paths_write_new(const char *path, const void *data, size_t len, struct err *e);

/* The state folder (docs/ARCHITECTURE.md, "Files on the machine"): the lock, the restore journal and the
 * record of the last runs, in a place no restore replaces and no source
 * may contain. $REVAULT_STATE_DIR, else /var/lib/revault for root, else
 * $XDG_STATE_HOME/revault (~/.local/state/revault when unset). Allocated;
 * NULL with e set (RV_USAGE) when no home is known. */
char *paths_state_dir(struct err *e);
/* Creates the state folder (mode 0700, parents 0755) when missing and
 * returns a file's path inside it, allocated; NULL with e set (RV_FAIL)
 * when it cannot be made. */
char *paths_state_file(const char *name, struct err *e);

#endif
