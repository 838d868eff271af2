/*
 * regex_ruby.h — Fluentd's regexps are Ruby's (Onigmo): the same pattern
 * in PCRE2's syntax.
 *
 * Most of Ruby's syntax means the same in PCRE2. What would silently mean
 * something else is rewritten: \h \H (hex digits in Ruby, horizontal
 * space in PCRE2), \v (Ruby's is the vertical tab), the option m (Ruby's
 * dot-matches-newline is PCRE2's s), an isolated option such as (?i),
 * which in Ruby takes the rest of its group, alternatives included;
 * {,n}; X{n}? and X{n,m}+ (an optional and a repeated interval in Ruby,
 * lazy and possessive in PCRE2); nested character classes, a union in
 * Ruby; \uHHHH; Ruby's POSIX property names (\p{Alpha}); \Q \E. The
 * pattern is compiled with PCRE2_UCP so that POSIX brackets and \b are
 * Unicode, as in Ruby, and so \d \w \s are written as the ASCII classes
 * they are in Ruby.
 */
#ifndef SHIPPER_REGEX_RUBY_H
#define SHIPPER_REGEX_RUBY_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/*
 * Appends to out the PCRE2 pattern (for PCRE2_UCP) that means what the
 * Ruby pattern means; extended: it has /x. Returns 0, or -1 with *why (a
 * static message saying what to write instead) and *at (its offset in
 * ruby) for what PCRE2 has no form of: a class intersection (&&) and a
 * negated class inside a class. Anything that is not Ruby is copied for
 * PCRE2 to judge.
 */
int	regex_ruby_to_pcre2(const char *ruby, bool extended,
	    struct strbuf *out, const char **why, size_t *at);

#endif
