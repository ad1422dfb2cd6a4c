/* container: the revault header, then Cobblestone-256 with the header bytes
 * as its context. The opener holds at most one ciphertext chunk and one
 * plaintext chunk, and hands plaintext on only after its tag verified.
 * docs/FORMAT.md is the byte-level description. */
#include "core/container.h"

#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

#define MAGIC "REVAULT\0"
#define MAGIC_LEN 8
#define FORMAT_VERSION 1
/* magic, version, header length, key id, created */
#define FIXED_LEN (MAGIC_LEN + 1 + 2 + KEY_ID_LEN + 8)

#define CS_LABEL "c2sp.org/chunked-encryption@v1+"
#define CS_AEAD "AEAD_AES_256_GCM"
#define INPUT_KEY_LABEL "revault container key v1"

#define KEY_LEN 32
#define NONCE_LEN 12
#define COMMIT_LEN 32
#define SALT_LEN 24
#define TAG_LEN 16
#define PREAMBLE_LEN (SALT_LEN + COMMIT_LEN)
#define CHUNK 16384
#define CHUNK_CT (CHUNK + TAG_LEN)
#define MAX_CHUNKS (UINT64_C(1) << 38)

/* ---- header ---- */

enum field_kind { FIELD_NAME, FIELD_TEXT };

/* A name becomes a path component on the server: no slash, no dot names. */
static bool field_ok(const uint8_t *p, size_t n, enum field_kind kind)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
		if (kind == FIELD_NAME && p[i] == '/')
			return false;
	}
	if (kind == FIELD_NAME && ((n == 1 && p[0] == '.') ||
				   (n == 2 && p[0] == '.' && p[1] == '.')))
		return false;
	return true;
}

