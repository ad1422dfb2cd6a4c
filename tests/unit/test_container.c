/* Container: every Cobblestone-256 Wycheproof vector; round trips at the
 * chunk edges fed in every kind of split; every flipped byte, every cut and
 * every appended byte refused with the right reason, and no plaintext
 * handed on that did not verify. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/container.h"
#include "core/keystore.h"
#include "core/util.h"

#define CHUNK 16384
#define VECTORS "vectors/cobblestone-256.tsv"

/* ---- helpers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct buf {
	uint8_t *p;
	size_t len, cap;
	int fail;        /* sink refuses once len would pass this (0: never) */
	EVP_MD_CTX *sha; /* when set, only hashed, not kept */
};

static int buf_sink(void *arg, const uint8_t *p, size_t n, struct err *e)
{
	struct buf *b = arg;

	if (b->fail > 0 && b->len + n > (size_t)b->fail)
		return err_set(e, RV_FAIL, "disk full in the test sink");
	if (b->sha != NULL) {
		EVP_DigestUpdate(b->sha, p, n);
		b->len += n;
		return 0;
	}
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static void buf_free(struct buf *b)
{
	free(b->p);
	if (b->sha != NULL)
		EVP_MD_CTX_free(b->sha);
	memset(b, 0, sizeof(*b));
}

static void make_key(struct master_key *k, uint8_t fill)
{
	memset(k->key, fill, MASTER_KEY_LEN);
	k->key[0] ^= 0x5a;
	keystore_key_id(k->key, k->id);
}

static void make_header(struct container_header *h)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->device, sizeof(h->device), "router-7");
	snprintf(h->revision, sizeof(h->revision), "20261124T101500Z");
	snprintf(h->tool_version, sizeof(h->tool_version), "0.1.0");
	h->created = 1795428900;
}

/* Splits: 0 whole, otherwise that many bytes at a time; -1 random. */
static size_t next_piece(long split, size_t left)
{
	size_t n;

	if (split == 0)
		return left;
	n = split > 0 ? (size_t)split : 1 + (size_t)(rng() % 40000);
	return n < left ? n : left;
}

static void *seal(const struct master_key *k, const uint8_t *msg, size_t len, long split,
		  size_t *outlen)
{
	struct container_header h;
	struct buf out = { 0 };
	struct err e = { 0 };
	struct sealer *s;

	make_header(&h);
	s = sealer_new(k, &h, buf_sink, &out, &e);
	assert_non_null(s);
	assert_memory_equal(h.key_id, k->id, KEY_ID_LEN);
	for (size_t off = 0; off < len;) {
		size_t n = next_piece(split, len - off);

		assert_int_equal(sealer_write(s, msg + off, n, &e), RV_OK);
		off += n;
	}
	assert_int_equal(sealer_finish(s, &e), RV_OK);
	assert_int_not_equal(sealer_write(s, "x", 1, &e), RV_OK);
	sealer_free(s);
	*outlen = out.len;
	return out.p;
}

/* Feeds the whole input, then finishes; returns the first failure. Checks
 * that after a failure every further call fails the same way. */
static int feed(struct opener *o, const uint8_t *ct, size_t len, long split, struct err *e)
{
	int rc = RV_OK;
	struct err again = { 0 };

	for (size_t off = 0; off < len && rc == RV_OK;) {
		size_t n = next_piece(split, len - off);

		rc = opener_write(o, ct + off, n, e);
		off += n;
	}
	if (rc == RV_OK)
		rc = opener_finish(o, e);
	if (rc != RV_OK) {
		assert_int_equal(opener_write(o, "x", 1, &again), rc);
		assert_string_equal(again.msg, e->msg);
		err_clear(&again);
		assert_int_equal(opener_finish(o, &again), rc);
		assert_string_equal(again.msg, e->msg);
	}
	return rc;
}

static enum container_status open_with(const struct master_key *k, const uint8_t *ct,
				       size_t len, long split, struct buf *pt, struct err *e)
{
	struct opener *o = opener_new(k, buf_sink, pt);
	enum container_status st;
	int rc;

	err_clear(e);
	rc = feed(o, ct, len, split, e);
	st = opener_status(o);
	if (rc == RV_OK)
		assert_int_equal(st, CONTAINER_OK);
	else if (rc == RV_INTEGRITY)
		assert_int_not_equal(st, CONTAINER_OK);
	opener_free(o);
	return st;
}

