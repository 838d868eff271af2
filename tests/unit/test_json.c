/*
 * test_json.c — SPIRE's JSON lines (log_format json), through yajl.
 *
 * Lines are copied into heap buffers of exactly their length so that a
 * read past the end is caught under ASan. Besides the values themselves
 * the tests hold the parser to three promises: bad bytes are named as
 * bad bytes (a NUL or invalid UTF-8 is never just "syntax"), nested
 * values come back as compact, valid JSON that parses to itself, and the
 * gate stops the parse at the first value that cannot pass, but never
 * drops a record whose deciding key might come again later in the line.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "json.h"
#include "json_tree.h"
#include "jsonenc.h"
#include "strbuf.h"
#include "utf8.h"
#include "gate_fixtures.h"

static struct batch		 b;
static struct json_parser	*jp;
static struct strbuf		 out;
static char			*g_line;
static size_t			 g_len;

static void
setup(void)
{
	batch_init(&b);
	jp = json_parser_new(8);
	memset(&out, 0, sizeof out);
	g_line = NULL;
}

static void
teardown(void)
{
	batch_free(&b);
	json_parser_free(jp);
	sb_free(&out);
	free(g_line);
	g_line = NULL;
}

/* Parses s (copied to an exact buffer) into a fresh record of b. */
static enum parse_status
parse_with(struct json_parser *p, const char *s, size_t len,
    const struct gate *g, struct gate_state *gst, struct parse_error *err)
{
	free(g_line);
	g_line = malloc(len ? len : 1);
	memcpy(g_line, s, len);
	g_len = len;
	batch_begin(&b);
	memset(err, 0xa5, sizeof *err);
	return json_parse_record(p, g_line, len, &b, g, gst, err);
}

static enum parse_status
parse_n(const char *s, size_t len, struct parse_error *err)
{
	return parse_with(jp, s, len, NULL, NULL, err);
}

static enum parse_status
parse(const char *s, struct parse_error *err)
{
	return parse_n(s, strlen(s), err);
}

#define PARSE_LIT(s, err)	parse_n((s), sizeof(s) - 1, (err))

static struct record *
rec(void)
{
	return batch_open_record(&b);
}

static struct field *
fld(size_t i)
{
	ck_assert_uint_lt(i, rec()->nfields);
	return &record_fields(&b, rec())[i];
}

static bool
in_line(const char *p)
{
	return p >= g_line && p < g_line + g_len;
}

/* The open record as JSON. */
static const char *
js(void)
{
	sb_reset(&out);
	json_put_record(&out, &b, rec());
	return sb_cstr(&out);
}

#define ck_assert_kv(i, k, v, t) do {					\
	struct field	*f_ = fld(i);				\
	ck_assert_msg(f_->klen == sizeof(k) - 1 &&			\
	    memcmp(f_->key, (k), sizeof(k) - 1) == 0, "key %zu: %.*s",	\
	    (size_t)(i), (int)f_->klen, f_->key);			\
	ck_assert_msg(f_->vlen == sizeof(v) - 1 &&			\
	    memcmp(f_->val, (v), sizeof(v) - 1) == 0, "value %zu: %.*s",\
	    (size_t)(i), (int)f_->vlen, f_->val);			\
	ck_assert_int_eq(f_->type, (t));				\
} while (0)

#define ck_assert_str(i, k, v)	ck_assert_kv(i, k, v, VAL_STRING)
#define ck_assert_raw(i, k, v)	ck_assert_kv(i, k, v, VAL_RAW)

#define ck_assert_kind(line, kind_) do {				\
	struct parse_error	 e_;					\
	ck_assert_int_eq(PARSE_LIT(line, &e_), PARSE_FAIL);		\
	ck_assert_msg(e_.kind == (kind_), "%s: kind %s", (line),	\
	    bad_kind_name(e_.kind));					\
	ck_assert_ptr_nonnull(e_.what);					\
} while (0)

/* --- values ------------------------------------------------------------- */

START_TEST(test_scalars)
{
	struct parse_error	 err;

	ck_assert_int_eq(parse("{\"s\":\"text\",\"i\":42,\"neg\":-1.5e-3,"
	    "\"t\":true,\"f\":false,\"z\":null,\"big\":"
	    "123456789012345678901234567890,\"e\":1E+2,\"m0\":-0}", &err),
	    PARSE_OK);
	ck_assert_int_eq(err.kind, BAD_NONE);
	ck_assert_ptr_null(err.what);
	ck_assert_uint_eq(rec()->nfields, 9);
	ck_assert_str(0, "s", "text");
	ck_assert_raw(1, "i", "42");
	ck_assert_raw(2, "neg", "-1.5e-3");
	ck_assert_raw(3, "t", "true");
	ck_assert_raw(4, "f", "false");
	ck_assert_raw(5, "z", "null");
	/* Numbers are their text: nothing is lost to a double. */
	ck_assert_raw(6, "big", "123456789012345678901234567890");
	ck_assert_raw(7, "e", "1E+2");
	ck_assert_raw(8, "m0", "-0");
	/* Plain strings and keys are not copied: they point into the line. */
	ck_assert(in_line(fld(0)->key));
	ck_assert(in_line(fld(0)->val));
	ck_assert(in_line(fld(1)->val));
}
END_TEST

START_TEST(test_whitespace)
{
	struct parse_error	 err;

	ck_assert_int_eq(parse(" \t { \"a\" : 1 , \"b\" :\t\"x\" } \t", &err),
	    PARSE_OK);
	ck_assert_raw(0, "a", "1");
	ck_assert_str(1, "b", "x");
	ck_assert_int_eq(parse("{\"a\":1}\r\n", &err), PARSE_OK);
	ck_assert_int_eq(parse("{}", &err), PARSE_OK);
	ck_assert_uint_eq(rec()->nfields, 0);
	ck_assert_str_eq(js(), "{}");
	ck_assert_int_eq(parse("{ }", &err), PARSE_OK);
}
END_TEST

