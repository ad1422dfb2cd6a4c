/* paths: where revault keeps its files. The settings file is -c FILE, else
 * $REVAULT_CONFIG, else /etc/revault/revault.yaml for root, else
 * $XDG_CONFIG_HOME/revault/revault.yaml (~/.config when unset). The master
 * key and the machine secret live beside it. */
#ifndef REVAULT_CORE_PATHS_H
#define REVAULT_CORE_PATHS_H

#include "core/err.h"

/* Returns an allocated path, or NULL with e set when no home is known. */
char *paths_settings(const char *override, struct err *e);
/* A file in the settings file's directory; allocated. */
char *paths_beside(const char *settings_path, const char *name);
/* Creates the settings file's directory (mode 0700) when missing. */
int paths_ensure_dir(const char *settings_path, struct err *e);

#endif
