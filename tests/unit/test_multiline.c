/*
 * test_multiline.c — Fluentd's multiline parser: lines into events.
 *
 * First the joiner alone (parsers/multiline.h): what starts an event,
 * what joins it, what is an orphan, the per-stream events of a container
 * log, the size limit and the offset a restart must read from. Then the
 * tail source's <parse> @type multiline as a configuration makes it: a
 * file's bytes through the framer and the joiner into the exact records
 * (a Java stack trace, a Go panic, an event that does not match, lines
 * before the first first line, Docker and CRI files), and every
 * configuration error with its file:line.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "framer.h"
#include "jsonenc.h"
#include "log.h"
#include "mem.h"
#include "multiline.h"
#include "source_parse.h"

#define MAXEV	32

/* --- the joiner ---------------------------------------------------------- */

struct got {
	char		*text[MAXEV];
	struct ml_event	 ev[MAXEV];
	size_t		 n;
};

static struct multiline	 ml;
static struct got	 got;
static uint64_t		 off;	/* where the next fed line starts */

static void
collect(void *arg, const struct ml_event *ev)
{
	struct got	*g = arg;

	ck_assert_uint_lt(g->n, MAXEV);
	g->text[g->n] = xstrndup(ev->text, ev->len);
	g->ev[g->n] = *ev;
	g->ev[g->n].text = g->text[g->n];
	g->n++;
}

static void
j_setup(void)
{
	multiline_init(&ml, 0);
	memset(&got, 0, sizeof got);
	off = 0;
}

static void
j_teardown(void)
{
	size_t	 i;

	for (i = 0; i < got.n; i++)
		free(got.text[i]);
	multiline_free(&ml);
}

/* A line of a plain file; first lines start with '>' here. */
static void
feed_env(const char *s, const struct envelope *env)
{
	struct ml_line	 l = { s, strlen(s), off, off + strlen(s) + 1, env,
			    false };

	multiline_feed(&ml, &l, s[0] == '>', collect, &got);
	off = l.end;
}

static void
feed(const char *s)
{
	feed_env(s, NULL);
}

START_TEST(test_join)
{
	feed(">start");
	feed("  more");
	feed("");
	feed("  last");
	ck_assert_uint_eq(got.n, 0);
	ck_assert(multiline_pending(&ml));
	/* The position may not pass the event that has not come out. */
	ck_assert_uint_eq(multiline_resume(&ml, off), 0);
	feed(">next");
	ck_assert_uint_eq(got.n, 1);
	ck_assert_str_eq(got.text[0], ">start\n  more\n\n  last");
	ck_assert_uint_eq(got.ev[0].offset, 0);
	ck_assert_uint_eq(got.ev[0].end, 22);
	ck_assert_uint_eq(got.ev[0].lines, 4);
	ck_assert(!got.ev[0].orphan && !got.ev[0].truncated);
	ck_assert_uint_eq(multiline_resume(&ml, off), 22);
	ck_assert_uint_eq(multiline_resume(&ml, 5), 5);
}
END_TEST

START_TEST(test_firstline_each)
{
	feed(">a");
	feed(">b");
	feed(">c");
	ck_assert_uint_eq(got.n, 2);
	ck_assert_str_eq(got.text[0], ">a");
	ck_assert_str_eq(got.text[1], ">b");
	multiline_flush(&ml, collect, &got);
	ck_assert_uint_eq(got.n, 3);
	ck_assert_str_eq(got.text[2], ">c");
	ck_assert_uint_eq(got.ev[2].offset, 6);
	ck_assert(!multiline_pending(&ml));
	ck_assert_uint_eq(multiline_resume(&ml, off), off);
	multiline_flush(&ml, collect, &got);
	ck_assert_uint_eq(got.n, 3);
}
END_TEST

/* Before any first line a line belongs to no event: it comes out alone. */
START_TEST(test_orphans)
{
	feed("  tail of an event");
	feed("");
	ck_assert_uint_eq(got.n, 2);
	ck_assert(got.ev[0].orphan && got.ev[1].orphan);
	ck_assert_str_eq(got.text[0], "  tail of an event");
	ck_assert_str_eq(got.text[1], "");
	ck_assert_uint_eq(got.ev[1].offset, 19);
	ck_assert(!multiline_pending(&ml));
	feed(">x");
	feed("  y");
	multiline_flush(&ml, collect, &got);
	ck_assert_uint_eq(got.n, 3);
	ck_assert(!got.ev[2].orphan);
	ck_assert_str_eq(got.text[2], ">x\n  y");
}
END_TEST