static bool name_ok(const char *s, size_t min, size_t max, enum field_kind kind)
{
	size_t n = strnlen(s, max + 1);

	return n >= min && n <= max && field_ok((const uint8_t *)s, n, kind);
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static size_t put_field(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	p[0] = (uint8_t)n;
	memcpy(p + 1, s, n);
	return 1 + n;
}

/* Returns the header length; the strings were checked by the caller. */
static size_t header_encode(const struct container_header *h, uint8_t out[CONTAINER_HEADER_MAX])
{
	size_t n = FIXED_LEN;

	memcpy(out, MAGIC, MAGIC_LEN);
	out[MAGIC_LEN] = FORMAT_VERSION;
	memcpy(out + MAGIC_LEN + 3, h->key_id, KEY_ID_LEN);
	put_be(out + MAGIC_LEN + 3 + KEY_ID_LEN, (uint64_t)h->created, 8);
	n += put_field(out + n, h->device);
	n += put_field(out + n, h->revision);
	n += put_field(out + n, h->tool_version);
	put_be(out + MAGIC_LEN + 1, n, 2);
	return n;
}

/* Reads one length-prefixed field at *off, bounded by end. */
static bool get_field(const uint8_t *buf, size_t *off, size_t end, size_t min, size_t max,
		      enum field_kind kind, char *out)
{
	size_t n;

	if (*off >= end)
		return false;
	n = buf[*off];
	if (n < min || n > max || end - *off - 1 < n || !field_ok(buf + *off + 1, n, kind))
		return false;
	memcpy(out, buf + *off + 1, n);
	out[n] = '\0';
	*off += 1 + n;
	return true;
}

enum container_status container_header_parse(const uint8_t *buf, size_t len,
					     struct container_header *h, size_t *hdr_len)
{
	size_t total, off = FIXED_LEN;

	if (len == 0)
		return CONTAINER_INCOMPLETE;
	if (memcmp(buf, MAGIC, len < MAGIC_LEN ? len : MAGIC_LEN) != 0)
		return CONTAINER_NOT_REVAULT;
	if (len <= MAGIC_LEN)
		return CONTAINER_INCOMPLETE;
	if (buf[MAGIC_LEN] != FORMAT_VERSION)
		return CONTAINER_UNSUPPORTED;
	if (len < MAGIC_LEN + 3)
		return CONTAINER_INCOMPLETE;
	total = (size_t)get_be(buf + MAGIC_LEN + 1, 2);
	if (total < FIXED_LEN + 3 || total > CONTAINER_HEADER_MAX)
		return CONTAINER_MALFORMED;
	if (len < total)
		return CONTAINER_INCOMPLETE;

	memset(h, 0, sizeof(*h));
	h->version = FORMAT_VERSION;
	memcpy(h->key_id, buf + MAGIC_LEN + 3, KEY_ID_LEN);
	h->created = (int64_t)get_be(buf + MAGIC_LEN + 3 + KEY_ID_LEN, 8);
	if (!get_field(buf, &off, total, 1, CONTAINER_DEVICE_MAX, FIELD_NAME, h->device) ||
	    !get_field(buf, &off, total, 1, CONTAINER_REVISION_MAX, FIELD_NAME, h->revision) ||
	    !get_field(buf, &off, total, 0, CONTAINER_TOOL_MAX, FIELD_TEXT, h->tool_version) ||
	    off != total)
		return CONTAINER_MALFORMED;
	*hdr_len = total;
	return CONTAINER_OK;
}

const char *container_status_name(enum container_status st)
{
	static const char *const names[] = {
		[CONTAINER_OK] = "ok",
		[CONTAINER_INCOMPLETE] = "incomplete",
		[CONTAINER_NOT_REVAULT] = "not a revault container",
		[CONTAINER_UNSUPPORTED] = "unsupported format version",
		[CONTAINER_MALFORMED] = "malformed header",
		[CONTAINER_WRONG_KEY] = "made with another master key",
		[CONTAINER_TAMPERED] = "tampered with",
		[CONTAINER_TRUNCATED] = "truncated",
		[CONTAINER_TRAILING] = "trailing data",
	};

	_Static_assert(ARRAY_LEN(names) == CONTAINER_TRAILING + 1, "a status without a name");
	if ((unsigned)st >= ARRAY_LEN(names))
		return "unknown";
	return names[st];
}

/* ---- key derivation ---- */

static int kdf(const char *digest, bool expand_only, const uint8_t *key, size_t keylen,
	       const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	int mode = expand_only ? EVP_KDF_HKDF_MODE_EXPAND_ONLY
			       : EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND;
	OSSL_PARAM params[5], *p = params;
	int ok = 0;

	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, keylen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, infolen);
	*p = OSSL_PARAM_construct_end();
	if (ctx != NULL)
		ok = EVP_KDF_derive(ctx, out, outlen, params) > 0;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -1;
}

/* The Cobblestone input key: its own label, so it never equals the key id
 * or any other key drawn from the master key. */
static int input_key(const struct master_key *k, uint8_t out[KEY_LEN])
{
	return kdf("SHA256", false, k->key, MASTER_KEY_LEN, (const uint8_t *)INPUT_KEY_LABEL,
		   strlen(INPUT_KEY_LABEL), out, KEY_LEN);
}

struct cs_keys {
	uint8_t key[KEY_LEN];
	uint8_t nonce[NONCE_LEN];
	uint8_t commitment[COMMIT_LEN];
};

/* key || base nonce || commitment = HKDF-Expand-SHA512(input key,
 * label || aead || 0x00 || salt || context) */
static int cs_derive(const uint8_t ikey[KEY_LEN], const uint8_t salt[SALT_LEN],
		     const uint8_t *ctx, size_t ctxlen, struct cs_keys *out)
{
	uint8_t info[sizeof(CS_LABEL) - 1 + sizeof(CS_AEAD) + SALT_LEN + CONTAINER_HEADER_MAX];
	uint8_t okm[KEY_LEN + NONCE_LEN + COMMIT_LEN];
	size_t n = 0;
	int rc;

	if (ctxlen > CONTAINER_HEADER_MAX)
		return -1;
	memcpy(info, CS_LABEL, sizeof(CS_LABEL) - 1);
	n += sizeof(CS_LABEL) - 1;
	memcpy(info + n, CS_AEAD, sizeof(CS_AEAD)); /* with its NUL: the 0x00 */
	n += sizeof(CS_AEAD);
	memcpy(info + n, salt, SALT_LEN);
	n += SALT_LEN;
	if (ctxlen > 0)
		memcpy(info + n, ctx, ctxlen);
	n += ctxlen;
	rc = kdf("SHA512", true, ikey, KEY_LEN, info, n, okm, sizeof(okm));
	if (rc == 0) {
		memcpy(out->key, okm, KEY_LEN);
		memcpy(out->nonce, okm + KEY_LEN, NONCE_LEN);
		memcpy(out->commitment, okm + KEY_LEN + NONCE_LEN, COMMIT_LEN);
	}
	OPENSSL_cleanse(okm, sizeof(okm));
	return rc;
}

