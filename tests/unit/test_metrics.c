/*
 * test_metrics.c — the registry and the Prometheus text format 0.0.4 it
 * writes: label values and help escaped, one HELP and TYPE per family
 * with its samples together whoever wrote them, equal series summed,
 * histograms cumulative with +Inf, invalid names left out; the health
 * checks behind /live and /ready; the process's own metrics.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "autoconfig.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"

static struct strbuf	 out;

static void
setup(void)
{
	log_set_level(LOG_ERROR);	/* the invalid names are warned about */
	memset(&out, 0, sizeof out);
}

static void
teardown(void)
{
	sb_free(&out);
}

static const char *
scrape(void)
{
	sb_reset(&out);
	metrics_collect(&out);
	return sb_cstr(&out);
}

/* The whole line, newline included, is in the exposition. */
static bool
has_line(const char *text, const char *line)
{
	size_t		 n = strlen(line);
	const char	*p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
		p += n;
	}
	return false;
}

#define LINE(line)	ck_assert_msg(has_line(scrape(), line), "no line "   \
			    "'%s' in:\n%s", line, out.buf)
#define NO(s)		ck_assert_msg(strstr(scrape(), s) == NULL, "'%s' "  \
			    "in:\n%s", s, out.buf)

static size_t
occurrences(const char *text, const char *s)
{
	size_t	 n = 0;

	while ((text = strstr(text, s)) != NULL) {
		n++;
		text += strlen(s);
	}
	return n;
}

/* --- escaping -------------------------------------------------------------- */

static void
collect_escapes(void *arg, struct metrics_out *o)
{
	(void)arg;
	metric_family(o, "t_escape_total", METRIC_COUNTER,
	    "Back\\slash and\nnewline; \"quotes\" stay.");
	metric_sample(o, "t_escape_total", METRIC_LABELS(
	    { "path", "C:\\logs\\\"x\"\nnext" }, { "bad", "caf\xe9" }), 7);
	metric_sample(o, "t_escape_total", METRIC_LABELS({ "path", "" },
	    { "bad", "\xe2\x82" }), 1);
}

START_TEST(test_escaping)
{
	metrics_register("t", collect_escapes, &out);
	LINE("# HELP t_escape_total Back\\\\slash and\\nnewline; \"quotes\" "
	    "stay.");
	LINE("# TYPE t_escape_total counter");
	LINE("t_escape_total{path=\"C:\\\\logs\\\\\\\"x\\\"\\nnext\","
	    "bad=\"caf\xef\xbf\xbd\"} 7");
	/* An empty value is written; one U+FFFD per maximal subpart. */
	LINE("t_escape_total{path=\"\",bad=\"\xef\xbf\xbd\"} 1");
	metrics_unregister(&out);
	NO("t_escape_total");
}
END_TEST

/* --- families -------------------------------------------------------------- */

static void
collect_a(void *arg, struct metrics_out *o)
{
	(void)arg;
	metric_family(o, "t_shared_bytes", METRIC_GAUGE, "Shared.");
	metric_sample(o, "t_shared_bytes", METRIC_LABELS({ "id", "a" }), 1.5);
	metric_family(o, "t_other_total", METRIC_COUNTER, "Other.");
	metric_sample(o, "t_other_total", METRIC_NO_LABELS, 3);
	metric_sample(o, "t_shared_bytes", METRIC_LABELS({ "id", "same" }), 2);
}

static void
collect_b(void *arg, struct metrics_out *o)
{
	(void)arg;
	metric_family(o, "t_shared_bytes", METRIC_GAUGE, "Shared.");
	metric_sample(o, "t_shared_bytes", METRIC_LABELS({ "id", "b" }), 4);
	metric_sample(o, "t_shared_bytes", METRIC_LABELS({ "id", "same" }), 5);
	/* Declared but without samples: not written. */
	metric_family(o, "t_empty_total", METRIC_COUNTER, "Nothing.");
}

