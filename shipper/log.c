/*
 * log.c — the shipper's own messages, on stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "timefmt.h"

static enum log_level log_threshold = LOG_INFO;

static const char *const log_names[] = {
	"error", "warn", "info", "debug", "trace"
};

void
log_set_level(enum log_level level)
{
	log_threshold = level;
}

int
log_level_parse(const char *name)
{
	size_t	 i;

	if (strcmp(name, "fatal") == 0)
		return LOG_ERROR;
	for (i = 0; i < sizeof log_names / sizeof log_names[0]; i++)
		if (strcmp(log_names[i], name) == 0)
			return (int)i;
	return -1;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char		 ts[RFC3339_NANO_LEN + 1];
	struct timespec	 now;
	va_list		 ap;

	if (level > log_threshold)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	time_format_rfc3339((int64_t)now.tv_sec * 1000000000 + now.tv_nsec, ts);
	fprintf(stderr, "%s [%s] ", ts, log_names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
