/*
 * inject.c — Fluentd's <inject> (see inject.h), as its inject plugin
 * helper defines it: hostname_key, worker_id_key, tag_key and time_key
 * set those keys of the record (replacing a field of that name), the
 * time as time_type says: float (seconds, microseconds after the point),
 * unixtime (and _millis, _micros, _nanos) or string (time_format, in
 * local time unless utc, or at timezone's offset).
 *
 * The values are written while the record is encoded, from the batch's
 * tag and the record's time: nothing is added to the record, nothing
 * allocated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inject.h"
#include "params.h"
#include "timefmt.h"

enum { TIME_FLOAT, TIME_UNIXTIME, TIME_STRING, TIME_MILLIS, TIME_MICROS,
	TIME_NANOS };
enum { ZONE_LOCAL, ZONE_UTC, ZONE_FIXED };

static const char *const time_types[] = { "float", "unixtime", "string",
	"unixtime_millis", "unixtime_micros", "unixtime_nanos", NULL };

#define I(field)	offsetof(struct inject_cfg, field)
static const struct param_def inject_params[] = {
	{ .name = "hostname_key", .type = PARAM_STRING,
	  .offset = I(key[INJECT_HOSTNAME]),
	  .help = "add the host name (hostname) under this key" },
	{ .name = "hostname", .type = PARAM_STRING, .offset = I(hostname),
	  .help = "the host name to add; unset: gethostname()" },
	{ .name = "worker_id_key", .type = PARAM_STRING,
	  .offset = I(key[INJECT_WORKER_ID]),
	  .help = "add the worker id (always 0: one process) under this key" },
	{ .name = "tag_key", .type = PARAM_STRING, .offset = I(key[INJECT_TAG]),
	  .help = "add the record's tag under this key" },
	{ .name = "time_key", .type = PARAM_STRING,
	  .offset = I(key[INJECT_TIME]),
	  .help = "add the event time under this key, as time_type says" },
	{ .name = "time_type", .type = PARAM_ENUM, .def = "float",
	  .choices = time_types, .offset = I(time_type),
	  .help = "float (1714550402.224323: microseconds), unixtime "
	  "(seconds), unixtime_millis, unixtime_micros, unixtime_nanos, or "
	  "string (time_format)" },
	{ .name = "time_format", .type = PARAM_STRING,
	  .offset = I(time_format),
	  .help = "string: Ruby's strftime (%N %3N %L %z %:z %s ...); unset: "
	  "ISO 8601 to the second (2024-05-01T08:00:02+00:00, Z with utc)" },
	{ .name = "localtime", .type = PARAM_BOOL, .def = "true",
	  .offset = I(localtime),
	  .help = "string: the shipper's local time (TZ), unless utc" },
	{ .name = "utc", .type = PARAM_BOOL, .def = "false", .offset = I(utc),
	  .help = "string: UTC" },
	{ .name = "timezone", .type = PARAM_STRING, .offset = I(timezone),
	  .help = "string: this offset instead (+09:00, -0800, +09, or UTC); "
	  "zone names need a time zone database, which the shipper does not "
	  "read" },
	PARAMS_END
};
#undef I

/* [+-]hh, [+-]hhmm or [+-]hh:mm, or a name for UTC. */
static int
zone_offset(const char *s, int32_t *off)
{
	static const char *const utc[] = { "UTC", "Etc/UTC", "GMT",
		"Etc/GMT", "Z", NULL };
	size_t	 n = strlen(s), i;
	int	 h, m = 0;

	for (i = 0; utc[i] != NULL; i++)
		if (strcmp(s, utc[i]) == 0)
			return *off = 0;
	if ((s[0] != '+' && s[0] != '-') || (n != 3 && n != 5 && n != 6) ||
	    strspn(s + 1, "0123456789") != (n == 6 ? 2 : n - 1) ||
	    (n == 6 && (s[3] != ':' || strspn(s + 4, "0123456789") != 2)))
		return -1;
	h = (s[1] - '0') * 10 + (s[2] - '0');
	if (n > 3)
		m = (s[n - 2] - '0') * 10 + (s[n - 1] - '0');
	if (h > 23 || m > 59)
		return -1;
	*off = (int32_t)((h * 3600 + m * 60) * (s[0] == '-' ? -1 : 1));
	return 0;
}

static int
inject_setup(struct inject *in, const struct conf_elem *el, struct err *e)
{
	size_t	 i, j;

	for (i = 0; i < INJECT_NKEYS; i++) {
		const char	*k = in->cfg.key[i];

		if (k == NULL || *k == '\0')
			continue;
		in->on = true;
		for (j = 0; j < in->nskip && strcmp(in->skip[j].key, k); j++)
			;
		if (j == in->nskip) {
			in->skip[in->nskip].key = k;
			in->skip[in->nskip++].len = strlen(k);
		}
	}
	in->zone = in->cfg.utc || !in->cfg.localtime ? ZONE_UTC : ZONE_LOCAL;
	if (in->cfg.timezone != NULL) {
		if (zone_offset(in->cfg.timezone, &in->gmtoff) != 0)
			return param_err_at(e, el, "timezone", "<inject> timezone "
			    "'%s': give an offset such as +09:00, -0800 or +09, "
			    "or UTC (zone names are not supported: the shipper "
			    "reads no time zone database)", in->cfg.timezone);
		in->zone = ZONE_FIXED;
	}
	if (in->cfg.hostname != NULL)
		snprintf(in->hostname, sizeof in->hostname, "%s",
		    in->cfg.hostname);
	else if (gethostname(in->hostname, sizeof in->hostname - 1) != 0)
		return err_at(e, el->file, el->line, "<inject> hostname_key: "
		    "the host name is unknown; give hostname");
	return 0;
}

