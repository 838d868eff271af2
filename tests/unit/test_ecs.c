/*
 * test_ecs.c — `<format> @type ecs` (outputs/ecs.c) field by field,
 * against the README's mapping table: a security event from a pod, with
 * the fields the kubernetes_metadata filter writes; audit outcomes; what
 * a record without time, msg or metadata gives; a level that is no plain
 * word; and the rule that nothing the record said is lost (spire.*).
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "ecs.h"
#include "record.h"
#include "strbuf.h"

#define SOURCE	"/var/log/containers/spire-server-0_spire-system_" \
	"spire-server-0123.log"

static struct batch	 b;
static yajl_val		 doc;

static void
add(const char *k, const char *v)
{
	batch_add(&b, k, strlen(k), v, strlen(v), VAL_STRING);
}

/* The kubernetes and docker objects as filter_kubernetes.c writes them. */
static void
add_metadata(void)
{
	size_t	 kube, labels, nsl, docker;

	docker = batch_add_object(&b, FIELD_STR("docker"));
	add("container_id", "0123abcd");
	batch_end_object(&b, docker);
	kube = batch_add_object(&b, FIELD_STR("kubernetes"));
	add("container_name", "spire-server");
	add("namespace_name", "spire-system");
	add("pod_name", "spire-server-0");
	add("container_image", "ghcr.io/spiffe/spire-server:1.9.6");
	add("container_image_id", "ghcr.io/spiffe/spire-server@sha256:ab12");
	add("pod_id", "5f0c-uid");
	add("pod_ip", "10.1.2.3");
	add("host", "node-1");
	add("node_name", "node-1");
	labels = batch_add_object(&b, FIELD_STR("labels"));
	add("app", "spire-server");
	batch_end_object(&b, labels);
	add("master_url", "https://10.0.0.1:443/api");
	add("docker_id", "0123abcd");
	add("namespace_id", "ns-uid");
	nsl = batch_add_object(&b, FIELD_STR("namespace_labels"));
	add("team", "security");
	batch_end_object(&b, nsl);
	batch_end_object(&b, kube);
}

/* Encodes the open record and parses the document (doc). */
static void
encode(void)
{
	struct strbuf	 out = STRBUF_INIT;
	char		 why[256];

	batch_commit(&b);
	b.source = SOURCE;
	b.sourcelen = strlen(SOURCE);
	ecs_put_record(&out, &b, &b.recs[b.nrecs - 1]);
	doc = yajl_tree_parse(sb_cstr(&out), why, sizeof why);
	ck_assert_msg(doc != NULL, "not JSON (%s): %s", why, sb_cstr(&out));
	sb_free(&out);
}

/* The value at a path of keys (NULL-terminated), or NULL. */
static yajl_val
at(const char *first, ...)
{
	const char	*path[8];
	va_list		 ap;
	size_t		 n = 0;

	va_start(ap, first);
	for (path[n] = first; path[n] != NULL && n < 7; )
		path[++n] = va_arg(ap, const char *);
	va_end(ap);
	return yajl_tree_get(doc, path, yajl_t_any);
}

#define STR_AT(want, ...) do {						\
	yajl_val v_ = at(__VA_ARGS__, NULL);				\
	ck_assert_msg(v_ != NULL && YAJL_IS_STRING(v_), "%s: missing",	\
	    #__VA_ARGS__);						\
	ck_assert_str_eq(YAJL_GET_STRING(v_), want);			\
} while (0)
#define ABSENT(...)	ck_assert_msg(at(__VA_ARGS__, NULL) == NULL,	\
	"%s: present", #__VA_ARGS__)

/* A one-string array, as ECS's event.category and event.type are. */
static void
array_is(const char *k, const char *want)
{
	yajl_val	 v = at("event", k, NULL);

	ck_assert_msg(v != NULL && YAJL_IS_ARRAY(v) &&
	    YAJL_GET_ARRAY(v)->len == 1, "event.%s: not a 1-array", k);
	ck_assert_str_eq(YAJL_GET_STRING(YAJL_GET_ARRAY(v)->values[0]), want);
}