/* stdout and stderr of one container interleave: an event per stream. */
START_TEST(test_streams)
{
	struct envelope	 out = { .stream = "stdout", .streamlen = 6,
			    .stream_kind = STREAM_STDOUT, .time_ns = 1 };
	struct envelope	 err = { .stream = "stderr", .streamlen = 6,
			    .stream_kind = STREAM_STDERR, .time_ns = 2 };

	feed_env(">out one", &out);
	feed_env(">err one", &err);
	feed_env("  out more", &out);
	feed_env("  err more", &err);
	feed_env("  out last", &out);
	ck_assert_uint_eq(got.n, 0);
	ck_assert_uint_eq(multiline_resume(&ml, off), 0);
	feed_env(">out two", &out);
	ck_assert_uint_eq(got.n, 1);
	ck_assert_str_eq(got.text[0], ">out one\n  out more\n  out last");
	ck_assert_int_eq(got.ev[0].env.time_ns, 1);
	ck_assert_uint_eq(multiline_resume(&ml, off), 9);
	multiline_flush(&ml, collect, &got);
	ck_assert_uint_eq(got.n, 3);
	/* Oldest first: stderr's event began before stdout's second. */
	ck_assert_str_eq(got.text[1], ">err one\n  err more");
	ck_assert_uint_eq(got.ev[1].env.stream_kind, STREAM_STDERR);
	ck_assert_mem_eq(got.ev[1].env.stream, "stderr", 6);
	ck_assert_str_eq(got.text[2], ">out two");
}
END_TEST

/* An event is cut at the limit; its later lines still belong to it. */
START_TEST(test_limit)
{
	multiline_free(&ml);
	multiline_init(&ml, 10);
	feed(">12345");
	feed("6789");
	feed("more");
	feed(">next");
	ck_assert_uint_eq(got.n, 1);
	ck_assert_str_eq(got.text[0], ">12345\n678");
	ck_assert(got.ev[0].truncated && got.ev[0].cut);
	ck_assert_uint_eq(got.ev[0].lines, 3);
	ck_assert_uint_eq(got.ev[0].end, 17);
	multiline_flush(&ml, collect, &got);
	ck_assert(!got.ev[1].truncated && !got.ev[1].cut);
}
END_TEST

START_TEST(test_reset)
{
	feed(">a");
	feed("b");
	multiline_reset(&ml);
	ck_assert(!multiline_pending(&ml));
	feed("c");
	ck_assert_uint_eq(got.n, 1);
	ck_assert(got.ev[0].orphan);
}
END_TEST

START_TEST(test_join_formats)
{
	char		*f[ML_FORMAT_MAX] = { NULL };
	struct strbuf	 sb = STRBUF_INIT;
	const char	*why;

	ck_assert_uint_eq(multiline_join_formats(f, &sb, &why), 1);
	ck_assert_str_eq(why, "is missing");
	f[0] = "/^(?<a>x)/";
	f[1] = "/\\n(?<b>.*)/";
	ck_assert_uint_eq(multiline_join_formats(f, &sb, &why), 0);
	ck_assert_str_eq(sb_cstr(&sb), "^(?<a>x)\\n(?<b>.*)");
	sb_reset(&sb);
	f[3] = "/y/";
	ck_assert_uint_eq(multiline_join_formats(f, &sb, &why), 3);
	ck_assert_str_eq(why, "is missing");
	sb_reset(&sb);
	f[2] = "/z/i";
	ck_assert_uint_eq(multiline_join_formats(f, &sb, &why), 3);
	ck_assert_ptr_nonnull(strstr(why, "/.../"));
	sb_free(&sb);
}
END_TEST

/* --- the tail source's <parse> @type multiline --------------------------- */

#define NOW_NS	1714521600000000000LL	/* 2024-05-01T00:00:00Z */

struct run {
	struct source_parse	 sp;
	struct multiline	 ml;
	struct batch		 b;
	struct stats		 st;
	struct strbuf		 out;	/* NDJSON; time and offset first */
};

static struct run	 run;
static struct err	 e;