static void chunk_nonce(const uint8_t base[NONCE_LEN], uint64_t i, uint8_t out[NONCE_LEN])
{
	memcpy(out, base, NONCE_LEN);
	for (int b = NONCE_LEN - 1; b >= NONCE_LEN - 8; b--) {
		out[b] ^= (uint8_t)i;
		i >>= 8;
	}
}

static EVP_CIPHER_CTX *gcm_new(const uint8_t key[KEY_LEN], bool enc)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	if (c == NULL)
		return NULL;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, NULL, enc ? 1 : 0) != 1) {
		EVP_CIPHER_CTX_free(c);
		return NULL;
	}
	return c;
}

static int sink_failed(struct err *e)
{
	/* The sink's own message wins; this is only for a silent sink. */
	return err_set(e, RV_FAIL, "writing the output failed");
}

/* ---- sealer ---- */

struct sealer {
	EVP_CIPHER_CTX *gcm;
	struct cs_keys keys;
	uint64_t counter;
	container_sink sink;
	void *arg;
	bool done, failed;
	size_t fill;
	uint8_t buf[CHUNK];
	uint8_t out[CHUNK_CT];
};

/* The names are not echoed: a bad one may hold control characters. */
static bool header_ok(const struct container_header *h, struct err *e)
{
	if (!name_ok(h->device, 1, CONTAINER_DEVICE_MAX, FIELD_NAME))
		return err_set(e, RV_USAGE, "the device name can't go in a backup: use 1 to %d "
			       "printable characters, no '/'", CONTAINER_DEVICE_MAX), false;
	if (!name_ok(h->revision, 1, CONTAINER_REVISION_MAX, FIELD_NAME))
		return err_set(e, RV_USAGE, "the revision name can't go in a backup: use 1 to "
			       "%d printable characters, no '/'", CONTAINER_REVISION_MAX), false;
	if (!name_ok(h->tool_version, 0, CONTAINER_TOOL_MAX, FIELD_TEXT))
		return err_set(e, RV_USAGE, "the tool version can't go in a backup: use at "
			       "most %d printable characters", CONTAINER_TOOL_MAX), false;
	return true;
}

struct sealer *sealer_new(const struct master_key *k, struct container_header *h,
			  container_sink sink, void *arg, struct err *e)
{
	uint8_t pre[CONTAINER_HEADER_MAX + PREAMBLE_LEN];
	uint8_t ikey[KEY_LEN];
	struct sealer *s;
	size_t n;

	if (!header_ok(h, e))
		return NULL;
	h->version = FORMAT_VERSION;
	memcpy(h->key_id, k->id, KEY_ID_LEN);
	n = header_encode(h, pre);
	if (RAND_bytes(pre + n, SALT_LEN) != 1) {
		err_set(e, RV_FAIL, "the system random generator failed: check /dev/urandom");
		return NULL;
	}

	s = xcalloc(1, sizeof(*s));
	s->sink = sink;
	s->arg = arg;
	if (input_key(k, ikey) != 0 || cs_derive(ikey, pre + n, pre, n, &s->keys) != 0 ||
	    (s->gcm = gcm_new(s->keys.key, true)) == NULL) {
		OPENSSL_cleanse(ikey, sizeof(ikey));
		sealer_free(s);
		err_set(e, RV_FAIL, "OpenSSL could not set up AES-256-GCM: check the OpenSSL "
			"installation");
		return NULL;
	}
	OPENSSL_cleanse(ikey, sizeof(ikey));
	memcpy(pre + n + SALT_LEN, s->keys.commitment, COMMIT_LEN);
	if (sink(arg, pre, n + PREAMBLE_LEN, e) != 0) {
		sink_failed(e);
		sealer_free(s);
		return NULL;
	}
	return s;
}

