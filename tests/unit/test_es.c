/*
 * test_es.c — the Elasticsearch output without a buffer.
 *
 * Encoding: the action line, index names (index_name, logstash_format
 * from @timestamp across midnight, from the record's time when it has
 * none, local dates, target_index_key), deterministic ids (pinned: they
 * are document identities), id_key, create. Configuration errors name
 * their file:line. Sending, against a small bulk endpoint in a thread
 * that answers each document with the status the document asks for:
 * per-item results, the dead-letter file, 413 halving, request size
 * limits, gzip, failed requests and failover, the template and ILM
 * steps before the first bulk, and the warning when no installed
 * template covers the index written.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_tree.h>

#include "config.h"
#include "es.h"
#include "source_id.h"
#include "fsutil.h"
#include "httpd.h"
#include "loop.h"
#include "mem.h"
#include "timefmt.h"
#include "tmpdir.h"

/* --- an output from configuration text ----------------------------------- */

static struct conf	 conf;
static struct output	 out;

/* Loads "<match t.**> @type elasticsearch BODY </match>"; rc of init. */
static int
es_load(const char *body, struct err *e)
{
	char			*text = xasprintf("<match t.**>\n@type "
				    "elasticsearch\n%s</match>\n", body);
	struct conf_elem	*el;
	int			 rc;

	ck_assert_msg(conf_load_string(&conf, text, "test.conf", e) == 0,
	    "%s", e->msg);
	free(text);
	el = &conf.root.elems[0];
	memset(&out, 0, sizeof out);
	out.ops = &output_elasticsearch;
	out.file = el->file;
	out.line = el->line;
	out.cfg = xcalloc(1, output_elasticsearch.cfg_size);
	rc = params_apply(output_elasticsearch.params, el, out.cfg,
	    "<match t.**> @type elasticsearch", e);
	if (rc == 0)
		rc = output_elasticsearch.init(&out, el, e);
	return rc;
}

static struct es *
es_ok(const char *body)
{
	struct err	 e;

	ck_assert_msg(es_load(body, &e) == 0, "%s", e.msg);
	return out.priv;
}

static void
es_unload(void)
{
	if (out.ops == NULL)
		return;
	if (out.priv != NULL)
		output_elasticsearch.destroy(&out);
	params_free(output_elasticsearch.params, out.cfg);
	free(out.cfg);
	conf_free(&conf);
	memset(&out, 0, sizeof out);
}

/* --- records ------------------------------------------------------------- */

#define ORIGIN	"/var/log/containers/spire-server-0_spire_spire-server-abc.log"
#define SID	0x0123456789abcdefULL

static struct batch	 b;

static void
batch_setup(void)
{
	batch_init(&b);
	b.origin = ORIGIN;
	b.originlen = strlen(ORIGIN);
	b.tag = "t.x";
	b.taglen = 3;
}

static void
batch_teardown(void)
{
	batch_free(&b);
}

/* A record of key, value pairs (NULL-ended); a key "#k" is raw JSON. */
static struct record *
rec(int64_t time, uint64_t sid, uint64_t offset, ...)
{
	struct record	*r = batch_begin(&b);
	const char	*k, *v;
	size_t		 n;
	va_list		 ap;

	r->time = time;
	r->source_id = sid;
	r->offset = offset;
	va_start(ap, offset);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		n = strlen(v);
		v = batch_copy(&b, v, n);	/* callers reuse theirs */
		if (k[0] == '#')
			batch_add(&b, k + 1, strlen(k + 1), v, n, VAL_RAW);
		else
			batch_add(&b, k, strlen(k), v, n, VAL_STRING);
	}
	va_end(ap);
	batch_commit(&b);
	return &b.recs[b.nrecs - 1];
}

static int64_t
at(const char *rfc3339)
{
	int64_t	 ns;

	ck_assert_int_eq(time_parse_rfc3339(rfc3339, strlen(rfc3339), &ns), 0);
	return ns;
}

/* The entry of the last record, split into its two lines. */
static char	 action[1024], doc[4096];

static void
encode_last(struct es *es)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		*nl;

	es_encode(&es->enc, &b, &b.recs[b.nrecs - 1], &sb);
	sb_cstr(&sb);
	nl = strchr(sb.buf, '\n');
	ck_assert_ptr_nonnull(nl);
	ck_assert_int_eq(sb.buf[sb.len - 1], '\n');
	snprintf(action, sizeof action, "%.*s", (int)(nl - sb.buf), sb.buf);
	snprintf(doc, sizeof doc, "%.*s", (int)(sb.len - (size_t)(nl - sb.buf)
	    - 2), nl + 1);
	ck_assert_ptr_null(strchr(doc, '\n'));
	sb_free(&sb);
}

/* The value at a path of keys (NULL-ended) in JSON text, as text ("" when
 * missing); the text must parse. */
static const char *
json_at(const char *json, ...)
{
	static char	 val[1024];
	const char	*path[8];
	char		 why[256];
	yajl_val	 top = yajl_tree_parse(json, why, sizeof why), v;
	va_list		 ap;
	size_t		 n = 0;

	va_start(ap, json);
	while (n < 7 && (path[n] = va_arg(ap, const char *)) != NULL)
		n++;
	path[n] = NULL;
	va_end(ap);

	ck_assert_msg(top != NULL, "not JSON (%s): %s", why, json);
	v = yajl_tree_get(top, path, yajl_t_any);
	if (v == NULL)
		val[0] = '\0';
	else if (YAJL_IS_STRING(v))
		snprintf(val, sizeof val, "%s", YAJL_GET_STRING(v));
	else if (YAJL_IS_INTEGER(v))
		snprintf(val, sizeof val, "%lld", YAJL_GET_INTEGER(v));
	else
		snprintf(val, sizeof val, "<%d>", (int)v->type);
	yajl_tree_free(top);
	return val;
}

#define json_str(json, ...)	json_at(json, __VA_ARGS__, NULL)

/* Encodes the last record: it goes to index want. */
static void
index_is(struct es *es, const char *want)
{
	encode_last(es);
	ck_assert_str_eq(json_str(action, "index", "_index"), want);
}

/* --- encoding ------------------------------------------------------------ */

START_TEST(test_action_and_document)
{
	struct es	*es = es_ok("index_name Spire-Logs\n");

	rec(at("2024-05-01T08:00:00Z"), SID, 4096, "msg", "agent \"x\"",
	    "#n", "7", NULL);
	encode_last(es);
	ck_assert_str_eq(action, "{\"index\":{\"_index\":\"spire-logs\","
	    "\"_id\":\"789aa794fdec92450000000000001000\"}}");
	ck_assert_str_eq(doc, "{\"msg\":\"agent \\\"x\\\"\",\"n\":7}");
	es_unload();
}
END_TEST