/* ---- the Wycheproof vectors ---- */

static uint8_t *inflate_all(const uint8_t *in, size_t n, size_t *outlen)
{
	uLongf cap = 1 << 16;
	uint8_t *out = NULL;
	int rc;

	do {
		uLongf got = cap;

		cap *= 2;
		out = xrealloc(out, cap);
		got = cap;
		rc = uncompress(out, &got, in, n);
		*outlen = got;
	} while (rc == Z_BUF_ERROR);
	assert_int_equal(rc, Z_OK);
	return out;
}

struct vector {
	long id;
	bool valid;
	char flags[256];
	uint8_t key[64];
	long keylen;
	uint8_t ctx[256];
	long ctxlen;
	uint8_t *ct;
	size_t ctlen;
	long msglen;
	uint8_t sha[64];
	bool has_sha;
};

static long unhex(const char *s, uint8_t *out, size_t cap)
{
	return strcmp(s, "-") == 0 ? 0 : hex_decode(s, out, cap);
}

static bool parse_vector(char *line, struct vector *v)
{
	char *f[9], *save = NULL;
	size_t nz;
	uint8_t *z;
	long zlen;
	int i = 0;

	for (char *t = strtok_r(line, "\t\n", &save); t != NULL && i < 9;
	     t = strtok_r(NULL, "\t\n", &save))
		f[i++] = t;
	if (i != 9)
		return false;
	memset(v, 0, sizeof(*v));
	v->id = strtol(f[0], NULL, 10);
	v->valid = strcmp(f[1], "valid") == 0;
	snprintf(v->flags, sizeof(v->flags), "%s", f[2]);
	v->keylen = unhex(f[3], v->key, sizeof(v->key));
	v->ctxlen = unhex(f[4], v->ctx, sizeof(v->ctx));
	assert_true(v->keylen >= 0 && v->ctxlen >= 0);
	nz = strlen(f[5]) / 2;
	z = xmalloc(nz);
	zlen = hex_decode(f[5], z, nz);
	assert_int_equal(zlen, (long)nz);
	v->ct = inflate_all(z, nz, &v->ctlen);
	free(z);
	v->msglen = strcmp(f[6], "-") == 0 ? -1 : strtol(f[6], NULL, 10);
	v->has_sha = unhex(f[7], v->sha, sizeof(v->sha)) == 64;
	return true;
}

static bool has_flag(const struct vector *v, const char *flag)
{
	return strstr(v->flags, flag) != NULL;
}

static void check_vector(const struct vector *v, long split)
{
	struct buf pt = { .sha = EVP_MD_CTX_new() };
	uint8_t digest[64];
	unsigned dlen = 0;
	struct err e = { 0 };
	struct opener *o;
	enum container_status st;
	int rc;

	if (v->keylen != 32) {
		/* The API takes exactly 32 bytes: any other length is refused. */
		assert_true(has_flag(v, "InvalidKeySize"));
		assert_false(v->valid);
		buf_free(&pt);
		return;
	}
	EVP_DigestInit_ex(pt.sha, EVP_sha512(), NULL);
	o = opener_new_raw(v->key, v->ctx, (size_t)v->ctxlen, buf_sink, &pt);
	rc = feed(o, v->ct, v->ctlen, split, &e);
	st = opener_status(o);
	opener_free(o);
	EVP_DigestFinal_ex(pt.sha, digest, &dlen);

	if (v->valid) {
		if (rc != RV_OK)
			fail_msg("vector %ld: %s", v->id, e.msg);
		assert_int_equal(pt.len, (size_t)v->msglen);
		assert_memory_equal(digest, v->sha, 64);
	} else {
		if (rc == RV_OK)
			fail_msg("vector %ld (%s) was accepted", v->id, v->flags);
		assert_int_equal(rc, RV_INTEGRITY);
		/* At most the valid prefix, and exactly it when all of it came out. */
		if (has_flag(v, "PartialPlaintext")) {
			assert_true(pt.len <= (size_t)v->msglen);
			if (pt.len == (size_t)v->msglen)
				assert_memory_equal(digest, v->sha, 64);
		} else {
			assert_int_equal(pt.len, 0);
		}
		/* Garbage after a full chunk is a damaged chunk, not a trailer. */
		if (has_flag(v, "TrailingData"))
			assert_true(st == CONTAINER_TRAILING || st == CONTAINER_TAMPERED ||
				    st == CONTAINER_TRUNCATED);
		else if (has_flag(v, "Truncation"))
			assert_true(st == CONTAINER_TRUNCATED || st == CONTAINER_TAMPERED);
		else
			assert_int_equal(st, CONTAINER_TAMPERED);
	}
	buf_free(&pt);
}

