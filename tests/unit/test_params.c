/*
 * test_params.c — parameter tables: loading, defaults, every type,
 * errors, --dry-run's listing and the reference.
 *
 * One table here has a row of each type; the configuration trees come
 * from conf_load_string, so every message is asserted exactly as a user
 * would read it, file:line first. A wrong message is a wrong answer.
 */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "params.h"
#include "strbuf.h"

struct tcfg {
	char			*str;
	long long		 num;
	unsigned long long	 size;
	double			 interval;
	bool			 flag;
	double			 ratio;
	int			 mode;
	char			**paths;
	char			**labels;
	char			*password;
	bool			 legacy;
	char			*empty_def;
};

static const char *const modes[] = { "fast", "slow", "off", NULL };

#define T(field)	offsetof(struct tcfg, field)
static const struct param_def defs[] = {
	{ .name = "str", .type = PARAM_STRING, .def = "dflt",
	  .offset = T(str), .help = "a string" },
	{ .name = "num", .type = PARAM_INT, .def = "8", .offset = T(num),
	  .help = "an integer" },
	{ .name = "size", .type = PARAM_SIZE, .def = "2M", .offset = T(size),
	  .help = "a size" },
	{ .name = "interval", .type = PARAM_TIME, .def = "5s",
	  .offset = T(interval), .help = "a duration" },
	{ .name = "flag", .type = PARAM_BOOL, .def = "false",
	  .offset = T(flag), .help = "a bool" },
	{ .name = "ratio", .type = PARAM_FLOAT, .def = "0.5",
	  .offset = T(ratio), .help = "a float" },
	{ .name = "mode", .type = PARAM_ENUM, .def = "fast", .choices = modes,
	  .offset = T(mode), .help = "an enum" },
	{ .name = "paths", .type = PARAM_ARRAY, .offset = T(paths),
	  .help = "an array" },
	{ .name = "labels", .type = PARAM_HASH, .offset = T(labels),
	  .help = "a hash" },
	{ .name = "password", .type = PARAM_STRING, .flags = PARAM_SECRET,
	  .offset = T(password), .help = "a secret" },
	{ .name = "legacy", .type = PARAM_BOOL, .def = "true",
	  .flags = PARAM_NOOP, .offset = T(legacy), .help = "ignored" },
	{ .name = "empty_def", .type = PARAM_STRING, .def = "",
	  .offset = T(empty_def), .help = "empty by default" },
	PARAMS_END
};

static const struct param_def req_defs[] = {
	{ .name = "key_name", .type = PARAM_STRING, .flags = PARAM_REQUIRED,
	  .offset = T(str), .help = "field to parse, e.g. log" },
	{ .name = "num", .type = PARAM_INT, .flags = PARAM_REQUIRED,
	  .offset = T(num), .help = "how many" },
	PARAMS_END
};

static const struct param_def none_defs[] = { PARAMS_END };

static const struct param_def bad_default[] = {
	{ .name = "n", .type = PARAM_INT, .def = "eight", .offset = T(num),
	  .help = "broken" },
	PARAMS_END
};
#undef T

#define WHAT	"<source> @type t"
#define VALID	"str, num, size, interval, flag, ratio, mode, paths, " \
	"labels, password, legacy, empty_def"

static struct conf	 c;
static struct err	 e;
static struct tcfg	 cfg;
static struct strbuf	 sb;

static void
setup(void)
{
	memset(&c, 0, sizeof c);
	memset(&e, 0, sizeof e);
	memset(&cfg, 0, sizeof cfg);
	memset(&sb, 0, sizeof sb);
}

static void
teardown(void)
{
	params_free(defs, &cfg);
	conf_free(&c);
	sb_free(&sb);
}

/* The first element of a configuration text. */
static struct conf_elem *
elem(const char *text)
{
	conf_free(&c);			/* the previous one, if any */
	if (conf_load_string(&c, text, "x.conf", &e) != 0)
		ck_abort_msg("config: %s", e.msg);
	ck_assert_uint_ge(c.root.nelems, 1);
	return &c.root.elems[0];
}