START_TEST(test_ids_stable_and_distinct)
{
	char		 a[SOURCE_ID_LEN + 1], c[SOURCE_ID_LEN + 1], d[SOURCE_ID_LEN + 1];
	struct record	*r1 = rec(0, SID, 100, "msg", "same", NULL);
	struct record	*r2 = rec(0, SID, 200, "msg", "same", NULL);

	ck_assert(source_id(&b, r1, a));
	ck_assert(source_id(&b, r1, c));
	ck_assert_str_eq(a, c);			/* a replay */
	ck_assert(source_id(&b, r2, d));
	ck_assert_str_ne(a, d);			/* same line, elsewhere */
	ck_assert_int_eq(strncmp(a, d, 16), 0);	/* same file */
	ck_assert_str_eq(d + 16, "00000000000000c8");
	b.origin = "/var/log/containers/other.log";
	b.originlen = strlen(b.origin);
	ck_assert(source_id(&b, r1, c));
	ck_assert_int_ne(strncmp(a, c, 16), 0);	/* another file */
	r1->source_id = 0;
	ck_assert(!source_id(&b, r1, c));
}
END_TEST

START_TEST(test_no_id)
{
	struct es	*es = es_ok("deterministic_id false\n");

	rec(0, SID, 1, "msg", "m", NULL);
	encode_last(es);
	ck_assert_str_eq(action, "{\"index\":{\"_index\":\"fluentd\"}}");
	es_unload();
	es = es_ok("");
	rec(0, 0, 1, "msg", "not from a file", NULL);
	encode_last(es);
	ck_assert_str_eq(json_str(action, "index", "_id"), "");
	es_unload();
}
END_TEST

START_TEST(test_logstash_across_midnight)
{
	struct es	*es = es_ok("logstash_format true\n"
			    "logstash_prefix Spire-Logs\n");

	rec(0, SID, 1, "@timestamp", "2024-05-01T23:59:59.999999999Z", NULL);
	index_is(es, "spire-logs-2024.05.01");
	ck_assert_str_eq(json_str(doc, "@timestamp", NULL),
	    "2024-05-01T23:59:59.999999999Z");
	rec(0, SID, 2, "@timestamp", "2024-05-02T00:00:00Z", NULL);
	index_is(es, "spire-logs-2024.05.02");
	/* No @timestamp: the record's time names the index and is added. */
	rec(at("2024-05-01T23:59:59.5Z"), SID, 3, "msg", "m", NULL);
	index_is(es, "spire-logs-2024.05.01");
	ck_assert_str_eq(json_str(doc, "@timestamp", NULL),
	    "2024-05-01T23:59:59.500000000Z");
	/* An @timestamp that does not parse: the record's time, kept as is. */
	rec(at("2024-05-03T10:00:00Z"), SID, 4, "@timestamp", "yesterday",
	    NULL);
	index_is(es, "spire-logs-2024.05.03");
	ck_assert_str_eq(json_str(doc, "@timestamp", NULL), "yesterday");
	es_unload();
}
END_TEST

START_TEST(test_logstash_options)
{
	struct es	*es;

	es = es_ok("logstash_format true\nlogstash_prefix_separator _\n"
	    "logstash_dateformat %Y%m\nutc_index false\n");
	setenv("TZ", "EST5", 1);
	tzset();
	rec(at("2024-06-01T03:00:00Z"), SID, 1, "msg", "m", NULL);
	index_is(es, "logstash_202405");
	es_unload();
	unsetenv("TZ");
	tzset();
}
END_TEST

START_TEST(test_timestamp_and_time_key)
{
	struct es	*es = es_ok("index_name x\ninclude_timestamp true\n");

	rec(at("2024-05-01T08:00:00Z"), SID, 1, "msg", "m", NULL);
	index_is(es, "x");
	ck_assert_str_eq(json_str(doc, "@timestamp", NULL),
	    "2024-05-01T08:00:00.000000000Z");
	es_unload();

	es = es_ok("logstash_format true\ntime_key ts\n"
	    "time_key_format %d/%m/%Y %H:%M:%S\n");
	rec(at("2030-01-01T00:00:00Z"), SID, 1, "ts", "31/12/2023 22:00:00",
	    NULL);
	index_is(es, "logstash-2023.12.31");
	ck_assert_str_eq(json_str(doc, "@timestamp", NULL),
	    "31/12/2023 22:00:00");
	es_unload();

	es = es_ok("logstash_format true\ntime_key ts\n"
	    "time_key_exclude_timestamp true\n");
	rec(0, SID, 1, "ts", "2023-12-31T22:00:00Z", NULL);
	index_is(es, "logstash-2023.12.31");
	ck_assert_str_eq(json_str(doc, "@timestamp", NULL), "");
	es_unload();
}
END_TEST

START_TEST(test_id_key_and_create)
{
	struct es	*es = es_ok("id_key request_id\nwrite_operation create\n");
	size_t		 obj;

	rec(0, SID, 1, "request_id", "req-\"1\"", NULL);
	encode_last(es);
	ck_assert_str_eq(action, "{\"create\":{\"_index\":\"fluentd\","
	    "\"_id\":\"req-\\\"1\\\"\"}}");
	rec(0, SID, 2, "msg", "no request id", NULL);
	encode_last(es);
	ck_assert_str_eq(action, "{\"create\":{\"_index\":\"fluentd\"}}");
	es_unload();

	es = es_ok("id_key $.meta.rid\nrouting_key pod\npipeline spire\n");
	batch_begin(&b);
	obj = batch_add_object(&b, FIELD_STR("meta"));
	batch_add(&b, FIELD_STR("rid"), FIELD_STR("42"), VAL_RAW);
	batch_end_object(&b, obj);
	batch_add(&b, FIELD_STR("pod"), FIELD_STR("p-1"), VAL_STRING);
	batch_commit(&b);
	encode_last(es);
	ck_assert_str_eq(action, "{\"index\":{\"_index\":\"fluentd\","
	    "\"_id\":\"42\",\"routing\":\"p-1\",\"pipeline\":\"spire\"}}");
	es_unload();
}
END_TEST

START_TEST(test_target_index_and_removals)
{
	struct es	*es = es_ok("target_index_key @target\n"
			    "remove_keys secret,tmp\ninclude_tag_key true\n");

	rec(0, SID, 1, "@target", "Audit-2024", "msg", "m", "secret", "s",
	    "tmp", "t", "tag", "old", NULL);
	index_is(es, "audit-2024");
	ck_assert_str_eq(doc, "{\"msg\":\"m\",\"tag\":\"t.x\"}");
	rec(0, SID, 2, "msg", "m", NULL);
	index_is(es, "fluentd");
	es_unload();
}
END_TEST

/* --- configuration ------------------------------------------------------- */

static void
load_fails(const char *body, const char *want1, const char *want2)
{
	struct err	 e;

	ck_assert_int_eq(es_load(body, &e), -1);
	ck_assert_msg(strstr(e.msg, want1) != NULL, "'%s' lacks '%s'", e.msg,
	    want1);
	ck_assert_msg(strstr(e.msg, want2) != NULL, "'%s' lacks '%s'", e.msg,
	    want2);
	es_unload();
}

