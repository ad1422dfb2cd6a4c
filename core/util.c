/* util: allocation, wiping, hex. Out of memory aborts here, in one place. */
#include "core/util.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void oom(void)
{
	fputs("revault: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	va_end(ap);
	return s;
}

void wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

void wipe_free_str(char *s)
{
	if (s == NULL)
		return;
	wipe(s, strlen(s));
	free(s);
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long hex_decode(const char *in, uint8_t *out, size_t cap)
{
	size_t len = strlen(in);

	if (len % 2 != 0 || len / 2 > cap)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hex_value(in[2 * i]), lo = hex_value(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(len / 2);
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static locale_t utf8_locale;

static void make_utf8_locale(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

locale_t util_utf8_begin(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, make_utf8_locale);
	return utf8_locale != (locale_t)0 ? uselocale(utf8_locale) : (locale_t)0;
}

void util_utf8_end(locale_t old)
{
	if (old != (locale_t)0)
		uselocale(old);
}

/* Length of the valid UTF-8 sequence at p that is not a C1 control, or 0
 * (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF). */
/* Unicode format characters (general category Cf) and the line and
 * paragraph separators: invisible, they make two names look alike, and
 * the bidirectional ones (Unicode UAX #9, "Explicit Directional
 * Formatting Characters"; CVE-2021-42574, "Trojan Source") reorder the
 * rest of a line as a terminal shows it. */
static bool invisible_format(unsigned cp)
{
	return cp == 0xad || (cp >= 0x600 && cp <= 0x605) || cp == 0x61c || cp == 0x6dd || cp == 0x70f ||
	       cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) ||
	       (cp >= 0x1d173 && cp <= 0x1d17a) || (cp >= 0xe0000 && cp <= 0xe007f);
}

static size_t utf8_printable(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n;
	unsigned cp;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f) || invisible_format(cp))
		return 0;
	return n;
}

char *util_escape_name(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t len = strlen(name), o = 0;
	char *out = xmalloc(len * 4 + 1);

	while (*p != '\0') {
		size_t n;

		if (*p == '\\' || *p == '\n' || *p == '\t' || *p == '\r') {
			out[o++] = '\\';
			out[o++] = *p == '\\' ? '\\' : *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
			p++;
		} else if (*p >= 0x20 && *p < 0x7f) {
			out[o++] = (char)*p++;
		} else if (*p >= 0x80 && (n = utf8_printable(p)) > 0) {
			memcpy(out + o, p, n);
			o += n;
			p += n;
		} else {
			o += (size_t)sprintf(out + o, "\\%03o", *p++);
		}
	}
	out[o] = '\0';
	return out;
}

void util_utf8_copy(char *out, size_t cap, const char *in)
{
	static const char replacement[] = "\xEF\xBF\xBD";
	const unsigned char *p = (const unsigned char *)in;
	size_t len = 0;

	while (*p != '\0') {
		size_t n = *p < 0x80 ? 1 : utf8_printable(p);
		const char *from = n > 0 ? (const char *)p : replacement;
		size_t take = n > 0 ? n : 3;

		if (len + take >= cap)
			break;
		memcpy(out + len, from, take);
		len += take;
		p += n > 0 ? n : 1;
	}
	out[len] = '\0';
}

bool util_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		size_t n = *p < 0x80 ? 1 : utf8_printable(p);

		if (n == 0)
			return false;
		p += n;
	}
	return true;
}

size_t util_utf8_cut(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t back = 0, need;

	while (back < 3 && back < len && (p[len - 1 - back] & 0xC0) == 0x80)
		back++;
	if (back == len || p[len - 1 - back] < 0xC0)
		return len;
	need = p[len - 1 - back] >= 0xF0 ? 4 : p[len - 1 - back] >= 0xE0 ? 3 : 2;
	return back + 1 < need ? len - 1 - back : len;
}