static void test_wycheproof_vectors(void **state)
{
	static const long splits[] = { 0, 1, 7, CHUNK, CHUNK + 16, -1 };
	FILE *f = fopen(VECTORS, "r");
	size_t cap = 0;
	char *line = NULL;
	int count = 0, valid = 0;

	(void)state;
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		struct vector v;

		if (line[0] == '#' || !parse_vector(line, &v))
			continue;
		for (size_t i = 0; i < ARRAY_LEN(splits); i++) {
			/* Byte at a time over the 4 MiB vectors costs time, not coverage. */
			if (splits[i] == 1 && v.ctlen > 200000)
				continue;
			check_vector(&v, splits[i]);
		}
		count++;
		valid += v.valid;
		free(v.ct);
	}
	free(line);
	fclose(f);
	assert_int_equal(count, 35);
	assert_int_equal(valid, 10);
}

/* ---- round trips ---- */

static size_t header_len(const uint8_t *ct, size_t len)
{
	struct container_header h;
	size_t n = 0;

	assert_int_equal(container_header_parse(ct, len, &h, &n), CONTAINER_OK);
	return n;
}


static void test_round_trip(void **state)
{
	static const size_t sizes[] = { 0, 1, 16383, 16384, 16385, 3 * 16384,
					 3 * 16384 + 100, 1000003 };
	static const long splits[] = { 0, 1, 7, CHUNK, -1 };
	size_t big = 1000003;
	uint8_t *msg = xmalloc(big);
	struct master_key k;

	(void)state;
	make_key(&k, 1);
	assert_int_equal(RAND_bytes(msg, (int)big), 1);
	for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
		for (size_t w = 0; w < ARRAY_LEN(splits); w++) {
			size_t n = sizes[i], ctlen;
			uint8_t *ct = seal(&k, msg, n, splits[w], &ctlen);
			struct buf pt = { 0 };
			struct err e = { 0 };
			size_t chunks = n / CHUNK + 1;
			struct opener *o;
			const struct container_header *h;

			assert_int_equal(ctlen, header_len(ct, ctlen) + 56 + n + 16 * chunks);
			for (size_t r = 0; r < ARRAY_LEN(splits); r++) {
				pt.len = 0;
				o = opener_new(&k, buf_sink, &pt);
				assert_null(opener_header(o));
				assert_int_equal(feed(o, ct, ctlen, splits[r], &e), RV_OK);
				assert_int_equal(opener_status(o), CONTAINER_OK);
				h = opener_header(o);
				assert_non_null(h);
				assert_string_equal(h->device, "router-7");
				assert_string_equal(h->revision, "20261124T101500Z");
				assert_string_equal(h->tool_version, "0.1.0");
				assert_int_equal(h->created, 1795428900);
				assert_memory_equal(h->key_id, k.id, KEY_ID_LEN);
				opener_free(o);
				assert_int_equal(pt.len, n);
				if (n > 0)
					assert_memory_equal(pt.p, msg, n);
			}
			buf_free(&pt);
			free(ct);
		}
	}
	free(msg);
}

/* Two containers of the same message differ: a fresh salt every time. */
static void test_fresh_salt(void **state)
{
	struct master_key k;
	size_t a_len, b_len;
	uint8_t *a, *b;

	(void)state;
	make_key(&k, 2);
	a = seal(&k, (const uint8_t *)"same", 4, 0, &a_len);
	b = seal(&k, (const uint8_t *)"same", 4, 0, &b_len);
	assert_int_equal(a_len, b_len);
	assert_memory_not_equal(a, b, a_len);
	free(a);
	free(b);
}

