/* secret: sealing the server password and key passphrases so the settings
 * file never holds them in clear. They are encrypted (AES-256-GCM) under
 * secret.key, 32 random bytes beside the settings, mode 0600, never part of
 * a backup. This protects a settings file that is shown or shared; it does
 * not protect against someone who can read secret.key too (root, the owner). */
#ifndef REVAULT_CORE_SECRET_H
#define REVAULT_CORE_SECRET_H

#include <stdbool.h>

#include "core/err.h"

#define SECRET_PREFIX "sealed:v1:"

/* Seals plain under the machine secret beside settings_path (created on
 * first use). label binds the value to its setting, so a sealed password
 * cannot be moved into another field. Returns "sealed:v1:<base64>". */
char *secret_seal(const char *settings_path, const char *label, const char *plain, struct err *e);
/* Opens a sealed value; the result is allocated, wipe_free_str() it. */
char *secret_open(const char *settings_path, const char *label, const char *sealed, struct err *e);
bool secret_is_sealed(const char *value);

#endif
