/*
 * fuzz_cri.c — cri_parse on one physical line.
 *
 * Checks: every field points into the line, the four fields and their
 * separators add up to the line, the tag says partial exactly when it is
 * P, the time is the one time_parse_rfc3339 reads, and
 * envelope_looks_cri agrees with cri_parse.
 */
#include "fuzz.h"

#include "envelope.h"
#include "timefmt.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*line = (const char *)data;
	struct envelope	 e;
	size_t		 len = size;
	int64_t		 ns;
	int		 rc;

	rc = cri_parse(line, size, &e);
	FUZZ_ASSERT(envelope_looks_cri(line, size) == (rc == 0));
	if (rc != 0)
		return 0;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	FUZZ_ASSERT(e.time == line && e.timelen > 0);
	FUZZ_ASSERT(fuzz_within(e.stream, e.streamlen, line, len));
	FUZZ_ASSERT(fuzz_within(e.logtag, e.logtaglen, line, len));
	FUZZ_ASSERT(fuzz_within(e.content, e.len, line, len));
	FUZZ_ASSERT(e.stream == e.time + e.timelen + 1);
	FUZZ_ASSERT(e.logtag == e.stream + e.streamlen + 1);
	FUZZ_ASSERT(e.content + e.len == line + len);
	/* The space after the tag is left out when nothing follows it. */
	FUZZ_ASSERT(e.content == e.logtag + e.logtaglen +
	    (e.logtag + e.logtaglen < line + len));
	FUZZ_ASSERT(e.streamlen > 0 && e.logtaglen > 0);
	FUZZ_ASSERT(e.partial == (e.logtag[0] == 'P'));
	FUZZ_ASSERT(memchr(e.time, ' ', e.timelen) == NULL);
	FUZZ_ASSERT(memchr(e.stream, ' ', e.streamlen) == NULL);
	FUZZ_ASSERT(memchr(e.logtag, ' ', e.logtaglen) == NULL);
	FUZZ_ASSERT(time_parse_rfc3339(e.time, e.timelen, &ns) == 0 &&
	    ns == e.time_ns);
	FUZZ_ASSERT(e.stream_kind == envelope_stream_kind(e.stream,
	    e.streamlen));
	return 0;
}
