/*
 * json.h — JSON lines (SPIRE's log_format json) into records, via yajl.
 *
 * Top-level members become fields; strings are decoded, numbers, true,
 * false and null are kept as their JSON text, nested objects and arrays
 * are re-encoded compactly as JSON text (VAL_RAW). yajl's callbacks let
 * the parse stop early: at the gate's verdict, or past max_depth.
 */
#ifndef PARSERS_JSON_H
#define PARSERS_JSON_H

#include "gate.h"
#include "parse.h"
#include "record.h"

struct json_parser;

/* max_depth: deepest nesting accepted (the top-level object is 1). */
struct json_parser *json_parser_new(unsigned max_depth);
void	json_parser_free(struct json_parser *jp);

/*
 * Parses one JSON object into the open record of b. Strings must be
 * valid UTF-8 and hold no raw control characters (else PARSE_FAIL with
 * BAD_INVALID_UTF8 / BAD_EMBEDDED_NUL / BAD_SYNTAX). A value that is not
 * an object fails as BAD_FOREIGN_TEXT.
 */
enum parse_status json_parse_record(struct json_parser *jp, const char *line,
	    size_t len, struct batch *b, const struct gate *gate,
	    struct gate_state *gst, struct parse_error *err);

#endif
