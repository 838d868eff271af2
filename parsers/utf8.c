/*
 * utf8.c — strict UTF-8 validation (RFC 3629).
 *
 * Nearly every byte the shipper sees is ASCII, so the validator looks at
 * eight bytes at a time and only decodes when one of them has its high
 * bit set. Sequences are checked against the table of RFC 3629, section
 * 4: the allowed range of the second byte depends on the first, which is
 * what rules out overlong forms, surrogates and code points past U+10FFFF.
 */
#include <stdint.h>
#include <string.h>

#include "utf8.h"

#define HIGH_BITS	0x8080808080808080ULL

/*
 * For a lead byte: how many bytes the sequence has (0: cannot start one)
 * and the range of the second byte. Bytes after the second are 80..BF.
 */
struct utf8_lead {
	uint8_t	 len;
	uint8_t	 lo;
	uint8_t	 hi;
};

static inline struct utf8_lead
utf8_lead(unsigned char c)
{
	struct utf8_lead	 l = { 0, 0x80, 0xbf };

	if (c >= 0xc2 && c <= 0xdf)
		l.len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		l.len = 3;
		if (c == 0xe0)
			l.lo = 0xa0;	/* overlong below U+0800 */
		else if (c == 0xed)
			l.hi = 0x9f;	/* surrogates D800..DFFF */
	} else if (c >= 0xf0 && c <= 0xf4) {
		l.len = 4;
		if (c == 0xf0)
			l.lo = 0x90;	/* overlong below U+10000 */
		else if (c == 0xf4)
			l.hi = 0x8f;	/* above U+10FFFF */
	}
	return l;
}

/*
 * How many bytes at s match a valid sequence: the sequence's length if
 * all do, else the maximal subpart (at least 1 for a non-ASCII byte).
 */
static inline size_t
utf8_match(const unsigned char *s, size_t len, size_t *seq)
{
	struct utf8_lead	 l = utf8_lead(s[0]);
	size_t			 i;

	*seq = l.len;
	if (l.len == 0)
		return 1;
	if (len < 2 || s[1] < l.lo || s[1] > l.hi)
		return 1;
	for (i = 2; i < l.len; i++) {
		if (i >= len || (s[i] & 0xc0) != 0x80)
			return i;
	}
	return l.len;
}

size_t
utf8_seq_len(const unsigned char *s, size_t len)
{
	size_t	 seq, n;

	if (len == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	n = utf8_match(s, len, &seq);
	return n == seq ? n : 0;
}

size_t
utf8_invalid_len(const unsigned char *s, size_t len)
{
	size_t	 seq;

	if (len == 0)
		return 0;
	return utf8_match(s, len, &seq);
}

size_t
utf8_valid_prefix(const char *str, size_t len)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i = 0, n;
	uint64_t		 w;

	while (i < len) {
		if (len - i >= 8) {
			memcpy(&w, s + i, 8);
			if ((w & HIGH_BITS) == 0) {
				i += 8;
				continue;
			}
		}
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = utf8_seq_len(s + i, len - i)) == 0)
			return i;
		i += n;
	}
	return len;
}

char *
utf8_put(char *o, unsigned long cp)
{
	if (cp < 0x80)
		*o++ = (char)cp;
	else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}
