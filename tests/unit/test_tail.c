/*
 * test_tail.c — the tail source between its scan and its reads: what the
 * integration tests can only hit by luck (a file rotated in the few
 * milliseconds after it was opened) made deterministic by rotating it
 * after pipeline_start and before the loop runs.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "log.h"
#include "loop.h"
#include "mem.h"
#include "pipeline.h"
#include "stats.h"
#include "strbuf.h"
#include "tmpdir.h"

static char	 logpath[128], outpath[128];

static void
path_in(char *dst, size_t n, const char *name)
{
	snprintf(dst, n, "%s/%s", tmpdir, name);
}

static void
write_file(const char *path, const char *mode, const char *text)
{
	FILE	*fp = fopen(path, mode);

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static char *
read_file(const char *path)
{
	struct strbuf	 sb = { 0 };
	char		 buf[4096];
	size_t		 n;
	FILE		*fp = fopen(path, "r");

	if (fp == NULL)
		return xstrdup("");
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		sb_add(&sb, buf, n);
	fclose(fp);
	return sb_take(&sb);
}

/* copytruncate as logrotate does it: copy to .1, then truncate. */
static void
copytruncate(const char *then)
{
	char	 copy[160];
	char	*text = read_file(logpath);

	snprintf(copy, sizeof copy, "%s.1", logpath);
	write_file(copy, "w", text);
	write_file(logpath, "w", then);
	free(text);
}

static struct pipeline *
tail_pipeline(void)
{
	struct conf	*c = xcalloc(1, sizeof *c);
	struct pipeline	*pl;
	struct err	 e;
	char		 text[1024];

	snprintf(text, sizeof text,
	    "<source>\n  @type tail\n  path %s\n  pos_file %s/pos\n"
	    "  read_from_head true\n  tag k.*\n  <parse>\n    @type none\n"
	    "  </parse>\n</source>\n"
	    "<match k.**>\n  @type file\n  path %s\n</match>\n",
	    logpath, tmpdir, outpath);
	if (conf_load_string(c, text, "test.conf", &e) != 0)
		ck_abort_msg("config: %s", e.msg);
	if ((pl = pipeline_new(c, 0, &e)) == NULL)
		ck_abort_msg("pipeline: %s", e.msg);
	return pl;
}

static void
stop_cb(void *arg)
{
	loop_stop(arg);
}

/* Starts the tail (the scan opens the file), runs `between`, then runs
 * the loop for ms (with `later` at half time, if any) and stops as
 * SIGTERM would; st gets the pipeline's counters. */
static char *
run_tail_for(void (*between)(void), unsigned ms, void (*later)(void *),
    struct stats *st)
{
	struct pipeline	*pl = tail_pipeline();
	struct loop	*l;
	struct err	 e;

	ck_assert_ptr_nonnull(l = loop_new(&e));
	if (pipeline_start(pl, l, &e) != 0)
		ck_abort_msg("start: %s", e.msg);
	between();
	if (later != NULL)
		loop_add_timer(l, ms / 2, false, later, NULL);
	loop_add_timer(l, ms, false, stop_cb, l);
	ck_assert_int_eq(loop_run(l, &e), 0);
	pipeline_stop(pl);
	ck_assert_int_eq(pipeline_flush(pl, &e), 0);
	if (st != NULL)
		*st = pl->stats;
	pipeline_free(pl);
	loop_free(l);
	return read_file(outpath);
}

static char *
run_tail(void (*between)(void))
{
	return run_tail_for(between, 300, NULL, NULL);
}

