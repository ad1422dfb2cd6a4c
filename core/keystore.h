/* keystore: the master key. 32 random bytes in master.key beside the
 * settings, mode 0600, never in a backup; its key id (HKDF-SHA256 under a
 * label of its own) names it on screen and in every container header. */
#ifndef REVAULT_CORE_KEYSTORE_H
#define REVAULT_CORE_KEYSTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

#define MASTER_KEY_LEN 32
#define KEY_ID_LEN 8 /* shown as 16 hex digits */

struct master_key {
	uint8_t key[MASTER_KEY_LEN];
	uint8_t id[KEY_ID_LEN];
};

/* Creates path with O_EXCL and mode 0600. If a key exists: RV_USAGE unless
 * force, and with force the old one is kept as "<path>.old-<UTC date-time>". */
int keystore_generate(const char *path, bool force, struct master_key *out, struct err *e);
/* Loads and checks owner, mode (no group/other bits) and size. RV_USAGE with
 * how to fix it. Marks the process non-dumpable while a key is loaded. */
int keystore_load(const char *path, struct master_key *out, struct err *e);
bool keystore_exists(const char *path);
/* Wipes the key. */
void keystore_clear(struct master_key *k);

void keystore_key_id(const uint8_t key[MASTER_KEY_LEN], uint8_t id[KEY_ID_LEN]);
/* 16 lower-case hex digits and a NUL. */
void keystore_id_hex(const uint8_t id[KEY_ID_LEN], char out[2 * KEY_ID_LEN + 1]);

/* Passphrase-wrapped export (scrypt + AES-256-GCM, a small text format). */
int keystore_export(const struct master_key *k, const char *file, const char *passphrase,
		    struct err *e);
/* Reads a wrapped key; "wrong passphrase" is told apart from "corrupt file". */
int keystore_unwrap(const char *file, const char *passphrase, struct master_key *out,
		    struct err *e);
/* Paper form: grouped base32 text with a checksum, for writing down. Caller frees. */
char *keystore_paper(const struct master_key *k);
/* Parses the paper form (spaces, dashes and case ignored); RV_USAGE on a typo. */
int keystore_from_paper(const char *text, struct master_key *out, struct err *e);
/* Checks one line of the paper form as it is typed: line is its number,
 * 1 to 4 (the check digits are bound to it); text is the line with or
 * without its "N:" label. RV_OK, or RV_USAGE with a message that names the
 * line (20 hex digits expected, or check digits that do not match). */
int keystore_paper_line(unsigned line, const char *text, struct err *e);
/* Installs a key at path with the same overwrite rule as keystore_generate. */
int keystore_install(const char *path, const struct master_key *k, bool force, struct err *e);

#endif
