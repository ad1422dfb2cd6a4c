/* fingerprint: the host key vocabulary operators type or paste: key type
 * names (with the seed's `ssh-dsa`) and fingerprints in the forms
 * `aa:bb:...` (MD5), `MD5:aa:bb:...` and `SHA256:base64`. */
#ifndef REVAULT_CORE_FINGERPRINT_H
#define REVAULT_CORE_FINGERPRINT_H

#include <stdbool.h>

#include "core/err.h"

struct hostkey; /* core/transport.h */

/* Returns the canonical type name (static), or NULL with e set (RV_USAGE). */
const char *fingerprint_type(const char *name, struct err *e);
/* Normalises a fingerprint: exactly one of *sha256 ("SHA256:" + unpadded
 * base64 of 32 bytes) or *md5 ("MD5:" + 16 lower-case hex pairs) is set,
 * allocated. RV_USAGE with what was expected on malformed input. */
int fingerprint_parse(const char *in, char **sha256, char **md5, struct err *e);

/* The one answer to "trust this new host key?" that every front end asks:
 * true only for exactly `yes`, or the key's own fingerprint pasted whole:
 * the SHA256 one exactly as printed (`SHA256:...`), or the MD5 one
 * (`MD5:aa:bb:...` or `aa:bb:...`, hex in either case) when the key's MD5
 * fingerprint is known. Anything else refuses: blank, a prefix, `y`, `YES`,
 * `yes ` with a blank, NULL. */
bool fingerprint_answer_trusts(const struct hostkey *k, const char *answer);

#endif
