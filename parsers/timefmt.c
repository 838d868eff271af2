/*
 * timefmt.c — event times: RFC 3339 in and out, strptime-style formats.
 *
 * Everything is computed from the proleptic Gregorian calendar by
 * arithmetic (Howard Hinnant's days-from-civil), never through the C
 * library: strptime, mktime and timegm depend on the locale and TZ, and a
 * pure parser must give the same answer on every host. Times are int64
 * nanoseconds, which covers the years 1677 to 2262; anything outside is
 * rejected rather than wrapped.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

#define NS_PER_SEC	1000000000LL
#define SEC_PER_DAY	86400LL

/* The broken-down time a format fills in, before it is checked. */
struct tparts {
	int64_t	 year;
	int	 mon;		/* 1..12 */
	int	 mday;		/* 1..31 */
	int	 yday;		/* 1..366, from %j */
	int	 hour;
	int	 min;
	int	 sec;		/* 0..60: a leap second rolls over */
	int64_t	 frac;		/* ns */
	int64_t	 off;		/* seconds east of UTC */
	int64_t	 epoch;		/* from %s */
	unsigned given;		/* GIVEN_*: the fields the format set */
	bool	 have_date;	/* %m, %b, %d or %e seen */
	bool	 have_yday;
	bool	 have_epoch;
};

/* The fields in the order in which the missing leading ones are filled. */
#define GIVEN_YEAR	0x01
#define GIVEN_MON	0x02
#define GIVEN_MDAY	0x04
#define GIVEN_HOUR	0x08
#define GIVEN_MIN	0x10
#define GIVEN_SEC	0x20

static const char *const month_names[12] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"
};

static const char *const day_names[7] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
	"saturday"
};

int64_t
time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* The broken-down time of secs (UTC) shifted by gmtoff. */
static void
secs_to_tm(int64_t secs, int32_t gmtoff, const char *zone, struct tm *tm)
{
	int64_t		 local = secs + gmtoff, days, sod, y;
	unsigned	 m, d;

	days = local / SEC_PER_DAY - (local % SEC_PER_DAY < 0);
	sod = local - days * SEC_PER_DAY;
	civil_from_days(days, &y, &m, &d);
	memset(tm, 0, sizeof *tm);
	tm->tm_year = (int)(y - 1900);
	tm->tm_mon = (int)m - 1;
	tm->tm_mday = (int)d;
	tm->tm_hour = (int)(sod / 3600);
	tm->tm_min = (int)(sod / 60 % 60);
	tm->tm_sec = (int)(sod % 60);
	tm->tm_wday = (int)(((days + 4) % 7 + 7) % 7);
	tm->tm_yday = (int)(days - time_days_from_civil(y, 1, 1));
	tm->tm_gmtoff = gmtoff;
	tm->tm_zone = zone;
}

static bool
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
	static const int	 dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Seconds and nanoseconds since the epoch to ns, unless it overflows. */
static int
time_from_secs(int64_t secs, int64_t frac, int64_t *ns)
{
	int64_t	 t;

	/* Borrow a second so that INT64_MIN itself does not overflow. */
	if (secs < 0 && frac > 0) {
		secs++;
		frac -= NS_PER_SEC;
	}
	if (__builtin_mul_overflow(secs, NS_PER_SEC, &t) ||
	    __builtin_add_overflow(t, frac, &t))
		return -1;
	*ns = t;
	return 0;
}

/* A checked calendar date and clock time, minus a UTC offset, to ns. */
static int
time_compose(int64_t y, int mon, int mday, int hour, int min, int sec,
    int64_t frac, int64_t off, int64_t *ns)
{
	int64_t	 days;

	if (y < 0 || y > 9999 || mon < 1 || mon > 12 || mday < 1 ||
	    mday > days_in_month(y, mon) || hour > 23 || min > 59 || sec > 60)
		return -1;
	days = time_days_from_civil(y, (unsigned)mon, (unsigned)mday);
	return time_from_secs(days * SEC_PER_DAY + hour * 3600LL + min * 60LL +
	    sec - off, frac, ns);
}

