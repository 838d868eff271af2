/*
 * jsonenc.h — records to JSON text.
 *
 * Whatever the input, the output is valid JSON in valid UTF-8: invalid
 * bytes become U+FFFD, one per maximal subpart of an ill-formed sequence
 * (Unicode 3.9: `E2 82` is one U+FFFD, `FF FE` two), control characters
 * are escaped (\n, \t, \b, \f, \r, else \u00XX), as are `"`, `\` and
 * U+2028/U+2029 (\u2028, \u2029). DEL and valid non-ASCII are copied.
 */
#ifndef PARSERS_JSONENC_H
#define PARSERS_JSONENC_H

#include "record.h"
#include "strbuf.h"

/* Appends s as a JSON string, quotes included. */
void	json_put_string(struct strbuf *sb, const char *s, size_t len);
/*
 * Appends one record as a JSON object (no newline): fields in order,
 * FIELD_DELETED ones left out with their subtrees, VAL_RAW verbatim (an
 * empty one as null), VAL_OBJECT as a nested object. A key repeated in
 * an object is written once, with its last value; keys are compared as
 * written, so two that differ only in invalid UTF-8 are one key.
 */
void	json_put_record(struct strbuf *sb, const struct batch *b,
	    const struct record *r);
/*
 * Appends the n fields at f (subtrees included in n) as members of an
 * open object; *first is 1 until a member has been written.
 */
void	json_put_fields(struct strbuf *sb, const struct field *f, size_t n,
	    int *first);

/* Top-level keys json_put_members leaves out. */
struct json_skip {
	const char	*key;
	size_t		 len;
};

/* json_put_fields without the members (of that object) named in skip. */
void	json_put_fields_skip(struct strbuf *sb, const struct field *f,
	    size_t n, const struct json_skip *skip, size_t nskip, int *first);

/*
 * Appends the members of r as json_put_record does, without the braces
 * (so that a caller can add members of its own) and without the
 * top-level fields named in skip.
 */
void	json_put_members(struct strbuf *sb, const struct batch *b,
	    const struct record *r, const struct json_skip *skip,
	    size_t nskip, int *first);

#endif
