/*
 * kafka.c — `@type kafka2`: records produced to Kafka with librdkafka,
 * with fluent-plugin-kafka's parameters (see kafka.h for the parts).
 *
 * The librdkafka configuration is built once, at init, so that a wrong
 * property is a configuration error at file:line, not a surprise at the
 * first send; each producer (the first, and one after a fatal
 * idempotence error) is made from a copy of it. rdkafka_options come
 * last and win.
 */
#define _GNU_SOURCE	/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "kafka.h"
#include "librdkafka.h"
#include "log.h"
#include "loop.h"
#include "mem.h"

static const char *const codec_names[] = { "none", "gzip", "snappy", "lz4",
	"zstd", NULL };
static const char *const scram_names[] = { "none", "sha256", "sha512", NULL };
static const char *const kafka_sections[] = { "format", "inject", "buffer",
	NULL };

#define K(field)	offsetof(struct kafka_cfg, field)
#define NOOP(n, t, d, slot, h) { .name = n, .type = t, .def = d,	\
	.flags = PARAM_NOOP, .offset = K(slot), .help = h }
static const struct param_def kafka_params[] = {
	{ .name = "brokers", .type = PARAM_STRING, .def = "localhost:9092",
	  .offset = K(brokers), .help = "host:port of seed brokers, comma "
	  "separated (bootstrap.servers)" },
	{ .name = "default_topic", .type = PARAM_STRING, .flags = PARAM_REQUIRED,
	  .offset = K(default_topic),
	  .help = "the topic of records without a topic_key field" },
	{ .name = "topic_key", .type = PARAM_STRING, .def = "topic",
	  .offset = K(topic_key),
	  .help = "the field ($.a.b: nested) naming a record's topic" },
	{ .name = "default_message_key", .type = PARAM_STRING,
	  .offset = K(default_message_key),
	  .help = "the key of records without a message_key_key field; unset: "
	  "spiffe_id, else kubernetes.pod_name, else the log file's pod" },
	{ .name = "message_key_key", .type = PARAM_STRING,
	  .offset = K(message_key_key),
	  .help = "the field ($.a.b: nested) whose value is the message key" },
	{ .name = "partition_key_key", .type = PARAM_STRING,
	  .offset = K(partition_key_key),
	  .help = "the field whose value picks the partition instead of the "
	  "key" },
	{ .name = "headers", .type = PARAM_HASH, .offset = K(headers),
	  .help = "headers every message carries, e.g. {\"team\":\"sec\"}" },
	{ .name = "headers_from_record", .type = PARAM_HASH,
	  .offset = K(headers_from_record),
	  .help = "header name to a field ($.a.b: nested), e.g. "
	  "{\"event\":\"$.security_event\"}" },
	{ .name = "compression_codec", .type = PARAM_ENUM, .def = "none",
	  .choices = codec_names, .offset = K(compression_codec),
	  .help = "gzip, snappy, lz4 or zstd (compression.codec)" },
	{ .name = "required_acks", .type = PARAM_INT, .def = "-1",
	  .offset = K(required_acks),
	  .help = "acks: -1 all in-sync replicas (needed by idempotence)" },
	{ .name = "max_send_retries", .type = PARAM_INT, .def = "2147483647",
	  .offset = K(max_send_retries),
	  .help = "librdkafka's retries of a produce request (bounded by "
	  "message.timeout.ms); they keep order per partition; lower, a "
	  "message given up is sent again after later ones (see Kafka)" },
	{ .name = "ack_timeout", .type = PARAM_TIME,
	  .offset = K(ack_timeout),
	  .help = "a produce request not answered by then fails "
	  "(request.timeout.ms); unset: 30s" },
	{ .name = "idempotent", .type = PARAM_BOOL, .def = "true",
	  .offset = K(idempotent),
	  .help = "the idempotent producer (enable.idempotence): librdkafka's "
	  "retries neither duplicate nor reorder" },
	{ .name = "ssl_ca_cert", .type = PARAM_STRING, .offset = K(ssl_ca_cert),
	  .help = "CA certificates (PEM): TLS to the brokers" },
	{ .name = "ssl_ca_certs_from_system", .type = PARAM_BOOL,
	  .def = "false", .offset = K(ssl_ca_certs_from_system),
	  .help = "TLS to the brokers, verified with the system's CA "
	  "certificates (ssl_ca_cert, when set, instead)" },
	{ .name = "ssl_client_cert", .type = PARAM_STRING,
	  .offset = K(ssl_client_cert), .help = "client certificate (PEM)" },
	{ .name = "ssl_client_cert_key", .type = PARAM_STRING,
	  .offset = K(ssl_client_cert_key), .help = "its private key (PEM)" },
	{ .name = "ssl_verify_hostname", .type = PARAM_BOOL, .def = "true",
	  .offset = K(ssl_verify_hostname),
	  .help = "check the broker's host name against its certificate" },
	{ .name = "username", .type = PARAM_STRING, .offset = K(username),
	  .help = "SASL user (PLAIN, or SCRAM with scram_mechanism)" },
	{ .name = "password", .type = PARAM_STRING, .flags = PARAM_SECRET,
	  .offset = K(password), .help = "for username" },
	{ .name = "scram_mechanism", .type = PARAM_ENUM, .def = "none",
	  .choices = scram_names, .offset = K(scram_mechanism),
	  .help = "sha256 or sha512: SASL/SCRAM; none: SASL/PLAIN" },
	{ .name = "sasl_over_ssl", .type = PARAM_BOOL, .def = "true",
	  .offset = K(sasl_over_ssl),
	  .help = "SASL inside TLS (sasl_ssl); false: sasl_plaintext" },
	{ .name = "rdkafka_options", .type = PARAM_HASH, .flags = PARAM_SECRET,
	  .offset = K(rdkafka_options),
	  .help = "any librdkafka property, e.g. {\"linger.ms\":\"20\"}; "
	  "applied last" },
	/* ours */
	{ .name = "dead_letter_path", .type = PARAM_STRING,
	  .offset = K(dead_letter_path),
	  .help = "NDJSON file for messages Kafka rejects for good; unset: "
	  "dead-letter.ndjson in a file buffer's directory, else the error log" },
	{ .name = "source_id_header", .type = PARAM_STRING,
	  .def = "spire-shipper-source-id", .offset = K(source_id_header),
	  .help = "a header with the record's source identity (the "
	  "Elasticsearch _id), for consumers to drop replays; empty: none" },
	/* accepted, no effect */
	NOOP("exclude_topic_key", PARAM_BOOL, "false", noop_bool,
	    "the topic field stays in the value"),
	NOOP("use_event_time", PARAM_BOOL, "false", noop_bool,
	    "messages get librdkafka's CreateTime"),
	NOOP("get_kafka_client_log", PARAM_BOOL, "false", noop_bool,
	    "librdkafka's log goes to the shipper's log"),
	NOOP("discard_kafka_delivery_failed", PARAM_BOOL, "false", noop_bool,
	    "nothing is discarded: failures are retried or dead-lettered"),
	NOOP("client_id", PARAM_STRING, "fluentd", noop_string,
	    "set client.id in rdkafka_options"),
	NOOP("max_send_limit_bytes", PARAM_SIZE, NULL, noop_int,
	    "set message.max.bytes in rdkafka_options"),
	NOOP("default_partition_key", PARAM_STRING, NULL, noop_string,
	    "not implemented: partitions follow the message key, or "
	    "partition_key_key"),
	NOOP("exclude_partition_key", PARAM_BOOL, "false", noop_bool,
	    "the partition key field stays in the value"),
	NOOP("exclude_message_key", PARAM_BOOL, "false", noop_bool,
	    "the message key field stays in the value"),
	PARAMS_END
};
#undef NOOP
#undef K

