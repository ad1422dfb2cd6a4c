/* fingerprint: key type names and the three fingerprint forms operators
 * paste. Parsing is strict: a fingerprint either decodes to exactly the
 * right number of bytes and re-encodes to the same text, or it is refused
 * with the forms that would have been accepted. */
#include "core/fingerprint.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/transport.h"
#include "core/util.h"

#define SHA256_LEN 32
#define MD5_LEN 16

static const struct {
	const char *name;
	const char *canonical;
} types[] = {
	{ "ssh-ed25519", "ssh-ed25519" },
	{ "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256" },
	{ "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384" },
	{ "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521" },
	{ "ssh-rsa", "ssh-rsa" },
	{ "ssh-dss", "ssh-dss" },
	{ "ssh-dsa", "ssh-dss" }, /* the seed appliance's name for it */
};

const char *fingerprint_type(const char *name, struct err *e)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(types); i++) {
		if (strcasecmp(name, types[i].name) == 0)
			return types[i].canonical;
	}
	err_set(e, RV_USAGE,
		"unknown host key type \"%s\": use ssh-ed25519, ecdsa-sha2-nistp256, "
		"ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, ssh-rsa or ssh-dss (ssh-dsa)", name);
	return NULL;
}

/* SHA256:<base64 of 32 bytes>, padded or not. Returns 0 and the canonical
 * unpadded form, or -1. */
static int parse_sha256(const char *b64, char **out)
{
	char padded[48];
	unsigned char raw[36];
	unsigned char again[48];
	size_t n = strlen(b64);
	int got;

	if (n == 44 && b64[43] == '=')
		n = 43;
	if (n != 43)
		return -1;
	memcpy(padded, b64, 43);
	padded[43] = '=';
	padded[44] = '\0';
	got = EVP_DecodeBlock(raw, (const unsigned char *)padded, 44);
	if (got != 33) /* EVP_DecodeBlock counts the padding byte */
		return -1;
	/* Re-encode: catches stray characters EVP_DecodeBlock would skip and
	 * non-canonical final digits. */
	EVP_EncodeBlock(again, raw, SHA256_LEN);
	if (memcmp(again, padded, 44) != 0)
		return -1;
	*out = xasprintf("SHA256:%.43s", padded);
	return 0;
}

/* aa:bb:... (16 bytes). Returns 0 and "MD5:aa:bb:..." in lower case, or -1. */
static int parse_md5(const char *hex, char **out)
{
	char canon[4 + 3 * MD5_LEN];
	size_t i;

	if (strlen(hex) != 3 * MD5_LEN - 1)
		return -1;
	memcpy(canon, "MD5:", 4);
	for (i = 0; i < 3 * MD5_LEN - 1; i++) {
		char c = hex[i];

		if (i % 3 == 2) {
			if (c != ':')
				return -1;
		} else if (!isxdigit((unsigned char)c)) {
			return -1;
		}
		canon[4 + i] = (char)tolower((unsigned char)c);
	}
	canon[4 + i] = '\0';
	*out = xstrdup(canon);
	return 0;
}

int fingerprint_parse(const char *in, char **sha256, char **md5, struct err *e)
{
	int rc;

	*sha256 = NULL;
	*md5 = NULL;
	if (strncasecmp(in, "SHA256:", 7) == 0)
		rc = parse_sha256(in + 7, sha256);
	else if (strncasecmp(in, "MD5:", 4) == 0)
		rc = parse_md5(in + 4, md5);
	else
		rc = parse_md5(in, md5);
	if (rc == 0)
		return RV_OK;
	return err_set(e, RV_USAGE,
		       "fingerprint \"%.100s\" is not valid: expected SHA256: and 43 base64 characters, "
		       "or 16 colon-separated hex bytes (aa:bb:...), as `ssh-keygen -l` prints them", in);
}

/* OpenSSH asks the same way (a new key needs the word, or the fingerprint
 * it shows); nothing is trimmed or folded, so only a deliberate answer
 * trusts, and a fingerprint the library could not compute (an empty
 * string) can never be matched by an empty answer. */
bool fingerprint_answer_trusts(const struct hostkey *k, const char *answer)
{
	const char *hex;

	if (k == NULL || answer == NULL)
		return false;
	if (strcmp(answer, "yes") == 0)
		return true;
	if (strncmp(k->sha256, "SHA256:", 7) == 0 && k->sha256[7] != '\0' && strcmp(answer, k->sha256) == 0)
		return true;
	if (strncmp(k->md5, "MD5:", 4) != 0 || strlen(k->md5 + 4) != 3 * MD5_LEN - 1)
		return false;
	hex = strncasecmp(answer, "MD5:", 4) == 0 ? answer + 4 : answer;
	return strlen(hex) == 3 * MD5_LEN - 1 && strcasecmp(hex, k->md5 + 4) == 0;
}