/* Re-parses a nested value wrapped in an object: it must be itself. */
static void
assert_roundtrip(const char *val, size_t len)
{
	struct json_parser	*p = json_parser_new(64);
	struct batch		 b2;
	struct parse_error	 err;
	struct strbuf		 w = STRBUF_INIT;
	struct record		*r;
	struct field		*f;

	batch_init(&b2);
	sb_adds(&w, "{\"v\":");
	sb_add(&w, val, len);
	sb_addc(&w, '}');
	r = batch_begin(&b2);
	ck_assert_msg(json_parse_record(p, w.buf, w.len, &b2, NULL, NULL,
	    &err) == PARSE_OK, "not valid JSON: %.*s", (int)len, val);
	ck_assert(utf8_valid(val, len));
	f = record_get(&b2, r, FIELD_STR("v"));
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(f->vlen == len && memcmp(f->val, val, len) == 0,
	    "not compact: %.*s", (int)len, val);
	batch_free(&b2);
	sb_free(&w);
	json_parser_free(p);
}

/* The text parses as a JSON object, in a batch of its own. */
static void
assert_valid_json(const char *text, size_t len)
{
	struct json_parser	*p = json_parser_new(64);
	struct batch		 b2;
	struct parse_error	 err;

	batch_init(&b2);
	batch_begin(&b2);
	ck_assert_msg(json_parse_record(p, text, len, &b2, NULL, NULL,
	    &err) == PARSE_OK, "not valid JSON: %.*s", (int)len, text);
	batch_free(&b2);
	json_parser_free(p);
}

START_TEST(test_nested_compact)
{
	struct parse_error	 err;
	size_t			 i;

	ck_assert_int_eq(parse("{ \"o\" : { \"a\" : [ 1 , 2.5 ] , \"b\" : { } ,"
	    " \"c\" : null } , \"arr\" : [ ] , \"x\" : [ { } , [ ] , \"s\" , "
	    "true , [ [ false ] ] ] , \"after\" : 1 }", &err), PARSE_OK);
	ck_assert_uint_eq(rec()->nfields, 4);
	ck_assert_raw(0, "o", "{\"a\":[1,2.5],\"b\":{},\"c\":null}");
	ck_assert_raw(1, "arr", "[]");
	ck_assert_raw(2, "x", "[{},[],\"s\",true,[[false]]]");
	ck_assert_raw(3, "after", "1");
	for (i = 0; i < 3; i++)
		assert_roundtrip(fld(i)->val, fld(i)->vlen);
	ck_assert_str_eq(js(), "{\"o\":{\"a\":[1,2.5],\"b\":{},\"c\":null},"
	    "\"arr\":[],\"x\":[{},[],\"s\",true,[[false]]],\"after\":1}");
}
END_TEST

/* Nested strings and keys are decoded, then encoded again validly. */
START_TEST(test_nested_strings)
{
	struct parse_error	 err;

	ck_assert_int_eq(parse("{\"o\":{\"k\\\"1\":\"a\\\"b\\\\c\\/d\\u0001"
	    "\\u00e9\\u2028\\n\",\"\\u003c\":[\"\\u0026\\t\"]}}", &err),
	    PARSE_OK);
	ck_assert_raw(0, "o", "{\"k\\\"1\":\"a\\\"b\\\\c/d\\u0001\xc3\xa9"
	    "\\u2028\\n\",\"<\":[\"&\\t\"]}");
	assert_roundtrip(fld(0)->val, fld(0)->vlen);
	/* A value with \u0000 inside a nested string stays an escape. */
	ck_assert_int_eq(parse("{\"o\":[\"a\\u0000b\"]}", &err), PARSE_OK);
	ck_assert_raw(0, "o", "[\"a\\u0000b\"]");
	assert_roundtrip(fld(0)->val, fld(0)->vlen);
}
END_TEST

START_TEST(test_many_nested)
{
	struct parse_error	 err;

	/* Several nested members in a row, each re-encoded on its own. */
	ck_assert_int_eq(parse("{\"a\":{\"x\":1},\"b\":[2],\"c\":{\"y\":{\"z\":"
	    "[3,{\"w\":4}]}},\"d\":\"end\"}", &err), PARSE_OK);
	ck_assert_raw(0, "a", "{\"x\":1}");
	ck_assert_raw(1, "b", "[2]");
	ck_assert_raw(2, "c", "{\"y\":{\"z\":[3,{\"w\":4}]}}");
	ck_assert_str(3, "d", "end");
	/* The bytes of an earlier nested value survive the later ones. */
	ck_assert_mem_eq(fld(0)->val, "{\"x\":1}", 7);
}
END_TEST

START_TEST(test_escapes)
{
	struct parse_error	 err;

	ck_assert_int_eq(parse("{\"m\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t end\"}",
	    &err), PARSE_OK);
	ck_assert_str(0, "m", "q\" b\\ s/ \b\f\n\r\t end");
	ck_assert(!in_line(fld(0)->val));	/* decoded into the arena */

	/* \u0000 is a NUL in the value, not a bad line. */
	ck_assert_int_eq(parse("{\"m\":\"a\\u0000b\"}", &err), PARSE_OK);
	ck_assert_str(0, "m", "a\0b");
	ck_assert_str_eq(js(), "{\"m\":\"a\\u0000b\"}");

	/* BMP escapes and a surrogate pair. */
	ck_assert_int_eq(parse("{\"m\":\"\\u00e9\\u20AC\\ud83d\\ude00\\uFFFD\"}",
	    &err), PARSE_OK);
	ck_assert_str(0, "m", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\xef\xbf\xbd");

	/* SPIRE's HTML escapes. */
	ck_assert_int_eq(parse("{\"m\":\"\\u003cnil\\u003e \\u0026 "
	    "\\u2028\\u2029\"}", &err), PARSE_OK);
	ck_assert_str(0, "m", "<nil> & \xe2\x80\xa8\xe2\x80\xa9");
	ck_assert_str_eq(js(), "{\"m\":\"<nil> & \\u2028\\u2029\"}");

	/* Raw UTF-8 is kept as it is, in place. */
	ck_assert_int_eq(parse("{\"m\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}",
	    &err), PARSE_OK);
	ck_assert_str(0, "m", "caf\xc3\xa9 \xf0\x9f\x98\x80");
	ck_assert(in_line(fld(0)->val));
	/* DEL is not a control character in JSON. */
	ck_assert_int_eq(parse("{\"m\":\"a\x7f\"}", &err), PARSE_OK);
	ck_assert_str(0, "m", "a\x7f");
}
END_TEST

/* Lone surrogates have no UTF-8 form; whatever yajl makes of them, the
 * record still encodes as valid JSON in valid UTF-8. */
START_TEST(test_lone_surrogates)
{
	static const char *const lines[] = {
		"{\"m\":\"\\ud800\"}", "{\"m\":\"\\ud800x\"}",
		"{\"m\":\"\\udc00\"}", "{\"m\":\"\\ude00\\ud83d\"}",
		"{\"o\":[\"\\udfff\"]}",
	};
	struct parse_error	 err;
	size_t			 i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		ck_assert_int_eq(parse(lines[i], &err), PARSE_OK);
		js();
		ck_assert_msg(utf8_valid(out.buf, out.len), "%s", lines[i]);
		assert_valid_json(out.buf, out.len);
	}
}
END_TEST

