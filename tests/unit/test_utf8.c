/*
 * test_utf8.c — UTF-8 validation against RFC 3629.
 *
 * Besides hand-picked boundaries, every sequence of up to three bytes
 * (and every four-byte lead with all second and third bytes) is checked
 * against a reference decoder written the slow, obvious way, so a wrong
 * range in the fast table cannot hide.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"
#include "ref_utf8.h"

#define U(s)	((const unsigned char *)(s))

START_TEST(test_empty)
{
	ck_assert_uint_eq(utf8_valid_prefix("", 0), 0);
	ck_assert(utf8_valid("", 0));
	ck_assert_uint_eq(utf8_seq_len(U(""), 0), 0);
	ck_assert_uint_eq(utf8_invalid_len(U(""), 0), 0);
}
END_TEST

START_TEST(test_ascii)
{
	char	 buf[64];
	size_t	 n;

	memset(buf, 'a', sizeof buf);
	for (n = 0; n <= sizeof buf; n++)
		ck_assert_uint_eq(utf8_valid_prefix(buf, n), n);
	buf[10] = '\0';	/* NUL is valid UTF-8 */
	buf[11] = 0x7f;
	ck_assert(utf8_valid(buf, sizeof buf));
}
END_TEST

/* An invalid byte at every offset, so each lands in and out of a word. */
START_TEST(test_bad_byte_every_offset)
{
	char	 buf[40];
	size_t	 n, i;

	for (n = 1; n <= sizeof buf; n++) {
		for (i = 0; i < n; i++) {
			memset(buf, 'x', sizeof buf);
			buf[i] = (char)0xff;
			ck_assert_uint_eq(utf8_valid_prefix(buf, n), i);
			ck_assert(!utf8_valid(buf, n));
		}
	}
}
END_TEST

/* A four-byte sequence across every word boundary, then a truncated one. */
START_TEST(test_multibyte_every_offset)
{
	char	 buf[40];
	size_t	 i;

	for (i = 0; i + 4 <= sizeof buf; i++) {
		memset(buf, 'y', sizeof buf);
		memcpy(buf + i, "\xf0\x9f\x98\x80", 4);
		ck_assert_uint_eq(utf8_valid_prefix(buf, sizeof buf),
		    sizeof buf);
		ck_assert_uint_eq(utf8_valid_prefix(buf, i + 3), i);
	}
}
END_TEST

static const struct {
	const char	*s;
	size_t		 len;
	size_t		 seq;	/* utf8_seq_len */
	size_t		 bad;	/* utf8_invalid_len */
} seqs[] = {
	/* valid boundaries */
	{ "\x00", 1, 1, 1 },
	{ "\x7f", 1, 1, 1 },
	{ "\xc2\x80", 2, 2, 2 },		/* U+0080 */
	{ "\xdf\xbf", 2, 2, 2 },		/* U+07FF */
	{ "\xe0\xa0\x80", 3, 3, 3 },		/* U+0800 */
	{ "\xed\x9f\xbf", 3, 3, 3 },		/* U+D7FF */
	{ "\xee\x80\x80", 3, 3, 3 },		/* U+E000 */
	{ "\xef\xbf\xbf", 3, 3, 3 },		/* U+FFFF */
	{ "\xe2\x80\xa8", 3, 3, 3 },		/* U+2028 */
	{ "\xf0\x90\x80\x80", 4, 4, 4 },	/* U+10000 */
	{ "\xf4\x8f\xbf\xbf", 4, 4, 4 },	/* U+10FFFF */
	/* overlong */
	{ "\xc0\x80", 2, 0, 1 },
	{ "\xc1\xbf", 2, 0, 1 },
	{ "\xe0\x80\x80", 3, 0, 1 },
	{ "\xe0\x9f\xbf", 3, 0, 1 },
	{ "\xf0\x80\x80\x80", 4, 0, 1 },
	{ "\xf0\x8f\xbf\xbf", 4, 0, 1 },
	/* surrogates */
	{ "\xed\xa0\x80", 3, 0, 1 },
	{ "\xed\xbf\xbf", 3, 0, 1 },
	/* past U+10FFFF, and leads that never occur */
	{ "\xf4\x90\x80\x80", 4, 0, 1 },
	{ "\xf5\x80\x80\x80", 4, 0, 1 },
	{ "\xf8\x88\x80\x80\x80", 5, 0, 1 },
	{ "\xfe", 1, 0, 1 },
	{ "\xff", 1, 0, 1 },
	/* stray continuation bytes */
	{ "\x80", 1, 0, 1 },
	{ "\xbf\x80", 2, 0, 1 },
	/* truncated: the maximal subpart is what there is */
	{ "\xc3", 1, 0, 1 },
	{ "\xc3(", 2, 0, 1 },
	{ "\xe2\x82", 2, 0, 2 },
	{ "\xe2\x82" "A", 3, 0, 2 },
	{ "\xf0\x9f\x98", 3, 0, 3 },
	{ "\xf0\x9f\x98" "A", 4, 0, 3 },
	{ "\xf0\x9f", 2, 0, 2 },
	{ "\xe0\xa0", 2, 0, 2 },
	{ "\xf4\x8f\xbf", 3, 0, 3 },
};

