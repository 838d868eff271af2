/*
 * test_filters.c — the filters, through the real pipeline.
 *
 * Each test builds a pipeline from configuration text, takes the route of
 * a tag and feeds it records as the tail source makes them (`log`,
 * `stream`, `time`), then compares the committed records as exact JSON.
 *
 * The gate gets the most attention: a grep's tests run inside the parser
 * before it, so that an INFO line is abandoned at its `level`. That may
 * only ever be an early exit. The same lines therefore go through the
 * same filters with the gate on and with it off (`inject_key_prefix ""`
 * renames no key but stops the pushdown; a grep with only an <exclude>
 * between the parser and the level grep stops it too), and the records
 * kept must be byte-for-byte the same, while the pipeline's counters show
 * the drops happening during the parse.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "jsonenc.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "pipeline.h"
#include "pipeline_metrics.h"
#include "record.h"
#include "source_id.h"
#include "strbuf.h"
#include "timefmt.h"
#include "pipeline_fixture.h"

#define RT		"2024-05-01T08:00:02.22432324Z"	/* the runtime's */
#define RT_NS		1714550402224323240LL
#define T03_NS		1714550403000000000LL		/* ...08:00:03Z */
#define NS		1000000000LL

/* --- harness -------------------------------------------------------------- */

static void
build_fails(const char *text, const char *msg)
{
	struct pipeline	*p = pipeline_from(text, &e);

	ck_assert_msg(p == NULL, "no error for: %s", text);
	ck_assert_str_eq(e.msg, msg);
}

/* One parser filter and a null output, for tags k.**. */
static void
parser_conf(const char *opts, const char *parse)
{
	char	 text[4096];

	snprintf(text, sizeof text, "<filter k.**>\n  @type parser\n"
	    "  key_name log\n%s  <parse>\n%s  </parse>\n</filter>\n"
	    "<match k.**>\n  @type null\n</match>\n", opts, parse);
	build(text);
}

/* A record with the given fields (key, value, ...), then the route. */
static bool
feed_fields(const char *tag, int64_t t, unsigned flags, const char *const *kv,
    const size_t *vlens, size_t n)
{
	struct route	*rt = pipeline_route(pl, tag, strlen(tag));
	struct record	*r = batch_begin(&b);
	size_t		 i;

	for (i = 0; i < n; i++)
		batch_add(&b, kv[2 * i], strlen(kv[2 * i]),
		    batch_copy(&b, kv[2 * i + 1], vlens[i]), vlens[i],
		    VAL_STRING);
	r->time = t;
	r->flags |= flags;
	return route_run(rt, &b);
}

/* A record as the tail source makes it. */
static bool
feed_n(const char *tag, const char *log, size_t len, unsigned flags)
{
	const char *const	 kv[] = { "log", log, "stream", "stdout",
				    "time", RT };
	const size_t		 lens[] = { len, 6, sizeof RT - 1 };

	return feed_fields(tag, RT_NS, flags, kv, lens, 3);
}

static bool
feed(const char *tag, const char *log)
{
	return feed_n(tag, log, strlen(log), 0);
}

static const struct record *
last_rec(void)
{
	ck_assert_uint_gt(b.nrecs, 0);
	return &b.recs[b.nrecs - 1];
}

/* The last record kept, as JSON. */
static const char *
last(void)
{
	sb_reset(&sb);
	json_put_record(&sb, &b, last_rec());
	return sb_cstr(&sb);
}

#define KEPT(tag, log, want) do {					\
	size_t	 n_ = b.nrecs;						\
	ck_assert_msg(feed((tag), (log)), "dropped: %s", (log));	\
	ck_assert_uint_eq(b.nrecs, n_ + 1);				\
	ck_assert_str_eq(last(), (want));				\
} while (0)

#define DROPPED(tag, log) do {						\
	size_t	 n_ = b.nrecs, f_ = b.nfields;				\
	ck_assert_msg(!feed((tag), (log)), "kept: %s", (log));		\
	ck_assert_uint_eq(b.nrecs, n_);					\
	ck_assert_uint_eq(b.nfields, f_);				\
	ck_assert_ptr_null(batch_open_record(&b));			\
} while (0)

/* The prefix every reserve_data record starts with. */
#define ORIG(log)	"{\"log\":" log ",\"stream\":\"stdout\",\"time\":\"" RT "\""

/* --- parser: json ------------------------------------------------------- */

START_TEST(test_json_replace)
{
	parser_conf("", "    @type json\n");
	KEPT("k.a", "{\"level\":\"info\",\"msg\":\"m\",\"time\":"
	    "\"2024-05-01T08:00:03.5Z\",\"n\":1,\"o\":{\"x\":[1]}}",
	    "{\"level\":\"info\",\"msg\":\"m\",\"n\":1,\"o\":{\"x\":[1]}}");
	ck_assert_int_eq(last_rec()->time, T03_NS + NS / 2);
	ck_assert_uint_eq(last_rec()->flags & REC_PARSE_ERROR, 0);
	/* A line without a time keeps the runtime's. */
	KEPT("k.a", "{\"a\":1}", "{\"a\":1}");
	ck_assert_int_eq(last_rec()->time, RT_NS);
}
END_TEST

START_TEST(test_json_reserve_data)
{
	parser_conf("  reserve_data true\n", "    @type json\n");
	/* Fluentd's merge: the original fields, then the parsed ones; the
	 * parsed time became the event time, the runtime's time stays. */
	KEPT("k.a", "{\"a\":1,\"time\":\"2024-05-01T08:00:03Z\"}",
	    ORIG("\"{\\\"a\\\":1,\\\"time\\\":\\\"2024-05-01T08:00:03Z\\\"}\"")
	    ",\"a\":1}");
	ck_assert_int_eq(last_rec()->time, T03_NS);
	/* A parsed key replaces the original of the same name. */
	KEPT("k.a", "{\"stream\":\"custom\",\"b\":2}",
	    "{\"log\":\"{\\\"stream\\\":\\\"custom\\\",\\\"b\\\":2}\",\"time\":"
	    "\"" RT "\",\"stream\":\"custom\",\"b\":2}");
	KEPT("k.a", "{\"log\":\"inner\"}",
	    "{\"stream\":\"stdout\",\"time\":\"" RT "\",\"log\":\"inner\"}");
}
END_TEST

START_TEST(test_remove_key_name_field)
{
	parser_conf("  reserve_data true\n  remove_key_name_field true\n",
	    "    @type json\n");
	KEPT("k.a", "{\"a\":1}", "{\"stream\":\"stdout\",\"time\":\"" RT
	    "\",\"a\":1}");
	/* A line that does not parse keeps its text. */
	KEPT("k.a", "oops", ORIG("\"oops\"") ",\"parse_error\":"
	    "\"foreign_text\"}");
	ck_assert_uint_ne(last_rec()->flags & REC_PARSE_ERROR, 0);
	/* Without reserve_data there is nothing to remove it from. */
	parser_conf("  remove_key_name_field true\n", "    @type json\n");
	KEPT("k.a", "{\"a\":1}", "{\"a\":1}");
}
END_TEST

START_TEST(test_inject_key_prefix)
{
	parser_conf("  reserve_data true\n  inject_key_prefix p_\n",
	    "    @type json\n");
	KEPT("k.a", "{\"level\":\"info\",\"time\":\"2024-05-01T08:00:03Z\","
	    "\"o\":{\"x\":1}}", ORIG("\"{\\\"level\\\":\\\"info\\\",\\\"time\\\""
	    ":\\\"2024-05-01T08:00:03Z\\\",\\\"o\\\":{\\\"x\\\":1}}\"")
	    ",\"p_level\":\"info\",\"p_o\":{\"x\":1}}");
	ck_assert_int_eq(last_rec()->time, T03_NS);
	/* A prefixed key never replaces an original. */
	KEPT("k.a", "{\"stream\":\"x\"}", ORIG("\"{\\\"stream\\\":\\\"x\\\"}\"")
	    ",\"p_stream\":\"x\"}");
}
END_TEST

START_TEST(test_hash_value_field)
{
	parser_conf("  reserve_data true\n  hash_value_field parsed\n",
	    "    @type json\n");
	KEPT("k.a", "{\"level\":\"info\",\"time\":\"2024-05-01T08:00:03Z\","
	    "\"stream\":\"inner\"}", ORIG("\"{\\\"level\\\":\\\"info\\\","
	    "\\\"time\\\":\\\"2024-05-01T08:00:03Z\\\",\\\"stream\\\":"
	    "\\\"inner\\\"}\"") ",\"parsed\":{\"level\":\"info\",\"stream\":"
	    "\"inner\"}}");
	ck_assert_int_eq(last_rec()->time, T03_NS);
	/* A failure leaves no empty object behind. */
	KEPT("k.a", "{\"trunc", ORIG("\"{\\\"trunc\"") ",\"parse_error\":"
	    "\"truncated\"}");

	parser_conf("  hash_value_field parsed\n", "    @type json\n");
	KEPT("k.a", "{\"a\":1,\"b\":{\"c\":2}}", "{\"parsed\":{\"a\":1,\"b\":"
	    "{\"c\":2}}}");
	KEPT("k.a", "{}", "{\"parsed\":{}}");
}
END_TEST

START_TEST(test_reserve_time)
{
	parser_conf("  reserve_time true\n", "    @type json\n");
	KEPT("k.a", "{\"a\":1,\"time\":\"2024-05-01T08:00:03Z\"}", "{\"a\":1}");
	ck_assert_int_eq(last_rec()->time, RT_NS);
}
END_TEST

START_TEST(test_keep_time_key)
{
	parser_conf("", "    @type json\n    keep_time_key true\n");
	KEPT("k.a", "{\"a\":1,\"time\":\"2024-05-01T08:00:03Z\"}",
	    "{\"a\":1,\"time\":\"2024-05-01T08:00:03Z\"}");
	ck_assert_int_eq(last_rec()->time, T03_NS);
	/* With reserve_data the parsed time replaces the runtime's. */
	parser_conf("  reserve_data true\n", "    @type json\n"
	    "    keep_time_key true\n");
	KEPT("k.a", "{\"time\":\"2024-05-01T08:00:03Z\"}",
	    "{\"log\":\"{\\\"time\\\":\\\"2024-05-01T08:00:03Z\\\"}\","
	    "\"stream\":\"stdout\",\"time\":\"2024-05-01T08:00:03Z\"}");
}
END_TEST

/* SPIRE trims fractions to 0-9 digits; %N takes them all, or none. */
START_TEST(test_time_format_spire)
{
	static const struct {
		const char	*t;
		int64_t		 ns;
	} times[] = {
		{ "2024-05-01T08:00:03Z", T03_NS },
		{ "2024-05-01T08:00:03.1Z", T03_NS + 100000000 },
		{ "2024-05-01T08:00:03.12Z", T03_NS + 120000000 },
		{ "2024-05-01T08:00:03.123Z", T03_NS + 123000000 },
		{ "2024-05-01T08:00:03.1234Z", T03_NS + 123400000 },
		{ "2024-05-01T08:00:03.22432324Z", T03_NS + 224323240 },
		{ "2024-05-01T08:00:03.666503184Z", T03_NS + 666503184 },
		{ "2024-05-01T08:00:03.000000001Z", T03_NS + 1 },
	};
	char	 line[128];
	size_t	 i;

	parser_conf("", "    @type json\n"
	    "    time_format %Y-%m-%dT%H:%M:%S.%NZ\n");
	for (i = 0; i < sizeof times / sizeof times[0]; i++) {
		snprintf(line, sizeof line, "{\"time\":\"%s\",\"i\":%zu}",
		    times[i].t, i);
		ck_assert(feed("k.a", line));
		ck_assert_msg(last_rec()->time == times[i].ns, "%s: %lld",
		    times[i].t, (long long)last_rec()->time);
		ck_assert_ptr_null(strstr(last(), "\"time\""));
	}
	ck_assert_uint_eq(pl->stats.time_fallbacks, 0);
	/* Not the format, but RFC 3339 (a CRI-style offset): counted. */
	KEPT("k.a", "{\"time\":\"2024-05-01T10:00:03.5+02:00\"}", "{}");
	ck_assert_int_eq(last_rec()->time, T03_NS + NS / 2);
	ck_assert_uint_eq(pl->stats.time_fallbacks, 1);
	/* Neither: the field stays and the runtime's time is kept. */
	KEPT("k.a", "{\"time\":\"yesterday\"}", "{\"time\":\"yesterday\"}");
	ck_assert_int_eq(last_rec()->time, RT_NS);
	ck_assert_uint_eq(pl->stats.time_errors, 1);
}
END_TEST

