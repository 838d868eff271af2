/*
 * plugin_metrics.c — the metrics that only some plugins have: a buffered
 * output's buffer and acknowledgements, the Elasticsearch output's bulk
 * requests, the kafka2 output's delivery reports, the kubernetes_metadata
 * filter's API calls and cache.
 *
 * Each family is declared whether or not an instance exists, so that
 * dashboards and alert rules find their names on every shipper.
 */
#include <stdio.h>

#include "buffer.h"
#include "elasticsearch.h"
#include "filter_kubernetes.h"
#include "kafka.h"
#include "loop.h"
#include "plugin_metrics.h"
#include "registry.h"

static const struct {
	const char	*name;
	enum metric_type type;
	const char	*help;
} families[] = {
	{ "spire_shipper_buffer_stage_bytes", METRIC_GAUGE,
	  "Bytes in the chunk being filled" },
	{ "spire_shipper_buffer_queue_bytes", METRIC_GAUGE,
	  "Bytes in chunks queued or being sent" },
	{ "spire_shipper_buffer_total_limit_bytes", METRIC_GAUGE,
	  "total_limit_size of the buffer" },
	{ "spire_shipper_buffer_chunks", METRIC_GAUGE,
	  "Chunks held, staged and queued" },
	{ "spire_shipper_buffer_queue_length", METRIC_GAUGE,
	  "Chunks queued, in flight included" },
	{ "spire_shipper_buffer_oldest_unacked_age_seconds", METRIC_GAUGE,
	  "Age of the oldest record the output has not acknowledged" },
	{ "spire_shipper_buffer_records_total", METRIC_COUNTER,
	  "Records taken into the buffer" },
	{ "spire_shipper_buffer_full_total", METRIC_COUNTER,
	  "Writes refused because the buffer was full (the tail waited)" },
	{ "spire_shipper_buffer_dropped_total", METRIC_COUNTER,
	  "Records the buffer gave up, by reason" },
	{ "spire_shipper_buffer_torn_records_total", METRIC_COUNTER,
	  "Records cut from chunk files torn by a crash" },
	{ "spire_shipper_buffer_corrupt_records_total", METRIC_COUNTER,
	  "Records lost inside damaged chunk files (kept as .corrupt)" },
	{ "spire_shipper_buffer_corrupt_chunks_total", METRIC_COUNTER,
	  "Damaged chunk files found at start (kept as .corrupt)" },
	{ "spire_shipper_buffer_write_errors_total", METRIC_COUNTER,
	  "Writes to the buffer that failed (a full disk): the sources wait" },
	{ "spire_shipper_buffer_damaged_chunks", METRIC_GAUGE,
	  "Chunks held whose file was found damaged while running (/live "
	  "fails; a restart recovers them)" },
	{ "spire_shipper_output_items_total", METRIC_COUNTER,
	  "Records settled by the output, by result" },
	{ "spire_shipper_output_retries_total", METRIC_COUNTER,
	  "Send attempts that failed as a whole" },
	{ "spire_shipper_dead_letters_total", METRIC_COUNTER,
	  "Records rejected for good (written to the dead-letter file)" },
	{ "spire_shipper_output_bulk_requests_total", METRIC_COUNTER,
	  "Bulk requests by HTTP status (0: no response)" },
	{ "spire_shipper_output_bulk_items_total", METRIC_COUNTER,
	  "Bulk items by HTTP status" },
	{ "spire_shipper_output_bulk_duration_seconds", METRIC_HISTOGRAM,
	  "Time a bulk request took" },
	{ "spire_shipper_kafka_delivery_duration_seconds", METRIC_HISTOGRAM,
	  "Time from producing a message to its delivery report" },
	{ "spire_shipper_kafka_produce_errors_total", METRIC_COUNTER,
	  "Messages librdkafka refused to take (a topic it knows to be "
	  "invalid or unknown, a message too large): dead letters, or "
	  "produced again" },
	{ "spire_shipper_kafka_producer_restarts_total", METRIC_COUNTER,
	  "Producers made anew after a fatal (idempotence) error" },
	{ "spire_shipper_kube_api_requests_total", METRIC_COUNTER,
	  "Kubernetes API requests by the class of their answer" },
	{ "spire_shipper_kube_cache_hits_total", METRIC_COUNTER,
	  "Records whose pod metadata was cached" },
	{ "spire_shipper_kube_cache_misses_total", METRIC_COUNTER,
	  "Records whose pod metadata was not cached" },
	{ "spire_shipper_kube_watch_restarts_total", METRIC_COUNTER,
	  "Watches of pods or namespaces started again" },
	{ "spire_shipper_kube_metadata_missing_total", METRIC_COUNTER,
	  "Records sent on without pod metadata" },
};

