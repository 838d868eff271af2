/*
 * timefmt.h — event times: RFC 3339 in and out, strptime-style formats.
 *
 * All times are int64 nanoseconds since the epoch, UTC.
 */
#ifndef PARSERS_TIMEFMT_H
#define PARSERS_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define RFC3339_NANO_LEN 30	/* 2024-05-01T08:00:02.224323240Z */

/*
 * Parses RFC 3339 as SPIRE and the runtimes write it: a fraction of 0 to
 * 9 digits (trailing zeros trimmed; a `.` needs at least one digit) and
 * `Z` or a `+hh:mm` offset. Also accepts a space for `T` and a lower case
 * `t`/`z`. Second 60 (a leap second) is accepted and counts as the next
 * minute's :00. Years past the int64 range (1677..2262) fail.
 * Returns 0 or -1.
 */
int	time_parse_rfc3339(const char *s, size_t len, int64_t *ns);

/*
 * Parses s with a strptime-style format: %Y %m %d %H %M %S %y %b %e %j
 * %z and %:z (+hhmm, +hh:mm, +hh, Z) %Z (UTC/GMT/Z only: no tz database)
 * %s (epoch seconds) %T %F %% and %N / %L / %3N / %6N / %9N (fraction:
 * %N takes 0-9 digits, %L exactly 3, %<w>N exactly w). Also %B %h (month
 * names, any case, full or abbreviated), %a %A (weekday names, checked
 * but not used), %n %t and a space (any run of blanks, possibly none).
 * Numbers take 1 up to their width in digits. Missing fields default to
 * 1970-01-01 00:00:00 (but see time_parse_format_at), times without a
 * zone are UTC, %s wins over the other fields. Must consume all of s.
 * Returns 0 or -1.
 *
 * `.%N` in the format is optional: when the input has no `.` at that
 * point both are skipped. So Fluentd's `%Y-%m-%dT%H:%M:%S.%NZ` matches
 * SPIRE's `2024-05-01T08:00:03Z`, whose all-zero fraction Go trimmed
 * away, which a strict strptime rejects.
 */
int	time_parse_format(const char *fmt, const char *s, size_t len,
	    int64_t *ns);
/*
 * The same, but the fields before the first one the format gives are
 * ref's (ns, at the offset read), as Ruby's Time.strptime takes them
 * from the clock: syslog's `%b %d %H:%M:%S` is a time in ref's year,
 * `%H:%M` one on ref's day; the fields after it are at their lowest.
 * time_parse_format is this with ref 0.
 */
int	time_parse_format_at(const char *fmt, const char *s, size_t len,
	    int64_t ref, int64_t *ns);

/*
 * Writes RFC 3339 with 9 fraction digits and Z, NUL-terminated; returns
 * the length, always RFC3339_NANO_LEN (every int64 is a 4-digit year).
 * Negative times are before 1970 and read forwards: -1 is
 * 1969-12-31T23:59:59.999999999Z.
 */
size_t	time_format_rfc3339(int64_t ns, char out[RFC3339_NANO_LEN + 1]);

/*
 * Formats ns, shown at gmtoff seconds east of UTC, as Ruby's
 * Time#strftime does (Fluentd's time_format): the conversions of
 * strftime(3) with their flags and widths, and Ruby's own %N (9 digits;
 * %3N %6N... that many), %L (milliseconds; %6L...), %z %:z %::z and %s;
 * %Z is `zone`. Writes at most size - 1 bytes and a NUL; returns the
 * length (0 when size is 0).
 */
size_t	time_format_strftime(const char *fmt, int64_t ns, int32_t gmtoff,
	    const char *zone, char *out, size_t size);

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
int64_t	time_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