/* ---- refusals ---- */

static void test_header_parse(void **state)
{
	struct master_key k;
	struct container_header h;
	size_t ctlen, hl, got = 0;
	uint8_t *ct;
	uint8_t bad[CONTAINER_HEADER_MAX];

	(void)state;
	make_key(&k, 3);
	ct = seal(&k, (const uint8_t *)"hello", 5, 0, &ctlen);
	hl = header_len(ct, ctlen);
	for (size_t n = 0; n < hl; n++)
		assert_int_equal(container_header_parse(ct, n, &h, &got), CONTAINER_INCOMPLETE);
	assert_int_equal(container_header_parse(ct, hl, &h, &got), CONTAINER_OK);
	assert_int_equal(got, hl);
	assert_string_equal(h.device, "router-7");
	assert_int_equal(h.version, 1);

	memcpy(bad, ct, hl);
	bad[0] = 'X';
	assert_int_equal(container_header_parse(bad, 1, &h, &got), CONTAINER_NOT_REVAULT);
	assert_int_equal(container_header_parse(bad, hl, &h, &got), CONTAINER_NOT_REVAULT);
	assert_int_equal(container_header_parse((const uint8_t *)"PK\3\4", 4, &h, &got),
			 CONTAINER_NOT_REVAULT);
	memcpy(bad, ct, hl);
	bad[8] = 2;
	assert_int_equal(container_header_parse(bad, hl, &h, &got), CONTAINER_UNSUPPORTED);
	memcpy(bad, ct, hl);
	bad[9] = 0xff; /* header length beyond the maximum */
	assert_int_equal(container_header_parse(bad, hl, &h, &got), CONTAINER_MALFORMED);
	memcpy(bad, ct, hl);
	bad[28 + 2] = '/'; /* a slash in the device name (it starts at 28) */
	assert_int_equal(container_header_parse(bad, hl, &h, &got), CONTAINER_MALFORMED);
	assert_string_equal(container_status_name(CONTAINER_TRAILING), "trailing data");
	free(ct);
}

static void test_bad_header_fields_refused(void **state)
{
	static const char *const names[] = { "", "a/b", ".", "..", "tab\there" };
	struct master_key k;
	struct container_header h;
	struct buf out = { 0 };

	(void)state;
	make_key(&k, 4);
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		struct err e = { 0 };

		make_header(&h);
		snprintf(h.device, sizeof(h.device), "%s", names[i]);
		assert_null(sealer_new(&k, &h, buf_sink, &out, &e));
		assert_int_equal(e.code, RV_USAGE);
		assert_int_equal(out.len, 0);
	}
	buf_free(&out);
}

static bool refused(enum container_status st)
{
	return st == CONTAINER_NOT_REVAULT || st == CONTAINER_UNSUPPORTED ||
	       st == CONTAINER_MALFORMED || st == CONTAINER_WRONG_KEY ||
	       st == CONTAINER_TAMPERED || st == CONTAINER_TRUNCATED;
}

static void test_every_byte_flipped(void **state)
{
	static const uint8_t masks[] = { 0x01, 0x80, 0xff };
	uint8_t msg[300];
	struct master_key k;
	size_t ctlen, hl;
	uint8_t *ct;

	(void)state;
	make_key(&k, 5);
	memset(msg, 'a', sizeof(msg));
	ct = seal(&k, msg, sizeof(msg), 0, &ctlen);
	hl = header_len(ct, ctlen);
	for (size_t i = 0; i < ctlen; i++) {
		for (size_t m = 0; m < ARRAY_LEN(masks); m++) {
			struct buf pt = { 0 };
			struct err e = { 0 };
			enum container_status st;

			ct[i] ^= masks[m];
			st = open_with(&k, ct, ctlen, (long)(i % 3) * 7, &pt, &e);
			ct[i] ^= masks[m];
			if (!refused(st))
				fail_msg("byte %zu ^ %02x: %s", i, masks[m],
					 container_status_name(st));
			assert_int_equal(e.code, RV_INTEGRITY);
			assert_int_equal(pt.len, 0);
			if (i < 8)
				assert_int_equal(st, CONTAINER_NOT_REVAULT);
			else if (i == 8)
				assert_int_equal(st, CONTAINER_UNSUPPORTED);
			else if (i >= 11 && i < 19)
				assert_int_equal(st, CONTAINER_WRONG_KEY);
			else if (i >= hl)
				assert_int_equal(st, CONTAINER_TAMPERED);
			buf_free(&pt);
		}
	}
	free(ct);
}

