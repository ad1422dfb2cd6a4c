/* secret: AES-256-GCM sealing of stored credentials under secret.key. */
#include "core/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/paths.h"
#include "core/util.h"

#define SKEY_LEN 32
#define NONCE_LEN 12
#define TAG_LEN 16
#define SECRET_MAX 4096

static int read_key(const char *path, uint8_t key[SKEY_LEN], struct err *e)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0 || st.st_size != SKEY_LEN) {
		close(fd);
		return err_set(e, RV_USAGE,
			       "%s must be a %d-byte file owned by you with mode 0600: fix it, or remove it and set the password again",
			       path, SKEY_LEN), -1;
	}
	n = read(fd, key, SKEY_LEN);
	close(fd);
	if (n != SKEY_LEN)
		return err_set(e, RV_FAIL, "cannot read %s", path), -1;
	return 0;
}

/* Loads the machine secret, creating it when create is set and it is missing. */
static int machine_key(const char *settings_path, bool create, uint8_t key[SKEY_LEN], struct err *e)
{
	char *path = paths_beside(settings_path, PATHS_SECRET_KEY);
	int rc = RV_OK, r;

	r = read_key(path, key, e);
	if (r == 0)
		goto out;
	if (r < 0) {
		rc = e->code;
		goto out;
	}
	if (r != ENOENT || !create) {
		rc = err_set(e, RV_USAGE, "cannot read %s (%s): set the password again with `revault password set`",
			     path, strerror(r));
		goto out;
	}
	if ((rc = paths_ensure_dir(settings_path, e)) != RV_OK)
		goto out;
	if (RAND_bytes(key, SKEY_LEN) != 1) {
		rc = err_set(e, RV_FAIL, "the system random generator failed");
		goto out;
	}
	rc = paths_write_new(path, key, SKEY_LEN, e);
out:
	if (rc != RV_OK)
		wipe(key, SKEY_LEN);
	free(path);
	return rc;
}

bool secret_is_sealed(const char *value)
{
	return value != NULL && str_has_prefix(value, SECRET_PREFIX);
}

char *secret_seal(const char *settings_path, const char *label, const char *plain, struct err *e)
{
	uint8_t key[SKEY_LEN], *buf = NULL;
	size_t plen = strlen(plain), blen = NONCE_LEN + plen + TAG_LEN;
	EVP_CIPHER_CTX *ctx = NULL;
	char *out = NULL;
	int len;

	if (plen > SECRET_MAX) {
		err_set(e, RV_USAGE, "secret is longer than %d bytes", SECRET_MAX);
		return NULL;
	}
	if (machine_key(settings_path, true, key, e) != RV_OK)
		return NULL;
	buf = xmalloc(blen);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL || RAND_bytes(buf, NONCE_LEN) != 1 ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, buf) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &len, (const uint8_t *)label, (int)strlen(label)) != 1 ||
	    EVP_EncryptUpdate(ctx, buf + NONCE_LEN, &len, (const uint8_t *)plain, (int)plen) != 1 ||
	    EVP_EncryptFinal_ex(ctx, buf + NONCE_LEN + len, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, buf + NONCE_LEN + plen) != 1) {
		err_set(e, RV_FAIL, "sealing the secret failed (OpenSSL)");
		goto out;
	}
	out = xmalloc(strlen(SECRET_PREFIX) + 4 * ((blen + 2) / 3) + 1);
	strcpy(out, SECRET_PREFIX);
	EVP_EncodeBlock((unsigned char *)out + strlen(SECRET_PREFIX), buf, (int)blen);
out:
	EVP_CIPHER_CTX_free(ctx);
	wipe(key, sizeof(key));
	free(buf);
	return out;
}

char *secret_open(const char *settings_path, const char *label, const char *sealed, struct err *e)
{
	uint8_t key[SKEY_LEN], *buf = NULL;
	const char *b64;
	size_t b64len;
	int blen, pad = 0, len;
	EVP_CIPHER_CTX *ctx = NULL;
	char *plain = NULL;

	/* The clear text must not end up in a core dump. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (!secret_is_sealed(sealed)) {
		err_set(e, RV_USAGE, "the stored %s is not sealed: set it again with `revault password set`", label);
		return NULL;
	}
	b64 = sealed + strlen(SECRET_PREFIX);
	b64len = strlen(b64);
	if (b64len % 4 != 0 || b64len > 4 * (SECRET_MAX + NONCE_LEN + TAG_LEN)) {
		err_set(e, RV_USAGE, "the stored %s is damaged: set it again", label);
		return NULL;
	}
	if (machine_key(settings_path, false, key, e) != RV_OK)
		return NULL;
	buf = xmalloc(b64len / 4 * 3 + 1);
	blen = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)b64len);
	if (b64len >= 1 && b64[b64len - 1] == '=')
		pad++;
	if (b64len >= 2 && b64[b64len - 2] == '=')
		pad++;
	blen -= pad;
	if (blen < NONCE_LEN + TAG_LEN) {
		err_set(e, RV_USAGE, "the stored %s is damaged: set it again", label);
		goto out;
	}
	plain = xmalloc((size_t)blen - NONCE_LEN - TAG_LEN + 1);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL || EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, buf) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &len, (const uint8_t *)label, (int)strlen(label)) != 1 ||
	    EVP_DecryptUpdate(ctx, (uint8_t *)plain, &len, buf + NONCE_LEN, blen - NONCE_LEN - TAG_LEN) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, buf + blen - TAG_LEN) != 1 ||
	    EVP_DecryptFinal_ex(ctx, (uint8_t *)plain + len, &len) != 1) {
		wipe(plain, (size_t)blen - NONCE_LEN - TAG_LEN);
		free(plain);
		plain = NULL;
		err_set(e, RV_USAGE,
			"the stored %s cannot be opened with this machine's secret.key (copied from another machine?): set it again",
			label);
		goto out;
	}
	plain[blen - NONCE_LEN - TAG_LEN] = '\0';
out:
	EVP_CIPHER_CTX_free(ctx);
	wipe(key, sizeof(key));
	if (buf != NULL)
		wipe(buf, b64len / 4 * 3 + 1);
	free(buf);
	return plain;
}
