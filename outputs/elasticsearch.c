/*
 * elasticsearch.c — `@type elasticsearch`: records bulk-indexed into
 * Elasticsearch, with fluent-plugin-elasticsearch's parameters.
 *
 * A buffered output: encode turns each record into its bulk entry once,
 * when the buffer takes it (es_encode.c); send hands a chunk's pending
 * entries to the sending engine (es_send.c) and passes each entry's
 * result back to the chunk. Nothing is sent before the ILM policy and
 * the index template are in place (es_template.c). This file is the
 * parameter table, the checks of it, and that thin layer over chunks.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "es.h"
#include "fsutil.h"
#include "libcurl.h"
#include "mem.h"

static const char *const scheme_names[] = { "http", "https", NULL };
static const char *const op_names[] = { "index", "create", "update",
	"upsert", NULL };
static const char *const compression_names[] = { "no_compression",
	"best_speed", "best_compression", "default_compression", NULL };
static const char *const es_sections[] = { "buffer", NULL };

#define E(field)	offsetof(struct es_cfg, field)
#define NOOP(n, t, d, slot, h) { .name = n, .type = t, .def = d,	\
	.flags = PARAM_NOOP, .offset = E(slot), .help = h }
#define REFUSED(n, t, d, slot, h) { .name = n, .type = t, .def = d,	\
	.offset = E(slot), .help = "not supported (an error when set): " h }
static const struct param_def es_params[] = {
	/* connection */
	{ .name = "host", .type = PARAM_STRING, .def = "localhost",
	  .offset = E(host), .help = "the node, when hosts is not given" },
	{ .name = "port", .type = PARAM_INT, .def = "9200", .offset = E(port),
	  .help = "its port, and that of hosts given without one" },
	{ .name = "hosts", .type = PARAM_STRING, .offset = E(hosts),
	  .help = "host:port or URLs, comma separated: requests go round "
	  "robin; a host that fails is skipped for resurrect_after" },
	{ .name = "scheme", .type = PARAM_ENUM, .def = "http",
	  .choices = scheme_names, .offset = E(scheme),
	  .help = "for host and for hosts given without a URL" },
	{ .name = "path", .type = PARAM_STRING, .offset = E(path),
	  .help = "a URL prefix before /_bulk (a proxy's)" },
	{ .name = "user", .type = PARAM_STRING, .offset = E(user),
	  .help = "HTTP basic authentication, with password" },
	{ .name = "password", .type = PARAM_STRING, .flags = PARAM_SECRET,
	  .offset = E(password), .help = "for user" },
	{ .name = "api_key", .type = PARAM_STRING, .flags = PARAM_SECRET,
	  .offset = E(api_key),
	  .help = "sent as Authorization: ApiKey <api_key> (base64 id:key)" },
	{ .name = "ssl_verify", .type = PARAM_BOOL, .def = "true",
	  .offset = E(ssl_verify),
	  .help = "check the server's certificate and host name" },
	{ .name = "ca_file", .type = PARAM_STRING, .offset = E(ca_file),
	  .help = "CA certificates (PEM) instead of the system's" },
	{ .name = "client_cert", .type = PARAM_STRING,
	  .offset = E(client_cert), .help = "client certificate (PEM)" },
	{ .name = "client_key", .type = PARAM_STRING, .offset = E(client_key),
	  .help = "its private key (PEM)" },
	{ .name = "client_key_pass", .type = PARAM_STRING,
	  .flags = PARAM_SECRET, .offset = E(client_key_pass),
	  .help = "the key's passphrase" },
	{ .name = "request_timeout", .type = PARAM_TIME, .def = "5s",
	  .offset = E(request_timeout),
	  .help = "a request not answered by then fails (and is retried)" },
	{ .name = "resurrect_after", .type = PARAM_TIME, .def = "60s",
	  .offset = E(resurrect_after),
	  .help = "how long a host that failed is skipped" },
	{ .name = "compression_level", .type = PARAM_ENUM,
	  .def = "no_compression", .choices = compression_names,
	  .offset = E(compression_level),
	  .help = "gzip bulk bodies (Content-Encoding: gzip) at this level" },
	{ .name = "custom_headers", .type = PARAM_HASH,
	  .flags = PARAM_SECRET, .offset = E(custom_headers),
	  .help = "more request headers, e.g. {\"X-Team\":\"spire\"}" },
	/* indexing */
	{ .name = "index_name", .type = PARAM_STRING, .def = "fluentd",
	  .offset = E(index_name),
	  .help = "the index, unless logstash_format or target_index_key" },
	{ .name = "logstash_format", .type = PARAM_BOOL, .def = "false",
	  .offset = E(logstash_format),
	  .help = "daily indices <logstash_prefix><separator><date>, and "
	  "@timestamp added" },
	{ .name = "logstash_prefix", .type = PARAM_STRING, .def = "logstash",
	  .offset = E(logstash_prefix), .help = "see logstash_format" },
	{ .name = "logstash_prefix_separator", .type = PARAM_STRING,
	  .def = "-", .offset = E(logstash_prefix_separator),
	  .help = "between prefix and date" },
	{ .name = "logstash_dateformat", .type = PARAM_STRING,
	  .def = "%Y.%m.%d", .offset = E(logstash_dateformat),
	  .help = "strftime of the record's @timestamp (else its time)" },
	{ .name = "utc_index", .type = PARAM_BOOL, .def = "true",
	  .offset = E(utc_index),
	  .help = "dates of index names in UTC; false: local time" },
	{ .name = "target_index_key", .type = PARAM_STRING,
	  .offset = E(target_index_key),
	  .help = "a field (a.b: nested) naming the record's index; a "
	  "top-level one is left out of the document" },
	{ .name = "include_timestamp", .type = PARAM_BOOL, .def = "false",
	  .offset = E(include_timestamp),
	  .help = "add @timestamp as logstash_format does, whatever the index" },
	{ .name = "time_key", .type = PARAM_STRING, .offset = E(time_key),
	  .help = "the field to take the time from when there is no "
	  "@timestamp (copied to @timestamp)" },
	{ .name = "time_key_format", .type = PARAM_STRING,
	  .offset = E(time_key_format),
	  .help = "strptime format of that time; unset: RFC 3339" },
	{ .name = "time_key_exclude_timestamp", .type = PARAM_BOOL,
	  .def = "false", .offset = E(time_key_exclude_timestamp),
	  .help = "do not copy time_key to @timestamp" },
	{ .name = "id_key", .type = PARAM_STRING, .offset = E(id_key),
	  .help = "take _id from this field ($.a.b: nested) instead of the "
	  "deterministic id" },
	{ .name = "routing_key", .type = PARAM_STRING, .offset = E(routing_key),
	  .help = "the field whose value routes the document" },
	{ .name = "pipeline", .type = PARAM_STRING, .offset = E(pipeline),
	  .help = "an ingest pipeline to run the documents through" },
	{ .name = "write_operation", .type = PARAM_ENUM, .def = "index",
	  .choices = op_names, .offset = E(write_operation),
	  .help = "index (replace) or create (keep the first; a 409 counts "
	  "as a duplicate); update and upsert are refused" },
	{ .name = "include_tag_key", .type = PARAM_BOOL, .def = "false",
	  .offset = E(include_tag_key), .help = "add the tag to documents" },
	{ .name = "tag_key", .type = PARAM_STRING, .def = "tag",
	  .offset = E(tag_key), .help = "under this key" },
	{ .name = "remove_keys", .type = PARAM_ARRAY, .offset = E(remove_keys),
	  .help = "top-level fields left out of documents" },
	{ .name = "bulk_message_request_threshold", .type = PARAM_STRING,
	  .def = "20M", .offset = E(bulk_message_request_threshold),
	  .help = "bytes per bulk request: a chunk goes out in as many as it "
	  "needs; -1: one request per chunk" },
	/* templates */
	{ .name = "template_name", .type = PARAM_STRING,
	  .offset = E(template_name),
	  .help = "the index template to install before the first bulk" },
	{ .name = "template_file", .type = PARAM_STRING,
	  .offset = E(template_file),
	  .help = "its JSON (read at start): composable (a \"template\" "
	  "object, priority...) or legacy" },
	{ .name = "template_overwrite", .type = PARAM_BOOL, .def = "false",
	  .offset = E(template_overwrite),
	  .help = "replace a template of that name; false: keep it" },
	{ .name = "enable_ilm", .type = PARAM_BOOL, .def = "false",
	  .offset = E(enable_ilm),
	  .help = "install the ILM policy (ilm_policy or ilm_policy_file); "
	  "the template names it (index.lifecycle.name)" },
	{ .name = "ilm_policy_id", .type = PARAM_STRING,
	  .def = "logstash-policy", .offset = E(ilm_policy_id),
	  .help = "the policy's name" },
	{ .name = "ilm_policy", .type = PARAM_STRING, .offset = E(ilm_policy),
	  .help = "the policy as JSON text ({\"policy\":...} or its content)" },
	{ .name = "ilm_policy_file", .type = PARAM_STRING,
	  .offset = E(ilm_policy_file),
	  .help = "the policy's JSON from a file, e.g. spire-logs-ilm.json" },
	{ .name = "ilm_policy_overwrite", .type = PARAM_BOOL, .def = "false",
	  .offset = E(ilm_policy_overwrite),
	  .help = "replace a policy of that name; false: keep it" },
	/* ours */
	{ .name = "dead_letter_path", .type = PARAM_STRING,
	  .offset = E(dead_letter_path),
	  .help = "NDJSON file for documents Elasticsearch rejects for good; "
	  "unset: dead-letter.ndjson in a file buffer's directory, else "
	  "the error log" },
	{ .name = "deterministic_id", .type = PARAM_BOOL, .def = "true",
	  .offset = E(deterministic_id),
	  .help = "_id from the record's file and offset, so replays and "
	  "backfills overwrite instead of duplicating" },
	/* refused */
	REFUSED("cloud_id", PARAM_STRING, NULL, cloud_id,
	    "give hosts https://...:443 and api_key"),
	REFUSED("cloud_auth", PARAM_STRING, NULL, cloud_auth,
	    "give user and password"),
	REFUSED("parent_key", PARAM_STRING, NULL, parent_key,
	    "Elasticsearch 8 has no _parent"),
	REFUSED("templates", PARAM_HASH, NULL, templates,
	    "one template per output: template_name and template_file"),
	REFUSED("customize_template", PARAM_HASH, NULL, customize_template,
	    "edit the template file instead"),
	REFUSED("ilm_policies", PARAM_HASH, NULL, ilm_policies,
	    "one policy: ilm_policy_id and ilm_policy_file"),
	REFUSED("rollover_index", PARAM_BOOL, "false", rollover_index,
	    "for rollover, daily indices: logstash_format true"),
	REFUSED("flatten_hashes", PARAM_BOOL, "false", flatten_hashes,
	    "map nested objects in the template (e.g. flattened)"),
	REFUSED("include_index_in_url", PARAM_BOOL, "false",
	    include_index_in_url, "bulk requests go to /_bulk"),
	/* accepted, no effect */
	NOOP("type_name", PARAM_STRING, "fluentd", noop_string,
	    "ignored: Elasticsearch 8 has no mapping types; no _type is sent"),
	NOOP("suppress_type_name", PARAM_BOOL, "false", noop_bool,
	    "no _type is ever sent"),
	NOOP("target_type_key", PARAM_STRING, NULL, noop_string,
	    "no _type is ever sent"),
	NOOP("reconnect_on_error", PARAM_BOOL, "false", noop_bool,
	    "a connection that fails is closed and opened anew anyway"),
	NOOP("reload_connections", PARAM_BOOL, "true", noop_bool,
	    "the configured hosts are used; no node discovery (_nodes)"),
	NOOP("reload_on_failure", PARAM_BOOL, "false", noop_bool,
	    "failed hosts are skipped for resurrect_after instead"),
	NOOP("reload_after", PARAM_INT, "10000", noop_int,
	    "no node discovery"),
	NOOP("sniffer_class_name", PARAM_STRING, NULL, noop_string,
	    "a Ruby class: no node discovery"),
	NOOP("selector_class_name", PARAM_STRING, NULL, noop_string,
	    "a Ruby class: hosts are taken round robin, failed ones skipped"),
	NOOP("with_transporter_log", PARAM_BOOL, "false", noop_bool,
	    "the Ruby transport's debug log; see log_level debug"),
	NOOP("log_es_400_reason", PARAM_BOOL, "false", noop_bool,
	    "400 reasons always go to the dead-letter file or error log"),
	NOOP("http_backend", PARAM_STRING, "excon", noop_string,
	    "libcurl, with keep-alive"),
	NOOP("http_backend_excon_nonblock", PARAM_BOOL, "true", noop_bool,
	    "requests never block"),
	NOOP("prefer_oj_serializer", PARAM_BOOL, "false", noop_bool,
	    "records are encoded in C"),
	NOOP("content_type", PARAM_STRING, "application/json", noop_string,
	    "bulk bodies are sent as application/x-ndjson"),
	NOOP("validate_client_version", PARAM_BOOL, "false", noop_bool,
	    "no client library to validate"),
	NOOP("verify_es_version_at_startup", PARAM_BOOL, "true", noop_bool,
	    "no version check: the requests suit Elasticsearch 7.8+ and 8"),
	NOOP("default_elasticsearch_version", PARAM_INT, "5", noop_int,
	    "no version check"),
	NOOP("max_retry_get_es_version", PARAM_INT, "15", noop_int,
	    "no version check"),
	NOOP("fail_on_detecting_es_version_retry_exceed", PARAM_BOOL, "true",
	    noop_bool, "no version check"),
	NOOP("max_retry_putting_template", PARAM_INT, "10", noop_int,
	    "the template is retried with backoff until it is in; sends "
	    "wait, the buffer keeps the records"),
	NOOP("fail_on_putting_template_retry_exceed", PARAM_BOOL, "true",
	    noop_bool, "see max_retry_putting_template"),
	NOOP("use_legacy_template", PARAM_BOOL, "true", noop_bool,
	    "the template file's JSON says which kind it is"),
	NOOP("application_name", PARAM_STRING, "default", noop_string,
	    "for rollover indices, which are not supported"),
	NOOP("index_date_pattern", PARAM_STRING, "now/d", noop_string,
	    "for rollover indices, which are not supported"),
	NOOP("deflector_alias", PARAM_STRING, NULL, noop_string,
	    "for rollover indices, which are not supported"),
	NOOP("time_precision", PARAM_INT, "0", noop_int,
	    "@timestamp always has nanoseconds"),
	NOOP("time_parse_error_tag", PARAM_STRING, NULL, noop_string,
	    "a record whose time does not parse is indexed by its own time"),
	NOOP("ssl_version", PARAM_STRING, "TLSv1_2", noop_string,
	    "TLS 1.2 or later is negotiated"),
	NOOP("ssl_min_version", PARAM_STRING, NULL, noop_string,
	    "TLS 1.2 or later is negotiated"),
	NOOP("ssl_max_version", PARAM_STRING, NULL, noop_string,
	    "TLS 1.2 or later is negotiated"),
	NOOP("emit_error_for_missing_id", PARAM_BOOL, "false", noop_bool,
	    "create without an id lets Elasticsearch choose one"),
	NOOP("retry_tag", PARAM_STRING, NULL, noop_string,
	    "rejected documents go to the dead-letter file, not re-emitted"),
	NOOP("unrecoverable_error_types", PARAM_ARRAY, NULL, noop_array,
	    "429 and 5xx items are retried, other 4xx dead-lettered"),
	NOOP("ignore_exceptions", PARAM_ARRAY, NULL, noop_array,
	    "nothing is discarded"),
	NOOP("exception_backup", PARAM_BOOL, "true", noop_bool,
	    "nothing is discarded"),
	NOOP("flatten_hashes_separator", PARAM_STRING, "_", noop_string,
	    "flatten_hashes is not supported"),
	NOOP("remove_keys_on_update", PARAM_STRING, NULL, noop_string,
	    "for update and upsert, which are not supported"),
	NOOP("remove_keys_on_update_key", PARAM_STRING, NULL, noop_string,
	    "for update and upsert, which are not supported"),
	NOOP("suppress_doc_wrap", PARAM_BOOL, "false", noop_bool,
	    "for update and upsert, which are not supported"),
	NOOP("truncate_caches_interval", PARAM_TIME, NULL, noop_time,
	    "no caches to truncate"),
	PARAMS_END
};
#undef REFUSED
#undef NOOP
#undef E