START_TEST(test_keys)
{
	struct parse_error	 err;

	ck_assert_int_eq(parse("{\"a\\u0062\":1,\"c\\\"d\":2,\"\\u00e9\":3,"
	    "\"\":4,\"plain\":5,\"k\\\\\":{\"n\\u0041\":6}}", &err), PARSE_OK);
	ck_assert_raw(0, "ab", "1");
	ck_assert(!in_line(fld(0)->key));	/* decoded: a copy */
	ck_assert_raw(1, "c\"d", "2");
	ck_assert_raw(2, "\xc3\xa9", "3");
	ck_assert_raw(3, "", "4");
	ck_assert_raw(4, "plain", "5");
	ck_assert(in_line(fld(4)->key));
	ck_assert_raw(5, "k\\", "{\"nA\":6}");
	ck_assert_ptr_eq(record_get(&b, rec(), FIELD_STR("ab")), fld(0));
	/* Repeated keys are all kept, in order (the encoder writes the
	 * last one only). */
	ck_assert_int_eq(parse("{\"k\":1,\"k\":2}", &err), PARSE_OK);
	ck_assert_uint_eq(rec()->nfields, 2);
	ck_assert_raw(0, "k", "1");
	ck_assert_raw(1, "k", "2");
	ck_assert_str_eq(js(), "{\"k\":2}");
}
END_TEST

/* Lines as SPIRE writes them (pkg/common/log, logrus JSONFormatter). */
START_TEST(test_spire_lines)
{
	struct parse_error	 err;

	ck_assert_int_eq(parse("{\"caller_addr\":\"10.42.7.16:34306\",\"level\":"
	    "\"error\",\"method\":\"AttestAgent\",\"msg\":\"Nodeattestor("
	    "k8s_psat): token not authenticated according to TokenReview API "
	    "for cluster \\\"prod-eu1\\\"\",\"node_attestor_type\":\"k8s_psat\","
	    "\"request_id\":\"66900555-5dcf-46dc-8a18-163b16270c60\",\"service\":"
	    "\"agent.v1.Agent\",\"subsystem_name\":\"api\",\"time\":"
	    "\"2024-05-01T08:00:04.666503184Z\"}", &err), PARSE_OK);
	ck_assert_uint_eq(rec()->nfields, 9);
	ck_assert_str(1, "level", "error");
	ck_assert_str(3, "msg", "Nodeattestor(k8s_psat): token not "
	    "authenticated according to TokenReview API for cluster "
	    "\"prod-eu1\"");
	ck_assert_str(8, "time", "2024-05-01T08:00:04.666503184Z");

	/* An audit line: status_code is an integer. */
	ck_assert_int_eq(parse("{\"caller_addr\":\"10.42.3.242:41047\",\"level\":"
	    "\"info\",\"method\":\"AttestAgent\",\"msg\":\"API accessed\","
	    "\"node_attestor_type\":\"join_token\",\"request_id\":\"0a717814-"
	    "7deb-40ad-aaa7-f963bd94d55b\",\"service\":\"agent.v1.Agent\","
	    "\"status\":\"error\",\"status_code\":3,\"status_message\":\"join "
	    "token expired\",\"subsystem_name\":\"api\",\"time\":\"2024-05-01T0"
	    "8:00:03.147210665Z\",\"type\":\"audit\"}", &err), PARSE_OK);
	ck_assert_raw(8, "status_code", "3");
	ck_assert_str(12, "type", "audit");

	/* Nested structs, nil slices, durations in nanoseconds. */
	ck_assert_int_eq(parse("{\"address\":{\"Name\":\"/run/spire/agent-sockets"
	    "/spire-agent.sock\",\"Net\":\"unix\"},\"admin_ids\":null,"
	    "\"details\":{\"err\":\"rpc error: code = Unavailable\"},\"level\":"
	    "\"warning\",\"msg\":\"Health check failed\",\"retry_interval\":"
	    "6560615269,\"selectors\":[{\"type\":\"k8s\",\"value\":\"ns:payments"
	    "\"},{\"type\":\"unix\",\"value\":\"uid:0\"}],\"time\":"
	    "\"2024-05-01T08:00:03Z\"}", &err), PARSE_OK);
	ck_assert_raw(0, "address", "{\"Name\":\"/run/spire/agent-sockets/"
	    "spire-agent.sock\",\"Net\":\"unix\"}");
	ck_assert_raw(1, "admin_ids", "null");
	ck_assert_raw(2, "details", "{\"err\":\"rpc error: code = "
	    "Unavailable\"}");
	ck_assert_raw(5, "retry_interval", "6560615269");
	ck_assert_raw(6, "selectors", "[{\"type\":\"k8s\",\"value\":\"ns:"
	    "payments\"},{\"type\":\"unix\",\"value\":\"uid:0\"}]");
}
END_TEST

/* --- bad lines ---------------------------------------------------------- */

