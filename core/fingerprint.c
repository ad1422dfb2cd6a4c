/* fingerprint: key type names and the three fingerprint forms operators
 * paste. Parsing is strict: a fingerprint either decodes to exactly the
 * right number of bytes and re-encodes to the same text, or it is refused
 * with the forms that would have been accepted. */
#include "core/fingerprint.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libssh2.h>
#include <openssl/evp.h>

#include "core/transport.h"
#include "core/util.h"

#define SHA256_LEN 32
#define MD5_LEN 16

/* Where each server keeps a host key of a type: OpenSSH's
 * ssh_host_<openssh>_key.pub and Dropbear's dropbear_<dropbear>_host_key. */
#define OPENSSH_KEY(stem) "/etc/ssh/ssh_host_" stem "_key.pub"
#define DROPBEAR_KEY(stem) "/etc/dropbear/dropbear_" stem "_host_key"
#define OPENSSH_CMD "ssh-keygen -l -f "
#define DROPBEAR_CMD "dropbearkey -y -f "

static const struct {
	const char *name;
	const char *canonical;
	const char *openssh, *dropbear; /* the file names' stems */
} types[] = {
	{ "ssh-ed25519", "ssh-ed25519", "ed25519", "ed25519" },
	{ "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", "ecdsa", "ecdsa" },
	{ "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", "ecdsa", "ecdsa" },
	{ "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521", "ecdsa", "ecdsa" },
	{ "ssh-rsa", "ssh-rsa", "rsa", "rsa" },
	{ "ssh-dss", "ssh-dss", "dsa", "dss" },
	{ "ssh-dsa", "ssh-dss", "dsa", "dss" }, /* the seed appliance's name for it */
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

const char *fingerprint_type_at(size_t i)
{
	for (size_t t = 0; t < ARRAY_LEN(types); t++) {
		if (strcmp(types[t].name, types[t].canonical) != 0)
			continue;
		if (i-- == 0)
			return types[t].canonical;
	}
	return NULL;
}

/* libssh2 before 1.11 has no rsa-sha2: it signs and verifies RSA keys with
 * SHA-1 alone, which OpenSSH stopped accepting by default in 8.8. The pin
 * is still taken (other servers accept it); the operator is told once,
 * where it is put on record, rather than at the first backup. */
#if LIBSSH2_VERSION_NUM < 0x010b00
static const char rsa_note[] =
	"an ssh-rsa key works only with servers that accept SHA-1:\n"
	"OpenSSH 8.8 and later refuse the SHA-1 signatures this build\n"
	"(libssh2 " LIBSSH2_VERSION ") uses with RSA keys unless told to accept them\n"
	"(HostKeyAlgorithms +ssh-rsa); Dropbear 2022 and AsyncSSH still\n"
	"accept them. To pin the server's ed25519 or ecdsa key instead,\n"
	"read its fingerprint on the server:\n"
	"OpenSSH:  " OPENSSH_CMD OPENSSH_KEY("ed25519") "\n"
	"Dropbear: " DROPBEAR_CMD DROPBEAR_KEY("ed25519") "\n"
	"or ask for it over a network you trust:\n"
	"ssh-keyscan -t ed25519 HOST | ssh-keygen -lf -";
#endif

const char *fingerprint_type_note(const char *type)
{
#if LIBSSH2_VERSION_NUM < 0x010b00
	if (type != NULL && strcmp(type, "ssh-rsa") == 0)
		return rsa_note;
#else
	(void)type;
#endif
	return NULL;
}

const char *fingerprint_server_hint(const char *type, const char *indent, char *buf, size_t cap)
{
	const char *openssh = "*", *dropbear = "*";

	for (size_t i = 0; type != NULL && i < ARRAY_LEN(types); i++) {
		if (strcmp(type, types[i].name) == 0) {
			openssh = types[i].openssh;
			dropbear = types[i].dropbear;
			break;
		}
	}
	snprintf(buf, cap,
		 "%sOpenSSH:  " OPENSSH_CMD OPENSSH_KEY("%s") "\n"
		 "%sDropbear: " DROPBEAR_CMD DROPBEAR_KEY("%s"),
		 indent, openssh, indent, dropbear);
	return buf;
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
		       "or 16 colon-separated hex bytes (aa:bb:...), as `ssh-keygen -l` or `dropbearkey -y` "
		       "prints them", in);
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
