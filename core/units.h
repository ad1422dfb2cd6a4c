/* units: sizes, rates and durations written for people, in one convention
 * for the command line, the text interface and the job summaries. Sizes
 * are IEC binary multiples (powers of 1024: KiB, MiB, GiB, TiB), bytes
 * below a KiB and one decimal above, as OpenSSH's progress meter counts;
 * durations are MM:SS, or H:MM:SS from an hour on. */
#ifndef REVAULT_CORE_UNITS_H
#define REVAULT_CORE_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Room for any of the three with its NUL, up to "16777216.0 TiB/s". */
#define UNITS_MAX 24

/* "734 B", "1.5 MiB" */
void units_bytes(uint64_t n, char *buf, size_t cap);
/* Bytes per second: "1.5 MiB/s"; a negative rate is written as 0. */
void units_rate(double bytes_per_second, char *buf, size_t cap);
/* "02:03", "1:02:03"; "--:--" when unknown (negative) or beyond 99 hours. */
void units_duration(double seconds, char *buf, size_t cap);

/* A transfer rate as an operator writes it, read into bytes per second:
 * a whole number of bytes ("65536"), of binary multiples of bytes
 * ("512k", "2M", "1G": k = 1024, as rsync
 * --bwlimit and curl --limit-rate count), or of decimal multiples of
 * bits ("16Mbit", "800kbit", "1Gbit": k = 1000, as links are sold).
 * Letters are case-insensitive. Returns 0, or -1 when the text is none
 * of these or the rate exceeds UNITS_RATE_MAX; the caller words the
 * error. */
#define UNITS_RATE_MAX (UINT64_C(1) << 40) /* bytes per second */
int units_parse_rate(const char *text, uint64_t *bytes_per_second);

#endif
