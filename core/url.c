/* url: parsing sftp://[user@]host[:port]/dir, and host[:port] alone.
 * Percent escapes are decoded in the user and the path; "/~/dir" means a
 * directory relative to the login directory, as curl and OpenSSH's sftp
 * take it. The host and port are read by one function for both forms. */
#include "core/url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

#define URL_HELP "expected sftp://[user@]host[:port]/directory"
#define HOSTPORT_HELP "expected HOST, HOST:PORT, [IPv6-ADDRESS]:PORT or a bare IPv6 address"
#define HOST_MAX 253

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
	if (n == 0 || n > HOST_MAX)
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
	char buf[64];
	unsigned char addr[16];

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, h, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, addr) == 1;
}

/* What split_hostport found wrong, for the caller to put in its own words. */
struct why {
	char text[ERR_MSG_MAX / 2];
};

static int why_set(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int why_set(struct why *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->text, sizeof(w->text), fmt, ap);
	va_end(ap);
	return -1;
}

/* "22" → 22; digits only, 1-65535. */
static int parse_port(const char *s, size_t n, unsigned *port, struct why *w)
{
	unsigned long v = 0;

	if (n == 0)
		return why_set(w, "the port after ':' is empty");
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return why_set(w, "the port must be a number from 1 to 65535, not \"%.*s\"", (int)n, s);
		if (v <= 65535)
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return why_set(w, "the port must be a number from 1 to 65535, not \"%.*s\"", (int)n, s);
	*port = (unsigned)v;
	return 0;
}

/* The host check both forms share: a name, or an IPv6 address where v6. */
static int check_host(const char *h, size_t n, bool v6, struct why *w)
{
	const char *pct = memchr(h, '%', n);

	if (n == 0)
		return why_set(w, "the host is empty");
	if (v6 && pct != NULL)
		return why_set(w, "a zone index (\"%.*s\") is not supported: use the server's name or a "
			       "global address", (int)(n - (size_t)(pct - h)), pct);
	if (v6 ? !valid_ipv6(h, n) : !valid_hostname(h, n))
		return why_set(w, v6 ? "\"%.*s\" is not an IPv6 address"
				     : "\"%.*s\" is not a host name or address (letters, digits, '-', '.', '_')",
			       (int)n, h);
	return 0;
}

/* Reads s[0..n) as host[:port] (see url.h). in_url: IPv6 only in brackets
 * and only IPv6 in brackets, as RFC 3986 has it; otherwise a bare IPv6
 * address stands for itself and a name may be bracketed, as OpenSSH's
 * known_hosts has it. */
static int split_hostport(const char *s, size_t n, bool in_url, char **host, unsigned *port,
			  unsigned default_port, struct why *w)
{
	const char *end = s + n, *h, *colon = NULL;
	size_t hlen;
	bool v6;

	*host = NULL;
	*port = default_port;
	if (n == 0)
		return why_set(w, "no host is given");
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (close == NULL)
			return why_set(w, "'[' has no closing ']'");
		h = s + 1;
		hlen = (size_t)(close - h);
		if (hlen == 0)
			return why_set(w, "there is no address between '[' and ']'");
		if (close + 1 < end) {
			if (close[1] != ':')
				return why_set(w, "\"%.*s\" after ']' (a port is written [ADDRESS]:PORT)",
					       (int)(end - close - 1), close + 1);
			colon = close + 1;
		}
		/* A bracketed name is OpenSSH's known_hosts form; a URL keeps
		 * brackets for IPv6. */
		v6 = in_url || memchr(h, ':', hlen) != NULL;
	} else {
		const char *first = memchr(s, ':', n);

		h = s;
		if (first != NULL && memchr(first + 1, ':', (size_t)(end - first - 1)) != NULL) {
			if (in_url)
				return why_set(w, "an IPv6 address is written in brackets, [ADDRESS]");
			v6 = true; /* a bare IPv6 address: no port */
		} else {
			colon = first;
			v6 = false;
		}
		hlen = colon != NULL ? (size_t)(colon - s) : n;
		if (hlen == 0)
			return why_set(w, "the host before ':' is empty");
	}
	if (memchr(h, '@', hlen) != NULL && !in_url)
		return why_set(w, "a host key is pinned for a host, not a user: leave out \"%.*s\"",
			       (int)((const char *)memchr(h, '@', hlen) - h + 1), h);
	if (check_host(h, hlen, v6, w) != 0)
		return -1;
	if (colon != NULL && parse_port(colon + 1, (size_t)(end - colon - 1), port, w) != 0)
		return -1;
	*host = xstrndup(h, hlen);
	return 0;
}

int url_parse_hostport(const char *text, char **host, unsigned *port, unsigned default_port,
		       struct err *e)
{
	struct why w;
	char *h = NULL;
	int rc;

	if (host != NULL)
		*host = NULL;
	rc = split_hostport(text, strlen(text), false, &h, port, default_port, &w);
	if (rc != 0)
		return err_set(e, RV_USAGE, "\"%s\" is not a host: %s; " HOSTPORT_HELP, text, w.text);
	if (host != NULL)
		*host = h;
	else
		free(h);
	return RV_OK;
}

const char *url_format_hostport(const char *host, unsigned port, unsigned default_port, char *buf,
				size_t cap)
{
	bool v6 = strchr(host, ':') != NULL;

	if (port == default_port)
		snprintf(buf, cap, "%s", host);
	else
		snprintf(buf, cap, v6 ? "[%s]:%u" : "%s:%u", host, port);
	return buf;
}

int url_parse(const char *s, struct sftp_url *u, struct err *e)
{
	const char *p, *at, *slash;
	struct why w;

	memset(u, 0, sizeof(*u));
	if (strncasecmp(s, "sftp://", 7) != 0)
		return err_set(e, RV_USAGE, "server URL \"%s\" does not start with sftp://: " URL_HELP, s);
	p = s + 7;
	slash = strchr(p, '/');
	if (slash == NULL)
		return err_set(e, RV_USAGE, "server URL \"%s\" has no directory: " URL_HELP, s);
	/* The last '@' before the path ends the user, as OpenSSH's parse_uri()
	 * splits it: a user may hold '@', a host never does. */
	at = NULL;
	for (const char *q = p; q < slash; q++)
		if (*q == '@')
			at = q;
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
	if (split_hostport(p, (size_t)(slash - p), true, &u->host, &u->port, URL_DEFAULT_PORT, &w) != 0) {
		url_free(u);
		return err_set(e, RV_USAGE, "server URL \"%s\": %s: " URL_HELP, s, w.text);
	}
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