static unsigned
count(const char *hay, const char *needle)
{
	unsigned	 n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

static void
setup(void)
{
	tmpdir_setup();
	log_set_level(LOG_ERROR);
	path_in(logpath, sizeof logpath, "a.log");
	path_in(outpath, sizeof outpath, "out.ndjson");
	write_file(logpath, "w", "line-b1\nline-b2\nline-b3\n");
}

static void
rotate_refilled(void)
{
	copytruncate("line-c1\n");
}

static void
rotate_emptied(void)
{
	copytruncate("");
}

/* Opened, then copied and truncated before its first read: the lines are
 * in the copy only, and the refilled file starts anew. */
START_TEST(test_copytruncate_before_first_read)
{
	char	*out = run_tail(rotate_refilled);

	ck_assert_uint_eq(count(out, "line-b1"), 1);
	ck_assert_uint_eq(count(out, "line-b3"), 1);
	ck_assert_uint_eq(count(out, "line-c1"), 1);
	ck_assert_uint_eq(count(out, "\n"), 4);
	free(out);
}
END_TEST

/* The same, left empty: no first line to compare, still a new file. */
START_TEST(test_copytruncate_to_empty_before_first_read)
{
	char	*out = run_tail(rotate_emptied);

	ck_assert_uint_eq(count(out, "line-b"), 3);
	ck_assert_uint_eq(count(out, "\n"), 3);
	free(out);
}
END_TEST

static void
nothing(void)
{
}

/* A restart after a copytruncate that refilled the file past the saved
 * offset with the start of a line: no first line to compare, but not the
 * file the offset was in. The copy is finished from there. */
START_TEST(test_restart_after_copytruncate_partial_line)
{
	char	*out = run_tail(nothing);

	ck_assert_uint_eq(count(out, "\n"), 3);
	free(out);
	write_file(logpath, "a", "line-b4\n");
	copytruncate("line-c1 still being written, no newline yet");
	out = run_tail(nothing);
	ck_assert_uint_eq(count(out, "line-b4"), 1);
	ck_assert_uint_eq(count(out, "\n"), 4);
	ck_assert_uint_eq(count(out, "written"), 0);
	free(out);
}
END_TEST

/* The restart scan meets a copytruncate half done: .1 is already the
 * copy of the live file, which is not truncated yet. */
static void
mid_rotation(void)
{
	char	 one[160], two[160];
	char	*text;

	snprintf(one, sizeof one, "%s.1", logpath);
	snprintf(two, sizeof two, "%s.2", logpath);
	ck_assert_int_eq(rename(one, two), 0);	/* .1 (a) -> .2 */
	text = read_file(logpath);
	write_file(one, "w", text);		/* live (b) -> .1 */
	free(text);
}

static void
truncate_refill(void)
{
	write_file(logpath, "w", "line-c1\n");
}

START_TEST(test_restart_during_copytruncate)
{
	char	*out = run_tail(nothing);

	ck_assert_uint_eq(count(out, "\n"), 3);
	free(out);
	write_file(logpath, "a", "line-b4\n");	/* read by nobody yet */
	copytruncate("line-d1\nline-d2\n");	/* a.log.1: b1..b4 */
	mid_rotation();				/* a.log.2: b1..b4, a.log.1: d */
	out = run_tail(truncate_refill);
	ck_assert_uint_eq(count(out, "line-b4"), 1);
	ck_assert_uint_eq(count(out, "line-d1"), 1);
	ck_assert_uint_eq(count(out, "line-d2"), 1);
	ck_assert_uint_eq(count(out, "line-c1"), 1);
	ck_assert_uint_eq(count(out, "\n"), 7);
	free(out);
}
END_TEST

static char	 outdir[128];

/* The output's directory is a file: the output cannot open its file. */
static void
break_output(void)
{
	write_file(outdir, "w", "not a directory\n");
}

static void
mend_output(void *arg)
{
	(void)arg;
	ck_assert_int_eq(unlink(outdir), 0);
	ck_assert_int_eq(mkdir(outdir, 0755), 0);
}

/* A delivery that fails is held and tried again, never read again: each
 * line is counted once, and arrives once when the output works again. */
START_TEST(test_failed_delivery_counted_once)
{
	struct stats	 st;
	char		*out;

	path_in(outdir, sizeof outdir, "outdir");
	path_in(outpath, sizeof outpath, "outdir/out.ndjson");
	out = run_tail_for(break_output, 3000, mend_output, &st);
	ck_assert_uint_eq(count(out, "line-b"), 3);
	ck_assert_uint_eq(count(out, "\n"), 3);
	ck_assert_uint_eq(st.lines, 3);
	ck_assert_uint_eq(st.physical_lines, 3);
	ck_assert_uint_eq(st.records_out, 3);
	ck_assert_uint_ge(st.output_errors, 1);
	free(out);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("tail");
	TCase	*tc = tcase_create("tail");

	tcase_add_checked_fixture(tc, setup, tmpdir_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_copytruncate_before_first_read);
	tcase_add_test(tc, test_copytruncate_to_empty_before_first_read);
	tcase_add_test(tc, test_restart_after_copytruncate_partial_line);
	tcase_add_test(tc, test_restart_during_copytruncate);
	tcase_add_test(tc, test_failed_delivery_counted_once);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
