/*
 * regex.h — regular expressions, PCRE2 with JIT.
 *
 * Fluentd's patterns are Ruby regexps: REGEX_RUBY compiles them with
 * Ruby's meaning, ^ and $ at every line boundary and the syntax that
 * means something else in PCRE2 rewritten (regex_ruby.h). Subjects need
 * not be valid UTF-8: invalid bytes never match a character class.
 */
#ifndef SHIPPER_REGEX_H
#define SHIPPER_REGEX_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define REGEX_RUBY	0x01	/* Ruby's syntax and meaning */
#define REGEX_ICASE	0x02
#define REGEX_DOTALL	0x04	/* Ruby's /m: . matches a newline */
#define REGEX_EXTENDED	0x08	/* /x */

struct regex;

struct regex *regex_compile(const char *pattern, unsigned flags,
	    struct err *e);
bool	regex_match(const struct regex *re, const char *s, size_t len);
/*
 * A Fluentd regexp value: /body/flags (i, m, x) or a bare body, with
 * REGEX_RUBY and `flags` added.
 */
struct regex *regex_compile_fluentd(const char *value, unsigned flags,
	    struct err *e);
const char *regex_pattern(const struct regex *re);

typedef void (*regex_capture_fn)(void *arg, const char *name, size_t nlen,
	    const char *val, size_t vlen);
/*
 * Matches and reports each named group that took part in the match, in
 * the order of the pattern (names stay valid as long as re). Returns
 * whether it matched.
 */
bool	regex_captures(const struct regex *re, const char *s, size_t len,
	    regex_capture_fn fn, void *arg);
/* Number of named groups. */
unsigned regex_ngroups(const struct regex *re);
void	regex_free(struct regex *re);

#endif
