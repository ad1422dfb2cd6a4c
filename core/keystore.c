/* keystore: the master key on disk, its id, and the two ways to carry it to
 * another machine (a passphrase-wrapped file and a paper form).
 *
 * Files are created under a temporary name and linked into place, so a key
 * file is either absent or complete, and link() refuses to replace one that
 * exists: a key is never overwritten by accident. */
#include "core/keystore.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "core/paths.h"
#include "core/util.h"

#define KEY_ID_LABEL "revault key id v1"
#define WRAP_MAGIC "revault-key 1"
#define WRAP_AAD_LABEL "revault key export v1"
#define PAPER_LINES 4
#define PAPER_BYTES (MASTER_KEY_LEN / PAPER_LINES)
#define PAPER_CHECK 2
/* scrypt cost written by export, and the bounds accepted on import (a
 * hostile file must not make import use gigabytes or run for minutes). */
#define SCRYPT_N_LOG2 15
#define SCRYPT_R 8
#define SCRYPT_P 1
#define SCRYPT_MAXMEM (256ULL << 20)

static int hkdf_sha256(const uint8_t *ikm, size_t ikmlen, const char *label, uint8_t *out,
		       size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[4];
	int ok;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)label,
						      strlen(label));
	params[3] = OSSL_PARAM_construct_end();
	ok = ctx != NULL && EVP_KDF_derive(ctx, out, outlen, params) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -1;
}

void keystore_key_id(const uint8_t key[MASTER_KEY_LEN], uint8_t id[KEY_ID_LEN])
{
	if (hkdf_sha256(key, MASTER_KEY_LEN, KEY_ID_LABEL, id, KEY_ID_LEN) != 0)
		abort(); /* only when OpenSSL itself is broken */
}

void keystore_id_hex(const uint8_t id[KEY_ID_LEN], char out[2 * KEY_ID_LEN + 1])
{
	hex_encode(id, KEY_ID_LEN, out);
}

void keystore_clear(struct master_key *k)
{
	wipe(k, sizeof(*k));
}

bool keystore_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Moves an existing key aside as "<path>.old-<UTC time>". */
static int keep_old_key(const char *path, struct err *e)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	char *aside = NULL;
	int i;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (i = 0; i < 100; i++) {
		free(aside);
		aside = i == 0 ? xasprintf("%s.old-%s", path, stamp)
			       : xasprintf("%s.old-%s-%d", path, stamp, i);
		if (link(path, aside) == 0)
			break;
		if (errno != EEXIST) {
			int rc = err_set(e, RV_FAIL, "cannot keep the old key as %s: %s; nothing was changed",
					 aside, strerror(errno));
			free(aside);
			return rc;
		}
	}
	if (i == 100 || unlink(path) != 0) {
		int rc = err_set(e, RV_FAIL, "cannot move the old key %s aside: %s; nothing was changed",
				 path, strerror(errno));
		free(aside);
		return rc;
	}
	paths_sync_dir(path);
	free(aside);
	return RV_OK;
}

static int place_key(const char *path, const struct master_key *k, bool force, struct err *e)
{
	int rc;

	if (keystore_exists(path)) {
		if (!force)
			return err_set(e, RV_USAGE,
				       "a master key already exists at %s: backups made with it need it; "
				       "use --force to replace it (the old key is kept beside it)", path);
		rc = keep_old_key(path, e);
		if (rc != RV_OK)
			return rc;
	}
	return paths_write_new(path, k->key, MASTER_KEY_LEN, e);
}

int keystore_generate(const char *path, bool force, struct master_key *out, struct err *e)
{
	int rc;

	if (keystore_exists(path) && !force)
		return place_key(path, out, false, e); /* the refusal */
	if (RAND_bytes(out->key, MASTER_KEY_LEN) != 1)
		return err_set(e, RV_FAIL, "the system random generator failed; no key was made");
	keystore_key_id(out->key, out->id);
	rc = place_key(path, out, force, e);
	if (rc != RV_OK)
		keystore_clear(out);
	return rc;
}

int keystore_install(const char *path, const struct master_key *k, bool force, struct err *e)
{
	return place_key(path, k, force, e);
}

