/*
 * test_envelope.c — CRI and Docker json-file runtime lines.
 *
 * Every line is copied into a heap buffer of exactly its length, and the
 * Docker scratch is exactly that long too, so that AddressSanitizer
 * catches a parser reading past the line or writing past its scratch.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

#define NS		1000000000LL
#define T_080002	1714550402LL	/* 2024-05-01T08:00:02Z */

static char	*g_line;
static char	*g_scratch;

static void
teardown(void)
{
	free(g_line);
	free(g_scratch);
	g_line = g_scratch = NULL;
}

/* The line in a buffer of exactly its size (one byte for an empty one). */
static const char *
exact(const char *s, size_t len)
{
	free(g_line);
	g_line = malloc(len ? len : 1);
	memcpy(g_line, s, len);
	return g_line;
}

static int
cri(const char *s, size_t len, struct envelope *e)
{
	return cri_parse(exact(s, len), len, e);
}

#define CRI(s, e)	cri((s), sizeof(s) - 1, (e))

static int
docker(const char *s, size_t len, bool cut, struct envelope *e)
{
	const char	*line = exact(s, len);

	free(g_scratch);
	g_scratch = malloc(len ? len : 1);
	return docker_parse(line, len, cut, g_scratch, e);
}

#define DOCKER(s, e)	docker((s), sizeof(s) - 1, false, (e))
#define CUT(s, e)	docker((s), sizeof(s) - 1, true, (e))

#define ck_assert_bytes(p, n, want) do {				\
	ck_assert_uint_eq((n), sizeof(want) - 1);			\
	ck_assert_mem_eq((p), (want), sizeof(want) - 1);		\
} while (0)

#define ck_assert_content(e, want)					\
	ck_assert_bytes((e).content, (e).len, want)

/* --- CRI ---------------------------------------------------------------- */

START_TEST(test_cri_full)
{
	struct envelope	 e;
	const char	*s = "2024-05-01T08:00:02.22432324Z stdout F "
	    "{\"level\":\"info\"}";

	ck_assert_int_eq(cri(s, strlen(s), &e), 0);
	ck_assert_content(e, "{\"level\":\"info\"}");
	/* Zero-copy: content points into the line. */
	ck_assert_ptr_eq(e.content, g_line + 39);
	ck_assert_bytes(e.time, e.timelen, "2024-05-01T08:00:02.22432324Z");
	ck_assert_int_eq(e.time_ns, T_080002 * NS + 224323240);
	ck_assert_bytes(e.stream, e.streamlen, "stdout");
	ck_assert_int_eq(e.stream_kind, STREAM_STDOUT);
	ck_assert_bytes(e.logtag, e.logtaglen, "F");
	ck_assert(!e.partial);
}
END_TEST

START_TEST(test_cri_partial)
{
	struct envelope	 e;

	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stderr P {\"a\":", &e), 0);
	ck_assert(e.partial);
	ck_assert_int_eq(e.stream_kind, STREAM_STDERR);
	ck_assert_bytes(e.logtag, e.logtaglen, "P");
	ck_assert_content(e, "{\"a\":");
	ck_assert_int_eq(e.time_ns, T_080002 * NS);
	/* An empty partial chunk is possible too. */
	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout P ", &e), 0);
	ck_assert(e.partial);
	ck_assert_uint_eq(e.len, 0);
}
END_TEST

START_TEST(test_cri_newline)
{
	struct envelope	 e;

	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout F hello\n", &e), 0);
	ck_assert_content(e, "hello");
	/* A \r is content: the runtime already stripped its own. */
	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout F hello\r\n", &e),
	    0);
	ck_assert_content(e, "hello\r");
	/* Only one \n is the line's end. */
	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout F a\n\n", &e), 0);
	ck_assert_content(e, "a\n");
}
END_TEST

START_TEST(test_cri_empty_content)
{
	struct envelope	 e;

	/* As the runtimes write it: a trailing space. */
	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout F ", &e), 0);
	ck_assert_uint_eq(e.len, 0);
	ck_assert(!e.partial);
	ck_assert_bytes(e.logtag, e.logtaglen, "F");
	/* And without it. */
	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout F", &e), 0);
	ck_assert_uint_eq(e.len, 0);
	ck_assert_bytes(e.logtag, e.logtaglen, "F");
	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout F \n", &e), 0);
	ck_assert_uint_eq(e.len, 0);
	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout F\n", &e), 0);
	ck_assert_uint_eq(e.len, 0);
}
END_TEST