static void
on_record(void *arg, const struct logical_line *ll)
{
	struct run	*r = arg;
	struct record	*rec = batch_begin(&r->b);

	source_parse_record(&r->sp, &r->b, rec, ll, NOW_NS, NULL, NULL,
	    &r->st);
	batch_commit(&r->b);
	sb_addf(&r->out, "%lld @%llu ", (long long)rec->time,
	    (unsigned long long)rec->offset);
	json_put_record(&r->out, &r->b, rec);
	sb_addc(&r->out, '\n');
}

static void
on_line(void *arg, const struct logical_line *ll)
{
	struct run	*r = arg;

	source_parse_join(&r->sp, &r->ml, ll, on_record, r, "test.log",
	    &r->st);
}

/* Loads a <source> of this <parse> body (its line 1 is t.conf:3). */
static int
parse_load(const char *body)
{
	struct conf	 c;
	char		*text = xasprintf("<source>\n  <parse>\n%s  </parse>\n"
			    "</source>\n", body);
	int		 rc;

	memset(&e, 0, sizeof e);
	rc = conf_load_string(&c, text, "t.conf", &e);
	free(text);
	ck_assert_msg(rc == 0, "%s", e.msg);
	rc = source_parse_init(&run.sp, &c.root.elems[0], NULL, &e);
	conf_free(&c);
	return rc;
}

static void
p_setup(void)
{
	memset(&run, 0, sizeof run);
	batch_init(&run.b);
	multiline_init(&run.ml, 0);
	log_set_level(LOG_ERROR);
}

static void
p_teardown(void)
{
	source_parse_free(&run.sp);
	multiline_free(&run.ml);
	batch_free(&run.b);
	sb_free(&run.out);
}

/* The records a file's bytes become, read to the end (as backfill does). */
static const char *
records(const char *file)
{
	struct framer	 fr;

	ck_assert(source_parse_joins(&run.sp));
	framer_init(&fr, run.sp.envelope, 0);
	framer_feed(&fr, file, strlen(file), on_line, &run);
	framer_finish(&fr, on_line, &run);
	source_parse_join_flush(&run.sp, &run.ml, on_record, &run, "test.log",
	    &run.st);
	framer_free(&fr);
	return sb_cstr(&run.out);
}

#define JAVA_PARSE							\
	"    @type multiline\n"						\
	"    format_firstline /^\\d{4}-\\d\\d-\\d\\d /\n"		\
	"    format1 /^(?<time>\\S+ \\S+) (?<level>[A-Z]+) +/\n"		\
	"    format2 /\\[(?<thread>[^\\]]*)\\] (?<logger>\\S+) - /\n"	\
	"    format3 /(?<message>.*)/\n"					\
	"    time_format %Y-%m-%d %H:%M:%S,%L\n"

START_TEST(test_java_stack_trace)
{
	ck_assert_int_eq(parse_load(JAVA_PARSE), 0);
	ck_assert_str_eq(records(
	    "2024-05-01 12:00:00,123 ERROR [main] com.example.App - failed\n"
	    "java.lang.IllegalStateException: boom\n"
	    "\tat com.example.App.handle(App.java:42)\n"
	    "\tat com.example.App.main(App.java:10)\n"
	    "Caused by: java.io.IOException: disk full\n"
	    "\t... 2 more\n"
	    "2024-05-01 12:00:01,000 INFO  [main] com.example.App - ok\n"),
	    "1714564800123000000 @0 {\"level\":\"ERROR\",\"thread\":\"main\","
	    "\"logger\":\"com.example.App\",\"message\":\"failed\\njava.lang."
	    "IllegalStateException: boom\\n\\tat com.example.App.handle(App."
	    "java:42)\\n\\tat com.example.App.main(App.java:10)\\nCaused by: "
	    "java.io.IOException: disk full\\n\\t... 2 more\"}\n"
	    "1714564801000000000 @232 {\"level\":\"INFO\",\"thread\":\"main\","
	    "\"logger\":\"com.example.App\",\"message\":\"ok\"}\n");
	ck_assert_uint_eq(run.st.multiline_lines, 5);
	ck_assert_uint_eq(run.st.multiline_orphans, 0);
	ck_assert_uint_eq(run.st.bad[BAD_ENVELOPE], 0);
}
END_TEST