int keystore_load(const char *path, struct master_key *out, struct err *e)
{
	struct stat st;
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return err_set(e, RV_USAGE,
				       "no master key at %s: run `revault key generate`, or `revault key import` "
				       "to restore another machine's backups", path);
		if (errno == ELOOP)
			return err_set(e, RV_USAGE, "master key %s is a symbolic link: put the key file itself there", path);
		return err_set(e, RV_USAGE, "cannot read the master key %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, RV_USAGE, "master key %s is not a regular file", path);
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return err_set(e, RV_USAGE, "master key %s belongs to uid %u, not to you (uid %u): "
			       "run `chown %u %s` if it is yours", path, (unsigned)st.st_uid,
			       (unsigned)geteuid(), (unsigned)geteuid(), path);
	}
	if ((st.st_mode & 077) != 0) {
		close(fd);
		return err_set(e, RV_USAGE, "master key %s can be read by others (mode %04o): "
			       "run `chmod 600 %s`, and consider it exposed", path,
			       (unsigned)(st.st_mode & 07777), path);
	}
	if (st.st_size != MASTER_KEY_LEN) {
		close(fd);
		return err_set(e, RV_USAGE, "master key %s has %lld bytes, not %d: it is not a revault key; "
			       "restore it with `revault key import`", path, (long long)st.st_size,
			       MASTER_KEY_LEN);
	}
	/* No core dump or ptrace by other users while a key is in memory. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	got = read(fd, out->key, MASTER_KEY_LEN);
	close(fd);
	if (got != MASTER_KEY_LEN) {
		keystore_clear(out);
		return err_set(e, RV_FAIL, "cannot read the master key %s", path);
	}
	keystore_key_id(out->key, out->id);
	return RV_OK;
}

/* --- passphrase-wrapped export --- */

struct wrap {
	unsigned nlog2, r, p;
	uint8_t salt[16];
	uint8_t nonce[12];
	uint8_t data[MASTER_KEY_LEN + 16]; /* ciphertext and GCM tag */
	uint8_t id[KEY_ID_LEN];
};

static void b64(const uint8_t *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static int unb64(const char *in, uint8_t *out, size_t want)
{
	uint8_t buf[128];
	size_t len = strlen(in);
	size_t pad = 0;
	int got;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 > sizeof(buf))
		return -1;
	while (pad < 2 && in[len - 1 - pad] == '=')
		pad++;
	got = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len);
	if (got < 0 || (size_t)got - pad != want)
		return -1;
	memcpy(out, buf, want);
	return 0;
}

/* The text of the file up to and excluding the check line. It is also the
 * AEAD's additional data, so every parameter is bound to the ciphertext. */
static char *wrap_body(const struct wrap *w)
{
	char salt[32], nonce[32], data[80], id[2 * KEY_ID_LEN + 1];

	b64(w->salt, sizeof(w->salt), salt);
	b64(w->nonce, sizeof(w->nonce), nonce);
	b64(w->data, sizeof(w->data), data);
	keystore_id_hex(w->id, id);
	return xasprintf("%s\nkey-id %s\nkdf scrypt %u %u %u\nsalt %s\nnonce %s\ndata %s\n",
			 WRAP_MAGIC, id, w->nlog2, w->r, w->p, salt, nonce, data);
}

static void body_check(const char *body, char out[17])
{
	uint8_t md[32];
	unsigned int mdlen = 0;

	EVP_Digest(body, strlen(body), md, &mdlen, EVP_sha256(), NULL);
	hex_encode(md, 8, out);
}

static int wrap_key(const struct wrap *w, const char *passphrase, uint8_t kek[32])
{
	return EVP_PBE_scrypt(passphrase, strlen(passphrase), w->salt, sizeof(w->salt),
			      1ULL << w->nlog2, w->r, w->p, SCRYPT_MAXMEM, kek, 32) == 1 ? 0 : -1;
}