/* Applies defs to `<source>\n<body></source>` (body from line 2 on). */
static int
apply(const char *body)
{
	char	 text[4096];

	snprintf(text, sizeof text, "<source>\n%s</source>\n", body);
	return params_apply(defs, elem(text), &cfg, WHAT, &e);
}

static void
apply_ok(const char *body)
{
	if (apply(body) != 0)
		ck_abort_msg("unexpected error: %s", e.msg);
}

static void
apply_fails(const char *body, const char *msg)
{
	ck_assert_int_eq(apply(body), -1);
	ck_assert_str_eq(e.msg, msg);
}

/* A one-line body setting name to value; the error is then on line 2. */
static void
value_fails(const char *name, const char *value, const char *why)
{
	char	 body[512], msg[1024];

	snprintf(body, sizeof body, "%s %s\n", name, value);
	snprintf(msg, sizeof msg, "x.conf:2: " WHAT ", parameter '%s': %s",
	    name, why);
	params_free(defs, &cfg);
	memset(&cfg, 0, sizeof cfg);
	apply_fails(body, msg);
}

static void
value_ok(const char *name, const char *value)
{
	char	 body[512];

	snprintf(body, sizeof body, "%s %s\n", name, value);
	params_free(defs, &cfg);
	memset(&cfg, 0, sizeof cfg);
	apply_ok(body);
}

static void
assert_strv(char *const *v, const char *const *want, size_t n)
{
	size_t	 i;

	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(conf_strv_len(v), n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(v[i], want[i]);
}

#define ASSERT_STRV(v, ...) do {					\
	static const char *const w_[] = { __VA_ARGS__ };		\
	assert_strv((v), w_, sizeof w_ / sizeof w_[0]);			\
} while (0)

/* --- defaults ------------------------------------------------------------ */

START_TEST(test_defaults)
{
	apply_ok("");
	ck_assert_str_eq(cfg.str, "dflt");
	ck_assert_int_eq(cfg.num, 8);
	ck_assert_uint_eq(cfg.size, 2 * 1024 * 1024);
	ck_assert_double_eq(cfg.interval, 5);
	ck_assert(!cfg.flag);
	ck_assert_double_eq(cfg.ratio, 0.5);
	ck_assert_int_eq(cfg.mode, 0);
	ck_assert_ptr_null(cfg.paths);
	ck_assert_ptr_null(cfg.labels);
	ck_assert_ptr_null(cfg.password);
	ck_assert(cfg.legacy);
	ck_assert_str_eq(cfg.empty_def, "");
}
END_TEST

START_TEST(test_params_defaults_only)
{
	ck_assert_int_eq(params_defaults(defs, &cfg, &e), 0);
	ck_assert_str_eq(cfg.str, "dflt");
	ck_assert_int_eq(cfg.num, 8);
	ck_assert_int_eq(params_defaults(bad_default, &cfg, &e), -1);
	ck_assert_str_eq(e.msg, "built-in default of 'n': 'eight' is not an "
	    "integer, e.g. 8");
}
END_TEST

START_TEST(test_values_override)
{
	size_t	 i;

	apply_ok("str hello world\nnum -3\nsize 512k\ninterval 250ms\n"
	    "flag true\nratio 1e3\nmode off\npaths a,b\nlabels k:v\n"
	    "password s3cr3t\nlegacy false\n");
	ck_assert_str_eq(cfg.str, "hello world");
	ck_assert_int_eq(cfg.num, -3);
	ck_assert_uint_eq(cfg.size, 512 * 1024);
	ck_assert_double_eq(cfg.interval, 0.25);
	ck_assert(cfg.flag);
	ck_assert_double_eq(cfg.ratio, 1000);
	ck_assert_int_eq(cfg.mode, 2);
	ASSERT_STRV(cfg.paths, "a", "b");
	ASSERT_STRV(cfg.labels, "k", "v");
	ck_assert_str_eq(cfg.password, "s3cr3t");
	ck_assert(!cfg.legacy);		/* accepted, stored, no effect */
	/* Every parameter is marked as taken. */
	for (i = 0; i < c.root.elems[0].nparams; i++)
		ck_assert(c.root.elems[0].params[i].used);
}
END_TEST

