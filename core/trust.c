/* trust: deciding and storing a first-use host key in one place. */
#include "core/trust.h"

#include "core/fingerprint.h"
#include "core/transport.h"

int trust_hostkey(struct settings *s, const char *settings_path, const char *host, unsigned port,
		  const struct hostkey *k, const char *answer, struct err *e)
{
	if (!fingerprint_answer_trusts(k, answer))
		return err_set(e, RV_HOSTKEY, "the host key of %s port %u was not accepted", host, port);
	settings_known_host_add(s, host, port, k->type, k->sha256, k->md5);
	return settings_save(s, settings_path, e);
}