/* AES-256-GCM with aad; decrypt verifies the tag. Returns 0 or -1. */
static int gcm(bool enc, const uint8_t key[32], const uint8_t nonce[12], const char *aad,
	       const uint8_t *in, uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len, ok;

	ok = c != NULL && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) == 1 &&
	     EVP_CipherUpdate(c, NULL, &len, (const unsigned char *)WRAP_AAD_LABEL,
			      (int)strlen(WRAP_AAD_LABEL)) == 1 &&
	     EVP_CipherUpdate(c, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
	     EVP_CipherUpdate(c, out, &len, in, MASTER_KEY_LEN) == 1;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1;
	if (ok)
		ok = EVP_CipherFinal_ex(c, out + len, &len) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

int keystore_export(const struct master_key *k, const char *file, const char *passphrase,
		    struct err *e)
{
	struct wrap w = { .nlog2 = SCRYPT_N_LOG2, .r = SCRYPT_R, .p = SCRYPT_P };
	uint8_t kek[32];
	char check[17];
	char *body, *text, *aad;
	int rc;

	memcpy(w.id, k->id, KEY_ID_LEN);
	if (RAND_bytes(w.salt, sizeof(w.salt)) != 1 || RAND_bytes(w.nonce, sizeof(w.nonce)) != 1)
		return err_set(e, RV_FAIL, "the system random generator failed; nothing was written");
	if (wrap_key(&w, passphrase, kek) != 0)
		return err_set(e, RV_FAIL, "scrypt failed (out of memory?); nothing was written");
	/* The additional data is the body with the data line empty. */
	aad = wrap_body(&w);
	*strstr(aad, "\ndata ") = '\0';
	rc = gcm(true, kek, w.nonce, aad, k->key, w.data, w.data + MASTER_KEY_LEN);
	wipe(kek, sizeof(kek));
	free(aad);
	if (rc != 0)
		return err_set(e, RV_FAIL, "encryption failed; nothing was written");
	body = wrap_body(&w);
	body_check(body, check);
	text = xasprintf("%scheck %s\n", body, check);
	rc = paths_write_new(file, text, strlen(text), e);
	free(body);
	free(text);
	return rc;
}

static int parse_wrap(char *text, struct wrap *w, char **body_end, const char *file, struct err *e)
{
	char id[2 * KEY_ID_LEN + 1], salt[64], nonce[64], data[128], check[17], want[17];
	int used = 0;
	char *check_line;

	if (!str_has_prefix(text, WRAP_MAGIC "\n"))
		return err_set(e, RV_USAGE, "%s is not a revault key export (it should start with \"%s\")",
			       file, WRAP_MAGIC);
	if (sscanf(text, WRAP_MAGIC "\nkey-id %16s\nkdf scrypt %u %u %u\nsalt %63s\nnonce %63s\n"
		   "data %127s\n%n", id, &w->nlog2, &w->r, &w->p, salt, nonce, data, &used) != 7 ||
	    used == 0)
		return err_set(e, RV_INTEGRITY, "%s is corrupt: a line is missing or damaged", file);
	check_line = text + used;
	if (sscanf(check_line, "check %16s", check) != 1)
		return err_set(e, RV_INTEGRITY, "%s is corrupt: its check line is missing", file);
	*check_line = '\0';
	body_check(text, want);
	if (strcmp(check, want) != 0)
		return err_set(e, RV_INTEGRITY, "%s is corrupt (its checksum does not match): "
			       "use another copy of the export", file);
	if (hex_decode(id, w->id, KEY_ID_LEN) != KEY_ID_LEN || unb64(salt, w->salt, sizeof(w->salt)) ||
	    unb64(nonce, w->nonce, sizeof(w->nonce)) || unb64(data, w->data, sizeof(w->data)))
		return err_set(e, RV_INTEGRITY, "%s is corrupt: a field does not decode", file);
	if (w->nlog2 < 10 || w->nlog2 > 20 || w->r < 1 || w->r > 32 || w->p < 1 || w->p > 16)
		return err_set(e, RV_USAGE, "%s asks for scrypt costs revault does not accept "
			       "(N=2^%u r=%u p=%u)", file, w->nlog2, w->r, w->p);
	*body_end = check_line;
	return RV_OK;
}

int keystore_unwrap(const char *file, const char *passphrase, struct master_key *out, struct err *e)
{
	struct wrap w;
	uint8_t kek[32];
	char buf[1024];
	char *body_end, *aad;
	size_t n;
	FILE *f;
	int rc;

	f = fopen(file, "re");
	if (f == NULL)
		return err_set(e, RV_USAGE, "cannot read %s: %s", file, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n == sizeof(buf) - 1)
		return err_set(e, RV_USAGE, "%s is too long to be a revault key export", file);
	rc = parse_wrap(buf, &w, &body_end, file, e);
	if (rc != RV_OK)
		return rc;
	if (wrap_key(&w, passphrase, kek) != 0)
		return err_set(e, RV_FAIL, "scrypt failed (out of memory?)");
	aad = xstrdup(buf);
	*strstr(aad, "\ndata ") = '\0';
	rc = gcm(false, kek, w.nonce, aad, w.data, out->key, w.data + MASTER_KEY_LEN);
	wipe(kek, sizeof(kek));
	free(aad);
	if (rc != 0) {
		keystore_clear(out);
		return err_set(e, RV_USAGE, "wrong passphrase for %s", file);
	}
	keystore_key_id(out->key, out->id);
	if (CRYPTO_memcmp(out->id, w.id, KEY_ID_LEN) != 0) {
		keystore_clear(out);
		return err_set(e, RV_INTEGRITY, "%s is corrupt: the key does not match its key id", file);
	}
	return RV_OK;
}

/* --- paper form --- */

/* Two check bytes per line, bound to the line's position. */
static void paper_check(unsigned line, const uint8_t *bytes, uint8_t out[PAPER_CHECK])
{
	uint8_t in[1 + PAPER_BYTES];
	uint8_t md[32];
	unsigned int mdlen = 0;

	in[0] = (uint8_t)line;
	memcpy(in + 1, bytes, PAPER_BYTES);
	EVP_Digest(in, sizeof(in), md, &mdlen, EVP_sha256(), NULL);
	memcpy(out, md, PAPER_CHECK);
	wipe(in, sizeof(in));
}

char *keystore_paper(const struct master_key *k)
{
	char id[2 * KEY_ID_LEN + 1];
	char *text, *next;
	unsigned l;

	keystore_id_hex(k->id, id);
	text = xasprintf("# revault master key, key id %s\n", id);
	for (l = 0; l < PAPER_LINES; l++) {
		uint8_t row[PAPER_BYTES + PAPER_CHECK];
		char hex[2 * sizeof(row) + 1];

		memcpy(row, k->key + l * PAPER_BYTES, PAPER_BYTES);
		paper_check(l + 1, row, row + PAPER_BYTES);
		hex_encode(row, sizeof(row), hex);
		next = xasprintf("%s%u: %.4s %.4s %.4s %.4s  %.4s\n", text, l + 1, hex, hex + 4,
				 hex + 8, hex + 12, hex + 16);
		wipe(row, sizeof(row));
		wipe(hex, sizeof(hex));
		wipe_free_str(text);
		text = next;
	}
	return text;
}

/* One paper line: optional "N:" label, then 20 hex digits with any spaces
 * or dashes. Returns the digits in out, or -1. */
static int paper_digits(const char *line, char out[2 * (PAPER_BYTES + PAPER_CHECK) + 1])
{
	const char *colon = strchr(line, ':');
	size_t n = 0;

	if (colon != NULL)
		line = colon + 1;
	for (; *line != '\0'; line++) {
		if (*line == ' ' || *line == '-' || *line == '\t' || *line == '\r')
			continue;
		if (n == 2 * (PAPER_BYTES + PAPER_CHECK))
			return -1;
		out[n++] = *line;
	}
	out[n] = '\0';
	return n == 2 * (PAPER_BYTES + PAPER_CHECK) ? 0 : -1;
}

/* Line l (1-based) of the paper form, label and blanks already allowed:
 * its 16 key bytes into row, checked against its 2 check bytes. */
static int paper_row(unsigned l, const char *p, uint8_t row[PAPER_BYTES + PAPER_CHECK], struct err *e)
{
	char digits[2 * (PAPER_BYTES + PAPER_CHECK) + 1];
	uint8_t check[PAPER_CHECK];
	int rc = RV_OK;

	if (paper_digits(p, digits) != 0 || hex_decode(digits, row, PAPER_BYTES + PAPER_CHECK) !=
						    (long)(PAPER_BYTES + PAPER_CHECK)) {
		rc = err_set(e, RV_USAGE, "line %u of the paper key should hold 20 hex digits "
			     "(five groups of four)", l);
		goto out;
	}
	paper_check(l, row, check);
	if (CRYPTO_memcmp(check, row + PAPER_BYTES, PAPER_CHECK) != 0)
		rc = err_set(e, RV_USAGE, "line %u of the paper key has a typo (its check digits "
			     "do not match): read it again", l);
out:
	wipe(digits, sizeof(digits));
	return rc;
}

int keystore_paper_line(unsigned line, const char *text, struct err *e)
{
	uint8_t row[PAPER_BYTES + PAPER_CHECK];
	int rc;

	if (line < 1 || line > PAPER_LINES)
		return err_set(e, RV_USAGE, "the paper key has %d lines, not %u", PAPER_LINES, line);
	rc = paper_row(line, text, row, e);
	wipe(row, sizeof(row));
	return rc;
}

int keystore_from_paper(const char *text, struct master_key *out, struct err *e)
{
	char *copy = xstrdup(text), *save = NULL, *line;
	unsigned l = 0;
	int rc = RV_OK;

	for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		uint8_t row[PAPER_BYTES + PAPER_CHECK];
		const char *p = line;

		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		if (l == PAPER_LINES) {
			rc = err_set(e, RV_USAGE, "the paper key has more than %d lines", PAPER_LINES);
			break;
		}
		rc = paper_row(l + 1, p, row, e);
		if (rc == RV_OK)
			memcpy(out->key + l * PAPER_BYTES, row, PAPER_BYTES);
		wipe(row, sizeof(row));
		if (rc != RV_OK)
			break;
		l++;
	}
	if (rc == RV_OK && l != PAPER_LINES)
		rc = err_set(e, RV_USAGE, "the paper key has %u lines, not %d", l, PAPER_LINES);
	wipe_free_str(copy);
	if (rc != RV_OK) {
		keystore_clear(out);
		return rc;
	}
	keystore_key_id(out->key, out->id);
	return RV_OK;
}
