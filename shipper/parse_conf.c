/*
 * parse_conf.c — the event time of a parsed record (see parse_conf.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parse_conf.h"
#include "timefmt.h"

const char *const time_type_names[] = { "string", "float", "unixtime", NULL };

int
time_cfg_check(const struct time_cfg *tc, const struct conf_elem *el,
    struct err *e)
{
	const char	*tz = tc->timezone;

	if (tc->localtime)
		return err_at(e, el->file, el->line, "<%s> localtime true: "
		    "times without a zone are read as UTC; remove localtime "
		    "(containers log in UTC)", el->name);
	if (tz != NULL && strcmp(tz, "UTC") != 0 && strcmp(tz, "Z") != 0 &&
	    strcmp(tz, "+00:00") != 0 && strcmp(tz, "+0000") != 0)
		return err_at(e, el->file, el->line, "<%s> timezone '%s': only "
		    "UTC is supported; use a time_format with %%z if the "
		    "times carry their offset", el->name, tz);
	return 0;
}

/* [-]digits[.digits] to the nanosecond, which a double cannot hold. */
static bool
time_decimal(const char *s, int64_t *ns)
{
	int64_t	 sec = 0, frac = 0;
	int	 digits = 0, sign = 1;

	if (*s == '-' || *s == '+')
		sign = *s++ == '-' ? -1 : 1;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++)
		sec = sec * 10 + (*s - '0');	/* below 9.2e9: checked */
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			if (digits < 9) {
				frac = frac * 10 + (*s - '0');
				digits++;
			}
	if (*s != '\0')
		return false;
	for (; digits < 9; digits++)
		frac *= 10;
	*ns = sign * (sec * 1000000000 + frac);
	return true;
}

static int
time_number(const char *s, size_t len, int64_t *ns)
{
	char	 buf[64], *end;
	double	 d, whole;

	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	d = strtod(buf, &end);
	if (*end != '\0' || !isfinite(d) || fabs(d) > 9.2e9)
		return -1;
	if (time_decimal(buf, ns))
		return 0;
	whole = floor(d);		/* 1e9 times the whole would round */
	*ns = (int64_t)whole * 1000000000 + llround((d - whole) * 1e9);
	return 0;
}

/*
 * ref: the record's time so far (the runtime's, else the clock at
 * reading), for the fields time_format leaves out (syslog's year).
 */
static int
time_value(const struct time_cfg *tc, const struct field *f, int64_t ref,
    int64_t *ns, struct stats *st)
{
	if (tc->time_type != TIME_TYPE_STRING || f->type == VAL_RAW)
		return time_number(f->val, f->vlen, ns);
	if (tc->time_format != NULL) {
		if (time_parse_format_at(tc->time_format, f->val, f->vlen, ref,
		    ns) == 0)
			return 0;
		if (time_parse_rfc3339(f->val, f->vlen, ns) != 0)
			return -1;
		st->time_fallbacks++;
		return 0;
	}
	return time_parse_rfc3339(f->val, f->vlen, ns);
}

int
time_cfg_apply(const struct time_cfg *tc, struct batch *b, struct record *r,
    size_t first, struct stats *st)
{
	struct field	*f = NULL;
	size_t		 i, end = r->field0 + r->nfields;
	size_t		 klen;
	int64_t		 ns;

	if (tc->time_key == NULL || tc->time_key[0] == '\0')
		return 0;
	klen = strlen(tc->time_key);
	for (i = first; i < end; i++) {
		struct field	*c = &b->fields[i];

		if (!(c->flags & FIELD_DELETED) && field_is(c, tc->time_key,
		    klen))
			f = c;
		if (c->type == VAL_OBJECT)
			i += c->vlen;
	}
	if (f == NULL || f->type == VAL_OBJECT)
		return 0;
	if (time_value(tc, f, r->time, &ns, st) != 0) {
		/* Fluentd drops such a line; here it is kept, and counted. */
		st->time_errors++;
		return -1;
	}
	r->time = ns;
	if (!tc->keep_time_key)
		f->flags |= FIELD_DELETED;
	return 1;
}
