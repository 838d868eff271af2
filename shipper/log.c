/*
 * log.c — the shipper's own messages, on stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jsonenc.h"
#include "log.h"
#include "strbuf.h"
#include "timefmt.h"

static enum log_level log_threshold = LOG_INFO;
static int log_json;

static const char *const log_names[] = {
	"error", "warn", "info", "debug", "trace"
};

void
log_set_level(enum log_level level)
{
	log_threshold = level;
}

void
log_set_json(int on)
{
	log_json = on;
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
	char		 ts[RFC3339_NANO_LEN + 1], msg[4096];
	struct strbuf	 sb = STRBUF_INIT;
	struct timespec	 now;
	va_list		 ap;

	if (level > log_threshold)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	time_format_rfc3339((int64_t)now.tv_sec * 1000000000 + now.tv_nsec, ts);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (log_json) {
		sb_addf(&sb, "{\"time\":\"%s\",\"level\":\"%s\",\"message\":",
		    ts, log_names[level]);
		json_put_string(&sb, msg, strlen(msg));
		sb_adds(&sb, "}\n");
	} else
		sb_addf(&sb, "%s [%s] %s\n", ts, log_names[level], msg);
	fwrite(sb.buf, 1, sb.len, stderr);
	sb_free(&sb);
}
