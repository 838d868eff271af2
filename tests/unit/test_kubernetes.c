/*
 * test_kubernetes.c — the kubernetes_metadata filter, through the real
 * pipeline: where the names come from (tag, path, base name, the
 * kubelet's symlink), the fields it writes with the API's metadata (put
 * in its cache as an answer would be), what the skip_ options leave out,
 * and that a record never waits for an API server that does not answer.
 *
 * Records are compared as exact JSON.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "filter_kubernetes.h"
#include "jsonenc.h"
#include "kube_worker.h"
#include "log.h"
#include "mem.h"
#include "pipeline.h"
#include "record.h"
#include "loop.h"
#include "strbuf.h"
#include "pipeline_fixture.h"
#include "tmpdir.h"

#define DATA	TOP_SRCDIR "/tests/data/kube/"
#define ID	"ac0cb9124e0945268d551c036ae51aad57207bcb1ae2efb59ae660181d84c7fa"
#define UID	"5b7f2c1e-9d3a-4c61-8f0e-2a6b9c4d1e70"
#define NAME	"spire-server-0_spire-system_spire-server-" ID ".log"
#define FILE_FIELDS "\"container_name\":\"spire-server\",\"namespace_name\":" \
	"\"spire-system\",\"pod_name\":\"spire-server-0\""
/* A record {"msg":"x"} with its docker object, up to its kubernetes'. */
#define HEAD	"{\"msg\":\"x\",\"docker\":{\"container_id\":\"" ID "\"}," \
	"\"kubernetes\":{" FILE_FIELDS
#define API	"  kubernetes_url https://127.0.0.1:1\n  watch false\n"

/* The API server's variables would decide kubernetes_url. */
static void
no_service_env(void)
{
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
}

static void
nothing(void)
{
}

static char *
kube_text(const char *opts)
{
	return xasprintf("<filter k.**>\n  @type kubernetes_metadata\n%s"
	    "</filter>\n<match k.**>\n  @type null\n</match>\n", opts);
}

/* The filter with opts (its parameters, one per line). */
static void
build_kube(const char *opts)
{
	char	*text = kube_text(opts);

	build(text);
	free(text);
}

static struct filter *
kfilter(void)
{
	return pl->dirs[0].filter;
}

/* One record {"msg":"x"} (and extra, if given) from file path, as JSON. */
static const char *
feed_extra(const char *tag, const char *path, const char *extra)
{
	struct route	*rt = pipeline_route(pl, tag, strlen(tag));
	struct record	*r;

	batch_reset(&b);
	b.source = path;
	b.sourcelen = path ? strlen(path) : 0;
	r = batch_begin(&b);
	batch_add(&b, FIELD_STR("msg"), FIELD_STR("x"), VAL_STRING);
	if (extra != NULL)
		batch_add(&b, FIELD_STR("kubernetes"), extra, strlen(extra),
		    VAL_STRING);
	ck_assert(route_run(rt, &b));
	sb_reset(&sb);
	json_put_record(&sb, &b, &b.recs[b.nrecs - 1]);
	(void)r;
	return sb_cstr(&sb);
}

static const char *
feed(const char *tag, const char *path)
{
	return feed_extra(tag, path, NULL);
}

static struct kube_metrics
metrics(void)
{
	struct kube_metrics	 m;

	filter_kubernetes_metrics(kfilter(), &m);
	return m;
}

/* The fixtures, as if the API server had answered. */
static void
put_fixtures(void)
{
	static const char *const files[2] = {
		DATA "pod-spire-server.json", DATA "namespace-spire-system.json"
	};
	struct kube_worker	*w = filter_kubernetes_worker(kfilter());
	char			 perr[256];
	int			 i;

	ck_assert_ptr_nonnull(w);
	for (i = 0; i < 2; i++) {
		FILE	*f = fopen(files[i], "r");
		char	 json[8192];
		size_t	 n = fread(json, 1, sizeof json - 1, f);

		fclose(f);
		json[n] = '\0';
		ck_assert_msg(kube_worker_put_json(w, i ? KUBE_NAMESPACE :
		    KUBE_POD, json, perr, sizeof perr) == 0, "%s", perr);
	}
}

/* tmpdir/var/log/containers/NAME -> ../pods/<ns>_<pod>_<uid>/c/0.log */
static char *
kubelet_layout(const char *uid)
{
	char	*pods = xasprintf("%s/var/log/pods/spire-system_spire-server-0_"
		    "%s/spire-server", tmpdir, uid);
	char	*cmd = xasprintf("mkdir -p %s %s/var/log/containers && touch "
		    "%s/0.log", pods, tmpdir, pods);
	char	*link = xasprintf("%s/var/log/containers/" NAME, tmpdir);
	char	*target = xasprintf("../pods/spire-system_spire-server-0_%s/"
		    "spire-server/0.log", uid);

	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(symlink(target, link), 0);
	free(pods);
	free(cmd);
	free(target);
	return link;
}

/* --- names --------------------------------------------------------------- */