/* A parameter given twice: the last one counts (and nothing leaks). */
START_TEST(test_repeated)
{
	apply_ok("str one\nstr two\npaths a\npaths b,c\nnum 1\nnum 2\n");
	ck_assert_str_eq(cfg.str, "two");
	ASSERT_STRV(cfg.paths, "b", "c");
	ck_assert_int_eq(cfg.num, 2);
}
END_TEST

START_TEST(test_quoted_values)
{
	apply_ok("str \"a \\\"q\\\" b\"\nempty_def ''\npaths [\"x y\", 1, "
	    "true]\n");
	ck_assert_str_eq(cfg.str, "a \"q\" b");
	ck_assert_str_eq(cfg.empty_def, "");
	ASSERT_STRV(cfg.paths, "x y", "1", "true");
}
END_TEST

/* --- each type, good and bad --------------------------------------------- */

START_TEST(test_int)
{
	value_ok("num", "0");
	ck_assert_int_eq(cfg.num, 0);
	value_ok("num", "+4");
	ck_assert_int_eq(cfg.num, 4);
	value_ok("num", "9223372036854775807");
	ck_assert_int_eq(cfg.num, 9223372036854775807LL);
	value_ok("num", "-9223372036854775808");
	ck_assert(cfg.num < 0);
	value_fails("num", "abc", "'abc' is not an integer, e.g. 8");
	value_fails("num", "1.5", "'1.5' is not an integer, e.g. 8");
	value_fails("num", "0x10", "'0x10' is not an integer, e.g. 8");
	value_fails("num", "12a", "'12a' is not an integer, e.g. 8");
	value_fails("num", "1e3", "'1e3' is not an integer, e.g. 8");
	value_fails("num", "9223372036854775808", "'9223372036854775808' is "
	    "not an integer, e.g. 8");
	value_fails("num", "''", "'' is not an integer, e.g. 8");
}
END_TEST

START_TEST(test_size)
{
	static const struct {
		const char		*in;
		unsigned long long	 out;
	} good[] = {
		{ "100", 100 }, { "0", 0 }, { "512k", 512 * 1024 },
		{ "512K", 512 * 1024 }, { "2m", 2 << 20 }, { "2MB", 2 << 20 },
		{ "1g", 1ULL << 30 }, { "1t", 1ULL << 40 },
		{ "1.5k", 1536 }, { "0.5m", 512 * 1024 },
	};
	size_t	 i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		value_ok("size", good[i].in);
		ck_assert_msg(cfg.size == good[i].out, "%s: %llu", good[i].in,
		    cfg.size);
	}
	value_fails("size", "2X", "'2X' is not a size, e.g. 2M, 512k or 1g");
	value_fails("size", "-1", "'-1' is not a size, e.g. 2M, 512k or 1g");
	value_fails("size", "1.5", "'1.5' is not a size, e.g. 2M, 512k or "
	    "1g");
	value_fails("size", "k", "'k' is not a size, e.g. 2M, 512k or 1g");
	value_fails("size", "2MBB", "'2MBB' is not a size, e.g. 2M, 512k or "
	    "1g");
	value_fails("size", "20000000t", "'20000000t' is not a size, e.g. 2M, "
	    "512k or 1g");
}
END_TEST

START_TEST(test_time)
{
	static const struct {
		const char	*in;
		double		 out;
	} good[] = {
		{ "5s", 5 }, { "1m", 60 }, { "1h", 3600 }, { "1d", 86400 },
		{ "0.5", 0.5 }, { "250ms", 0.25 }, { "30", 30 }, { "1.5h", 5400 },
	};
	size_t	 i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		value_ok("interval", good[i].in);
		ck_assert_msg(cfg.interval == good[i].out, "%s: %g", good[i].in,
		    cfg.interval);
	}
	value_fails("interval", "5x", "'5x' is not a duration, e.g. 5s, 1m, "
	    "1h or 0.5");
	value_fails("interval", "s", "'s' is not a duration, e.g. 5s, 1m, 1h "
	    "or 0.5");
	value_fails("interval", "5 s", "'5 s' is not a duration, e.g. 5s, 1m, "
	    "1h or 0.5");
	value_fails("interval", "''", "'' is not a duration, e.g. 5s, 1m, 1h "
	    "or 0.5");
}
END_TEST

