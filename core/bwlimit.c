/* bwlimit: a token bucket whose rate comes from a table by time of day. */
#include "core/bwlimit.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/units.h"
#include "core/util.h"

/* Bytes are given in pieces of at least this part of a second's worth
 * (when that many are wanted): small enough to keep the flow smooth,
 * large enough that SFTP packets are not tiny. */
#define PIECE_PER_SECOND 16

struct bwlimit {
	struct bwlimit_table table;
	struct bwlimit_clock clock;
	uint64_t rate;  /* in force at the last call; 0: no cap */
	double tokens;  /* bytes that may go now */
	double last;    /* monotonic seconds of the last fill */
	atomic_bool stopped;
};

static int parse_rate(const char *text, uint64_t *rate, struct err *e)
{
	if (strcasecmp(text, "off") == 0) {
		*rate = 0;
		return RV_OK;
	}
	if (units_parse_rate(text, rate) == 0 && *rate >= BWLIMIT_MIN_RATE)
		return RV_OK;
	/* Why, so that the line says what to change. */
	{
		size_t digits = strspn(text, "0123456789");
		const char *why;

		if (digits > 0 && (text[digits] == '.' || text[digits] == ','))
			why = "has a fraction; write it in whole units (1536k, not 1.5M)";
		else if (units_parse_rate(text, rate) == 0)
			why = "is less than 1000 bytes per second, the smallest cap (8kbit)";
		else if (digits > 0 && units_parse_rate(text + digits - 1, rate) == 0)
			why = "is more than the largest cap, 1 TiB per second"; /* a valid form, too many */
		else
			why = "is not a rate";
		return err_set(e, RV_USAGE, "backup.bandwidth: \"%.40s\" %s; use %s", text, why, BWLIMIT_FORMS);
	}
}

/* "HH:MM" into a second of the day. */
static int parse_time(const char *text, size_t len, unsigned *second)
{
	unsigned h, m;

	if (len != 5 || text[2] != ':')
		return -1;
	for (size_t i = 0; i < 5; i++)
		if (i != 2 && (text[i] < '0' || text[i] > '9'))
			return -1;
	h = (unsigned)(text[0] - '0') * 10 + (unsigned)(text[1] - '0');
	m = (unsigned)(text[3] - '0') * 10 + (unsigned)(text[4] - '0');
	if (h > 23 || m > 59)
		return -1;
	*second = h * 3600 + m * 60;
	return 0;
}

int bwlimit_parse(const char *text, struct bwlimit_table *out, struct err *e)
{
	const char *p = text;

	memset(out, 0, sizeof(*out));
	p += strspn(p, " \t");
	if (*p == '\0')
		return err_set(e, RV_USAGE, "backup.bandwidth needs a value: %s", BWLIMIT_FORMS);
	if (strchr(p, ',') == NULL) {
		char word[64];
		size_t len = strcspn(p, " \t");

		if (p[len + strspn(p + len, " \t")] != '\0' || len >= sizeof(word))
			return err_set(e, RV_USAGE, "backup.bandwidth: \"%.40s\" is not one rate; use %s", text,
				       BWLIMIT_FORMS);
		memcpy(word, p, len);
		word[len] = '\0';
		out->n = 1;
		return parse_rate(word, &out->entry[0].rate, e);
	}
	while (*p != '\0') {
		size_t len = strcspn(p, " \t");
		const char *comma = memchr(p, ',', len);
		char rate[64];
		struct bwlimit_entry *en;

		if (out->n == BWLIMIT_MAX_ENTRIES)
			return err_set(e, RV_USAGE, "backup.bandwidth has more than %d entries; use %s",
				       BWLIMIT_MAX_ENTRIES, BWLIMIT_FORMS);
		en = &out->entry[out->n];
		if (comma == NULL || parse_time(p, (size_t)(comma - p), &en->second) != 0)
			return err_set(e, RV_USAGE, "backup.bandwidth: \"%.*s\" is not TIME,RATE with TIME as HH:MM "
				       "(00:00-23:59); use %s", (int)(len < 40 ? len : 40), p, BWLIMIT_FORMS);
		if ((size_t)(p + len - comma - 1) >= sizeof(rate))
			return err_set(e, RV_USAGE, "backup.bandwidth: \"%.40s\" is not a rate; use %s", comma + 1,
				       BWLIMIT_FORMS);
		memcpy(rate, comma + 1, (size_t)(p + len - comma - 1));
		rate[p + len - comma - 1] = '\0';
		if (parse_rate(rate, &en->rate, e) != RV_OK)
			return e->code;
		if (out->n > 0 && en->second <= out->entry[out->n - 1].second)
			return err_set(e, RV_USAGE, "backup.bandwidth: %.5s does not come after %02u:%02u: list the "
				       "times in order from 00:00; use %s", p, out->entry[out->n - 1].second / 3600,
				       out->entry[out->n - 1].second / 60 % 60, BWLIMIT_FORMS);
		out->n++;
		p += len;
		p += strspn(p, " \t");
	}
	return RV_OK;
}