START_TEST(test_names_from_tag)
{
	build_kube("");
	ck_assert_str_eq(feed("k.var.log.containers." NAME, NULL),
	    HEAD ",\"docker_id\":\"" ID "\"}}");
	ck_assert_uint_eq(metrics().unparsable_names, 0);
	ck_assert_uint_eq(metrics().metadata_missing, 0);	/* no API */
}
END_TEST

START_TEST(test_names_from_path)
{
	const char	*want = HEAD ",\"docker_id\":\"" ID "\"}}";

	build_kube("");
	/* DESIGN.md's fixed tag: the file names the pod. */
	ck_assert_str_eq(feed("k.spire.server", "/var/log/containers/" NAME),
	    want);
	/* A backfilled archive keeps the kubelet's name, not its dir. */
	ck_assert_str_eq(feed("k.spire.server", "/archive/node-1/" NAME ".2.gz"),
	    want);
	ck_assert_str_eq(feed("k.spire.server", "/archive/" NAME
	    ".20240501-080000"), want);
}
END_TEST

START_TEST(test_names_from_pods_dir)
{
	build_kube("");
	ck_assert_str_eq(feed("k.x", "/var/log/pods/spire-system_spire-server-0_"
	    UID "/spire-server/0.log"), "{\"msg\":\"x\",\"kubernetes\":{"
	    FILE_FIELDS ",\"pod_id\":\"" UID "\"}}");
}
END_TEST

START_TEST(test_unparsable_untouched)
{
	build_kube("");
	ck_assert_str_eq(feed_extra("k.spire.server", "/var/log/messages",
	    "kept"), "{\"msg\":\"x\",\"kubernetes\":\"kept\"}");
	ck_assert_str_eq(feed("k.spire.server", "/var/log/containers/"
	    "Not_A-Pod.log"), "{\"msg\":\"x\"}");
	ck_assert_str_eq(feed("k.spire.server", NULL), "{\"msg\":\"x\"}");
	ck_assert_uint_eq(metrics().unparsable_names, 3);
}
END_TEST

START_TEST(test_uid_from_symlink)
{
	char	*link = kubelet_layout(UID);

	build_kube("");
	ck_assert_str_eq(feed("k.spire.server", link), HEAD ",\"pod_id\":\""
	    UID "\",\"docker_id\":\"" ID "\"}}");
	free(link);
}
END_TEST

/* --- metadata ------------------------------------------------------------ */

#define API_FIELDS(labels, annotations) \
	"\"container_image\":\"ghcr.io/spiffe/spire-server:1.15.3\"," \
	"\"container_image_id\":\"ghcr.io/spiffe/spire-server@sha256:" \
	"5f0cbd9a4e1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5\"," \
	"\"pod_id\":\"" UID "\",\"pod_ip\":\"10.244.1.10\",\"host\":" \
	"\"node-1\",\"node_name\":\"node-1\"," labels annotations

#define LABELS	"\"labels\":{\"app\":\"spire-server\",\"app_kubernetes_io/" \
	"name\":\"server\",\"controller-revision-hash\":\"spire-server-" \
	"7c9f8d6b5\",\"statefulset_kubernetes_io/pod-name\":" \
	"\"spire-server-0\"},"
#define NS_FIELDS "\"namespace_id\":\"8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f\""
#define NS_LABELS "\"namespace_labels\":{\"kubernetes_io/metadata_name\":" \
	"\"spire-system\",\"team\":\"identity\"}"

START_TEST(test_api_fields)
{
	char	*link = kubelet_layout(UID);

	build_kube("  kubernetes_url https://127.0.0.1:1/\n  watch false\n"
	    "  annotation_match [\"^spiffe\\\\.io/\", \"^owner$\"]\n");
	put_fixtures();
	ck_assert_str_eq(feed_extra("k.spire.server", link, "replaced"),
	    HEAD "," API_FIELDS(LABELS, "\"annotations\":{\"spiffe_io/audit\":"
	    "\"enabled\"},")
	    "\"master_url\":\"https://127.0.0.1:1/\",\"docker_id\":\"" ID "\","
	    NS_FIELDS "," NS_LABELS ",\"namespace_annotations\":"
	    "{\"owner\":\"security@example.org\"}}}");
	ck_assert_uint_eq(metrics().cache_hits, 1);
	ck_assert_uint_eq(metrics().metadata_missing, 0);
	free(link);
}
END_TEST

START_TEST(test_skips)
{
	char	*link = kubelet_layout(UID);

	build_kube(API "  skip_labels true\n  skip_container_metadata true\n"
	    "  skip_master_url true\n  include_ownerrefs_metadata true\n");
	put_fixtures();
	ck_assert_str_eq(feed("k.spire.server", link), HEAD ",\"pod_id\":\""
	    UID "\",\"pod_ip\":\"10.244.1.10\",\"host\":\"node-1\","
	    "\"node_name\":\"node-1\","
	    "\"ownerrefs\":[{\"kind\":\"StatefulSet\",\"name\":\"spire-server\"}],"
	    "\"docker_id\":\"" ID "\"," NS_FIELDS "}}");
	build_kube(API "  de_dot false\n  skip_namespace_metadata true\n"
	    "  skip_pod_labels true\n");
	put_fixtures();
	ck_assert_str_eq(feed("k.spire.server", link), HEAD ","
	    API_FIELDS("", "")
	    "\"master_url\":\"https://127.0.0.1:1\",\"docker_id\":\"" ID "\"}}");
	free(link);
}
END_TEST