START_TEST(test_time_key_and_types)
{
	parser_conf("", "    @type json\n    time_key ts\n");
	KEPT("k.a", "{\"ts\":\"2024-05-01T08:00:03Z\",\"time\":\"x\"}",
	    "{\"time\":\"x\"}");
	ck_assert_int_eq(last_rec()->time, T03_NS);
	/* A number is read as epoch seconds, whatever time_type says. */
	KEPT("k.a", "{\"ts\":1714550403.25}", "{}");
	ck_assert_int_eq(last_rec()->time, T03_NS + NS / 4);

	parser_conf("", "    @type json\n    time_type float\n");
	KEPT("k.a", "{\"time\":\"1714550403.5\"}", "{}");
	ck_assert_int_eq(last_rec()->time, T03_NS + NS / 2);
	KEPT("k.a", "{\"time\":\"soon\"}", "{\"time\":\"soon\"}");
	ck_assert_int_eq(last_rec()->time, RT_NS);

	parser_conf("", "    @type json\n    time_type unixtime\n");
	KEPT("k.a", "{\"time\":1714550403}", "{}");
	ck_assert_int_eq(last_rec()->time, T03_NS);
}
END_TEST

/* --- parser: the bad kinds ---------------------------------------------- */

struct bad_case {
	const char	*log;
	size_t		 len;
	unsigned	 flags;
	enum bad_kind	 kind;
};

#define BAD(s, k)	{ (s), sizeof(s) - 1, 0, (k) }

static const struct bad_case bad_cases[] = {
	BAD("", BAD_EMPTY),
	BAD("{\"level\":\"info\",\"msg\":\"a\0b\"}", BAD_EMBEDDED_NUL),
	BAD("time=\"2024-05-01T08:00:03Z\" level=info msg=\"a\0b\"",
	    BAD_EMBEDDED_NUL),
	BAD("{\"level\":\"info\",\"msg\":\"caf\xe9\"}", BAD_INVALID_UTF8),
	BAD("{\"level\":\"info\",\"msg\":\"\xed\xa0\x80\"}", BAD_INVALID_UTF8),
	BAD("time=x level=info msg=\"\xc0\xaf\"", BAD_INVALID_UTF8),
	BAD("panic: runtime error: invalid memory address", BAD_FOREIGN_TEXT),
	BAD("goroutine 1 [running]:", BAD_FOREIGN_TEXT),
	BAD("I0501 08:00:02.123456       1 reflector.go:547] k8s.io/client-go",
	    BAD_FOREIGN_TEXT),
	BAD("{\"level\":\"info\",\"nonce\":[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]}",
	    BAD_DEEP_NESTING),
	BAD("{\"level\":\"debug\",\"msg\":\"Renewing st", BAD_TRUNCATED),
	BAD("{\"level\":\"debug\",\"msg\":\"Renewing st\\", BAD_TRUNCATED),
	BAD("time=\"2024-05-01T08:00:14Z\" level=debug msg=\"Renewing st",
	    BAD_TRUNCATED),
	BAD("{\"level\":\"info\",\"msg\":\"x\"}}", BAD_SYNTAX),
	BAD("time=x level=info msg=\"a\"b", BAD_SYNTAX),
	{ "{\"level\":\"debug\",\"selectors\":[{\"type\":\"k8s\"", 38,
	    REC_TRUNCATED, BAD_OVERSIZED },
};

/* Every kind, through multi_format json + logfmt, kept and counted. */
START_TEST(test_parse_error_kinds)
{
	const struct bad_case	*c = &bad_cases[_i];
	struct strbuf		 want = STRBUF_INIT;

	parser_conf("  reserve_data true\n", "    @type multi_format\n"
	    "    <pattern>\n      format json\n      max_nesting 16\n"
	    "    </pattern>\n    <pattern>\n      format logfmt\n"
	    "    </pattern>\n");
	ck_assert(feed_n("k.a", c->log, c->len, c->flags));
	sb_adds(&want, "{\"log\":");
	json_put_string(&want, c->log, c->len);
	sb_addf(&want, ",\"stream\":\"stdout\",\"time\":\"" RT "\","
	    "\"parse_error\":\"%s\"}", bad_kind_name(c->kind));
	ck_assert_str_eq(last(), sb_cstr(&want));
	ck_assert_uint_ne(last_rec()->flags & REC_PARSE_ERROR, 0);
	ck_assert_uint_eq(pl->stats.bad[c->kind], 1);
	ck_assert_uint_eq(stats_bad_total(&pl->stats), 1);
	ck_assert_int_eq(last_rec()->time, RT_NS);
	sb_free(&want);
}
END_TEST

/* Without reserve_data a bad line still keeps what it came with. */
START_TEST(test_parse_error_no_reserve)
{
	parser_conf("", "    @type json\n");
	KEPT("k.a", "{\"a\":", ORIG("\"{\\\"a\\\":\"") ",\"parse_error\":"
	    "\"truncated\"}");
	KEPT("k.a", "{\"a\":\"x\"} trailing", ORIG("\"{\\\"a\\\":\\\"x\\\"} "
	    "trailing\"") ",\"parse_error\":\"syntax\"}");
	ck_assert_uint_eq(pl->stats.bad[BAD_TRUNCATED], 1);
	ck_assert_uint_eq(pl->stats.bad[BAD_SYNTAX], 1);
}
END_TEST

START_TEST(test_deep_nesting_limit)
{
	parser_conf("", "    @type json\n    max_nesting 2\n");
	KEPT("k.a", "{\"a\":{\"b\":1}}", "{\"a\":{\"b\":1}}");
	KEPT("k.a", "{\"a\":{\"b\":[1]}}", ORIG("\"{\\\"a\\\":{\\\"b\\\":[1]}}\"")
	    ",\"parse_error\":\"deep_nesting\"}");
}
END_TEST

START_TEST(test_replace_invalid_sequence)
{
	parser_conf("  replace_invalid_sequence true\n", "    @type json\n");
	KEPT("k.a", "{\"msg\":\"caf\xe9 \xff\xfe\",\"n\":1}",
	    "{\"msg\":\"caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\",\"n\":1}");
	ck_assert_uint_eq(stats_bad_total(&pl->stats), 0);
	/* Still bad after the repair: named by the original bytes. */
	KEPT("k.a", "{\"a\":1}\xff", ORIG("\"{\\\"a\\\":1}\xef\xbf\xbd\"")
	    ",\"parse_error\":\"invalid_utf8\"}");
	/* A valid line is not touched. */
	KEPT("k.a", "{\"msg\":\"caf\xc3\xa9\"}", "{\"msg\":\"caf\xc3\xa9\"}");

	parser_conf("", "    @type json\n");
	KEPT("k.a", "{\"msg\":\"caf\xe9\"}", ORIG("\"{\\\"msg\\\":\\\"caf"
	    "\xef\xbf\xbd\\\"}\"") ",\"parse_error\":\"invalid_utf8\"}");
}
END_TEST

/* key_name missing, or not a string: the record passes unchanged. */
START_TEST(test_missing_key_name)
{
	static const char *const kv[] = { "msg", "no log here" };
	static const size_t	 lens[] = { 11 };
	struct route		*rt;
	struct record		*r;
	size_t			 o;

	parser_conf("", "    @type json\n");
	ck_assert(feed_fields("k.a", RT_NS, 0, kv, lens, 1));
	ck_assert_str_eq(last(), "{\"msg\":\"no log here\"}");
	ck_assert_uint_eq(stats_bad_total(&pl->stats), 0);

	rt = pipeline_route(pl, FIELD_STR("k.a"));
	r = batch_begin(&b);
	o = batch_add_object(&b, FIELD_STR("log"));
	batch_add(&b, FIELD_STR("x"), FIELD_STR("1"), VAL_RAW);
	batch_end_object(&b, o);
	(void)r;
	ck_assert(route_run(rt, &b));
	ck_assert_str_eq(last(), "{\"log\":{\"x\":1}}");
}
END_TEST

/* --- parser: logfmt, regexp, none, multi_format -------------------------- */

START_TEST(test_logfmt)
{
	parser_conf("", "    @type logfmt\n");
	KEPT("k.a", "time=\"2024-05-01T08:00:03Z\" level=info msg=\"Renewing "
	    "X509-SVID\" spiffe_id=\"spiffe://prod.example.com/ns/a/sa/b\" "
	    "subsystem_name=manager", "{\"level\":\"info\",\"msg\":\"Renewing "
	    "X509-SVID\",\"spiffe_id\":\"spiffe://prod.example.com/ns/a/sa/b\","
	    "\"subsystem_name\":\"manager\"}");
	ck_assert_int_eq(last_rec()->time, T03_NS);
	/* The default text format's whole seconds, and escapes. */
	KEPT("k.a", "time=\"2025-03-11T19:06:11Z\" level=info msg=Configured "
	    "admin_ids=\"[]\" data_dir=/run/spire/data", "{\"level\":\"info\","
	    "\"msg\":\"Configured\",\"admin_ids\":\"[]\",\"data_dir\":"
	    "\"/run/spire/data\"}");
	ck_assert_int_eq(last_rec()->time, 1741719971 * NS);
	KEPT("k.a", "time=x level=error msg=\"a \\\"q\\\"\\n\"",
	    "{\"time\":\"x\",\"level\":\"error\",\"msg\":\"a \\\"q\\\"\\n\"}");
}
END_TEST

START_TEST(test_regexp_groups)
{
	/* Fields come in the order of the pattern, as Ruby's names do. */
	parser_conf("", "    @type regexp\n    expression "
	    "/^(?<z>\\w+) (?<a>\\w+)(?: (?<m>\\w+))?$/\n");
	KEPT("k.a", "one two three", "{\"z\":\"one\",\"a\":\"two\",\"m\":"
	    "\"three\"}");
	/* A group that took no part is left out. */
	KEPT("k.a", "one two", "{\"z\":\"one\",\"a\":\"two\"}");
	KEPT("k.a", "one", ORIG("\"one\"") ",\"parse_error\":"
	    "\"foreign_text\"}");
	KEPT("k.a", "", ORIG("\"\"") ",\"parse_error\":\"empty\"}");

	/* A time group is the event time. */
	parser_conf("", "    @type regexp\n    expression /^(?<time>\\S+) "
	    "(?<level>[A-Z]+) (?<msg>.*)$/\n");
	KEPT("k.a", "2024-05-01T08:00:03Z WARN disk full",
	    "{\"level\":\"WARN\",\"msg\":\"disk full\"}");
	ck_assert_int_eq(last_rec()->time, T03_NS);
}
END_TEST

START_TEST(test_regexp_flags)
{
	parser_conf("", "    @type regexp\n    expression /^(?<lvl>error)$/\n"
	    "    ignorecase true\n");
	KEPT("k.a", "ERROR", "{\"lvl\":\"ERROR\"}");
	parser_conf("", "    @type regexp\n    expression /^(?<lvl>error)$/i\n");
	KEPT("k.a", "Error", "{\"lvl\":\"Error\"}");
	parser_conf("", "    @type regexp\n    expression /^(?<all>a.b)$/\n");
	KEPT("k.a", "a\nb", ORIG("\"a\\nb\"") ",\"parse_error\":"
	    "\"foreign_text\"}");
	parser_conf("", "    @type regexp\n    expression /^(?<all>a.b)$/\n"
	    "    multiline true\n");
	KEPT("k.a", "a\nb", "{\"all\":\"a\\nb\"}");
	/* A bare expression, without slashes. */
	parser_conf("", "    @type regexp\n    expression (?<w>\\w+)\n");
	KEPT("k.a", "  word  ", "{\"w\":\"word\"}");
}
END_TEST

START_TEST(test_none)
{
	parser_conf("", "    @type none\n");
	KEPT("k.a", "any {\"text\"} at=all", "{\"message\":\"any {\\\"text\\\"} "
	    "at=all\"}");
	KEPT("k.a", "", "{\"message\":\"\"}");	/* never fails */
	parser_conf("  reserve_data true\n", "    @type none\n"
	    "    message_key msg\n");
	KEPT("k.a", "x", ORIG("\"x\"") ",\"msg\":\"x\"}");
	ck_assert_int_eq(last_rec()->time, RT_NS);
}
END_TEST

static const char multi[] =
	"    @type multi_format\n"
	"    <pattern>\n      format json\n    </pattern>\n"
	"    <pattern>\n      format logfmt\n    </pattern>\n"
	"    <pattern>\n      format regexp\n"
	"      expression /^(?<sev>[EWI])(?<md>\\d{4}) (?<rest>.*)$/\n"
	"    </pattern>\n";

