/* trust: deciding and storing a host key in one place. */
#include "core/trust.h"

#include <stdio.h>
#include <stdlib.h>

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

int trust_pin(struct settings *s, const char *settings_path, const char *hostport, const char *type,
	      const char *fingerprint, struct trust_pinned *out, struct err *e)
{
	char *host = NULL, *sha256 = NULL, *md5 = NULL;
	const char *canon = NULL;
	unsigned port;
	int rc;

	if ((rc = url_parse_hostport(hostport, &host, &port, URL_DEFAULT_PORT, e)) != RV_OK)
		return rc;
	if ((canon = fingerprint_type(type, e)) == NULL) {
		rc = e->code;
		goto out;
	}
	if ((rc = fingerprint_parse(fingerprint, &sha256, &md5, e)) != RV_OK)
		goto out;
	/* settings_known_host_add replaces the host's key of that type. */
	settings_known_host_add(s, host, port, canon, sha256, md5);
	if ((rc = settings_save(s, settings_path, e)) != RV_OK)
		goto out;
	out->type = canon;
	url_format_hostport(host, port, 0, out->where, sizeof(out->where));
	snprintf(out->fingerprint, sizeof(out->fingerprint), "%s", sha256 != NULL ? sha256 : md5);
	out->note = fingerprint_type_note(canon);
out:
	free(host);
	free(sha256);
	free(md5);
	return rc;
}
