/*
 * jsonenc.c — records to JSON text.
 *
 * The output must be valid JSON in valid UTF-8 whatever bytes came in,
 * because one bad string would make Elasticsearch reject a whole bulk
 * request. Almost every byte is plain ASCII that needs nothing, so the
 * encoder looks for the next byte that needs work eight bytes at a time
 * and copies everything before it with one memcpy.
 *
 * Invalid UTF-8 becomes U+FFFD, one for each "maximal subpart" of an
 * ill-formed sequence (Unicode 3.9, as WHATWG and Python do it): a lead
 * byte and the continuation bytes that fit it count as one, any other
 * stray byte as one each. U+2028 and U+2029 are escaped because
 * JavaScript, unlike JSON, does not allow them raw in a string.
 */
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

#include "jsonenc.h"
#include "utf8.h"

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL

/* 0: copy as is, 1: escape, 2: start of a multibyte sequence. */
static const uint8_t json_class[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* " */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,	/* \ */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* Does the word hold a byte below 0x20, a `"`, a `\` or a high bit? */
static inline int
word_needs_work(uint64_t w)
{
	uint64_t	 q = w ^ (ONES * '"'), bs = w ^ (ONES * '\\');

	return ((w - ONES * 0x20) & ~w & HIGHS) != 0 ||
	    ((q - ONES) & ~q & HIGHS) != 0 ||
	    ((bs - ONES) & ~bs & HIGHS) != 0 ||
	    (w & HIGHS) != 0;
}

static bool
is_line_sep(const unsigned char *s)
{
	return s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9);
}

/* The end of the run of bytes from i that are copied unchanged. */
static size_t
safe_run(const unsigned char *s, size_t i, size_t len)
{
	uint64_t	 w;
	size_t		 n;

	for (;;) {
		while (len - i >= 8) {
			memcpy(&w, s + i, 8);
			if (word_needs_work(w))
				break;
			i += 8;
		}
		while (i < len && json_class[s[i]] == 0)
			i++;
		/* Valid multibyte sequences are copied too, but for LS/PS. */
		if (i == len || json_class[s[i]] != 2 ||
		    (n = utf8_seq_len(s + i, len - i)) == 0 ||
		    (n == 3 && is_line_sep(s + i)))
			return i;
		i += n;
	}
}

static void
put_escape(struct strbuf *sb, unsigned char c)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 u[6] = { '\\', 'u', '0', '0', 0, 0 };

	switch (c) {
	case '"':
		sb_add(sb, "\\\"", 2);
		return;
	case '\\':
		sb_add(sb, "\\\\", 2);
		return;
	case '\b':
		sb_add(sb, "\\b", 2);
		return;
	case '\f':
		sb_add(sb, "\\f", 2);
		return;
	case '\n':
		sb_add(sb, "\\n", 2);
		return;
	case '\r':
		sb_add(sb, "\\r", 2);
		return;
	case '\t':
		sb_add(sb, "\\t", 2);
		return;
	}
	u[4] = hex[c >> 4];
	u[5] = hex[c & 0xf];
	sb_add(sb, u, 6);
}

/* The non-ASCII bytes at s that safe_run stopped at; returns their length. */
static size_t
put_special(struct strbuf *sb, const unsigned char *s, size_t len)
{
	size_t	 n = utf8_seq_len(s, len);

	if (n == 3 && is_line_sep(s)) {
		sb_add(sb, s[2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
		return 3;
	}
	if (n > 0) {
		sb_add(sb, s, n);
		return n;
	}
	sb_add(sb, "\xef\xbf\xbd", 3);
	return utf8_invalid_len(s, len);
}

void
json_put_string(struct strbuf *sb, const char *str, size_t len)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i = 0, j;

	sb_reserve(sb, len + 2);
	sb_addc(sb, '"');
	while (i < len) {
		j = safe_run(s, i, len);
		if (j > i)
			sb_add(sb, s + i, j - i);
		if ((i = j) == len)
			break;
		if (json_class[s[i]] == 1)
			put_escape(sb, s[i++]);
		else
			i += put_special(sb, s + i, len - i);
	}
	sb_addc(sb, '"');
}

/* Index past field i and its subtree (as record.c walks them). */
static inline size_t
field_skip(const struct field *f, size_t i)
{
	return i + 1 + (f[i].type == VAL_OBJECT ? f[i].vlen : 0);
}

static void
json_put_value(struct strbuf *sb, const struct field *f)
{
	int	 first = 1;

	switch (f->type) {
	case VAL_STRING:
		json_put_string(sb, f->val, f->vlen);
		break;
	case VAL_RAW:
		/* An empty raw value would leave `"key":` dangling. */
		if (f->vlen == 0)
			sb_add(sb, "null", 4);
		else
			sb_add(sb, f->val, f->vlen);
		break;
	case VAL_OBJECT:
		sb_addc(sb, '{');
		json_put_fields(sb, f + 1, f->vlen, &first);
		sb_addc(sb, '}');
		break;
	default:
		sb_add(sb, "null", 4);
		break;
	}
}

/*
 * Are a's and b's keys one key once written? Invalid UTF-8 becomes
 * U+FFFD, so keys whose bytes differ ("\xff" and "\xfe", a lone
 * surrogate's bytes and U+FFFD itself) may not.
 */
static bool
same_written(const struct field *a, const struct field *b)
{
	struct strbuf	 x = STRBUF_INIT, y = STRBUF_INIT;
	bool		 same;

	json_put_string(&x, a->key, a->klen);
	json_put_string(&y, b->key, b->klen);
	same = x.len == y.len && memcmp(x.buf, y.buf, x.len) == 0;
	sb_free(&x);
	sb_free(&y);
	return same;
}

/*
 * Does a later field of the same object have f[i]'s key? repair: some
 * key of the object is not UTF-8, so keys are compared as written.
 */
static bool
key_repeated(const struct field *f, size_t n, size_t i, bool repair)
{
	size_t	 j;

	for (j = field_skip(f, i); j < n; j = field_skip(f, j))
		if (!(f[j].flags & FIELD_DELETED) && ((f[j].klen == f[i].klen &&
		    memcmp(f[j].key, f[i].key, f[i].klen) == 0) ||
		    (repair && same_written(&f[i], &f[j]))))
			return true;
	return false;
}

/* Is some key of the object's n fields not valid UTF-8? */
static bool
keys_need_repair(const struct field *f, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i = field_skip(f, i))
		if (!utf8_valid(f[i].key, f[i].klen))
			return true;
	return false;
}

static bool
key_skipped(const struct field *f, const struct json_skip *skip, size_t nskip)
{
	size_t	 i;

	for (i = 0; i < nskip; i++)
		if (field_is(f, skip[i].key, skip[i].len))
			return true;
	return false;
}

/*
 * A key written twice (logfmt allows it, JSON parsers disagree about it
 * and Elasticsearch rejects it) is written once, with its last value, as
 * record_get() reads it.
 */
static void
put_members(struct strbuf *sb, const struct field *f, size_t n,
    const struct json_skip *skip, size_t nskip, int *first)
{
	bool	 repair = keys_need_repair(f, n);
	size_t	 i;

	for (i = 0; i < n; i = field_skip(f, i)) {
		if ((f[i].flags & FIELD_DELETED) ||
		    key_repeated(f, n, i, repair) ||
		    key_skipped(&f[i], skip, nskip))
			continue;
		if (!*first)
			sb_addc(sb, ',');
		*first = 0;
		json_put_string(sb, f[i].key, f[i].klen);
		sb_addc(sb, ':');
		json_put_value(sb, &f[i]);
	}
}

void
json_put_fields(struct strbuf *sb, const struct field *f, size_t n,
    int *first)
{
	put_members(sb, f, n, NULL, 0, first);
}

void
json_put_fields_skip(struct strbuf *sb, const struct field *f, size_t n,
    const struct json_skip *skip, size_t nskip, int *first)
{
	put_members(sb, f, n, skip, nskip, first);
}

void
json_put_members(struct strbuf *sb, const struct batch *b,
    const struct record *r, const struct json_skip *skip, size_t nskip,
    int *first)
{
	/* An empty batch has no field array to point into yet. */
	if (r->nfields > 0)
		put_members(sb, record_fields(b, r), r->nfields, skip, nskip,
		    first);
}

void
json_put_record(struct strbuf *sb, const struct batch *b,
    const struct record *r)
{
	int	 first = 1;

	sb_addc(sb, '{');
	json_put_members(sb, b, r, NULL, 0, &first);
	sb_addc(sb, '}');
}