START_TEST(test_multi_format)
{
	parser_conf("", multi);
	KEPT("k.a", "{\"level\":\"info\",\"time\":\"2024-05-01T08:00:03Z\"}",
	    "{\"level\":\"info\"}");
	ck_assert_int_eq(last_rec()->time, T03_NS);
	KEPT("k.a", "time=\"2024-05-01T08:00:03.5Z\" level=warning msg=x",
	    "{\"level\":\"warning\",\"msg\":\"x\"}");
	ck_assert_int_eq(last_rec()->time, T03_NS + NS / 2);
	KEPT("k.a", "I0501 reflector.go:547] watch", "{\"sev\":\"I\",\"md\":"
	    "\"0501\",\"rest\":\"reflector.go:547] watch\"}");
	/* The first format that parses wins, even if a later one would. */
	KEPT("k.a", "{\"a\":1}", "{\"a\":1}");
	/* No format: the kind of whichever got furthest. */
	KEPT("k.a", "{\"level\":\"info\",\"msg\":\"cut", ORIG("\"{\\\"level\\\""
	    ":\\\"info\\\",\\\"msg\\\":\\\"cut\"") ",\"parse_error\":"
	    "\"truncated\"}");
	KEPT("k.a", "time=x level=info msg=\"cut", ORIG("\"time=x level=info "
	    "msg=\\\"cut\"") ",\"parse_error\":\"truncated\"}");
	KEPT("k.a", "panic: boom", ORIG("\"panic: boom\"") ",\"parse_error\":"
	    "\"foreign_text\"}");
	ck_assert_uint_eq(pl->stats.bad[BAD_TRUNCATED], 2);
	ck_assert_uint_eq(pl->stats.bad[BAD_FOREIGN_TEXT], 1);
}
END_TEST

/* Each pattern has its own time settings. */
START_TEST(test_multi_format_times)
{
	parser_conf("", "    @type multi_format\n    <pattern>\n"
	    "      format json\n      time_key ts\n    </pattern>\n"
	    "    <pattern>\n      format logfmt\n      keep_time_key true\n"
	    "    </pattern>\n");
	KEPT("k.a", "{\"ts\":\"2024-05-01T08:00:03Z\",\"time\":\"t\"}",
	    "{\"time\":\"t\"}");
	ck_assert_int_eq(last_rec()->time, T03_NS);
	KEPT("k.a", "time=\"2024-05-01T08:00:03Z\" level=info",
	    "{\"time\":\"2024-05-01T08:00:03Z\",\"level\":\"info\"}");
	ck_assert_int_eq(last_rec()->time, T03_NS);
}
END_TEST

START_TEST(test_parser_config_errors)
{
	build_fails("<filter **>\n  @type parser\n  <parse>\n    @type json\n"
	    "  </parse>\n</filter>\n", "test.conf:1: <filter **> @type parser "
	    "needs the parameter 'key_name' (field to parse, e.g. log)");
	build_fails("<filter **>\n  @type parser\n  key_name log\n</filter>\n",
	    "test.conf:1: <filter> @type parser needs a <parse> section (e.g. "
	    "<parse> @type json </parse>)");
	build_fails("<filter **>\n  @type parser\n  key_name log\n  <parse>\n"
	    "    @type yaml\n  </parse>\n</filter>\n", "test.conf:4: unknown "
	    "parser type 'yaml' in <parse>; valid types: json, logfmt, regexp, "
	    "none, multi_format");
	build_fails("<filter **>\n  @type parser\n  key_name log\n  <parse>\n"
	    "    @type regexp\n    expression /(a)/\n  </parse>\n</filter>\n",
	    "test.conf:4: <parse> expression has no named group: use "
	    "(?<name>...) for each field");
	build_fails("<filter **>\n  @type parser\n  key_name log\n  <parse>\n"
	    "    @type multi_format\n  </parse>\n</filter>\n", "test.conf:4: "
	    "<parse> @type multi_format needs at least one <pattern>");
	build_fails("<filter **>\n  @type parser\n  key_name log\n  <parse>\n"
	    "    @type multi_format\n    <pattern>\n      format multi_format\n"
	    "    </pattern>\n  </parse>\n</filter>\n", "test.conf:6: unknown "
	    "parser type 'multi_format' in <pattern>; valid types: json, "
	    "logfmt, regexp, none");
	build_fails("<filter **>\n  @type parser\n  key_name log\n  <parse>\n"
	    "    @type json\n    max_nesting 0\n  </parse>\n</filter>\n",
	    "test.conf:4: max_nesting 0: must be between 1 and 100000");
	build_fails("<filter **>\n  @type parser\n  key_name log\n  <parse>\n"
	    "    @type json\n  </parse>\n  <parse>\n    @type json\n  </parse>\n"
	    "</filter>\n", "test.conf:7: <filter> @type parser takes one "
	    "<parse>");
	build_fails("<filter **>\n  @type parser\n  key_name log\n  <parse>\n"
	    "    @type json\n    localtime true\n  </parse>\n</filter>\n",
	    "test.conf:4: <parse> localtime true: times without a zone are "
	    "read as UTC; remove localtime (containers log in UTC)");
}
END_TEST

/* --- grep ----------------------------------------------------------------- */

/* A pipeline of one grep, fed records of two fields a and b. */
static void
grep_conf(const char *rules)
{
	char	 text[4096];

	snprintf(text, sizeof text, "<filter g.**>\n  @type grep\n%s"
	    "</filter>\n<match g.**>\n  @type null\n</match>\n", rules);
	build(text);
}

static bool
ab(const char *a, const char *bv)
{
	const char *const	 kv[] = { "a", a, "b", bv };
	const size_t		 lens[] = { strlen(a), strlen(bv) };

	return feed_fields("g.x", 0, 0, kv, lens, a[0] == '-' ? 0 : 2);
}

START_TEST(test_grep_regexp_and)
{
	grep_conf("  <regexp>\n    key a\n    pattern /cool/\n  </regexp>\n"
	    "  <regexp>\n    key b\n    pattern /^web\\d+$/\n  </regexp>\n");
	ck_assert(ab("so cool", "web1"));
	ck_assert(!ab("so cool", "db1"));
	ck_assert(!ab("warm", "web1"));
	ck_assert(!ab("warm", "db1"));
	ck_assert_uint_eq(pl->stats.dropped[DROP_GREP], 3);
	ck_assert_uint_eq(b.nrecs, 1);
}
END_TEST

START_TEST(test_grep_exclude_or)
{
	grep_conf("  <exclude>\n    key a\n    pattern /uncool/\n  </exclude>\n"
	    "  <exclude>\n    key b\n    pattern /^db/\n  </exclude>\n");
	ck_assert(ab("cool", "web1"));
	ck_assert(!ab("uncool", "web1"));
	ck_assert(!ab("cool", "db1"));
	ck_assert(!ab("uncool", "db1"));
}
END_TEST

/* Fluentd's example: regexps must all match, then no exclude may. */
START_TEST(test_grep_regexp_and_exclude)
{
	grep_conf("  <regexp>\n    key a\n    pattern /cool/\n  </regexp>\n"
	    "  <exclude>\n    key a\n    pattern /uncool/\n  </exclude>\n");
	ck_assert(ab("It's cool outside today", "x"));
	ck_assert(!ab("I am cool but you are uncool", "x"));
	ck_assert(!ab("warm", "x"));
}
END_TEST

START_TEST(test_grep_and_block)
{
	grep_conf("  <and>\n    <regexp>\n      key a\n      pattern /^1/\n"
	    "    </regexp>\n    <regexp>\n      key b\n      pattern /^book_/\n"
	    "    </regexp>\n  </and>\n");
	ck_assert(ab("10", "book_x"));
	ck_assert(!ab("10", "pen"));
	ck_assert(!ab("20", "book_x"));
	/* <and> of excludes: dropped only when all of them match. */
	grep_conf("  <and>\n    <exclude>\n      key a\n      pattern /^1/\n"
	    "    </exclude>\n    <exclude>\n      key b\n      pattern /^x/\n"
	    "    </exclude>\n  </and>\n");
	ck_assert(!ab("1", "x"));
	ck_assert(ab("1", "y"));
	ck_assert(ab("2", "x"));
	ck_assert(ab("2", "y"));
}
END_TEST

START_TEST(test_grep_or_block)
{
	grep_conf("  <or>\n    <regexp>\n      key a\n      pattern /^1/\n"
	    "    </regexp>\n    <regexp>\n      key b\n      pattern /^x/\n"
	    "    </regexp>\n  </or>\n");
	ck_assert(ab("1", "y"));
	ck_assert(ab("2", "x"));
	ck_assert(ab("1", "x"));
	ck_assert(!ab("2", "y"));
	/* <or> of excludes: any one of them drops. */
	grep_conf("  <or>\n    <exclude>\n      key a\n      pattern /^1/\n"
	    "    </exclude>\n    <exclude>\n      key b\n      pattern /^x/\n"
	    "    </exclude>\n  </or>\n");
	ck_assert(!ab("1", "y"));
	ck_assert(!ab("2", "x"));
	ck_assert(ab("2", "y"));
}
END_TEST

/* A missing key is matched as the empty string. */
START_TEST(test_grep_missing_key)
{
	grep_conf("  <regexp>\n    key a\n    pattern /^$/\n  </regexp>\n");
	ck_assert(ab("-", "-"));	/* no fields at all */
	ck_assert(!ab("x", "y"));
	ck_assert(ab("", "y"));
	grep_conf("  <exclude>\n    key nope\n    pattern /^$/\n  </exclude>\n");
	ck_assert(!ab("x", "y"));
	grep_conf("  <regexp>\n    key nope\n    pattern /./\n  </regexp>\n");
	ck_assert(!ab("x", "y"));
}
END_TEST

START_TEST(test_grep_flags)
{
	grep_conf("  <regexp>\n    key a\n    pattern /^error$/i\n  </regexp>\n");
	ck_assert(ab("ERROR", "x"));
	ck_assert(ab("Error", "x"));
	ck_assert(!ab("errors", "x"));
	/* Ruby's ^ and $ match at line boundaries. */
	grep_conf("  <regexp>\n    key a\n    pattern ^error$\n  </regexp>\n");
	ck_assert(ab("first\nerror\nlast", "x"));
	ck_assert(!ab("ERROR", "x"));
	/* A pattern that looks like /.../ but has other flags is bare. */
	grep_conf("  <regexp>\n    key a\n    pattern /a/q\n  </regexp>\n");
	ck_assert(ab("x/a/qx", "x"));
	ck_assert(!ab("a", "x"));
}
END_TEST

/* Record accessors into nested objects. */
START_TEST(test_grep_accessors)
{
	build("<filter g.**>\n  @type parser\n  key_name log\n"
	    "  hash_value_field kubernetes\n  <parse>\n    @type json\n"
	    "  </parse>\n</filter>\n<filter g.**>\n  @type grep\n  <regexp>\n"
	    "    key $.kubernetes.namespace_name\n    pattern /^spire/\n"
	    "  </regexp>\n  <exclude>\n    key $['kubernetes']['pod_name']\n"
	    "    pattern /^test-/\n  </exclude>\n</filter>\n"
	    "<match g.**>\n  @type null\n</match>\n");
	ck_assert(feed("g.x", "{\"namespace_name\":\"spire-system\","
	    "\"pod_name\":\"spire-server-0\"}"));
	ck_assert(!feed("g.x", "{\"namespace_name\":\"default\","
	    "\"pod_name\":\"spire-server-0\"}"));
	ck_assert(!feed("g.x", "{\"namespace_name\":\"spire-system\","
	    "\"pod_name\":\"test-1\"}"));
	ck_assert(!feed("g.x", "{\"pod_name\":\"x\"}"));
	/* A key naming an object is matched against its JSON text. */
	build("<filter g.**>\n  @type parser\n  key_name log\n"
	    "  hash_value_field k\n  <parse>\n    @type json\n  </parse>\n"
	    "</filter>\n<filter g.**>\n  @type grep\n  <regexp>\n    key k\n"
	    "    pattern /^\\{\"a\":1\\}$/\n  </regexp>\n</filter>\n"
	    "<match g.**>\n  @type null\n</match>\n");
	ck_assert(feed("g.x", "{\"a\":1}"));
	ck_assert(!feed("g.x", "{\"a\":2}"));
}
END_TEST

START_TEST(test_grep_config_errors)
{
	build_fails("<filter **>\n  @type grep\n</filter>\n", "test.conf:1: "
	    "<filter> @type grep needs at least one <regexp> or <exclude>");
	build_fails("<filter **>\n  @type grep\n  <regexp>\n    key a\n"
	    "  </regexp>\n</filter>\n", "test.conf:3: <regexp> needs the "
	    "parameter 'pattern' (regexp, bare or /.../flags)");
	build_fails("<filter **>\n  @type grep\n  <regexp>\n    key $.a[0]\n"
	    "    pattern x\n  </regexp>\n</filter>\n", "test.conf:3: <regexp> "
	    "key: record accessor '$.a[0]': expected . or ['name'] at '[0]'");
	build_fails("<filter **>\n  @type grep\n  <regexp>\n    key a\n"
	    "    pattern /(/\n  </regexp>\n</filter>\n", "test.conf:5: <regexp> "
	    "pattern: invalid regular expression /(/ at offset 1: missing "
	    "closing parenthesis");
	build_fails("<filter **>\n  @type grep\n  <regexp>\n    key $['a\n"
	    "    pattern x\n  </regexp>\n</filter>\n", "test.conf:3: <regexp> "
	    "key: record accessor '$['a': unterminated ['...']");
	build_fails("<filter **>\n  @type grep\n  <and>\n    key a\n  </and>\n"
	    "</filter>\n", "test.conf:4: unknown parameter 'key' in <and>; it "
	    "holds only <regexp> and <exclude>");
	build_fails("<filter **>\n  @type grep\n  <not>\n  </not>\n</filter>\n",
	    "test.conf:3: <not> is not valid inside <filter **> @type grep; "
	    "valid sections: regexp, exclude, and, or");
}
END_TEST

