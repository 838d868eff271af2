/*
 * fuzz_docker.c — docker_parse on one physical line, whole and cut.
 *
 * Checks: content lies in the caller's scratch (which is exactly as long
 * as the line, so ASan sees a write past it), stream and time point into
 * the line; a line that parses is JSON (yajl, strings unvalidated and
 * raw control bytes in them blanked, as the parser keeps any bytes, see
 * docker.c); a whole line parses the same with `cut` set, since cut only
 * forgives a missing end.
 */
#include "fuzz.h"

#include <stdbool.h>

#include "envelope.h"

/* The line with the control bytes inside its strings made spaces. */
static char *
blank_controls(const char *line, size_t len)
{
	char	*s = malloc(len ? len : 1);
	bool	 in_str = false, esc = false;
	size_t	 i;

	memcpy(s, line, len);
	for (i = 0; i < len; i++) {
		if (esc)
			esc = false;
		else if (in_str && (unsigned char)s[i] < 0x20)
			s[i] = ' ';
		else if (in_str && s[i] == '\\')
			esc = true;
		else if (s[i] == '"')
			in_str = !in_str;
	}
	return s;
}

static void
check_fields(const struct envelope *e, const char *line, size_t len,
    const char *scratch)
{
	FUZZ_ASSERT(e->content == scratch);
	FUZZ_ASSERT(e->len <= len);
	FUZZ_ASSERT(e->stream == NULL ||
	    fuzz_within(e->stream, e->streamlen, line, len));
	FUZZ_ASSERT(e->time == NULL ||
	    fuzz_within(e->time, e->timelen, line, len));
	FUZZ_ASSERT(e->logtag == NULL);
	FUZZ_ASSERT(e->stream != NULL || e->stream_kind == STREAM_OTHER);
	FUZZ_ASSERT(e->time != NULL || e->time_ns == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*line = (const char *)data;
	char		*whole = malloc(size ? size : 1);
	char		*cut = malloc(size ? size : 1);
	struct envelope	 ew, ec;
	int		 rw, rc;

	rw = docker_parse(line, size, false, whole, &ew);
	rc = docker_parse(line, size, true, cut, &ec);
	if (rw == 0) {
		check_fields(&ew, line, size, whole);
		char	*blanked = blank_controls(line, size);

		FUZZ_ASSERT(fuzz_is_json(blanked, size, 0));
		free(blanked);
		FUZZ_ASSERT(rc == 0 && ec.len == ew.len &&
		    memcmp(ec.content, ew.content, ew.len) == 0 &&
		    ec.partial == ew.partial && ec.time_ns == ew.time_ns &&
		    ec.stream == ew.stream && ec.time == ew.time);
	}
	if (rc == 0)
		check_fields(&ec, line, size, cut);
	free(whole);
	free(cut);
	return 0;
}