/* --- init ---------------------------------------------------------------- */

static int
check_refused(const struct conf_elem *el, struct err *e)
{
	const struct param_def	*d;
	const struct conf_param	*p;
	bool			 on;

	for (d = es_params; d->name != NULL; d++) {
		if (strncmp(d->help, "not supported", 13) != 0 ||
		    (p = conf_param_get(el, d->name)) == NULL)
			continue;
		if (d->type == PARAM_BOOL && (conf_parse_bool(p->value, &on) ||
		    !on))
			continue;
		return err_at(e, p->file, p->line, "<match %s> @type "
		    "elasticsearch: %s is %s", el->arg, d->name, d->help);
	}
	return 0;
}

static int
check_operation(const struct es_cfg *cfg, const struct conf_elem *el,
    struct err *e)
{
	if (cfg->write_operation == ES_OP_UPDATE ||
	    cfg->write_operation == ES_OP_UPSERT)
		return param_err_at(e, el, "write_operation", "write_operation "
		    "%s is not supported: use index (the default: a record "
		    "sent again replaces its document) or create (the first "
		    "one stays; repeats are answered 409 and counted as "
		    "duplicates)", op_names[cfg->write_operation]);
	return 0;
}

static int
check_templates(const struct es_cfg *cfg, const struct conf_elem *el,
    struct err *e)
{
	const char	*given = cfg->template_name ? "template_name" :
			    "template_file";