START_TEST(test_go_panic)
{
	ck_assert_int_eq(parse_load(
	    "    @type multiline\n"
	    "    format_firstline /^(panic: |\\d{4}/\\d\\d/\\d\\d )/\n"
	    "    format1 /^(?:panic: (?<panic>[^\\n]*)\\n(?<stack>.*)|"
	    "(?<date>\\S+ \\S+) (?<message>.*))/\n"), 0);
	ck_assert_str_eq(records(
	    "2024/05/01 12:00:00 starting\n"
	    "panic: runtime error: invalid memory address or nil pointer "
	    "dereference\n"
	    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 "
	    "pc=0x4a1b2c]\n"
	    "\n"
	    "goroutine 1 [running]:\n"
	    "main.main()\n"
	    "\t/app/main.go:12 +0x1c\n"),
	    "1714521600000000000 @0 {\"date\":\"2024/05/01 12:00:00\","
	    "\"message\":\"starting\"}\n"
	    "1714521600000000000 @29 {\"panic\":\"runtime error: invalid "
	    "memory address or nil pointer dereference\",\"stack\":\"[signal "
	    "SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1b2c]"
	    "\\n\\ngoroutine 1 [running]:\\nmain.main()\\n\\t/app/main.go:12 "
	    "+0x1c\"}\n");
	ck_assert_uint_eq(run.st.multiline_lines, 5);
}
END_TEST

/* An event the formats do not match: kept whole, with parse_error. */
START_TEST(test_unmatched_event)
{
	ck_assert_int_eq(parse_load(JAVA_PARSE), 0);
	ck_assert_str_eq(records(
	    "2024-05-01 oops\n"
	    "  more\n"),
	    "1714521600000000000 @0 {\"log\":\"2024-05-01 oops\\n  more\","
	    "\"parse_error\":\"pattern not matched\"}\n");
	ck_assert_uint_eq(run.st.bad[BAD_ENVELOPE], 1);
	ck_assert_uint_eq(run.st.multiline_lines, 1);
}
END_TEST

/* Before the first first line each line is a record of its own. */
START_TEST(test_before_first_line)
{
	ck_assert_int_eq(parse_load(JAVA_PARSE), 0);
	ck_assert_str_eq(records(
	    "\tat com.example.Old.run(Old.java:1)\n"
	    "2024-05-01 12:00:02,500 WARN  [io] com.example.Io - slow\n"),
	    "1714521600000000000 @0 {\"log\":\"\\tat com.example.Old.run(Old."
	    "java:1)\",\"parse_error\":\"pattern not matched\"}\n"
	    "1714564802500000000 @36 {\"level\":\"WARN\",\"thread\":\"io\","
	    "\"logger\":\"com.example.Io\",\"message\":\"slow\"}\n");
	ck_assert_uint_eq(run.st.multiline_orphans, 1);
	ck_assert_uint_eq(run.st.bad[BAD_ENVELOPE], 1);
}
END_TEST

/* keep_time_key, and a time that is not time_format's: RFC 3339. */
START_TEST(test_time_kept)
{
	ck_assert_int_eq(parse_load(
	    "    @type multiline\n"
	    "    format_firstline /^\\S+ AUDIT:/\n"
	    "    format1 /^(?<time>\\S+) AUDIT: (?<rest>.*)/\n"
	    "    time_format %Y-%m-%dT%T.%L%Z\n"
	    "    keep_time_key true\n"), 0);
	ck_assert_str_eq(records(
	    "2017-02-09T00:15:57.992775796Z AUDIT: id=\"1\"\n"),
	    "1486599357992775796 @0 {\"time\":\"2017-02-09T00:15:57.992775796"
	    "Z\",\"rest\":\"id=\\\"1\\\"\"}\n");
}
END_TEST

