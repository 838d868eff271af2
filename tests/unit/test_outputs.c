/*
 * test_outputs.c — the stdout, file and null outputs through a real
 * pipeline: NDJSON, single_value, gzip files that stay valid across
 * restarts (one gzip member per start), directories created, errors
 * that name the path.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "config.h"
#include "mem.h"
#include "pipeline.h"
#include "tmpdir.h"

static struct pipeline *
load(const char *match_body)
{
	struct conf	*c = xcalloc(1, sizeof *c);
	struct pipeline	*pl;
	struct err	 e;
	char		*text = xasprintf("<match t.**>\n%s</match>\n", match_body);

	ck_assert_msg(conf_load_string(c, text, "test.conf", &e) == 0, "%s",
	    e.msg);
	free(text);
	pl = pipeline_new(c, 0, &e);
	ck_assert_msg(pl != NULL, "%s", e.msg);
	return pl;
}

/* Ships records {"msg": m} for each m through the pipeline. */
static int
ship(struct pipeline *pl, const char *const *msgs, size_t n, struct err *e)
{
	struct route	*rt = pipeline_route(pl, "t.x", 3);
	struct batch	 b;
	size_t		 i;
	int		 rc;

	batch_init(&b);
	for (i = 0; i < n; i++) {
		batch_begin(&b);
		batch_add(&b, FIELD_STR("msg"), msgs[i], strlen(msgs[i]),
		    VAL_STRING);
		batch_add(&b, FIELD_STR("n"), FIELD_STR("7"), VAL_RAW);
		ck_assert(route_run(rt, &b));
	}
	rc = route_deliver(rt, &b, e);
	batch_free(&b);
	return rc;
}

static char *
slurp_gz(const char *path)
{
	static char	 out[65536];
	gzFile		 g = gzopen(path, "rb");
	int		 n;

	ck_assert_ptr_nonnull(g);
	n = gzread(g, out, sizeof out - 1);
	ck_assert_int_ge(n, 0);
	out[n] = '\0';
	gzclose(g);
	return out;
}

START_TEST(test_file_plain)
{
	const char	*msgs[] = { "one", "tw\"o\n", "thr\xff" "ee" };
	char		*body, *path = xasprintf("%s/sub/dir/out.ndjson", tmpdir);
	struct pipeline	*pl;
	struct err	 e;

	body = xasprintf("  @type file\n  path %s\n", path);
	pl = load(body);
	ck_assert_int_eq(ship(pl, msgs, 3, &e), 0);
	ck_assert_int_eq(pipeline_flush(pl, &e), 0);
	pipeline_free(pl);
	pl = load(body);		/* a restart appends */
	ck_assert_int_eq(ship(pl, msgs, 1, &e), 0);
	pipeline_free(pl);
	ck_assert_str_eq(slurp_gz(path),
	    "{\"msg\":\"one\",\"n\":7}\n"
	    "{\"msg\":\"tw\\\"o\\n\",\"n\":7}\n"
	    "{\"msg\":\"thr\xef\xbf\xbd" "ee\",\"n\":7}\n"
	    "{\"msg\":\"one\",\"n\":7}\n");
	free(body);
	free(path);
}
END_TEST

START_TEST(test_file_gzip)
{
	const char	*msgs[] = { "a", "b" };
	char		*body, *path = xasprintf("%s/out.ndjson.gz", tmpdir);
	struct pipeline	*pl;
	struct err	 e;
	int		 i;

	body = xasprintf("  @type file\n  path %s\n  compress gzip\n", path);
	for (i = 0; i < 3; i++) {	/* three starts: three gzip members */
		pl = load(body);
		ck_assert_int_eq(ship(pl, msgs, 2, &e), 0);
		ck_assert_int_eq(pipeline_flush(pl, &e), 0);
		pipeline_free(pl);
	}
	ck_assert_str_eq(slurp_gz(path),
	    "{\"msg\":\"a\",\"n\":7}\n{\"msg\":\"b\",\"n\":7}\n"
	    "{\"msg\":\"a\",\"n\":7}\n{\"msg\":\"b\",\"n\":7}\n"
	    "{\"msg\":\"a\",\"n\":7}\n{\"msg\":\"b\",\"n\":7}\n");
	free(body);
	free(path);
}
END_TEST

