/*
 * plugin_metrics.h — metrics and health checks of the plugins that have
 * more than the pipeline's counters (buffered outputs, Elasticsearch,
 * kubernetes_metadata). pipeline_metrics.c calls these.
 */
#ifndef SHIPPER_PLUGIN_METRICS_H
#define SHIPPER_PLUGIN_METRICS_H

#include "metrics.h"
#include "pipeline_metrics.h"

struct output;

/* One sample of the plugin v, labelled with its plugin_id and type. */
void	plugin_sample(struct metrics_out *o, const char *name,
	    const struct plugin_view *v, double value);
/* HELP and TYPE of every family, instances or not. */
void	plugin_metrics_families(struct metrics_out *o);
/* The samples of one plugin. */
void	plugin_metrics_collect(struct metrics_out *o,
	    const struct plugin_view *v);
/*
 * An output is not ready while its .ready says so (its credentials are
 * refused). A buffered output is not ready while its buffer is full (its
 * sources wait), and not live while it holds a chunk damaged at runtime
 * (see buffer_damage) or a record waits for acknowledgement longer than
 * <system> liveness_max_unacked_age. Undone by metrics_unregister(o).
 */
void	plugin_health_register(struct output *o);

#endif
