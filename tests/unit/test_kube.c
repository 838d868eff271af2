/*
 * test_kube.c — Kubernetes JSON into metadata, the kubelet's paths into
 * names, and the cache (LRU, TTL, 404s, backoff).
 *
 * The JSON is real API output, kept in tests/data/kube/: a StatefulSet's
 * pod with two containers and an init container, a namespace, a 404
 * Status, a PodList with a broken item and a watch stream with every
 * event type. Each test compares exact strings.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube.h"
#include "kube_cache.h"
#include "mem.h"
#include "record.h"
#include "strbuf.h"

#define DATA	TOP_SRCDIR "/tests/data/kube/"

static char	 err[256];

static char *
slurp(const char *name)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		 buf[4096];
	FILE		*f = fopen(name, "r");
	size_t		 n;

	ck_assert_msg(f != NULL, "cannot open %s", name);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	return sb_take(&sb);
}

static const char *
S(const struct kube_meta *m, struct kube_str s)
{
	static char	 out[4][512];
	static int	 k;

	k = (k + 1) % 4;
	snprintf(out[k], sizeof out[k], "%.*s", (int)s.len, kube_s(m, s));
	return out[k];
}

/* "k=v,k=v" of a label or annotation list. */
static const char *
kvs(const struct kube_meta *m, const struct kube_kv *kv, uint32_t n)
{
	static struct strbuf	 sb;
	uint32_t		 i;

	sb_reset(&sb);
	for (i = 0; i < n; i++)
		sb_addf(&sb, "%s%s=%s", i ? "," : "", S(m, kv[i].key),
		    S(m, kv[i].val));
	return sb_cstr(&sb);
}

static bool
keep_spiffe(const void *arg, const char *key, size_t len)
{
	(void)arg;
	return len >= 9 && memcmp(key, "spiffe.io", 9) == 0;
}

static const struct kube_parse_opts dotted = { "_", keep_spiffe, NULL };
static const struct kube_parse_opts plain = { NULL, NULL, NULL };

static struct kube_meta *
pod_fixture(const struct kube_parse_opts *o)
{
	char		*json = slurp(DATA "pod-spire-server.json");
	struct kube_meta *m = kube_meta_parse(json, KUBE_POD, o, err,
	    sizeof err);

	free(json);
	ck_assert_msg(m != NULL, "parse: %s", err);
	return m;
}

/* --- pods and namespaces ------------------------------------------------- */

START_TEST(test_pod_fields)
{
	struct kube_meta	*m = pod_fixture(&dotted);

	ck_assert_int_eq(m->kind, KUBE_POD);
	ck_assert_str_eq(S(m, m->uid), "5b7f2c1e-9d3a-4c61-8f0e-2a6b9c4d1e70");
	ck_assert_str_eq(S(m, m->name), "spire-server-0");
	ck_assert_str_eq(S(m, m->ns), "spire-system");
	ck_assert_str_eq(S(m, m->node), "node-1");
	ck_assert_str_eq(S(m, m->ip), "10.244.1.10");
	ck_assert_str_eq(S(m, m->rv), "482913");
	ck_assert_str_eq(S(m, m->ownerrefs),
	    "[{\"kind\":\"StatefulSet\",\"name\":\"spire-server\"}]");
	/* Only containerStatuses, not the init container's. */
	ck_assert_uint_eq(m->ncontainers, 2);
	ck_assert_str_eq(S(m, m->containers[1].name), "spire-server");
	ck_assert_str_eq(S(m, m->containers[1].image),
	    "ghcr.io/spiffe/spire-server:1.15.3");
	ck_assert_str_eq(S(m, m->containers[1].id), "ac0cb9124e0945268d551c036ae5"
	    "1aad57207bcb1ae2efb59ae660181d84c7fa");
	ck_assert_str_eq(S(m, m->containers[1].image_id), "ghcr.io/spiffe/"
	    "spire-server@sha256:5f0cbd9a4e1b2c3d4e5f60718293a4b5c6d7e8f90a1b"
	    "2c3d4e5f60718293a4b5");
	kube_meta_free(m);
}
END_TEST