START_TEST(test_families_merge)
{
	const char	*text, *help, *a, *b, *other;

	metrics_register("a", collect_a, &out);
	metrics_register("b", collect_b, &setup);
	metrics_register("a again", collect_a, &out);	/* kept once */
	text = scrape();
	ck_assert_uint_eq(occurrences(text, "# HELP t_shared_bytes "), 1);
	ck_assert_uint_eq(occurrences(text, "# TYPE t_shared_bytes gauge\n"), 1);
	ck_assert(has_line(text, "t_shared_bytes{id=\"a\"} 1.5"));
	ck_assert(has_line(text, "t_shared_bytes{id=\"b\"} 4"));
	ck_assert(has_line(text, "t_shared_bytes{id=\"same\"} 7"));
	ck_assert(has_line(text, "t_other_total 3"));
	/* The family's samples follow its TYPE, before the next family. */
	help = strstr(text, "# HELP t_shared_bytes");
	a = strstr(text, "t_shared_bytes{id=\"a\"}");
	b = strstr(text, "t_shared_bytes{id=\"b\"}");
	other = strstr(text, "# HELP t_other_total");
	ck_assert(help < a && a < b && b < other);
	ck_assert_ptr_null(strstr(text, "t_empty_total"));
	metrics_unregister(&out);
	text = scrape();
	ck_assert(has_line(text, "t_shared_bytes{id=\"same\"} 5"));
	ck_assert_ptr_null(strstr(text, "t_other_total"));
	metrics_unregister(&setup);
}
END_TEST

static void
collect_histogram(void *arg, struct metrics_out *o)
{
	static const double	 bounds[] = { 0.005, 0.1, 1 };
	static const uint64_t	 counts[] = { 1, 2, 3 };

	(void)arg;
	metric_family(o, "t_duration_seconds", METRIC_HISTOGRAM, "Durations.");
	metric_histogram(o, "t_duration_seconds", METRIC_LABELS({ "id", "x" }),
	    bounds, counts, 3, 4.25, 7);
}

START_TEST(test_histogram)
{
	metrics_register("h", collect_histogram, &out);
	LINE("# TYPE t_duration_seconds histogram");
	LINE("t_duration_seconds_bucket{id=\"x\",le=\"0.005\"} 1");
	LINE("t_duration_seconds_bucket{id=\"x\",le=\"0.1\"} 3");
	LINE("t_duration_seconds_bucket{id=\"x\",le=\"1\"} 6");
	LINE("t_duration_seconds_bucket{id=\"x\",le=\"+Inf\"} 7");
	LINE("t_duration_seconds_sum{id=\"x\"} 4.25");
	LINE("t_duration_seconds_count{id=\"x\"} 7");
	metrics_unregister(&out);
}
END_TEST

static void
collect_values(void *arg, struct metrics_out *o)
{
	(void)arg;
	metric_family(o, "t_value", METRIC_GAUGE, "Values.");
	metric_sample(o, "t_value", METRIC_LABELS({ "v", "int" }), 12345678901);
	metric_sample(o, "t_value", METRIC_LABELS({ "v", "frac" }), 0.1);
	metric_sample(o, "t_value", METRIC_LABELS({ "v", "third" }), 1.0 / 3);
	metric_sample(o, "t_value", METRIC_LABELS({ "v", "neg" }), -2);
	metric_sample(o, "t_value", METRIC_LABELS({ "v", "big" }), 1e20);
	metric_sample(o, "t_value", METRIC_LABELS({ "v", "nan" }), NAN);
	metric_sample(o, "t_value", METRIC_LABELS({ "v", "inf" }), INFINITY);
	metric_sample(o, "t_value", METRIC_LABELS({ "v", "-inf" }), -INFINITY);
}