START_TEST(test_config_errors)
{
	load_fails("port 9200\nwrite_operation upsert\n", "test.conf:4:",
	    "write_operation upsert is not supported");
	load_fails("template_name spire-logs\n", "test.conf:3:",
	    "template_name and template_file go together");
	load_fails("\ncloud_id abc\n", "test.conf:4:", "cloud_id is not "
	    "supported");
	load_fails("flatten_hashes true\n", "test.conf:3:", "flatten_hashes");
	load_fails("hosts https://elastic:pw@es:9200\n", "test.conf:3:",
	    "credentials in a URL");
	load_fails("hosts es1:9200,es2:port\n", "test.conf:3:",
	    "hosts 'es2:port': no host or a bad port");
	load_fails("user elastic\n", "test.conf:3:", "needs a password");
	load_fails("bulk_message_request_threshold lots\n", "test.conf:3:",
	    "not a size");
	load_fails("enable_ilm true\n", "test.conf:3:", "ilm_policy_file");
	load_fails("index_nme x\n", "test.conf:3:", "did you mean "
	    "'index_name'");
	load_fails("id_key $.a.b.c.d.e\n", "test.conf:3:", "at most 4");
}
END_TEST

START_TEST(test_config_accepted)
{
	struct es	*es = es_ok("flatten_hashes false\ntype_name _doc\n"
			    "reload_connections false\n"
			    "bulk_message_request_threshold -1\n");

	ck_assert(es->type_name_given);
	ck_assert_str_eq(es->noops.buf, "reload_connections");
	ck_assert_uint_eq(es->threshold, 0);
	es_unload();
}
END_TEST

START_TEST(test_hosts)
{
	struct es	*es = es_ok("port 9201\npath /p/\nhosts a, "
			    "https://b.example/es/, [::1]:9202, c:9300, ::2\n");
	struct es_conn	*c = &es->conn;

	ck_assert_uint_eq(c->nhosts, 5);
	ck_assert_str_eq(c->hosts[0].base, "http://a:9201/p");
	ck_assert_str_eq(c->hosts[1].base, "https://b.example:443/es");
	ck_assert_str_eq(c->hosts[2].base, "http://[::1]:9202/p");
	ck_assert_str_eq(c->hosts[3].label, "c:9300");
	ck_assert_str_eq(c->hosts[4].base, "http://[::2]:9201/p");
	/* Round robin; a failed host is skipped until resurrect_after. */
	ck_assert_ptr_eq(es_conn_pick(c, 1000), &c->hosts[0]);
	ck_assert_ptr_eq(es_conn_pick(c, 1000), &c->hosts[1]);
	es_conn_failed(c, &c->hosts[2], 1000);
	ck_assert_ptr_eq(es_conn_pick(c, 1000), &c->hosts[3]);
	ck_assert_ptr_eq(es_conn_pick(c, 1000), &c->hosts[4]);
	ck_assert_ptr_eq(es_conn_pick(c, 1000), &c->hosts[0]);
	ck_assert_ptr_eq(es_conn_pick(c, 1000), &c->hosts[1]);
	ck_assert_ptr_eq(es_conn_pick(c, 1000), &c->hosts[3]);
	ck_assert_ptr_eq(es_conn_pick(c, 1000 + 60000), &c->hosts[4]);
	ck_assert_ptr_eq(es_conn_pick(c, 1000 + 60000), &c->hosts[0]);
	ck_assert_ptr_eq(es_conn_pick(c, 1000 + 60000), &c->hosts[1]);
	ck_assert_ptr_eq(es_conn_pick(c, 1000 + 60000), &c->hosts[2]);
	es_unload();

	es = es_ok("hosts x:1,y:2\n");
	c = &es->conn;
	es_conn_failed(c, &c->hosts[1], 10);
	es_conn_failed(c, &c->hosts[0], 20);
	/* All failed: the one that failed first. */
	ck_assert_ptr_eq(es_conn_pick(c, 30), &c->hosts[1]);
	es_unload();
}
END_TEST

/* --- templates (pure) ---------------------------------------------------- */

static char *
slurp_template(const char *name)
{
	struct strbuf	 sb = STRBUF_INIT;
	struct err	 e;
	char		*path = xasprintf("%s/templates/%s", TOP_SRCDIR, name);

	ck_assert_msg(file_slurp(path, 1 << 20, &sb, &e) == 0, "%s", e.msg);
	free(path);
	return sb_take(&sb);
}

START_TEST(test_shipped_template)
{
	char	*t = slurp_template("spire-logs-template.json"), **pats, why[256];
	char	*ilm = slurp_template("spire-logs-ilm.json");
	bool	 composable;
	char	*const design[] = { "spire-logs-*" };

	ck_assert_msg(es_template_parse(t, strlen(t), &composable, &pats, why,
	    sizeof why) == 0, "%s", why);
	ck_assert(composable);
	ck_assert_str_eq(pats[0], "spire-logs-*");
	ck_assert_ptr_null(pats[1]);
	ck_assert(es_patterns_cover(pats, 1, "spire-logs-2024.05.01"));
	/* DESIGN.md's trap: index_name spire-logs is not spire-logs-*. */
	ck_assert(!es_patterns_cover(design, 1, "spire-logs"));
	ck_assert_str_eq(json_str(t, "priority", NULL), "200");
	ck_assert_str_eq(json_str(ilm, "policy", "phases", "delete", "min_age"),
	    "30d");
	ck_assert_str_eq(json_str(t, "template", "mappings", "properties",
	    "kubernetes", "properties", "labels", "type"), "flattened");
	conf_strv_free(pats);
	free(t);
	free(ilm);
}
END_TEST

