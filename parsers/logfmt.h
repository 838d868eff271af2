/*
 * logfmt.h — logrus' text format, as SPIRE writes it by default:
 *
 *   time="2024-05-01T08:00:03Z" level=info msg="Configured" key=value
 *
 * A value is bare (no space, quote or `=`) or a Go %q quoted string with
 * Go escapes (\" \\ \n \t \xNN \uNNNN \UNNNNNNNN \a \b \f \r \v \NNN).
 * Fields are appended to the open record of the batch as strings, quoted
 * values decoded into the batch's arena, bare values pointing into line.
 */
#ifndef PARSERS_LOGFMT_H
#define PARSERS_LOGFMT_H

#include "gate.h"
#include "parse.h"
#include "record.h"

struct logfmt_opts {
	/* Keys a line must have to be a record; SPIRE's: time and level. */
	const char *const *required;
	size_t		 nrequired;
};

/*
 * Parses line into the open record of b. Fields appended before a
 * failure are left for the caller to roll back. A NUL byte or invalid
 * UTF-8 fails the line (logrus quotes and escapes both, so they mean
 * damage). With a gate, each field is fed to it and PARSE_DROP returned
 * as soon as it says so, unless the key occurs again later in the line
 * (its last value counts: the caller then asks gate_passes). So a line
 * that would have failed further on is dropped, not counted as bad.
 *
 * Keys may repeat and are all appended. Pairs are separated by spaces;
 * a trailing \n or \r\n is ignored. Quoted values without a backslash
 * point into line like bare ones. On PARSE_FAIL, err->kind is, first
 * match wins: BAD_EMPTY (len 0), BAD_EMBEDDED_NUL, BAD_INVALID_UTF8,
 * BAD_FOREIGN_TEXT (the first token is not key=value, the line is blank,
 * or a required key is missing), BAD_TRUNCATED (an unterminated quote),
 * BAD_SYNTAX (anything else, e.g. a bad escape or a later token that is
 * not key=value). err may be NULL.
 */
enum parse_status logfmt_parse(const char *line, size_t len,
	    const struct logfmt_opts *opts, struct batch *b,
	    const struct gate *gate, struct gate_state *gst,
	    struct parse_error *err);

#endif
