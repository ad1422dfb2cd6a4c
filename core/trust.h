/* trust: a host key put on record, once for every front end. A first-use
 * key: the operator's answer judged (fingerprint_answer_trusts), the key
 * added to the known hosts and the settings file saved. A pin typed by
 * the operator: host, type and fingerprint read the one way, the key put
 * in place of the host's key of that type and the file saved. The front
 * ends only show the key, read the answer or the pin, and show what
 * trusting it means (fingerprint_type_note). */
#ifndef REVAULT_CORE_TRUST_H
#define REVAULT_CORE_TRUST_H

#include "core/err.h"
#include "core/settings.h"
#include "core/url.h"

struct hostkey; /* core/transport.h */

/* RV_OK when the answer trusts k and the settings holding it as a known
 * host of host:port are saved to settings_path; RV_HOSTKEY when the answer
 * does not trust it (nothing changes); else the save's error (the key
 * stays in s, unsaved). */
int trust_hostkey(struct settings *s, const char *settings_path, const char *host, unsigned port,
		  const struct hostkey *k, const char *answer, struct err *e);

/* What trust_pin put on record, for the front end to say. */
struct trust_pinned {
	const char *type;             /* canonical name (static) */
	char where[URL_HOSTPORT_MAX]; /* host:port, the port always written */
	char fingerprint[64];         /* as stored: SHA256:... or MD5:... */
	const char *note;             /* fingerprint_type_note(type): NULL or a warning */
};

/* Pins a key obtained out of band, as `revault knownhost add`, the
 * console's `security ssh knownhost` and Known hosts -> Add take it:
 * hostport by url_parse_hostport (port 22 when it names none), type by
 * fingerprint_type, fingerprint by fingerprint_parse, checked in that
 * order; the host's key of that type, in either form, is replaced.
 * RV_OK when the settings holding it are saved to settings_path, with
 * *out filled; RV_USAGE with the reason when a part is malformed (nothing
 * changes); else the save's error (the pin stays in s, unsaved). */
int trust_pin(struct settings *s, const char *settings_path, const char *hostport, const char *type,
	      const char *fingerprint, struct trust_pinned *out, struct err *e);

#endif
