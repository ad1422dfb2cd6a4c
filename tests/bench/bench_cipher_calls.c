/* What libssh2 1.10's way of calling OpenSSL costs: AES-128-CTR one
 * 16-byte block per EVP_Cipher call (then a 16-byte copy back, as libssh2
 * does), against the same cipher over 32 KiB per call, and HMAC-SHA256 over
 * 32 KiB packets. One core, data in memory. docs/PERFORMANCE.md quotes it.
 *
 *   bench_cipher_calls [MiB]      (default 256) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/util.h"

#define PACKET (32 * 1024)

static int fail(const char *what)
{
	fprintf(stderr, "bench_cipher_calls: %s failed\n", what);
	return 1;
}

int main(int argc, char **argv)
{
	static unsigned char packet[PACKET];
	unsigned char key[16] = { 1 }, iv[16] = { 2 }, block[16], mac[EVP_MAX_MD_SIZE];
	size_t total = (argc > 1 ? strtoul(argv[1], NULL, 10) : 256) << 20;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned int maclen;
	double t0, small, bulk, hmac;

	if (total == 0)
		return fail("a size of 0 MiB");
	if (c == NULL || EVP_CipherInit(c, EVP_aes_128_ctr(), key, iv, 1) != 1)
		return fail("EVP_CipherInit");
	t0 = mono_now();
	for (size_t done = 0; done < total; done += PACKET)
		for (size_t i = 0; i < PACKET; i += 16) {
			if (EVP_Cipher(c, block, packet + i, 16) < 0)
				return fail("EVP_Cipher");
			memcpy(packet + i, block, 16);
		}
	small = (double)total / (mono_now() - t0) / 1e6;
	t0 = mono_now();
	for (size_t done = 0; done < total; done += PACKET)
		if (EVP_Cipher(c, packet, packet, PACKET) < 0)
			return fail("EVP_Cipher");
	bulk = (double)total / (mono_now() - t0) / 1e6;
	t0 = mono_now();
	for (size_t done = 0; done < total; done += PACKET)
		if (HMAC(EVP_sha256(), key, sizeof(key), packet, PACKET, mac, &maclen) == NULL)
			return fail("HMAC");
	hmac = (double)total / (mono_now() - t0) / 1e6;
	printf("| AES-128-CTR, 16 bytes per call (libssh2 1.10) | %.0f MB/s |\n", small);
	printf("| AES-128-CTR, 32 KiB per call | %.0f MB/s |\n", bulk);
	printf("| HMAC-SHA256, 32 KiB packets | %.0f MB/s |\n", hmac);
	EVP_CIPHER_CTX_free(c);
	return 0;
}