START_TEST(test_bool)
{
	value_ok("flag", "true");
	ck_assert(cfg.flag);
	value_ok("flag", "no");
	ck_assert(!cfg.flag);
	value_ok("flag", "yes");
	ck_assert(cfg.flag);
	value_ok("flag", "false");
	ck_assert(!cfg.flag);
	/* A bare key is true, as in Fluentd. */
	params_free(defs, &cfg);
	memset(&cfg, 0, sizeof cfg);
	apply_ok("flag\n");
	ck_assert(cfg.flag);
	value_fails("flag", "TRUE", "'TRUE' is not true or false");
	value_fails("flag", "1", "'1' is not true or false");
	value_fails("flag", "on", "'on' is not true or false");
}
END_TEST

START_TEST(test_float)
{
	value_ok("ratio", "-2");
	ck_assert_double_eq(cfg.ratio, -2);
	value_ok("ratio", "2.5E-1");
	ck_assert_double_eq(cfg.ratio, 0.25);
	value_fails("ratio", "abc", "'abc' is not a number, e.g. 0.5");
	value_fails("ratio", "1e999", "'1e999' is not a number, e.g. 0.5");
	value_fails("ratio", "nan", "'nan' is not a number, e.g. 0.5");
	value_fails("ratio", ".5", "'.5' is not a number, e.g. 0.5");
	value_fails("ratio", "1,5", "'1,5' is not a number, e.g. 0.5");
}
END_TEST

START_TEST(test_enum)
{
	value_ok("mode", "slow");
	ck_assert_int_eq(cfg.mode, 1);
	value_fails("mode", "medium", "'medium' is not one of: fast, slow, "
	    "off");
	value_fails("mode", "FAST", "'FAST' is not one of: fast, slow, off");
	value_fails("mode", "''", "'' is not one of: fast, slow, off");
}
END_TEST

START_TEST(test_array)
{
	value_ok("paths", " a , b ,c ");
	ASSERT_STRV(cfg.paths, "a", "b", "c");
	value_ok("paths", "a,,b,,");		/* Ruby drops trailing empties */
	ASSERT_STRV(cfg.paths, "a", "", "b");
	value_ok("paths", "[\"/var/log/*.log\", 2.5, false]");
	ASSERT_STRV(cfg.paths, "/var/log/*.log", "2.5", "false");
	value_ok("paths", "[]");
	ck_assert_uint_eq(conf_strv_len(cfg.paths), 0);
	value_ok("paths", "''");
	ck_assert_uint_eq(conf_strv_len(cfg.paths), 0);
	value_fails("paths", "[1, [2]]", "array item 2 is an array; items "
	    "must be strings or numbers");
	value_fails("paths", "[null]", "array item 1 is null; items must be "
	    "strings or numbers");
	value_fails("paths", "[{\"a\":1}]", "array item 1 is a hash; items "
	    "must be strings or numbers");
	/* Quoted, so the reader does not check it as JSON first. */
	value_fails("paths", "\"[1,\"", "invalid JSON array: premature EOF");
}
END_TEST

START_TEST(test_hash)
{
	value_ok("labels", "k1:v1, k2 : v2");
	ASSERT_STRV(cfg.labels, "k1", "v1", "k2", "v2");
	value_ok("labels", "a:1,b:x:y");	/* the first colon splits */
	ASSERT_STRV(cfg.labels, "a", "1", "b", "x:y");
	value_ok("labels", "a:1,b:2,a:3");	/* last value, first place */
	ASSERT_STRV(cfg.labels, "a", "3", "b", "2");
	value_ok("labels", "{\"a\":\"1\",\"b\":2,\"c\":true,\"a\":\"4\"}");
	ASSERT_STRV(cfg.labels, "a", "4", "b", "2", "c", "true");
	value_ok("labels", "{}");
	ck_assert_uint_eq(conf_strv_len(cfg.labels), 0);
	value_fails("labels", "novalue", "hash item 'novalue' has no ':' "
	    "(expected key1:value1,key2:value2 or a JSON hash)");
	value_fails("labels", "a:1,b", "hash item 'b' has no ':' (expected "
	    "key1:value1,key2:value2 or a JSON hash)");
	value_fails("labels", "{\"a\":[1]}", "hash value of 'a' is an array; "
	    "values must be strings or numbers");
	value_fails("labels", "{\"a\":{\"b\":1}}", "hash value of 'a' is a "
	    "hash; values must be strings or numbers");
	value_fails("labels", "{\"a\":null}", "hash value of 'a' is null; "
	    "values must be strings or numbers");
}
END_TEST

