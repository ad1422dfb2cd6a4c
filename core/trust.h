/* trust: the operator's answer to "trust this new host key?" put on record,
 * once for every front end: the answer is judged (fingerprint_answer_trusts),
 * the key added to the known hosts and the settings file saved. The front
 * ends only show the key and read the answer. */
#ifndef REVAULT_CORE_TRUST_H
#define REVAULT_CORE_TRUST_H

#include "core/err.h"
#include "core/settings.h"

struct hostkey; /* core/transport.h */

/* RV_OK when the answer trusts k and the settings holding it as a known
 * host of host:port are saved to settings_path; RV_HOSTKEY when the answer
 * does not trust it (nothing changes); else the save's error (the key
 * stays in s, unsaved). */
int trust_hostkey(struct settings *s, const char *settings_path, const char *host, unsigned port,
		  const struct hostkey *k, const char *answer, struct err *e);

#endif