	if ((cfg->template_name == NULL) != (cfg->template_file == NULL))
		return param_err_at(e, el, given, "%s: template_name and "
		    "template_file go together: give both", given);
	if (cfg->ilm_policy != NULL && cfg->ilm_policy_file != NULL)
		return param_err_at(e, el, "ilm_policy", "give ilm_policy or "
		    "ilm_policy_file, not both");
	if (cfg->enable_ilm && cfg->ilm_policy == NULL &&
	    cfg->ilm_policy_file == NULL)
		return param_err_at(e, el, "enable_ilm", "enable_ilm needs the "
		    "policy: ilm_policy_file (e.g. the shipped "
		    "spire-logs-ilm.json) or ilm_policy");
	return 0;
}

static int
parse_threshold(struct es *es, const struct conf_elem *el, struct err *e)
{
	const char		*s = es->cfg->bulk_message_request_threshold;
	unsigned long long	 v;

	if (s[0] == '-') {
		es->threshold = 0;	/* unlimited, as in Fluentd */
		return 0;
	}
	if (conf_parse_size(s, &v) != 0)
		return param_err_at(e, el, "bulk_message_request_threshold",
		    "bulk_message_request_threshold '%s' is not a size, e.g. "
		    "20M, or -1", s);
	es->threshold = v;
	return 0;
}