/* --- spire ---------------------------------------------------------------- */

static const char spire_pipeline[] =
	"<filter kubernetes.**>\n  @type parser\n  key_name log\n"
	"  <parse>\n    @type multi_format\n"
	"    <pattern>\n      format json\n    </pattern>\n"
	"    <pattern>\n      format logfmt\n    </pattern>\n"
	"  </parse>\n</filter>\n"
	"<filter kubernetes.**>\n  @type spire\n%s</filter>\n"
	"%s"
	"<match kubernetes.**>\n  @type null\n</match>\n";

static void
spire_conf(const char *opts, const char *after)
{
	char	 text[4096];

	snprintf(text, sizeof text, spire_pipeline, opts, after);
	build(text);
}

#define SRV	"kubernetes.spire.server"
#define TS3	"\"@timestamp\":\"2024-05-01T08:00:03.000000000Z\""

static const struct {
	const char	*raw;
	const char	*norm;
} levels[] = {
	{ "error", "ERROR" }, { "fatal", "ERROR" }, { "panic", "ERROR" },
	{ "warning", "WARN" }, { "warn", "WARN" }, { "info", "INFO" },
	{ "debug", "DEBUG" }, { "trace", "DEBUG" }, { "Warning", "WARN" },
	{ "ERROR", "ERROR" },
};

START_TEST(test_spire_levels)
{
	char	 line[128], want[256];

	spire_conf("", "");
	snprintf(line, sizeof line, "{\"level\":\"%s\",\"time\":"
	    "\"2024-05-01T08:00:03Z\"}", levels[_i].raw);
	snprintf(want, sizeof want, "{\"level\":\"%s\",\"level_raw\":\"%s\","
	    "\"component\":\"spire-server\"," TS3 "}", levels[_i].norm,
	    levels[_i].raw);
	KEPT(SRV, line, want);
}
END_TEST

START_TEST(test_spire_level_other)
{
	spire_conf("", "");
	/* Not a level name: left as it is, no level_raw. */
	KEPT(SRV, "{\"level\":\"notice\",\"time\":\"2024-05-01T08:00:03Z\"}",
	    "{\"level\":\"notice\",\"component\":\"spire-server\"," TS3 "}");
	KEPT(SRV, "{\"level\":3,\"time\":\"2024-05-01T08:00:03Z\"}",
	    "{\"level\":3,\"component\":\"spire-server\"," TS3 "}");
	KEPT(SRV, "{\"level\":\"\",\"time\":\"2024-05-01T08:00:03Z\"}",
	    "{\"level\":\"\",\"component\":\"spire-server\"," TS3 "}");
	/* A text line's level, the same way. */
	KEPT(SRV, "time=\"2024-05-01T08:00:03Z\" level=warning msg=x",
	    "{\"level\":\"WARN\",\"msg\":\"x\",\"level_raw\":\"warning\","
	    "\"component\":\"spire-server\"," TS3 "}");
	/* normalize_level false and another level_key. */
	spire_conf("  normalize_level false\n", "");
	KEPT(SRV, "{\"level\":\"warning\",\"time\":\"2024-05-01T08:00:03Z\"}",
	    "{\"level\":\"warning\",\"component\":\"spire-server\"," TS3 "}");
	spire_conf("  level_key severity\n", "");
	KEPT(SRV, "{\"severity\":\"warning\",\"level\":\"info\",\"time\":"
	    "\"2024-05-01T08:00:03Z\"}", "{\"severity\":\"WARN\",\"level\":"
	    "\"info\",\"level_raw\":\"warning\",\"component\":\"spire-server\","
	    TS3 "}");
}
END_TEST

START_TEST(test_spire_component)
{
	static const struct {
		const char	*tag;
		const char	*comp;
	} tags[] = {
		{ "kubernetes.spire.server", "spire-server" },
		{ "kubernetes.spire.agent", "spire-agent" },
		{ "kubernetes.var.log.containers.spire-server-0_spire-system_"
		    "spire-server-0123.log", "spire-server" },
		{ "kubernetes.var.log.containers.spire-agent-x2z9_spire-system_"
		    "spire-agent-0123.log", "spire-agent" },
		{ "kubernetes.spire_agent", "spire-agent" },
		{ "kubernetes.other", NULL },
	};
	char	 want[256];
	size_t	 i;

	spire_conf("  timestamp_key \"\"\n", "");
	for (i = 0; i < sizeof tags / sizeof tags[0]; i++) {
		if (tags[i].comp != NULL)
			snprintf(want, sizeof want, "{\"a\":1,\"component\":"
			    "\"%s\"}", tags[i].comp);
		else
			snprintf(want, sizeof want, "{\"a\":1}");
		KEPT(tags[i].tag, "{\"a\":1}", want);
	}
	/* Set, and under another key; an existing field is replaced. */
	spire_conf("  timestamp_key \"\"\n  component spire-controller-"
	    "manager\n  component_key app\n", "");
	KEPT(SRV, "{\"app\":\"old\",\"b\":2}", "{\"app\":\"spire-controller-"
	    "manager\",\"b\":2}");
}
END_TEST

START_TEST(test_spire_timestamp)
{
	spire_conf("  normalize_level false\n  map_fields false\n", "");
	KEPT(SRV, "{\"time\":\"2024-05-01T08:00:03.22432324Z\"}",
	    "{\"component\":\"spire-server\",\"@timestamp\":"
	    "\"2024-05-01T08:00:03.224323240Z\"}");
	/* The runtime's time when the line has none; 9 digits always. */
	KEPT(SRV, "{\"a\":1}", "{\"a\":1,\"component\":\"spire-server\","
	    "\"@timestamp\":\"2024-05-01T08:00:02.224323240Z\"}");
	KEPT(SRV, "time=\"2025-03-11T19:06:11Z\" level=info",
	    "{\"level\":\"info\",\"component\":\"spire-server\",\"@timestamp\":"
	    "\"2025-03-11T19:06:11.000000000Z\"}");
	spire_conf("  timestamp_key ts\n  map_fields false\n", "");
	KEPT(SRV, "{\"ts\":\"old\"}", "{\"ts\":\"2024-05-01T08:00:02.22432324"
	    "0Z\",\"component\":\"spire-server\"}");
}
END_TEST

START_TEST(test_spire_attestor)
{
	spire_conf("  timestamp_key \"\"\n  component x\n", "");
	KEPT(SRV, "{\"node_attestor_type\":\"join_token\",\"msg\":"
	    "\"Nodeattestor(k8s_psat): denied\"}", "{\"node_attestor_type\":"
	    "\"join_token\",\"msg\":\"Nodeattestor(k8s_psat): denied\","
	    "\"component\":\"x\",\"attestor_type\":\"join_token\"}");
	KEPT(SRV, "{\"msg\":\"Nodeattestor(k8s_psat): token not authenticated "
	    "according to TokenReview API for cluster \\\"prod-eu1\\\"\"}",
	    "{\"msg\":\"Nodeattestor(k8s_psat): token not authenticated "
	    "according to TokenReview API for cluster \\\"prod-eu1\\\"\","
	    "\"component\":\"x\",\"attestor_type\":\"k8s_psat\"}");
	KEPT(SRV, "{\"msg\":\"Invalid argument: nodeattestor(x509pop): "
	    "certificate verification failed\"}", "{\"msg\":\"Invalid "
	    "argument: nodeattestor(x509pop): certificate verification "
	    "failed\",\"component\":\"x\",\"attestor_type\":\"x509pop\"}");
	KEPT(SRV, "{\"msg\":\"Agent crashed\",\"error\":\"failed to receive "
	    "attestation response: rpc error: code = PermissionDenied desc = "
	    "nodeattestor(aws_iid): bad\"}", "{\"msg\":\"Agent crashed\","
	    "\"error\":\"failed to receive attestation response: rpc error: "
	    "code = PermissionDenied desc = nodeattestor(aws_iid): bad\","
	    "\"component\":\"x\",\"attestor_type\":\"aws_iid\"}");
	KEPT(SRV, "{\"msg\":\"workload attestor \\\"k8s\\\" failed\"}",
	    "{\"msg\":\"workload attestor \\\"k8s\\\" failed\",\"component\":"
	    "\"x\",\"attestor_type\":\"k8s\"}");
	/* Already there: kept. Half a mark, or an empty name: nothing. */
	KEPT(SRV, "{\"attestor_type\":\"a\",\"node_attestor_type\":\"b\"}",
	    "{\"attestor_type\":\"a\",\"node_attestor_type\":\"b\","
	    "\"component\":\"x\"}");
	KEPT(SRV, "{\"msg\":\"Nodeattestor(k8s_psat\"}", "{\"msg\":"
	    "\"Nodeattestor(k8s_psat\",\"component\":\"x\"}");
	KEPT(SRV, "{\"msg\":\"Nodeattestor(): x\"}", "{\"msg\":"
	    "\"Nodeattestor(): x\",\"component\":\"x\"}");
	KEPT(SRV, "{\"node_attestor_type\":\"\",\"msg\":\"nodeattestor(tpm)"
	    "\"}", "{\"node_attestor_type\":\"\",\"msg\":\"nodeattestor(tpm)"
	    "\",\"component\":\"x\",\"attestor_type\":\"tpm\"}");
}
END_TEST

START_TEST(test_spire_spiffe_id)
{
	spire_conf("  timestamp_key \"\"\n  component x\n", "");
	KEPT(SRV, "{\"agent_id\":\"spiffe://td/spire/agent/k8s_psat/c/n\","
	    "\"caller_id\":\"spiffe://td/other\"}", "{\"agent_id\":\"spiffe://"
	    "td/spire/agent/k8s_psat/c/n\",\"caller_id\":\"spiffe://td/other\","
	    "\"component\":\"x\",\"spiffe_id\":\"spiffe://td/spire/agent/"
	    "k8s_psat/c/n\",\"attestor_type\":\"k8s_psat\",\"caller\":"
	    "\"spiffe://td/other\"}");
	KEPT(SRV, "{\"caller_id\":\"spiffe://td/w\"}", "{\"caller_id\":"
	    "\"spiffe://td/w\",\"component\":\"x\",\"spiffe_id\":\"spiffe://"
	    "td/w\",\"caller\":\"spiffe://td/w\"}");
	/* Not a SPIFFE ID ("agent"), or already set: nothing added. */
	KEPT(SRV, "{\"caller_id\":\"agent\"}", "{\"caller_id\":\"agent\","
	    "\"component\":\"x\",\"caller\":\"agent\"}");
	KEPT(SRV, "{\"agent_id\":\"spiffe://\"}", "{\"agent_id\":\"spiffe://"
	    "\",\"component\":\"x\"}");
	KEPT(SRV, "{\"spiffe_id\":\"spiffe://td/a\",\"caller_id\":\"spiffe://"
	    "td/b\"}", "{\"spiffe_id\":\"spiffe://td/a\",\"caller_id\":"
	    "\"spiffe://td/b\",\"component\":\"x\",\"caller\":\"spiffe://"
	    "td/b\"}");
	/* map_fields false: none of it. */
	spire_conf("  timestamp_key \"\"\n  component x\n  map_fields false\n",
	    "");
	KEPT(SRV, "{\"caller_id\":\"spiffe://td/w\",\"node_attestor_type\":"
	    "\"tpm\",\"count\":2}", "{\"caller_id\":\"spiffe://td/w\","
	    "\"node_attestor_type\":\"tpm\",\"count\":2,\"component\":\"x\"}");
}
END_TEST

