/*
 * test_jsonenc.c — records to JSON, and JSON strings from any bytes.
 *
 * Whatever the encoder writes is handed back to yajl, which validates
 * UTF-8 and the grammar: the tree parser for structure, the callback
 * parser to get string values back with their exact length (NULs
 * included) and compare them with a reference repair of the input,
 * computed here independently of parsers/utf8.c.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "jsonenc.h"
#include "ref_utf8.h"

static struct strbuf	 out;
static struct batch	 b;

static void
setup(void)
{
	memset(&out, 0, sizeof out);
	batch_init(&b);
}

static void
teardown(void)
{
	sb_free(&out);
	batch_free(&b);
}

/* The JSON of s alone, NUL-terminated in out. */
static const char *
enc(const char *s, size_t len)
{
	sb_reset(&out);
	json_put_string(&out, s, len);
	return sb_cstr(&out);
}

#define ENC(s)	enc((s), sizeof(s) - 1)
#define ck_assert_enc(in, want)	ck_assert_str_eq(ENC(in), (want))

/* --- yajl as the judge ---------------------------------------------------- */

struct captured {
	struct strbuf	 s;
	int		 strings;
};

static int
cb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct captured	*c = ctx;

	sb_add(&c->s, s, len);
	c->strings++;
	return 1;
}

static const yajl_callbacks capture_cbs = { .yajl_string = cb_string };

/* Parses one JSON string value; returns 0 and its bytes, or -1. */
static int
yajl_string_value(const char *json, size_t len, struct captured *c)
{
	yajl_handle	 h = yajl_alloc(&capture_cbs, NULL, c);
	yajl_status	 st;

	memset(&c->s, 0, sizeof c->s);
	c->strings = 0;
	st = yajl_parse(h, (const unsigned char *)json, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	yajl_free(h);
	return st == yajl_status_ok && c->strings == 1 ? 0 : -1;
}

static yajl_val
yajl_tree(const char *json)
{
	char		 err[256];
	yajl_val	 v = yajl_tree_parse(json, err, sizeof err);

	ck_assert_msg(v != NULL, "yajl: %s in %s", err, json);
	return v;
}

/* --- a reference UTF-8 repair --------------------------------------------- */

/* The longest prefix some continuation bytes could still complete. */
static size_t
ref_subpart(const unsigned char *s, size_t len)
{
	unsigned char	 t[4];
	size_t		 k, best = 1;

	for (k = 2; k <= 3 && k <= len; k++) {
		memset(t, 0x80, sizeof t);
		memcpy(t, s, k);
		if (ref_seq_len(t, 4) <= k)
			break;
		best = k;
	}
	return best;
}

static void
ref_repair(const char *in, size_t len, struct strbuf *sb)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 i = 0, n;

	sb_reset(sb);
	while (i < len) {
		if ((n = ref_seq_len(s + i, len - i)) > 0) {
			sb_add(sb, s + i, n);
			i += n;
		} else {
			sb_add(sb, "\xef\xbf\xbd", 3);
			i += ref_subpart(s + i, len - i);
		}
	}
}

/* Encodes in, has yajl decode it, and compares with the repaired input. */
static void
check_roundtrip(const char *in, size_t len)
{
	struct strbuf	 want = STRBUF_INIT;
	struct captured	 c;
	size_t		 i;

	enc(in, len);
	for (i = 0; i < out.len; i++) {
		if ((unsigned char)out.buf[i] < 0x20)
			ck_abort_msg("raw control byte at %zu", i);
	}
	ck_assert_msg(yajl_string_value(out.buf, out.len, &c) == 0,
	    "yajl rejected %s", out.buf);
	ref_repair(in, len, &want);
	ck_assert_uint_eq(c.s.len, want.len);
	if (want.len > 0)
		ck_assert(memcmp(c.s.buf, want.buf, want.len) == 0);
	sb_free(&c.s);
	sb_free(&want);
}