static void
note_noops(struct es *es, const struct conf_elem *el)
{
	const struct param_def	*d;

	es->type_name_given = params_given(el, "type_name");
	for (d = es_params; d->name != NULL; d++)
		if ((d->flags & PARAM_NOOP) && strcmp(d->name, "type_name") &&
		    params_given(el, d->name))
			sb_addf(&es->noops, "%s%s", es->noops.len ? ", " : "",
			    d->name);
}

static int
es_init(struct output *o, struct conf_elem *el, struct err *e)
{
	struct es_cfg	*cfg = o->cfg;
	struct es	*es = xcalloc(1, sizeof *es);

	o->priv = es;
	es->cfg = cfg;
	es->dead.fd = -1;
	es->dead.peer = "Elasticsearch";
	snprintf(es->who, sizeof es->who, "<match %s> at %s:%d", el->arg,
	    el->file, el->line);
	if (check_refused(el, e) != 0 || check_operation(cfg, el, e) != 0 ||
	    check_templates(cfg, el, e) != 0 ||
	    parse_threshold(es, el, e) != 0 ||
	    es_encoder_init(&es->enc, cfg, el, e) != 0 ||
	    es_conn_init(&es->conn, cfg, el, e) != 0)
		return -1;
	/* At init, not start: a missing libcurl fails --dry-run too. */
	if (libcurl_load(e) != 0)
		return err_wrap(e, "%s", es->who);
	note_noops(es, el);
	return 0;
}