START_TEST(test_file_single_value)
{
	const char	*msgs[] = { "line one", "line\ttwo" };
	char		*body, *path = xasprintf("%s/values.txt", tmpdir);
	struct pipeline	*pl;
	struct err	 e;

	body = xasprintf("  @type file\n  path %s\n  <format>\n"
	    "    @type single_value\n    message_key msg\n  </format>\n", path);
	pl = load(body);
	ck_assert_int_eq(ship(pl, msgs, 2, &e), 0);
	pipeline_free(pl);
	ck_assert_str_eq(slurp_gz(path), "line one\nline\\ttwo\n");
	free(body);
	free(path);
}
END_TEST

START_TEST(test_file_unwritable)
{
	const char	*msgs[] = { "x" };
	char		*body, *path = xasprintf("%s/f/out", tmpdir), *f;
	struct pipeline	*pl;
	struct err	 e;

	f = xasprintf("%s/f", tmpdir);	/* a file where a directory must go */
	close(open(f, O_CREAT | O_WRONLY, 0644));
	body = xasprintf("  @type file\n  path %s\n", path);
	pl = load(body);
	ck_assert_int_eq(ship(pl, msgs, 1, &e), -1);
	ck_assert_msg(strstr(e.msg, path) != NULL, "%s", e.msg);
	ck_assert_uint_eq(pl->stats.output_errors, 1);
	pipeline_free(pl);
	free(body);
	free(path);
	free(f);
}
END_TEST

/* pipeline_new owns the configuration, also when it fails. */
static const char *
load_error(const char *text)
{
	static struct err	 e;
	struct conf		*c = xcalloc(1, sizeof *c);

	ck_assert_int_eq(conf_load_string(c, text, "t.conf", &e), 0);
	ck_assert_ptr_null(pipeline_new(c, 0, &e));
	return e.msg;
}

START_TEST(test_file_config_errors)
{
	const char	*msg;

	msg = load_error("<match a>\n  @type file\n  path /x/${tag}.log\n"
	    "</match>\n");
	ck_assert_msg(strstr(msg, "placeholders are not supported") != NULL,
	    "%s", msg);
	msg = load_error("<match a>\n  @type file\n  path /x/a.log\n"
	    "  file_permission 999\n</match>\n");
	ck_assert_msg(strstr(msg, "t.conf:4: file_permission '999' is not "
	    "an octal mode") != NULL, "%s", msg);
	msg = load_error("<match a>\n  @type file\n  path /x/a.log\n"
	    "  append false\n</match>\n");
	ck_assert_msg(strstr(msg, "append false is not supported") != NULL,
	    "%s", msg);
}
END_TEST


START_TEST(test_stdout)
{
	const char	*msgs[] = { "to stdout" };
	char		*path = xasprintf("%s/stdout", tmpdir), buf[256];
	struct pipeline	*pl;
	struct err	 e;
	int		 fd, saved = dup(1);
	ssize_t		 n;

	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	dup2(fd, 1);
	pl = load("  @type stdout\n");
	ck_assert_int_eq(ship(pl, msgs, 1, &e), 0);
	pipeline_free(pl);
	dup2(saved, 1);
	close(saved);
	n = pread(fd, buf, sizeof buf - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "{\"msg\":\"to stdout\",\"n\":7}\n");
	close(fd);
	free(path);
}
END_TEST

START_TEST(test_null)
{
	const char	*msgs[] = { "a", "b", "c" };
	struct pipeline	*pl = load("  @type null\n");
	struct err	 e;

	ck_assert_int_eq(ship(pl, msgs, 3, &e), 0);
	ck_assert_uint_eq(pl->stats.records_out, 3);
	pipeline_free(pl);
}
END_TEST

/* --- <inject> ------------------------------------------------------------ */

#define T1	1714550402224323240LL	/* 2024-05-01T08:00:02.22432324Z */

/* What a file output with these <inject> and <format> bodies writes for
 * {"msg":"m","n":7} at each time in ts (tag t.x). */
