/* Everything an operator types that core parses: URLs, host key types and
 * fingerprints, the paper key. Refuse or accept, never crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/fingerprint.h"
#include "core/keystore.h"
#include "core/url.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	struct sftp_url u;
	struct master_key k;
	struct err e = { 0 };
	char *sha, *md5;

	if (url_parse(s, &u, &e) == RV_OK)
		url_free(&u);
	err_clear(&e);
	(void)fingerprint_type(s, &e);
	err_clear(&e);
	if (fingerprint_parse(s, &sha, &md5, &e) == RV_OK) {
		/* The canonical form parses to itself. */
		char *again = sha ? sha : md5, *sha2, *md52;

		if (fingerprint_parse(again, &sha2, &md52, &e) != RV_OK ||
		    strcmp(sha2 ? sha2 : md52, again) != 0)
			abort();
		free(sha2);
		free(md52);
	}
	free(sha);
	free(md5);
	err_clear(&e);
	(void)keystore_from_paper(s, &k, &e);
	free(s);
	return 0;
}
