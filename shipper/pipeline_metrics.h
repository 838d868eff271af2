/*
 * pipeline_metrics.h — the pipeline's own counters (stats.h and each
 * plugin instance's) as metrics, and as Fluentd's /api/plugins.json.
 */
#ifndef SHIPPER_PIPELINE_METRICS_H
#define SHIPPER_PIPELINE_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "pipeline.h"

/* One plugin instance as the metrics and monitor_agent see it. */
struct plugin_view {
	const char		*category;	/* input, filter, output */
	const char		*type;
	char			 id[96];	/* @id, else in_tail_0, ... */
	const struct param_def	*params;
	const void		*cfg;
	const struct source	*source;	/* the one set */
	const struct filter	*filter;
	const struct output	*output;
};

typedef void (*plugin_visit_fn)(void *arg, const struct plugin_view *v);

/* Every source, filter and output, in configuration order. */
void	pipeline_visit_plugins(const struct pipeline *pl, plugin_visit_fn fn,
	    void *arg);

/* Registers the pipeline's collector (pipeline_free unregisters it). */
void	pipeline_metrics_register(struct pipeline *pl);

void	pipeline_plugins_json(const struct pipeline *pl, bool include_config,
	    bool include_retry, struct strbuf *out);

#endif
