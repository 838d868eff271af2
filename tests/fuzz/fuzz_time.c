/*
 * fuzz_time.c — time parsing: RFC 3339 and strptime-style formats.
 *
 * The input is tried three ways: as RFC 3339 (what parses must format
 * and parse back to the same instant), as `format NUL text` for
 * time_parse_format, and its first 8 bytes as an instant, which must
 * format to RFC3339_NANO_LEN bytes that both parsers read back to it
 * (Fluentd's SPIRE format included).
 */
#include "fuzz.h"

#include "timefmt.h"

static void
round_trip(int64_t ns)
{
	char	 s[RFC3339_NANO_LEN + 1];
	int64_t	 back;

	FUZZ_ASSERT(time_format_rfc3339(ns, s) == RFC3339_NANO_LEN);
	FUZZ_ASSERT(strlen(s) == RFC3339_NANO_LEN);
	FUZZ_ASSERT(time_parse_rfc3339(s, RFC3339_NANO_LEN, &back) == 0 &&
	    back == ns);
	FUZZ_ASSERT(time_parse_format("%Y-%m-%dT%H:%M:%S.%NZ", s,
	    RFC3339_NANO_LEN, &back) == 0 && back == ns);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*fmt, *text;
	size_t		 len;
	int64_t		 ns;
	uint64_t	 u;

	if (time_parse_rfc3339((const char *)data, size, &ns) == 0)
		round_trip(ns);
	if (fuzz_split(data, size, &fmt, &text, &len) == 0)
		(void)time_parse_format(fmt, text, len, &ns);
	if (size >= sizeof u) {
		memcpy(&u, data, sizeof u);
		round_trip((int64_t)u);
	}
	return 0;
}
