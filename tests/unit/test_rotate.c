/*
 * test_rotate.c — naming rotated files: the base name of a rotated
 * sibling (for backfill's source matching), and the order of a lineage
 * (which sibling came after which) used to recover files rotated while
 * the shipper was down, and by --backfill; shard assignment.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backfill.h"
#include "config.h"
#include "source_origin.h"
#include "tail.h"
#include "tail_file.h"

static void
base_is(const char *name, const char *want)
{
	char	*b = rotated_base_name(name);

	ck_assert_str_eq(b, want);
	free(b);
}

START_TEST(test_base_names)
{
	base_is("x.log", "x.log");
	base_is("x.log.1", "x.log");
	base_is("x.log.2.gz", "x.log");
	base_is("0.log.20240501-080000", "0.log");
	base_is("0.log.20240501-080000.gz", "0.log");
	base_is("0.log.20240501-080000-3.gz", "0.log");
	base_is("x.log.gz", "x.log");
	base_is("x.log.old", "x.log.old");	/* not a rotation suffix */
	base_is("1", "1");
}
END_TEST

static void
origin_is(const char *resolved, const char *want)
{
	char	*got = source_origin_of(resolved);

	ck_assert_str_eq(got, want);
	free(got);
}

/* The live file and its rotated copies share an identity; the kubelet's
 * numbered files keep the pod and container directories. */
START_TEST(test_origins)
{
	origin_is("/var/log/containers/a_ns_c-0123.log", "a_ns_c-0123.log");
	origin_is("/archive/a_ns_c-0123.log.2.gz", "a_ns_c-0123.log");
	origin_is("/var/log/pods/ns_a_uid/c/0.log", "ns_a_uid/c/0.log");
	origin_is("/var/log/pods/ns_a_uid/c/0.log.20240501-080000.gz",
	    "ns_a_uid/c/0.log");
	origin_is("/mnt/old/ns_a_uid/c/0.log.20240501-080000",
	    "ns_a_uid/c/0.log");
	origin_is("c/0.log", "0.log");
	origin_is("0.log.1", "0.log");
}
END_TEST

static char	 dir[64];

static void
touch(const char *name)
{
	char	 p[160];
	FILE	*f;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%s\n", name);
	fclose(f);
}

/* The newer siblings of after, as names joined by spaces. */
static char *
newer(const char *after)
{
	static char	 out[1024];
	char		 p[160], **v;
	size_t		 i;

	snprintf(p, sizeof p, "%s/%s", dir, after);
	v = tail_newer_siblings(p, 0);
	out[0] = '\0';
	for (i = 0; v[i] != NULL; i++) {
		strcat(out, i ? " " : "");
		strcat(out, strrchr(v[i], '/') + 1);
	}
	conf_strv_free(v);
	return out;
}

START_TEST(test_lineage_order)
{
	char	 cmd[96];

	strcpy(dir, "/tmp/test_rotate.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	touch("x.log");
	touch("x.log.1");
	touch("x.log.2.gz");
	touch("x.log.3.gz");
	touch("y.log.1");
	ck_assert_str_eq(newer("x.log.3.gz"), "x.log.2.gz x.log.1");
	ck_assert_str_eq(newer("x.log.1"), "");
	touch("0.log");
	touch("0.log.20240501-080000.gz");
	touch("0.log.20240501-080000-1.gz");
	touch("0.log.20240501-080001");
	ck_assert_str_eq(newer("0.log.20240501-080000.gz"),
	    "0.log.20240501-080000-1.gz 0.log.20240501-080001");
	ck_assert_str_eq(newer("0.log.20240501-080000-1.gz"),
	    "0.log.20240501-080001");
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* --backfill reads a lineage oldest first by these ranks, not mtimes. */
START_TEST(test_ranks)
{
	const char *const	 oldest_first[] = { "x.log.3.gz", "x.log.2.gz",
		"x.log.1", "x.log" };
	const char *const	 kubelet[] = { "0.log.20240501-080000.gz",
		"0.log.20240501-080000-1.gz", "0.log.20240501-080001", "0.log" };
	long double		 prev, r;
	size_t			 i;

	for (i = 0, prev = -HUGE_VALL; i < 4; i++, prev = r) {
		ck_assert_msg(rotated_rank(oldest_first[i], &r), "%s",
		    oldest_first[i]);
		ck_assert_msg(r > prev, "%s", oldest_first[i]);
	}
	for (i = 0, prev = -HUGE_VALL; i < 4; i++, prev = r) {
		ck_assert(rotated_rank(kubelet[i], &r));
		ck_assert_msg(r > prev, "%s", kubelet[i]);
	}
	ck_assert(!rotated_rank("x.log.gz", &r));	/* says no age */
}
END_TEST

START_TEST(test_shards)
{
	unsigned	 seen[4] = { 0 }, i;
	char		 name[64];

	for (i = 0; i < 400; i++) {
		snprintf(name, sizeof name, "/a/spire-agent-%u.log", i);
		seen[backfill_shard_of(name, 4)]++;
	}
	for (i = 0; i < 4; i++)
		ck_assert_uint_gt(seen[i], 50);	/* spread, if not even */
	/* The directory does not matter, only the name. */
	ck_assert_uint_eq(backfill_shard_of("/a/x.log", 7),
	    backfill_shard_of("/mnt/archive/x.log", 7));
	ck_assert_uint_eq(backfill_shard_of("x.log", 1), 0);
}
END_TEST

START_TEST(test_tags)
{
	char	*t;

	t = tail_expand_tag("kubernetes.*", "/var/log/containers/a_b_c-1.log");
	ck_assert_str_eq(t, "kubernetes.var.log.containers.a_b_c-1.log");
	free(t);
	t = tail_expand_tag("k8s.*.raw", "//var//log/x.log");
	ck_assert_str_eq(t, "k8s.var.log.x.log.raw");
	free(t);
	t = tail_expand_tag("kubernetes.spire.server", "/x/y.log");
	ck_assert_str_eq(t, "kubernetes.spire.server");
	free(t);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("rotate");
	TCase	*tc = tcase_create("rotate");

	tcase_add_test(tc, test_base_names);
	tcase_add_test(tc, test_origins);
	tcase_add_test(tc, test_lineage_order);
	tcase_add_test(tc, test_ranks);
	tcase_add_test(tc, test_shards);
	tcase_add_test(tc, test_tags);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