START_TEST(test_cri_spaces_in_content)
{
	struct envelope	 e;

	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout F   two  spaces ",
	    &e), 0);
	ck_assert_content(e, "  two  spaces ");
	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout F  ", &e), 0);
	ck_assert_content(e, " ");
}
END_TEST

START_TEST(test_cri_offsets)
{
	struct envelope	 e;
	int64_t		 utc;

	ck_assert_int_eq(CRI("2024-05-01T08:00:02.5Z stdout F x", &e), 0);
	utc = e.time_ns;
	ck_assert_int_eq(CRI("2024-05-01T10:00:02.5+02:00 stdout F x", &e), 0);
	ck_assert_int_eq(e.time_ns, utc);
	ck_assert_bytes(e.time, e.timelen, "2024-05-01T10:00:02.5+02:00");
	ck_assert_int_eq(CRI("2024-05-01T03:00:02.5-05:00 stdout F x", &e), 0);
	ck_assert_int_eq(e.time_ns, utc);
}
END_TEST

START_TEST(test_cri_tags)
{
	struct envelope	 e;

	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout F:x hi", &e), 0);
	ck_assert_bytes(e.logtag, e.logtaglen, "F:x");
	ck_assert(!e.partial);
	ck_assert_content(e, "hi");
	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout P:a:b hi", &e), 0);
	ck_assert(e.partial);
	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout X hi", &e), -1);
	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout FP hi", &e), -1);
	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout f hi", &e), -1);
	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout  F hi", &e), -1);
	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdout ", &e), -1);
}
END_TEST

START_TEST(test_cri_streams)
{
	struct envelope	 e;

	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdin F x", &e), 0);
	ck_assert_int_eq(e.stream_kind, STREAM_OTHER);
	ck_assert_bytes(e.stream, e.streamlen, "stdin");
	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdoutx F x", &e), 0);
	ck_assert_int_eq(e.stream_kind, STREAM_OTHER);
	ck_assert_int_eq(CRI("2024-05-01T08:00:02Z stdou F x", &e), 0);
	ck_assert_int_eq(e.stream_kind, STREAM_OTHER);
}
END_TEST

static const char *const not_cri[] = {
	"",
	"\n",
	("{\"log\":\"x\\n\",\"stream\":\"stdout\",\"time\":"
	    "\"2024-05-01T08:00:02Z\"}"),
	"panic: runtime error: invalid memory address",
	"goroutine 1 [running]:",
	"I0501 08:00:02.123456       1 reflector.go:547] failed",
	"2024/05/01 08:00:02 http: TLS handshake error from 198.51.100.7:1",
	"time=\"2024-05-01T08:00:02Z\" level=info msg=x",
	"2024-05-01T08:00:02Z",
	"2024-05-01T08:00:02Z ",
	"2024-05-01T08:00:02Z stdout",
	"2024-05-01T08:00:02Z  F x",
	" 2024-05-01T08:00:02Z stdout F x",
	"2024-13-01T08:00:02Z stdout F x",
	"2024-05-01T08:00:02 stdout F x",
	"2024-05-01T08:00:02.Z stdout F x",
	"2024-05-01 08:00:02Z stdout F x",	/* space splits the time */
};

START_TEST(test_cri_not_cri)
{
	struct envelope	 e;
	const char	*s = not_cri[_i];

	ck_assert_msg(cri(s, strlen(s), &e) == -1, "accepted %s", s);
	ck_assert(!envelope_looks_cri(exact(s, strlen(s)), strlen(s)));
}
END_TEST

START_TEST(test_looks_cri)
{
	const char	*s = "2024-05-01T08:00:02Z stdout F x";

	ck_assert(envelope_looks_cri(exact(s, strlen(s)), strlen(s)));
	s = "2024-05-01T08:00:02.123+02:00 stderr P ";
	ck_assert(envelope_looks_cri(exact(s, strlen(s)), strlen(s)));
}
END_TEST

/* --- Docker ------------------------------------------------------------- */

#define DLINE(log)	"{\"log\":\"" log "\",\"stream\":\"stdout\","	\
			"\"time\":\"2024-05-01T08:00:02.22432324Z\"}"