/* --- the librdkafka configuration ---------------------------------------- */

static int
conf_put(rd_kafka_conf_t *conf, const char *name, const char *val,
    const struct conf_elem *el, const char *param, struct err *e)
{
	char	 errstr[512];

	if (val == NULL)
		return 0;
	if (rd_kafka_conf_set(conf, name, val, errstr, sizeof errstr) ==
	    RD_KAFKA_CONF_OK)
		return 0;
	if (strstr(name, "password") || strstr(name, "secret"))
		snprintf(errstr, sizeof errstr, "not accepted");
	return param_err_at(e, el, param, "%s: librdkafka property %s: %s",
	    param, name, errstr);
}

static int
conf_security(const struct kafka_cfg *cfg, rd_kafka_conf_t *conf,
    const struct conf_elem *el, struct err *e)
{
	static const char *const mech[] = { "PLAIN", "SCRAM-SHA-256",
		"SCRAM-SHA-512" };
	bool	 tls = cfg->ssl_ca_cert || cfg->ssl_client_cert ||
		    cfg->ssl_ca_certs_from_system;
	bool	 sasl = cfg->username != NULL;
	const char *proto = sasl ? (cfg->sasl_over_ssl ? "sasl_ssl" :
		    "sasl_plaintext") : tls ? "ssl" : "plaintext";

	if (sasl && cfg->password == NULL)
		return param_err_at(e, el, "username", "username needs "
		    "password (\"#{ENV['KAFKA_PASSWORD']}\" keeps it out of "
		    "the file)");
	return conf_put(conf, "security.protocol", proto, el, "brokers", e) ||
	    conf_put(conf, "ssl.ca.location", cfg->ssl_ca_cert, el,
	    "ssl_ca_cert", e) ||
	    conf_put(conf, "ssl.certificate.location", cfg->ssl_client_cert, el,
	    "ssl_client_cert", e) ||
	    conf_put(conf, "ssl.key.location", cfg->ssl_client_cert_key, el,
	    "ssl_client_cert_key", e) ||
	    ((tls || (sasl && cfg->sasl_over_ssl)) && conf_put(conf,
	    "ssl.endpoint.identification.algorithm", cfg->ssl_verify_hostname ?
	    "https" : "none", el, "ssl_verify_hostname", e)) ||
	    (sasl && (conf_put(conf, "sasl.mechanism",
	    mech[cfg->scram_mechanism], el, "scram_mechanism", e) ||
	    conf_put(conf, "sasl.username", cfg->username, el, "username", e) ||
	    conf_put(conf, "sasl.password", cfg->password, el, "password",
	    e))) ? -1 : 0;
}