START_TEST(test_de_dot_and_annotation_match)
{
	struct kube_meta		*m = pod_fixture(&dotted);
	struct kube_parse_opts	 	 dash = { "__", keep_spiffe, NULL };

	ck_assert_str_eq(kvs(m, m->labels, m->nlabels), "app=spire-server,"
	    "app_kubernetes_io/name=server,controller-revision-hash="
	    "spire-server-7c9f8d6b5,statefulset_kubernetes_io/pod-name="
	    "spire-server-0");
	/* Matched on the original key, then de-dotted. */
	ck_assert_str_eq(kvs(m, m->annotations, m->nannotations),
	    "spiffe_io/audit=enabled");
	kube_meta_free(m);
	m = pod_fixture(&plain);
	ck_assert_str_eq(kvs(m, m->labels, 2), "app=spire-server,"
	    "app.kubernetes.io/name=server");
	ck_assert_uint_eq(m->nannotations, 0);	/* annotation_match [] */
	kube_meta_free(m);
	m = pod_fixture(&dash);
	ck_assert_str_eq(S(m, m->labels[1].key), "app__kubernetes__io/name");
	kube_meta_free(m);
}
END_TEST

START_TEST(test_container_find)
{
	struct kube_meta		*m = pod_fixture(&plain);
	const struct kube_container	*c;
	const char			*id = "2222222222222222222222222222222222"
					    "222222222222222222222222222222";

	c = kube_container_find(m, id, strlen(id), FIELD_STR("spire-server"));
	ck_assert_str_eq(S(m, c->name), "spire-controller-manager");
	c = kube_container_find(m, "ff", 2, FIELD_STR("spire-server"));
	ck_assert_str_eq(S(m, c->name), "spire-server");	/* by name */
	ck_assert_ptr_null(kube_container_find(m, "ff", 2, FIELD_STR("init")));
	kube_meta_free(m);
}
END_TEST

START_TEST(test_dup)
{
	struct kube_meta	*m = pod_fixture(&dotted);
	struct kube_meta	*d = kube_meta_dup(m);

	kube_meta_free(m);	/* the copy stands alone */
	ck_assert_str_eq(S(d, d->name), "spire-server-0");
	ck_assert_str_eq(S(d, d->labels[0].val), "spire-server");
	ck_assert_str_eq(S(d, d->containers[1].name), "spire-server");
	ck_assert_str_eq(S(d, d->annotations[0].key), "spiffe_io/audit");
	kube_meta_free(d);
}
END_TEST

START_TEST(test_namespace)
{
	char		*json = slurp(DATA "namespace-spire-system.json");
	struct kube_meta *m = kube_meta_parse(json, KUBE_NAMESPACE, &dotted,
	    err, sizeof err);

	ck_assert_msg(m != NULL, "%s", err);
	ck_assert_str_eq(S(m, m->uid), "8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f");
	ck_assert_str_eq(kvs(m, m->labels, m->nlabels),
	    "kubernetes_io/metadata_name=spire-system,team=identity");
	ck_assert_uint_eq(m->nannotations, 0);
	ck_assert_uint_eq(m->ncontainers, 0);
	kube_meta_free(m);
	/* A namespace is not a pod. */
	ck_assert_ptr_null(kube_meta_parse(json, KUBE_POD, &plain, err,
	    sizeof err));
	ck_assert_str_eq(err, "kind Namespace, not Pod");
	free(json);
}
END_TEST

START_TEST(test_bad_objects)
{
	char		*json = slurp(DATA "status-404.json");
	struct kube_meta *m;

	ck_assert_ptr_null(kube_meta_parse(json, KUBE_POD, &plain, err,
	    sizeof err));
	ck_assert_str_eq(err, "kind Status, not Pod");
	free(json);
	ck_assert_ptr_null(kube_meta_parse("{\"metadata\":{\"name\":\"x\"}}",
	    KUBE_POD, &plain, err, sizeof err));
	ck_assert_str_eq(err, "no metadata.uid");
	ck_assert_ptr_null(kube_meta_parse("[1,2]", KUBE_POD, &plain, err,
	    sizeof err));
	ck_assert_str_eq(err, "not an object with metadata");
	ck_assert_ptr_null(kube_meta_parse("{\"metadata\":", KUBE_POD, &plain,
	    err, sizeof err));
	ck_assert_msg(strncmp(err, "invalid JSON: ", 14) == 0, "%s", err);
	/* Wrong types are absent fields, not crashes. */
	m = kube_meta_parse("{\"metadata\":{\"uid\":\"u\",\"labels\":[1],"
	    "\"annotations\":{\"a\":3}},\"status\":{\"containerStatuses\":"
	    "{\"x\":1},\"podIP\":7}}", KUBE_POD, &dotted, err, sizeof err);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->nlabels + m->nannotations + m->ncontainers +
	    m->ip.len, 0);
	kube_meta_free(m);
}
END_TEST