/* --- strings -------------------------------------------------------------- */

START_TEST(test_plain)
{
	ck_assert_enc("", "\"\"");
	ck_assert_enc("a", "\"a\"");
	ck_assert_enc("hello, world", "\"hello, world\"");
	ck_assert_enc("spiffe://prod.example.com/ns/a/sa/b",
	    "\"spiffe://prod.example.com/ns/a/sa/b\"");
	/* `/`, `'`, `<` and DEL need nothing. */
	ck_assert_enc("a/b'<c>&\x7f", "\"a/b'<c>&\x7f\"");
}
END_TEST

START_TEST(test_quote_backslash)
{
	ck_assert_enc("\"", "\"\\\"\"");
	ck_assert_enc("\\", "\"\\\\\"");
	ck_assert_enc("say \"hi\" \\o/", "\"say \\\"hi\\\" \\\\o/\"");
}
END_TEST

START_TEST(test_controls)
{
	static const char *const want[32] = {
		"\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004",
		"\\u0005", "\\u0006", "\\u0007", "\\b", "\\t", "\\n",
		"\\u000b", "\\f", "\\r", "\\u000e", "\\u000f", "\\u0010",
		"\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015",
		"\\u0016", "\\u0017", "\\u0018", "\\u0019", "\\u001a",
		"\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
	};
	char	 in[3], expect[16];
	int	 c;

	for (c = 0; c < 32; c++) {
		in[0] = 'x';
		in[1] = (char)c;
		in[2] = 'y';
		snprintf(expect, sizeof expect, "\"x%sy\"", want[c]);
		ck_assert_str_eq(enc(in, 3), expect);
		check_roundtrip(in, 3);
	}
}
END_TEST

