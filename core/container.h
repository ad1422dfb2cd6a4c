/* container: revault's protected backup format (docs/FORMAT.md). A plain
 * header, then exactly Cobblestone-256 (c2sp.org/chunked-encryption with
 * AES-256-GCM and HKDF-Expand/SHA-512) whose context is the header bytes.
 * Streaming in both directions, constant memory. */
#ifndef REVAULT_CORE_CONTAINER_H
#define REVAULT_CORE_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/keystore.h"

#define CONTAINER_DEVICE_MAX 255
#define CONTAINER_REVISION_MAX 64
#define CONTAINER_TOOL_MAX 64
#define CONTAINER_HEADER_MAX 1024 /* no valid header is longer */

struct container_header {
	unsigned version;
	uint8_t key_id[KEY_ID_LEN];
	char device[CONTAINER_DEVICE_MAX + 1];
	char revision[CONTAINER_REVISION_MAX + 1];
	int64_t created; /* seconds since the epoch, UTC */
	char tool_version[CONTAINER_TOOL_MAX + 1];
};

/* What opening a container found. */
enum container_status {
	CONTAINER_OK,
	CONTAINER_INCOMPLETE,   /* more input needed (only from container_header_parse) */
	CONTAINER_NOT_REVAULT,  /* bad magic */
	CONTAINER_UNSUPPORTED,  /* a format version this build does not read */
	CONTAINER_MALFORMED,    /* header fields out of bounds */
	CONTAINER_WRONG_KEY,    /* key id differs from ours */
	CONTAINER_TAMPERED,     /* commitment or a chunk tag failed */
	CONTAINER_TRUNCATED,    /* ended early (header, commitment, or before the final chunk) */
	CONTAINER_TRAILING,     /* bytes after the final chunk */
};

/* Parses a header from the first len bytes. On CONTAINER_OK sets *hdr_len.
 * Used by `list` to read only the header of each revision. */
enum container_status container_header_parse(const uint8_t *buf, size_t len,
					     struct container_header *h, size_t *hdr_len);
const char *container_status_name(enum container_status st);

/* Receives output bytes. Returns 0, or non-zero to stop (the caller's own
 * error then travels back as RV_FAIL with the sink's message in e). */
typedef int (*container_sink)(void *arg, const uint8_t *buf, size_t len, struct err *e);

struct sealer;
/* Emits header, salt and commitment at once; the key id in h is filled in. */
struct sealer *sealer_new(const struct master_key *k, struct container_header *h,
			  container_sink sink, void *arg, struct err *e);
int sealer_write(struct sealer *s, const void *buf, size_t len, struct err *e);
/* Emits the final (short, possibly empty) chunk. */
int sealer_finish(struct sealer *s, struct err *e);
void sealer_free(struct sealer *s);

struct opener;
/* sink receives plaintext only from chunks whose tag verified. */
struct opener *opener_new(const struct master_key *k, container_sink sink, void *arg);
/* Feeds ciphertext. Returns RV_OK, RV_INTEGRITY (with status set and a
 * message naming the chunk), or the sink's error. After a failure every
 * further call fails the same way. */
int opener_write(struct opener *o, const void *buf, size_t len, struct err *e);
/* End of input: RV_OK only when the final chunk verified and nothing trails. */
int opener_finish(struct opener *o, struct err *e);
enum container_status opener_status(const struct opener *o);
/* The header, once parsed (NULL before). */
const struct container_header *opener_header(const struct opener *o);
void opener_free(struct opener *o);

/* Raw Cobblestone-256 decryption for the Wycheproof vectors: input key and
 * context given directly, no revault header. */
struct opener *opener_new_raw(const uint8_t key[32], const uint8_t *ctx, size_t ctxlen,
			      container_sink sink, void *arg);

#endif
