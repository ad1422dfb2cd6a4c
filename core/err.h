/* err: how core reports failure. A function that can fail returns one of
 * the exit-status codes below and fills a struct err with one line a front
 * end can show as is: what happened, and what to do about it. */
#ifndef REVAULT_CORE_ERR_H
#define REVAULT_CORE_ERR_H

#include <stdarg.h>

/* The command line's exit statuses (README.md, "Exit status"); core uses
 * them as its error kinds so a failure keeps its meaning all the way out. */
enum rv_status {
	RV_OK = 0,
	RV_FAIL = 1,      /* network, server, disk */
	RV_USAGE = 2,     /* usage or settings error */
	RV_HOSTKEY = 3,   /* host key unknown or changed */
	RV_AUTH = 4,      /* authentication refused */
	RV_INTEGRITY = 5, /* tampered, truncated, foreign key, unsigned while enforced,
			   * an entry that would land outside its source */
	RV_INCOMPLETE = 6, /* done but incomplete: the revision is stored (or the
			    * restore in place), yet entries were skipped or
			    * changed while read, each one named in a warning */
};

#define ERR_MSG_MAX 1024

struct err {
	int code;
	char msg[ERR_MSG_MAX];
};

/* Sets code and message; returns code so callers can `return err_set(...)`.
 * An error already set is not overwritten: the first cause is the one
 * the operator needs to see. */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int err_vset(struct err *e, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* Replaces whatever was set (for a caller that knows better). */
int err_reset(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void err_clear(struct err *e);

#endif