START_TEST(test_values)
{
	const char	*text;
	const char	*third;

	metrics_register("v", collect_values, &out);
	LINE("t_value{v=\"int\"} 12345678901");
	LINE("t_value{v=\"frac\"} 0.1");
	LINE("t_value{v=\"neg\"} -2");
	LINE("t_value{v=\"big\"} 1e+20");
	LINE("t_value{v=\"nan\"} NaN");
	LINE("t_value{v=\"inf\"} +Inf");
	LINE("t_value{v=\"-inf\"} -Inf");
	/* Written so that it reads back as the same double. */
	text = scrape();
	third = strstr(text, "t_value{v=\"third\"} ");
	ck_assert_ptr_nonnull(third);
	ck_assert(strtod(third + strlen("t_value{v=\"third\"} "), NULL) ==
	    1.0 / 3);
	metrics_unregister(&out);
}
END_TEST

static void
collect_invalid(void *arg, struct metrics_out *o)
{
	(void)arg;
	metric_family(o, "t-dash", METRIC_COUNTER, "Invalid name.");
	metric_sample(o, "t-dash", METRIC_NO_LABELS, 1);
	metric_family(o, "t_labels", METRIC_GAUGE, "Invalid labels.");
	metric_sample(o, "t_labels", METRIC_LABELS({ "le", "1" }), 1);
	metric_sample(o, "t_labels", METRIC_LABELS({ "__reserved", "1" }), 2);
	metric_sample(o, "t_labels", METRIC_LABELS({ "a:b", "1" }), 3);
	metric_sample(o, "t_labels", METRIC_LABELS({ "ok", "1" }), 4);
	/* Declared twice with different types: the first one holds. */
	metric_family(o, "t_labels", METRIC_COUNTER, "Again.");
	/* Never declared: written untyped, without HELP. */
	metric_sample(o, "t_undeclared", METRIC_NO_LABELS, 5);
}

START_TEST(test_invalid)
{
	const char	*text;

	metrics_register("i", collect_invalid, &out);
	text = scrape();
	ck_assert_ptr_null(strstr(text, "t-dash"));
	ck_assert(has_line(text, "# TYPE t_labels gauge"));
	ck_assert(has_line(text, "t_labels{ok=\"1\"} 4"));
	ck_assert_uint_eq(occurrences(text, "t_labels{"), 1);
	ck_assert(has_line(text, "# TYPE t_undeclared untyped"));
	ck_assert(has_line(text, "t_undeclared 5"));
	ck_assert_ptr_null(strstr(text, "# HELP t_undeclared"));
	metrics_unregister(&out);
}
END_TEST

START_TEST(test_name_rules)
{
	ck_assert(metric_name_valid("spire_shipper_input_lines_total"));
	ck_assert(metric_name_valid("a:b_c9"));
	ck_assert(metric_name_valid("_x"));
	ck_assert(!metric_name_valid("9a"));
	ck_assert(!metric_name_valid(""));
	ck_assert(!metric_name_valid("a b"));
	ck_assert(!metric_name_valid("a.b"));
	ck_assert(metric_label_name_valid("plugin_id"));
	ck_assert(!metric_label_name_valid("a:b"));
	ck_assert(!metric_label_name_valid("__name__"));
	ck_assert(!metric_label_name_valid("0x"));
}
END_TEST

/* --- the process ----------------------------------------------------------- */

static double
sample_value(const char *text, const char *series)
{
	const char	*p = text;
	size_t		 n = strlen(series);

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && (p[n] == ' ' ||
		    p[n] == '{'))
			return strtod(strchr(p, ' ') + 1, NULL);
		p += n;
	}
	ck_abort_msg("no %s in:\n%s", series, text);
	return 0;
}

START_TEST(test_process)
{
	const char	*text = scrape();
	double		 now = (double)time(NULL);
	double		 start = sample_value(text, "process_start_time_seconds");
	volatile double	 spin = 0;
	double		 cpu0, cpu1;
	long		 i;

	ck_assert(has_line(text, "# TYPE process_cpu_seconds_total counter"));
	ck_assert_double_gt(sample_value(text, "process_resident_memory_bytes"),
	    1e5);
	ck_assert_double_gt(sample_value(text, "process_virtual_memory_bytes"),
	    1e5);
	ck_assert_double_gt(sample_value(text, "process_open_fds"), 2);
	ck_assert_double_le(start, now + 1);
	ck_assert_double_gt(start, now - 3600);
	ck_assert_ptr_nonnull(strstr(text, "spire_shipper_build_info{version=\""
	    PACKAGE_VERSION "\","));
	cpu0 = sample_value(text, "process_cpu_seconds_total");
	for (i = 0; i < 100000000 && spin >= 0; i++)
		spin += 1e-9;
	cpu1 = sample_value(scrape(), "process_cpu_seconds_total");
	ck_assert_double_gt(cpu1, cpu0);
}
END_TEST