START_TEST(test_docker_basic)
{
	struct envelope	 e;

	ck_assert_int_eq(DOCKER(DLINE("time=\\\"x\\\" level=info\\n"), &e), 0);
	ck_assert_content(e, "time=\"x\" level=info");
	ck_assert_ptr_eq(e.content, g_scratch);
	ck_assert(!e.partial);
	ck_assert_bytes(e.stream, e.streamlen, "stdout");
	ck_assert_int_eq(e.stream_kind, STREAM_STDOUT);
	ck_assert_bytes(e.time, e.timelen, "2024-05-01T08:00:02.22432324Z");
	ck_assert_int_eq(e.time_ns, T_080002 * NS + 224323240);
	ck_assert_ptr_null(e.logtag);
	ck_assert_uint_eq(e.logtaglen, 0);
}
END_TEST

START_TEST(test_docker_key_order)
{
#define LOG	"\"log\":\"a\\n\""
#define STREAM	"\"stream\":\"stderr\""
#define TIME	"\"time\":\"2024-05-01T08:00:02Z\""
	static const char *const lines[] = {
		"{" LOG "," STREAM "," TIME "}",
		"{" TIME "," LOG "," STREAM "}",
		"{" STREAM "," TIME "," LOG "}",
		"{" TIME "," STREAM "," LOG "}",
		(" { \"stream\" : \"stderr\" ,\t\"log\" :\"a\\n\", \"time\": "
		    "\"2024-05-01T08:00:02Z\" } \r\n"),
	};
	struct envelope	 e;
	size_t		 i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		ck_assert_int_eq(docker(lines[i], strlen(lines[i]), false,
		    &e), 0);
		ck_assert_content(e, "a");
		ck_assert_int_eq(e.stream_kind, STREAM_STDERR);
		ck_assert_int_eq(e.time_ns, T_080002 * NS);
		ck_assert(!e.partial);
	}
}
END_TEST

START_TEST(test_docker_escapes)
{
	struct envelope	 e;

	ck_assert_int_eq(DOCKER(DLINE("q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t.\\n"),
	    &e), 0);
	ck_assert_content(e, "q\" b\\ s/ \b\f\n\r\t.");
	/* SPIRE's HTML escaping, and non-ASCII by \u. */
	ck_assert_int_eq(DOCKER(DLINE("\\u003c\\u003e\\u0026 \\u00e9\\u00E9 "
	    "\\u20ac \\u2028\\n"), &e), 0);
	ck_assert_content(e, "<>& \xc3\xa9\xc3\xa9 \xe2\x82\xac \xe2\x80\xa8");
	/* Boundaries of the one-, two- and three-byte forms. */
	ck_assert_int_eq(DOCKER(DLINE("\\u007f\\u0080\\u07ff\\u0800\\uffff\\n"),
	    &e), 0);
	ck_assert_content(e, "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf");
	/* Escaped quotes right where the closing quote is searched. */
	ck_assert_int_eq(DOCKER(DLINE("\\\"\\\"\\\""), &e), 0);
	ck_assert_content(e, "\"\"\"");
	ck_assert(e.partial);
	ck_assert_int_eq(DOCKER(DLINE("\\\\"), &e), 0);
	ck_assert_content(e, "\\");
}
END_TEST

START_TEST(test_docker_nul)
{
	struct envelope	 e;

	ck_assert_int_eq(DOCKER(DLINE("a\\u0000b\\n"), &e), 0);
	ck_assert_uint_eq(e.len, 3);
	ck_assert_mem_eq(e.content, "a\0b", 3);
}
END_TEST