START_TEST(test_max_depth)
{
	struct json_parser	*p;
	struct parse_error	 err;
	struct strbuf		 sb = STRBUF_INIT;
	int			 i;

	p = json_parser_new(3);
	ck_assert_int_eq(parse_with(p, "{\"a\":{\"b\":{}}}", 14, NULL, NULL,
	    &err), PARSE_OK);
	ck_assert_int_eq(parse_with(p, "{\"a\":[[1]]}", 11, NULL, NULL, &err),
	    PARSE_OK);
	ck_assert_int_eq(parse_with(p, "{\"a\":{\"b\":{\"c\":{}}}}", 20, NULL,
	    NULL, &err), PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_DEEP_NESTING);
	ck_assert_ptr_nonnull(err.what);
	ck_assert_int_eq(parse_with(p, "{\"a\":[[[1]]]}", 13, NULL, NULL,
	    &err), PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_DEEP_NESTING);
	/* Found on the way in, before the truncation at the end. */
	ck_assert_int_eq(parse_with(p, "{\"a\":[[[[[", 10, NULL, NULL, &err),
	    PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_DEEP_NESTING);
	/* But bad bytes come first in the order of kinds. */
	ck_assert_int_eq(parse_with(p, "{\"a\":[[[[\"\xff\"]]]]}", 17, NULL,
	    NULL, &err), PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_INVALID_UTF8);
	/* The parser is reusable after a failure. */
	ck_assert_int_eq(parse_with(p, "{\"a\":[[2]]}", 11, NULL, NULL, &err),
	    PARSE_OK);
	ck_assert_raw(0, "a", "[[2]]");
	json_parser_free(p);

	p = json_parser_new(1);
	ck_assert_int_eq(parse_with(p, "{\"a\":1}", 7, NULL, NULL, &err),
	    PARSE_OK);
	ck_assert_int_eq(parse_with(p, "{\"a\":{}}", 8, NULL, NULL, &err),
	    PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_DEEP_NESTING);
	ck_assert_int_eq(parse_with(p, "{\"a\":[]}", 8, NULL, NULL, &err),
	    PARSE_FAIL);
	json_parser_free(p);

	/* 0 is the default, 64: the top-level object and 63 arrays pass. */
	p = json_parser_new(0);
	for (i = 0; i < 2; i++) {
		int	 d, depth = 63 + i;

		sb_reset(&sb);
		sb_adds(&sb, "{\"a\":");
		for (d = 0; d < depth; d++)
			sb_addc(&sb, '[');
		for (d = 0; d < depth; d++)
			sb_addc(&sb, ']');
		sb_addc(&sb, '}');
		ck_assert_int_eq(parse_with(p, sb.buf, sb.len, NULL, NULL, &err),
		    i == 0 ? PARSE_OK : PARSE_FAIL);
	}
	ck_assert_int_eq(err.kind, BAD_DEEP_NESTING);
	json_parser_free(p);
	sb_free(&sb);
}
END_TEST

/* The corpus' deep lines: 20000 levels, stopped early, no recursion. */
START_TEST(test_very_deep)
{
	struct strbuf		 sb = STRBUF_INIT;
	struct parse_error	 err;
	int			 d, k;

	for (k = 0; k < 2; k++) {
		sb_reset(&sb);
		sb_adds(&sb, "{\"level\":\"info\",\"nonce\":");
		for (d = 0; d < 20000; d++)
			sb_adds(&sb, k ? "{\"a\":" : "[");
		sb_addc(&sb, '0');
		for (d = 0; d < 20000; d++)
			sb_addc(&sb, k ? '}' : ']');
		sb_adds(&sb, ",\"time\":\"2024-05-01T08:00:02Z\"}");
		ck_assert_int_eq(parse_n(sb.buf, sb.len, &err), PARSE_FAIL);
		ck_assert_int_eq(err.kind, BAD_DEEP_NESTING);
		ck_assert_uint_lt(err.offset, 200);
	}
	sb_free(&sb);
}
END_TEST

START_TEST(test_not_an_object)
{
	static const char *const lines[] = {
		"[1,2]", "\"str\"", "123", "null", "true", " ", "\t\t",
		"panic: runtime error: invalid memory address",
		"goroutine 1 [running]:", "time=\"2024-05-01T08:00:02Z\" "
		"level=info msg=x", "I0501 08:00:02.123456 1 reflector.go:547]",
		"}", "x{\"a\":1}",
	};
	struct parse_error	 err;
	size_t			 i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		ck_assert_int_eq(parse(lines[i], &err), PARSE_FAIL);
		ck_assert_msg(err.kind == BAD_FOREIGN_TEXT, "%s: %s", lines[i],
		    bad_kind_name(err.kind));
		ck_assert_ptr_nonnull(err.what);
		ck_assert_uint_eq(rec()->nfields, 0);
	}
	ck_assert_int_eq(parse("", &err), PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_EMPTY);
	/* Bad bytes are named before "not JSON" (parse.h's order). */
	ck_assert_kind("\xff\xfe panic", BAD_INVALID_UTF8);
	ck_assert_kind("panic\0", BAD_EMBEDDED_NUL);
	ck_assert_kind("\0{}", BAD_EMBEDDED_NUL);
}
END_TEST

static const char *const truncated[] = {
	"{", "{\"", "{\"a", "{\"a\"", "{\"a\":", "{\"a\":\"b", "{\"a\":1",
	"{\"a\":[1,2", "{\"a\":{\"b\":1}", "{\"a\":tr", "{\"a\":\"\\",
	"{\"a\":\"\\u12", "{\"a\":1,", "{\"a\":1, \"b\"", "  {\"a\":[",
	"{\"level\":\"info\",\"msg\":\"Renewing st",
	"{\"a\":\"\xc3\xa9",	/* cut after a complete character */
};

START_TEST(test_truncated)
{
	struct parse_error	 err;
	const char		*s = truncated[_i];

	ck_assert_int_eq(parse(s, &err), PARSE_FAIL);
	ck_assert_msg(err.kind == BAD_TRUNCATED, "%s: %s", s,
	    bad_kind_name(err.kind));
	/* It read to the end: the furthest a parser can get. */
	ck_assert_uint_eq(err.offset, strlen(s));
	ck_assert_ptr_nonnull(err.what);
}
END_TEST

static const char *const syntax[] = {
	"{\"a\":b}", "{\"a\" 1}", "{\"a\":1,}", "{a:1}", "{\"a\":1}}",
	"{\"a\":1} x", "{\"a\":01}", "{'a':1}", "{\"a\":\"\\q\"}",
	"{\"a\":\"\\u12G4\"}", "{\"a\":1}{\"b\":2}", "{\"a\":-}", "{\"a\":1.}",
	"{\"a\":\"x\ty\"}", "{\"a\":\"x\x01y\"}", "{\"a\":\"x\ny\"}",
	"{\"a\":nulx}", "{,}", "{\"a\":[1,]}", "{\"a\":[,1]}", "{\"a\"::1}",
	"{\"a\":1 \"b\":2}", "{\"a\":[1 2]}", "{\"a\":{\"b\"}}",
	"{\"a\":+1}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":NaN}",
	"{\"a\":\"\\x41\"}", "{\"a\":\"b\"]",
};