START_TEST(test_string_any)
{
	value_ok("str", "''");
	ck_assert_str_eq(cfg.str, "");
	value_ok("str", "123");
	ck_assert_str_eq(cfg.str, "123");
	value_ok("str", "\"#{ENV['TEST_PARAMS_UNSET'] || 'fallback'}\"");
	ck_assert_str_eq(cfg.str, "fallback");
}
END_TEST

/* --- unknown, required, sections ---------------------------------------- */

START_TEST(test_unknown_did_you_mean)
{
	apply_fails("str x\nnmu 3\n", "x.conf:3: unknown parameter 'nmu' in "
	    WHAT "; did you mean 'num'? Valid parameters: " VALID);
	apply_fails("intervall 5s\n", "x.conf:2: unknown parameter "
	    "'intervall' in " WHAT "; did you mean 'interval'? Valid "
	    "parameters: " VALID);
	apply_fails("Flag true\n", "x.conf:2: unknown parameter 'Flag' in "
	    WHAT "; did you mean 'flag'? Valid parameters: " VALID);
	apply_fails("pasword x\n", "x.conf:2: unknown parameter 'pasword' in "
	    WHAT "; did you mean 'password'? Valid parameters: " VALID);
}
END_TEST

START_TEST(test_unknown_no_suggestion)
{
	apply_fails("\n\nzzzzzzzz 1\n", "x.conf:4: unknown parameter "
	    "'zzzzzzzz' in " WHAT "; valid parameters: " VALID);
	/* Three edits away is too far to suggest. */
	apply_fails("nxyz 1\n", "x.conf:2: unknown parameter 'nxyz' in " WHAT
	    "; valid parameters: " VALID);
	ck_assert_int_eq(params_apply(none_defs, elem("<a>\nx 1\n</a>\n"),
	    &cfg, "<a>", &e), -1);
	ck_assert_str_eq(e.msg, "x.conf:2: unknown parameter 'x' in <a>; "
	    "valid parameters: none");
}
END_TEST

/* '@' parameters the table does not name, and used ones, are skipped. */
START_TEST(test_skipped_params)
{
	struct conf_elem	*el;

	el = elem("<source>\n@type tail\n@id x\nnum 3\nother 1\n</source>\n");
	el->params[3].used = true;	/* taken by the caller */
	ck_assert_int_eq(params_apply(defs, el, &cfg, WHAT, &e), 0);
	ck_assert_int_eq(cfg.num, 3);
	ck_assert(!el->params[0].used);
	ck_assert(!el->params[1].used);
	ck_assert(el->params[2].used);
}
END_TEST

START_TEST(test_required)
{
	struct conf_elem	*el;

	el = elem("<filter a.**>\n  @type parser\n</filter>\n");
	ck_assert_int_eq(params_apply(req_defs, el, &cfg, "<filter a.**> "
	    "@type parser", &e), -1);
	ck_assert_str_eq(e.msg, "x.conf:1: <filter a.**> @type parser needs "
	    "the parameter 'key_name' (field to parse, e.g. log)");
	params_free(req_defs, &cfg);
	conf_free(&c);

	el = elem("<filter>\nkey_name log\n</filter>\n");
	ck_assert_int_eq(params_apply(req_defs, el, &cfg, "<filter>", &e), -1);
	ck_assert_str_eq(e.msg, "x.conf:1: <filter> needs the parameter 'num' "
	    "(how many)");
	params_free(req_defs, &cfg);
	conf_free(&c);

	/* Given, even empty, is given. */
	el = elem("<filter>\n\n\nkey_name\nnum 2\n</filter>\n");
	ck_assert_int_eq(params_apply(req_defs, el, &cfg, "<filter>", &e), 0);
	ck_assert_str_eq(cfg.str, "");
	ck_assert(params_given(el, "key_name"));
	ck_assert(!params_given(el, "other"));
	ck_assert(!params_given(NULL, "key_name"));
	params_free(req_defs, &cfg);
}
END_TEST