static const char *
injected(const char *inject, const char *format, const int64_t *ts,
    size_t n)
{
	static int	 seq;
	char		*path = xasprintf("%s/inject%d", tmpdir, seq++), *body;
	struct pipeline	*pl;
	struct route	*rt;
	struct batch	 b;
	struct err	 e;
	size_t		 i;

	body = xasprintf("  @type file\n  path %s\n  <inject>\n%s  </inject>\n"
	    "%s%s%s", path, inject, format ? "  <format>\n" : "",
	    format ? format : "", format ? "  </format>\n" : "");
	pl = load(body);
	rt = pipeline_route(pl, "t.x", 3);
	batch_init(&b);
	for (i = 0; i < n; i++) {
		batch_begin(&b)->time = ts[i];
		batch_add(&b, FIELD_STR("msg"), FIELD_STR("m"), VAL_STRING);
		batch_add(&b, FIELD_STR("n"), FIELD_STR("7"), VAL_RAW);
		ck_assert(route_run(rt, &b));
	}
	ck_assert_int_eq(route_deliver(rt, &b, &e), 0);
	batch_free(&b);
	pipeline_free(pl);
	free(body);
	body = slurp_gz(path);
	free(path);
	return body;
}

START_TEST(test_inject_keys)
{
	const int64_t	 ts[] = { T1, 1714550403000000000LL,
			    1714550403100000000LL, -1500000000LL };

	ck_assert_str_eq(injected("    hostname_key host\n    hostname node-1\n"
	    "    worker_id_key wid\n    tag_key tag\n    time_key t\n", NULL,
	    ts, 4),
	    "{\"msg\":\"m\",\"n\":7,\"host\":\"node-1\",\"wid\":0,"
	    "\"tag\":\"t.x\",\"t\":1714550402.224323}\n"
	    "{\"msg\":\"m\",\"n\":7,\"host\":\"node-1\",\"wid\":0,"
	    "\"tag\":\"t.x\",\"t\":1714550403.0}\n"
	    "{\"msg\":\"m\",\"n\":7,\"host\":\"node-1\",\"wid\":0,"
	    "\"tag\":\"t.x\",\"t\":1714550403.1}\n"
	    "{\"msg\":\"m\",\"n\":7,\"host\":\"node-1\",\"wid\":0,"
	    "\"tag\":\"t.x\",\"t\":-1.5}\n");
	/* An injected key replaces the record's field; the last one wins. */
	ck_assert_str_eq(injected("    tag_key msg\n    time_key msg\n"
	    "    time_type unixtime\n", NULL, ts + 3, 1),
	    "{\"n\":7,\"msg\":-2}\n");
	/* The DaemonSet's `|| use_nil`: nothing to add. */
	ck_assert_str_eq(injected("", NULL, ts, 1), "{\"msg\":\"m\",\"n\":7}\n");
}
END_TEST

/* <inject> lines (time_key t) and the value of t they give T1. */
static const struct {
	const char	*inject;
	const char	*t;
} time_cases[] = {
	{ "    time_type unixtime_millis\n", "1714550402224" },
	{ "    time_type unixtime_micros\n", "1714550402224323" },
	{ "    time_type unixtime_nanos\n", "1714550402224323240" },
	{ "    time_type string\n    utc true\n", "\"2024-05-01T08:00:02Z\"" },
	{ "    time_type string\n    timezone -08:00\n",
	  "\"2024-05-01T00:00:02-08:00\"" },
	{ "    time_type string\n    time_format %Y-%m-%dT%H:%M:%S.%NZ\n"
	  "    localtime false\n", "\"2024-05-01T08:00:02.224323240Z\"" },
	{ "    time_type string\n    time_format %d/%b/%Y:%H:%M:%S.%L %z\n"
	  "    timezone +0530\n", "\"01/May/2024:13:30:02.224 +0530\"" },
};

START_TEST(test_inject_time_types)
{
	const int64_t	 ts[] = { T1 };
	char		*inject = xasprintf("    time_key t\n%s",
			    time_cases[_i].inject);
	char		*want = xasprintf("{\"msg\":\"m\",\"n\":7,\"t\":%s}\n",
			    time_cases[_i].t);

	ck_assert_str_eq(injected(inject, NULL, ts, 1), want);
	free(inject);
	free(want);
}
END_TEST