START_TEST(test_syntax)
{
	struct parse_error	 err;
	const char		*s = syntax[_i];

	ck_assert_int_eq(parse(s, &err), PARSE_FAIL);
	ck_assert_msg(err.kind == BAD_SYNTAX, "%s: %s", s,
	    bad_kind_name(err.kind));
	ck_assert_ptr_nonnull(err.what);
}
END_TEST

/* Invalid UTF-8 in a value, a key and a nested value. */
static const char *const bad_utf8[] = {
	"\xff", "\xfe\xff", "caf\xe9", "\x80", "\xbf",
	"\xed\xa0\x80",		/* an encoded surrogate, U+D800 */
	"\xed\xbf\xbf",		/* U+DFFF */
	"\xc0\xaf",		/* overlong '/' */
	"\xc1\xbf",		/* overlong */
	"\xe0\x80\xaf",		/* overlong, 3 bytes */
	"\xf0\x80\x80\xaf",	/* overlong, 4 bytes */
	"\xf4\x90\x80\x80",	/* past U+10FFFF */
	"\xf8\x88\x80\x80\x80",	/* a 5-byte form */
	"\xe2\x82",		/* cut short inside the string */
	"\xe2\x82x",
	"\xc3",
};

START_TEST(test_invalid_utf8)
{
	char			 line[64];
	struct parse_error	 err;
	const char		*bad = bad_utf8[_i];
	size_t			 at = utf8_valid_prefix(bad, strlen(bad));
	int			 n;

	n = snprintf(line, sizeof line, "{\"a\":\"%s\",\"b\":1}", bad);
	ck_assert_int_eq(parse_n(line, (size_t)n, &err), PARSE_FAIL);
	ck_assert_msg(err.kind == BAD_INVALID_UTF8, "%d: %s", _i,
	    bad_kind_name(err.kind));
	ck_assert_uint_eq(err.offset, 6 + at);	/* the first bad byte */
	ck_assert_ptr_nonnull(err.what);
	/* The same in a key, and in a nested value. */
	n = snprintf(line, sizeof line, "{\"k%s\":1}", bad);
	ck_assert_int_eq(parse_n(line, (size_t)n, &err), PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_INVALID_UTF8);
	ck_assert_uint_eq(err.offset, 3 + at);
	n = snprintf(line, sizeof line, "{\"o\":{\"x\":[\"%s\"]}}", bad);
	ck_assert_int_eq(parse_n(line, (size_t)n, &err), PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_INVALID_UTF8);
	ck_assert_uint_eq(err.offset, 12 + at);
}
END_TEST

START_TEST(test_invalid_utf8_outside_strings)
{
	struct parse_error	 err;

	ck_assert_kind("{\"a\":1}\xff", BAD_INVALID_UTF8);
	ck_assert_kind("{\xff:1}", BAD_INVALID_UTF8);
	ck_assert_kind("{\"a\":1\xc3\xa9}", BAD_SYNTAX);	/* valid, misplaced */
	/* Truncated, and invalid before the cut: the bytes win. */
	ck_assert_kind("{\"a\":\"caf\xe9", BAD_INVALID_UTF8);
	ck_assert_int_eq(PARSE_LIT("{\"a\":\"x\",\"b\":\"\xed\xa0\x80\"}", &err),
	    PARSE_FAIL);
	ck_assert_uint_eq(err.offset, 14);
}
END_TEST

START_TEST(test_embedded_nul)
{
	struct parse_error	 err;

	ck_assert_int_eq(PARSE_LIT("{\"a\":\"x\0y\"}", &err), PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_EMBEDDED_NUL);
	ck_assert_uint_eq(err.offset, 7);
	ck_assert_kind("{\"a\0\":1}", BAD_EMBEDDED_NUL);
	ck_assert_kind("{\"a\":1}\0", BAD_EMBEDDED_NUL);
	ck_assert_kind("{\"a\":1\0}", BAD_EMBEDDED_NUL);
	/* A NUL beats invalid UTF-8, truncation and deep nesting. */
	ck_assert_kind("{\"a\":\"\xff\0\"}", BAD_EMBEDDED_NUL);
	ck_assert_kind("{\"a\":\"x\0", BAD_EMBEDDED_NUL);
	ck_assert_kind("{\"a\":[[[[[[[[[[[[\0]]]]]]]]]]]]}", BAD_EMBEDDED_NUL);
	/* The escaped form is a value, not damage. */
	ck_assert_int_eq(parse("{\"a\":\"x\\u0000y\"}", &err), PARSE_OK);
}
END_TEST

/* A failed line leaves fields in the open record: rollback clears them. */
START_TEST(test_fail_then_rollback)
{
	struct parse_error	 err;
	struct strbuf		 sb = STRBUF_INIT;

	ck_assert_int_eq(parse("{\"keep\":\"me\",\"n\":1}", &err), PARSE_OK);
	batch_commit(&b);
	ck_assert_int_eq(parse("{\"a\":1,\"b\":\"\\u00e9\",\"c\":[1,", &err),
	    PARSE_FAIL);
	ck_assert_uint_gt(rec()->nfields, 0);
	batch_rollback(&b);
	ck_assert_uint_eq(b.nfields, 2);
	ck_assert_uint_eq(b.nrecs, 1);
	ck_assert_int_eq(parse("{\"x\":\"y\"}", &err), PARSE_OK);
	batch_commit(&b);
	ck_assert_uint_eq(b.nrecs, 2);
	/* The first record's bytes point into its own (freed) line copy;
	 * compare the second only, and the first's shape. */
	json_put_record(&sb, &b, &b.recs[1]);
	ck_assert_str_eq(sb_cstr(&sb), "{\"x\":\"y\"}");
	ck_assert_uint_eq(b.recs[0].nfields, 2);
	ck_assert_uint_eq(b.recs[1].field0, 2);
	sb_free(&sb);
}
END_TEST

