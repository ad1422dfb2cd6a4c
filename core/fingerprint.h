/* fingerprint: the host key vocabulary operators type or paste: key type
 * names (with the seed's `ssh-dsa`) and fingerprints in the forms
 * `aa:bb:...` (MD5), `MD5:aa:bb:...` and `SHA256:base64`; how to read a
 * key's fingerprint on the server, and what a key type means for this
 * build. */
#ifndef REVAULT_CORE_FINGERPRINT_H
#define REVAULT_CORE_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct hostkey; /* core/transport.h */

/* Returns the canonical type name (static), or NULL with e set (RV_USAGE). */
const char *fingerprint_type(const char *name, struct err *e);
/* The i-th canonical type name (static), i from 0, in the order a list
 * offers them to choose from (ssh-ed25519 first, as OpenSSH prefers it);
 * NULL past the last. Aliases (ssh-dsa) are not listed. */
const char *fingerprint_type_at(size_t i);
/* Normalises a fingerprint: exactly one of *sha256 ("SHA256:" + unpadded
 * base64 of 32 bytes) or *md5 ("MD5:" + 16 lower-case hex pairs) is set,
 * allocated. RV_USAGE with what was expected on malformed input. */
int fingerprint_parse(const char *in, char **sha256, char **md5, struct err *e);

/* What putting a key of this type on record means with this build, said
 * once for every front end after a pin is added or a first-use key
 * trusted; NULL when there is nothing to say. For ssh-rsa with a libssh2
 * older than 1.11 (SHA-1 signatures only): which servers refuse it and
 * how to get the server's ed25519 or ecdsa fingerprint instead. Static
 * text, lines joined by '\n' without a final one: the first line at most
 * FINGERPRINT_NOTE_FIRST columns, the others at most FINGERPRINT_NOTE_COLS,
 * so that "revault: warning: ", "% Warning: " or a dialog's frame fit in
 * 80 columns around them. */
#define FINGERPRINT_NOTE_FIRST 60
#define FINGERPRINT_NOTE_COLS 67
const char *fingerprint_type_note(const char *type);

/* How the server's administrator reads the fingerprint of a host key of
 * this type on the server itself, for OpenSSH and for Dropbear: two lines
 * ("OpenSSH:  ssh-keygen -l -f /etc/ssh/ssh_host_T_key.pub", "Dropbear:
 * dropbearkey -y -f /etc/dropbear/dropbear_T_host_key"), each after
 * indent and at most FINGERPRINT_NOTE_COLS columns besides it, joined by
 * '\n' without a final one. A type not in the vocabulary gets `*` in
 * place of its file name. Outputs: buf, truncated to cap; returns buf. */
const char *fingerprint_server_hint(const char *type, const char *indent, char *buf, size_t cap);

/* The one answer to "trust this new host key?" that every front end asks:
 * true only for exactly `yes`, or the key's own fingerprint pasted whole:
 * the SHA256 one exactly as printed (`SHA256:...`), or the MD5 one
 * (`MD5:aa:bb:...` or `aa:bb:...`, hex in either case) when the key's MD5
 * fingerprint is known. Anything else refuses: blank, a prefix, `y`, `YES`,
 * `yes ` with a blank, NULL. */
bool fingerprint_answer_trusts(const struct hostkey *k, const char *answer);

#endif
