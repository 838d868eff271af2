/*
 * metrics.h — the process's metrics and health checks, for /metrics,
 * /live and /ready.
 *
 * The one idea: modules do not push numbers anywhere. Each registers a
 * collect callback that, at scrape time, writes its current counters
 * through metric_family() and metric_sample(); each may also register
 * readiness and liveness checks that say why they fail. The registry
 * merges what every module wrote into the Prometheus text exposition
 * format 0.0.4: one `# HELP` and `# TYPE` per family, its samples
 * together, label values escaped, and samples with the same name and
 * labels summed (two buffers or two outputs may write the same series).
 *
 * How a module takes part, in its init or start, and in its destroy:
 *
 *	metrics_register("buffer", buffer_collect, bf);
 *	health_register(HEALTH_READY, "buffer", buffer_ready, bf);
 *	health_register(HEALTH_LIVE, "buffer", buffer_live, bf);
 *	...
 *	metrics_unregister(bf);		(every callback registered with bf)
 *
 *	static void
 *	buffer_collect(void *arg, struct metrics_out *o)
 *	{
 *		metric_family(o, "spire_shipper_buffer_queue_bytes",
 *		    METRIC_GAUGE, "Bytes in chunks queued or in flight");
 *		metric_sample(o, "spire_shipper_buffer_queue_bytes",
 *		    METRIC_LABELS({ "plugin_id", id }), st->queue_bytes);
 *	}
 *
 *	static bool
 *	buffer_ready(void *arg, struct strbuf *why)
 *	{
 *		if (!full)
 *			return true;
 *		sb_addf(why, "buffer of %s is full (%llu bytes)", ...);
 *		return false;
 *	}
 *
 * Names follow Prometheus: spire_shipper_<what>_<unit>, counters end in
 * _total, units are seconds and bytes. The families of the buffer, the
 * outputs and the kubernetes filter are declared in plugin_metrics.c,
 * e.g. spire_shipper_output_items_total{result} (ok, retried, dead),
 * spire_shipper_output_bulk_requests_total{status} (the HTTP status),
 * spire_shipper_kube_api_requests_total{code}. deploy/'s rules and
 * dashboard use them: tests/integration/deploy.sh checks every metric
 * and label name they use against a live /metrics. Labels that name a
 * plugin instance are plugin_id (its @id, else <kind>_<type>_<n>) and
 * type, as fluent-plugin-prometheus has them.
 *
 * Single-threaded, like the loop: callbacks run on it.
 */
#ifndef SHIPPER_METRICS_H
#define SHIPPER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
	METRIC_UNTYPED,
};

struct metric_label {
	const char	*name;
	const char	*value;
};

/* metric_sample(o, name, METRIC_LABELS({ "a", x }, { "b", y }), v) */
#define METRIC_LABELS(...)						\
	(const struct metric_label[]){ __VA_ARGS__ },			\
	sizeof((const struct metric_label[]){ __VA_ARGS__ }) /		\
	sizeof(struct metric_label)
#define METRIC_NO_LABELS	NULL, 0

/* The exposition being built during one scrape. */
struct metrics_out;

typedef void (*metrics_collect_fn)(void *arg, struct metrics_out *o);

/* Declares a family before its samples; the same again is harmless. */
void	metric_family(struct metrics_out *o, const char *name,
	    enum metric_type type, const char *help);
/* One sample of a declared family; same name and labels: summed. */
void	metric_sample(struct metrics_out *o, const char *name,
	    const struct metric_label *labels, size_t nlabels, double value);
/*
 * A histogram's samples: `counts[i]` observations fell in
 * (bounds[i-1], bounds[i]] (not cumulative), `count` in all (so +Inf is
 * count), `sum` their sum.
 */
void	metric_histogram(struct metrics_out *o, const char *name,
	    const struct metric_label *labels, size_t nlabels,
	    const double *bounds, const uint64_t *counts, size_t nbounds,
	    double sum, uint64_t count);

/* Prometheus' rules for names: [a-zA-Z_:][a-zA-Z0-9_:]*, labels no ':'. */
bool	metric_name_valid(const char *name);
bool	metric_label_name_valid(const char *name);

/*
 * The registry. `name` says who registered (in messages). Registering
 * the same function and argument twice keeps one.
 */
void	metrics_register(const char *name, metrics_collect_fn fn, void *arg);
/* Removes every collector and health check registered with arg. */
void	metrics_unregister(const void *arg);
/* The whole exposition: every collector, then the process's own. */
void	metrics_collect(struct strbuf *out);

/* --- health -------------------------------------------------------------- */

enum health_kind {
	HEALTH_READY,	/* may receive work: /ready */
	HEALTH_LIVE,	/* is not wedged, no restart needed: /live */
};

/* true: fine. false: why has appended a sentence saying what is wrong. */
typedef bool (*health_check_fn)(void *arg, struct strbuf *why);

void	health_register(enum health_kind kind, const char *name,
	    health_check_fn fn, void *arg);
/* Runs the checks of kind; false with one line per failure in why. */
bool	health_check(enum health_kind kind, struct strbuf *why);

/* Not ready until the pipeline has started (and again once it stops). */
void	health_set_started(bool started);
bool	health_started(void);

/*
 * <system> liveness_max_unacked_age, in seconds (0: no limit). For
 * modules that hold records until an output acknowledges them:
 * health_unacked_ok(oldest_ms, "buffer of out_es", why) is false, with
 * why filled, when the oldest of them, written at loop_now_ms() ==
 * oldest_ms (0: none held), has waited longer than that.
 */
void	health_set_max_unacked_age(double seconds);
bool	health_unacked_ok(uint64_t oldest_ms, const char *what,
	    struct strbuf *why);

#endif