/* Is word one of the comma-separated list's? */
static bool
listed(const char *list, const char *word)
{
	size_t		 n = strlen(word);
	const char	*p;

	for (p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/*
 * A codec this librdkafka was built without (Debian's has all four, a
 * minimal build may not) is refused here, at load and --dry-run, naming
 * what it has, rather than by librdkafka's terser property error.
 */
static int
codec_check(const struct kafka_cfg *cfg, rd_kafka_conf_t *conf,
    const struct conf_elem *el, struct err *e)
{
	const char	*codec = codec_names[cfg->compression_codec];
	char		 features[512];
	size_t		 len = sizeof features;

	if (cfg->compression_codec == KAFKA_NONE ||
	    rd_kafka_conf_get(conf, "builtin.features", features, &len) !=
	    RD_KAFKA_CONF_OK || listed(features, codec))
		return 0;
	return param_err_at(e, el, "compression_codec", "compression_codec "
	    "%s: librdkafka %s was built without %s (its builtin.features: "
	    "%s): choose a codec it has, or none, or install a librdkafka "
	    "built with %s", codec, rd_kafka_version_str(), codec, features,
	    codec);
}

static int
conf_producer(const struct kafka_cfg *cfg, rd_kafka_conf_t *conf,
    const struct conf_elem *el, struct err *e)
{
	char	 acks[24], retries[24], timeout[24];

	snprintf(acks, sizeof acks, "%lld", cfg->required_acks);
	snprintf(retries, sizeof retries, "%lld", cfg->max_send_retries);
	snprintf(timeout, sizeof timeout, "%.0f", cfg->ack_timeout * 1000);
	if (cfg->idempotent && cfg->required_acks != -1)
		return param_err_at(e, el, "required_acks", "required_acks "
		    "%lld: the idempotent producer needs -1 (all in-sync "
		    "replicas); set idempotent false to use it",
		    cfg->required_acks);
	return conf_put(conf, "bootstrap.servers", cfg->brokers, el, "brokers",
	    e) || conf_put(conf, "acks", acks, el, "required_acks", e) ||
	    conf_put(conf, "retries", retries, el, "max_send_retries", e) ||
	    (cfg->ack_timeout > 0 && conf_put(conf, "request.timeout.ms",
	    timeout, el, "ack_timeout", e)) ||
	    conf_put(conf, "enable.idempotence", cfg->idempotent ? "true" :
	    "false", el, "idempotent", e) ||
	    codec_check(cfg, conf, el, e) ||
	    conf_put(conf, "compression.codec",
	    codec_names[cfg->compression_codec], el, "compression_codec", e) ||
	    conf_put(conf, "log.queue", "true", el, "rdkafka_options", e) ? -1 :
	    0;
}

static int
conf_options(const struct kafka_cfg *cfg, rd_kafka_conf_t *conf,
    const struct conf_elem *el, struct err *e)
{
	char *const	*o = cfg->rdkafka_options;
	size_t		 i;

	for (i = 0; o != NULL && o[i] != NULL && o[i + 1] != NULL; i += 2)
		if (conf_put(conf, o[i], o[i + 1], el, "rdkafka_options", e))
			return -1;
	return 0;
}

/* --- callbacks (all run inside rd_kafka_poll, on the loop's thread) ------ */

/* librdkafka names its own properties; say which of ours to change. */
static const char *
error_advice(const struct kafka *k, int err, const char *reason, char *buf,
    size_t len)
{
	const struct kafka_cfg	*cfg = k->cfg;

	if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION)
		return " (check username and password, and scram_mechanism; "
		    "the records wait in the buffer)";
	if (strstr(reason, "certificate verify failed") == NULL &&
	    strstr(reason, "could not be verified") == NULL)
		return err == RD_KAFKA_RESP_ERR__SSL ? " (check that the "
		    "broker speaks TLS on that port; the records wait in the "
		    "buffer)" : "";
	snprintf(buf, len, " (the broker's certificate "
	    "could not be verified with %s%s: set ssl_ca_cert to the CA "
	    "certificate that signed it; the records wait in the buffer)",
	    cfg->ssl_ca_cert ? "ssl_ca_cert " : "the system's CA "
	    "certificates (no ssl_ca_cert)", cfg->ssl_ca_cert ?
	    cfg->ssl_ca_cert : "");
	return buf;
}

/* A broker or all of them out of reach: passing, and nothing is lost. */
static bool
broker_unreachable(int err)
{
	return err == RD_KAFKA_RESP_ERR__TRANSPORT ||
	    err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
	    err == RD_KAFKA_RESP_ERR__RESOLVE;
}

static void
error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka	*k = opaque;
	char		 why[512], advice[1024];
	const char	*adv;

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, why, sizeof why);
		log_error("%s: fatal producer error: %s (the producer is made "
		    "again; unacknowledged records are produced again)",
		    k->who, why);
		k->fatal = true;
		return;
	}
	adv = error_advice(k, err, reason, advice, sizeof advice);
	if (*adv == '\0' && broker_unreachable(err))
		adv = "; librdkafka reconnects by itself and the records wait "
		    "in the buffer (if this goes on, check the brokers and the "
		    "network to them)";
	log_warn("%s: %s: %s%s", k->who, rd_kafka_err2name(err), reason, adv);
	if (kafka_error_refused(err))
		snprintf(k->refused, sizeof k->refused, "%s: %s",
		    rd_kafka_err2name(err), reason);
}

