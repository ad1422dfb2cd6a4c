/* url: parsing sftp://[user@]host[:port]/dir. Percent escapes are decoded
 * in the user and the path; "/~/dir" means a directory relative to the
 * login directory, as curl and OpenSSH's sftp take it. */
#include "core/url.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define URL_HELP "expected sftp://[user@]host[:port]/directory"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes %XX; refuses control characters and NUL, which no path needs. */
static char *decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			c = (unsigned char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		}
		if (c < 0x20 || c == 0x7f) {
			free(out);
			return NULL;
		}
		*o++ = (char)c;
	}
	*o = '\0';
	return out;
}

static bool valid_hostname(const char *h, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (!isalnum(c) && c != '-' && c != '.' && c != '_')
			return false;
	}
	return h[0] != '-' && h[0] != '.';
}

static bool valid_ipv6(const char *h, size_t n)
{
	if (n < 2 || n > 45)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (!isxdigit(c) && c != ':' && c != '.')
			return false;
	}
	return memchr(h, ':', n) != NULL;
}

int url_parse(const char *s, struct sftp_url *u, struct err *e)
{
	const char *p, *at, *host, *hend, *slash;
	size_t hlen;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(s, "sftp://", 7) != 0)
		return err_set(e, RV_USAGE, "server URL \"%s\" does not start with sftp://: " URL_HELP, s);
	p = s + 7;
	slash = strchr(p, '/');
	if (slash == NULL)
		return err_set(e, RV_USAGE, "server URL \"%s\" has no directory: " URL_HELP, s);
	at = memchr(p, '@', (size_t)(slash - p));
	/* The last '@' before the path separates the user: a user may hold '@' only escaped. */
	if (at != NULL) {
		if (at == p)
			return err_set(e, RV_USAGE, "server URL \"%s\" has an empty user name before '@': " URL_HELP, s);
		if (memchr(p, ':', (size_t)(at - p)) != NULL)
			return err_set(e, RV_USAGE, "server URL must not hold a password: set it with `revault password set`");
		u->user = decode(p, (size_t)(at - p));
		if (u->user == NULL)
			goto bad;
		p = at + 1;
	}
	host = p;
	if (*host == '[') {
		hend = memchr(host, ']', (size_t)(slash - host));
		if (hend == NULL)
			return url_free(u), err_set(e, RV_USAGE, "server URL \"%s\": IPv6 address lacks its closing ']'", s);
		if (!valid_ipv6(host + 1, (size_t)(hend - host - 1)))
			return url_free(u), err_set(e, RV_USAGE, "server URL \"%s\": \"%.*s\" is not an IPv6 address", s,
						   (int)(hend - host - 1), host + 1);
		u->host = xstrndup(host + 1, (size_t)(hend - host - 1));
		p = hend + 1;
	} else {
		hend = host;
		while (hend < slash && *hend != ':')
			hend++;
		hlen = (size_t)(hend - host);
		if (hlen == 0)
			return url_free(u), err_set(e, RV_USAGE, "server URL \"%s\" has no host: " URL_HELP, s);
		if (!valid_hostname(host, hlen))
			return url_free(u), err_set(e, RV_USAGE, "server URL \"%s\": \"%.*s\" is not a host name or address",
						   s, (int)hlen, host);
		u->host = xstrndup(host, hlen);
		p = hend;
	}
	u->port = 22;
	if (*p == ':') {
		char *end;
		long port;

		p++;
		if (!isdigit((unsigned char)*p))
			return url_free(u), err_set(e, RV_USAGE, "server URL \"%s\": the port must be a number from 1 to 65535", s);
		port = strtol(p, &end, 10);
		if (end != slash || port < 1 || port > 65535)
			return url_free(u), err_set(e, RV_USAGE, "server URL \"%s\": the port must be a number from 1 to 65535", s);
		u->port = (unsigned)port;
		p = end;
	}
	if (p != slash)
		return url_free(u), err_set(e, RV_USAGE, "server URL \"%s\": unexpected \"%.*s\" after the host: " URL_HELP,
					   s, (int)(slash - p), p);
	if (strchr(slash, '?') != NULL || strchr(slash, '#') != NULL)
		return url_free(u), err_set(e, RV_USAGE, "server URL \"%s\": a directory cannot hold '?' or '#' (write them as %%3F, %%23)", s);
	if (strncmp(slash, "/~", 2) == 0 && (slash[2] == '/' || slash[2] == '\0')) {
		/* Relative to the login directory. */
		const char *rel = slash[2] == '\0' ? "." : slash + 3;

		u->dir = decode(rel, strlen(rel));
		if (u->dir != NULL && u->dir[0] == '\0') {
			free(u->dir);
			u->dir = xstrdup(".");
		}
	} else {
		u->dir = decode(slash, strlen(slash));
	}
	if (u->dir == NULL)
		goto bad;
	/* No trailing slash, so paths join with one. */
	for (size_t n = strlen(u->dir); n > 1 && u->dir[n - 1] == '/'; n--)
		u->dir[n - 1] = '\0';
	return RV_OK;
bad:
	url_free(u);
	return err_set(e, RV_USAGE, "server URL \"%s\" holds a control character: " URL_HELP, s);
}

void url_free(struct sftp_url *u)
{
	free(u->user);
	free(u->host);
	free(u->dir);
	memset(u, 0, sizeof(*u));
}
