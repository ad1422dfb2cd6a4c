/* url: where the server is. The server address sftp://[user@]host[:port]/dir
 * (IPv6 hosts in brackets), and a host with an optional port as an operator
 * types it for a pinned host key. Every front end reads and writes a host
 * and port through these functions, so one text means one host everywhere. */
#ifndef REVAULT_CORE_URL_H
#define REVAULT_CORE_URL_H

#include <stddef.h>

#include "core/err.h"

/* SSH's port, the port when a text names none. */
#define URL_DEFAULT_PORT 22
/* Room for any host and port url_format_hostport writes: a 253-byte name or
 * a 45-byte IPv6 address, brackets, ':' and five digits. */
#define URL_HOSTPORT_MAX 264

struct sftp_url {
	char *user; /* NULL when absent */
	char *host; /* without brackets */
	unsigned port; /* 22 when absent */
	char *dir;  /* absolute, or relative to the login directory when the URL
	             * says /~/dir; no trailing slash except "/" */
};

/* Reads s as sftp://[user@]host[:port]/dir. The user ends at the last '@'
 * before the path, as OpenSSH's parse_uri() splits it, so a user may hold
 * '@'; the user and the path are percent-decoded. The host follows the
 * rules of url_parse_hostport, except that an IPv6 address must be in
 * brackets (RFC 3986) and a name may not be. An empty user, host or port
 * is refused, not taken as "the default".
 * Errors: RV_USAGE with one line saying what is wrong and the form
 * expected; *u is then empty. */
int url_parse(const char *s, struct sftp_url *u, struct err *e);
void url_free(struct sftp_url *u);

/* Reads text as a host and port, by the rules of OpenSSH's known_hosts
 * (sshd(8)) and misc.c hpdelim()/put_host_port():
 *   host            a name or IPv4 address; the port is default_port
 *   host:port       port 1-65535 in decimal digits
 *   [addr]          an IPv6 address (or a name) in brackets
 *   [addr]:port
 *   addr            an IPv6 address without brackets, told apart by having
 *                   more than one ':' ("::1", "fe80::1"); all of it is the
 *                   address and the port is default_port
 * A name is letters, digits, '-', '.' and '_', at most 253 bytes, not
 * starting with '-' or '.'; an address is checked with inet_pton(3).
 * Refused: an empty text, host or port ("host:", ":22", "[]", "[::1]:"),
 * a '[' without ']', anything after ']' but ":port", a port that is 0,
 * above 65535 or not all digits, a user ("admin@host"), and a zone index
 * ("fe80::1%eth0"): it names an interface of the machine it is typed on,
 * a URL would have to write it as %25, and a pin is matched by its exact
 * text, so revault takes link-local servers by name or global address only.
 * Outputs: *host (allocated, without brackets) and *port on RV_OK; *host is
 * NULL otherwise. Pass host NULL to check only.
 * Errors: RV_USAGE with one line quoting text, saying what is wrong and
 * giving the forms expected. */
int url_parse_hostport(const char *text, char **host, unsigned *port, unsigned default_port,
		       struct err *e);

/* Writes host and port in the form url_parse_hostport reads back to the
 * same host and port given the same default_port: the port is left out
 * when it equals default_port (as OpenSSH's put_host_port() leaves out
 * 22), an IPv6 address then stands bare ("::1"); otherwise "host:port", or
 * "[addr]:port" for an IPv6 address. default_port 0 always writes the port,
 * for messages about a connection ("[::1]:22", "files.example.com:22").
 * Hints that tell the operator what to type pass URL_DEFAULT_PORT.
 * Outputs: buf (truncated to cap, which URL_HOSTPORT_MAX always fits);
 * returns buf, so a call can stand in a printf argument list. */
const char *url_format_hostport(const char *host, unsigned port, unsigned default_port, char *buf,
				size_t cap);

#endif