START_TEST(test_sequences)
{
	const unsigned char	*s = U(seqs[_i].s);
	size_t			 len = seqs[_i].len;

	ck_assert_msg(utf8_seq_len(s, len) == seqs[_i].seq,
	    "seq_len of case %d: %zu", _i, utf8_seq_len(s, len));
	ck_assert_msg(utf8_invalid_len(s, len) == seqs[_i].bad,
	    "invalid_len of case %d: %zu", _i, utf8_invalid_len(s, len));
	ck_assert_uint_eq(ref_seq_len(s, len), seqs[_i].seq);
	/* Whole string valid iff the first sequence covers it. */
	ck_assert_uint_eq(utf8_valid(seqs[_i].s, len), seqs[_i].seq == len);
	/* A valid sequence cut short is no longer one. */
	if (seqs[_i].seq > 1)
		ck_assert_uint_eq(utf8_seq_len(s, seqs[_i].seq - 1), 0);
}
END_TEST

START_TEST(test_exhaustive_short)
{
	unsigned char	 b[3];
	unsigned	 x, y, z;

	for (x = 0; x < 256; x++) {
		b[0] = (unsigned char)x;
		ck_assert_uint_eq(utf8_seq_len(b, 1), ref_seq_len(b, 1));
		for (y = 0; y < 256; y++) {
			b[1] = (unsigned char)y;
			ck_assert_uint_eq(utf8_seq_len(b, 2),
			    ref_seq_len(b, 2));
			if (x < 0xe0 || x > 0xef)
				continue;
			for (z = 0; z < 256; z++) {
				b[2] = (unsigned char)z;
				if (utf8_seq_len(b, 3) != ref_seq_len(b, 3))
					ck_abort_msg("%02x %02x %02x", x, y, z);
			}
		}
	}
}
END_TEST

START_TEST(test_exhaustive_four)
{
	static const unsigned char	 last[] = { 0x00, 0x7f, 0x80, 0xbf,
	    0xc0, 0xff };
	unsigned char			 b[4];
	unsigned			 x, y, z, k;
	size_t				 got, want;

	for (x = 0xf0; x < 0x100; x++) {
		for (y = 0; y < 256; y++) {
			for (z = 0; z < 256; z++) {
				for (k = 0; k < sizeof last; k++) {
					b[0] = (unsigned char)x;
					b[1] = (unsigned char)y;
					b[2] = (unsigned char)z;
					b[3] = last[k];
					got = utf8_seq_len(b, 4);
					want = ref_seq_len(b, 4);
					if (got != want)
						ck_abort_msg("%02x %02x %02x "
						    "%02x: %zu", x, y, z,
						    last[k], got);
					/* valid_prefix agrees with seq_len */
					if (utf8_valid_prefix((char *)b, 4) !=
					    (want == 4 ? 4u : 0u))
						ck_abort_msg("prefix %02x %02x",
						    x, y);
				}
			}
		}
	}
}
END_TEST

/*
 * The maximal subpart is the longest prefix that some continuation
 * could still complete. Only the second byte has a special range in
 * RFC 3629, so completing with 0x80 bytes is enough to try.
 */
static size_t
ref_invalid_len(const unsigned char *s, size_t len)
{
	unsigned char	 b[4];
	size_t		 k, best = 1;

	for (k = 2; k <= 3 && k <= len; k++) {
		memset(b, 0x80, sizeof b);
		memcpy(b, s, k);
		if (ref_seq_len(b, 4) <= k)
			break;
		best = k;
	}
	return best;
}

START_TEST(test_invalid_len_matches_reference)
{
	unsigned char	 b[4];
	unsigned	 x, y, z;

	for (x = 0x80; x < 0x100; x++) {
		for (y = 0; y < 256; y++) {
			for (z = 0; z < 256; z++) {
				b[0] = (unsigned char)x;
				b[1] = (unsigned char)y;
				b[2] = (unsigned char)z;
				b[3] = 'A';
				if (ref_seq_len(b, 4) != 0)
					continue;
				if (utf8_invalid_len(b, 4) !=
				    ref_invalid_len(b, 4))
					ck_abort_msg("%02x %02x %02x: %zu, "
					    "want %zu", x, y, z,
					    utf8_invalid_len(b, 4),
					    ref_invalid_len(b, 4));
			}
		}
	}
}
END_TEST

START_TEST(test_mixed_text)
{
	const char	*s = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac 100 "
	    "\xf0\x9f\x98\x80 done";
	char		 buf[128];
	size_t		 n = strlen(s);

	ck_assert(utf8_valid(s, n));
	memcpy(buf, s, n);
	buf[n] = (char)0xe9;	/* Latin-1 e-acute: caf\xe9 */
	ck_assert_uint_eq(utf8_valid_prefix(buf, n + 1), n);
	/* Cut in the middle of the euro sign at 14..16. */
	ck_assert_uint_eq(utf8_valid_prefix(s, 17), 17);
	ck_assert_uint_eq(utf8_valid_prefix(s, 16), 14);
	ck_assert_uint_eq(utf8_valid_prefix(s, 15), 14);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("utf8");
	TCase	*tc = tcase_create("utf8");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_ascii);
	tcase_add_test(tc, test_bad_byte_every_offset);
	tcase_add_test(tc, test_multibyte_every_offset);
	tcase_add_loop_test(tc, test_sequences, 0,
	    (int)(sizeof seqs / sizeof seqs[0]));
	tcase_add_test(tc, test_exhaustive_short);
	tcase_add_test(tc, test_exhaustive_four);
	tcase_add_test(tc, test_invalid_len_matches_reference);
	tcase_add_test(tc, test_mixed_text);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