/* --- the buffer's side: encode, send ------------------------------------- */

static int
es_output_encode(struct output *o, const struct batch *b,
    const struct record *r, struct strbuf *out, struct err *e)
{
	struct es	*es = o->priv;

	(void)e;
	es_encode(&es->enc, b, r, out);
	return 0;
}

static void
chunk_settle_cb(void *arg, size_t slot, enum entry_result r)
{
	chunk_settle(arg, slot, r);
}

static void
chunk_done_cb(void *arg, const struct err *fail)
{
	chunk_done(arg, fail);
}

static int	send_chunk(struct es *es, struct chunk *c, struct err *e);

/*
 * Chunks that come before the template is in wait for its steps rather
 * than fail an attempt. A step that failed runs again for them at once
 * (see es_templates_join): when it fails again, so do they, with its
 * reason, and the buffer backs off; a cause fixed meanwhile (credentials,
 * privileges) is found at the buffer's next attempt, not at the
 * template's own, longer backoff.
 */
static int
es_output_send(struct output *o, struct chunk *c, struct err *e)
{
	struct es	*es = o->priv;

	if (es->tpl.ready)
		return send_chunk(es, c, e);
	if (!es_templates_join(es))
		return err_set(e, "%s", es->tpl.last_error);
	es->waiting = xrealloc(es->waiting, (es->nwaiting + 1) *
	    sizeof *es->waiting);
	es->waiting[es->nwaiting++] = c;
	return 0;
}