int
inject_init(struct inject *in, struct conf_elem *match, struct err *e)
{
	struct conf_elem	*el = NULL;
	size_t			 i;

	memset(in, 0, sizeof *in);
	for (i = 0; i < match->nelems; i++)
		if (strcmp(match->elems[i].name, "inject") == 0)
			el = &match->elems[i];
	if (el == NULL)
		return 0;
	el->used = true;
	if (params_apply(inject_params, el, &in->cfg, "<inject>", e) != 0 ||
	    params_check_sections(el, NULL, "<inject>", e) != 0)
		return -1;
	return inject_setup(in, el, e);
}

void
inject_free(struct inject *in)
{
	params_free(inject_params, &in->cfg);
}

/* --- values ------------------------------------------------------------- */

/* Ruby's Float#to_s of the time cut to microseconds: 1714550402.224323. */
static void
put_float(struct strbuf *sb, int64_t ns)
{
	uint64_t	 a = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
	char		 frac[8];
	int		 n;

	snprintf(frac, sizeof frac, "%06llu",
	    (unsigned long long)(a / 1000 % 1000000));
	for (n = 6; n > 1 && frac[n - 1] == '0'; n--)
		;
	sb_addf(sb, "%s%llu.%.*s", ns < 0 ? "-" : "",
	    (unsigned long long)(a / 1000000000), n, frac);
}

static int64_t
floor_div(int64_t ns, int64_t unit)
{
	return ns / unit - (ns % unit < 0);
}

static void
put_string_time(const struct inject *in, struct strbuf *sb, int64_t ns)
{
	const char	*fmt = in->cfg.time_format, *zone = "UTC";
	int32_t		 off = 0;
	char		 out[256];
	size_t		 n;

	if (in->zone == ZONE_FIXED) {
		off = in->gmtoff;
		zone = "";
	} else if (in->zone == ZONE_LOCAL) {
		time_t		 t = (time_t)floor_div(ns, 1000000000);
		struct tm	 tm;

		if (localtime_r(&t, &tm) != NULL) {
			off = (int32_t)tm.tm_gmtoff;
			zone = tm.tm_zone;
		}
	}
	if (fmt == NULL)	/* Ruby's Time#iso8601 */
		fmt = in->zone == ZONE_UTC ? "%Y-%m-%dT%H:%M:%SZ" :
		    "%Y-%m-%dT%H:%M:%S%:z";
	n = time_format_strftime(fmt, ns, off, zone, out, sizeof out);
	json_put_string(sb, out, n);
}

static void
put_time(const struct inject *in, struct strbuf *sb, int64_t ns)
{
	switch (in->cfg.time_type) {
	case TIME_FLOAT:
		put_float(sb, ns);
		break;
	case TIME_UNIXTIME:
		sb_addf(sb, "%lld", (long long)floor_div(ns, 1000000000));
		break;
	case TIME_MILLIS:
		sb_addf(sb, "%lld", (long long)floor_div(ns, 1000000));
		break;
	case TIME_MICROS:
		sb_addf(sb, "%lld", (long long)floor_div(ns, 1000));
		break;
	case TIME_NANOS:
		sb_addf(sb, "%lld", (long long)ns);
		break;
	default:
		put_string_time(in, sb, ns);
	}
}

/* Key k's value as JSON. */
static void
put_value(const struct inject *in, enum inject_key k, struct strbuf *sb,
    const struct batch *b, const struct record *r)
{
	if (k == INJECT_HOSTNAME)
		json_put_string(sb, in->hostname, strlen(in->hostname));
	else if (k == INJECT_WORKER_ID)
		sb_addc(sb, '0');
	else if (k == INJECT_TAG)
		json_put_string(sb, b->tag ? b->tag : "", b->tag ? b->taglen : 0);
	else
		put_time(in, sb, r->time);
}

/* The injected key named key that wins (the last one), or -1. */
static int
winner(const struct inject *in, const char *key)
{
	int	 k, w = -1;

	for (k = 0; k < INJECT_NKEYS; k++)
		if (in->cfg.key[k] != NULL && *in->cfg.key[k] != '\0' &&
		    strcmp(in->cfg.key[k], key) == 0)
			w = k;
	return w;
}

void
inject_put_members(const struct inject *in, struct strbuf *sb,
    const struct batch *b, const struct record *r, int *first)
{
	const char	*key;
	int		 k;

	for (k = 0; k < INJECT_NKEYS; k++) {
		if ((key = in->cfg.key[k]) == NULL || *key == '\0' ||
		    winner(in, key) != k)
			continue;
		if (!*first)
			sb_addc(sb, ',');
		*first = 0;
		json_put_string(sb, key, strlen(key));
		sb_addc(sb, ':');
		put_value(in, (enum inject_key)k, sb, b, r);
	}
}

bool
inject_put_value(const struct inject *in, struct strbuf *sb,
    const struct batch *b, const struct record *r, const char *key)
{
	int	 k = in->on ? winner(in, key) : -1;
	size_t	 at = sb->len;

	if (k < 0)
		return false;
	put_value(in, (enum inject_key)k, sb, b, r);
	if (sb->len - at >= 2 && sb->buf[at] == '"') {	/* unquote */
		memmove(sb->buf + at, sb->buf + at + 1, sb->len - at - 2);
		sb->len -= 2;
	}
	return true;
}

void
inject_reference(struct strbuf *out)
{
	params_reference(inject_params, "### <inject> (in a <match> of file, "
	    "stdout or kafka2)", out);
}