static void
log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	struct kafka	*k = rd_kafka_opaque(rk);

	/* A broker connection's FAIL is also an error event: error_cb says
	 * it once, as the warning it is. */
	if (strcmp(fac, "FAIL") == 0)
		log_debug("%s: librdkafka %s: %s", k->who, fac, buf);
	else if (level <= 3)
		log_error("%s: librdkafka %s: %s", k->who, fac, buf);
	else if (level <= 5)
		log_warn("%s: librdkafka %s: %s", k->who, fac, buf);
	else
		log_debug("%s: librdkafka %s: %s", k->who, fac, buf);
}

static int
conf_build(struct kafka *k, const struct conf_elem *el, struct err *e)
{
	const struct kafka_cfg	*cfg = k->cfg;

	k->conf = rd_kafka_conf_new();
	rd_kafka_conf_set_opaque(k->conf, k);
	rd_kafka_conf_set_dr_msg_cb(k->conf, kafka_dr_cb);
	rd_kafka_conf_set_error_cb(k->conf, error_cb);
	rd_kafka_conf_set_log_cb(k->conf, log_cb);
	if (cfg->partition_key_key != NULL) {
		rd_kafka_topic_conf_t	*tc = rd_kafka_topic_conf_new();

		rd_kafka_topic_conf_set_partitioner_cb(tc, kafka_partitioner_cb);
		rd_kafka_conf_set_default_topic_conf(k->conf, tc);
	}
	return conf_producer(cfg, k->conf, el, e) ||
	    conf_security(cfg, k->conf, el, e) ||
	    conf_options(cfg, k->conf, el, e) ? -1 : 0;
}

/* --- init ---------------------------------------------------------------- */