void
es_templates_settled(struct es *es, bool ok)
{
	struct chunk	**w = es->waiting;
	size_t		 n = es->nwaiting, i;
	struct err	 e;

	es->waiting = NULL;
	es->nwaiting = 0;
	for (i = 0; i < n; i++) {
		if (ok && send_chunk(es, w[i], &e) == 0)
			continue;
		if (ok)
			chunk_done(w[i], &e);
		else {
			err_set(&e, "%s", es->tpl.last_error);
			chunk_done(w[i], &e);
		}
	}
	free(w);
}

static int
send_chunk(struct es *es, struct chunk *c, struct err *e)
{
	struct es_sink		 sink = { chunk_settle_cb, chunk_done_cb, c,
				    es->error_sink, es->error_arg };
	struct es_entry		*ents;
	size_t			 n, i, k = 0;
	int			 rc;

	n = chunk_nentries(c);
	ents = xmalloc((n ? n : 1) * sizeof *ents);
	for (i = 0; i < n; i++) {
		if (!chunk_entry_pending(c, i))
			continue;
		ents[k].p = chunk_entry(c, i, &ents[k].len);
		ents[k].tag = chunk_entry_tag(c, i);
		ents[k++].slot = i;
	}
	rc = es_send_entries(es, ents, k, &sink, e);
	free(ents);
	return rc;
}

/* --- start, stop, destroy ------------------------------------------------ */

static int
es_start(struct output *o, struct loop *l, struct err *e)
{
	struct es	*es = o->priv;

	es->loop = l;
	es->error_sink = o->error_sink;
	es->error_arg = o->error_arg;
	if ((es->http = http_new(l, e)) == NULL)
		return err_wrap(e, "%s", es->who);
	es->dead.who = es->who;
	es->dead.path = es->cfg->dead_letter_path ?
	    xstrdup(es->cfg->dead_letter_path) :
	    dead_letter_default_path(o->buffer ? buffer_config(o->buffer) : NULL);
	return es_templates_start(es, e);
}

static void
es_stop(struct output *o)
{
	struct es	*es = o->priv;

	if (es->http == NULL)
		return;
	http_free(es->http);	/* first: no callback runs after this */
	es->http = NULL;
	es_send_cancel_all(es);
	es_templates_stop(es);
	free(es->waiting);	/* abandoned, as those in flight */
	es->waiting = NULL;
	es->nwaiting = 0;
	dead_letter_close(&es->dead);
}

static void
es_destroy(struct output *o)
{
	struct es	*es = o->priv;

	if (es == NULL)
		return;
	es_stop(o);
	es_encoder_free(&es->enc);
	es_conn_free(&es->conn);
	sb_free(&es->noops);
	free(es);
}

/* --- --dry-run ----------------------------------------------------------- */

/*
 * No template of its own: the index gets dynamic mappings unless one
 * installed by someone else covers it, and DESIGN.md's spire-logs is
 * not covered by the spire-logs-* template that goes with it.
 */
static void
check_no_template(const struct output *o, struct es *es, warn_fn warn,
    void *arg)
{
	static char *const	 shipped[] = { "spire-logs-*", NULL };
	char			 index[256];
	struct timespec		 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	es_index_example(&es->enc, (int64_t)ts.tv_sec * 1000000000, index,
	    sizeof index);
	warn(arg, o->file, o->line, "no template_file: the index this output "
	    "writes (%s) is mapped by whatever template the cluster has, or "
	    "dynamically%s; the shipped templates/spire-logs-template.json "
	    "(template_name spire-logs, template_file ...) covers "
	    "spire-logs-*: logstash_format true and logstash_prefix spire-logs "
	    "write daily spire-logs-YYYY.MM.DD indices", index,
	    es_patterns_cover(shipped, 1, index) ? "" : ", and the index "
	    "template that goes with this pipeline (spire-logs-*) does not "
	    "match it; at start the shipper warns again if no installed "
	    "template does");
}