void
plugin_metrics_families(struct metrics_out *o)
{
	size_t	 i;

	for (i = 0; i < sizeof families / sizeof families[0]; i++)
		metric_family(o, families[i].name, families[i].type,
		    families[i].help);
}

void
plugin_sample(struct metrics_out *o, const char *name,
    const struct plugin_view *v, double value)
{
	metric_sample(o, name, METRIC_LABELS({ "plugin_id", v->id },
	    { "type", v->type }), value);
}

#define SAMPLE(o, name, v, value)					\
	plugin_sample((o), (name), (v), (double)(value))
#define SAMPLE_BY(o, name, v, label, lv, value)				\
	metric_sample((o), (name), METRIC_LABELS({ "plugin_id", (v)->id },	\
	    { "type", (v)->type }, { (label), (lv) }), (double)(value))

static void
collect_buffer(struct metrics_out *o, const struct plugin_view *v,
    const struct buffer *bf)
{
	const struct buffer_stats	*st = buffer_stats(bf);
	uint64_t			 now = loop_now_ms();

	SAMPLE(o, "spire_shipper_buffer_stage_bytes", v, st->stage_bytes);
	SAMPLE(o, "spire_shipper_buffer_queue_bytes", v, st->queue_bytes);
	SAMPLE(o, "spire_shipper_buffer_total_limit_bytes", v,
	    buffer_config(bf)->total_limit_size);
	SAMPLE(o, "spire_shipper_buffer_chunks", v, st->chunks);
	SAMPLE(o, "spire_shipper_buffer_queue_length", v, st->queue_length);
	SAMPLE(o, "spire_shipper_buffer_oldest_unacked_age_seconds", v,
	    st->oldest_ms && now > st->oldest_ms ?
	    (double)(now - st->oldest_ms) / 1000 : 0.0);
	SAMPLE(o, "spire_shipper_buffer_records_total", v, st->records_in);
	SAMPLE(o, "spire_shipper_buffer_full_total", v, st->full);
	SAMPLE_BY(o, "spire_shipper_buffer_dropped_total", v, "reason",
	    "overflow", st->dropped_overflow);
	SAMPLE_BY(o, "spire_shipper_buffer_dropped_total", v, "reason",
	    "retry_limit", st->dropped_retry);
	SAMPLE(o, "spire_shipper_buffer_torn_records_total", v,
	    st->torn_records);
	SAMPLE(o, "spire_shipper_buffer_corrupt_records_total", v,
	    st->corrupt_records);
	SAMPLE(o, "spire_shipper_buffer_corrupt_chunks_total", v,
	    st->corrupt_chunks);
	SAMPLE(o, "spire_shipper_buffer_write_errors_total", v,
	    st->write_errors);
	SAMPLE(o, "spire_shipper_buffer_damaged_chunks", v,
	    st->damaged_chunks);
	SAMPLE_BY(o, "spire_shipper_output_items_total", v, "result", "ok",
	    st->acked);
	SAMPLE_BY(o, "spire_shipper_output_items_total", v, "result",
	    "retried", st->retried);
	SAMPLE_BY(o, "spire_shipper_output_items_total", v, "result", "dead",
	    st->dead);
	SAMPLE(o, "spire_shipper_output_retries_total", v, st->retries);
	SAMPLE(o, "spire_shipper_dead_letters_total", v, st->dead);
}

static void
collect_es(struct metrics_out *o, const struct plugin_view *v,
    const struct es_counters *c)
{
	char	 status[8];
	int	 i;

	for (i = 0; i < ES_STATUS_MAX; i++) {
		if (c->requests[i] == 0 && c->items[i] == 0)
			continue;
		snprintf(status, sizeof status, "%d", i);
		if (c->requests[i] != 0)
			SAMPLE_BY(o, "spire_shipper_output_bulk_requests_total",
			    v, "status", status, c->requests[i]);
		if (c->items[i] != 0)
			SAMPLE_BY(o, "spire_shipper_output_bulk_items_total",
			    v, "status", status, c->items[i]);
	}
	metric_histogram(o, "spire_shipper_output_bulk_duration_seconds",
	    METRIC_LABELS({ "plugin_id", v->id }, { "type", v->type }),
	    es_latency_bounds, c->latency, ES_LATENCY_NBOUNDS, c->latency_sum,
	    c->latency_count);
}