static void
note_noops(struct kafka *k, const struct conf_elem *el)
{
	const struct param_def	*d;

	for (d = kafka_params; d->name != NULL; d++)
		if ((d->flags & PARAM_NOOP) && params_given(el, d->name))
			sb_addf(&k->noops, "%s%s", k->noops.len ? ", " : "",
			    d->name);
}

static int
kafka_init(struct output *o, struct conf_elem *el, struct err *e)
{
	struct kafka_cfg	*cfg = o->cfg;
	struct kafka		*k = xcalloc(1, sizeof *k);

	o->priv = k;
	k->cfg = cfg;
	k->wake[0] = k->wake[1] = -1;
	k->dead.fd = -1;
	k->waiting_end = &k->waiting;
	k->dead.peer = "Kafka";
	k->dead.who = k->who;
	snprintf(k->who, sizeof k->who, "<match %s> at %s:%d", el->arg,
	    el->file, el->line);
	if (cfg->default_topic[0] == '\0')
		return param_err_at(e, el, "default_topic", "default_topic is "
		    "empty: name the topic records go to");
	if (strchr(cfg->brokers, '@') != NULL)	/* not quoted: a password */
		return param_err_at(e, el, "brokers", "brokers are host:port; "
		    "credentials do not go there (they would end up in logs): "
		    "use username and password");
	if (librdkafka_load(e) != 0)
		return err_wrap(e, "%s", k->who);
	if (kafka_encoder_init(&k->enc, cfg, el, e) != 0 ||
	    conf_build(k, el, e) != 0)
		return -1;
	note_noops(k, el);
	return 0;
}

/* --- the buffer's side --------------------------------------------------- */

static int
kafka_output_encode(struct output *o, const struct batch *b,
    const struct record *r, struct strbuf *out, struct err *e)
{
	struct kafka	*k = o->priv;

	(void)e;
	kafka_encode(&k->enc, b, r, out);
	return 0;
}

static int
kafka_output_send(struct output *o, struct chunk *c, struct err *e)
{
	return kafka_send_chunk(o->priv, c, e);
}

/* --- the producer and the loop ------------------------------------------- */

static int
producer_new(struct kafka *k, struct err *e)
{
	rd_kafka_conf_t	*conf = rd_kafka_conf_dup(k->conf);
	char		 errstr[512];

	if ((k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
	    sizeof errstr)) == NULL) {
		rd_kafka_conf_destroy(conf);
		return err_set(e, "%s: cannot make the producer: %s", k->who,
		    errstr);
	}
	rd_kafka_set_log_queue(k->rk, NULL);	/* logs served by poll */
	k->mainq = rd_kafka_queue_get_main(k->rk);
	rd_kafka_queue_io_event_enable(k->mainq, k->wake[1], "1", 1);
	k->fatal = false;
	return 0;
}

static void
producer_free(struct kafka *k)
{
	if (k->rk == NULL)
		return;
	rd_kafka_queue_io_event_enable(k->mainq, -1, NULL, 0);
	rd_kafka_queue_destroy(k->mainq);
	rd_kafka_destroy(k->rk);
	k->rk = NULL;
	k->mainq = NULL;
}

static void
serve(struct kafka *k)
{
	struct err	 e;

	if (k->rk == NULL)
		return;
	rd_kafka_poll(k->rk, 0);
	kafka_produce_waiting(k);
	kafka_attempts_sweep(k);
	/* After a fatal error every message fails (and is retried): once
	 * they all have, a new producer, with a new producer id. */
	if (k->fatal && k->attempts == NULL && rd_kafka_outq_len(k->rk) == 0) {
		producer_free(k);
		k->counters.fatal++;
		if (producer_new(k, &e) != 0)
			log_error("%s", e.msg);
	}
}

static void
on_wake(int fd, uint32_t events, void *arg)
{
	char	 buf[256];

	(void)events;
	while (read(fd, buf, sizeof buf) > 0)
		;
	serve(arg);
}

static void
on_tick(void *arg)
{
	serve(arg);
}

static int
kafka_start(struct output *o, struct loop *l, struct err *e)
{
	struct kafka	*k = o->priv;

	k->loop = l;
	k->dead.path = k->cfg->dead_letter_path ?
	    xstrdup(k->cfg->dead_letter_path) :
	    dead_letter_default_path(o->buffer ? buffer_config(o->buffer) :
	    NULL);
	if (pipe2(k->wake, O_NONBLOCK | O_CLOEXEC) != 0)
		return err_set(e, "%s: pipe: %s", k->who, strerror(errno));
	if (loop_add_fd(l, k->wake[0], EPOLLIN, on_wake, k, e) != 0)
		return -1;
	/* Attempts refused whole inside .send finish here, and a fatal
	 * error is noticed even when nothing is reported. */
	k->tick = loop_add_timer(l, 50, true, on_tick, k);
	return producer_new(k, e);
}