/* --- health ---------------------------------------------------------------- */

static bool	 ready_ok, live_ok;

static bool
check_ready(void *arg, struct strbuf *why)
{
	(void)arg;
	if (!ready_ok)
		sb_adds(why, "buffer of out_es is full");
	return ready_ok;
}

static bool
check_live(void *arg, struct strbuf *why)
{
	(void)arg;
	(void)why;		/* says nothing: the registry names it */
	return live_ok;
}

#define HEALTH(kind, ok, text) do {					\
	struct strbuf	 w_ = STRBUF_INIT;				\
	ck_assert_int_eq(health_check((kind), &w_), (ok));		\
	ck_assert_str_eq(w_.len ? sb_cstr(&w_) : "", (text));		\
	sb_free(&w_);							\
} while (0)

START_TEST(test_health)
{
	health_set_started(false);
	HEALTH(HEALTH_READY, false, "the pipeline has not started (or is "
	    "stopping)\n");
	HEALTH(HEALTH_LIVE, true, "");
	LINE("spire_shipper_ready 0");
	LINE("spire_shipper_live 1");
	health_set_started(true);
	HEALTH(HEALTH_READY, true, "");
	ready_ok = false;
	live_ok = false;
	health_register(HEALTH_READY, "buffer", check_ready, &ready_ok);
	health_register(HEALTH_LIVE, "kube", check_live, &live_ok);
	HEALTH(HEALTH_READY, false, "buffer of out_es is full\n");
	HEALTH(HEALTH_LIVE, false, "kube: check failed\n");
	LINE("spire_shipper_ready 0");
	LINE("spire_shipper_live 0");
	ready_ok = true;
	live_ok = true;
	HEALTH(HEALTH_READY, true, "");
	HEALTH(HEALTH_LIVE, true, "");
	ready_ok = false;
	metrics_unregister(&ready_ok);
	HEALTH(HEALTH_READY, true, "");
	metrics_unregister(&live_ok);
	health_set_started(false);
}
END_TEST

START_TEST(test_unacked_age)
{
	struct strbuf	 why = STRBUF_INIT;
	uint64_t	 now = loop_now_ms();

	health_set_max_unacked_age(60);
	ck_assert(health_unacked_ok(0, "buffer", &why));
	ck_assert(health_unacked_ok(now - 30000, "buffer", &why));
	ck_assert_uint_eq(why.len, 0);
	ck_assert(!health_unacked_ok(now - 90000, "buffer of out_es", &why));
	ck_assert_str_eq(sb_cstr(&why), "buffer of out_es: the oldest "
	    "unacknowledged record has waited 90 s (liveness_max_unacked_age "
	    "60 s): the output is not taking records");
	health_set_max_unacked_age(0);
	ck_assert(health_unacked_ok(now - 90000, "buffer", &why));
	sb_free(&why);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*tf = tcase_create("format");
	TCase	*th = tcase_create("health");

	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_add_test(tf, test_escaping);
	tcase_add_test(tf, test_families_merge);
	tcase_add_test(tf, test_histogram);
	tcase_add_test(tf, test_values);
	tcase_add_test(tf, test_invalid);
	tcase_add_test(tf, test_name_rules);
	tcase_add_test(tf, test_process);
	suite_add_tcase(s, tf);
	tcase_add_checked_fixture(th, setup, teardown);
	tcase_add_test(th, test_health);
	tcase_add_test(th, test_unacked_age);
	suite_add_tcase(s, th);
	return s;
}

#include "check_main.h"