/* A type error is reported before a missing required parameter. */
START_TEST(test_required_after_type_error)
{
	struct conf_elem	*el = elem("<f>\nnum x\n</f>\n");

	ck_assert_int_eq(params_apply(req_defs, el, &cfg, "<f>", &e), -1);
	ck_assert_str_eq(e.msg, "x.conf:2: <f>, parameter 'num': 'x' is not "
	    "an integer, e.g. 8");
	params_free(req_defs, &cfg);
}
END_TEST

/* Messages point at the file a parameter came from, not the top one. */
START_TEST(test_error_line_in_element)
{
	apply_fails("# a comment\n\n  num   notanumber   # trailing\n",
	    "x.conf:4: " WHAT ", parameter 'num': 'notanumber' is not an "
	    "integer, e.g. 8");
}
END_TEST

static const char *const sections_parse[] = { "parse", "pattern", NULL };

START_TEST(test_check_sections)
{
	struct conf_elem	*el;

	el = elem("<source>\n<parse>\n</parse>\n<pattern>\n</pattern>\n"
	    "</source>\n");
	ck_assert_int_eq(params_check_sections(el, sections_parse, WHAT, &e),
	    0);
	conf_free(&c);

	el = elem("<source>\n<parse>\n</parse>\n<buffer>\n</buffer>\n"
	    "</source>\n");
	ck_assert_int_eq(params_check_sections(el, sections_parse, WHAT, &e),
	    -1);
	ck_assert_str_eq(e.msg, "x.conf:4: <buffer> is not valid inside " WHAT
	    "; valid sections: parse, pattern");
	ck_assert_int_eq(params_check_sections(el, NULL, WHAT, &e), -1);
	ck_assert_str_eq(e.msg, "x.conf:2: <parse> is not valid inside " WHAT
	    "; valid sections: none");
	conf_free(&c);

	/* No children: fine whatever is allowed. */
	el = elem("<source>\nnum 1\n</source>\n");
	ck_assert_int_eq(params_check_sections(el, NULL, WHAT, &e), 0);
	ck_assert_int_eq(params_check_sections(el, sections_parse, WHAT, &e),
	    0);
}
END_TEST

/* --- describe and reference ---------------------------------------------- */

START_TEST(test_describe)
{
	apply_ok("password hunter2\npaths a, b\nlabels k:v\nsize 100\n");
	params_describe(defs, &cfg, "  ", &sb);
	ck_assert_str_eq(sb_cstr(&sb),
	    "  str dflt\n"
	    "  num 8\n"
	    "  size 100\n"
	    "  interval 5s\n"
	    "  flag false\n"
	    "  ratio 0.5\n"
	    "  mode fast\n"
	    "  paths [\"a\", \"b\"]\n"
	    "  labels [\"k\", \"v\"]\n"
	    "  password (secret, not shown)\n"
	    "  empty_def \n");
	ck_assert_ptr_null(strstr(sb.buf, "hunter2"));
}
END_TEST

START_TEST(test_describe_unset)
{
	memset(&cfg, 0, sizeof cfg);
	params_describe(defs, &cfg, "", &sb);
	ck_assert_ptr_nonnull(strstr(sb_cstr(&sb), "str (unset)\n"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "paths []\n"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "password (secret, not shown)\n"));
	/* An unset secret is not shown either way. */
	ck_assert_ptr_null(strstr(sb.buf, "password (unset)"));
	ck_assert_ptr_null(strstr(sb.buf, "legacy"));
}
END_TEST

