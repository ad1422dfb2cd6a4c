/* url: the server address, sftp://[user@]host[:port]/dir, with IPv6 hosts
 * in brackets. */
#ifndef REVAULT_CORE_URL_H
#define REVAULT_CORE_URL_H

#include "core/err.h"

struct sftp_url {
	char *user; /* NULL when absent */
	char *host; /* without brackets */
	unsigned port; /* 22 when absent */
	char *dir;  /* absolute, or relative to the login directory when the URL
	             * says /~/dir; no trailing slash except "/" */
};

/* RV_USAGE with a message saying what was expected on malformed input. */
int url_parse(const char *s, struct sftp_url *u, struct err *e);
void url_free(struct sftp_url *u);

#endif