/* What is in flight gets a little time to be acknowledged (a shutdown
 * drains the buffer first); the rest stays in the buffer for next time. */
static void
kafka_stop(struct output *o)
{
	struct kafka	*k = o->priv;

	if (k->rk != NULL) {
		kafka_waiting_abandon(k);
		rd_kafka_flush(k->rk, 3000);
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE |
		    RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_flush(k->rk, 1000);
		kafka_attempts_sweep(k);
	}
	producer_free(k);
	if (k->tick != NULL)
		loop_del_timer(k->loop, k->tick);
	k->tick = NULL;
	if (k->wake[0] != -1) {
		loop_del_fd(k->loop, k->wake[0]);
		close(k->wake[0]);
		close(k->wake[1]);
	}
	k->wake[0] = k->wake[1] = -1;
	dead_letter_close(&k->dead);
}

static void
kafka_destroy(struct output *o)
{
	struct kafka	*k = o->priv;

	if (k == NULL)
		return;
	kafka_stop(o);
	if (k->conf != NULL)
		rd_kafka_conf_destroy(k->conf);
	kafka_encoder_free(&k->enc);
	sb_free(&k->noops);
	free(k);
}

/* Does rdkafka_options set name to val? */
static bool
option_is(const struct kafka_cfg *cfg, const char *name, const char *val)
{
	char *const	*o = cfg->rdkafka_options;
	size_t		 i;

	for (i = 0; o != NULL && o[i] != NULL && o[i + 1] != NULL; i += 2)
		if (strcmp(o[i], name) == 0 && strcasecmp(o[i + 1], val) == 0)
			return true;
	return false;
}

static void
kafka_check(const struct output *o, warn_fn warn, void *arg)
{
	struct kafka		*k = o->priv;
	const struct kafka_cfg	*cfg = k->cfg;

	if (k->noops.len > 0)
		warn(arg, o->file, o->line, "accepted for compatibility, no "
		    "effect: %s (see the reference)", k->noops.buf);
	if (!cfg->idempotent)
		warn(arg, o->file, o->line, "idempotent false: librdkafka's "
		    "retries may duplicate or reorder messages");
	if (cfg->username != NULL && !cfg->sasl_over_ssl)
		warn(arg, o->file, o->line, "sasl_over_ssl false: the password "
		    "crosses the network in the clear with SASL/PLAIN");
	if (!cfg->ssl_verify_hostname)
		warn(arg, o->file, o->line, "ssl_verify_hostname false: the "
		    "broker's host name is not checked");
	if (option_is(cfg, "enable.ssl.certificate.verification", "false"))
		warn(arg, o->file, o->line, "rdkafka_options "
		    "enable.ssl.certificate.verification false: the brokers' "
		    "certificates are not checked (set ssl_ca_cert to their "
		    "CA instead)");
}

/* Refused credentials are for a person to fix: until then the output
 * takes records into its buffer but delivers none. */
static bool
kafka_ready(const struct output *o, struct strbuf *why)
{
	const struct kafka	*k = o->priv;

	if (k->refused[0] == '\0')
		return true;
	sb_addf(why, "%s: Kafka refuses its credentials or their rights "
	    "(%s): check username, password and scram_mechanism, and the "
	    "user's ACLs; the records wait in the buffer until one is "
	    "delivered", k->who, k->refused);
	return false;
}

const struct kafka_counters *
kafka_output_counters(const struct output *o)
{
	if (o == NULL || o->ops != &output_kafka2 || o->priv == NULL)
		return NULL;
	return &((const struct kafka *)o->priv)->counters;
}

const struct output_ops output_kafka2 = {
	.name = "kafka2",
	.help = "produce records to Kafka (librdkafka): delivery reports "
	    "acknowledge, idempotent producer, dead-letter file",
	.params = kafka_params,
	.sections = kafka_sections,
	.cfg_size = sizeof(struct kafka_cfg),
	.init = kafka_init,
	.encode = kafka_output_encode,
	.send = kafka_output_send,
	.in_order = true,
	.start = kafka_start,
	.stop = kafka_stop,
	.destroy = kafka_destroy,
	.check = kafka_check,
	.ready = kafka_ready,
};