/* In a CRI file the runtime's lines are the lines, per stream. */
START_TEST(test_cri)
{
	ck_assert_int_eq(parse_load(JAVA_PARSE), 0);
	ck_assert_str_eq(records(
	    "2024-05-01T08:00:00.1Z stdout F 2024-05-01 12:00:00,000 ERROR "
	    "[a] x.Y - out\n"
	    "2024-05-01T08:00:00.2Z stderr F 2024-05-01 12:00:00,001 ERROR "
	    "[b] x.Y - err\n"
	    "2024-05-01T08:00:00.3Z stdout P \tat x.Y.f(Y.ja\n"
	    "2024-05-01T08:00:00.4Z stdout F va:1)\n"
	    "2024-05-01T08:00:00.5Z stderr F \tat x.Y.g(Y.java:2)\n"),
	    "1714564800000000000 @0 {\"level\":\"ERROR\",\"thread\":\"a\","
	    "\"logger\":\"x.Y\",\"message\":\"out\\n\\tat x.Y.f(Y.java:1)\","
	    "\"stream\":\"stdout\"}\n"
	    "1714564800001000000 @76 {\"level\":\"ERROR\",\"thread\":\"b\","
	    "\"logger\":\"x.Y\",\"message\":\"err\\n\\tat x.Y.g(Y.java:2)\","
	    "\"stream\":\"stderr\"}\n");
	ck_assert_int_eq(run.sp.envelope, ENVELOPE_SNIFF);
}
END_TEST

/* A Docker file: the `log` values; an event without a time of its own
 * takes the runtime's time of its first line. */
START_TEST(test_docker)
{
	ck_assert_int_eq(parse_load(
	    "    @type multiline\n"
	    "    format_firstline /^E/\n"
	    "    format1 /^E (?<message>.*)/\n"), 0);
	ck_assert_str_eq(records(
	    "{\"log\":\"E first\\n\",\"stream\":\"stderr\","
	    "\"time\":\"2024-05-01T08:00:00.5Z\"}\n"
	    "{\"log\":\"  second\\n\",\"stream\":\"stderr\","
	    "\"time\":\"2024-05-01T08:00:01Z\"}\n"),
	    "1714550400500000000 @0 {\"message\":\"first\\n  second\","
	    "\"stream\":\"stderr\"}\n");
}
END_TEST

static void
ignore_line(void *arg, const struct logical_line *ll)
{
	(void)arg;
	(void)ll;
}

/* A plain file: its first line that is not empty is no runtime's. */
START_TEST(test_plain_sniffed)
{
	struct framer	 fr;

	framer_init(&fr, ENVELOPE_SNIFF, 0);
	framer_feed(&fr, "\n", 1, ignore_line, NULL);
	ck_assert_int_eq(fr.type, ENVELOPE_SNIFF);
	framer_feed(&fr, "plain\n", 6, ignore_line, NULL);
	ck_assert_int_eq(fr.type, ENVELOPE_NONE);
	framer_reset(&fr, 0);
	ck_assert_int_eq(fr.type, ENVELOPE_SNIFF);
	framer_free(&fr);
}
END_TEST

/* --- configuration errors ------------------------------------------------ */

static void
load_fails(const char *body, const char *msg)
{
	ck_assert_int_eq(parse_load(body), -1);
	ck_assert_str_eq(e.msg, msg);
}

START_TEST(test_err_no_firstline)
{
	load_fails("    @type multiline\n    format1 /(?<a>.*)/\n",
	    "t.conf:2: <parse> @type multiline needs format_firstline "
	    "/REGEXP/, the start of an event (without it Fluentd emits "
	    "whenever the lines so far match the formats, which the shipper "
	    "does not do)");
}
END_TEST

START_TEST(test_err_no_format1)
{
	load_fails("    @type multiline\n    format_firstline /^x/\n",
	    "t.conf:2: <parse> @type multiline needs format1 /REGEXP/ (and "
	    "format2... to continue it): the regexp of a whole event, whose "
	    "named groups become fields");
}
END_TEST

START_TEST(test_err_gap)
{
	load_fails("    @type multiline\n    format_firstline /^x/\n"
	    "    format1 /(?<a>x)/\n    format3 /y/\n",
	    "t.conf:6: <parse> @type multiline: format3 without format2: "
	    "number the formats from format1 on, without gaps");
}
END_TEST

START_TEST(test_err_range)
{
	load_fails("    @type multiline\n    format_firstline /^x/\n"
	    "    format1 /(?<a>x)/\n    format21 /y/\n",
	    "t.conf:6: <parse> @type multiline: format21: the formats are "
	    "format1 to format20");
}
END_TEST

START_TEST(test_err_bad_regexp)
{
	load_fails("    @type multiline\n    format_firstline /^x/\n"
	    "    format1 /(?<a>x)/\n    format2 /(?<b>[y/\n",
	    "t.conf:6: <parse> @type multiline format2: invalid regular "
	    "expression /(?<b>[y/ at offset 7: missing terminating ] for "
	    "character class");
}
END_TEST