START_TEST(test_spire_metrics)
{
	spire_conf("  timestamp_key \"\"\n  component x\n", "");
	/* JSON: a Go Duration is integer nanoseconds. */
	KEPT(SRV, "{\"duration\":1500000000,\"count\":3}", "{\"duration\":"
	    "1500000000,\"count\":3,\"component\":\"x\",\"metrics\":"
	    "{\"duration_ms\":1500,\"count\":3}}");
	/* Text: Go's Duration.String(). */
	KEPT(SRV, "time=x level=info duration=6.560615269s count=12",
	    "{\"time\":\"x\",\"level\":\"INFO\",\"duration\":\"6.560615269s\","
	    "\"count\":\"12\",\"level_raw\":\"info\",\"component\":\"x\","
	    "\"metrics\":{\"duration_ms\":6560,\"count\":12}}");
	KEPT(SRV, "{\"duration\":\"500ms\"}", "{\"duration\":\"500ms\","
	    "\"component\":\"x\",\"metrics\":{\"duration_ms\":500}}");
	KEPT(SRV, "{\"duration\":\"1m\"}", "{\"duration\":\"1m\","
	    "\"component\":\"x\",\"metrics\":{\"duration_ms\":60000}}");
	KEPT(SRV, "{\"duration\":\"1.5h\"}", "{\"duration\":\"1.5h\","
	    "\"component\":\"x\",\"metrics\":{\"duration_ms\":5400000}}");
	KEPT(SRV, "{\"duration\":\"2500us\"}", "{\"duration\":\"2500us\","
	    "\"component\":\"x\",\"metrics\":{\"duration_ms\":2}}");
	/* Neither a duration nor an integer count: no metrics. */
	KEPT(SRV, "{\"duration\":\"1500\",\"count\":\"many\"}",
	    "{\"duration\":\"1500\",\"count\":\"many\",\"component\":\"x\"}");
	KEPT(SRV, "{\"duration\":\"5 parsecs\",\"count\":1.5}",
	    "{\"duration\":\"5 parsecs\",\"count\":1.5,\"component\":\"x\"}");
	KEPT(SRV, "{\"count\":-2}", "{\"count\":-2,\"component\":\"x\","
	    "\"metrics\":{\"count\":-2}}");
	/* Already there: left alone. */
	KEPT(SRV, "{\"count\":2,\"metrics\":\"own\"}", "{\"count\":2,"
	    "\"metrics\":\"own\",\"component\":\"x\"}");
}
END_TEST

/* The metrics object is a real nested field: a grep can reach it. */
START_TEST(test_spire_metrics_accessor)
{
	spire_conf("  timestamp_key \"\"\n", "<filter kubernetes.**>\n"
	    "  @type grep\n  <regexp>\n    key $.metrics.count\n"
	    "    pattern /^[1-9]\\d+$/\n  </regexp>\n</filter>\n");
	ck_assert(feed(SRV, "{\"count\":12}"));
	ck_assert(!feed(SRV, "{\"count\":3}"));
	ck_assert(!feed(SRV, "{\"other\":1}"));
}
END_TEST

static const char level_grep[] =
	"<filter kubernetes.**>\n  @type grep\n  <regexp>\n    key level\n"
	"    pattern /^(ERROR|WARN)$/\n  </regexp>\n</filter>\n";

START_TEST(test_spire_keep_audit)
{
	static const char audit[] = "{\"level\":\"info\",\"msg\":\"API "
	    "accessed\",\"status\":\"error\",\"status_code\":3,\"type\":"
	    "\"audit\"}";

	spire_conf("  keep_audit true\n  timestamp_key \"\"\n", level_grep);
	KEPT(SRV, audit, "{\"level\":\"INFO\",\"msg\":\"API accessed\","
	    "\"status\":\"error\",\"status_code\":3,\"type\":\"audit\","
	    "\"level_raw\":\"info\",\"component\":\"spire-server\","
	    "\"security_event\":\"audit\"}");
	ck_assert_uint_ne(last_rec()->flags & REC_AUDIT, 0);
	KEPT(SRV, "time=x level=debug msg=y type=audit", "{\"time\":\"x\","
	    "\"level\":\"DEBUG\",\"msg\":\"y\",\"type\":\"audit\","
	    "\"level_raw\":\"debug\",\"component\":\"spire-server\","
	    "\"security_event\":\"audit\"}");
	DROPPED(SRV, "{\"level\":\"info\",\"type\":\"linux\"}");
	DROPPED(SRV, "{\"level\":\"info\",\"type\":\"Audit\"}");
	DROPPED(SRV, "{\"level\":\"info\",\"msg\":\"type=audit\"}");
	KEPT(SRV, "{\"level\":\"warning\"}", "{\"level\":\"WARN\","
	    "\"level_raw\":\"warning\",\"component\":\"spire-server\"}");
	/* Without keep_audit an audit line is just an INFO line. */
	spire_conf("  timestamp_key \"\"\n", level_grep);
	DROPPED(SRV, audit);
	/* keep_audit lets it through rules on level only. */
	spire_conf("  keep_audit true\n  timestamp_key \"\"\n",
	    "<filter kubernetes.**>\n  @type grep\n  <regexp>\n    key level\n"
	    "    pattern /^ERROR$/\n  </regexp>\n  <regexp>\n    key status\n"
	    "    pattern /^error$/\n  </regexp>\n</filter>\n");
	ck_assert(feed(SRV, audit));
	DROPPED(SRV, "{\"level\":\"info\",\"status\":\"success\",\"type\":"
	    "\"audit\"}");
	/* And an exclude on level does not exclude it. */
	spire_conf("  keep_audit true\n  timestamp_key \"\"\n",
	    "<filter kubernetes.**>\n  @type grep\n  <exclude>\n    key level\n"
	    "    pattern /^INFO$/\n  </exclude>\n</filter>\n");
	ck_assert(feed(SRV, audit));
	DROPPED(SRV, "{\"level\":\"info\"}");
}
END_TEST


/* --- spire: security events ------------------------------------------------ */

/* The exposition of the metrics registry, and whether it has line. */
static bool
scraped(const char *line)
{
	struct strbuf	 text = STRBUF_INIT;
	char		*want = xasprintf("\n%s\n", line);
	bool		 found;

	sb_addc(&text, '\n');
	metrics_collect(&text);
	found = strstr(sb_cstr(&text), want) != NULL;
	free(want);
	sb_free(&text);
	return found;
}

#define EVENTS(comp, ev, at)	"spire_security_events_total{component=\"" \
	comp "\",event=\"" ev "\",attestor_type=\"" at "\"}"

START_TEST(test_spire_security_events)
{
	spire_conf("  timestamp_key \"\"\n", "");
	/* A failed attestation (SPIRE-LOGS.md's own line): the event, the
	 * attestor, and the caller's address. */
	KEPT(SRV, "{\"caller_addr\":\"10.42.7.16:34306\",\"level\":\"error\","
	    "\"method\":\"AttestAgent\",\"msg\":\"Nodeattestor(k8s_psat): token "
	    "not authenticated according to TokenReview API for cluster "
	    "\\\"prod-eu1\\\"\",\"node_attestor_type\":\"k8s_psat\"}",
	    "{\"caller_addr\":\"10.42.7.16:34306\",\"level\":\"ERROR\","
	    "\"method\":\"AttestAgent\",\"msg\":\"Nodeattestor(k8s_psat): token "
	    "not authenticated according to TokenReview API for cluster "
	    "\\\"prod-eu1\\\"\",\"node_attestor_type\":\"k8s_psat\","
	    "\"level_raw\":\"error\",\"component\":\"spire-server\","
	    "\"attestor_type\":\"k8s_psat\",\"caller\":\"10.42.7.16:34306\","
	    "\"security_event\":\"attestation_failure\"}");
	/* The agent an authorization error names becomes agent_id (and so
	 * spiffe_id); its ID names the attestor that attested it. */
	KEPT("kubernetes.spire.agent", "time=x level=warning msg=\"Agent needs "
	    "to re-attest; will attempt to re-attest\" error=\"rpc error: code "
	    "= PermissionDenied desc = agent \\\"spiffe://td/spire/agent/"
	    "k8s_psat/c/1\\\" is not attested\"", "{\"time\":\"x\",\"level\":"
	    "\"WARN\",\"msg\":\"Agent needs to re-attest; will attempt to "
	    "re-attest\",\"error\":\"rpc error: code = PermissionDenied desc = "
	    "agent \\\"spiffe://td/spire/agent/k8s_psat/c/1\\\" is not "
	    "attested\",\"level_raw\":\"warning\",\"component\":\"spire-agent\","
	    "\"agent_id\":\"spiffe://td/spire/agent/k8s_psat/c/1\",\"spiffe_id\":"
	    "\"spiffe://td/spire/agent/k8s_psat/c/1\",\"attestor_type\":"
	    "\"k8s_psat\",\"security_event\":\"attestation_failure\"}");
	/* An agent calling with an expired SVID: it is the agent. */
	KEPT(SRV, "{\"caller_id\":\"spiffe://td/spire/agent/k8s_psat/c/2\","
	    "\"level\":\"error\",\"msg\":\"Agent SVID is expired\"}",
	    "{\"caller_id\":\"spiffe://td/spire/agent/k8s_psat/c/2\",\"level\":"
	    "\"ERROR\",\"msg\":\"Agent SVID is expired\",\"level_raw\":"
	    "\"error\",\"component\":\"spire-server\",\"agent_id\":\"spiffe://"
	    "td/spire/agent/k8s_psat/c/2\",\"spiffe_id\":\"spiffe://td/spire/"
	    "agent/k8s_psat/c/2\",\"attestor_type\":\"k8s_psat\",\"caller\":"
	    "\"spiffe://td/spire/agent/k8s_psat/c/2\",\"security_event\":"
	    "\"unauthorized\"}");
	/* A workload caller is not an agent; INFO is not an event. */
	KEPT(SRV, "{\"caller_id\":\"spiffe://td/ns/a/sa/b\",\"level\":"
	    "\"info\",\"msg\":\"Failed to authenticate caller\"}",
	    "{\"caller_id\":\"spiffe://td/ns/a/sa/b\",\"level\":\"INFO\","
	    "\"msg\":\"Failed to authenticate caller\",\"level_raw\":\"info\","
	    "\"component\":\"spire-server\",\"spiffe_id\":\"spiffe://td/ns/a/"
	    "sa/b\",\"caller\":\"spiffe://td/ns/a/sa/b\"}");
	/* A plugin line names its attestor in plugin_name. */
	KEPT(SRV, "{\"level\":\"error\",\"msg\":\"Attestation data has "
	    "already been used to attest an agent\",\"plugin_name\":\"aws_iid\","
	    "\"plugin_type\":\"NodeAttestor\"}", "{\"level\":\"ERROR\",\"msg\":"
	    "\"Attestation data has already been used to attest an agent\","
	    "\"plugin_name\":\"aws_iid\",\"plugin_type\":\"NodeAttestor\","
	    "\"level_raw\":\"error\",\"component\":\"spire-server\","
	    "\"attestor_type\":\"aws_iid\",\"security_event\":"
	    "\"attestation_failure\"}");
	ck_assert(feed(SRV, "{\"level\":\"error\",\"msg\":\"Error updating "
	    "bundle\",\"trust_domain\":\"partner.example.com\"}"));
	ck_assert(feed(SRV, "{\"level\":\"error\",\"msg\":\"Nodeattestor("
	    "k8s_psat): pod UID mismatch\"}"));
	ck_assert(scraped(EVENTS("spire-server", "attestation_failure",
	    "k8s_psat") " 2"));
	ck_assert(scraped(EVENTS("spire-server", "attestation_failure",
	    "aws_iid") " 1"));
	ck_assert(scraped(EVENTS("spire-agent", "attestation_failure",
	    "k8s_psat") " 1"));
	ck_assert(scraped(EVENTS("spire-server", "unauthorized", "k8s_psat")
	    " 1"));
	ck_assert(scraped(EVENTS("spire-server", "federation_failure", "none")
	    " 1"));
	/* Every event has a series from the start. */
	ck_assert(scraped(EVENTS("spire-agent", "ca_rotation_problem", "none")
	    " 0"));
	ck_assert(scraped("# TYPE spire_security_events_total counter"));
	/* The pipeline's own metrics, through the same registry. */
	pipeline_metrics_register(pl);
	ck_assert(scraped("spire_shipper_filter_records_in_total{plugin_id="
	    "\"filter_spire_1\",type=\"spire\"} 7"));
	ck_assert(scraped("spire_shipper_records_dropped_total{reason="
	    "\"unmatched_tag\"} 0"));
	/* A new pipeline: the old filter's counts are gone with it. */
	spire_conf("  security_events false\n", "");
	ck_assert(feed(SRV, "{\"level\":\"error\",\"msg\":\"Agent is "
	    "banned\"}"));
	ck_assert_ptr_null(strstr(last(), "security_event"));
	ck_assert(!scraped(EVENTS("spire-server", "unauthorized", "k8s_psat")
	    " 1"));
}
END_TEST

