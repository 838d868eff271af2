/*
 * parse.c — names and classification of bad input (see parse.h).
 *
 * The order matters because a line can be bad in several ways at once: a
 * truncated JSON object may also hold a NUL. Checks that need only the
 * bytes come first, so every parser reports a given line the same way and
 * the counts match what the corpus manifest expects.
 */
#include <string.h>

#include "parse.h"
#include "utf8.h"

static const char *const bad_kind_names[BAD_NKINDS] = {
	[BAD_NONE] = "none",
	[BAD_EMPTY] = "empty",
	[BAD_OVERSIZED] = "oversized",
	[BAD_EMBEDDED_NUL] = "embedded_nul",
	[BAD_INVALID_UTF8] = "invalid_utf8",
	[BAD_FOREIGN_TEXT] = "foreign_text",
	[BAD_DEEP_NESTING] = "deep_nesting",
	[BAD_TRUNCATED] = "truncated",
	[BAD_SYNTAX] = "syntax",
	[BAD_ENVELOPE] = "envelope",
};

const char *
bad_kind_name(enum bad_kind kind)
{
	if ((unsigned)kind >= BAD_NKINDS)
		return "unknown";
	return bad_kind_names[kind];
}

enum bad_kind
bad_classify(const char *line, size_t len, int truncated,
    enum bad_kind parser_kind)
{
	if (len == 0)
		return BAD_EMPTY;
	if (truncated)
		return BAD_OVERSIZED;
	if (memchr(line, '\0', len) != NULL)
		return BAD_EMBEDDED_NUL;
	if (!utf8_valid(line, len))
		return BAD_INVALID_UTF8;
	/* The line did fail: "no problem" from the parser means syntax. */
	if (parser_kind == BAD_NONE || (unsigned)parser_kind >= BAD_NKINDS)
		return BAD_SYNTAX;
	return parser_kind;
}