/* spire-server-0 came back as a new pod: the old one's lines do not get
 * the new pod's metadata. */
START_TEST(test_keyed_by_uid)
{
	char	*link = kubelet_layout("0ff1ce00-0000-4000-8000-000000000000");

	build_kube(API);
	put_fixtures();
	ck_assert_str_eq(feed("k.spire.server", link), HEAD ",\"pod_id\":"
	    "\"0ff1ce00-0000-4000-8000-000000000000\",\"docker_id\":\"" ID
	    "\"," NS_FIELDS "," NS_LABELS "}}");
	ck_assert_uint_eq(metrics().cache_misses, 1);
	ck_assert_uint_eq(metrics().metadata_missing, 1);
	free(link);
}
END_TEST

/* Nothing listens on port 1: records go on, one short wait at most. */
START_TEST(test_never_blocks)
{
	struct kube_metrics	 m;
	uint64_t		 t0;
	int			 i;

	build_kube(API);
	ck_assert_int_eq(pipeline_start(pl, NULL, &e), 0);
	t0 = loop_now_ms();
	for (i = 0; i < 2000; i++)
		feed("k.spire.server", "/var/log/containers/" NAME);
	ck_assert_msg(loop_now_ms() - t0 < 1000, "2000 records took %llu ms",
	    (unsigned long long)(loop_now_ms() - t0));
	for (t0 = loop_now_ms(); metrics().requests[KUBE_REQ_FAILED] == 0 &&
	    loop_now_ms() - t0 < 5000; )
		usleep(10000);		/* the API thread did try */
	pipeline_stop(pl);
	m = metrics();
	ck_assert_uint_eq(m.metadata_missing, 2000);
	ck_assert_uint_eq(m.cache_misses, 2000);
	ck_assert_uint_ge(m.requests[KUBE_REQ_FAILED], 1);
	/* Failures back off: not one request per record. */
	ck_assert_uint_le(m.pod_requests, 4);
}
END_TEST

/* --- configuration ------------------------------------------------------- */

static void
fails(const char *opts, const char *want)
{
	char		*text = kube_text(opts);
	struct pipeline	*p = pipeline_from(text, &e);

	free(text);
	ck_assert_msg(p == NULL, "no error for: %s", opts);
	ck_assert_msg(strstr(e.msg, want) != NULL, "%s", e.msg);
}

START_TEST(test_config_errors)
{
	fails("  de_dot_separator .\n", "test.conf:3: <filter k.**> @type "
	    "kubernetes_metadata de_dot_separator: must not contain a dot");
	fails("  cache_size 0\n", "cache_size: must be at least 1");
	fails("  annotation_match [\"(\"]\n", "test.conf:3: <filter k.**> "
	    "@type kubernetes_metadata annotation_match: invalid regular "
	    "expression /(/");
	fails("  tag_to_kubernetes_name_regexp (?<x\n",
	    "tag_to_kubernetes_name_regexp: invalid regular expression");
	fails("  cache_ttl soon\n", "cache_ttl");
	fails("  watchh true\n", "unknown parameter 'watchh'");
}
END_TEST

START_TEST(test_service_environment)
{
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	build_kube("  watch false\n");
	put_fixtures();
	ck_assert_ptr_nonnull(strstr(feed("k.var.log.containers." NAME, NULL),
	    "\"master_url\":\"https://[fd00::1]:443/api\""));
}
END_TEST

static TCase *
tcase_kube(const char *name, bool scratch)
{
	TCase	*t = tcase_create(name);

	tcase_add_checked_fixture(t, no_service_env, nothing);
	tcase_add_checked_fixture(t, setup, teardown);
	if (scratch)
		tcase_add_checked_fixture(t, tmpdir_setup, tmpdir_teardown);
	return t;
}

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("kubernetes");
	TCase	*tn = tcase_kube("names", true);
	TCase	*tm = tcase_kube("metadata", true);
	TCase	*tc = tcase_kube("config", false);

	tcase_add_test(tn, test_names_from_tag);
	tcase_add_test(tn, test_names_from_path);
	tcase_add_test(tn, test_names_from_pods_dir);
	tcase_add_test(tn, test_unparsable_untouched);
	tcase_add_test(tn, test_uid_from_symlink);
	tcase_add_test(tm, test_api_fields);
	tcase_add_test(tm, test_skips);
	tcase_add_test(tm, test_keyed_by_uid);
	tcase_add_test(tm, test_never_blocks);
	tcase_add_test(tc, test_config_errors);
	tcase_add_test(tc, test_service_environment);
	suite_add_tcase(s, tn);
	suite_add_tcase(s, tm);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
