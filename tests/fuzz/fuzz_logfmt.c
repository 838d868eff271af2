/*
 * fuzz_logfmt.c — logfmt_parse (logrus' text format, SPIRE's default).
 *
 * The checks are fuzz_record.h's, with the parser filter's default
 * required keys (time and level); the record's JSON encoding must read
 * back through the JSON parser to the same text.
 */
#include "fuzz_record.h"

#include "logfmt.h"

static const char *const required[] = { "time", "level" };
static struct logfmt_opts opts = { required, 2 };
static struct json_parser	*jp;

static enum parse_status
logfmt_fn(void *arg, const char *line, size_t len, struct batch *b,
    const struct gate *g, struct gate_state *gst, struct parse_error *err)
{
	return logfmt_parse(line, len, arg, b, g, gst, err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (jp == NULL)
		jp = json_parser_new(8);
	fuzz_record_check(logfmt_fn, &opts, jp,
	    (const char *)data, size);
	return 0;
}