uint64_t bwlimit_rate_at(const struct bwlimit_table *t, unsigned second)
{
	if (t->n == 0)
		return 0;
	for (size_t i = t->n; i > 0; i--)
		if (t->entry[i - 1].second <= second)
			return t->entry[i - 1].rate;
	return t->entry[t->n - 1].rate;
}

int bwlimit_is_off(const struct bwlimit_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->entry[i].rate != 0)
			return 0;
	return 1;
}

static double system_mono(void *arg)
{
	(void)arg;
	return mono_now();
}

static unsigned system_day_second(void *arg)
{
	time_t now = time(NULL);
	struct tm tm;

	(void)arg;
	if (localtime_r(&now, &tm) == NULL)
		return 0;
	return (unsigned)(tm.tm_hour * 3600 + tm.tm_min * 60 + (tm.tm_sec > 59 ? 59 : tm.tm_sec));
}

struct bwlimit *bwlimit_new(const struct bwlimit_table *t, const struct bwlimit_clock *clock)
{
	struct bwlimit *b = xcalloc(1, sizeof(*b));

	b->table = *t;
	if (clock != NULL)
		b->clock = *clock;
	else
		b->clock = (struct bwlimit_clock){ .mono = system_mono, .day_second = system_day_second };
	b->last = b->clock.mono(b->clock.arg);
	return b;
}

void bwlimit_free(struct bwlimit *b)
{
	free(b);
}

/* Follows the table: a lower rate keeps at most its own second's worth,
 * and a cap that begins starts from an empty bucket. */
static void follow_table(struct bwlimit *b, double now)
{
	uint64_t rate = b->table.n == 1 ? b->table.entry[0].rate
					: bwlimit_rate_at(&b->table, b->clock.day_second(b->clock.arg));

	if (rate == b->rate)
		return;
	if (b->rate == 0)
		b->tokens = 0;
	else if (b->tokens > (double)rate)
		b->tokens = (double)rate;
	b->rate = rate;
	b->last = now;
}

size_t bwlimit_take(struct bwlimit *b, size_t want, double *wake)
{
	double now = b->clock.mono(b->clock.arg), piece;
	size_t given;

	follow_table(b, now);
	if (b->rate == 0 || want == 0)
		return want;
	if (now > b->last) {
		b->tokens += (now - b->last) * (double)b->rate;
		if (b->tokens > (double)b->rate)
			b->tokens = (double)b->rate;
		b->last = now;
	}
	piece = (double)b->rate / PIECE_PER_SECOND;
	if (piece > (double)want)
		piece = (double)want;
	/* Within half a byte is enough: the bucket is counted in floating point,
	 * and a wake that rounds to a hair short must not find it empty. */
	if (b->tokens + 0.5 >= piece) {
		given = b->tokens + 0.5 < (double)want ? (size_t)(b->tokens + 0.5) : want;
		b->tokens -= (double)given;
		return given;
	}
	*wake = now + (piece - b->tokens) / (double)b->rate;
	if (*wake < now + 1e-6)
		*wake = now + 1e-6; /* later than now at any uptime */
	return 0;
}

size_t bwlimit_piece(const struct bwlimit *b)
{
	size_t piece = (size_t)(b->rate / PIECE_PER_SECOND);

	return b->rate == 0 ? SIZE_MAX : piece > 0 ? piece : 1;
}

void bwlimit_give_back(struct bwlimit *b, size_t n)
{
	if (b->rate == 0)
		return;
	b->tokens += (double)n;
	if (b->tokens > (double)b->rate)
		b->tokens = (double)b->rate;
}

void bwlimit_stop(struct bwlimit *b)
{
	atomic_store(&b->stopped, true);
}

bool bwlimit_stopped(struct bwlimit *b)
{
	return atomic_load(&b->stopped);
}