/* A Pod with spec.x nested n deep, parsed. */
static struct kube_meta *
deep_pod(int n)
{
	struct strbuf	 sb = STRBUF_INIT;
	struct kube_meta *m;
	int		 i;

	sb_adds(&sb, "{\"kind\":\"Pod\",\"metadata\":{\"uid\":\"u\"},"
	    "\"spec\":{\"x\":");
	for (i = 0; i < n; i++)
		sb_addc(&sb, '[');
	for (i = 0; i < n; i++)
		sb_addc(&sb, ']');
	sb_adds(&sb, "}}");
	m = kube_meta_parse(sb_cstr(&sb), KUBE_POD, &plain, err, sizeof err);
	sb_free(&sb);
	return m;
}

/* An object nested 2000000 deep is refused before yajl builds a tree
 * (freeing it recursed per level: a stack overflow); 100 levels pass. */
START_TEST(test_deep_objects)
{
	struct kube_meta *m;

	ck_assert_ptr_null(deep_pod(2000000));
	ck_assert_str_eq(err, "JSON nested deeper than 128 levels");
	m = deep_pod(100);
	ck_assert_ptr_nonnull(m);
	kube_meta_free(m);
}
END_TEST

/* --- lists and watch events ---------------------------------------------- */

static struct strbuf	 names;

static void
collect(void *arg, struct kube_meta *m)
{
	(void)arg;
	sb_addf(&names, "%s%s@%s", names.len ? "," : "", S(m, m->name),
	    S(m, m->node));
	kube_meta_free(m);
}

START_TEST(test_list)
{
	char		*json = slurp(DATA "podlist.json");
	char		 rv[64];
	unsigned	 skipped;

	sb_reset(&names);
	ck_assert_int_eq(kube_list_parse(json, KUBE_POD, &plain, collect, NULL,
	    rv, sizeof rv, &skipped, err, sizeof err), 0);
	ck_assert_str_eq(sb_cstr(&names), "spire-agent-pbwjc@node-1,"
	    "pending-pod@");
	ck_assert_uint_eq(skipped, 1);		/* the one without a uid */
	ck_assert_str_eq(rv, "482920");
	ck_assert_int_eq(kube_list_parse("{\"kind\":\"Status\",\"code\":403}",
	    KUBE_POD, &plain, collect, NULL, rv, sizeof rv, &skipped, err,
	    sizeof err), -1);
	ck_assert_str_eq(err, "not a list: no items or no "
	    "metadata.resourceVersion");
	free(json);
	sb_free(&names);
}
END_TEST

