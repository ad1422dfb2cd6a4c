/* bwlimit: the bandwidth cap (backup.bandwidth). A rate, or a table of
 * rates by time of day, read from the setting; and a token bucket that
 * the transport asks before it puts bytes on the wire, so that uploads
 * and downloads alike keep to the rate in force, with never more than
 * one second's worth at once. Its clocks are given, so it is tested
 * without waiting. */
#ifndef REVAULT_CORE_BWLIMIT_H
#define REVAULT_CORE_BWLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define BWLIMIT_MAX_ENTRIES 24
/* The slowest cap taken (bytes per second): 8kbit. */
#define BWLIMIT_MIN_RATE 1000
/* What the setting takes, for every message that refuses one. */
#define BWLIMIT_FORMS "a rate like 512k or 2M (bytes per second, k = 1024), 16Mbit (bits per second), " \
	"off, or a day table like \"08:00,512k 18:00,off\""

struct bwlimit_entry {
	unsigned second;  /* of the local day it starts at, 0..86399 */
	uint64_t rate;    /* bytes per second; 0: no cap */
};

/* A plain rate (or off) is a table of one entry at 00:00. */
struct bwlimit_table {
	struct bwlimit_entry entry[BWLIMIT_MAX_ENTRIES];
	size_t n;
};

/* Reads the setting's text: a rate (core/units.h units_parse_rate, at
 * least BWLIMIT_MIN_RATE), "off", or up to BWLIMIT_MAX_ENTRIES entries
 * "HH:MM,RATE" separated by blanks, in increasing time. RV_USAGE with one
 * line naming the wrong part and BWLIMIT_FORMS. */
int bwlimit_parse(const char *text, struct bwlimit_table *out, struct err *e);
/* The rate in force at a second of the local day (0..86399): the entry
 * with the latest start at or before it, else the day's last entry (the
 * table wraps from the previous day). Bytes per second, 0: no cap. */
uint64_t bwlimit_rate_at(const struct bwlimit_table *t, unsigned second);
/* True when no entry caps anything. */
int bwlimit_is_off(const struct bwlimit_table *t);

/* The clocks a limiter reads: monotonic seconds for the bucket, and the
 * second of the local day (0..86399) for the table. */
struct bwlimit_clock {
	double (*mono)(void *arg);
	unsigned (*day_second)(void *arg);
	void *arg;
};

struct bwlimit;

/* A limiter over table t (copied), reading clock (copied; NULL: the
 * system's monotonic clock and local time). It starts empty: the first
 * bytes wait for their share like the others. */
struct bwlimit *bwlimit_new(const struct bwlimit_table *t, const struct bwlimit_clock *clock);
void bwlimit_free(struct bwlimit *b);
/* Takes leave to move up to want bytes now, and returns how many (0..want).
 * No cap in force: want. Otherwise the bucket fills at the rate in force
 * (looked up again at each call, so a table's change takes effect during a
 * transfer) and holds at most one second's worth; bytes are given once
 * min(want, 1/16 s worth) are in it, so that packets are not tiny. On 0,
 * *wake is the monotonic time (seconds) when asking again gives some. */
size_t bwlimit_take(struct bwlimit *b, size_t want, double *wake);
/* The piece of the rate in force at the last bwlimit_take: 1/16 s worth
 * (bytes), SIZE_MAX when no cap was in force. A reader whose library asks
 * ahead of it (libssh2: four times a read) asks at most a quarter of it,
 * so that what it did not take yet stays within the piece. */
size_t bwlimit_piece(const struct bwlimit *b);
/* Gives back bytes taken and not moved (a read answered short). */
void bwlimit_give_back(struct bwlimit *b, size_t n);
/* From any thread (a cancel): from now on bwlimit_stopped is true, and
 * the transport lets no more bytes go under the cap, ending the transfer
 * at the first point where nothing is in flight, as a cancel does, rather
 * than after what is buffered has crept out at the capped rate. */
void bwlimit_stop(struct bwlimit *b);
bool bwlimit_stopped(struct bwlimit *b);

#endif
