/* util: the allocation family that aborts on exhaustion, secret wiping,
 * and small string helpers shared across core. */
#ifndef REVAULT_CORE_UTIL_H
#define REVAULT_CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <locale.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Wipes a secret so the compiler cannot drop the store. */
void wipe(void *p, size_t n);
/* Wipes a NUL-terminated secret string and frees it. */
void wipe_free_str(char *s);

/* Hex encoding for ids and fingerprints (lower case). out holds 2n+1. */
void hex_encode(const uint8_t *in, size_t n, char *out);
/* Returns the number of bytes decoded, or -1 on a non-hex digit or odd length. */
long hex_decode(const char *in, uint8_t *out, size_t cap);

bool str_has_prefix(const char *s, const char *prefix);

/* Seconds on the monotonic clock, for rates and timeouts. */
double mono_now(void);

/* Names in archives are UTF-8 in pax headers (or raw bytes, "hdrcharset=
 * BINARY"), whatever the process's locale: libarchive converts them with
 * the calling thread's locale, so archive work runs under C.UTF-8, which
 * maps bytes to bytes. Sets it for the calling thread only and returns
 * the locale to give back to util_utf8_end(). */
locale_t util_utf8_begin(void);
void util_utf8_end(locale_t old);

/* A file name from a backup, fit to print on one line, as GNU tar's
 * default "escape" quoting does: backslash as \\, newline, tab and
 * carriage return as \n \t \r, every other control byte (C0, DEL, the
 * C1 range U+0080-U+009F), every byte of an invisible format character
 * (Unicode category Cf: the bidirectional controls of UAX #9 such as
 * U+202E, zero-width characters, U+2028/U+2029) and every byte that is
 * not part of valid UTF-8 as \ooo (three octal digits). So a name can
 * never forge a line, send a terminal a control sequence or reorder what
 * it shows, and distinct names stay distinct.
 * Allocated. */
char *util_escape_name(const char *name);

/* Copies the text in into out (cap bytes, at least 4), as valid UTF-8
 * (RFC 3629): every byte that does not start a valid sequence (or starts a C1
 * control, U+0080-U+009F) becomes U+FFFD, the replacement character, and the copy is cut, when it must
 * be, only between characters. Always terminated. For text from outside
 * (a hook's output, a hand-edited record) bound for JSON or a screen. */
void util_utf8_copy(char *out, size_t cap, const char *in);

/* The longest length <= len at which s (len bytes or more of UTF-8) can be
 * cut without splitting a character: len itself unless a multi-byte
 * sequence straddles it. */
size_t util_utf8_cut(const char *s, size_t len);

/* True when s is valid UTF-8 (RFC 3629) with no C1 control (U+0080-
 * U+009F): text the settings file (YAML, UTF-8) can hold. */
bool util_utf8_valid(const char *s);

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