START_TEST(test_watch_events)
{
	char			*all = slurp(DATA "watch-events.ndjson");
	char			*line, *save = NULL;
	struct kube_event	 ev;
	struct strbuf		 got = STRBUF_INIT;

	for (line = strtok_r(all, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (kube_event_parse(line, KUBE_POD, &plain, &ev, err,
		    sizeof err) != 0) {
			sb_addf(&got, "bad(%s) ", err);
			continue;
		}
		if (ev.type == KUBE_ERROR)
			sb_addf(&got, "error %ld ", ev.code);
		else
			sb_addf(&got, "%d:%s:%s:%u ", ev.type,
			    S(ev.obj, ev.obj->uid), S(ev.obj, ev.obj->rv),
			    ev.obj->nlabels);
		kube_meta_free(ev.obj);
	}
	ck_assert_str_eq(sb_cstr(&got),
	    "0:aaaaaaaa-0000-4000-8000-000000000001:482930:1 "
	    "1:aaaaaaaa-0000-4000-8000-000000000001:482931:2 "
	    "3::482999:0 error 410 "
	    "2:aaaaaaaa-0000-4000-8000-000000000001:483000:0 "
	    "bad(not a watch event: no known type or no object) ");
	sb_free(&got);
	free(all);
}
END_TEST

/* --- the kubelet's paths ------------------------------------------------- */

static const char *
pod_path(const char *p)
{
	static char		 out[256];
	struct kube_pod_path	 pp;

	if (!kube_pod_path_parse(p, strlen(p), &pp))
		return "-";
	snprintf(out, sizeof out, "%.*s|%.*s|%.*s|%.*s", (int)pp.nslen, pp.ns,
	    (int)pp.podlen, pp.pod, (int)pp.uidlen, pp.uid,
	    (int)pp.containerlen, pp.container);
	return out;
}

START_TEST(test_pod_paths)
{
	ck_assert_str_eq(pod_path("/var/log/pods/spire-system_spire-server-0_"
	    "5b7f2c1e-9d3a-4c61-8f0e-2a6b9c4d1e70/spire-server/0.log"),
	    "spire-system|spire-server-0|5b7f2c1e-9d3a-4c61-8f0e-2a6b9c4d1e70|"
	    "spire-server");
	ck_assert_str_eq(pod_path("../pods/ns_p.q_abc-1/c/12.log"),
	    "ns|p.q|abc-1|c");
	ck_assert_str_eq(pod_path("ns_p_u/c/0.log.20240501-080000.gz"),
	    "ns|p|u|c");
	ck_assert_str_eq(pod_path("ns_p_u/c/0.log"), "ns|p|u|c");
	ck_assert_str_eq(pod_path("c/0.log"), "-");
	ck_assert_str_eq(pod_path("/x/ns_p/c/0.log"), "-");	/* no uid */
	ck_assert_str_eq(pod_path("/x/ns_p_u_v/c/0.log"), "-");
	ck_assert_str_eq(pod_path("/x/ns_p_U/c/0.log"), "-");	/* not a uid */
	ck_assert_str_eq(pod_path("/x/_p_u/c/0.log"), "-");
	ck_assert_str_eq(pod_path("/x/ns__u/c/0.log"), "-");
	ck_assert_str_eq(pod_path("/x/ns_p_u//0.log"), "-");
	ck_assert_str_eq(pod_path("/x/ns_p_u/c/a.log"), "-");
	ck_assert_str_eq(pod_path("/x/ns_p_u/c/0.logx"), "-");
	ck_assert_str_eq(pod_path("/var/lib/docker/containers/abc/abc-json.log"),
	    "-");
	ck_assert_str_eq(pod_path(""), "-");
}
END_TEST

/* --- the cache ----------------------------------------------------------- */

static struct kube_meta *
meta_named(const char *uid)
{
	char		*json = xasprintf("{\"metadata\":{\"uid\":\"%s\"}}",
			    uid);
	struct kube_meta *m = kube_meta_parse(json, KUBE_POD, &plain, err,
	    sizeof err);

	free(json);
	return m;
}

static void
put(struct kube_cache *c, const char *k, uint64_t now)
{
	kube_cache_found(c, kube_cache_add(c, k, strlen(k), now),
	    meta_named(k), now);
}

static bool
has(struct kube_cache *c, const char *k, uint64_t now)
{
	return kube_cache_get(c, k, strlen(k), now) != NULL;
}

START_TEST(test_cache_lru)
{
	struct kube_cache	 c;

	kube_cache_init(&c, 2, 0);
	put(&c, "a", 0);
	put(&c, "b", 0);
	ck_assert(has(&c, "a", 1));		/* a is now the newest */
	put(&c, "c", 2);			/* so b goes */
	ck_assert(!has(&c, "b", 3));
	ck_assert(has(&c, "a", 3));
	ck_assert(has(&c, "c", 3));
	ck_assert_uint_eq(c.n, 2);
	ck_assert_uint_eq(c.evictions, 1);
	kube_cache_remove(&c, kube_cache_get(&c, "a", 1, 4));
	ck_assert_uint_eq(c.n, 1);
	ck_assert_ptr_eq(c.newest, c.oldest);
	kube_cache_free(&c);
}
END_TEST

START_TEST(test_cache_ttl)
{
	struct kube_cache	 c;
	struct kube_entry	*e;

	kube_cache_init(&c, 10, 1000);
	put(&c, "a", 100);
	e = kube_cache_get(&c, "a", 1, 1099);
	ck_assert(!kube_entry_stale(e, 1099));
	ck_assert(!kube_entry_due(e, 1099));
	ck_assert(kube_entry_stale(e, 1100));	/* stale, but still there */
	ck_assert(kube_entry_due(e, 1100));
	ck_assert_ptr_nonnull(e->meta);
	e->queued = true;			/* a refresh is asked for */
	ck_assert(!kube_entry_due(e, 1100));
	kube_cache_free(&c);
	kube_cache_init(&c, 10, 0);		/* cache_ttl < 0: never */
	put(&c, "a", 100);
	e = kube_cache_get(&c, "a", 1, 1);
	ck_assert(!kube_entry_stale(e, UINT64_MAX - 1));
	kube_cache_free(&c);
}
END_TEST

START_TEST(test_cache_not_found)
{
	struct kube_cache	 c;
	struct kube_entry	*e;

	kube_cache_init(&c, 10, 3600000);
	e = kube_cache_add(&c, "gone", 4, 0);
	ck_assert_int_eq(e->state, KUBE_PENDING);
	ck_assert(kube_entry_due(e, 0));
	kube_cache_not_found(e, 0, 60000);
	ck_assert(!kube_entry_due(e, 59999));	/* believed, not asked */
	ck_assert(has(&c, "gone", 59999));
	ck_assert(!has(&c, "gone", 60000));	/* then forgotten */
	ck_assert_uint_eq(c.n, 0);
	kube_cache_free(&c);
}
END_TEST

START_TEST(test_cache_backoff)
{
	struct kube_cache	 c;
	struct kube_entry	*e;
	uint64_t		 now = 0, waits[6];
	int			 i;

	kube_cache_init(&c, 10, 3600000);
	e = kube_cache_add(&c, "x", 1, 0);
	for (i = 0; i < 6; i++) {
		kube_cache_failed(e, now);
		ck_assert(!kube_entry_due(e, e->retry_at - 1));
		ck_assert(kube_entry_due(e, e->retry_at));
		waits[i] = e->retry_at - now;
		now = e->retry_at;
	}
	ck_assert_uint_eq(waits[0], 1000);
	ck_assert_uint_eq(waits[1], 2000);
	ck_assert_uint_eq(waits[2], 4000);
	ck_assert_uint_eq(waits[3], 8000);
	ck_assert_uint_eq(waits[4], 10000);
	ck_assert_uint_eq(waits[5], 10000);
	/* An answer ends the backoff. */
	kube_cache_found(&c, e, meta_named("x"), now);
	ck_assert_uint_eq(e->failures, 0);
	kube_cache_failed(e, now);
	ck_assert_uint_eq(e->retry_at - now, 1000);
	ck_assert_ptr_nonnull(e->meta);		/* the last one is kept */
	kube_cache_free(&c);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("kube");
	TCase	*tj = tcase_create("json");
	TCase	*tp = tcase_create("paths");
	TCase	*tc = tcase_create("cache");

	tcase_add_test(tj, test_pod_fields);
	tcase_add_test(tj, test_de_dot_and_annotation_match);
	tcase_add_test(tj, test_container_find);
	tcase_add_test(tj, test_dup);
	tcase_add_test(tj, test_namespace);
	tcase_add_test(tj, test_deep_objects);
	tcase_add_test(tj, test_bad_objects);
	tcase_add_test(tj, test_list);
	tcase_add_test(tj, test_watch_events);
	tcase_add_test(tp, test_pod_paths);
	tcase_add_test(tc, test_cache_lru);
	tcase_add_test(tc, test_cache_ttl);
	tcase_add_test(tc, test_cache_not_found);
	tcase_add_test(tc, test_cache_backoff);
	suite_add_tcase(s, tj);
	suite_add_tcase(s, tp);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