START_TEST(test_docker_surrogates)
{
	struct envelope	 e;

	ck_assert_int_eq(DOCKER(DLINE("\\ud83d\\ude00\\n"), &e), 0);
	ck_assert_content(e, "\xf0\x9f\x98\x80");
	ck_assert_int_eq(DOCKER(DLINE("\\uD800\\uDC00\\uDBFF\\uDFFF\\n"), &e),
	    0);
	ck_assert_content(e, "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
	/* Lone halves become U+FFFD. */
	ck_assert_int_eq(DOCKER(DLINE("a\\ud800b\\n"), &e), 0);
	ck_assert_content(e, "a\xef\xbf\xbd" "b");
	ck_assert_int_eq(DOCKER(DLINE("a\\udc00b\\n"), &e), 0);
	ck_assert_content(e, "a\xef\xbf\xbd" "b");
	ck_assert_int_eq(DOCKER(DLINE("\\ud800\\n"), &e), 0);
	ck_assert_content(e, "\xef\xbf\xbd");
	ck_assert_int_eq(DOCKER(DLINE("\\ud800"), &e), 0);
	ck_assert_content(e, "\xef\xbf\xbd");
	ck_assert(e.partial);
	/* High then a \u that is not low: both are kept, the first lost. */
	ck_assert_int_eq(DOCKER(DLINE("\\ud800\\u0041\\n"), &e), 0);
	ck_assert_content(e, "\xef\xbf\xbd" "A");
	ck_assert_int_eq(DOCKER(DLINE("\\ud800\\ud800\\udc00\\n"), &e), 0);
	ck_assert_content(e, "\xef\xbf\xbd\xf0\x90\x80\x80");
	/* Low then high is two lone halves. */
	ck_assert_int_eq(DOCKER(DLINE("\\udc00\\ud800\\n"), &e), 0);
	ck_assert_content(e, "\xef\xbf\xbd\xef\xbf\xbd");
}
END_TEST

START_TEST(test_docker_raw_bytes)
{
	struct envelope	 e;

	/* dockerd writes invalid UTF-8 raw; it is kept for the inner parser. */
	ck_assert_int_eq(DOCKER(DLINE("caf\xe9 \xff\xfe \xed\xa0\x80\\n"), &e),
	    0);
	ck_assert_content(e, "caf\xe9 \xff\xfe \xed\xa0\x80");
	/* Raw control characters, which strict JSON would refuse. */
	ck_assert_int_eq(DOCKER(DLINE("a\tb\x01\\n"), &e), 0);
	ck_assert_content(e, "a\tb\x01");
	ck_assert_int_eq(DOCKER(DLINE("\xc3\xa9t\xc3\xa9\\n"), &e), 0);
	ck_assert_content(e, "\xc3\xa9t\xc3\xa9");
}
END_TEST

START_TEST(test_docker_partial)
{
	struct envelope	 e;

	ck_assert_int_eq(DOCKER(DLINE("first 16k of a line"), &e), 0);
	ck_assert(e.partial);
	ck_assert_content(e, "first 16k of a line");
	ck_assert_int_eq(DOCKER(DLINE("\\n"), &e), 0);
	ck_assert(!e.partial);
	ck_assert_uint_eq(e.len, 0);
	ck_assert_int_eq(DOCKER(DLINE(""), &e), 0);
	ck_assert(e.partial);
	ck_assert_uint_eq(e.len, 0);
	/* Only the last \n ends the line. */
	ck_assert_int_eq(DOCKER(DLINE("a\\n\\n"), &e), 0);
	ck_assert(!e.partial);
	ck_assert_content(e, "a\n");
	/* A \r before the \n stays. */
	ck_assert_int_eq(DOCKER(DLINE("a\\r\\n"), &e), 0);
	ck_assert_content(e, "a\r");
	/* An escaped backslash then n is not a newline. */
	ck_assert_int_eq(DOCKER(DLINE("a\\\\n"), &e), 0);
	ck_assert(e.partial);
	ck_assert_content(e, "a\\n");
}
END_TEST

START_TEST(test_docker_attrs)
{
	struct envelope	 e;
	const char	*s = "{\"log\":\"x\\n\",\"attrs\":{\"tag\":"
	    "\"a}\\\"b\","
	    "\"n\":{\"d\":[1,-2.5e+3,{\"e\":null},[],{}],\"t\":true,"
	    "\"f\":false}},\"stream\":\"stdout\",\"time\":"
	    "\"2024-05-01T08:00:02Z\"}";

	ck_assert_int_eq(docker(s, strlen(s), false, &e), 0);
	ck_assert_content(e, "x");
	ck_assert_int_eq(e.stream_kind, STREAM_STDOUT);
	ck_assert_int_eq(e.time_ns, T_080002 * NS);
}
END_TEST

static const char *const unknown_values[] = {
	"0", "-0", "12", "-1.5", "1e3", "1E-3", "2.5e+10", "0.0",
	"true", "false", "null", "\"\"", "\"\\u0041\\\"\\\\\"", "[]", "{}",
	"[1, \"2\", [3], {\"4\": 5}]", " { } ",
};

START_TEST(test_docker_unknown_keys)
{
	char		 buf[256];
	struct envelope	 e;

	snprintf(buf, sizeof buf, "{\"other\":%s,\"log\":\"y\\n\","
	    "\"more\":%s}", unknown_values[_i], unknown_values[_i]);
	ck_assert_msg(docker(buf, strlen(buf), false, &e) == 0, "%s", buf);
	ck_assert_content(e, "y");
}
END_TEST

START_TEST(test_docker_missing_members)
{
	struct envelope	 e;

	ck_assert_int_eq(DOCKER("{\"log\":\"z\\n\"}", &e), 0);
	ck_assert_content(e, "z");
	ck_assert_ptr_null(e.stream);
	ck_assert_int_eq(e.stream_kind, STREAM_OTHER);
	ck_assert_ptr_null(e.time);
	ck_assert_int_eq(e.time_ns, 0);
	/* A time that does not parse is kept as written, time_ns 0. */
	ck_assert_int_eq(DOCKER("{\"log\":\"z\\n\",\"time\":\"yesterday\"}",
	    &e), 0);
	ck_assert_bytes(e.time, e.timelen, "yesterday");
	ck_assert_int_eq(e.time_ns, 0);
	ck_assert_int_eq(DOCKER("{\"log\":\"z\\n\",\"stream\":\"weird\"}", &e),
	    0);
	ck_assert_int_eq(e.stream_kind, STREAM_OTHER);
}
END_TEST

START_TEST(test_docker_repeated_log)
{
	struct envelope	 e;

	ck_assert_int_eq(DOCKER("{\"log\":\"first, longer\\n\","
	    "\"log\":\"second\"}", &e), 0);
	ck_assert_content(e, "second");
	ck_assert(e.partial);
}
END_TEST

static const char *const not_docker[] = {
	"",
	" ",
	"\n",
	"not json",
	"[]",
	"{",
	"{}",
	"{\"stream\":\"stdout\"}",
	"{\"log\":1}",
	"{\"log\":null}",
	"{\"log\":[\"x\"]}",
	"{\"log\":\"x\"",
	"{\"log\":\"x\"} x",
	"{\"log\":\"x\"}}",
	"{\"log\" \"x\"}",
	"{\"log\":\"x\" \"stream\":\"stdout\"}",
	"{\"log\":\"x\",}",
	"{,\"log\":\"x\"}",
	"{log:\"x\"}",
	"{\"log\":\"a\\x\"}",
	"{\"log\":\"a\\u12G4\"}",
	"{\"log\":\"a\\u12\"}",
	"{\"log\":\"x\",\"n\":01}",
	"{\"log\":\"x\",\"n\":-}",
	"{\"log\":\"x\",\"n\":1.}",
	"{\"log\":\"x\",\"n\":1e}",
	"{\"log\":\"x\",\"n\":.5}",
	"{\"log\":\"x\",\"n\":+1}",
	"{\"log\":\"x\",\"n\":tru}",
	"{\"log\":\"x\",\"n\":nul}",
	"{\"log\":\"x\",\"n\":True}",
	"{\"log\":\"x\",\"n\":[1,]}",
	"{\"log\":\"x\",\"n\":[1 2]}",
	"{\"log\":\"x\",\"n\":{\"a\"}}",
	"{\"log\":\"x\",\"n\":{\"a\":1,}}",
	"{\"log\":\"x\",\"n\":{1:2}}",
	"{\"log\":\"x\",\"n\":[}",
	"{\"log\":\"x\",\"n\":\"a\\q\"}",
	"{\"log\":\"x\",\"stream\":1}",
	"{\"log\":\"x\",\"time\":null}",
	"{\"log\":\"x\",\"n\":",
	"2024-05-01T08:00:02Z stdout F {\"log\":\"x\"}",
};

START_TEST(test_docker_garbage)
{
	struct envelope	 e;
	const char	*s = not_docker[_i];

	ck_assert_msg(docker(s, strlen(s), false, &e) == -1, "accepted %s", s);
}
END_TEST

START_TEST(test_docker_deep_attrs)
{
	char		 buf[512];
	struct envelope	 e;
	size_t		 n = 0;
	int		 depth, i;

	/* 63 levels below the top object are skipped, 64 are too many. */
	for (depth = 63; depth <= 64; depth++) {
		n = (size_t)snprintf(buf, sizeof buf, "{\"log\":\"x\",\"a\":");
		for (i = 0; i < depth; i++)
			buf[n++] = '[';
		for (i = 0; i < depth; i++)
			buf[n++] = ']';
		buf[n++] = '}';
		ck_assert_int_eq(docker(buf, n, false, &e),
		    depth == 63 ? 0 : -1);
	}
}
END_TEST

/* --- Docker lines cut by the framer --------------------------------------- */

START_TEST(test_docker_cut_in_log)
{
	struct envelope	 e;

	ck_assert_int_eq(CUT("{\"log\":\"time=\\\"2024-05-01T08:00:02Z\\\" lev",
	    &e), 0);
	ck_assert_content(e, "time=\"2024-05-01T08:00:02Z\" lev");
	ck_assert(!e.partial);
	ck_assert_ptr_null(e.stream);
	ck_assert_int_eq(e.stream_kind, STREAM_OTHER);
	ck_assert_int_eq(e.time_ns, 0);
	/* Without cut the same line is not an entry. */
	ck_assert_int_eq(DOCKER("{\"log\":\"time=\\\"2024-05-01T08:00:02Z\\\" "
	    "lev", &e), -1);
	/* Cut right after the opening quote. */
	ck_assert_int_eq(CUT("{\"log\":\"", &e), 0);
	ck_assert_uint_eq(e.len, 0);
}
END_TEST

START_TEST(test_docker_cut_in_escape)
{
	struct envelope	 e;

	/* The incomplete escape is dropped, what came before is kept. */
	ck_assert_int_eq(CUT("{\"log\":\"abc\\", &e), 0);
	ck_assert_content(e, "abc");
	ck_assert_int_eq(CUT("{\"log\":\"abc\\u00", &e), 0);
	ck_assert_content(e, "abc");
	ck_assert_int_eq(CUT("{\"log\":\"abc\\u00e9", &e), 0);
	ck_assert_content(e, "abc\xc3\xa9");
	/* A surrogate pair cut in its second half: not lone, just missing. */
	ck_assert_int_eq(CUT("{\"log\":\"abc\\ud83d", &e), 0);
	ck_assert_content(e, "abc");
	ck_assert_int_eq(CUT("{\"log\":\"abc\\ud83d\\", &e), 0);
	ck_assert_content(e, "abc");
	ck_assert_int_eq(CUT("{\"log\":\"abc\\ud83d\\ude", &e), 0);
	ck_assert_content(e, "abc");
	ck_assert_int_eq(CUT("{\"log\":\"abc\\ud83d\\ude00", &e), 0);
	ck_assert_content(e, "abc\xf0\x9f\x98\x80");
	/* A bad escape is still an error. */
	ck_assert_int_eq(CUT("{\"log\":\"abc\\q", &e), -1);
	/* A raw multibyte character cut in half stays as its bytes. */
	ck_assert_int_eq(CUT("{\"log\":\"caf\xc3", &e), 0);
	ck_assert_content(e, "caf\xc3");
}
END_TEST

START_TEST(test_docker_cut_after_log)
{
	struct envelope	 e;

	/* log was whole: its \n still decides partial. */
	ck_assert_int_eq(CUT("{\"log\":\"a\\n\",\"stream\":\"std", &e), 0);
	ck_assert_content(e, "a");
	ck_assert(!e.partial);
	ck_assert_ptr_null(e.stream);
	ck_assert_int_eq(CUT("{\"log\":\"a\",\"stream\":\"stderr\",\"ti", &e),
	    0);
	ck_assert(e.partial);
	ck_assert_int_eq(e.stream_kind, STREAM_STDERR);
	ck_assert_int_eq(CUT("{\"log\":\"a\\n\",\"attrs\":{\"x\":[1,2", &e), 0);
	ck_assert_content(e, "a");
	ck_assert_int_eq(CUT("{\"log\":\"a\\n\",\"n\":tr", &e), 0);
	ck_assert_int_eq(CUT("{\"log\":\"a\\n\",\"n\":-", &e), 0);
	ck_assert_int_eq(CUT("{\"log\":\"a\\n\",\"n\":1.", &e), 0);
	ck_assert_int_eq(CUT("{\"log\":\"a\\n\"", &e), 0);
	ck_assert_int_eq(CUT("{\"log\":\"a\\n\",", &e), 0);
	/* A complete line in cut mode is read as usual. */
	ck_assert_int_eq(CUT(DLINE("whole\\n"), &e), 0);
	ck_assert_content(e, "whole");
	ck_assert_int_eq(e.time_ns, T_080002 * NS + 224323240);
}
END_TEST

START_TEST(test_docker_cut_errors)
{
	struct envelope	 e;

	/* Cut before any log: nothing to return. */
	ck_assert_int_eq(CUT("{\"stream\":\"stdout\",\"lo", &e), -1);
	ck_assert_int_eq(CUT("{\"lo", &e), -1);
	ck_assert_int_eq(CUT("{", &e), -1);
	ck_assert_int_eq(CUT("", &e), -1);
	/* Broken before the cut is broken. */
	ck_assert_int_eq(CUT("{\"log\":\"a\\n\" x", &e), -1);
	ck_assert_int_eq(CUT("{\"log\":\"a\\n\",\"n\":tx", &e), -1);
	ck_assert_int_eq(CUT("not json at all", &e), -1);
}
END_TEST

/* A long log value with escapes all along, against a reference decode. */
START_TEST(test_docker_long)
{
	size_t		 n = 200000, i, o = 0, w = 0;
	char		*line = malloc(n * 2 + 64), *want = malloc(n + 1);
	struct envelope	 e;

	w += (size_t)sprintf(line, "{\"stream\":\"stdout\",\"log\":\"");
	for (i = 0; i < n; i++) {
		switch (i % 97) {
		case 0:
			memcpy(line + w, "\\\"", 2);
			w += 2;
			want[o++] = '"';
			break;
		case 50:
			memcpy(line + w, "\\\\", 2);
			w += 2;
			want[o++] = '\\';
			break;
		default:
			line[w++] = (char)('a' + i % 26);
			want[o++] = (char)('a' + i % 26);
		}
	}
	w += (size_t)sprintf(line + w, "\\n\"}");
	ck_assert_int_eq(docker(line, w, false, &e), 0);
	ck_assert_uint_eq(e.len, o);
	ck_assert(memcmp(e.content, want, o) == 0);
	ck_assert(!e.partial);
	free(line);
	free(want);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("envelope");
	TCase	*tc = tcase_create("cri");
	TCase	*td = tcase_create("docker");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_cri_full);
	tcase_add_test(tc, test_cri_partial);
	tcase_add_test(tc, test_cri_newline);
	tcase_add_test(tc, test_cri_empty_content);
	tcase_add_test(tc, test_cri_spaces_in_content);
	tcase_add_test(tc, test_cri_offsets);
	tcase_add_test(tc, test_cri_tags);
	tcase_add_test(tc, test_cri_streams);
	tcase_add_loop_test(tc, test_cri_not_cri, 0,
	    (int)(sizeof not_cri / sizeof not_cri[0]));
	tcase_add_test(tc, test_looks_cri);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(td, NULL, teardown);
	tcase_add_test(td, test_docker_basic);
	tcase_add_test(td, test_docker_key_order);
	tcase_add_test(td, test_docker_escapes);
	tcase_add_test(td, test_docker_nul);
	tcase_add_test(td, test_docker_surrogates);
	tcase_add_test(td, test_docker_raw_bytes);
	tcase_add_test(td, test_docker_partial);
	tcase_add_test(td, test_docker_attrs);
	tcase_add_loop_test(td, test_docker_unknown_keys, 0,
	    (int)(sizeof unknown_values / sizeof unknown_values[0]));
	tcase_add_test(td, test_docker_missing_members);
	tcase_add_test(td, test_docker_repeated_log);
	tcase_add_loop_test(td, test_docker_garbage, 0,
	    (int)(sizeof not_docker / sizeof not_docker[0]));
	tcase_add_test(td, test_docker_deep_attrs);
	tcase_add_test(td, test_docker_cut_in_log);
	tcase_add_test(td, test_docker_cut_in_escape);
	tcase_add_test(td, test_docker_cut_after_log);
	tcase_add_test(td, test_docker_cut_errors);
	tcase_add_test(td, test_docker_long);
	suite_add_tcase(s, td);
	return s;
}

#include "check_main.h"