/* Damage in chunk 1 of 3: only chunk 0, which verified, reaches the sink. */
static void test_damage_later_chunk(void **state)
{
	size_t n = 2 * CHUNK + 500, ctlen, hl;
	uint8_t *msg = xmalloc(n), *ct;
	struct master_key k;

	(void)state;
	make_key(&k, 6);
	assert_int_equal(RAND_bytes(msg, (int)n), 1);
	ct = seal(&k, msg, n, -1, &ctlen);
	hl = header_len(ct, ctlen);
	for (size_t at = 0; at < CHUNK + 16; at += 997) {
		struct buf pt = { 0 };
		struct err e = { 0 };
		size_t i = hl + 56 + CHUNK + 16 + at;

		ct[i] ^= 0x10;
		assert_int_equal(open_with(&k, ct, ctlen, -1, &pt, &e), CONTAINER_TAMPERED);
		ct[i] ^= 0x10;
		assert_non_null(strstr(e.msg, "chunk 1"));
		assert_int_equal(pt.len, CHUNK);
		assert_memory_equal(pt.p, msg, CHUNK);
		buf_free(&pt);
	}
	free(ct);
	free(msg);
}

static void test_truncated(void **state)
{
	size_t n = 2 * CHUNK + 500, ctlen, small_len;
	uint8_t *msg = xmalloc(n), *ct, *small;
	struct master_key k;

	(void)state;
	make_key(&k, 7);
	assert_int_equal(RAND_bytes(msg, (int)n), 1);
	small = seal(&k, msg, 40, 0, &small_len);
	for (size_t cut = 0; cut < small_len; cut++) {
		struct buf pt = { 0 };
		struct err e = { 0 };
		enum container_status st = open_with(&k, small, cut, 1, &pt, &e);
		char where[64];

		snprintf(where, sizeof(where), "after %zu bytes", cut);
		if (cut < header_len(small, small_len) + 56 + 16) {
			assert_int_equal(st, CONTAINER_TRUNCATED);
			assert_non_null(strstr(e.msg, where));
		} else
			assert_true(st == CONTAINER_TRUNCATED || st == CONTAINER_TAMPERED);
		assert_int_equal(pt.len, 0);
		buf_free(&pt);
	}
	ct = seal(&k, msg, n, 0, &ctlen);
	for (size_t cut = 0; cut < ctlen; cut += 1 + rng() % 3000) {
		struct buf pt = { 0 };
		struct err e = { 0 };
		enum container_status st = open_with(&k, ct, cut, -1, &pt, &e);

		assert_true(st == CONTAINER_TRUNCATED || st == CONTAINER_TAMPERED);
		assert_true(pt.len <= n && pt.len % CHUNK == 0);
		if (pt.len > 0)
			assert_memory_equal(pt.p, msg, pt.len);
		buf_free(&pt);
	}
	free(ct);
	free(small);
	free(msg);
}

static void check_trailing(const struct master_key *k, size_t msglen, size_t extra)
{
	uint8_t *msg = xcalloc(1, msglen + 1), *ct, *longer;
	size_t ctlen;
	struct buf pt = { 0 };
	struct err e = { 0 };

	ct = seal(k, msg, msglen, 0, &ctlen);
	longer = xmalloc(ctlen + extra);
	memcpy(longer, ct, ctlen);
	for (size_t i = 0; i < extra; i++)
		longer[ctlen + i] = (uint8_t)rng();
	for (long split = 0; split <= 7; split += 7) {
		pt.len = 0;
		err_clear(&e);
		if (open_with(k, longer, ctlen + extra, split, &pt, &e) != CONTAINER_TRAILING)
			fail_msg("%zu + %zu trailing: %s", msglen, extra, e.msg);
		assert_true(pt.len <= msglen);
	}
	buf_free(&pt);
	free(longer);
	free(ct);
	free(msg);
}