static void
collect_kafka(struct metrics_out *o, const struct plugin_view *v,
    const struct kafka_counters *c)
{
	SAMPLE(o, "spire_shipper_kafka_produce_errors_total", v,
	    c->produce_errors);
	SAMPLE(o, "spire_shipper_kafka_producer_restarts_total", v, c->fatal);
	metric_histogram(o, "spire_shipper_kafka_delivery_duration_seconds",
	    METRIC_LABELS({ "plugin_id", v->id }, { "type", v->type }),
	    kafka_latency_bounds, c->latency, KAFKA_LATENCY_NBOUNDS,
	    c->latency_sum, c->latency_count);
}

static void
collect_kube(struct metrics_out *o, const struct plugin_view *v,
    const struct filter *f)
{
	struct kube_metrics	 m;
	int			 k;

	filter_kubernetes_metrics(f, &m);
	for (k = 0; k < KUBE_REQ_NCLASSES; k++)
		SAMPLE_BY(o, "spire_shipper_kube_api_requests_total", v,
		    "code", kube_req_class_name(k), m.requests[k]);
	SAMPLE(o, "spire_shipper_kube_cache_hits_total", v, m.cache_hits);
	SAMPLE(o, "spire_shipper_kube_cache_misses_total", v, m.cache_misses);
	SAMPLE(o, "spire_shipper_kube_watch_restarts_total", v,
	    m.watch_restarts);
	SAMPLE(o, "spire_shipper_kube_metadata_missing_total", v,
	    m.metadata_missing);
}

void
plugin_metrics_collect(struct metrics_out *o, const struct plugin_view *v)
{
	const struct es_counters	*c;
	const struct kafka_counters	*kc;

	if (v->output != NULL && v->output->buffer != NULL)
		collect_buffer(o, v, v->output->buffer);
	if (v->output != NULL && (c = es_output_counters(v->output)) != NULL)
		collect_es(o, v, c);
	if (v->output != NULL &&
	    (kc = kafka_output_counters(v->output)) != NULL)
		collect_kafka(o, v, kc);
	if (v->filter != NULL &&
	    v->filter->ops == registry_filter("kubernetes_metadata"))
		collect_kube(o, v, v->filter);
}

static bool
buffer_ready(void *arg, struct strbuf *why)
{
	const struct output	*o = arg;
	const char		*failed = buffer_write_error(o->buffer);

	if (failed != NULL) {
		sb_addf(why, "%s: the sources wait until it can be written",
		    failed);
		return false;
	}
	if (!buffer_full(o->buffer))
		return true;
	sb_addf(why, "the buffer of <match> at %s:%d is full (%llu bytes): "
	    "its output is not keeping up or not reachable", o->file, o->line,
	    (unsigned long long)buffer_config(o->buffer)->total_limit_size);
	return false;
}

/* A damaged chunk is the cause when records wait too: it comes first. */
static bool
buffer_live(void *arg, struct strbuf *why)
{
	const struct output	*o = arg;
	const char		*damage = buffer_damage(o->buffer);
	char			 what[256];

	snprintf(what, sizeof what, "the buffer of <match> at %s:%d", o->file,
	    o->line);
	if (damage != NULL) {
		sb_addf(why, "%s: %s; a restart recovers the chunk (its entries "
		    "that check are sent, the file is kept as .corrupt)", what,
		    damage);
		return false;
	}
	return health_unacked_ok(buffer_stats(o->buffer)->oldest_ms, what, why);
}

static bool
output_ready(void *arg, struct strbuf *why)
{
	const struct output	*o = arg;

	return o->ops->ready(o, why);
}

void
plugin_health_register(struct output *o)
{
	if (o->ops->ready != NULL)
		health_register(HEALTH_READY, o->ops->name, output_ready, o);
	if (o->buffer == NULL)
		return;
	health_register(HEALTH_READY, "buffer", buffer_ready, o);
	health_register(HEALTH_LIVE, "buffer", buffer_live, o);
}
