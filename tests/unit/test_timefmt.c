/*
 * test_timefmt.c — RFC 3339 and strptime-style time parsing, and output.
 *
 * Expected values are epoch seconds computed independently (Python's
 * calendar.timegm), plus a day-by-day walk of the calendar to check the
 * date arithmetic over two centuries.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "timefmt.h"

#define NS	1000000000LL
#define T_20240501_080002 1714550402LL	/* 2024-05-01T08:00:02Z */

static int
p3339(const char *s, int64_t *ns)
{
	return time_parse_rfc3339(s, strlen(s), ns);
}

static int
pfmt(const char *fmt, const char *s, int64_t *ns)
{
	return time_parse_format(fmt, s, strlen(s), ns);
}

START_TEST(test_days_from_civil_known)
{
	ck_assert_int_eq(time_days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(time_days_from_civil(1969, 12, 31), -1);
	ck_assert_int_eq(time_days_from_civil(2000, 3, 1), 11017);
	ck_assert_int_eq(time_days_from_civil(2024, 2, 29), 19782);
	ck_assert_int_eq(time_days_from_civil(1600, 3, 1), -135080);
}
END_TEST

/* Walk every day from 1900 to 2100 and compare with a running count. */
START_TEST(test_days_from_civil_walk)
{
	static const unsigned	 dim[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int64_t			 day = time_days_from_civil(1900, 1, 1);
	int64_t			 y;
	unsigned		 m, d, n;

	ck_assert_int_eq(day, -25567);
	for (y = 1900; y <= 2100; y++) {
		for (m = 1; m <= 12; m++) {
			n = dim[m - 1];
			if (m == 2 && ((y % 4 == 0 && y % 100 != 0) ||
			    y % 400 == 0))
				n = 29;
			for (d = 1; d <= n; d++) {
				if (time_days_from_civil(y, m, d) != day)
					ck_abort_msg("%lld-%u-%u",
					    (long long)y, m, d);
				day++;
			}
		}
	}
}
END_TEST

START_TEST(test_rfc3339_spire)
{
	int64_t	 ns;

	ck_assert_int_eq(p3339("2024-05-01T08:00:02.22432324Z", &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS + 224323240);
	ck_assert_int_eq(p3339("2024-05-01T08:00:02Z", &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS);
	ck_assert_int_eq(p3339("2024-05-01T08:00:02.666503184Z", &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS + 666503184);
	ck_assert_int_eq(p3339("2025-03-11T19:06:11Z", &ns), 0);
	ck_assert_int_eq(ns, 1741719971LL * NS);
}
END_TEST

/* Every fraction length from 1 to 9 digits. */
START_TEST(test_rfc3339_fraction_digits)
{
	static const int64_t	 want[10] = { 0, 100000000, 120000000,
	    123000000, 123400000, 123450000, 123456000, 123456700,
	    123456780, 123456789 };
	char			 buf[64];
	int64_t			 ns;
	int			 n;

	for (n = 1; n <= 9; n++) {
		snprintf(buf, sizeof buf, "2024-05-01T08:00:02.%.*sZ", n,
		    "123456789");
		ck_assert_int_eq(p3339(buf, &ns), 0);
		ck_assert_int_eq(ns, T_20240501_080002 * NS + want[n]);
	}
	/* Ten digits is more than nanoseconds; a bare dot is no fraction. */
	ck_assert_int_eq(p3339("2024-05-01T08:00:02.1234567891Z", &ns), -1);
	ck_assert_int_eq(p3339("2024-05-01T08:00:02.Z", &ns), -1);
	ck_assert_int_eq(p3339("2024-05-01T08:00:02.000000001Z", &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS + 1);
}
END_TEST

START_TEST(test_rfc3339_offsets)
{
	int64_t	 utc, ns;

	ck_assert_int_eq(p3339("2024-05-01T08:00:02.5Z", &utc), 0);
	/* The same instant in CEST, as a CRI runtime on such a node writes. */
	ck_assert_int_eq(p3339("2024-05-01T10:00:02.5+02:00", &ns), 0);
	ck_assert_int_eq(ns, utc);
	ck_assert_int_eq(p3339("2024-05-01T02:30:02.5-05:30", &ns), 0);
	ck_assert_int_eq(ns, utc);
	ck_assert_int_eq(p3339("2024-05-01T08:00:02.5+00:00", &ns), 0);
	ck_assert_int_eq(ns, utc);
	ck_assert_int_eq(p3339("2024-05-01T08:00:02.5-00:00", &ns), 0);
	ck_assert_int_eq(ns, utc);
	/* Crossing midnight backwards. */
	ck_assert_int_eq(p3339("2024-05-01T00:30:00+02:00", &ns), 0);
	ck_assert_int_eq(ns, (1714523400LL - 7200) * NS);
	ck_assert_int_eq(p3339("2024-05-01T08:00:02+0200", &ns), -1);
	ck_assert_int_eq(p3339("2024-05-01T08:00:02+02", &ns), -1);
	ck_assert_int_eq(p3339("2024-05-01T08:00:02+24:00", &ns), -1);
	ck_assert_int_eq(p3339("2024-05-01T08:00:02+02:60", &ns), -1);
	ck_assert_int_eq(p3339("2024-05-01T08:00:02 02:00", &ns), -1);
	ck_assert_int_eq(p3339("2024-05-01T08:00:02", &ns), -1);
}
END_TEST

START_TEST(test_rfc3339_variants)
{
	int64_t	 ns;

	ck_assert_int_eq(p3339("2024-05-01t08:00:02z", &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS);
	ck_assert_int_eq(p3339("2024-05-01 08:00:02Z", &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS);
	ck_assert_int_eq(p3339("2024-05-01_08:00:02Z", &ns), -1);
}
END_TEST

/* The length bounds the input: the bytes after it do not count. */
START_TEST(test_rfc3339_length)
{
	const char	*s = "2024-05-01T08:00:02.5Z stdout F x";
	int64_t		 ns;

	ck_assert_int_eq(time_parse_rfc3339(s, 22, &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS + 500000000);
	ck_assert_int_eq(time_parse_rfc3339(s, 21, &ns), -1);
	ck_assert_int_eq(time_parse_rfc3339(s, 23, &ns), -1);
	ck_assert_int_eq(time_parse_rfc3339(s, 0, &ns), -1);
	ck_assert_int_eq(time_parse_rfc3339(s, 19, &ns), -1);
}
END_TEST

static const char *const bad_dates[] = {
	"2024-13-01T00:00:00Z",
	"2024-00-01T00:00:00Z",
	"2024-05-00T00:00:00Z",
	"2024-05-32T00:00:00Z",
	"2024-04-31T00:00:00Z",
	"2023-02-29T00:00:00Z",
	"1900-02-29T00:00:00Z",
	"2024-05-01T24:00:00Z",
	"2024-05-01T23:60:00Z",
	"2024-05-01T23:59:61Z",
	"2024-5-01T08:00:02Z",
	"2024-05-01T8:00:02Z",
	"2024-05-01T08:00:2Z",
	"2024/05/01T08:00:02Z",
	"2024-05-01T08-00-02Z",
	"202a-05-01T08:00:02Z",
	"2024-05-01T08:00:02.12a4Z",
	"2024-05-01T08:00:02ZZ",
	"2024-05-01T08:00:02Z ",
	" 2024-05-01T08:00:02Z",
	"-024-05-01T08:00:02Z",
	"",
	"Z",
	"2024/05/01 08:00:02 http: TLS handshake error",
	/* Outside what int64 nanoseconds can hold. */
	"0000-01-01T00:00:00Z",
	"1677-09-21T00:12:43.145224191Z",
	"2262-04-11T23:47:16.854775808Z",
	"9999-12-31T23:59:59Z",
};

START_TEST(test_rfc3339_bad)
{
	int64_t	 ns = 42;

	ck_assert_msg(p3339(bad_dates[_i], &ns) == -1, "accepted %s",
	    bad_dates[_i]);
}
END_TEST

START_TEST(test_rfc3339_edges)
{
	int64_t	 ns;

	ck_assert_int_eq(p3339("2024-02-29T00:00:00Z", &ns), 0);
	ck_assert_int_eq(ns, 19782LL * 86400 * NS);
	ck_assert_int_eq(p3339("2000-02-29T00:00:00Z", &ns), 0);
	ck_assert_int_eq(p3339("1970-01-01T00:00:00Z", &ns), 0);
	ck_assert_int_eq(ns, 0);
	ck_assert_int_eq(p3339("1969-12-31T23:59:59.999999999Z", &ns), 0);
	ck_assert_int_eq(ns, -1);
	ck_assert_int_eq(p3339("1999-12-31T23:59:59Z", &ns), 0);
	ck_assert_int_eq(ns, 946684799LL * NS);
	/* A leap second is the next minute's first. */
	ck_assert_int_eq(p3339("2016-12-31T23:59:60Z", &ns), 0);
	ck_assert_int_eq(ns, 1483228800LL * NS);
	/* The ends of int64. */
	ck_assert_int_eq(p3339("2262-04-11T23:47:16.854775807Z", &ns), 0);
	ck_assert_int_eq(ns, INT64_MAX);
	ck_assert_int_eq(p3339("1677-09-21T00:12:43.145224192Z", &ns), 0);
	ck_assert_int_eq(ns, INT64_MIN);
}
END_TEST

static void
check_format(int64_t ns, const char *want)
{
	char	 out[RFC3339_NANO_LEN + 1];
	size_t	 n;

	memset(out, 'x', sizeof out);
	n = time_format_rfc3339(ns, out);
	ck_assert_uint_eq(n, RFC3339_NANO_LEN);
	ck_assert_str_eq(out, want);
}

START_TEST(test_format)
{
	check_format(0, "1970-01-01T00:00:00.000000000Z");
	check_format(1, "1970-01-01T00:00:00.000000001Z");
	check_format(-1, "1969-12-31T23:59:59.999999999Z");
	check_format(-NS, "1969-12-31T23:59:59.000000000Z");
	check_format(-NS - 1, "1969-12-31T23:59:58.999999999Z");
	check_format(-86400 * NS, "1969-12-31T00:00:00.000000000Z");
	check_format(T_20240501_080002 * NS + 224323240,
	    "2024-05-01T08:00:02.224323240Z");
	check_format(19782LL * 86400 * NS, "2024-02-29T00:00:00.000000000Z");
	check_format(946684799LL * NS + 999999999,
	    "1999-12-31T23:59:59.999999999Z");
	check_format(INT64_MAX, "2262-04-11T23:47:16.854775807Z");
	check_format(INT64_MIN, "1677-09-21T00:12:43.145224192Z");
}
END_TEST

/* Formatting then parsing gives the same time, over the whole range. */
START_TEST(test_format_roundtrip)
{
	char		 out[RFC3339_NANO_LEN + 1];
	uint64_t	 x = 0x9e3779b97f4a7c15ULL;
	int64_t		 ns, back;
	int		 i;

	for (i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ns = (int64_t)x;
		if (i % 3 == 0)
			ns /= 1000000;	/* nearer 1970 too */
		ck_assert_uint_eq(time_format_rfc3339(ns, out),
		    RFC3339_NANO_LEN);
		ck_assert_int_eq(time_parse_rfc3339(out, RFC3339_NANO_LEN,
		    &back), 0);
		if (back != ns)
			ck_abort_msg("%lld -> %s -> %lld", (long long)ns, out,
			    (long long)back);
	}
}
END_TEST

#define FLUENTD_FMT "%Y-%m-%dT%H:%M:%S.%NZ"

START_TEST(test_format_fluentd)
{
	int64_t	 ns;

	ck_assert_int_eq(pfmt(FLUENTD_FMT, "2024-05-01T08:00:02.22432324Z",
	    &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS + 224323240);
	ck_assert_int_eq(pfmt(FLUENTD_FMT, "2024-05-01T08:00:02.123456789Z",
	    &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS + 123456789);
	ck_assert_int_eq(pfmt(FLUENTD_FMT, "2024-05-01T08:00:02.5Z", &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS + 500000000);
	/* The trap: SPIRE trims an all-zero fraction, dot and all. */
	ck_assert_int_eq(pfmt(FLUENTD_FMT, "2024-05-01T08:00:03Z", &ns), 0);
	ck_assert_int_eq(ns, (T_20240501_080002 + 1) * NS);
	/* A dot with no digits still matches: %N takes zero digits. */
	ck_assert_int_eq(pfmt(FLUENTD_FMT, "2024-05-01T08:00:03.Z", &ns), 0);
	ck_assert_int_eq(ns, (T_20240501_080002 + 1) * NS);
	/* Only the dot is optional, not the rest. */
	ck_assert_int_eq(pfmt(FLUENTD_FMT, "2024-05-01T08:00:03", &ns), -1);
	ck_assert_int_eq(pfmt(FLUENTD_FMT, "2024-05-01T08:00:03,5Z", &ns), -1);
	ck_assert_int_eq(pfmt(FLUENTD_FMT, "2024-05-01T08:00:03.1234567890Z",
	    &ns), -1);
	ck_assert_int_eq(pfmt(FLUENTD_FMT, "2024-05-01T08:00:03.5+00:00",
	    &ns), -1);
	/* At the end of the format and input. */
	ck_assert_int_eq(pfmt("%H:%M:%S.%N", "08:00:03", &ns), 0);
	ck_assert_int_eq(ns, 8 * 3600 * NS + 3 * NS);
	ck_assert_int_eq(pfmt("%H:%M:%S.%N", "08:00:03.25", &ns), 0);
	ck_assert_int_eq(ns, 8 * 3600 * NS + 3 * NS + 250000000);
	ck_assert_int_eq(pfmt("%H:%M:%S.%N", "08:00:03x", &ns), -1);
}
END_TEST

START_TEST(test_format_fraction_widths)
{
	int64_t	 ns;

	ck_assert_int_eq(pfmt("%S.%L", "02.123", &ns), 0);
	ck_assert_int_eq(ns, 2 * NS + 123000000);
	ck_assert_int_eq(pfmt("%S.%L", "02.12", &ns), -1);
	ck_assert_int_eq(pfmt("%S.%L", "02.1234", &ns), -1);
	ck_assert_int_eq(pfmt("%S.%3N", "02.007", &ns), 0);
	ck_assert_int_eq(ns, 2 * NS + 7000000);
	ck_assert_int_eq(pfmt("%S.%6N", "02.000007", &ns), 0);
	ck_assert_int_eq(ns, 2 * NS + 7000);
	ck_assert_int_eq(pfmt("%S.%6N", "02.00007", &ns), -1);
	ck_assert_int_eq(pfmt("%S.%9N", "02.000000007", &ns), 0);
	ck_assert_int_eq(ns, 2 * NS + 7);
	/* %L is not made optional: only %N is SPIRE's trimmed fraction. */
	ck_assert_int_eq(pfmt("%S.%L", "02", &ns), -1);
	/* %N followed by more digits in the format. */
	ck_assert_int_eq(pfmt("%S%N", "021", &ns), 0);
	ck_assert_int_eq(ns, 2 * NS + 100000000);
}
END_TEST

START_TEST(test_format_zones)
{
	int64_t	 utc = T_20240501_080002 * NS, ns;

	ck_assert_int_eq(pfmt("%Y-%m-%dT%H:%M:%S%z",
	    "2024-05-01T10:00:02+0200", &ns), 0);
	ck_assert_int_eq(ns, utc);
	ck_assert_int_eq(pfmt("%Y-%m-%dT%H:%M:%S%z",
	    "2024-05-01T10:00:02+02:00", &ns), 0);
	ck_assert_int_eq(ns, utc);
	ck_assert_int_eq(pfmt("%Y-%m-%dT%H:%M:%S%z",
	    "2024-05-01T10:00:02+02", &ns), 0);
	ck_assert_int_eq(ns, utc);
	ck_assert_int_eq(pfmt("%Y-%m-%dT%H:%M:%S%z",
	    "2024-05-01T02:30:02-0530", &ns), 0);
	ck_assert_int_eq(ns, utc);
	ck_assert_int_eq(pfmt("%Y-%m-%dT%H:%M:%S%z",
	    "2024-05-01T08:00:02Z", &ns), 0);
	ck_assert_int_eq(ns, utc);
	ck_assert_int_eq(pfmt("%Y-%m-%dT%H:%M:%S%z",
	    "2024-05-01T08:00:02", &ns), -1);
	ck_assert_int_eq(pfmt("%Y-%m-%dT%H:%M:%S%z",
	    "2024-05-01T08:00:02+2", &ns), -1);
	ck_assert_int_eq(pfmt("%Y-%m-%dT%H:%M:%S%z",
	    "2024-05-01T08:00:02+02:6", &ns), -1);
	ck_assert_int_eq(pfmt("%Y-%m-%dT%H:%M:%S%z",
	    "2024-05-01T08:00:02+2500", &ns), -1);
	ck_assert_int_eq(pfmt("%Y-%m-%d %H:%M:%S %Z",
	    "2024-05-01 08:00:02 UTC", &ns), 0);
	ck_assert_int_eq(ns, utc);
	ck_assert_int_eq(pfmt("%Y-%m-%d %H:%M:%S %Z",
	    "2024-05-01 08:00:02 gmt", &ns), 0);
	ck_assert_int_eq(ns, utc);
	ck_assert_int_eq(pfmt("%Y-%m-%d %H:%M:%S %Z",
	    "2024-05-01 08:00:02 CEST", &ns), -1);
}
END_TEST

/* fmt at ref reads s as want (ns). */
static void
reads_at(const char *fmt, const char *s, int64_t ref, int64_t want)
{
	int64_t	 ns;

	ck_assert_msg(time_parse_format_at(fmt, s, strlen(s), ref, &ns) == 0,
	    "'%s' does not read '%s'", fmt, s);
	ck_assert_int_eq(ns, want);
}

/* Ruby's %:z, as the DaemonSet's CRI time format has it. */
START_TEST(test_format_zone_colon)
{
	int64_t	 utc = T_20240501_080002 * NS, ns;

	reads_at("%Y-%m-%dT%H:%M:%S.%N%:z", "2024-05-01T08:00:02.224323240Z",
	    0, utc + 224323240);
	reads_at("%Y-%m-%dT%H:%M:%S%:z", "2024-05-01T10:00:02+02:00", 0, utc);
	ck_assert_int_eq(pfmt("%Y-%m-%dT%H:%M:%S%:z", "2024-05-01T08:00:02",
	    &ns), -1);
}
END_TEST

/* Seconds of y-m-d h:mi:s UTC. */
static int64_t
civil_secs(int64_t y, unsigned m, unsigned d, int h, int mi, int s)
{
	return time_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s;
}

/*
 * The leading fields a format leaves out are the reference time's, as
 * Ruby's strptime takes them from the clock; the later ones are lowest.
 */
START_TEST(test_format_fields_from_ref)
{
	int64_t	 ref = T_20240501_080002 * NS, ns;

	/* syslog (RFC 3164) and glog have no year. */
	reads_at("%b %d %H:%M:%S", "Feb  4 07:32:30", ref,
	    civil_secs(2024, 2, 4, 7, 32, 30) * NS);
	reads_at("%m%d %H:%M:%S.%N", "1231 23:59:59.020537", ref,
	    civil_secs(2024, 12, 31, 23, 59, 59) * NS + 20537000);
	/* Day from ref, month too, hour too... */
	reads_at("%H:%M", "10:15", ref, civil_secs(2024, 5, 1, 10, 15, 0) * NS);
	reads_at("%d %H", "3 04", ref, civil_secs(2024, 5, 3, 4, 0, 0) * NS);
	reads_at("%M:%S", "07:09", ref, civil_secs(2024, 5, 1, 8, 7, 9) * NS);
	reads_at("%j", "60", ref, civil_secs(2024, 2, 29, 0, 0, 0) * NS);
	/* A year given: ref plays no part. */
	reads_at("%Y-%m", "2023-07", ref, civil_secs(2023, 7, 1, 0, 0, 0) * NS);
	reads_at("%s", "5", ref, 5 * NS);
	/* ref's fields at the offset read: 2025 already at +01:00. */
	reads_at("%m-%d %H:%M %z", "01-01 01:00 +0100",
	    civil_secs(2024, 12, 31, 23, 30, 0) * NS,
	    civil_secs(2025, 1, 1, 0, 0, 0) * NS);
	/* ref 0 is time_parse_format's 1970-01-01. */
	reads_at("%b %d", "May 1", 0, civil_secs(1970, 5, 1, 0, 0, 0) * NS);
	ck_assert_int_eq(pfmt("%b %d", "May 1", &ns), 0);
	ck_assert_int_eq(ns, civil_secs(1970, 5, 1, 0, 0, 0) * NS);
	/* Before 1970, ref still reads forwards. */
	reads_at("%H", "01", -1, civil_secs(1969, 12, 31, 1, 0, 0) * NS);
}
END_TEST

START_TEST(test_format_names)
{
	int64_t	 utc = T_20240501_080002 * NS, ns;

	/* Apache's common log time. */
	ck_assert_int_eq(pfmt("%d/%b/%Y:%H:%M:%S %z",
	    "01/May/2024:10:00:02 +0200", &ns), 0);
	ck_assert_int_eq(ns, utc);
	ck_assert_int_eq(pfmt("%d/%b/%Y:%H:%M:%S", "01/MAY/2024:08:00:02",
	    &ns), 0);
	ck_assert_int_eq(ns, utc);
	ck_assert_int_eq(pfmt("%B %d %Y %T", "May 01 2024 08:00:02", &ns), 0);
	ck_assert_int_eq(ns, utc);
	ck_assert_int_eq(pfmt("%d %B %Y", "29 february 2024", &ns), 0);
	ck_assert_int_eq(ns, 19782LL * 86400 * NS);
	ck_assert_int_eq(pfmt("%d %h %Y", "03 Sep 2024", &ns), 0);
	ck_assert_int_eq(pfmt("%d %b %Y", "03 Sept 2024", &ns), -1);
	ck_assert_int_eq(pfmt("%d %b %Y", "03 Foo 2024", &ns), -1);
	/* syslog: %e pads with a space; the weekday is read, not used. */
	ck_assert_int_eq(pfmt("%a %b %e %H:%M:%S %Y",
	    "Wed May  1 08:00:02 2024", &ns), 0);
	ck_assert_int_eq(ns, utc);
	ck_assert_int_eq(pfmt("%b%e", "May 1", &ns), 0);
	ck_assert_int_eq(ns, time_days_from_civil(1970, 5, 1) * 86400 * NS);
	ck_assert_int_eq(pfmt("%b%d", "May 1", &ns), -1);
	ck_assert_int_eq(pfmt("%A, %F %T", "Friday, 2024-05-01 08:00:02",
	    &ns), 0);
	ck_assert_int_eq(ns, utc);
	ck_assert_int_eq(pfmt("%a %F", "Xyz 2024-05-01", &ns), -1);
}
END_TEST

START_TEST(test_format_numbers)
{
	int64_t	 ns;

	ck_assert_int_eq(pfmt("%F %T", "2024-05-01 08:00:02", &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS);
	/* Fields without leading zeros. */
	ck_assert_int_eq(pfmt("%Y-%m-%d %H:%M:%S", "2024-5-1 8:0:2", &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS);
	/* Fixed widths let fields run together. */
	ck_assert_int_eq(pfmt("%Y%m%d%H%M%S", "20240501080002", &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS);
	/* POSIX %y: 69..99 are 19xx, 00..68 are 20xx. */
	ck_assert_int_eq(pfmt("%y-%m-%d", "69-01-01", &ns), 0);
	ck_assert_int_eq(ns, -365LL * 86400 * NS);
	ck_assert_int_eq(pfmt("%y-%m-%d", "24-05-01", &ns), 0);
	ck_assert_int_eq(ns, 1714521600LL * NS);
	ck_assert_int_eq(pfmt("%y-%m-%d", "68-01-01", &ns), 0);
	ck_assert_int_eq(ns, time_days_from_civil(2068, 1, 1) * 86400 * NS);
	/* Day of the year. */
	ck_assert_int_eq(pfmt("%Y %j", "2024 122", &ns), 0);
	ck_assert_int_eq(ns, 1714521600LL * NS);
	ck_assert_int_eq(pfmt("%Y %j", "2024 366", &ns), 0);
	ck_assert_int_eq(pfmt("%Y %j", "2023 366", &ns), -1);
	ck_assert_int_eq(pfmt("%Y %j", "2023 0", &ns), -1);
	/* Missing fields default to 1970-01-01 00:00:00. */
	ck_assert_int_eq(pfmt("%H:%M", "08:30", &ns), 0);
	ck_assert_int_eq(ns, (8 * 3600 + 30 * 60) * NS);
	ck_assert_int_eq(pfmt("%Y", "2024", &ns), 0);
	ck_assert_int_eq(ns, 1704067200LL * NS);
	/* Out of range. */
	ck_assert_int_eq(pfmt("%m", "13", &ns), -1);
	ck_assert_int_eq(pfmt("%m", "0", &ns), -1);
	ck_assert_int_eq(pfmt("%Y-%m-%d", "2023-02-29", &ns), -1);
	ck_assert_int_eq(pfmt("%Y-%m-%d", "2024-04-31", &ns), -1);
	ck_assert_int_eq(pfmt("%H", "24", &ns), -1);
	ck_assert_int_eq(pfmt("%M", "60", &ns), -1);
	ck_assert_int_eq(pfmt("%S", "61", &ns), -1);
	ck_assert_int_eq(pfmt("%S", "60", &ns), 0);
	ck_assert_int_eq(ns, 60 * NS);
	/* A digit too many is left over, and the input must be used up. */
	ck_assert_int_eq(pfmt("%m", "123", &ns), -1);
	ck_assert_int_eq(pfmt("%Y", "", &ns), -1);
	ck_assert_int_eq(pfmt("%Y", "x", &ns), -1);
}
END_TEST

START_TEST(test_format_epoch)
{
	int64_t	 ns;

	ck_assert_int_eq(pfmt("%s", "1714550402", &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS);
	ck_assert_int_eq(pfmt("%s.%N", "1714550402.5", &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS + 500000000);
	ck_assert_int_eq(pfmt("%s.%N", "1714550402", &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS);
	ck_assert_int_eq(pfmt("%s", "-86400", &ns), 0);
	ck_assert_int_eq(ns, -86400 * NS);
	ck_assert_int_eq(pfmt("%s", "+5", &ns), 0);
	ck_assert_int_eq(ns, 5 * NS);
	/* %s wins over a zone. */
	ck_assert_int_eq(pfmt("%s %z", "5 +0200", &ns), 0);
	ck_assert_int_eq(ns, 5 * NS);
	ck_assert_int_eq(pfmt("%s", "-", &ns), -1);
	ck_assert_int_eq(pfmt("%s", "99999999999", &ns), -1);
	ck_assert_int_eq(pfmt("%s", "99999999999999999999999", &ns), -1);
}
END_TEST

START_TEST(test_format_literals)
{
	int64_t	 ns;

	ck_assert_int_eq(pfmt("%%%Y%%", "%2024%", &ns), 0);
	ck_assert_int_eq(ns, 1704067200LL * NS);
	ck_assert_int_eq(pfmt("%%%Y", "x2024", &ns), -1);
	ck_assert_int_eq(pfmt("[%Y]", "[2024]", &ns), 0);
	ck_assert_int_eq(pfmt("[%Y]", "[2024", &ns), -1);
	ck_assert_int_eq(pfmt("[%Y]", "(2024]", &ns), -1);
	/* A blank matches any run of blanks, even none. */
	ck_assert_int_eq(pfmt("%Y %m", "2024    05", &ns), 0);
	ck_assert_int_eq(pfmt("%Y %m", "2024\t05", &ns), 0);
	ck_assert_int_eq(pfmt("%Y %m", "202405", &ns), 0);
	ck_assert_int_eq(pfmt("%Y%n%m%t", "2024 05 ", &ns), 0);
	/* Unknown or incomplete conversions. */
	ck_assert_int_eq(pfmt("%Q", "x", &ns), -1);
	ck_assert_int_eq(pfmt("%Y%", "2024", &ns), -1);
	ck_assert_int_eq(pfmt("%0N", "0", &ns), -1);
	ck_assert_int_eq(pfmt("%3", "3", &ns), -1);
	ck_assert_int_eq(pfmt("", "", &ns), 0);
	ck_assert_int_eq(ns, 0);
	ck_assert_int_eq(pfmt("", "x", &ns), -1);
}
END_TEST

/* The length bounds the input, not a NUL. */
START_TEST(test_format_length)
{
	const char	*s = "2024-05-01T08:00:02Zjunk";
	int64_t		 ns;

	ck_assert_int_eq(time_parse_format(FLUENTD_FMT, s, 20, &ns), 0);
	ck_assert_int_eq(ns, T_20240501_080002 * NS);
	ck_assert_int_eq(time_parse_format(FLUENTD_FMT, s, 19, &ns), -1);
	ck_assert_int_eq(time_parse_format(FLUENTD_FMT, s, 21, &ns), -1);
	ck_assert_int_eq(time_parse_format("%m%d", "0512", 3, &ns), 0);
	ck_assert_int_eq(ns, time_days_from_civil(1970, 5, 1) * 86400 * NS);
	ck_assert_int_eq(time_parse_format("%Y-%m-%d", "2024-05-01", 9, &ns),
	    -1);
	ck_assert_int_eq(time_parse_format("%b", "May", 2, &ns), -1);
}
END_TEST

/* --- Ruby's strftime (<inject> time_format) ------------------------------ */

static const char *
rfmt(const char *fmt, int64_t ns, int32_t off, const char *zone)
{
	static char	 out[256];

	time_format_strftime(fmt, ns, off, zone, out, sizeof out);
	return out;
}

#define T1	1714550402224323240LL	/* 2024-05-01T08:00:02.22432324Z */

START_TEST(test_strftime_ruby)
{
	ck_assert_str_eq(rfmt("%Y-%m-%dT%H:%M:%S.%NZ", T1, 0, "UTC"),
	    "2024-05-01T08:00:02.224323240Z");
	ck_assert_str_eq(rfmt("%3N|%6N|%9N|%12N|%L|%6L", T1, 0, "UTC"),
	    "224|224323|224323240|224323240000|224|224323");
	ck_assert_str_eq(rfmt("%H:%M %z %:z %::z %Z", T1, -(8 * 3600 + 30 * 60),
	    "PST"), "23:30 -0830 -08:30 -08:30:00 PST");
	ck_assert_str_eq(rfmt("%d %H:%M%:z", T1, 5 * 3600 + 45 * 60, ""),
	    "01 13:45+05:45");
	/* A day boundary, and what strftime(3) knows, flags included. */
	ck_assert_str_eq(rfmt("%a %A %b %B %e|%-d|%j|%y %p %I %u %w %%", T1,
	    16 * 3600, ""), "Thu Thursday May May  2|2|123|24 AM 12 4 4 %");
	ck_assert_str_eq(rfmt("%s %F %T", T1, 3600, ""),
	    "1714550402 2024-05-01 09:00:02");
	/* Before 1970: floors, not truncates. */
	ck_assert_str_eq(rfmt("%Y-%m-%dT%H:%M:%S.%N %s", -1, 0, "UTC"),
	    "1969-12-31T23:59:59.999999999 -1");
	ck_assert_str_eq(rfmt("%", T1, 0, ""), "%");
	ck_assert_str_eq(rfmt("plain", T1, 0, ""), "plain");
}
END_TEST

START_TEST(test_strftime_size)
{
	char	 out[8];

	ck_assert_uint_eq(time_format_strftime("%Y-%m-%d", T1, 0, "", out,
	    sizeof out), 7);
	ck_assert_str_eq(out, "2024-05");
	ck_assert_uint_eq(time_format_strftime("%N", T1, 0, "", out, 1), 0);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(time_format_strftime("%N", T1, 0, "", out, 0), 0);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("timefmt");
	TCase	*tc = tcase_create("timefmt");

	tcase_add_test(tc, test_days_from_civil_known);
	tcase_add_test(tc, test_days_from_civil_walk);
	tcase_add_test(tc, test_rfc3339_spire);
	tcase_add_test(tc, test_rfc3339_fraction_digits);
	tcase_add_test(tc, test_rfc3339_offsets);
	tcase_add_test(tc, test_rfc3339_variants);
	tcase_add_test(tc, test_rfc3339_length);
	tcase_add_loop_test(tc, test_rfc3339_bad, 0,
	    (int)(sizeof bad_dates / sizeof bad_dates[0]));
	tcase_add_test(tc, test_rfc3339_edges);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_format_roundtrip);
	tcase_add_test(tc, test_format_fluentd);
	tcase_add_test(tc, test_format_fraction_widths);
	tcase_add_test(tc, test_format_zones);
	tcase_add_test(tc, test_format_zone_colon);
	tcase_add_test(tc, test_format_fields_from_ref);
	tcase_add_test(tc, test_format_names);
	tcase_add_test(tc, test_format_numbers);
	tcase_add_test(tc, test_format_epoch);
	tcase_add_test(tc, test_format_literals);
	tcase_add_test(tc, test_format_length);
	tcase_add_test(tc, test_strftime_ruby);
	tcase_add_test(tc, test_strftime_size);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