/* --- the gate ----------------------------------------------------------- */

static const char *const warn_error_empty[] = { "warning", "error", "", NULL };

static const struct gate level_or_missing_gate = {
	.require = { { "level", 5, match_any, warn_error_empty } },
	.nrequire = 1,
};

static const char *const api[] = { "api", NULL };


static const struct gate two_gate = {
	.require = { { "level", 5, match_any, warn_error },
	    { "subsystem_name", 14, match_any, api } },
	.nrequire = 2,
};

static const struct gate empty_gate = { .nrequire = 0 };

static enum parse_status
gparse(const char *s, const struct gate *g, bool final)
{
	struct gate_state	 gst;
	struct parse_error	 err;
	enum parse_status	 st;

	gate_start(&gst);
	if (final)
		gate_final(&gst);
	st = parse_with(jp, s, strlen(s), g, &gst, &err);
	if (st == PARSE_OK && g->nrequire > 0)
		ck_assert(gate_passes(g, &gst));
	return st;
}

START_TEST(test_gate_drops_early)
{
	ck_assert_int_eq(gparse("{\"caller_addr\":\"x\",\"level\":\"info\","
	    "\"msg\":\"Renewing\",\"time\":\"t\"}", &level_gate, true),
	    PARSE_DROP);
	/* It stopped at level: nothing after it was parsed. */
	ck_assert_uint_eq(rec()->nfields, 2);
	ck_assert_str(1, "level", "info");
	/* Not even the syntax after it is looked at. */
	ck_assert_int_eq(gparse("{\"level\":\"debug\",\"msg\":\"trunc",
	    &level_gate, true), PARSE_DROP);
	ck_assert_int_eq(gparse("{\"level\":\"debug\",\"msg\":}", &level_gate,
	    true), PARSE_DROP);
	/* A level that is not a string is tested as its JSON text. */
	ck_assert_int_eq(gparse("{\"level\":5,\"a\":1}", &level_gate, true),
	    PARSE_DROP);
	ck_assert_uint_eq(rec()->nfields, 1);
	ck_assert_int_eq(gparse("{\"level\":{\"x\":\"error\"},\"a\":1}",
	    &level_gate, true), PARSE_DROP);
	ck_assert_uint_eq(rec()->nfields, 1);
	ck_assert_int_eq(gparse("{\"level\":[\"error\"],\"a\":1}", &level_gate,
	    true), PARSE_DROP);
}
END_TEST

START_TEST(test_gate_keeps)
{
	ck_assert_int_eq(gparse("{\"level\":\"error\",\"msg\":\"Failed\",\"a\":1}",
	    &level_gate, true), PARSE_OK);
	ck_assert_uint_eq(rec()->nfields, 3);
	ck_assert_int_eq(gparse("{\"a\":1,\"level\":\"warning\"}", &level_gate,
	    true), PARSE_OK);
	/* The gate sees decoded values. */
	ck_assert_int_eq(gparse("{\"level\":\"\\u0065rror\",\"m\":1}",
	    &level_gate, true), PARSE_OK);
	/* Case matters to the test, as it would to the filter. */
	ck_assert_int_eq(gparse("{\"level\":\"ERROR\"}", &level_gate, true),
	    PARSE_DROP);
	/* A key that only looks like level is not level. */
	ck_assert_int_eq(gparse("{\"levels\":\"info\",\"level\":\"error\"}",
	    &level_gate, true), PARSE_OK);
	/* Without tests, a gate is not active. */
	ck_assert_int_eq(gparse("{\"level\":\"info\"}", &empty_gate, true),
	    PARSE_OK);
}
END_TEST

/* A missing key is tested as "", at the end of the line. */
START_TEST(test_gate_missing_key)
{
	ck_assert_int_eq(gparse("{\"msg\":\"no level\",\"a\":1,\"b\":2}",
	    &level_gate, true), PARSE_DROP);
	ck_assert_uint_eq(rec()->nfields, 3);	/* read to the end */
	ck_assert_int_eq(gparse("{\"msg\":\"no level\"}", &level_or_missing_gate,
	    true), PARSE_OK);
	/* "" present is the same as missing. */
	ck_assert_int_eq(gparse("{\"level\":\"\"}", &level_or_missing_gate,
	    true), PARSE_OK);
	ck_assert_int_eq(gparse("{}", &level_gate, true), PARSE_DROP);
	ck_assert_int_eq(gparse("{}", &level_or_missing_gate, true), PARSE_OK);
}
END_TEST

START_TEST(test_gate_rescue)
{
	/* With a rescue possible the line is read to its end. */
	ck_assert_int_eq(gparse("{\"level\":\"info\",\"msg\":\"API accessed\","
	    "\"type\":\"audit\"}", &audit_gate, true), PARSE_OK);
	ck_assert_uint_eq(rec()->nfields, 3);
	ck_assert_int_eq(gparse("{\"type\":\"audit\",\"level\":\"debug\"}",
	    &audit_gate, true), PARSE_OK);
	ck_assert_int_eq(gparse("{\"level\":\"info\",\"msg\":\"x\",\"type\":"
	    "\"linux\",\"z\":1}", &audit_gate, true), PARSE_DROP);
	ck_assert_uint_eq(rec()->nfields, 4);
	ck_assert_int_eq(gparse("{\"level\":\"error\",\"type\":\"x\"}",
	    &audit_gate, true), PARSE_OK);
}
END_TEST

START_TEST(test_gate_two_tests)
{
	ck_assert_int_eq(gparse("{\"level\":\"error\",\"subsystem_name\":\"api\"}",
	    &two_gate, true), PARSE_OK);
	ck_assert_int_eq(gparse("{\"level\":\"error\",\"subsystem_name\":\"ca\","
	    "\"z\":1}", &two_gate, true), PARSE_DROP);
	ck_assert_uint_eq(rec()->nfields, 2);
	ck_assert_int_eq(gparse("{\"level\":\"info\",\"subsystem_name\":\"api\"}",
	    &two_gate, true), PARSE_DROP);
	ck_assert_uint_eq(rec()->nfields, 1);
	/* One test passing and the other key missing: dropped at the end. */
	ck_assert_int_eq(gparse("{\"level\":\"error\",\"z\":1}", &two_gate,
	    true), PARSE_DROP);
	ck_assert_uint_eq(rec()->nfields, 2);
}
END_TEST