/* The object's keys, in order, comma separated. */
static const char *
keys_of(yajl_val obj)
{
	static char	 out[512];
	size_t		 i;

	out[0] = '\0';
	for (i = 0; obj != NULL && YAJL_IS_OBJECT(obj) &&
	    i < YAJL_GET_OBJECT(obj)->len; i++)
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s",
		    i ? "," : "", YAJL_GET_OBJECT(obj)->keys[i]);
	return out;
}

static void
setup(void)
{
	batch_init(&b);
	batch_begin(&b);
	doc = NULL;
}

static void
teardown(void)
{
	yajl_tree_free(doc);
	batch_free(&b);
}

/* A failed node attestation from spire-server, after every filter. */
static void
security_event(void)
{
	add("time", "2024-05-01T08:00:02.123456789Z");
	add("level", "WARN");
	add("level_raw", "warning");
	add("msg", "Failed to attest node");
	add("error", "rpc error: code = PermissionDenied");
	add("spiffe_id", "spiffe://example.org/spire/agent/k8s_psat/c/1");
	add("subsystem_name", "node_attestor");
	add("node_attestor_type", "k8s_psat");
	add("log", "{\"level\":\"warning\",\"msg\":\"Failed to attest node\"}");
	add("stream", "stderr");
	add_metadata();
	add("component", "spire-server");
	add("@timestamp", "2024-05-01T08:00:02.123456789Z");
	add("security_event", "attestation_failure");
	encode();
}

START_TEST(test_table)
{
	security_event();
	ck_assert_str_eq(keys_of(doc), "@timestamp,ecs,message,log,event,"
	    "service,error,spiffe,host,orchestrator,kubernetes,container,"
	    "spire");
	STR_AT("2024-05-01T08:00:02.123456789Z", "@timestamp");
	STR_AT("8.11.0", "ecs", "version");
	STR_AT("Failed to attest node", "message");
	STR_AT("warn", "log", "level");
	STR_AT(SOURCE, "log", "file", "path");
	STR_AT("alert", "event", "kind");
	STR_AT("spire", "event", "module");
	STR_AT("attestation_failure", "event", "action");
	array_is("category", "authentication");
	array_is("type", "start");
	STR_AT("failure", "event", "outcome");
	STR_AT("{\"level\":\"warning\",\"msg\":\"Failed to attest node\"}",
	    "event", "original");
	STR_AT("spire", "service", "type");
	STR_AT("spire-server", "service", "name");
	STR_AT("rpc error: code = PermissionDenied", "error", "message");
	STR_AT("spiffe://example.org/spire/agent/k8s_psat/c/1", "spiffe", "id");
	STR_AT("node-1", "host", "name");
	STR_AT("kubernetes", "orchestrator", "type");
	STR_AT("spire-system", "orchestrator", "namespace");
	STR_AT("pod", "orchestrator", "resource", "type");
	STR_AT("spire-server-0", "orchestrator", "resource", "name");
	STR_AT("spire-system", "kubernetes", "namespace");
	STR_AT("spire-server-0", "kubernetes", "pod", "name");
	STR_AT("5f0c-uid", "kubernetes", "pod", "uid");
	STR_AT("node-1", "kubernetes", "node", "name");
	STR_AT("spire-server", "container", "name");
	STR_AT("0123abcd", "container", "id");
	STR_AT("ghcr.io/spiffe/spire-server:1.9.6", "container", "image",
	    "name");
}
END_TEST