static void test_trailing(void **state)
{
	struct master_key k;

	(void)state;
	make_key(&k, 8);
	check_trailing(&k, 0, 1);
	check_trailing(&k, 100, 1);
	check_trailing(&k, 100, 100);
	check_trailing(&k, 100, CHUNK - 100); /* fills the held chunk exactly */
	check_trailing(&k, 100, 40000);
	check_trailing(&k, CHUNK - 1, 1);
	check_trailing(&k, CHUNK, 1);
	check_trailing(&k, 2 * CHUNK + 7, 16);
	check_trailing(&k, 2 * CHUNK + 7, 512);
	check_trailing(&k, 2000, 9000);
}

/* A long tail after a long final chunk is not looked for: still refused. */
static void test_long_tail_after_long_final(void **state)
{
	uint8_t msg[8000] = { 0 }, *ct, *longer;
	struct master_key k;
	struct buf pt = { 0 };
	struct err e = { 0 };
	size_t ctlen;

	(void)state;
	make_key(&k, 12);
	ct = seal(&k, msg, sizeof(msg), 0, &ctlen);
	longer = xcalloc(1, ctlen + 5000);
	memcpy(longer, ct, ctlen);
	assert_int_equal(open_with(&k, longer, ctlen + 5000, 0, &pt, &e), CONTAINER_TAMPERED);
	assert_int_equal(pt.len, 0);
	buf_free(&pt);
	free(longer);
	free(ct);
}

static void test_wrong_key(void **state)
{
	struct master_key k, other, same_id;
	char ours[17], theirs[17];
	struct buf pt = { 0 };
	struct err e = { 0 };
	size_t ctlen;
	uint8_t *ct;

	(void)state;
	make_key(&k, 9);
	make_key(&other, 10);
	ct = seal(&k, (const uint8_t *)"secret", 6, 0, &ctlen);
	assert_int_equal(open_with(&other, ct, ctlen, 0, &pt, &e), CONTAINER_WRONG_KEY);
	assert_int_equal(e.code, RV_INTEGRITY);
	keystore_id_hex(k.id, theirs);
	keystore_id_hex(other.id, ours);
	assert_non_null(strstr(e.msg, "another master key"));
	assert_non_null(strstr(e.msg, theirs));
	assert_non_null(strstr(e.msg, ours));
	assert_int_equal(pt.len, 0);

	/* Same key id, other key bytes: the commitment tells them apart. */
	same_id = other;
	memcpy(same_id.id, k.id, KEY_ID_LEN);
	err_clear(&e);
	assert_int_equal(open_with(&same_id, ct, ctlen, 0, &pt, &e), CONTAINER_TAMPERED);
	assert_int_equal(pt.len, 0);
	buf_free(&pt);
	free(ct);
}

/* The sink's own error travels back as RV_FAIL, and sticks. */
static void test_sink_error(void **state)
{
	size_t n = 3 * CHUNK, ctlen;
	uint8_t *msg = xcalloc(1, n), *ct;
	struct master_key k;
	struct buf pt = { .fail = CHUNK + 1 };
	struct buf out = { .fail = 100 };
	struct container_header h;
	struct err e = { 0 };
	struct opener *o;

	(void)state;
	make_key(&k, 11);
	ct = seal(&k, msg, n, 0, &ctlen);
	o = opener_new(&k, buf_sink, &pt);
	assert_int_equal(feed(o, ct, ctlen, 0, &e), RV_FAIL);
	assert_string_equal(e.msg, "disk full in the test sink");
	opener_free(o);

	make_header(&h);
	err_clear(&e);
	assert_null(sealer_new(&k, &h, buf_sink, &out, &e));
	assert_int_equal(e.code, RV_FAIL);
	assert_string_equal(e.msg, "disk full in the test sink");
	buf_free(&out);
	buf_free(&pt);
	free(ct);
	free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wycheproof_vectors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_fresh_salt),
		cmocka_unit_test(test_header_parse),
		cmocka_unit_test(test_bad_header_fields_refused),
		cmocka_unit_test(test_every_byte_flipped),
		cmocka_unit_test(test_damage_later_chunk),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trailing),
		cmocka_unit_test(test_long_tail_after_long_final),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_sink_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