/* An attestor name from the logs is a label only when it looks like one. */
START_TEST(test_spire_event_labels)
{
	spire_conf("  timestamp_key \"\"\n  component spire-server\n", "");
	ck_assert(feed(SRV, "{\"level\":\"error\",\"msg\":\"Failed to "
	    "attest: agent is banned\",\"node_attestor_type\":\"a\\\"b\"}"));
	ck_assert(feed(SRV, "{\"level\":\"error\",\"msg\":\"Failed to "
	    "attest: agent is banned\",\"node_attestor_type\":"
	    "\"0123456789012345678901234567890123\"}"));
	ck_assert(scraped(EVENTS("spire-server", "attestation_failure",
	    "other") " 2"));
	/* With a fixed component only its series are made up front. */
	ck_assert(!scraped(EVENTS("spire-agent", "audit", "none") " 0"));
	ck_assert(scraped(EVENTS("spire-server", "audit", "none") " 0"));
}
END_TEST

START_TEST(test_spire_audit_agent_sync)
{
	static const char sync_ok[] = "{\"caller_id\":\"spiffe://td/spire/"
	    "agent/k8s_psat/c/1\",\"level\":\"info\",\"method\":"
	    "\"SyncAuthorizedEntries\",\"msg\":\"API accessed\",\"status\":"
	    "\"success\",\"type\":\"audit\"}";
	static const char sync_err[] = "{\"level\":\"info\",\"method\":"
	    "\"SyncAuthorizedEntries\",\"msg\":\"API accessed\",\"status\":"
	    "\"error\",\"status_code\":7,\"type\":\"audit\"}";
	static const char renew[] = "{\"level\":\"info\",\"method\":"
	    "\"RenewAgent\",\"msg\":\"API accessed\",\"status\":\"success\","
	    "\"type\":\"audit\"}";

	spire_conf("  keep_audit true\n  audit_exclude_agent_sync true\n",
	    level_grep);
	DROPPED(SRV, sync_ok);
	DROPPED(SRV, sync_ok);
	ck_assert(feed(SRV, sync_err));
	ck_assert(feed(SRV, renew));
	ck_assert_uint_eq(pl->stats.dropped[DROP_AUDIT_AGENT_SYNC], 2);
	ck_assert_uint_eq(pl->stats.dropped[DROP_GREP], 0);
	pipeline_metrics_register(pl);
	ck_assert(scraped("spire_shipper_filter_records_dropped_total{plugin_id"
	    "=\"filter_spire_1\",type=\"spire\",reason=\"audit_agent_sync\"} 2"));
	ck_assert(scraped("spire_shipper_records_dropped_total{reason="
	    "\"audit_agent_sync\"} 2"));
	/* Dropped records are not counted as events. */
	ck_assert(scraped(EVENTS("spire-server", "audit", "none") " 2"));
	/* Off by default: a routine sync is an audit record like any. */
	spire_conf("  keep_audit true\n", level_grep);
	ck_assert(feed(SRV, sync_ok));
	ck_assert_ptr_nonnull(strstr(last(), "\"security_event\":\"audit\""));
	ck_assert_ptr_nonnull(strstr(last(), "\"agent_id\":\"spiffe://td/"
	    "spire/agent/k8s_psat/c/1\""));
}
END_TEST

/* --- the gate --------------------------------------------------------------- */

/*
 * Lines for the comparisons: every level spelling, audit lines, lines
 * without a level, repeated levels, parse errors of every kind, text and
 * JSON. `keep` is what the level grep (with keep_audit) must keep.
 */