/* Local time is the process's TZ, as Ruby's Time.at(t).iso8601. */
START_TEST(test_inject_localtime)
{
	const int64_t	 ts[] = { T1 };
	const char	*got;

	setenv("TZ", "UTC", 1);
	tzset();
	got = injected("    time_key t\n    time_type string\n", NULL, ts, 1);
	ck_assert_str_eq(got, "{\"msg\":\"m\",\"n\":7,"
	    "\"t\":\"2024-05-01T08:00:02+00:00\"}\n");
	setenv("TZ", "XYZ-02", 1);	/* POSIX: two hours east */
	tzset();
	got = injected("    time_key t\n    time_type string\n"
	    "    time_format %H:%M %Z\n", NULL, ts, 1);
	ck_assert_str_eq(got, "{\"msg\":\"m\",\"n\":7,\"t\":\"10:00 XYZ\"}\n");
	unsetenv("TZ");
	tzset();
}
END_TEST

START_TEST(test_inject_single_value)
{
	const int64_t	 ts[] = { T1 };

	ck_assert_str_eq(injected("    tag_key msg\n", "    @type single_value\n"
	    "    message_key msg\n", ts, 1), "t.x\n");
	ck_assert_str_eq(injected("    time_key msg\n", "    @type single_value\n"
	    "    message_key msg\n", ts, 1), "1714550402.224323\n");
	ck_assert_str_eq(injected("    tag_key tag\n", "    @type single_value\n"
	    "    message_key msg\n", ts, 1), "m\n");
}
END_TEST

START_TEST(test_inject_errors)
{
	const char	*msg;

	msg = load_error("<match a>\n  @type file\n  path /x/a.log\n"
	    "  <inject>\n    time_key t\n    time_type string\n"
	    "    timezone Asia/Tokyo\n  </inject>\n</match>\n");
	ck_assert_str_eq(msg, "t.conf:7: <inject> timezone 'Asia/Tokyo': give "
	    "an offset such as +09:00, -0800 or +09, or UTC (zone names are "
	    "not supported: the shipper reads no time zone database)");
	msg = load_error("<match a>\n  @type stdout\n  <inject>\n"
	    "    time_key t\n    time_type iso\n  </inject>\n</match>\n");
	ck_assert_msg(strstr(msg, "t.conf:5:") != NULL && strstr(msg,
	    "unixtime_nanos") != NULL, "%s", msg);
	msg = load_error("<match a>\n  @type stdout\n  <inject>\n"
	    "    tag_kye t\n  </inject>\n</match>\n");
	ck_assert_msg(strstr(msg, "t.conf:4:") != NULL && strstr(msg,
	    "tag_key") != NULL, "%s", msg);
	msg = load_error("<match a>\n  @type stdout\n  <format>\n"
	    "    @type ecs\n  </format>\n  <inject>\n    tag_key t\n"
	    "  </inject>\n</match>\n");
	ck_assert_msg(strstr(msg, "t.conf:3: <format> @type ecs with <inject>")
	    != NULL, "%s", msg);
	msg = load_error("<match a>\n  @type elasticsearch\n  <inject>\n"
	    "    tag_key t\n  </inject>\n</match>\n");
	ck_assert_msg(strstr(msg, "inject") != NULL, "%s", msg);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("outputs");
	TCase	*tc = tcase_create("outputs");

	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, test_file_plain);
	tcase_add_test(tc, test_file_gzip);
	tcase_add_test(tc, test_file_single_value);
	tcase_add_test(tc, test_file_unwritable);
	tcase_add_test(tc, test_file_config_errors);
	tcase_add_test(tc, test_stdout);
	tcase_add_test(tc, test_null);
	tcase_add_test(tc, test_inject_keys);
	tcase_add_loop_test(tc, test_inject_time_types, 0,
	    (int)(sizeof time_cases / sizeof time_cases[0]));
	tcase_add_test(tc, test_inject_localtime);
	tcase_add_test(tc, test_inject_single_value);
	tcase_add_test(tc, test_inject_errors);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