START_TEST(test_multibyte)
{
	ck_assert_enc("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	ck_assert_enc("\xe2\x82\xac", "\"\xe2\x82\xac\"");
	ck_assert_enc("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
	ck_assert_enc("\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf"
	    "\xf4\x8f\xbf\xbf", "\"\xc2\x80\xdf\xbf\xe0\xa0\x80"
	    "\xef\xbf\xbf\xf4\x8f\xbf\xbf\"");
	/* U+2028 and U+2029 are escaped; U+2027 and U+202A are not. */
	ck_assert_enc("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c",
	    "\"a\\u2028b\\u2029c\"");
	ck_assert_enc("\xe2\x80\xa7\xe2\x80\xaa",
	    "\"\xe2\x80\xa7\xe2\x80\xaa\"");
}
END_TEST

#define FFFD	"\xef\xbf\xbd"

START_TEST(test_invalid_utf8)
{
	ck_assert_enc("\xff", "\"" FFFD "\"");
	ck_assert_enc("\xff\xfe", "\"" FFFD FFFD "\"");
	ck_assert_enc("caf\xe9", "\"caf" FFFD "\"");
	ck_assert_enc("caf\xe9!", "\"caf" FFFD "!\"");
	ck_assert_enc("\x80", "\"" FFFD "\"");
	ck_assert_enc("\x80\x80", "\"" FFFD FFFD "\"");
	/* A truncated sequence is one maximal subpart. */
	ck_assert_enc("\xe2\x82", "\"" FFFD "\"");
	ck_assert_enc("\xe2\x82" "A", "\"" FFFD "A\"");
	ck_assert_enc("\xf0\x9f\x98", "\"" FFFD "\"");
	ck_assert_enc("\xf0\x9f\x98\"", "\"" FFFD "\\\"\"");
	ck_assert_enc("\xc3(", "\"" FFFD "(\"");
	/* Overlong and surrogate forms: every byte on its own. */
	ck_assert_enc("\xc0\xaf", "\"" FFFD FFFD "\"");
	ck_assert_enc("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"");
	ck_assert_enc("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
	ck_assert_enc("\xf8\x88\x80\x80\x80",
	    "\"" FFFD FFFD FFFD FFFD FFFD "\"");
	/* A valid character right after a broken one survives. */
	ck_assert_enc("\xe2\xc3\xa9", "\"" FFFD "\xc3\xa9\"");
	/* The ones the corpus generator inserts. */
	check_roundtrip("\xff\xfe", 2);
	check_roundtrip("\xed\xa0\x80", 3);
	check_roundtrip("\xf8\x88\x80\x80\x80", 5);
	check_roundtrip("\xe2\x82", 2);
}
END_TEST

/*
 * One special byte (or sequence) at every offset of strings of every
 * length up to 40, so each lands inside, at the edges of and after the
 * eight-byte words the fast path reads.
 */
static const struct {
	const char	*in;
	size_t		 len;
	const char	*out;
} specials[] = {
	{ "\0", 1, "\\u0000" },
	{ "\x1f", 1, "\\u001f" },
	{ "\n", 1, "\\n" },
	{ "\"", 1, "\\\"" },
	{ "\\", 1, "\\\\" },
	{ " ", 1, " " },
	{ "\x7f", 1, "\x7f" },
	{ "!", 1, "!" },
	{ "#", 1, "#" },
	{ "[", 1, "[" },
	{ "]", 1, "]" },
	{ "\x80", 1, FFFD },
	{ "\xff", 1, FFFD },
	{ "\xc3\xa9", 2, "\xc3\xa9" },
	{ "\xe2\x80\xa8", 3, "\\u2028" },
	{ "\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80" },
};

START_TEST(test_every_offset)
{
	char	 in[48], want[96];
	size_t	 len, pos, sl = specials[_i].len;
	size_t	 ol = strlen(specials[_i].out);

	for (len = sl; len <= 40; len++) {
		for (pos = 0; pos + sl <= len; pos++) {
			memset(in, 'a', len);
			memcpy(in + pos, specials[_i].in, sl);
			want[0] = '"';
			memset(want + 1, 'a', pos);
			memcpy(want + 1 + pos, specials[_i].out, ol);
			memset(want + 1 + pos + ol, 'a', len - pos - sl);
			want[1 + pos + ol + len - pos - sl] = '"';
			want[2 + pos + ol + len - pos - sl] = '\0';
			ck_assert_str_eq(enc(in, len), want);
		}
	}
}
END_TEST

/* Random bytes, biased towards the interesting ones. */
START_TEST(test_random_roundtrip)
{
	static const unsigned char	 pool[] = { 'a', 'z', ' ', '"', '\\',
	    0x00, 0x01, 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe2,
	    0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x8f, 0x90, 0xa8 };
	unsigned char			 in[64];
	uint64_t			 x = 88172645463325252ULL;
	size_t				 len, i;
	int				 iter;

	for (iter = 0; iter < 20000; iter++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = x % sizeof in;
		for (i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			in[i] = (x & 0x100) ? (unsigned char)x :
			    pool[(x >> 9) % sizeof pool];
		}
		check_roundtrip((const char *)in, len);
	}
}
END_TEST

START_TEST(test_every_byte_pair)
{
	char	 in[4] = { 'x', 0, 0, 'y' };
	int	 c, d;

	for (c = 0; c < 256; c++) {
		for (d = 0; d < 256; d++) {
			in[1] = (char)c;
			in[2] = (char)d;
			check_roundtrip(in, 4);
		}
	}
}
END_TEST

START_TEST(test_appends)
{
	sb_adds(&out, "prefix:");
	json_put_string(&out, "v", 1);
	ck_assert_str_eq(sb_cstr(&out), "prefix:\"v\"");
}
END_TEST

START_TEST(test_long_string)
{
	size_t	 n = 1 << 20, i;
	char	*s = malloc(n);

	for (i = 0; i < n; i++)
		s[i] = (i % 1000 == 999) ? '\n' : (char)('a' + i % 26);
	check_roundtrip(s, n);
	ck_assert_uint_eq(out.len, n + 2 + n / 1000);
	free(s);
}
END_TEST

/* --- records -------------------------------------------------------------- */

static const char *
put_record(struct record *r)
{
	sb_reset(&out);
	json_put_record(&out, &b, r);
	return sb_cstr(&out);
}

static struct field *
field_at(size_t i)
{
	return &b.fields[i];
}

START_TEST(test_record_flat)
{
	struct record	*r = batch_begin(&b);
	yajl_val	 v, x;
	const char	*path[] = { NULL, NULL };

	batch_add(&b, FIELD_STR("level"), FIELD_STR("error"), VAL_STRING);
	batch_add(&b, FIELD_STR("msg"), FIELD_STR("Failed \"x\"\n"),
	    VAL_STRING);
	batch_add(&b, FIELD_STR("status_code"), FIELD_STR("7"), VAL_RAW);
	batch_add(&b, FIELD_STR("admin_ids"), FIELD_STR("null"), VAL_RAW);
	batch_add(&b, FIELD_STR("selectors"),
	    FIELD_STR("[{\"type\":\"k8s\",\"value\":\"ns:a\"}]"), VAL_RAW);
	batch_add(&b, FIELD_STR("ok"), FIELD_STR("true"), VAL_RAW);
	ck_assert_str_eq(put_record(r), "{\"level\":\"error\","
	    "\"msg\":\"Failed \\\"x\\\"\\n\",\"status_code\":7,"
	    "\"admin_ids\":null,\"selectors\":[{\"type\":\"k8s\","
	    "\"value\":\"ns:a\"}],\"ok\":true}");
	v = yajl_tree(out.buf);
	path[0] = "status_code";
	x = yajl_tree_get(v, path, yajl_t_number);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(YAJL_GET_INTEGER(x), 7);
	path[0] = "msg";
	x = yajl_tree_get(v, path, yajl_t_string);
	ck_assert_str_eq(YAJL_GET_STRING(x), "Failed \"x\"\n");
	yajl_tree_free(v);
}
END_TEST

START_TEST(test_record_empty)
{
	struct record	*r = batch_begin(&b);

	ck_assert_str_eq(put_record(r), "{}");
	batch_add(&b, FIELD_STR("gone"), FIELD_STR("x"), VAL_STRING);
	field_at(0)->flags |= FIELD_DELETED;
	ck_assert_str_eq(put_record(r), "{}");
}
END_TEST

START_TEST(test_record_deleted)
{
	struct record	*r = batch_begin(&b);

	batch_add(&b, FIELD_STR("a"), FIELD_STR("1"), VAL_RAW);
	batch_add(&b, FIELD_STR("b"), FIELD_STR("2"), VAL_RAW);
	batch_add(&b, FIELD_STR("c"), FIELD_STR("3"), VAL_RAW);
	/* The first, a middle one and the last: commas stay right. */
	ck_assert_uint_eq(record_delete(&b, r, FIELD_STR("a")), 1);
	ck_assert_str_eq(put_record(r), "{\"b\":2,\"c\":3}");
	ck_assert_uint_eq(record_delete(&b, r, FIELD_STR("c")), 1);
	ck_assert_str_eq(put_record(r), "{\"b\":2}");
	field_at(0)->flags = 0;
	field_at(2)->flags = 0;
	field_at(1)->flags |= FIELD_DELETED;
	ck_assert_str_eq(put_record(r), "{\"a\":1,\"c\":3}");
}
END_TEST

START_TEST(test_record_nested)
{
	struct record	*r = batch_begin(&b);
	size_t		 k, l;
	yajl_val	 v, x;
	const char	*path[] = { "kubernetes", "labels", "app", NULL };

	batch_add(&b, FIELD_STR("msg"), FIELD_STR("m"), VAL_STRING);
	k = batch_add_object(&b, FIELD_STR("kubernetes"));
	batch_add(&b, FIELD_STR("pod_name"), FIELD_STR("spire-server-0"),
	    VAL_STRING);
	l = batch_add_object(&b, FIELD_STR("labels"));
	batch_add(&b, FIELD_STR("app"), FIELD_STR("spire"), VAL_STRING);
	batch_add(&b, FIELD_STR("tier"), FIELD_STR("x"), VAL_STRING);
	batch_end_object(&b, l);
	batch_add_object(&b, FIELD_STR("empty"));
	batch_end_object(&b, b.nfields - 1);
	batch_end_object(&b, k);
	batch_add(&b, FIELD_STR("after"), FIELD_STR("1"), VAL_RAW);
	ck_assert_uint_eq(field_at(k)->vlen, 5);
	ck_assert_str_eq(put_record(r), "{\"msg\":\"m\",\"kubernetes\":"
	    "{\"pod_name\":\"spire-server-0\",\"labels\":{\"app\":\"spire\","
	    "\"tier\":\"x\"},\"empty\":{}},\"after\":1}");
	v = yajl_tree(out.buf);
	x = yajl_tree_get(v, path, yajl_t_string);
	ck_assert_ptr_nonnull(x);
	ck_assert_str_eq(YAJL_GET_STRING(x), "spire");
	yajl_tree_free(v);

	/* Deleted inside the subtree. */
	field_at(l + 1)->flags |= FIELD_DELETED;
	ck_assert_str_eq(put_record(r), "{\"msg\":\"m\",\"kubernetes\":"
	    "{\"pod_name\":\"spire-server-0\",\"labels\":{\"tier\":\"x\"},"
	    "\"empty\":{}},\"after\":1}");
	/* A deleted object goes with all its subtree. */
	field_at(l)->flags |= FIELD_DELETED;
	ck_assert_str_eq(put_record(r), "{\"msg\":\"m\",\"kubernetes\":"
	    "{\"pod_name\":\"spire-server-0\",\"empty\":{}},\"after\":1}");
	field_at(k)->flags |= FIELD_DELETED;
	ck_assert_str_eq(put_record(r), "{\"msg\":\"m\",\"after\":1}");
	yajl_tree_free(yajl_tree(out.buf));
}
END_TEST

START_TEST(test_record_bad_bytes)
{
	struct record	*r = batch_begin(&b);
	yajl_val	 v;

	/* Keys and values from a damaged line still make valid JSON. */
	batch_add(&b, FIELD_STR("k\xff\"\n"), FIELD_STR("v\0\xc3(\xe2\x80\xa9"),
	    VAL_STRING);
	batch_add(&b, FIELD_STR("raw"), "", 0, VAL_RAW);
	ck_assert_str_eq(put_record(r), "{\"k" FFFD "\\\"\\n\":\"v\\u0000"
	    FFFD "(\\u2029\",\"raw\":null}");
	v = yajl_tree(out.buf);
	yajl_tree_free(v);
}
END_TEST

/* A repeated key is written once, with its last value (record_get's). */
START_TEST(test_record_repeated_keys)
{
	struct record	*r = batch_begin(&b);
	size_t		 o;

	batch_add(&b, FIELD_STR("a"), FIELD_STR("1"), VAL_STRING);
	batch_add(&b, FIELD_STR("b"), FIELD_STR("x"), VAL_STRING);
	batch_add(&b, FIELD_STR("a"), FIELD_STR("2"), VAL_STRING);
	o = batch_add_object(&b, FIELD_STR("n"));
	batch_add(&b, FIELD_STR("a"), FIELD_STR("3"), VAL_STRING);
	batch_add(&b, FIELD_STR("a"), FIELD_STR("4"), VAL_STRING);
	batch_end_object(&b, o);
	ck_assert_str_eq(put_record(r),
	    "{\"b\":\"x\",\"a\":\"2\",\"n\":{\"a\":\"4\"}}");
}
END_TEST

/*
 * Found by fuzz_json: keys that differ only in invalid UTF-8 (here a
 * lone surrogate's bytes, another one's, a stray byte and U+FFFD itself)
 * are the same key once repaired, and were written twice, which
 * Elasticsearch rejects. They are one key, written once, last value.
 */
START_TEST(test_record_repeated_repaired_keys)
{
	static const char *const keys[] = { "k\xed\xb8\x80", "b",
		"k\xed\xb8\x81", "\xff", FFFD, "\xfe\xff" };
	struct record	*r = batch_begin(&b);
	size_t		 i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		batch_add(&b, keys[i], strlen(keys[i]), &"012345"[i], 1,
		    VAL_STRING);
	ck_assert_str_eq(put_record(r), "{\"b\":\"1\",\"k" FFFD FFFD FFFD
	    "\":\"2\",\"" FFFD "\":\"4\",\"" FFFD FFFD "\":\"5\"}");
}
END_TEST

/* Records after the first start at their own field0. */
START_TEST(test_record_second)
{
	struct record	*r;

	batch_begin(&b);
	batch_add(&b, FIELD_STR("first"), FIELD_STR("1"), VAL_RAW);
	batch_commit(&b);
	r = batch_begin(&b);
	batch_add(&b, FIELD_STR("second"), FIELD_STR("2"), VAL_RAW);
	ck_assert_str_eq(put_record(r), "{\"second\":2}");
	batch_commit(&b);
	ck_assert_str_eq(put_record(&b.recs[0]), "{\"first\":1}");
}
END_TEST

START_TEST(test_put_fields)
{
	struct record	*r = batch_begin(&b);
	int		 first = 0;

	batch_add(&b, FIELD_STR("x"), FIELD_STR("1"), VAL_RAW);
	batch_add(&b, FIELD_STR("y"), FIELD_STR("s"), VAL_STRING);
	sb_reset(&out);
	sb_adds(&out, "{\"@timestamp\":\"t\"");
	json_put_fields(&out, record_fields(&b, r), r->nfields, &first);
	sb_addc(&out, '}');
	ck_assert_str_eq(sb_cstr(&out), "{\"@timestamp\":\"t\",\"x\":1,"
	    "\"y\":\"s\"}");
	ck_assert_int_eq(first, 0);
	first = 1;
	sb_reset(&out);
	json_put_fields(&out, record_fields(&b, r), 0, &first);
	ck_assert_int_eq(first, 1);
	ck_assert_uint_eq(out.len, 0);
	json_put_fields(&out, record_fields(&b, r), 1, &first);
	ck_assert_str_eq(sb_cstr(&out), "\"x\":1");
	ck_assert_int_eq(first, 0);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("jsonenc");
	TCase	*ts = tcase_create("string");
	TCase	*tr = tcase_create("record");

	tcase_set_timeout(ts, 120);
	tcase_add_checked_fixture(ts, setup, teardown);
	tcase_add_test(ts, test_plain);
	tcase_add_test(ts, test_quote_backslash);
	tcase_add_test(ts, test_controls);
	tcase_add_test(ts, test_multibyte);
	tcase_add_test(ts, test_invalid_utf8);
	tcase_add_loop_test(ts, test_every_offset, 0,
	    (int)(sizeof specials / sizeof specials[0]));
	tcase_add_test(ts, test_random_roundtrip);
	tcase_add_test(ts, test_every_byte_pair);
	tcase_add_test(ts, test_appends);
	tcase_add_test(ts, test_long_string);
	suite_add_tcase(s, ts);

	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_add_test(tr, test_record_flat);
	tcase_add_test(tr, test_record_empty);
	tcase_add_test(tr, test_record_deleted);
	tcase_add_test(tr, test_record_nested);
	tcase_add_test(tr, test_record_bad_bytes);
	tcase_add_test(tr, test_record_repeated_keys);
	tcase_add_test(tr, test_record_repeated_repaired_keys);
	tcase_add_test(tr, test_record_second);
	tcase_add_test(tr, test_put_fields);
	suite_add_tcase(s, tr);
	return s;
}

#include "check_main.h"