/* Exactly n digits at s; -1 if any is not a digit. */
static int64_t
digits(const char *s, size_t n)
{
	int64_t	 v = 0;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Up to max fraction digits at s[*i]; returns how many were read. */
static size_t
fraction(const char *s, size_t len, size_t *i, size_t max, int64_t *ns)
{
	static const int64_t	 scale[10] = {
		1000000000, 100000000, 10000000, 1000000, 100000, 10000,
		1000, 100, 10, 1
	};
	int64_t			 v = 0;
	size_t			 n = 0;

	while (n < max && *i < len && s[*i] >= '0' && s[*i] <= '9') {
		v = v * 10 + (s[*i] - '0');
		(*i)++;
		n++;
	}
	*ns = v * scale[n];
	return n;
}

/* `Z` or `+hh:mm` at s[i], up to the end. */
static int
rfc3339_zone(const char *s, size_t len, size_t i, int64_t *off)
{
	int64_t	 hh, mm;

	if (i + 1 == len && (s[i] == 'Z' || s[i] == 'z')) {
		*off = 0;
		return 0;
	}
	if (i + 6 != len || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':')
		return -1;
	hh = digits(s + i + 1, 2);
	mm = digits(s + i + 4, 2);
	if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
		return -1;
	*off = (hh * 3600 + mm * 60) * (s[i] == '-' ? -1 : 1);
	return 0;
}

int
time_parse_rfc3339(const char *s, size_t len, int64_t *ns)
{
	int64_t	 y, mon, d, h, mi, sec, frac = 0, off;
	size_t	 i = 19;

	if (len < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' ||
	    s[16] != ':' || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return -1;
	if ((y = digits(s, 4)) < 0 || (mon = digits(s + 5, 2)) < 0 ||
	    (d = digits(s + 8, 2)) < 0 || (h = digits(s + 11, 2)) < 0 ||
	    (mi = digits(s + 14, 2)) < 0 || (sec = digits(s + 17, 2)) < 0)
		return -1;
	if (s[i] == '.') {
		i++;
		if (fraction(s, len, &i, 9, &frac) == 0)
			return -1;
	}
	if (rfc3339_zone(s, len, i, &off) != 0)
		return -1;
	return time_compose(y, (int)mon, (int)d, (int)h, (int)mi, (int)sec,
	    frac, off, ns);
}

/* 1 to max digits at s[*i], no sign. */
static int
fmt_number(const char *s, size_t len, size_t *i, size_t max, int64_t lo,
    int64_t hi, int64_t *out)
{
	int64_t	 v = 0;
	size_t	 n = 0;

	while (n < max && *i < len && s[*i] >= '0' && s[*i] <= '9') {
		v = v * 10 + (s[*i] - '0');
		(*i)++;
		n++;
	}
	if (n == 0 || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int
fmt_int(const char *s, size_t len, size_t *i, size_t max, int lo, int hi,
    int *out)
{
	int64_t	 v;

	if (fmt_number(s, len, i, max, lo, hi, &v) != 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* Compares ASCII letters without case, whatever the locale says. */
static bool
ascii_caseeq(const char *a, const char *b, size_t n)
{
	size_t		 k;
	unsigned char	 x, y;

	for (k = 0; k < n; k++) {
		x = (unsigned char)a[k];
		y = (unsigned char)b[k];
		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return false;
	}
	return true;
}

/* A name from names, in full or as its first three letters, any case. */
static int
fmt_name(const char *s, size_t len, size_t *i, const char *const *names,
    int n, int *out)
{
	size_t	 nl;
	int	 k;

	for (k = 0; k < n; k++) {
		nl = strlen(names[k]);
		if (len - *i >= nl && ascii_caseeq(s + *i, names[k], nl)) {
			*i += nl;
			*out = k;
			return 0;
		}
	}
	for (k = 0; k < n; k++) {
		if (len - *i >= 3 && ascii_caseeq(s + *i, names[k], 3)) {
			*i += 3;
			*out = k;
			return 0;
		}
	}
	return -1;
}

/* %s: seconds since the epoch, optionally negative. */
static int
fmt_epoch(const char *s, size_t len, size_t *i, int64_t *out)
{
	int64_t	 v = 0;
	bool	 neg = false;
	size_t	 start;

	if (*i < len && (s[*i] == '-' || s[*i] == '+'))
		neg = s[(*i)++] == '-';
	start = *i;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, s[*i] - '0', &v))
			return -1;
		(*i)++;
	}
	if (*i == start)
		return -1;
	*out = neg ? -v : v;
	return 0;
}

/* %z: Z, +hh, +hhmm or +hh:mm. */
static int
fmt_zone_offset(const char *s, size_t len, size_t *i, int64_t *off)
{
	int64_t	 hh, mm = 0;
	int	 sign;

	if (*i < len && (s[*i] == 'Z' || s[*i] == 'z')) {
		(*i)++;
		*off = 0;
		return 0;
	}
	if (*i >= len || (s[*i] != '+' && s[*i] != '-'))
		return -1;
	sign = s[(*i)++] == '-' ? -1 : 1;
	if (len - *i < 2 || (hh = digits(s + *i, 2)) < 0 || hh > 23)
		return -1;
	*i += 2;
	if (*i < len && s[*i] == ':')
		(*i)++;
	else if (len - *i < 2 || digits(s + *i, 2) < 0) {
		*off = sign * hh * 3600;
		return 0;
	}
	if (len - *i < 2 || (mm = digits(s + *i, 2)) < 0 || mm > 59)
		return -1;
	*i += 2;
	*off = sign * (hh * 3600 + mm * 60);
	return 0;
}

/* %Z: only the names of UTC; others would need the tz database. */
static int
fmt_zone_name(const char *s, size_t len, size_t *i, int64_t *off)
{
	static const char *const utc[] = { "UTC", "GMT", "Z" };
	size_t			 k, n;

	for (k = 0; k < sizeof utc / sizeof utc[0]; k++) {
		n = strlen(utc[k]);
		if (len - *i >= n && ascii_caseeq(s + *i, utc[k], n)) {
			*i += n;
			*off = 0;
			return 0;
		}
	}
	return -1;
}

static void
fmt_skip_space(const char *s, size_t len, size_t *i)
{
	while (*i < len && (s[*i] == ' ' || s[*i] == '\t'))
		(*i)++;
}

static int fmt_parse(const char *, const char *, size_t, size_t *,
    struct tparts *);

/* One conversion, the letter c (width w for %N), at s[*i]. */
static int
fmt_conv(char c, int w, const char *s, size_t len, size_t *i,
    struct tparts *tp)
{
	int64_t	 v;
	int	 k;

	switch (c) {
	case 'Y':
		tp->given |= GIVEN_YEAR;
		if (fmt_number(s, len, i, 4, 0, 9999, &v) != 0)
			return -1;
		tp->year = v;
		return 0;
	case 'y':
		tp->given |= GIVEN_YEAR;
		if (fmt_number(s, len, i, 2, 0, 99, &v) != 0)
			return -1;
		tp->year = v < 69 ? 2000 + v : 1900 + v;	/* POSIX */
		return 0;
	case 'm':
		tp->have_date = true;
		tp->given |= GIVEN_MON;
		return fmt_int(s, len, i, 2, 1, 12, &tp->mon);
	case 'b':
	case 'h':
	case 'B':
		tp->have_date = true;
		tp->given |= GIVEN_MON;
		if (fmt_name(s, len, i, month_names, 12, &k) != 0)
			return -1;
		tp->mon = k + 1;
		return 0;
	case 'a':
	case 'A':
		return fmt_name(s, len, i, day_names, 7, &k);
	case 'e':
		fmt_skip_space(s, len, i);
		/* FALLTHROUGH */
	case 'd':
		tp->have_date = true;
		tp->given |= GIVEN_MDAY;
		return fmt_int(s, len, i, 2, 1, 31, &tp->mday);
	case 'j':
		tp->have_yday = true;
		tp->given |= GIVEN_MON | GIVEN_MDAY;
		return fmt_int(s, len, i, 3, 1, 366, &tp->yday);
	case 'H':
		tp->given |= GIVEN_HOUR;
		return fmt_int(s, len, i, 2, 0, 23, &tp->hour);
	case 'M':
		tp->given |= GIVEN_MIN;
		return fmt_int(s, len, i, 2, 0, 59, &tp->min);
	case 'S':
		tp->given |= GIVEN_SEC;
		return fmt_int(s, len, i, 2, 0, 60, &tp->sec);
	case 'N':
		if (w == 0) {
			fraction(s, len, i, 9, &tp->frac);
			return 0;
		}
		return fraction(s, len, i, (size_t)w, &tp->frac) ==
		    (size_t)w ? 0 : -1;
	case 'L':
		return fraction(s, len, i, 3, &tp->frac) == 3 ? 0 : -1;
	case 's':
		tp->have_epoch = true;
		return fmt_epoch(s, len, i, &tp->epoch);
	case 'z':
		return fmt_zone_offset(s, len, i, &tp->off);
	case 'Z':
		return fmt_zone_name(s, len, i, &tp->off);
	case 'T':
		return fmt_parse("%H:%M:%S", s, len, i, tp);
	case 'F':
		return fmt_parse("%Y-%m-%d", s, len, i, tp);
	case 'n':
	case 't':
		fmt_skip_space(s, len, i);
		return 0;
	case '%':
		if (*i >= len || s[*i] != '%')
			return -1;
		(*i)++;
		return 0;
	}
	return -1;	/* unknown conversion */
}

/*
 * Runs fmt over s from *i. A `.` followed by %N in the format is skipped
 * with it when the input has no `.` there: Fluentd's usual
 * `%S.%NZ` must match SPIRE's `08:00:03Z`, whose zero fraction was trimmed.
 */
static int
fmt_parse(const char *fmt, const char *s, size_t len, size_t *i,
    struct tparts *tp)
{
	const char	*f = fmt;
	int		 w;

	while (*f != '\0') {
		if (f[0] == '.' && strncmp(f + 1, "%N", 2) == 0 &&
		    (*i >= len || s[*i] != '.')) {
			f += 3;
			continue;
		}
		if (*f == ' ') {
			fmt_skip_space(s, len, i);
			f++;
			continue;
		}
		if (*f != '%') {
			if (*i >= len || s[*i] != *f)
				return -1;
			(*i)++;
			f++;
			continue;
		}
		f++;
		w = 0;
		if (*f >= '1' && *f <= '9' && f[1] == 'N')
			w = *f++ - '0';
		else if (f[0] == ':' && f[1] == 'z')
			f++;		/* Ruby's %:z: %z reads +hh:mm too */
		if (*f == '\0' || fmt_conv(*f, w, s, len, i, tp) != 0)
			return -1;
		f++;
	}
	return 0;
}

/*
 * The fields before the first one the format gives come from ref, at
 * the offset read, as Ruby's Time.strptime and the strptime gem take
 * them from the clock: `%b %d %H:%M:%S` (syslog) is in ref's year, `%H:%M`
 * on ref's day. The ones after it are at their lowest.
 */
static void
tparts_fill(struct tparts *tp, int64_t ref)
{
	int64_t		 secs = ref / NS_PER_SEC - (ref % NS_PER_SEC < 0);
	struct tm	 tm;

	secs_to_tm(secs, (int32_t)tp->off, NULL, &tm);
	if (tp->given & GIVEN_YEAR)
		return;
	tp->year = tm.tm_year + 1900LL;
	if (tp->given & GIVEN_MON)
		return;
	tp->mon = tm.tm_mon + 1;
	if (tp->given & GIVEN_MDAY)
		return;
	tp->mday = tm.tm_mday;
	if (tp->given & GIVEN_HOUR)
		return;
	tp->hour = tm.tm_hour;
	if (tp->given & GIVEN_MIN)
		return;
	tp->min = tm.tm_min;
	if (!(tp->given & GIVEN_SEC))
		tp->sec = tm.tm_sec;
}

static int
tparts_to_ns(struct tparts *tp, int64_t ref, int64_t *ns)
{
	int64_t	 days, jan1;

	if (tp->have_epoch)
		return time_from_secs(tp->epoch, tp->frac, ns);
	tparts_fill(tp, ref);
	if (tp->have_yday && !tp->have_date) {
		if (tp->year < 0 || tp->year > 9999 ||
		    tp->yday > (is_leap(tp->year) ? 366 : 365) ||
		    tp->hour > 23 || tp->min > 59 || tp->sec > 60)
			return -1;
		jan1 = time_days_from_civil(tp->year, 1, 1);
		days = jan1 + tp->yday - 1;
		return time_from_secs(days * SEC_PER_DAY + tp->hour * 3600LL +
		    tp->min * 60LL + tp->sec - tp->off, tp->frac, ns);
	}
	return time_compose(tp->year, tp->mon, tp->mday, tp->hour, tp->min,
	    tp->sec, tp->frac, tp->off, ns);
}

int
time_parse_format_at(const char *fmt, const char *s, size_t len,
    int64_t ref, int64_t *ns)
{
	struct tparts	 tp;
	size_t		 i = 0;

	memset(&tp, 0, sizeof tp);
	tp.mon = 1;
	tp.mday = 1;
	if (fmt_parse(fmt, s, len, &i, &tp) != 0 || i != len)
		return -1;
	return tparts_to_ns(&tp, ref, ns);
}

int
time_parse_format(const char *fmt, const char *s, size_t len, int64_t *ns)
{
	return time_parse_format_at(fmt, s, len, 0, ns);
}

static char *
put_digits(char *p, int64_t v, int n)
{
	int	 k;

	for (k = n - 1; k >= 0; k--) {
		p[k] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

size_t
time_format_rfc3339(int64_t ns, char out[RFC3339_NANO_LEN + 1])
{
	int64_t		 secs = ns / NS_PER_SEC, frac = ns % NS_PER_SEC;
	int64_t		 days, sod, y;
	unsigned	 m, d;
	char		*p = out;

	/* Floor, not truncate, so 1969 reads forwards like any other year. */
	if (frac < 0) {
		frac += NS_PER_SEC;
		secs--;
	}
	days = secs / SEC_PER_DAY;
	sod = secs % SEC_PER_DAY;
	if (sod < 0) {
		sod += SEC_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	p = put_digits(p, y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, sod / 3600, 2);
	*p++ = ':';
	p = put_digits(p, sod / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, sod % 60, 2);
	*p++ = '.';
	p = put_digits(p, frac, 9);
	*p++ = 'Z';
	*p = '\0';
	return (size_t)(p - out);
}

/* --- Ruby's strftime ------------------------------------------------------ */

struct tf_out {
	char	*p;
	size_t	 len;
	size_t	 size;
};

static void
tf_add(struct tf_out *o, const char *s, size_t n)
{
	size_t	 room = o->size > o->len + 1 ? o->size - o->len - 1 : 0;

	if (n > room)
		n = room;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* %z with colons: +hhmm, +hh:mm, +hh:mm:ss. */
static void
tf_zone(struct tf_out *o, int32_t gmtoff, int colons)
{
	int32_t	 a = gmtoff < 0 ? -gmtoff : gmtoff;
	char	 buf[16], *p = buf;

	*p++ = gmtoff < 0 ? '-' : '+';
	p = put_digits(p, a / 3600, 2);
	if (colons > 0)
		*p++ = ':';
	p = put_digits(p, a / 60 % 60, 2);
	if (colons > 1) {
		*p++ = ':';
		p = put_digits(p, a % 60, 2);
	}
	tf_add(o, buf, (size_t)(p - buf));
}

/* The first n digits of the 9-digit fraction, zeros after the 9th. */
static void
tf_fraction(struct tf_out *o, int64_t frac, int n)
{
	char	 buf[9];
	int	 i;

	put_digits(buf, frac, 9);
	tf_add(o, buf, (size_t)(n < 9 ? n : 9));
	for (i = 9; i < n; i++)
		tf_add(o, "0", 1);
}

/* One conversion strftime(3) knows, with its flags and width. */
static void
tf_libc(struct tf_out *o, const char *spec, size_t n, const struct tm *tm)
{
	char	 f[32], buf[256];
	size_t	 w;

	if (n + 2 > sizeof f)
		return;
	f[0] = '%';
	memcpy(f + 1, spec, n);
	f[n + 1] = '\0';
	w = strftime(buf, sizeof buf, f, tm);
	tf_add(o, buf, w);
}

size_t
time_format_strftime(const char *fmt, int64_t ns, int32_t gmtoff,
    const char *zone, char *out, size_t size)
{
	struct tf_out	 o = { out, 0, size };
	int64_t		 secs = ns / NS_PER_SEC - (ns % NS_PER_SEC < 0);
	int64_t		 frac = ns - secs * NS_PER_SEC;
	struct tm	 tm;
	char		 buf[24];

	if (size == 0)
		return 0;
	secs_to_tm(secs, gmtoff, zone, &tm);
	while (*fmt != '\0') {
		const char	*spec = fmt + 1;
		size_t		 fl = strspn(spec, "-_0^#");
		size_t		 wl = strspn(spec + fl, "0123456789");
		size_t		 cl = strspn(spec + fl + wl, ":");
		char		 c = spec[fl + wl + cl];
		int		 width = wl ? atoi(spec + fl) : 0;

		if (*fmt != '%' || c == '\0') {
			tf_add(&o, fmt++, 1);
			continue;
		}
		fmt = spec + fl + wl + cl + 1;
		if (c == 'N')
			tf_fraction(&o, frac, width ? width : 9);
		else if (c == 'L')
			tf_fraction(&o, frac, width ? width : 3);
		else if (c == 'z')
			tf_zone(&o, gmtoff, (int)cl);
		else if (c == 'Z')
			tf_add(&o, zone, strlen(zone));
		else if (c == 's')
			tf_add(&o, buf, (size_t)snprintf(buf, sizeof buf,
			    "%lld", (long long)secs));
		else
			tf_libc(&o, spec, fl + wl + cl + 1, &tm);
	}
	out[o.len] = '\0';
	return o.len;
}