/* Before gate_final nothing is dropped early; the end still decides. */
START_TEST(test_gate_not_final)
{
	ck_assert_int_eq(gparse("{\"level\":\"info\",\"msg\":\"y\",\"a\":1}",
	    &level_gate, false), PARSE_DROP);
	ck_assert_uint_eq(rec()->nfields, 3);
}
END_TEST

/*
 * The last value of a key is what the filters test, so a key that may
 * come again later in the line must not drop the record at its first
 * value (it is then decided at the end).
 */
START_TEST(test_gate_repeated_key)
{
	ck_assert_int_eq(gparse("{\"level\":\"info\",\"msg\":\"x\",\"level\":"
	    "\"error\"}", &level_gate, true), PARSE_OK);
	ck_assert_uint_eq(rec()->nfields, 3);
	/* The later spelling may be escaped. */
	ck_assert_int_eq(gparse("{\"level\":\"info\",\"msg\":\"x\",\"lev\\u0065l\""
	    ":\"error\"}", &level_gate, true), PARSE_OK);
	/* And the reverse: a passing value overridden by a failing one. */
	ck_assert_int_eq(gparse("{\"level\":\"error\",\"level\":\"info\",\"a\":1}",
	    &level_gate, true), PARSE_DROP);
	ck_assert_uint_eq(rec()->nfields, 2);
	/* The word inside a value is not a key: the early exit stays. */
	ck_assert_int_eq(gparse("{\"level\":\"info\",\"msg\":\"log level "
	    "changed\",\"a\":1}", &level_gate, true), PARSE_DROP);
	ck_assert_uint_eq(rec()->nfields, 1);
	/* Any \u escape later might spell it: read on, decide at the end. */
	ck_assert_int_eq(gparse("{\"level\":\"info\",\"msg\":\"\\u003c\","
	    "\"a\":1}", &level_gate, true), PARSE_DROP);
	ck_assert_uint_eq(rec()->nfields, 3);
	/* A later key with blanks before its colon is still that key. */
	ck_assert_int_eq(gparse("{\"level\":\"info\",\"level\" \t:\"error\"}",
	    &level_gate, true), PARSE_OK);
	/* An escape that cannot spell the key does not stop the early exit. */
	ck_assert_int_eq(gparse("{\"level\":\"info\",\"msg\":\"a \\\"q\\\"\","
	    "\"a\":1}", &level_gate, true), PARSE_DROP);
	ck_assert_uint_eq(rec()->nfields, 1);
}
END_TEST

/* Bad bytes before the deciding key fail the line; after it, it drops. */
START_TEST(test_gate_and_bad_bytes)
{
	struct gate_state	 gst;
	struct parse_error	 err;
	const char		*s;

	s = "{\"a\":\"\xff\",\"level\":\"info\"}";
	gate_start(&gst);
	gate_final(&gst);
	ck_assert_int_eq(parse_with(jp, s, strlen(s), &level_gate, &gst, &err),
	    PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_INVALID_UTF8);
	ck_assert_int_eq(gparse("{\"level\":\"info\",\"a\":\"\xff\"}", &level_gate,
	    true), PARSE_DROP);
	/* Kept by the gate, the line is still checked to its end. */
	s = "{\"level\":\"error\",\"a\":\"\xed\xa0\x80\"}";
	gate_start(&gst);
	gate_final(&gst);
	ck_assert_int_eq(parse_with(jp, s, strlen(s), &level_gate, &gst, &err),
	    PARSE_FAIL);
	ck_assert_int_eq(err.kind, BAD_INVALID_UTF8);
}
END_TEST

/* Drops and failures leave the batch as it was once rolled back. */
START_TEST(test_gate_rollback_consistent)
{
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 nf;
	char		*kept;

	kept = strdup("{\"level\":\"error\",\"msg\":\"kept\"}");
	ck_assert_int_eq(json_parse_record(jp, kept, strlen(kept),
	    (batch_begin(&b), &b), NULL, NULL, &(struct parse_error){0}),
	    PARSE_OK);
	batch_commit(&b);
	nf = b.nfields;
	ck_assert_int_eq(gparse("{\"level\":\"info\",\"msg\":\"\\u00e9\"}",
	    &level_gate, true), PARSE_DROP);
	batch_rollback(&b);
	ck_assert_uint_eq(b.nfields, nf);
	ck_assert_int_eq(gparse("{\"msg\":\"\\u00e9\",\"o\":{\"x\":[1]},"
	    "\"level\":\"debug\"}", &level_gate, true), PARSE_DROP);
	batch_rollback(&b);
	ck_assert_int_eq(gparse("{\"msg\":\"\\u00e9\",\"o\":{\"x\":[1", &level_gate,
	    true), PARSE_FAIL);
	batch_rollback(&b);
	ck_assert_uint_eq(b.nfields, nf);
	ck_assert_uint_eq(b.nrecs, 1);
	json_put_record(&sb, &b, &b.recs[0]);
	ck_assert_str_eq(sb_cstr(&sb), "{\"level\":\"error\",\"msg\":\"kept\"}");
	free(kept);
	sb_free(&sb);
}
END_TEST

/* --- memory -------------------------------------------------------------- */

/*
 * Many lines through one parser: a fresh yajl handle per line comes out
 * of the bump region, and lines whose buffers outgrow it use the heap;
 * ASan's leak check at exit says nothing is left behind.
 */
