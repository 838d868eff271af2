/*
 * ref_utf8.h — a reference UTF-8 decoder for the tests, written the slow,
 * obvious way, that the fast table in parsers/utf8.c is checked against.
 */
#ifndef REF_UTF8_H
#define REF_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * The reference: decode by bit patterns, then reject what RFC 3629 says
 * is not UTF-8. Returns the sequence length or 0.
 */
static size_t
ref_seq_len(const unsigned char *s, size_t len)
{
	uint32_t	 cp;
	size_t		 n, i;

	if (len == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000))
		return 0;	/* overlong */
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0;	/* surrogate */
	if (cp > 0x10ffff)
		return 0;
	return n;
}

#endif
