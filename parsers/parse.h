/*
 * parse.h — what every parser returns and the kinds of bad input.
 *
 * Bad input is data: a line that does not parse is kept as a record with
 * its raw text and the kind of problem, and counted by kind. The kinds
 * follow the order in which a line is classified, first match wins.
 */
#ifndef PARSERS_PARSE_H
#define PARSERS_PARSE_H

#include <stddef.h>

enum parse_status {
	PARSE_OK,
	PARSE_DROP,	/* the gate rejected it: a filter would drop it */
	PARSE_FAIL,	/* not a record of this format: see bad_kind */
};

enum bad_kind {
	BAD_NONE,
	BAD_EMPTY,		/* zero-length line */
	BAD_OVERSIZED,		/* longer than max_line_size, truncated */
	BAD_EMBEDDED_NUL,	/* a NUL byte */
	BAD_INVALID_UTF8,	/* bytes that are not UTF-8 */
	BAD_FOREIGN_TEXT,	/* not this format at all (panic, klog...) */
	BAD_DEEP_NESTING,	/* JSON nested deeper than the limit */
	BAD_TRUNCATED,		/* cut off before its end */
	BAD_SYNTAX,		/* any other syntax error */
	BAD_ENVELOPE,		/* the runtime envelope itself is broken */
	BAD_NKINDS
};

struct parse_error {
	enum bad_kind	 kind;
	size_t		 offset;	/* byte where it went wrong */
	const char	*what;		/* static text, e.g. "unterminated quote" */
};

/* "empty", "truncated", ... as used in metrics and summaries. */
const char *bad_kind_name(enum bad_kind kind);

/*
 * Classifies a line that failed to parse, in the documented order:
 * empty, oversized (if `truncated`), embedded NUL, invalid UTF-8, then
 * the parser's own verdict (foreign text, deep nesting, truncated, syntax).
 */
enum bad_kind bad_classify(const char *line, size_t len, int truncated,
	    enum bad_kind parser_kind);

#endif