static const struct gate_line {
	const char	*log;
	size_t		 len;
	bool		 keep;
	bool		 info;	/* INFO/DEBUG, not audit: dropped on its level */
} gate_lines[] = {
#define L(s, k, i)	{ (s), sizeof(s) - 1, (k), (i) }
	L("{\"caller_addr\":\"10.0.0.1:1\",\"level\":\"info\",\"msg\":\"Renewing"
	    "\",\"time\":\"2024-05-01T08:00:03Z\"}", false, true),
	L("{\"level\":\"debug\",\"msg\":\"PID attested\",\"selectors\":[{\"type"
	    "\":\"k8s\"}],\"time\":\"2024-05-01T08:00:03.1Z\"}", false, true),
	L("{\"error\":\"x\",\"level\":\"warning\",\"msg\":\"Health check failed"
	    "\",\"time\":\"2024-05-01T08:00:03.12Z\"}", true, false),
	L("{\"level\":\"error\",\"msg\":\"Nodeattestor(k8s_psat): denied\","
	    "\"node_attestor_type\":\"k8s_psat\",\"time\":\"2024-05-01T08:00:0"
	    "3.123456789Z\"}", true, false),
	L("{\"level\":\"info\",\"msg\":\"API accessed\",\"status\":\"error\","
	    "\"status_code\":7,\"time\":\"2024-05-01T08:00:04Z\",\"type\":"
	    "\"audit\"}", true, false),
	L("{\"level\":\"debug\",\"type\":\"audit\"}", true, false),
	L("{\"level\":\"info\",\"type\":\"linux\",\"msg\":\"New process\"}",
	    false, true),
	L("{\"level\":\"Error\",\"msg\":\"case\"}", true, false),
	L("{\"level\":\"fatal\",\"msg\":\"f\"}", true, false),
	L("{\"level\":\"warn\",\"msg\":\"w\"}", true, false),
	L("{\"level\":\"trace\",\"msg\":\"t\"}", false, true),
	L("{\"level\":\"notice\",\"msg\":\"n\"}", false, false),
	L("{\"level\":3,\"msg\":\"numeric\"}", false, false),
	L("{\"level\":\"\",\"msg\":\"empty\"}", false, false),
	L("{\"msg\":\"no level at all\"}", false, false),
	L("{}", false, false),
	L("{\"level\":\"info\",\"msg\":\"x\",\"level\":\"error\"}", true, false),
	L("{\"level\":\"error\",\"msg\":\"x\",\"level\":\"info\"}", false, false),
	L("{\"level\":\"info\",\"msg\":\"the log level changed\"}", false, true),
	L("{\"level\":\"info\",\"lev\\u0065l\":\"warning\"}", true, false),
	L("{\"level\":{\"x\":\"error\"}}", false, false),
	L("{\"level\":\"info\",\"msg\":\"cut", false, false),
	L("{\"level\":\"error\",\"msg\":\"cut", false, false),
	L("{\"level\":\"error\",\"msg\":\"caf\xe9\"}", false, false),
	L("{\"level\":\"info\",\"msg\":\"caf\xe9\"}", false, false),
	L("{\"level\":\"error\",\"msg\":\"a\0b\"}", false, false),
	L("{\"level\":\"warning\",\"n\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
	    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", false, false),
	L("", false, false),
	L("panic: runtime error: index out of range", false, false),
	L("2024/05/01 08:00:02 http: TLS handshake error from 198.51.100.7:1",
	    false, false),
	L("time=\"2024-05-01T08:00:03Z\" level=info msg=\"Renewing X509-SVID\" "
	    "spiffe_id=\"spiffe://td/w\"", false, true),
	L("time=\"2024-05-01T08:00:03Z\" level=warning msg=\"Failed to "
	    "retrieve attestation result\" retry_interval=6.5s", true, false),
	L("time=\"2024-05-01T08:00:03Z\" level=error msg=\"Nodeattestor(x509pop"
	    "): bad\" status_code=InvalidArgument", true, false),
	L("time=x level=info msg=\"API accessed\" type=audit", true, false),
	L("time=x level=debug msg=\"cut", false, false),
	L("time=x level=error msg=\"cut", false, false),
	L("time=x level=info msg=y level=warning", true, false),
	L("time=x level=info msg=\"level=error\"", false, true),
	L("{\"level\":\"debug\",\"level\" :\"error\"}", true, false),
	L("time=x level=info msg=\"\xff\"", false, false),
	L("level=warning msg=\"no time\"", false, false), /* not logrus: no time */
	L("time=x msg=\"no level\"", false, false),
#undef L
};
#define NGATE	(sizeof gate_lines / sizeof gate_lines[0])

static const char gate_route[] =
	"<filter kubernetes.**>\n  @type parser\n  key_name log\n"
	"  reserve_data true\n  remove_key_name_field true\n%s"
	"  <parse>\n    @type multi_format\n"
	"    <pattern>\n      format json\n    </pattern>\n"
	"    <pattern>\n      format logfmt\n    </pattern>\n"
	"  </parse>\n</filter>\n"
	"<filter kubernetes.**>\n  @type spire\n%s</filter>\n%s"
	"<filter kubernetes.**>\n  @type grep\n  <regexp>\n    key level\n"
	"    pattern /^(ERROR|WARN)$/\n  </regexp>\n</filter>\n"
	"<match kubernetes.**>\n  @type null\n</match>\n";

/* A grep that keeps everything and offers the gate no test. */
static const char opaque_grep[] =
	"<filter kubernetes.**>\n  @type grep\n  <exclude>\n    key nothing\n"
	"    pattern /never/\n  </exclude>\n</filter>\n";

struct gate_run {
	char		*json[NGATE];	/* NULL: dropped */
	struct stats	 stats;
	uint64_t	 grep_gated;
	uint64_t	 grep_dropped;
};

static void
gate_run(const char *parser_opts, const char *spire_opts, const char *between,
    struct gate_run *out)
{
	char		 text[4096];
	size_t		 i;

	memset(out, 0, sizeof *out);
	snprintf(text, sizeof text, gate_route, parser_opts, spire_opts,
	    between);
	build(text);
	for (i = 0; i < NGATE; i++) {
		if (!feed_n(SRV, gate_lines[i].log, gate_lines[i].len, 0))
			continue;
		out->json[i] = xstrdup(last());
	}
	out->stats = pl->stats;
	for (i = 0; i < pl->ndirs; i++) {
		struct filter *f = pl->dirs[i].filter;

		if (f != NULL && strcmp(f->ops->name, "grep") == 0 &&
		    f->gated + f->dropped > 0) {
			out->grep_gated = f->gated;
			out->grep_dropped = f->dropped;
		}
	}
	batch_reset(&b);
}

static void
gate_run_free(struct gate_run *r)
{
	size_t	 i;

	for (i = 0; i < NGATE; i++)
		free(r->json[i]);
}

/* The records kept with the gate are exactly those kept without it. */
static void
assert_same_kept(const struct gate_run *with, const struct gate_run *without,
    bool keep_audit)
{
	size_t	 i;

	for (i = 0; i < NGATE; i++) {
		bool	 want = gate_lines[i].keep && (keep_audit ||
			    strstr(gate_lines[i].log, "audit") == NULL);

		ck_assert_msg((with->json[i] != NULL) == want, "line %zu: %s "
		    "with the gate: %.*s", i, with->json[i] ? "kept" : "dropped",
		    (int)gate_lines[i].len, gate_lines[i].log);
		ck_assert_msg((without->json[i] != NULL) == want, "line %zu: %s "
		    "without the gate: %.*s", i, without->json[i] ? "kept" :
		    "dropped", (int)gate_lines[i].len, gate_lines[i].log);
		if (want)
			ck_assert_str_eq(with->json[i], without->json[i]);
	}
	ck_assert_uint_eq(with->stats.dropped[DROP_GREP],
	    without->stats.dropped[DROP_GREP]);
	ck_assert_uint_eq(with->stats.records_out, without->stats.records_out);
}

START_TEST(test_gate_same_records)
{
	struct gate_run	 on, off, opaque;
	size_t		 i, info = 0;

	gate_run("", "  keep_audit true\n", "", &on);
	gate_run("  inject_key_prefix \"\"\n", "  keep_audit true\n", "", &off);
	gate_run("", "  keep_audit true\n", opaque_grep, &opaque);
	assert_same_kept(&on, &off, true);
	assert_same_kept(&on, &opaque, true);
	for (i = 0; i < NGATE; i++)
		info += gate_lines[i].info;
	/* With the gate every drop of the level grep happened in the parse. */
	ck_assert_uint_eq(on.stats.gated, on.stats.dropped[DROP_GREP]);
	ck_assert_uint_eq(on.grep_gated, on.grep_dropped);
	ck_assert_uint_ge(on.stats.gated, info);
	/* Without it none did. */
	ck_assert_uint_eq(off.stats.gated, 0);
	ck_assert_uint_eq(opaque.stats.gated, 0);
	ck_assert_uint_eq(off.grep_gated, 0);
	ck_assert_uint_gt(off.grep_dropped, 0);
	gate_run_free(&on);
	gate_run_free(&off);
	gate_run_free(&opaque);
}
END_TEST

/* Without keep_audit the gate has no rescue and stops at the level. */
START_TEST(test_gate_same_records_no_audit)
{
	struct gate_run	 on, off;

	gate_run("", "", "", &on);
	gate_run("  inject_key_prefix \"\"\n", "", "", &off);
	assert_same_kept(&on, &off, false);
	ck_assert_uint_eq(on.stats.gated, on.stats.dropped[DROP_GREP]);
	ck_assert_uint_eq(off.stats.gated, 0);
	/*
	 * The early exit shows in the bad-line counts: an INFO line cut
	 * short after its level is dropped before the cut is seen.
	 */
	ck_assert_uint_lt(on.stats.bad[BAD_TRUNCATED],
	    off.stats.bad[BAD_TRUNCATED]);
	gate_run_free(&on);
	gate_run_free(&off);
}
END_TEST

/* Routes are compiled per tag: another tag gets the same gate. */
START_TEST(test_gate_per_route)
{
	char	 text[4096];

	snprintf(text, sizeof text, gate_route, "", "", "");
	build(text);
	DROPPED("kubernetes.spire.agent", "{\"level\":\"info\"}");
	DROPPED(SRV, "{\"level\":\"debug\"}");
	KEPT(SRV, "{\"level\":\"error\"}", "{\"stream\":\"stdout\",\"time\":"
	    "\"" RT "\",\"level\":\"ERROR\",\"level_raw\":\"error\","
	    "\"component\":\"spire-server\",\"@timestamp\":"
	    "\"2024-05-01T08:00:02.224323240Z\"}");
	ck_assert_uint_eq(pl->stats.gated, 2);
	ck_assert_uint_eq(pl->stats.dropped[DROP_GREP], 2);
}
END_TEST

/*
 * A grep that keeps the bad lines: its test is on parse_error, which the
 * parser adds itself when a line fails. The gate must see it too.
 */
START_TEST(test_gate_parse_error_grep)
{
	static const char conf[] =
	    "<filter k.**>\n  @type parser\n  key_name log\n"
	    "  reserve_data true\n%s  <parse>\n    @type json\n  </parse>\n"
	    "</filter>\n<filter k.**>\n  @type grep\n  <regexp>\n"
	    "    key parse_error\n    pattern /./\n  </regexp>\n</filter>\n"
	    "<match k.**>\n  @type null\n</match>\n";
	static const char *const lines[] = {
		"{\"level\":\"info\"}", "{\"level\":\"info\",\"msg\":\"cut",
		"panic: x", "", "{\"a\":\"\xff\"}", "{\"parse_error\":\"own\"}",
		"{\"parse_error\":\"\"}",
	};
	static const bool keep[] = { false, true, true, true, true, true,
	    false };
	char	 text[2048];
	size_t	 i, pass;

	for (pass = 0; pass < 2; pass++) {
		snprintf(text, sizeof text, conf, pass ? "  inject_key_prefix "
		    "\"\"\n" : "");
		build(text);
		for (i = 0; i < sizeof lines / sizeof lines[0]; i++)
			ck_assert_msg(feed("k.a", lines[i]) == keep[i], "pass "
			    "%zu line %zu: %s", pass, i, lines[i]);
		ck_assert_uint_eq(pl->stats.dropped[DROP_GREP], 2);
	}
}
END_TEST

/*
 * A parser whose key is missing leaves the record as it is; the grep
 * after it must judge the record, not an empty gate state.
 */
START_TEST(test_gate_missing_parser_key)
{
	static const char *const kv[] = { "msg", "m", "level", "error" };
	static const char *const kv2[] = { "msg", "m", "level", "info" };
	static const size_t	 lens[] = { 1, 5 };
	static const size_t	 lens2[] = { 1, 4 };
	const char		*reserve[] = { "false", "true" };
	char			 text[2048];
	size_t			 i;

	for (i = 0; i < 2; i++) {
		snprintf(text, sizeof text, "<filter k.**>\n  @type parser\n"
		    "  key_name log\n  reserve_data %s\n  <parse>\n"
		    "    @type json\n  </parse>\n</filter>\n<filter k.**>\n"
		    "  @type grep\n  <regexp>\n    key level\n    pattern "
		    "/^error$/\n  </regexp>\n</filter>\n<match k.**>\n"
		    "  @type null\n</match>\n", reserve[i]);
		build(text);
		ck_assert_msg(feed_fields("k.a", RT_NS, 0, kv, lens, 2),
		    "reserve_data %s", reserve[i]);
		ck_assert_str_eq(last(), "{\"msg\":\"m\",\"level\":\"error\"}");
		ck_assert(!feed_fields("k.a", RT_NS, 0, kv2, lens2, 2));
	}
}
END_TEST

/* A gate on a key the parse does not produce is tested as "". */
START_TEST(test_gate_original_fields)
{
	static const char *const kv[] = { "log", "{\"msg\":\"x\"}", "stream",
	    "stderr" };
	static const size_t	 lens[] = { 11, 6 };
	static const char *const kv2[] = { "log", "{\"msg\":\"x\"}", "stream",
	    "stdout" };

	build("<filter k.**>\n  @type parser\n  key_name log\n"
	    "  reserve_data true\n  <parse>\n    @type json\n  </parse>\n"
	    "</filter>\n<filter k.**>\n  @type grep\n  <regexp>\n"
	    "    key stream\n    pattern /^stderr$/\n  </regexp>\n</filter>\n"
	    "<match k.**>\n  @type null\n</match>\n");
	ck_assert(feed_fields("k.a", RT_NS, 0, kv, lens, 2));
	ck_assert_str_eq(last(), "{\"log\":\"{\\\"msg\\\":\\\"x\\\"}\","
	    "\"stream\":\"stderr\",\"msg\":\"x\"}");
	ck_assert(!feed_fields("k.a", RT_NS, 0, kv2, lens, 2));
	/* A parsed stream replaces the original, and decides. */
	ck_assert(!feed("k.a", "{\"stream\":\"stdout\"}"));
	ck_assert(feed("k.a", "{\"stream\":\"stderr\"}"));
	ck_assert_uint_eq(pl->stats.dropped[DROP_GREP], 2);
}
END_TEST

/* --- routing ------------------------------------------------------------- */

START_TEST(test_route_first_match)
{
	build("<filter a.**>\n  @type spire\n  component C\n"
	    "  timestamp_key \"\"\n</filter>\n"
	    "<match a.b>\n  @type null\n</match>\n"
	    "<filter a.**>\n  @type grep\n  <regexp>\n    key nothing\n"
	    "    pattern /./\n  </regexp>\n</filter>\n"
	    "<match **>\n  @type null\n</match>\n");
	/* a.b stops at its <match>: the grep after it never sees it. */
	ck_assert(feed("a.b", "x"));
	ck_assert_str_eq(last(), "{\"log\":\"x\",\"stream\":\"stdout\","
	    "\"time\":\"" RT "\",\"component\":\"C\"}");
	/* a.c goes on to the grep, which drops it. */
	ck_assert(!feed("a.c", "x"));
	ck_assert_uint_eq(pl->stats.dropped[DROP_GREP], 1);
	/* z is not a.**: no filter at all. */
	ck_assert(feed("z", "y"));
	ck_assert_str_eq(last(), "{\"log\":\"y\",\"stream\":\"stdout\","
	    "\"time\":\"" RT "\"}");
}
END_TEST

START_TEST(test_route_unmatched)
{
	build("<filter **>\n  @type spire\n</filter>\n"
	    "<match a.**>\n  @type null\n</match>\n");
	ck_assert(!feed("b.x", "x"));
	ck_assert(!feed("b.x", "y"));
	ck_assert(!feed("c", "y"));
	ck_assert_uint_eq(pl->stats.dropped[DROP_UNMATCHED], 3);
	ck_assert_uint_eq(pl->stats.dropped[DROP_GREP], 0);
	ck_assert_uint_eq(b.nrecs, 0);
	ck_assert_uint_eq(b.nfields, 0);
	ck_assert(feed("a.x", "z"));
	ck_assert_uint_eq(b.nrecs, 1);
}
END_TEST

START_TEST(test_route_cache)
{
	struct route	*r1, *r2;
	char		 tag[32];
	int		 i;

	build("<match **>\n  @type null\n</match>\n");
	r1 = pipeline_route(pl, FIELD_STR("a.b"));
	for (i = 0; i < 100; i++) {
		snprintf(tag, sizeof tag, "tag.%d", i);
		ck_assert_ptr_nonnull(pipeline_route(pl, tag, strlen(tag)));
	}
	r2 = pipeline_route(pl, FIELD_STR("a.b"));
	ck_assert_ptr_eq(r1, r2);
	ck_assert_uint_eq(pl->nroutes, 101);
	ck_assert_ptr_eq(pipeline_route(pl, "tag.7xyz", 5),
	    pipeline_route(pl, FIELD_STR("tag.7")));
	ck_assert_str_eq(r1->tag, "a.b");
}
END_TEST

START_TEST(test_route_deliver)
{
	struct route	*rt;

	build("<match **>\n  @type null\n</match>\n");
	rt = pipeline_route(pl, FIELD_STR("a"));
	ck_assert_int_eq(route_deliver(rt, &b, &e), 0);	/* nothing yet */
	ck_assert(feed("a", "1"));
	ck_assert(feed("a", "2"));
	ck_assert_int_eq(route_deliver(rt, &b, &e), 0);
	ck_assert_uint_eq(pl->stats.records_out, 2);
	ck_assert_uint_eq(rt->out->records, 2);
	ck_assert_str_eq(b.tag, "a");
}
END_TEST

/* --- error events and <label @ERROR> ------------------------------------ */

/* A json parser (opts added), null outputs; @ERROR drops "drop-me". */
static void
error_conf(const char *opts, bool with_label)
{
	char	 text[4096];

	snprintf(text, sizeof text, "<filter k.**>\n  @type parser\n"
	    "  key_name log\n%s  <parse>\n    @type json\n  </parse>\n"
	    "</filter>\n<match k.**>\n  @type null\n</match>\n%s", opts,
	    with_label ? "<label @ERROR>\n  <filter k.**>\n    @type grep\n"
	    "    <exclude>\n      key log\n      pattern /drop-me/\n"
	    "    </exclude>\n  </filter>\n  <match k.**>\n    @type null\n"
	    "  </match>\n</label>\n" : "");
	build(text);
}

/* The error events waiting on the route of k.a, as JSON lines. */
static const char *
waiting_errors(void)
{
	struct route	*rt = pipeline_route(pl, FIELD_STR("k.a"));
	size_t		 i;

	sb_reset(&sb);
	for (i = 0; rt->errs != NULL && i < rt->errs->nrecs; i++) {
		ck_assert(rt->errs->recs[i].flags & REC_ERROR_COPY);
		ck_assert(!(rt->errs->recs[i].flags & REC_ERROR_EVENT));
		json_put_record(&sb, rt->errs, &rt->errs->recs[i]);
		sb_addc(&sb, '\n');
	}
	return sb_cstr(&sb);
}

START_TEST(test_error_label_moves)
{
	struct route	*rt;

	error_conf("", true);
	rt = pipeline_route(pl, FIELD_STR("k.a"));
	ck_assert(feed("k.a", "{\"a\":1}"));
	ck_assert(!feed("k.a", "{bad"));
	ck_assert(!feed("k.a", "{drop-me"));
	ck_assert_uint_eq(b.nrecs, 1);
	ck_assert_str_eq(waiting_errors(), ORIG("\"{bad\"")
	    ",\"parse_error\":\"syntax\"}\n");
	ck_assert_uint_eq(pl->stats.error_events, 2);
	/* Gone to @ERROR is not dropped; @ERROR's own grep is. */
	ck_assert_uint_eq(pl->stats.dropped[DROP_GREP], 1);
	ck_assert_uint_eq(stats_dropped_total(&pl->stats), 1);
	ck_assert_uint_eq(pl->stats.bad[BAD_SYNTAX], 2);
	ck_assert_int_eq(route_deliver(rt, &b, &e), 0);
	ck_assert_uint_eq(rt->out->records, 1);
	ck_assert_ptr_nonnull(rt->err);
	ck_assert_ptr_eq(rt->err->label, pl->error_label);
	ck_assert_uint_eq(rt->err->out->records, 1);
	ck_assert_uint_eq(rt->errs->nrecs, 0);
	ck_assert_uint_eq(pl->stats.records_out, 2);
}
END_TEST

START_TEST(test_error_label_reserve_data)
{
	static const char *const kv[] = { "msg", "no log here" };
	static const size_t	 lens[] = { 11 };

	error_conf("  reserve_data true\n", true);
	KEPT("k.a", "{bad", ORIG("\"{bad\"") ",\"parse_error\":\"syntax\"}");
	/* A missing key_name is an error event too. */
	ck_assert(feed_fields("k.a", RT_NS, 0, kv, lens, 1));
	ck_assert_str_eq(last(), "{\"msg\":\"no log here\"}");
	ck_assert_str_eq(waiting_errors(), ORIG("\"{bad\"")
	    ",\"parse_error\":\"syntax\"}\n{\"msg\":\"no log here\"}\n");
	ck_assert_uint_eq(pl->stats.error_events, 2);
	ck_assert_uint_eq(b.recs[0].flags & (REC_ERROR_EVENT | REC_ERROR_ONLY |
	    REC_ERROR_COPY), 0);
}
END_TEST

/* Without @ERROR, or with emit_invalid_record_to_error false: kept. */
START_TEST(test_error_label_absent)
{
	error_conf("", false);
	KEPT("k.a", "{bad", ORIG("\"{bad\"") ",\"parse_error\":\"syntax\"}");
	ck_assert_str_eq(waiting_errors(), "");
	error_conf("  emit_invalid_record_to_error false\n", true);
	KEPT("k.a", "{bad", ORIG("\"{bad\"") ",\"parse_error\":\"syntax\"}");
	ck_assert_str_eq(waiting_errors(), "");
	ck_assert_uint_eq(pl->stats.error_events, 0);
	ck_assert_uint_eq(last_rec()->flags & (REC_ERROR_EVENT |
	    REC_ERROR_ONLY), 0);
}
END_TEST

/* A parser failing inside @ERROR keeps the record there: no loop. */
START_TEST(test_error_label_no_loop)
{
	struct route	*rt;

	build("<match k.**>\n  @type null\n</match>\n<label @ERROR>\n"
	    "  <filter k.**>\n    @type parser\n    key_name log\n"
	    "    <parse>\n      @type json\n    </parse>\n  </filter>\n"
	    "  <match k.**>\n    @type null\n  </match>\n</label>\n");
	rt = pipeline_route_label(pl, pl->error_label, FIELD_STR("k.a"));
	batch_begin(&b);
	batch_add(&b, FIELD_STR("log"), FIELD_STR("{bad"), VAL_STRING);
	ck_assert(route_run(rt, &b));
	ck_assert_str_eq(last(), "{\"log\":\"{bad\",\"parse_error\":"
	    "\"syntax\"}");
	ck_assert_ptr_null(rt->errs);
	ck_assert_uint_eq(pl->stats.error_events, 0);
}
END_TEST

/* The copy has its own deterministic id; a refused delivery forgets the
 * waiting error events, which the lines read again will make anew. */
START_TEST(test_error_label_ids_and_failure)
{
	char		 id1[SOURCE_ID_LEN + 1], id2[SOURCE_ID_LEN + 1];
	struct route	*rt;
	struct record	*r;

	build("<filter k.**>\n  @type parser\n  key_name log\n"
	    "  reserve_data true\n  <parse>\n    @type json\n  </parse>\n"
	    "</filter>\n<match k.**>\n  @type null\n</match>\n"
	    "<label @ERROR>\n  <match **>\n    @type file\n"
	    "    path /dev/null/x.log\n  </match>\n</label>\n");
	rt = pipeline_route(pl, FIELD_STR("k.a"));
	b.origin = "x.log";
	b.originlen = 5;
	r = batch_begin(&b);
	r->source_id = 42;
	r->offset = 7;
	batch_add(&b, FIELD_STR("log"), FIELD_STR("{bad"), VAL_STRING);
	ck_assert(route_run(rt, &b));
	ck_assert(source_id(&b, &b.recs[0], id1));
	ck_assert_uint_eq(rt->errs->recs[0].offset, 7);
	rt->errs->origin = b.origin;
	rt->errs->originlen = b.originlen;
	ck_assert(source_id(rt->errs, &rt->errs->recs[0], id2));
	ck_assert_str_ne(id1, id2);
	ck_assert_int_eq(strncmp(id1 + 16, id2 + 16, 16), 0);
	ck_assert_int_eq(route_deliver(rt, &b, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "/dev/null/x.log"));
	ck_assert_uint_eq(rt->errs->nrecs, 0);
	ck_assert_uint_eq(rt->out->records, 0);
}
END_TEST

/* What the build writes on standard error. */
static char *
build_stderr(const char *text)
{
	FILE	*f = tmpfile();
	int	 saved = dup(2);
	long	 n;
	char	*out;

	ck_assert_ptr_nonnull(f);
	dup2(fileno(f), 2);
	build(text);
	dup2(saved, 2);
	close(saved);
	n = ftell(f);
	out = xcalloc(1, (size_t)n + 1);
	rewind(f);
	ck_assert_uint_eq(fread(out, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return out;
}

#define UNSUPPORTED	"<source>\n  @type systemd\n</source>\n"	\
	"<match k.**>\n  @type kafka9\n</match>\n"			\
	"<match k.**>\n  @type null\n</match>\n"

/*
 * <system> skip_unsupported true is --skip-unsupported: the directives of
 * types the shipper lacks are skipped with a warning each, the rest runs
 * (k.a goes to the null output, not to the kafka9 one before it).
 */
START_TEST(test_system_skip_unsupported)
{
	struct route	*rt;
	char		*err;

	log_set_level(LOG_INFO);
	err = build_stderr("<system>\n  skip_unsupported true\n</system>\n"
	    UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(err, "[warn] test.conf:4: <source> "
	    "@type systemd is not supported by the shipper: skipped\n"));
	ck_assert_ptr_nonnull(strstr(err, "[warn] test.conf:7: <match k.**> "
	    "@type kafka9 is not supported by the shipper: skipped\n"));
	free(err);
	rt = pipeline_route(pl, "k.a", 3);
	ck_assert_ptr_nonnull(rt->out);
	ck_assert_str_eq(rt->out->ops->name, "null");
	ck_assert_int_eq(rt->out->line, 10);
	/* false, or another <system> without it: all listed, one error. */
	build_fails("<system>\n  skip_unsupported false\n</system>\n"
	    UNSUPPORTED, "2 directives of plugin types the shipper does not "
	    "implement:\n  test.conf:4: <source> @type systemd\n"
	    "  test.conf:7: <match k.**> @type kafka9\nremove them, or run "
	    "with --skip-unsupported (or <system> skip_unsupported true) to "
	    "skip them");
	/* A value that is no boolean is said as such, not as that list. */
	build_fails("<system>\n  skip_unsupported maybe\n</system>\n"
	    UNSUPPORTED, "test.conf:2: <system>, parameter "
	    "'skip_unsupported': 'maybe' is not true or false");
	/* Two: Fluentd's error, not the second resetting the first. */
	build_fails("<system>\n  skip_unsupported true\n</system>\n"
	    "<system>\n  log_level info\n</system>\n" UNSUPPORTED,
	    "test.conf:4: <system> is duplicated (the first is at "
	    "test.conf:1): Fluentd takes only one; merge their parameters "
	    "into one");
}
END_TEST

START_TEST(test_pipeline_errors)
{
	build_fails("x 1\n", "test.conf:1: parameter 'x' outside of any "
	    "directive; put it inside <source>, <filter>, <match> or "
	    "<system>");
	build_fails("<filter **>\n  @type nope\n</filter>\n", "test.conf:1: "
	    "unknown @type 'nope' in <filter>; valid types: parser, grep, "
	    "spire, kubernetes_metadata");
	build_fails("<filter **>\n  @type spire\n  nomalize_level true\n"
	    "</filter>\n", "test.conf:3: unknown parameter 'nomalize_level' in "
	    "<filter **> @type spire; did you mean 'normalize_level'? Valid "
	    "parameters: normalize_level, level_key, keep_audit, component, "
	    "component_key, timestamp_key, map_fields, security_events, "
	    "security_event_key, audit_exclude_agent_sync");
	build_fails("<filter **>\n  @type spire\n  @label @X\n</filter>\n",
	    "test.conf:3: unknown parameter '@label' in <filter **> @type "
	    "spire; valid: @type, @id, @log_level");
	build_fails("<label X>\n</label>\n", "test.conf:1: <label X>: a label "
	    "name starts with '@', as in <label @X>");
	build_fails("<source>\n  @type tail\n  path /x\n  @label @NOPE\n"
	    "</source>\n", "test.conf:4: @label @NOPE: there is no <label "
	    "@NOPE> in the configuration");
	build_fails("<label @X>\n  <source>\n  </source>\n</label>\n",
	    "test.conf:2: <source> in <label @X>: a label holds only <filter> "
	    "and <match>");
	build_fails("<source>\n  @type systemd\n</source>\n<match **>\n"
	    "  @type kafka9\n</match>\n", "2 directives of plugin types the "
	    "shipper does not implement:\n  test.conf:1: <source> @type "
	    "systemd\n  test.conf:4: <match **> @type kafka9\nremove them, or "
	    "run with --skip-unsupported (or <system> skip_unsupported true) "
	    "to skip them");
	build_fails("<filter a.{b>\n  @type spire\n  keep_audit maybe\n"
	    "</filter>\n", "test.conf:3: <filter a.{b> @type spire, parameter "
	    "'keep_audit': 'maybe' is not true or false");
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("filters");
	TCase	*tp = tcase_create("parser");
	TCase	*tg = tcase_create("grep");
	TCase	*ts = tcase_create("spire");
	TCase	*tq = tcase_create("gate");
	TCase	*tr = tcase_create("route");

	tcase_add_checked_fixture(tp, setup, teardown);
	tcase_add_test(tp, test_json_replace);
	tcase_add_test(tp, test_json_reserve_data);
	tcase_add_test(tp, test_remove_key_name_field);
	tcase_add_test(tp, test_inject_key_prefix);
	tcase_add_test(tp, test_hash_value_field);
	tcase_add_test(tp, test_reserve_time);
	tcase_add_test(tp, test_keep_time_key);
	tcase_add_test(tp, test_time_format_spire);
	tcase_add_test(tp, test_time_key_and_types);
	tcase_add_loop_test(tp, test_parse_error_kinds, 0,
	    (int)(sizeof bad_cases / sizeof bad_cases[0]));
	tcase_add_test(tp, test_parse_error_no_reserve);
	tcase_add_test(tp, test_deep_nesting_limit);
	tcase_add_test(tp, test_replace_invalid_sequence);
	tcase_add_test(tp, test_missing_key_name);
	tcase_add_test(tp, test_logfmt);
	tcase_add_test(tp, test_regexp_groups);
	tcase_add_test(tp, test_regexp_flags);
	tcase_add_test(tp, test_none);
	tcase_add_test(tp, test_multi_format);
	tcase_add_test(tp, test_multi_format_times);
	tcase_add_test(tp, test_parser_config_errors);
	suite_add_tcase(s, tp);

	tcase_add_checked_fixture(tg, setup, teardown);
	tcase_add_test(tg, test_grep_regexp_and);
	tcase_add_test(tg, test_grep_exclude_or);
	tcase_add_test(tg, test_grep_regexp_and_exclude);
	tcase_add_test(tg, test_grep_and_block);
	tcase_add_test(tg, test_grep_or_block);
	tcase_add_test(tg, test_grep_missing_key);
	tcase_add_test(tg, test_grep_flags);
	tcase_add_test(tg, test_grep_accessors);
	tcase_add_test(tg, test_grep_config_errors);
	suite_add_tcase(s, tg);

	tcase_add_checked_fixture(ts, setup, teardown);
	tcase_add_loop_test(ts, test_spire_levels, 0,
	    (int)(sizeof levels / sizeof levels[0]));
	tcase_add_test(ts, test_spire_level_other);
	tcase_add_test(ts, test_spire_component);
	tcase_add_test(ts, test_spire_timestamp);
	tcase_add_test(ts, test_spire_attestor);
	tcase_add_test(ts, test_spire_spiffe_id);
	tcase_add_test(ts, test_spire_metrics);
	tcase_add_test(ts, test_spire_metrics_accessor);
	tcase_add_test(ts, test_spire_keep_audit);
	tcase_add_test(ts, test_spire_security_events);
	tcase_add_test(ts, test_spire_event_labels);
	tcase_add_test(ts, test_spire_audit_agent_sync);
	suite_add_tcase(s, ts);

	tcase_add_checked_fixture(tq, setup, teardown);
	tcase_add_test(tq, test_gate_same_records);
	tcase_add_test(tq, test_gate_same_records_no_audit);
	tcase_add_test(tq, test_gate_per_route);
	tcase_add_test(tq, test_gate_parse_error_grep);
	tcase_add_test(tq, test_gate_missing_parser_key);
	tcase_add_test(tq, test_gate_original_fields);
	suite_add_tcase(s, tq);

	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_add_test(tr, test_route_first_match);
	tcase_add_test(tr, test_route_unmatched);
	tcase_add_test(tr, test_route_cache);
	tcase_add_test(tr, test_route_deliver);
	tcase_add_test(tr, test_error_label_moves);
	tcase_add_test(tr, test_error_label_reserve_data);
	tcase_add_test(tr, test_error_label_absent);
	tcase_add_test(tr, test_error_label_no_loop);
	tcase_add_test(tr, test_error_label_ids_and_failure);
	tcase_add_test(tr, test_pipeline_errors);
	tcase_add_test(tr, test_system_skip_unsupported);
	suite_add_tcase(s, tr);
	return s;
}

#include "check_main.h"
