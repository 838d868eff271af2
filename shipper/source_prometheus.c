/*
 * source_prometheus.c — `<source> @type prometheus`: the shipper's
 * metrics for Prometheus, with /live and /ready beside them, as
 * fluent-plugin-prometheus names it; and its companions
 * prometheus_monitor, prometheus_output_monitor and
 * prometheus_tail_monitor, which Fluentd needs to collect plugin,
 * output and tail metrics. Here every module's metrics are always
 * collected, so those three are accepted and do nothing.
 */
#include <stddef.h>
#include <string.h>

#include "endpoint.h"
#include "mem.h"

struct prometheus_cfg {
	char		*bind;
	long long	 port;
	char		*metrics_path;
	char		*aggregated_metrics_path;
	char		*content_encoding;
};

#define P(field)	offsetof(struct prometheus_cfg, field)
static const struct param_def prometheus_params[] = {
	{ .name = "bind", .type = PARAM_STRING, .def = "0.0.0.0",
	  .offset = P(bind), .help = "address to listen on (:: for IPv6 too)" },
	{ .name = "port", .type = PARAM_INT, .def = "24231",
	  .offset = P(port), .help = "TCP port to listen on" },
	{ .name = "metrics_path", .type = PARAM_STRING, .def = "/metrics",
	  .offset = P(metrics_path),
	  .help = "path of the metrics (Prometheus text format 0.0.4); /live "
	  "and /ready are served beside it" },
	{ .name = "aggregated_metrics_path", .type = PARAM_STRING,
	  .def = "/aggregated_metrics", .offset = P(aggregated_metrics_path),
	  .help = "Fluentd's metrics of all workers: here the same as "
	  "metrics_path (one process)" },
	{ .name = "content_encoding", .type = PARAM_STRING, .def = "identity",
	  .flags = PARAM_NOOP, .offset = P(content_encoding),
	  .help = "responses are never compressed" },
	PARAMS_END
};
#undef P

static int
path_check(const struct source *s, const char *name, const char *path,
    struct err *e)
{
	if (path[0] == '/')
		return 0;
	return err_at(e, s->file, s->line, "<source> @type %s %s '%s': a path "
	    "starts with /, e.g. /metrics", s->ops->name, name, path);
}

static int
prometheus_init(struct source *s, struct conf_elem *el, struct err *e)
{
	const struct prometheus_cfg	*cfg = s->cfg;

	if (endpoint_check_port(s, el, cfg->port, e) != 0 ||
	    path_check(s, "metrics_path", cfg->metrics_path, e) != 0 ||
	    path_check(s, "aggregated_metrics_path",
	    cfg->aggregated_metrics_path, e) != 0)
		return -1;
	s->priv = xcalloc(1, sizeof(struct endpoint_source));
	return 0;
}

static void
prometheus_serve(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	const struct prometheus_cfg	*cfg = arg;
	const char *const		 also[] = {
		cfg->aggregated_metrics_path, NULL,
	};

	endpoint_serve(req, cfg->metrics_path, also, resp);
}

static int
prometheus_start(struct source *s, struct loop *l, struct err *e)
{
	const struct prometheus_cfg	*cfg = s->cfg;
	struct endpoint_source		*es = s->priv;

	es->srv = endpoint_listen(s, l, cfg->bind, cfg->port, prometheus_serve,
	    s->cfg, e);
	return es->srv != NULL ? 0 : -1;
}

const struct source_ops source_prometheus = {
	.name = "prometheus",
	.help = "serve the shipper's metrics for Prometheus at metrics_path, "
	    "and /live and /ready for probes (fluent-plugin-prometheus's "
	    "in_prometheus)",
	.params = prometheus_params,
	.cfg_size = sizeof(struct prometheus_cfg),
	.init = prometheus_init,
	.start = prometheus_start,
	.stop = endpoint_source_stop,
	.destroy = endpoint_source_destroy,
};

/* --- the monitors Fluentd needs and the shipper does not ------------------ */

struct monitor_cfg {
	double	 interval;
	bool	 gauge_all;
};

static const char *const monitor_sections[] = { "labels", NULL };

#define INTERVAL_PARAM {						\
	.name = "interval", .type = PARAM_TIME, .def = "5",		\
	.flags = PARAM_NOOP, .offset = offsetof(struct monitor_cfg, interval), \
	.help = "metrics are read at each scrape" }

static const struct param_def monitor_params[] = {
	INTERVAL_PARAM,
	PARAMS_END
};

static const struct param_def output_monitor_params[] = {
	INTERVAL_PARAM,
	{ .name = "gauge_all", .type = PARAM_BOOL, .def = "true",
	  .flags = PARAM_NOOP, .offset = offsetof(struct monitor_cfg,
	  gauge_all), .help = "every output is always included" },
	PARAMS_END
};

#define MONITOR(what, params_)						\
	.help = "accepted, no effect: " what " are always in the metrics of " \
	    "<source> @type prometheus; <labels> are ignored",		\
	.params = params_,						\
	.sections = monitor_sections,					\
	.cfg_size = sizeof(struct monitor_cfg)

const struct source_ops source_prometheus_monitor = {
	.name = "prometheus_monitor",
	MONITOR("every plugin's counters (spire_shipper_input_*, _filter_*, "
	    "_output_*)", monitor_params),
};

const struct source_ops source_prometheus_output_monitor = {
	.name = "prometheus_output_monitor",
	MONITOR("the outputs' records, bytes and errors "
	    "(spire_shipper_output_*)", output_monitor_params),
};

const struct source_ops source_prometheus_tail_monitor = {
	.name = "prometheus_tail_monitor",
	MONITOR("the tail sources' files, lines and positions "
	    "(spire_shipper_files_watched, _input_*, _rotations_total, "
	    "_pos_file_writes_total)", monitor_params),
};