START_TEST(test_many_lines)
{
	enum { N = 30000 };
	struct strbuf		 big = STRBUF_INIT, line = STRBUF_INIT;
	struct gate_state	 gst;
	struct parse_error	 err;
	size_t			 i, kept = 0;

	/* 40 KB of escapes: yajl's decode buffer must grow past 16 KB. */
	sb_adds(&big, "{\"level\":\"error\",\"msg\":\"");
	for (i = 0; i < 10000; i++)
		sb_adds(&big, "\\u00e9");
	sb_adds(&big, "\",\"o\":{\"k\":[");
	for (i = 0; i < 2000; i++)
		sb_addf(&big, "%s\"v\\n%zu\"", i ? "," : "", i);
	sb_adds(&big, "]}}");
	for (i = 0; i < N; i++) {
		enum parse_status	 st;

		sb_reset(&line);
		switch (i % 5) {
		case 0:
			sb_add(&line, big.buf, big.len);
			break;
		case 1:
			sb_addf(&line, "{\"level\":\"info\",\"n\":%zu}", i);
			break;
		case 2:
			sb_addf(&line, "{\"level\":\"error\",\"n\":%zu,\"m\":"
			    "\"\\\"q\\\"\"}", i);
			break;
		case 3:
			sb_addf(&line, "{\"level\":\"error\",\"n\":%zu,\"m\":\"tr",
			    i);
			break;
		default:
			sb_addf(&line, "{\"level\":\"error\",\"n\":[[[[[[[[[%zu",
			    i);
		}
		gate_start(&gst);
		gate_final(&gst);
		batch_begin(&b);
		st = json_parse_record(jp, line.buf, line.len, &b, &level_gate,
		    &gst, &err);
		ck_assert_int_eq(st, i % 5 == 1 ? PARSE_DROP : i % 5 >= 3 ?
		    PARSE_FAIL : PARSE_OK);
		if (i % 5 == 0) {
			struct field *f = record_get(&b, rec(), FIELD_STR("msg"));

			ck_assert_uint_eq(f->vlen, 20000);
			ck_assert_mem_eq(f->val + 19998, "\xc3\xa9", 2);
		}
		if (st == PARSE_OK && i % 5 == 2) {
			batch_commit(&b);
			kept++;
		} else
			batch_rollback(&b);
		if (i % 1000 == 999)
			batch_reset(&b);
	}
	ck_assert_uint_gt(kept, 0);
	sb_free(&big);
	sb_free(&line);
}
END_TEST

/* One line far bigger than the region: every buffer comes from the heap. */
START_TEST(test_huge_line)
{
	struct strbuf		 sb = STRBUF_INIT;
	struct parse_error	 err;
	struct field		*f;
	size_t			 i;

	sb_adds(&sb, "{\"msg\":\"");
	for (i = 0; i < 200000; i++)
		sb_adds(&sb, "\\t");
	sb_adds(&sb, "\",\"arr\":[");
	for (i = 0; i < 50000; i++)
		sb_addf(&sb, "%s{\"i\":%zu}", i ? "," : "", i);
	sb_adds(&sb, "]}");
	ck_assert_int_eq(parse_n(sb.buf, sb.len, &err), PARSE_OK);
	f = record_get(&b, rec(), FIELD_STR("msg"));
	ck_assert_uint_eq(f->vlen, 200000);
	ck_assert_int_eq(f->val[199999], '\t');
	f = record_get(&b, rec(), FIELD_STR("arr"));
	ck_assert_mem_eq(f->val + f->vlen - 12, "{\"i\":49999}]", 12);
	sb_free(&sb);
}
END_TEST

/* For yajl_tree_parse's callers (kube.c, es_*.c): depth, strings not
 * counted, and no further once past the limit. */
START_TEST(test_too_deep)
{
	static const char quoted[] = "[\"[[[\\\"[{\",{\"k\":\"]\"}]";
	char		 err[64];

	ck_assert_uint_eq(json_depth("[[]]", 2), 2);
	ck_assert_uint_eq(json_depth("[[[]]]", 2), 3);
	ck_assert_uint_eq(json_depth("{\"a\":[{", 2), 3);
	ck_assert_uint_eq(json_depth(quoted, 2), 2);
	ck_assert_uint_eq(json_depth(quoted, 1), 2);
	ck_assert_uint_eq(json_depth("]]]][", 1), 1);
	ck_assert_ptr_null(json_tree_parse("[[[1]]]", 2, err, sizeof err));
	ck_assert_str_eq(err, "JSON nested deeper than 2 levels");
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("json");
	TCase	*tv = tcase_create("values");
	TCase	*tk = tcase_create("kinds");
	TCase	*tg = tcase_create("gate");
	TCase	*tm = tcase_create("memory");

	tcase_add_checked_fixture(tv, setup, teardown);
	tcase_add_test(tv, test_scalars);
	tcase_add_test(tv, test_whitespace);
	tcase_add_test(tv, test_nested_compact);
	tcase_add_test(tv, test_nested_strings);
	tcase_add_test(tv, test_many_nested);
	tcase_add_test(tv, test_escapes);
	tcase_add_test(tv, test_lone_surrogates);
	tcase_add_test(tv, test_keys);
	tcase_add_test(tv, test_spire_lines);
	suite_add_tcase(s, tv);

	tcase_add_checked_fixture(tk, setup, teardown);
	tcase_add_test(tk, test_max_depth);
	tcase_add_test(tk, test_very_deep);
	tcase_add_test(tk, test_not_an_object);
	tcase_add_loop_test(tk, test_truncated, 0,
	    (int)(sizeof truncated / sizeof truncated[0]));
	tcase_add_loop_test(tk, test_syntax, 0,
	    (int)(sizeof syntax / sizeof syntax[0]));
	tcase_add_loop_test(tk, test_invalid_utf8, 0,
	    (int)(sizeof bad_utf8 / sizeof bad_utf8[0]));
	tcase_add_test(tk, test_invalid_utf8_outside_strings);
	tcase_add_test(tk, test_embedded_nul);
	tcase_add_test(tk, test_fail_then_rollback);
	suite_add_tcase(s, tk);

	tcase_add_checked_fixture(tg, setup, teardown);
	tcase_add_test(tg, test_gate_drops_early);
	tcase_add_test(tg, test_gate_keeps);
	tcase_add_test(tg, test_gate_missing_key);
	tcase_add_test(tg, test_gate_rescue);
	tcase_add_test(tg, test_gate_two_tests);
	tcase_add_test(tg, test_gate_not_final);
	tcase_add_test(tg, test_gate_repeated_key);
	tcase_add_test(tg, test_gate_and_bad_bytes);
	tcase_add_test(tg, test_gate_rollback_consistent);
	suite_add_tcase(s, tg);

	tcase_add_checked_fixture(tm, setup, teardown);
	tcase_add_test(tm, test_many_lines);
	tcase_add_test(tm, test_huge_line);
	tcase_add_test(tm, test_too_deep);
	tcase_set_timeout(tm, 60);
	suite_add_tcase(s, tm);
	return s;
}

#include "check_main.h"
