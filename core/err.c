/* err: one error line and its exit status. */
#include "core/err.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

int err_vset(struct err *e, int code, const char *fmt, va_list ap)
{
	if (e == NULL || e->code != RV_OK)
		return e != NULL ? e->code : code;
	e->code = code;
	/* A line cut to fit is cut between characters (it may reach JSON). */
	if (vsnprintf(e->msg, sizeof(e->msg), fmt, ap) >= (int)sizeof(e->msg))
		e->msg[util_utf8_cut(e->msg, sizeof(e->msg) - 1)] = '\0';
	return code;
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = err_vset(e, code, fmt, ap);
	va_end(ap);
	return code;
}

int err_reset(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	err_clear(e);
	va_start(ap, fmt);
	code = err_vset(e, code, fmt, ap);
	va_end(ap);
	return code;
}

void err_clear(struct err *e)
{
	if (e == NULL)
		return;
	e->code = RV_OK;
	e->msg[0] = '\0';
}