START_TEST(test_template_kinds_and_patterns)
{
	static const char legacy[] = "{\"index_patterns\":[\"a-*\",\"b\"],"
	    "\"settings\":{},\"mappings\":{}}";
	static const char old[] = "{\"index_patterns\":\"x*\",\"template\":"
	    "\"x*\",\"order\":1}";
	static const char got[] = "{\"index_templates\":[{\"name\":\"s\","
	    "\"index_template\":{\"index_patterns\":[\"spire-*\"],\"template\":"
	    "{}}},{\"name\":\"t\",\"index_template\":{\"index_patterns\":"
	    "[\"logs-*-*\"]}}]}";
	static const char got_legacy[] = "{\"old\":{\"order\":0,"
	    "\"index_patterns\":[\"fluentd*\"],\"settings\":{}}}";
	char	**pats = NULL, why[256];
	bool	 composable = true;
	size_t	 n = 0;

	ck_assert_int_eq(es_template_parse(legacy, strlen(legacy), &composable,
	    &pats, why, sizeof why), 0);
	ck_assert(!composable);
	ck_assert_str_eq(pats[1], "b");
	conf_strv_free(pats);
	ck_assert_int_eq(es_template_parse(old, strlen(old), &composable,
	    &pats, why, sizeof why), 0);
	ck_assert(!composable);	/* "template" as a string: legacy */
	conf_strv_free(pats);
	ck_assert_int_eq(es_template_parse("{\"mappings\":{}}", 15,
	    &composable, &pats, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "no index_patterns"));
	ck_assert_int_eq(es_template_parse("{", 1, &composable, &pats, why,
	    sizeof why), -1);

	pats = NULL;
	es_patterns_collect(got, strlen(got), &pats, &n);
	es_patterns_collect(got_legacy, strlen(got_legacy), &pats, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert(es_patterns_cover(pats, n, "logs-spire-x"));
	ck_assert(es_patterns_cover(pats, n, "fluentd"));
	ck_assert(!es_patterns_cover(pats, n, "logs-spire"));
	ck_assert(!es_patterns_cover(pats, n, "spir"));
	conf_strv_free(pats);
}
END_TEST

/* A hostile answer nested 300,000 deep once overflowed the stack in
 * yajl's tree (found by fuzzing the JSON readers): it is read as no
 * reason and no patterns instead. */
START_TEST(test_deep_response)
{
	size_t		 depth = 300000, i;
	char		*body = malloc(2 * depth + 1);
	struct strbuf	 why = STRBUF_INIT;
	char		**pats = NULL;
	size_t		 n = 0;

	ck_assert_ptr_nonnull(body);
	for (i = 0; i < depth; i++) {
		body[i] = '[';
		body[depth + i] = ']';
	}
	body[2 * depth] = '\0';
	es_error_reason(body, 2 * depth, &why);
	ck_assert_ptr_nonnull(strstr(why.buf, "the body starts with \"[[["));
	es_patterns_collect(body, 2 * depth, &pats, &n);
	ck_assert_uint_eq(n, 0);
	sb_free(&why);
	free(body);
}
END_TEST

/* --- dead letters (pure) ------------------------------------------------- */

START_TEST(test_dead_line)
{
	static const char entry[] = "{\"index\":{\"_index\":\"i\",\"_id\":"
	    "\"a\\\"b\"}}\n{\"msg\":\"m\",\"n\":1}\n";
	struct strbuf	 idx = STRBUF_INIT, id = STRBUF_INIT, line = STRBUF_INIT;
	struct es_dead	 d = { .status = 400, .type = "document_parsing_"
			    "exception", .reason = "failed to parse [n]",
			    .cause = "For input string: \"x\"" };

	es_entry_parts(entry, strlen(entry), &idx, &id, &d.doc, &d.doclen);
	ck_assert_str_eq(idx.buf, "i");
	ck_assert_str_eq(id.buf, "a\"b");
	ck_assert_int_eq(d.doclen, strlen("{\"msg\":\"m\",\"n\":1}"));
	d.index = idx.buf;
	d.id = id.buf;
	es_dead_line(&line, at("2024-05-01T08:00:00Z"), &d);
	ck_assert_int_eq(line.buf[line.len - 1], '\n');
	line.buf[--line.len] = '\0';
	ck_assert_str_eq(json_str(line.buf, "time", NULL),
	    "2024-05-01T08:00:00.000000000Z");
	ck_assert_str_eq(json_str(line.buf, "_id", NULL), "a\"b");
	ck_assert_str_eq(json_str(line.buf, "status", NULL), "400");
	ck_assert_str_eq(json_str(line.buf, "error", "type"),
	    "document_parsing_exception");
	ck_assert_str_eq(json_str(line.buf, "document", "msg"), "m");
	ck_assert_ptr_nonnull(strstr(line.buf, "\"caused_by\":{\"reason\":"
	    "\"For input string: \\\"x\\\"\"}"));
	/* A document that is not JSON is kept as a string. */
	sb_reset(&line);
	d.doc = "{\"cut";
	d.doclen = 5;
	es_dead_line(&line, 0, &d);
	ck_assert_str_eq(json_str(sb_cstr(&line), "document", NULL), "{\"cut");
	sb_free(&idx);
	sb_free(&id);
	sb_free(&line);
}
END_TEST

START_TEST(test_dead_default_path)
{
	struct buffer_cfg	 bc = { .type = BUFFER_MEMORY };
	char			*p;

	ck_assert_ptr_null(dead_letter_default_path(NULL));
	ck_assert_ptr_null(dead_letter_default_path(&bc));
	bc.type = BUFFER_FILE;
	bc.path = "/var/log/fluentd-buffers/spire.buffer";
	p = dead_letter_default_path(&bc);
	ck_assert_str_eq(p, "/var/log/fluentd-buffers/spire.buffer/"
	    "dead-letter.ndjson");
	free(p);
	bc.path = "/var/log/fluent/spire.*.log";
	p = dead_letter_default_path(&bc);
	ck_assert_str_eq(p, "/var/log/fluent/dead-letter.ndjson");
	free(p);
	bc.path = "spire.*.log";
	p = dead_letter_default_path(&bc);
	ck_assert_str_eq(p, "dead-letter.ndjson");
	free(p);
}
END_TEST

/* --- --dry-run ----------------------------------------------------------- */

struct warnings {
	int	 n;
	char	 msg[8][512];
};

static void
warn_collect(void *arg, const char *file, int line, const char *fmt, ...)
{
	struct warnings	*w = arg;
	va_list		 ap;

	ck_assert_str_eq(file, "test.conf");
	ck_assert_int_eq(line, 1);
	ck_assert_int_lt(w->n, 8);
	va_start(ap, fmt);
	vsnprintf(w->msg[w->n++], sizeof w->msg[0], fmt, ap);
	va_end(ap);
}

static bool
warned(const struct warnings *w, const char *what)
{
	int	 i;

	for (i = 0; i < w->n; i++)
		if (strstr(w->msg[i], what) != NULL)
			return true;
	return false;
}

START_TEST(test_check_warnings)
{
	char		*body = xasprintf("index_name spire-logs\ntype_name _doc\n"
			    "reload_connections false\nsniffer_class_name X\n"
			    "ssl_verify false\ntemplate_name spire-logs\n"
			    "template_file %s/templates/spire-logs-template."
			    "json\n", TOP_SRCDIR);
	struct warnings	 w = { 0 };

	es_ok(body);
	output_elasticsearch.check(&out, warn_collect, &w);
	ck_assert_int_eq(w.n, 4);
	ck_assert(warned(&w, "type_name is ignored"));
	ck_assert(warned(&w, "no effect: reload_connections, "
	    "sniffer_class_name"));
	ck_assert(warned(&w, "ssl_verify false"));
	ck_assert(warned(&w, "the index this output writes (spire-logs) "
	    "matches none of the index_patterns"));
	es_unload();
	free(body);

	body = xasprintf("logstash_format true\nlogstash_prefix spire-logs\n"
	    "template_name spire-logs\ntemplate_file %s/templates/spire-logs-"
	    "template.json\n", TOP_SRCDIR);
	memset(&w, 0, sizeof w);
	es_ok(body);
	output_elasticsearch.check(&out, warn_collect, &w);
	ck_assert_int_eq(w.n, 0);
	es_unload();
	free(body);
}
END_TEST

/* --- sending, against a bulk endpoint ------------------------------------ */

#define MAX_REQS	64

/* The endpoint: each document says which status it wants ("want"). */
struct fake_es {
	int		 bulk_status;	/* the whole request's; 0: items */
	const char	*bulk_body;	/* with bulk_status: the body */
	int		 max_docs;	/* more in one request: 413 */
	int		 template_exists;
	int		 fail_puts;	/* so many PUTs answer 500 first */
	const char	*templates;	/* GET _index_template's answer */
	char		 log[MAX_REQS][160];	/* "METHOD path docs" */
	int		 nlog;
	int		 docs[MAX_REQS];	/* per bulk request */
	int		 nbulk;
	int		 gzipped;
};

static const char *
error_type(int status)
{
	switch (status) {
	case 400: return "document_parsing_exception";
	case 409: return "version_conflict_engine_exception";
	case 429: return "es_rejected_execution_exception";
	default: return "unavailable_shards_exception";
	}
}

/* One item for an action line and its document. */
static void
bulk_item(struct strbuf *sb, bool first, const char *act, const char *docline)
{
	const char	*w = json_str(docline, "want", NULL);
	int		 want = w[0] ? atoi(w) : 201;
	char		 op[16], id[80], index[80];
	char		*copy = xstrdup(act);
	yajl_val	 top = yajl_tree_parse(copy, NULL, 0);

	ck_assert(top != NULL && YAJL_IS_OBJECT(top));
	snprintf(op, sizeof op, "%s", top->u.object.keys[0]);
	yajl_tree_free(top);
	snprintf(id, sizeof id, "%s", json_str(act, op, "_id"));
	snprintf(index, sizeof index, "%s", json_str(act, op, "_index"));
	free(copy);
	sb_addf(sb, "%s{\"%s\":{\"_index\":\"%s\",\"_id\":\"%s\",\"status\":%d",
	    first ? "" : ",", op, index, id, want);
	if (want >= 300)
		sb_addf(sb, ",\"error\":{\"type\":\"%s\",\"reason\":\"reason "
		    "%d\",\"caused_by\":{\"type\":\"c\",\"reason\":\"cause "
		    "%d\"}}", error_type(want), want, want);
	sb_adds(sb, "}}");
}

static void
answer_bulk(struct fake_es *f, const struct httpd_req *rq,
    struct httpd_resp *rs)
{
	struct strbuf	 sb = STRBUF_INIT;
	char		*lines = xstrdup(rq->body), *save = NULL, *act, *d;
	int		 n = 0;

	f->gzipped |= rq->gzipped;
	sb_adds(&sb, "{\"took\":3,\"errors\":true,\"items\":[");
	for (act = strtok_r(lines, "\n", &save); act != NULL;
	    act = strtok_r(NULL, "\n", &save)) {
		d = strtok_r(NULL, "\n", &save);
		ck_assert_ptr_nonnull(d);
		bulk_item(&sb, n == 0, act, d);
		n++;
	}
	sb_adds(&sb, "]}");
	free(lines);
	if (f->nbulk < MAX_REQS)
		f->docs[f->nbulk++] = n;
	if ((f->max_docs > 0 && n > f->max_docs) ||
	    strstr(rq->body, "huge") != NULL) {
		rs->status = 413;
		sb_free(&sb);
		return;
	}
	if (f->bulk_status != 0) {
		rs->status = f->bulk_status;
		rs->body = xstrdup(f->bulk_body);
		sb_free(&sb);
		return;
	}
	rs->body = sb_take(&sb);
}

static void
answer_template(struct fake_es *f, const struct httpd_req *rq,
    struct httpd_resp *rs)
{
	if (strcmp(rq->method, "PUT") == 0) {
		if (f->fail_puts > 0 && f->fail_puts--) {
			rs->status = 500;
			rs->body = xstrdup("{\"error\":{\"type\":\"x\",\"reason\":"
			    "\"try later\"},\"status\":500}");
		} else
			rs->body = xstrdup("{\"acknowledged\":true}");
	} else if (strcmp(rq->path, "/_index_template") == 0)
		rs->body = xstrdup(f->templates ? f->templates :
		    "{\"index_templates\":[]}");
	else if (strcmp(rq->path, "/_template") == 0)
		rs->body = xstrdup("{}");
	else if (f->template_exists)
		rs->body = xstrdup("{\"x\":{}}");
	else {
		rs->status = 404;
		rs->body = xstrdup("{}");
	}
}

static void
fake_handler(void *arg, const struct httpd_req *rq, struct httpd_resp *rs)
{
	struct fake_es	*f = arg;
	const char	*docs = "";

	if (strcmp(rq->path, "/_bulk") == 0) {
		answer_bulk(f, rq, rs);
		docs = "bulk";
	} else
		answer_template(f, rq, rs);
	if (f->nlog < MAX_REQS)
		snprintf(f->log[f->nlog++], sizeof f->log[0], "%.15s %.100s%s%s",
		    rq->method, rq->path, docs[0] ? " " : "", docs);
}

static struct httpd	 srv;
static struct fake_es	 fake;
static struct loop	*lp;

static void
send_setup(void)
{
	struct err	 e;

	tmpdir_setup();
	batch_setup();
	memset(&fake, 0, sizeof fake);
	httpd_start(&srv, fake_handler, &fake);
	lp = loop_new(&e);
	ck_assert_ptr_nonnull(lp);
}

static void
send_teardown(void)
{
	es_unload();
	loop_free(lp);
	httpd_stop(&srv);
	batch_teardown();
	tmpdir_teardown();
}

/* What the sink heard. */
struct results {
	int		 settled[32];	/* -1: not settled */
	int		 times[32];
	int		 done;
	char		 fail[ERR_MAX];
};

static struct results	 res;

static void
rec_settle(void *arg, size_t slot, enum entry_result r)
{
	struct results	*rs = arg;

	ck_assert_uint_lt(slot, 32);
	rs->settled[slot] = (int)r;
	rs->times[slot]++;
}

static void
rec_done(void *arg, const struct err *fail)
{
	struct results	*rs = arg;

	rs->done++;
	snprintf(rs->fail, sizeof rs->fail, "%s", fail ? fail->msg : "");
	loop_stop(lp);
}

/* An output on the fake endpoint, started; extra: more parameters. */
static struct es *
es_started(const char *extra)
{
	char		*body = xasprintf("host 127.0.0.1\nport %d\n"
			    "dead_letter_path %s/dead.ndjson\n%s", srv.port,
			    tmpdir, extra);
	struct es	*es = es_ok(body);
	struct err	 e;

	free(body);
	ck_assert_msg(output_elasticsearch.start(&out, lp, &e) == 0, "%s",
	    e.msg);
	return es;
}

static void
run_until_templates_done(struct es *es)
{
	struct err	 e;
	int		 i;

	for (i = 0; i < 100 && es->tpl.step != T_DONE; i++) {
		loop_add_timer(lp, 50, false, (loop_timer_cb)loop_stop, lp);
		ck_assert_int_eq(loop_run(lp, &e), 0);
	}
	ck_assert_int_eq(es->tpl.step, T_DONE);
}

/* The same, once its start-up requests are over. */
static struct es *
es_ready(const char *extra)
{
	struct es	*es = es_started(extra);

	run_until_templates_done(es);
	return es;
}

/* A <label @ERROR> stand-in: what it was given, and what it answers. */
static struct {
	int		 answer;
	int		 calls;
	char		 tag[64];
	struct strbuf	 docs;
} lbl;

static int
rec_error_event(void *arg, const char *tag, const char *d, size_t len,
    struct err *e)
{
	ck_assert_ptr_eq(arg, &lbl);
	lbl.calls++;
	snprintf(lbl.tag, sizeof lbl.tag, "%s", tag);
	sb_add(&lbl.docs, d, len);
	sb_addc(&lbl.docs, '\n');
	return lbl.answer == 0 ? 0 : err_set(e, "refused");
}

/* Encodes the batch's records and sends them; runs until done. With
 * error_label, the results go there (tag t.x). */
static void
send_to(struct es *es, bool error_label)
{
	struct strbuf	 sb = STRBUF_INIT;
	struct es_entry	 ents[32];
	size_t		 offs[33], i;
	struct es_sink	 sink = { rec_settle, rec_done, &res,
			    error_label ? rec_error_event : NULL, &lbl };
	struct err	 e;

	ck_assert_uint_le(b.nrecs, 32);
	for (i = 0; i < b.nrecs; i++) {
		offs[i] = sb.len;
		es_encode(&es->enc, &b, &b.recs[i], &sb);
	}
	offs[b.nrecs] = sb.len;
	for (i = 0; i < b.nrecs; i++) {
		ents[i].p = sb.buf + offs[i];
		ents[i].len = (uint32_t)(offs[i + 1] - offs[i]);
		ents[i].slot = i;
		ents[i].tag = "t.x";
	}
	memset(&res, 0, sizeof res);
	memset(res.settled, -1, sizeof res.settled);
	ck_assert_msg(es_send_entries(es, ents, b.nrecs, &sink, &e) == 0,
	    "%s", e.msg);
	ck_assert_int_eq(res.done, 0);	/* never before it returns */
	ck_assert_int_eq(loop_run(lp, &e), 0);
	ck_assert_int_eq(res.done, 1);
	sb_free(&sb);
}

static void
send_all(struct es *es)
{
	send_to(es, false);
}

/* n records wanting the given statuses. */
static void
wanting(const int *want, size_t n)
{
	char	 w[16];
	size_t	 i;

	for (i = 0; i < n; i++) {
		snprintf(w, sizeof w, "%d", want[i]);
		rec(at("2024-05-01T08:00:00Z"), SID, 100 * (i + 1), "msg",
		    "spire event", "#want", w, NULL);
	}
}

static char *
slurp_dead(void)
{
	struct strbuf	 sb = STRBUF_INIT;
	struct err	 e;
	char		*path = xasprintf("%s/dead.ndjson", tmpdir);

	if (file_slurp(path, 1 << 20, &sb, &e) != 0)
		sb_adds(&sb, "");
	free(path);
	return sb_take(&sb);
}

/* <label @ERROR> takes what ES rejects; what it refuses is dead. */
START_TEST(test_items_to_error_label)
{
	static const int	 want[] = { 201, 400, 400, 429 };
	struct es		*es = es_ready("");
	char			*dead;

	memset(&lbl, 0, sizeof lbl);
	wanting(want, 4);
	send_to(es, true);
	ck_assert_int_eq(res.settled[0], ENTRY_OK);
	ck_assert_int_eq(res.settled[1], ENTRY_ERROR);
	ck_assert_int_eq(res.settled[2], ENTRY_ERROR);
	ck_assert_int_eq(res.settled[3], ENTRY_RETRY);
	ck_assert_int_eq(lbl.calls, 2);
	ck_assert_str_eq(lbl.tag, "t.x");
	*strchr(sb_cstr(&lbl.docs), '\n') = '\0';	/* the first document */
	ck_assert_str_eq(json_str(lbl.docs.buf, "want", NULL), "400");
	ck_assert_str_eq(json_str(lbl.docs.buf, "msg", NULL), "spire event");
	ck_assert_ptr_null(strstr(lbl.docs.buf, "\"index\""));
	ck_assert_uint_eq(es->counters.dead_letters, 2);
	ck_assert_uint_eq(es->counters.error_events, 2);
	dead = slurp_dead();
	ck_assert_str_eq(dead, "");
	free(dead);

	lbl.answer = -1;	/* @ERROR's output refuses: dead-lettered */
	send_to(es, true);
	ck_assert_int_eq(res.settled[1], ENTRY_DEAD);
	ck_assert_int_eq(lbl.calls, 4);
	dead = slurp_dead();
	ck_assert_ptr_nonnull(strstr(dead, "\"status\":400"));
	free(dead);
	ck_assert_uint_eq(es->counters.error_events, 2);
	sb_free(&lbl.docs);
}
END_TEST

START_TEST(test_items_to_results)
{
	static const int	 want[] = { 201, 200, 409, 400, 429, 503, 201 };
	struct es		*es = es_ready("write_operation create\n");
	char			*dead, *nl;

	wanting(want, 7);
	send_all(es);
	ck_assert_str_eq(res.fail, "");
	ck_assert_int_eq(res.settled[0], ENTRY_OK);
	ck_assert_int_eq(res.settled[1], ENTRY_OK);
	ck_assert_int_eq(res.settled[2], ENTRY_OK);	/* already there */
	ck_assert_int_eq(res.settled[3], ENTRY_DEAD);
	ck_assert_int_eq(res.settled[4], ENTRY_RETRY);
	ck_assert_int_eq(res.settled[5], ENTRY_RETRY);
	ck_assert_int_eq(res.settled[6], ENTRY_OK);
	ck_assert_int_eq(res.times[3], 1);
	ck_assert_uint_eq(es->counters.duplicates, 1);
	ck_assert_uint_eq(es->counters.dead_letters, 1);
	ck_assert_uint_eq(es->counters.retried, 2);
	ck_assert_uint_eq(es->counters.items[201], 2);
	ck_assert_uint_eq(es->counters.items[409], 1);
	ck_assert_uint_eq(es->counters.requests[200], 1);
	ck_assert_uint_eq(es->counters.latency_count, 1);
	dead = slurp_dead();
	nl = strchr(dead, '\n');
	ck_assert_ptr_nonnull(nl);
	ck_assert_str_eq(nl + 1, "");		/* one line */
	*nl = '\0';
	ck_assert_str_eq(json_str(dead, "status", NULL), "400");
	ck_assert_str_eq(json_str(dead, "error", "type"),
	    "document_parsing_exception");
	ck_assert_str_eq(json_str(dead, "index", NULL), "fluentd");
	ck_assert_int_eq(strlen(json_str(dead, "_id", NULL)), SOURCE_ID_LEN);
	ck_assert_str_eq(json_str(dead, "document", "want"), "400");
	ck_assert_ptr_nonnull(strstr(dead, "\"caused_by\":{\"reason\":"
	    "\"cause 400\"}"));
	free(dead);
}
END_TEST

/* max 2 documents a request: 5 -> 2 + 3 -> 2 + 1 + 2. */
/* The dead-letter file cannot be written: the rejected document stays
 * pending (sent again later), the rest are settled, the attempt fails. */
START_TEST(test_dead_letter_unwritable)
{
	static const int	 want[] = { 201, 400 };
	char			*blocker = xasprintf("%s/file", tmpdir);
	char			*extra = xasprintf("dead_letter_path %s/dead."
				    "ndjson\n", blocker);
	FILE			*f = fopen(blocker, "w");
	struct es		*es;

	ck_assert_ptr_nonnull(f);
	fclose(f);
	es = es_ready(extra);
	wanting(want, 2);
	send_all(es);
	ck_assert_int_eq(res.settled[0], ENTRY_OK);
	ck_assert_int_eq(res.settled[1], -1);
	ck_assert_ptr_nonnull(strstr(res.fail, "dead-letter"));
	ck_assert_ptr_nonnull(strstr(res.fail, "sent again"));
	ck_assert_uint_eq(es->counters.dead_letters, 0);
	free(extra);
	free(blocker);
}
END_TEST

START_TEST(test_413_halving)
{
	static const int	 want[] = { 201, 201, 201, 201, 201 };
	struct es		*es = es_ready("");
	size_t			 i;

	fake.max_docs = 2;
	wanting(want, 5);
	send_all(es);
	ck_assert_str_eq(res.fail, "");
	ck_assert_int_eq(fake.nbulk, 5);
	ck_assert_int_eq(fake.docs[0], 5);
	ck_assert_int_eq(fake.docs[1], 2);
	ck_assert_int_eq(fake.docs[2], 3);
	ck_assert_int_eq(fake.docs[3], 1);
	ck_assert_int_eq(fake.docs[4], 2);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(res.settled[i], ENTRY_OK);
	ck_assert_uint_eq(es->counters.splits, 2);
	ck_assert_uint_eq(es->counters.requests[413], 2);
}
END_TEST

START_TEST(test_413_single_document)
{
	struct es	*es = es_ready("");
	char		*dead;

	rec(0, SID, 1, "msg", "small", NULL);
	rec(0, SID, 2, "msg", "huge", NULL);
	send_all(es);
	ck_assert_str_eq(res.fail, "");
	/* halved: "small" alone goes in, "huge" alone is too large */
	ck_assert_int_eq(fake.nbulk, 3);
	ck_assert_int_eq(res.settled[0], ENTRY_OK);
	ck_assert_int_eq(res.settled[1], ENTRY_DEAD);
	ck_assert_uint_eq(es->counters.dead_letters, 1);
	es_unload();

	/* a request each from the start */
	memset(&fake, 0, sizeof fake);
	batch_reset(&b);
	es = es_ready("bulk_message_request_threshold 1\n");
	rec(0, SID, 1, "msg", "small", NULL);
	rec(0, SID, 2, "msg", "huge", NULL);
	send_all(es);
	ck_assert_int_eq(fake.nbulk, 2);
	ck_assert_int_eq(res.settled[0], ENTRY_OK);
	ck_assert_int_eq(res.settled[1], ENTRY_DEAD);
	dead = slurp_dead();
	ck_assert_ptr_nonnull(strstr(dead, "\"status\":413"));
	ck_assert_ptr_nonnull(strstr(dead, "\"msg\":\"huge\""));
	free(dead);
}
END_TEST

START_TEST(test_threshold_splits)
{
	static const int	 want[] = { 201, 201, 201, 201, 201, 201 };
	struct es		*es;
	struct strbuf		 one = STRBUF_INIT;
	char			*extra;
	int			 i;

	wanting(want, 6);
	es = es_ok("");
	es_encode(&es->enc, &b, &b.recs[0], &one);
	es_unload();
	/* room for two entries, not three */
	extra = xasprintf("bulk_message_request_threshold %zu\n",
	    one.len * 2 + one.len / 2);
	es = es_ready(extra);
	send_all(es);
	ck_assert_int_eq(fake.nbulk, 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(fake.docs[i], 2);
	ck_assert_uint_eq(es->counters.bytes_raw, one.len * 6);
	/* the template checks and three bulks: one kept-alive connection */
	ck_assert_int_eq(httpd_count(&srv, &srv.connections), 1);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(res.settled[i], ENTRY_OK);
	free(extra);
	sb_free(&one);
}
END_TEST

START_TEST(test_gzip)
{
	static const int	 want[] = { 201, 201, 201, 201 };
	struct es		*es = es_ready("compression_level "
				    "best_compression\n");

	wanting(want, 4);
	send_all(es);
	ck_assert_str_eq(res.fail, "");
	ck_assert(fake.gzipped);
	ck_assert_int_eq(fake.docs[0], 4);	/* it inflated to all four */
	ck_assert_uint_lt(es->counters.bytes_sent, es->counters.bytes_raw);
}
END_TEST

static void
fails_with(int status, const char *body, const char *want1,
    const char *want2)
{
	static const int	 want[] = { 201, 201 };
	struct es		*es = es_ready("");

	fake.bulk_status = status;
	fake.bulk_body = body;
	batch_reset(&b);
	wanting(want, 2);
	send_all(es);
	ck_assert_msg(strstr(res.fail, want1) != NULL, "'%s' lacks '%s'",
	    res.fail, want1);
	ck_assert_msg(strstr(res.fail, want2) != NULL, "'%s' lacks '%s'",
	    res.fail, want2);
	ck_assert_int_eq(res.settled[0], -1);	/* left pending */
	ck_assert_int_eq(res.settled[1], -1);
	ck_assert_uint_eq(es->counters.failed, 1);
	es_unload();
	memset(&fake, 0, sizeof fake);
}

START_TEST(test_request_failures)
{
	fails_with(401, "{\"error\":{\"root_cause\":[],\"type\":\"security_"
	    "exception\",\"reason\":\"unable to authenticate user [x]\"},"
	    "\"status\":401}", "HTTP 401: security_exception: unable to "
	    "authenticate user [x]", "check user and password");
	fails_with(403, "{\"error\":{\"type\":\"security_exception\","
	    "\"reason\":\"action [indices:data/write/bulk] is unauthorized\"},"
	    "\"status\":403}", "HTTP 403: security_exception: action",
	    "accepted, but lack a privilege: index and create_index");
	fails_with(503, "{\"error\":{\"type\":\"cluster_block_exception\","
	    "\"reason\":\"blocked\"},\"status\":503}", "/_bulk: HTTP 503",
	    "cluster_block_exception: blocked");
	fails_with(200, "<html><body>502 Bad Gateway</body></html>",
	    "HTTP 200 but not a bulk response", "starts with \"<html><body>");
	fails_with(200, "{\"took\":1,\"errors\":false,\"items\":[{\"index\":"
	    "{\"status\":201}}", "premature EOF", "{\\\"took\\\"");
}
END_TEST

/* One item for two documents: the first is settled, the other sent again. */
START_TEST(test_items_missing)
{
	static const int	 want[] = { 201, 201 };
	struct es		*es = es_ready("");

	fake.bulk_status = 200;
	fake.bulk_body = "{\"took\":1,\"errors\":false,\"items\":[{\"index\":"
	    "{\"status\":201}}]}";
	wanting(want, 2);
	send_all(es);
	ck_assert_ptr_nonnull(strstr(res.fail, "1 of 2 documents answered; the "
	    "rest are sent again"));
	ck_assert_int_eq(res.settled[0], ENTRY_OK);
	ck_assert_int_eq(res.settled[1], -1);
}
END_TEST

/* The first host refuses; the next attempt goes to the live one. */
START_TEST(test_failover)
{
	static const int	 want[] = { 201 };
	char			*extra = xasprintf("hosts 127.0.0.1:%d,"
				    "127.0.0.1:%d\n", httpd_dead_port(),
				    srv.port);
	struct es		*es = es_ready(extra);

	wanting(want, 1);
	send_all(es);
	ck_assert_ptr_nonnull(strstr(res.fail, "no response"));
	ck_assert_ptr_nonnull(strstr(res.fail, "another host"));
	ck_assert_uint_eq(es->counters.requests[0], 1);
	send_all(es);
	ck_assert_str_eq(res.fail, "");
	ck_assert_int_eq(res.settled[0], ENTRY_OK);
	send_all(es);		/* the dead one is still skipped */
	ck_assert_str_eq(res.fail, "");
	ck_assert_int_eq(fake.nbulk, 2);
	free(extra);
}
END_TEST

START_TEST(test_no_entries)
{
	struct es	*es = es_ready("");

	send_all(es);
	ck_assert_str_eq(res.fail, "");
	ck_assert_int_eq(fake.nbulk, 0);
}
END_TEST

/* --- templates on the endpoint ------------------------------------------- */

/* GET _index_template once spire-logs-template.json is in. */
#define INSTALLED	"{\"index_templates\":[{\"name\":\"spire-logs\"," \
	"\"index_template\":{\"index_patterns\":[\"spire-logs-*\"]}}]}"

static char *
tpl_extra(const char *more)
{
	return xasprintf("template_name spire-logs\ntemplate_file %s/templates/"
	    "spire-logs-template.json\nenable_ilm true\nilm_policy_id "
	    "spire-logs\nilm_policy_file %s/templates/spire-logs-ilm.json\n%s",
	    TOP_SRCDIR, TOP_SRCDIR, more);
}

START_TEST(test_templates_installed_first)
{
	char		*extra = tpl_extra("index_name spire-logs\n");
	struct es	*es;
	struct err	 e;

	fake.templates = INSTALLED;
	es = es_started(extra);
	ck_assert(!es->tpl.ready);
	/* The first chunk waits for the template instead of failing. */
	ck_assert_int_eq(output_elasticsearch.send(&out, NULL, &e), 0);
	ck_assert_uint_eq(es->nwaiting, 1);
	es->nwaiting = 0;	/* no real chunk to send here */
	run_until_templates_done(es);
	ck_assert(es->tpl.ready);
	ck_assert_int_eq(fake.nlog, 6);
	ck_assert_str_eq(fake.log[0], "GET /_ilm/policy/spire-logs");
	ck_assert_str_eq(fake.log[1], "PUT /_ilm/policy/spire-logs");
	ck_assert_str_eq(fake.log[2], "GET /_index_template/spire-logs");
	ck_assert_str_eq(fake.log[3], "PUT /_index_template/spire-logs");
	ck_assert_str_eq(fake.log[4], "GET /_index_template");
	ck_assert_str_eq(fake.log[5], "GET /_template");
	/* index_name spire-logs: no spire-logs-* for it, a warning */
	ck_assert(es->tpl.verified);
	ck_assert(!es->tpl.covered);
	free(extra);
}
END_TEST

START_TEST(test_templates_kept_and_covered)
{
	char		*extra = tpl_extra("logstash_format true\n"
			    "logstash_prefix spire-logs\n");
	struct es	*es;

	fake.template_exists = 1;
	fake.templates = INSTALLED;
	es = es_started(extra);
	run_until_templates_done(es);
	ck_assert_int_eq(fake.nlog, 4);	/* both kept: no PUT */
	ck_assert_str_eq(fake.log[1], "GET /_index_template/spire-logs");
	ck_assert(es->tpl.covered);
	free(extra);
}
END_TEST

START_TEST(test_template_retried)
{
	char		*extra = tpl_extra("template_overwrite true\n"
			    "ilm_policy_overwrite true\n");
	struct es	*es;

	fake.fail_puts = 1;
	es = es_started(extra);
	run_until_templates_done(es);
	ck_assert_str_eq(fake.log[0], "PUT /_ilm/policy/spire-logs");
	ck_assert_str_eq(fake.log[1], "PUT /_ilm/policy/spire-logs");
	ck_assert_str_eq(fake.log[2], "PUT /_index_template/spire-logs");
	ck_assert_ptr_nonnull(strstr(es->tpl.last_error, "HTTP 500: x: try "
	    "later"));
	ck_assert(es->tpl.ready);
	free(extra);
}
END_TEST

START_TEST(test_template_file_missing)
{
	struct es	*es = es_ok("template_name t\ntemplate_file /nonexistent/"
			    "t.json\n");
	struct err	 e;

	(void)es;
	ck_assert_int_eq(output_elasticsearch.start(&out, lp, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "test.conf:1"));
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/t.json"));
}
END_TEST

START_TEST(test_counters_accessor)
{
	struct output	 other = { .ops = NULL };
	struct es	*es = es_ok("");

	ck_assert_ptr_eq(es_output_counters(&out), &es->counters);
	ck_assert_ptr_null(es_output_counters(&other));
	es_unload();
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("es");
	TCase	*enc = tcase_create("encode");
	TCase	*cfg = tcase_create("config");
	TCase	*snd = tcase_create("send");

	tcase_add_checked_fixture(enc, batch_setup, batch_teardown);
	tcase_add_test(enc, test_action_and_document);
	tcase_add_test(enc, test_ids_stable_and_distinct);
	tcase_add_test(enc, test_no_id);
	tcase_add_test(enc, test_logstash_across_midnight);
	tcase_add_test(enc, test_logstash_options);
	tcase_add_test(enc, test_timestamp_and_time_key);
	tcase_add_test(enc, test_id_key_and_create);
	tcase_add_test(enc, test_target_index_and_removals);
	suite_add_tcase(s, enc);

	tcase_add_test(cfg, test_config_errors);
	tcase_add_test(cfg, test_config_accepted);
	tcase_add_test(cfg, test_hosts);
	tcase_add_test(cfg, test_shipped_template);
	tcase_add_test(cfg, test_template_kinds_and_patterns);
	tcase_add_test(cfg, test_dead_line);
	tcase_add_test(cfg, test_deep_response);
	tcase_add_test(cfg, test_counters_accessor);
	tcase_add_test(cfg, test_dead_default_path);
	tcase_add_test(cfg, test_check_warnings);
	suite_add_tcase(s, cfg);

	tcase_add_checked_fixture(snd, send_setup, send_teardown);
	tcase_set_timeout(snd, 20);
	tcase_add_test(snd, test_items_to_results);
	tcase_add_test(snd, test_items_to_error_label);
	tcase_add_test(snd, test_dead_letter_unwritable);
	tcase_add_test(snd, test_413_halving);
	tcase_add_test(snd, test_413_single_document);
	tcase_add_test(snd, test_threshold_splits);
	tcase_add_test(snd, test_gzip);
	tcase_add_test(snd, test_request_failures);
	tcase_add_test(snd, test_items_missing);
	tcase_add_test(snd, test_failover);
	tcase_add_test(snd, test_no_entries);
	tcase_add_test(snd, test_templates_installed_first);
	tcase_add_test(snd, test_templates_kept_and_covered);
	tcase_add_test(snd, test_template_retried);
	tcase_add_test(snd, test_template_file_missing);
	suite_add_tcase(s, snd);
	return s;
}

#include "check_main.h"