static int seal_chunk(struct sealer *s, const uint8_t *pt, size_t len, struct err *e)
{
	uint8_t nonce[NONCE_LEN];
	int outl = 0, fin = 0;

	if (s->counter >= MAX_CHUNKS) {
		s->failed = true;
		return err_set(e, RV_FAIL, "backup too large for one container (over 4 PiB)");
	}
	chunk_nonce(s->keys.nonce, s->counter, nonce);
	if (EVP_EncryptInit_ex(s->gcm, NULL, NULL, NULL, nonce) != 1 ||
	    (len > 0 && EVP_EncryptUpdate(s->gcm, s->out, &outl, pt, (int)len) != 1) ||
	    EVP_EncryptFinal_ex(s->gcm, s->out + outl, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(s->gcm, EVP_CTRL_GCM_GET_TAG, TAG_LEN, s->out + len) != 1) {
		s->failed = true;
		return err_set(e, RV_FAIL, "AES-256-GCM encryption failed in OpenSSL");
	}
	s->counter++;
	if (s->sink(s->arg, s->out, len + TAG_LEN, e) != 0) {
		s->failed = true;
		return sink_failed(e);
	}
	return RV_OK;
}

int sealer_write(struct sealer *s, const void *buf, size_t len, struct err *e)
{
	const uint8_t *p = buf;

	if (s->failed || s->done)
		return err_set(e, RV_FAIL, "the backup container is already %s",
			       s->failed ? "failed" : "finished");
	while (len > 0) {
		size_t take;
		int rc;

		/* A full chunk is never the final one, so it goes out at once. */
		if (s->fill == 0 && len >= CHUNK) {
			rc = seal_chunk(s, p, CHUNK, e);
			take = CHUNK;
		} else {
			take = CHUNK - s->fill < len ? CHUNK - s->fill : len;
			memcpy(s->buf + s->fill, p, take);
			s->fill += take;
			rc = RV_OK;
			if (s->fill == CHUNK) {
				rc = seal_chunk(s, s->buf, CHUNK, e);
				s->fill = 0;
			}
		}
		if (rc != RV_OK)
			return rc;
		p += take;
		len -= take;
	}
	return RV_OK;
}

int sealer_finish(struct sealer *s, struct err *e)
{
	int rc;

	if (s->failed || s->done)
		return err_set(e, RV_FAIL, "the backup container is already %s",
			       s->failed ? "failed" : "finished");
	rc = seal_chunk(s, s->buf, s->fill, e);
	s->fill = 0;
	s->done = true;
	return rc;
}

void sealer_free(struct sealer *s)
{
	if (s == NULL)
		return;
	EVP_CIPHER_CTX_free(s->gcm);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

/* ---- opener ---- */

enum opener_state { OPEN_HEADER, OPEN_PREAMBLE, OPEN_CHUNKS, OPEN_DONE, OPEN_FAILED };

struct opener {
	enum opener_state state;
	enum container_status status;
	struct err fail; /* repeated on every call after a failure */
	bool have_header;
	struct container_header hdr;
	uint8_t our_id[KEY_ID_LEN];
	uint8_t ikey[KEY_LEN];
	EVP_CIPHER_CTX *gcm;
	struct cs_keys keys;
	uint64_t counter;
	uint64_t offset; /* start of the current chunk, for messages */
	uint64_t seen;   /* bytes fed in */
	container_sink sink;
	void *arg;
	size_t hdr_len, fill;
	uint8_t ctx[CONTAINER_HEADER_MAX]; /* header bytes, or the raw context */
	uint8_t pre[PREAMBLE_LEN];
	uint8_t ct[CHUNK_CT];
	uint8_t pt[CHUNK];
};

static struct opener *opener_alloc(container_sink sink, void *arg)
{
	struct opener *o = xcalloc(1, sizeof(*o));

	o->sink = sink;
	o->arg = arg;
	return o;
}

struct opener *opener_new(const struct master_key *k, container_sink sink, void *arg)
{
	struct opener *o = opener_alloc(sink, arg);

	memcpy(o->our_id, k->id, KEY_ID_LEN);
	if (input_key(k, o->ikey) != 0) {
		o->state = OPEN_FAILED;
		err_set(&o->fail, RV_FAIL, "OpenSSL could not derive the container key: check "
			"the OpenSSL installation");
	}
	return o;
}

struct opener *opener_new_raw(const uint8_t key[32], const uint8_t *ctx, size_t ctxlen,
			      container_sink sink, void *arg)
{
	struct opener *o = opener_alloc(sink, arg);

	memcpy(o->ikey, key, KEY_LEN);
	o->state = OPEN_PREAMBLE;
	if (ctxlen > sizeof(o->ctx)) {
		o->state = OPEN_FAILED;
		err_set(&o->fail, RV_USAGE, "context longer than %zu bytes", sizeof(o->ctx));
		return o;
	}
	if (ctxlen > 0)
		memcpy(o->ctx, ctx, ctxlen);
	o->hdr_len = ctxlen;
	return o;
}

static int fail(struct opener *o, enum container_status st, int code, struct err *e,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fail(struct opener *o, enum container_status st, int code, struct err *e,
		const char *fmt, ...)
{
	va_list ap;

	o->state = OPEN_FAILED;
	o->status = st;
	va_start(ap, fmt);
	err_vset(&o->fail, code, fmt, ap);
	va_end(ap);
	OPENSSL_cleanse(o->pt, sizeof(o->pt));
	return err_set(e, o->fail.code, "%s", o->fail.msg);
}

static int header_failed(struct opener *o, enum container_status st, struct err *e)
{
	switch (st) {
	case CONTAINER_NOT_REVAULT:
		return fail(o, st, RV_INTEGRITY, e, "not a revault backup (no REVAULT "
			    "signature at the start): check that the right file was chosen");
	case CONTAINER_UNSUPPORTED:
		return fail(o, st, RV_INTEGRITY, e, "backup format version %u is not one "
			    "this revault %s reads: restore it with a newer revault",
			    (unsigned)o->ctx[MAGIC_LEN], REVAULT_VERSION);
	default:
		return fail(o, CONTAINER_MALFORMED, RV_INTEGRITY, e, "backup header is "
			    "malformed (a field is out of bounds): the file is damaged, "
			    "use another revision");
	}
}

/* Takes header bytes; returns how many it used, or -1 on failure. */
static long feed_header(struct opener *o, const uint8_t *p, size_t len, struct err *e)
{
	size_t room = sizeof(o->ctx) - o->fill, take = len < room ? len : room;
	size_t before = o->fill;
	enum container_status st;
	char ours[2 * KEY_ID_LEN + 1], theirs[2 * KEY_ID_LEN + 1];

	memcpy(o->ctx + o->fill, p, take);
	o->fill += take;
	st = container_header_parse(o->ctx, o->fill, &o->hdr, &o->hdr_len);
	if (st == CONTAINER_INCOMPLETE)
		return (long)take;
	if (st != CONTAINER_OK) {
		header_failed(o, st, e);
		return -1;
	}
	o->have_header = true;
	if (memcmp(o->hdr.key_id, o->our_id, KEY_ID_LEN) != 0) {
		hex_encode(o->hdr.key_id, KEY_ID_LEN, theirs);
		hex_encode(o->our_id, KEY_ID_LEN, ours);
		fail(o, CONTAINER_WRONG_KEY, RV_INTEGRITY, e, "backup was made with another "
		     "master key (key id %s, ours %s): import that key with `revault key "
		     "import` or restore on the machine that made it", theirs, ours);
		return -1;
	}
	o->fill = 0;
	o->state = OPEN_PREAMBLE;
	return (long)(o->hdr_len - before);
}

static int start_chunks(struct opener *o, struct err *e)
{
	if (cs_derive(o->ikey, o->pre, o->ctx, o->hdr_len, &o->keys) != 0)
		return fail(o, CONTAINER_OK, RV_FAIL, e, "OpenSSL could not derive the "
			    "container keys: check the OpenSSL installation");
	if (CRYPTO_memcmp(o->keys.commitment, o->pre + SALT_LEN, COMMIT_LEN) != 0)
		return fail(o, CONTAINER_TAMPERED, RV_INTEGRITY, e, "backup was tampered with "
			    "or renamed: its header does not match its key commitment; use "
			    "another revision");
	o->gcm = gcm_new(o->keys.key, false);
	if (o->gcm == NULL)
		return fail(o, CONTAINER_OK, RV_FAIL, e, "OpenSSL could not set up "
			    "AES-256-GCM: check the OpenSSL installation");
	o->fill = 0;
	o->state = OPEN_CHUNKS;
	return RV_OK;
}

/* Decrypts ct[0..len) as chunk i into o->pt; true when the tag verified. */
static bool open_chunk(struct opener *o, uint64_t i, const uint8_t *ct, size_t len)
{
	uint8_t nonce[NONCE_LEN];
	size_t n = len - TAG_LEN;
	int outl = 0, fin = 0;

	chunk_nonce(o->keys.nonce, i, nonce);
	if (EVP_DecryptInit_ex(o->gcm, NULL, NULL, NULL, nonce) != 1 ||
	    (n > 0 && EVP_DecryptUpdate(o->gcm, o->pt, &outl, ct, (int)n) != 1) ||
	    EVP_CIPHER_CTX_ctrl(o->gcm, EVP_CTRL_GCM_SET_TAG, TAG_LEN, (void *)(ct + n)) != 1 ||
	    EVP_DecryptFinal_ex(o->gcm, o->pt + outl, &fin) != 1) {
		OPENSSL_cleanse(o->pt, n);
		return false;
	}
	return true;
}

/* Chunk i failed. If a prefix of it is a valid final chunk, what follows
 * was appended after the end: say so rather than "tampered". Each guess
 * costs a decryption of its length, so only the likely ones are tried: a
 * short final chunk, or a short trailer (FORMAT.md, "Refusals"). */
#define TRAIL_SCAN 512
#define SHORT_FINAL 2048

static bool final_prefix(struct opener *o, const uint8_t *ct, size_t len, size_t *m)
{
	size_t top = len - 1 < CHUNK_CT - 1 ? len - 1 : CHUNK_CT - 1;
	size_t low = top > TRAIL_SCAN ? top - TRAIL_SCAN : 0;

	for (*m = top; *m >= TAG_LEN && *m > low; (*m)--)
		if (open_chunk(o, o->counter, ct, *m))
			return true;
	for (*m = TAG_LEN; *m <= low && *m < SHORT_FINAL; (*m)++)
		if (open_chunk(o, o->counter, ct, *m))
			return true;
	return false;
}

static int chunk_failed(struct opener *o, const uint8_t *ct, size_t len, struct err *e)
{
	size_t m;

	if (final_prefix(o, ct, len, &m)) {
		OPENSSL_cleanse(o->pt, sizeof(o->pt));
		return fail(o, CONTAINER_TRAILING, RV_INTEGRITY, e, "backup has extra "
			    "bytes after its end (at offset %" PRIu64 "): something was "
			    "appended to the file; use another revision", o->offset + m);
	}
	return fail(o, CONTAINER_TAMPERED, RV_INTEGRITY, e, "backup was tampered with or "
		    "damaged: chunk %" PRIu64 " failed its check; use another revision",
		    o->counter);
}

static int deliver(struct opener *o, const uint8_t *ct, size_t len, bool final,
		   struct err *e)
{
	size_t n = len - TAG_LEN;

	if (o->counter >= MAX_CHUNKS)
		return fail(o, CONTAINER_MALFORMED, RV_INTEGRITY, e, "backup has more chunks "
			    "than the format allows: the file is damaged");
	if (!open_chunk(o, o->counter, ct, len))
		return chunk_failed(o, ct, len, e);
	o->counter++;
	o->offset += len;
	if (final)
		o->state = OPEN_DONE;
	if (n > 0 && o->sink(o->arg, o->pt, n, e) != 0) {
		sink_failed(e);
		o->state = OPEN_FAILED;
		err_set(&o->fail, e->code, "%s", e->msg);
	}
	return o->state == OPEN_FAILED ? o->fail.code : RV_OK;
}

static int feed_chunks(struct opener *o, const uint8_t *p, size_t len, struct err *e)
{
	while (len > 0) {
		size_t take;
		int rc;

		/* Held back: a full chunk is known non-final only once more follows. */
		if (o->fill == CHUNK_CT) {
			rc = deliver(o, o->ct, CHUNK_CT, false, e);
			o->fill = 0;
			if (rc != RV_OK)
				return rc;
		}
		if (o->fill == 0 && len > CHUNK_CT) {
			rc = deliver(o, p, CHUNK_CT, false, e);
			if (rc != RV_OK)
				return rc;
			p += CHUNK_CT;
			len -= CHUNK_CT;
			continue;
		}
		take = CHUNK_CT - o->fill < len ? CHUNK_CT - o->fill : len;
		memcpy(o->ct + o->fill, p, take);
		o->fill += take;
		p += take;
		len -= take;
	}
	return RV_OK;
}

static int repeat_failure(struct opener *o, struct err *e)
{
	return err_set(e, o->fail.code, "%s", o->fail.msg);
}

int opener_write(struct opener *o, const void *buf, size_t len, struct err *e)
{
	const uint8_t *p = buf;

	o->seen += len;
	while (len > 0) {
		size_t take;
		long used;

		switch (o->state) {
		case OPEN_HEADER:
			used = feed_header(o, p, len, e);
			if (used < 0)
				return o->fail.code;
			p += used;
			len -= (size_t)used;
			o->offset += (uint64_t)used;
			break;
		case OPEN_PREAMBLE:
			take = PREAMBLE_LEN - o->fill < len ? PREAMBLE_LEN - o->fill : len;
			memcpy(o->pre + o->fill, p, take);
			o->fill += take;
			p += take;
			len -= take;
			o->offset += take;
			if (o->fill == PREAMBLE_LEN && start_chunks(o, e) != RV_OK)
				return o->fail.code;
			break;
		case OPEN_CHUNKS:
			return feed_chunks(o, p, len, e);
		case OPEN_DONE:
			return fail(o, CONTAINER_TRAILING, RV_INTEGRITY, e, "backup has extra "
				    "bytes after its end (at offset %" PRIu64 "): something "
				    "was appended to the file; use another revision", o->offset);
		case OPEN_FAILED:
			return repeat_failure(o, e);
		}
	}
	if (o->state == OPEN_FAILED)
		return repeat_failure(o, e);
	return RV_OK;
}

static int truncated(struct opener *o, const char *where, struct err *e)
{
	return fail(o, CONTAINER_TRUNCATED, RV_INTEGRITY, e, "backup is truncated (it ends "
		    "%s, after %" PRIu64 " bytes): the upload was cut short; use another "
		    "revision", where, o->seen);
}

int opener_finish(struct opener *o, struct err *e)
{
	switch (o->state) {
	case OPEN_HEADER:
		return truncated(o, "inside its header", e);
	case OPEN_PREAMBLE:
		return truncated(o, "before its key commitment", e);
	case OPEN_CHUNKS:
		if (o->fill < TAG_LEN)
			return truncated(o, "before its final chunk", e);
		if (o->fill < CHUNK_CT)
			return deliver(o, o->ct, o->fill, true, e);
		/* A full chunk last: cut short if it is sound, else find out why. */
		if (!open_chunk(o, o->counter, o->ct, CHUNK_CT))
			return chunk_failed(o, o->ct, CHUNK_CT, e);
		OPENSSL_cleanse(o->pt, sizeof(o->pt));
		return truncated(o, "before its final chunk", e);
	case OPEN_DONE:
		return RV_OK;
	case OPEN_FAILED:
		break;
	}
	return repeat_failure(o, e);
}

enum container_status opener_status(const struct opener *o)
{
	return o->status;
}

const struct container_header *opener_header(const struct opener *o)
{
	return o->have_header ? &o->hdr : NULL;
}

void opener_free(struct opener *o)
{
	if (o == NULL)
		return;
	EVP_CIPHER_CTX_free(o->gcm);
	OPENSSL_cleanse(o, sizeof(*o));
	free(o);
}