START_TEST(test_reference)
{
	params_reference(defs, "### <source> @type t", &sb);
	ck_assert_str_eq(sb_cstr(&sb),
	    "### <source> @type t\n"
	    "\n"
	    "- `str` (string, default `dflt`): a string\n"
	    "- `num` (integer, default `8`): an integer\n"
	    "- `size` (size, default `2M`): a size\n"
	    "- `interval` (time, default `5s`): a duration\n"
	    "- `flag` (bool, default `false`): a bool\n"
	    "- `ratio` (float, default `0.5`): a float\n"
	    "- `mode` (enum, default `fast`: fast, slow, off): an enum\n"
	    "- `paths` (array): an array\n"
	    "- `labels` (hash): a hash\n"
	    "- `password` (string): a secret\n"
	    "- `legacy` (bool, default `true`) [accepted, no effect]: "
	    "ignored\n"
	    "- `empty_def` (string, default `\"\"`): empty by default\n"
	    "\n");
	sb_reset(&sb);
	params_reference(req_defs, "T", &sb);
	ck_assert_str_eq(sb_cstr(&sb),
	    "T\n\n"
	    "- `key_name` (string, required): field to parse, e.g. log\n"
	    "- `num` (integer, required): how many\n\n");
	sb_reset(&sb);
	params_reference(none_defs, "N", &sb);
	ck_assert_str_eq(sb_cstr(&sb), "N\n\n(no parameters)\n\n");
}
END_TEST

START_TEST(test_type_names)
{
	ck_assert_str_eq(param_type_name(PARAM_STRING), "string");
	ck_assert_str_eq(param_type_name(PARAM_INT), "integer");
	ck_assert_str_eq(param_type_name(PARAM_SIZE), "size");
	ck_assert_str_eq(param_type_name(PARAM_TIME), "time");
	ck_assert_str_eq(param_type_name(PARAM_BOOL), "bool");
	ck_assert_str_eq(param_type_name(PARAM_FLOAT), "float");
	ck_assert_str_eq(param_type_name(PARAM_ENUM), "enum");
	ck_assert_str_eq(param_type_name(PARAM_ARRAY), "array");
	ck_assert_str_eq(param_type_name(PARAM_HASH), "hash");
	ck_assert_str_eq(param_type_name((enum param_type)99), "?");
}
END_TEST

/* params_free leaves pointers NULL, so a second free is harmless. */
START_TEST(test_free_twice)
{
	apply_ok("str x\npaths a\nlabels a:b\npassword p\n");
	params_free(defs, &cfg);
	ck_assert_ptr_null(cfg.str);
	ck_assert_ptr_null(cfg.paths);
	ck_assert_ptr_null(cfg.labels);
	ck_assert_ptr_null(cfg.password);
	params_free(defs, &cfg);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("params");
	TCase	*tl = tcase_create("load");
	TCase	*tt = tcase_create("types");
	TCase	*te = tcase_create("errors");
	TCase	*to = tcase_create("output");

	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_test(tl, test_defaults);
	tcase_add_test(tl, test_params_defaults_only);
	tcase_add_test(tl, test_values_override);
	tcase_add_test(tl, test_repeated);
	tcase_add_test(tl, test_quoted_values);
	tcase_add_test(tl, test_free_twice);
	suite_add_tcase(s, tl);

	tcase_add_checked_fixture(tt, setup, teardown);
	tcase_add_test(tt, test_int);
	tcase_add_test(tt, test_size);
	tcase_add_test(tt, test_time);
	tcase_add_test(tt, test_bool);
	tcase_add_test(tt, test_float);
	tcase_add_test(tt, test_enum);
	tcase_add_test(tt, test_array);
	tcase_add_test(tt, test_hash);
	tcase_add_test(tt, test_string_any);
	suite_add_tcase(s, tt);

	tcase_add_checked_fixture(te, setup, teardown);
	tcase_add_test(te, test_unknown_did_you_mean);
	tcase_add_test(te, test_unknown_no_suggestion);
	tcase_add_test(te, test_skipped_params);
	tcase_add_test(te, test_required);
	tcase_add_test(te, test_required_after_type_error);
	tcase_add_test(te, test_error_line_in_element);
	tcase_add_test(te, test_check_sections);
	suite_add_tcase(s, te);

	tcase_add_checked_fixture(to, setup, teardown);
	tcase_add_test(to, test_describe);
	tcase_add_test(to, test_describe_unset);
	tcase_add_test(to, test_reference);
	tcase_add_test(to, test_type_names);
	suite_add_tcase(s, to);
	return s;
}

#include "check_main.h"
