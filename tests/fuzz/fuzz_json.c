/*
 * fuzz_json.c — json_parse_record (SPIRE's JSON lines, through yajl).
 *
 * The checks are fuzz_record.h's: failures classified and rolled back,
 * valid JSON out, the level gate only an early exit, and encoding a
 * fixed point. Nesting is limited to 8 so that deep input reaches the
 * limit quickly.
 */
#include "fuzz_record.h"

static struct json_parser	*jp;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (jp == NULL)
		jp = json_parser_new(8);
	fuzz_record_check(fuzz_json_fn, jp, jp, (const char *)data, size);
	return 0;
}