/* The trap of DESIGN.md: index_name spire-logs, template spire-logs-*. */
static void
check_template_covers(const struct output *o, struct es *es, warn_fn warn,
    void *arg)
{
	const struct es_cfg	*cfg = es->cfg;
	struct strbuf		 sb = STRBUF_INIT;
	char			 why[256], **pats = NULL, index[256];
	struct err		 e;
	bool			 composable;
	struct timespec		 ts;
	size_t			 n;
	const char		*problem = NULL;

	if (file_slurp(cfg->template_file, 4 << 20, &sb, &e) != 0)
		problem = e.msg;
	else if (es_template_parse(sb.buf, sb.len, &composable, &pats, why,
	    sizeof why) != 0)
		problem = why;
	if (problem != NULL) {
		warn(arg, o->file, o->line, "template_file %s: %s (checked "
		    "again at start, when it must be right)",
		    cfg->template_file, problem);
		sb_free(&sb);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	es_index_example(&es->enc, (int64_t)ts.tv_sec * 1000000000, index,
	    sizeof index);
	n = conf_strv_len(pats);
	if (!es_patterns_cover(pats, n, index))
		warn(arg, o->file, o->line, "the index this output writes (%s) "
		    "matches none of the index_patterns of template_file %s "
		    "(%s...), so its fields would get dynamic mappings; for "
		    "spire-logs-*: logstash_format true and logstash_prefix "
		    "spire-logs", index, cfg->template_file, n ? pats[0] :
		    "none");
	conf_strv_free(pats);
	sb_free(&sb);
}

static void
es_check(const struct output *o, warn_fn warn, void *arg)
{
	struct es		*es = o->priv;
	const struct es_cfg	*cfg = es->cfg;

	if (es->type_name_given)
		warn(arg, o->file, o->line, "type_name is ignored: "
		    "Elasticsearch 8 has no mapping types, and no _type is "
		    "sent (suppress_type_name is always in effect)");
	if (es->noops.len > 0)
		warn(arg, o->file, o->line, "accepted for compatibility, no "
		    "effect: %s (see the reference)", es->noops.buf);
	if (!cfg->ssl_verify)
		warn(arg, o->file, o->line, "ssl_verify false: the server's "
		    "certificate is not checked");
	if (cfg->scheme == ES_HTTP && cfg->hosts == NULL &&
	    (cfg->password != NULL || cfg->api_key != NULL))
		warn(arg, o->file, o->line, "credentials are sent over plain "
		    "http: scheme https keeps them secret");
	if (cfg->template_file != NULL)
		check_template_covers(o, es, warn, arg);
	else
		check_no_template(o, es, warn, arg);
}

/* Refused credentials are for a person to fix: until then the output
 * takes records into its buffer but delivers none. */
static bool
es_ready(const struct output *o, struct strbuf *why)
{
	const struct es	*es = o->priv;

	if (es->conn.refused[0] == '\0')
		return true;
	sb_addf(why, "%s: Elasticsearch refuses its credentials or their "
	    "privileges (%s); the records wait in the buffer until a request "
	    "is accepted", es->who, es->conn.refused);
	return false;
}

const struct es_counters *
es_output_counters(const struct output *o)
{
	if (o == NULL || o->ops != &output_elasticsearch || o->priv == NULL)
		return NULL;
	return &((const struct es *)o->priv)->counters;
}

const struct output_ops output_elasticsearch = {
	.name = "elasticsearch",
	.help = "bulk-index records into Elasticsearch, with deterministic "
	    "ids, an index template and a dead-letter file",
	.params = es_params,
	.sections = es_sections,
	.cfg_size = sizeof(struct es_cfg),
	.init = es_init,
	.encode = es_output_encode,
	.send = es_output_send,
	.start = es_start,
	.stop = es_stop,
	.destroy = es_destroy,
	.check = es_check,
	.ready = es_ready,
};