/* spire.*: every field the table does not map, as it was, and only those. */
START_TEST(test_nothing_lost)
{
	security_event();
	ck_assert_str_eq(keys_of(at("spire", NULL)), "level_raw,"
	    "subsystem_name,node_attestor_type,stream,kubernetes");
	STR_AT("warning", "spire", "level_raw");
	STR_AT("node_attestor", "spire", "subsystem_name");
	STR_AT("k8s_psat", "spire", "node_attestor_type");
	STR_AT("stderr", "spire", "stream");
	ck_assert_str_eq(keys_of(at("spire", "kubernetes", NULL)),
	    "container_image_id,pod_ip,labels,master_url,docker_id,"
	    "namespace_id,namespace_labels");
	STR_AT("ghcr.io/spiffe/spire-server@sha256:ab12", "spire",
	    "kubernetes", "container_image_id");
	STR_AT("10.1.2.3", "spire", "kubernetes", "pod_ip");
	STR_AT("spire-server", "spire", "kubernetes", "labels", "app");
	STR_AT("https://10.0.0.1:443/api", "spire", "kubernetes",
	    "master_url");
	STR_AT("0123abcd", "spire", "kubernetes", "docker_id");
	STR_AT("ns-uid", "spire", "kubernetes", "namespace_id");
	STR_AT("security", "spire", "kubernetes", "namespace_labels", "team");
	ABSENT("spire", "docker");	/* container_id is container.id */
}
END_TEST

static const char *
audit_outcome(const char *status)
{
	static char	 out[32];

	setup();
	add("level", "INFO");
	add("msg", "API accessed");
	add("type", "audit");
	if (status != NULL)
		add("status", status);
	add("security_event", "audit");
	encode();
	STR_AT("event", "event", "kind");
	array_is("category", "iam");
	array_is("type", "info");
	snprintf(out, sizeof out, "%s", YAJL_GET_STRING(at("event", "outcome",
	    NULL)));
	teardown();
	return out;
}

START_TEST(test_audit_outcomes)
{
	teardown();		/* audit_outcome makes its own records */
	ck_assert_str_eq(audit_outcome("success"), "success");
	ck_assert_str_eq(audit_outcome("error"), "failure");
	ck_assert_str_eq(audit_outcome(NULL), "unknown");
	setup();
}
END_TEST

/* No @timestamp, msg, metadata or security_event: what is left. */
START_TEST(test_bare_record)
{
	struct record	*r = batch_open_record(&b);

	r->time = 1714550402123456789LL;
	add("log", "panic: runtime error");
	add("stream", "stderr");
	encode();
	ck_assert_str_eq(keys_of(doc), "@timestamp,ecs,message,log,event,"
	    "service,spire");
	STR_AT("2024-05-01T08:00:02.123456789Z", "@timestamp");
	STR_AT("panic: runtime error", "message");
	ABSENT("event", "original");
	ABSENT("log", "level");
	STR_AT("event", "event", "kind");
	ABSENT("event", "action");
	ABSENT("event", "category");
	ABSENT("event", "outcome");
	ABSENT("service", "name");
	STR_AT("stderr", "spire", "stream");
}
END_TEST

/* host.name from node_name when host is missing; a docker object with
 * more than container_id keeps the rest. */
START_TEST(test_node_name)
{
	size_t	 kube = batch_add_object(&b, FIELD_STR("kubernetes")), docker;

	add("node_name", "node-7");
	batch_end_object(&b, kube);
	docker = batch_add_object(&b, FIELD_STR("docker"));
	add("container_id", "77");
	add("runtime", "containerd");
	batch_end_object(&b, docker);
	encode();
	STR_AT("node-7", "host", "name");
	STR_AT("77", "container", "id");
	STR_AT("containerd", "spire", "docker", "runtime");
	ABSENT("orchestrator");
	ABSENT("spire", "kubernetes");
}
END_TEST

/* ECS levels are lower case; a level that is no plain word still makes
 * valid JSON, only A-Z lowered. */
START_TEST(test_odd_level)
{
	add("level", "Wa\"rN\\\x01\xc3\x89");
	encode();
	STR_AT("wa\"rn\\\x01\xc3\x89", "log", "level");
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("ecs");
	TCase	*tc = tcase_create("ecs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_nothing_lost);
	tcase_add_test(tc, test_audit_outcomes);
	tcase_add_test(tc, test_bare_record);
	tcase_add_test(tc, test_node_name);
	tcase_add_test(tc, test_odd_level);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