START_TEST(test_err_bad_firstline)
{
	load_fails("    @type multiline\n    format_firstline /^(x/\n"
	    "    format1 /(?<a>x)/\n",
	    "t.conf:4: <parse> @type multiline format_firstline: invalid "
	    "regular expression /^(x/ at offset 3: missing closing "
	    "parenthesis");
}
END_TEST

START_TEST(test_err_no_slashes)
{
	load_fails("    @type multiline\n    format_firstline ^x\n"
	    "    format1 /(?<a>x)/\n",
	    "t.conf:4: <parse> @type multiline format_firstline '^x': must "
	    "be a regexp in slashes, /.../, without flags");
	p_teardown();
	p_setup();
	load_fails("    @type multiline\n    format_firstline /^x/\n"
	    "    format1 /(?<a>x)/i\n",
	    "t.conf:5: <parse> @type multiline format1 '/(?<a>x)/i': must "
	    "be a regexp in slashes, /.../, without flags");
}
END_TEST

START_TEST(test_err_no_group)
{
	load_fails("    @type multiline\n    format_firstline /^x/\n"
	    "    format1 /x/\n    format2 /y/\n",
	    "t.conf:2: <parse> @type multiline: format1...format2 have no "
	    "named group: use (?<name>...) for each field");
}
END_TEST

/* formatN belongs to multiline only. */
START_TEST(test_err_format_elsewhere)
{
	ck_assert_int_eq(parse_load("    @type regexp\n"
	    "    expression /(?<a>x)/\n    format1 /y/\n"), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "t.conf:5: "));
	ck_assert_ptr_nonnull(strstr(e.msg, "'format1'"));
}
END_TEST

/* Fluentd v0.12's `format multiline` in <source> is not read. */
START_TEST(test_err_legacy)
{
	struct conf	 c;

	ck_assert_int_eq(conf_load_string(&c, "<source>\n  format multiline\n"
	    "</source>\n", "t.conf", &e), 0);
	ck_assert_int_eq(source_parse_init(&run.sp, &c.root.elems[0],
	    "multiline", &e), -1);
	conf_free(&c);
	ck_assert_str_eq(e.msg, "t.conf:1: <source> format multiline: write "
	    "it as <parse> @type multiline, with format_firstline and "
	    "format1... inside the <parse>");
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("multiline");
	TCase	*tj = tcase_create("joiner");
	TCase	*tp = tcase_create("parse");
	TCase	*te = tcase_create("errors");

	tcase_add_checked_fixture(tj, j_setup, j_teardown);
	tcase_add_test(tj, test_join);
	tcase_add_test(tj, test_firstline_each);
	tcase_add_test(tj, test_orphans);
	tcase_add_test(tj, test_streams);
	tcase_add_test(tj, test_limit);
	tcase_add_test(tj, test_reset);
	tcase_add_test(tj, test_join_formats);
	suite_add_tcase(s, tj);
	tcase_add_checked_fixture(tp, p_setup, p_teardown);
	tcase_add_test(tp, test_java_stack_trace);
	tcase_add_test(tp, test_go_panic);
	tcase_add_test(tp, test_unmatched_event);
	tcase_add_test(tp, test_before_first_line);
	tcase_add_test(tp, test_time_kept);
	tcase_add_test(tp, test_cri);
	tcase_add_test(tp, test_docker);
	tcase_add_test(tp, test_plain_sniffed);
	suite_add_tcase(s, tp);
	tcase_add_checked_fixture(te, p_setup, p_teardown);
	tcase_add_test(te, test_err_no_firstline);
	tcase_add_test(te, test_err_no_format1);
	tcase_add_test(te, test_err_gap);
	tcase_add_test(te, test_err_range);
	tcase_add_test(te, test_err_bad_regexp);
	tcase_add_test(te, test_err_bad_firstline);
	tcase_add_test(te, test_err_no_slashes);
	tcase_add_test(te, test_err_no_group);
	tcase_add_test(te, test_err_format_elsewhere);
	tcase_add_test(te, test_err_legacy);
	suite_add_tcase(s, te);
	return s;
}

#include "check_main.h"
