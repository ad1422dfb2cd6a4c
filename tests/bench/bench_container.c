/* Sealer and opener throughput on one core, compared with AES-256-GCM alone
 * through the same EVP interface (the ceiling). Prints MB/s; never asserts.
 *
 *   bench_container [MiB]   (default 1024) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/container.h"
#include "core/util.h"

#define PIECE (256 * 1024)

struct spool {
	uint8_t *buf;
	size_t len, cap;
};

static int count_sink(void *arg, const uint8_t *buf, size_t len, struct err *e)
{
	(void)buf;
	(void)e;
	*(uint64_t *)arg += len;
	return 0;
}

/* Keeps the first PIECE * 4 bytes of ciphertext so the opener can be fed a
 * real container of the same shape over and over. */
static int spool_sink(void *arg, const uint8_t *buf, size_t len, struct err *e)
{
	struct spool *s = arg;

	(void)e;
	if (s->len + len > s->cap) {
		s->cap = (s->len + len) * 2;
		s->buf = xrealloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	return 0;
}

static double bench_gcm(const uint8_t *piece, size_t total)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t key[32] = { 1 }, iv[12] = { 2 }, tag[16];
	uint8_t *out = xmalloc(16384 + 16);
	double t0 = mono_now();
	int len;

	for (size_t done = 0; done < total; done += 16384) {
		EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv);
		EVP_EncryptUpdate(c, out, &len, piece + done % PIECE, 16384);
		EVP_EncryptFinal_ex(c, out + len, &len);
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
	}
	EVP_CIPHER_CTX_free(c);
	free(out);
	return (double)total / (mono_now() - t0) / 1e6;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
	size_t total = mib << 20;
	uint8_t *piece = xmalloc(PIECE);
	struct master_key k;
	struct container_header h = { 0 };
	struct spool sp = { 0 };
	struct err e = { 0 };
	uint64_t out = 0;
	double t0, seal, open;

	RAND_bytes(piece, PIECE);
	RAND_bytes(k.key, sizeof(k.key));
	keystore_key_id(k.key, k.id);
	strcpy(h.device, "bench");
	strcpy(h.revision, "20261124T101500Z");
	strcpy(h.tool_version, "bench");

	t0 = mono_now();
	struct sealer *s = sealer_new(&k, &h, count_sink, &out, &e);
	for (size_t done = 0; done < total; done += PIECE)
		sealer_write(s, piece, PIECE, &e);
	sealer_finish(s, &e);
	sealer_free(s);
	seal = (double)total / (mono_now() - t0) / 1e6;

	/* A 64 MiB container, opened repeatedly up to the same total. */
	s = sealer_new(&k, &h, spool_sink, &sp, &e);
	for (size_t done = 0; done < (64u << 20); done += PIECE)
		sealer_write(s, piece, PIECE, &e);
	sealer_finish(s, &e);
	sealer_free(s);
	t0 = mono_now();
	for (size_t done = 0; done < total; done += 64u << 20) {
		struct opener *o = opener_new(&k, count_sink, &out);

		for (size_t off = 0; off < sp.len; off += PIECE)
			opener_write(o, sp.buf + off, sp.len - off < PIECE ? sp.len - off : PIECE, &e);
		if (opener_finish(o, &e) != RV_OK) {
			fprintf(stderr, "bench_container: %s\n", e.msg);
			return 1;
		}
		opener_free(o);
	}
	open = (double)total / (mono_now() - t0) / 1e6;

	printf("%-28s %8.0f MB/s\n", "AES-256-GCM (16 KiB calls)", bench_gcm(piece, total));
	printf("%-28s %8.0f MB/s\n", "sealer", seal);
	printf("%-28s %8.0f MB/s\n", "opener", open);
	free(sp.buf);
	free(piece);
	keystore_clear(&k);
	return 0;
}
