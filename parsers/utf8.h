/*
 * utf8.h — UTF-8 validation. Output JSON must always be valid UTF-8; the
 * encoder uses these to find the bytes it has to replace with U+FFFD.
 */
#ifndef PARSERS_UTF8_H
#define PARSERS_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Length of the longest valid prefix of s (== len when all of s is valid).
 * Rejects overlong forms, surrogates and code points above U+10FFFF, as
 * RFC 3629 requires.
 */
size_t	utf8_valid_prefix(const char *s, size_t len);

static inline bool
utf8_valid(const char *s, size_t len)
{
	return utf8_valid_prefix(s, len) == len;
}

/*
 * Length of the valid UTF-8 sequence starting at s (1..4), or 0 if the
 * bytes at s do not start a valid sequence within len.
 */
size_t	utf8_seq_len(const unsigned char *s, size_t len);

/*
 * Where utf8_seq_len is 0: how many bytes at s form the ill-formed
 * sequence to replace with one U+FFFD, the "maximal subpart" of Unicode
 * 3.9 (what WHATWG, Python and ICU do): a lead byte and the continuation
 * bytes that fit it, 1 to 3 bytes. 0 only when len is 0.
 */
size_t	utf8_invalid_len(const unsigned char *s, size_t len);

/* Writes code point cp (up to U+10FFFF) as UTF-8 at o; returns the end. */
char	*utf8_put(char *o, unsigned long cp);

#endif
