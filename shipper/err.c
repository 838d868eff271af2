/*
 * err.c — errors that reach the user (see err.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

int
err_set(struct err *e, const char *fmt, ...)
{
	va_list	 ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_at(struct err *e, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (e == NULL)
		return -1;
	n = snprintf(e->msg, sizeof e->msg, "%s:%d: ", file, line);
	if (n < 0 || (size_t)n >= sizeof e->msg)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg + n, sizeof e->msg - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_wrap(struct err *e, const char *fmt, ...)
{
	char	 old[ERR_MAX];
	va_list	 ap;
	size_t	 n, m;

	if (e == NULL)
		return -1;
	memcpy(old, e->msg, sizeof old);
	old[sizeof old - 1] = '\0';
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	m = strlen(old);
	if (n + 2 + m >= sizeof e->msg)
		m = sizeof e->msg - n - 3 < sizeof e->msg ?
		    sizeof e->msg - n - 3 : 0;
	if (n + 2 < sizeof e->msg) {
		memcpy(e->msg + n, ": ", 2);
		memcpy(e->msg + n + 2, old, m);
		e->msg[n + 2 + m] = '\0';
	}
	return -1;
}
