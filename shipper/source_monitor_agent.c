/*
 * source_monitor_agent.c — `<source> @type monitor_agent`: Fluentd's
 * in_monitor_agent, /api/plugins.json with every plugin and its
 * counters in Fluentd's shape (plugin_id, plugin_category, type,
 * output_plugin, retry_count, emit_records, emit_size), so that tools
 * reading it (Telegraf's fluentd input, Datadog) keep working; /metrics,
 * /live and /ready are served beside it.
 */
#include <stddef.h>
#include <string.h>

#include "endpoint.h"
#include "mem.h"
#include "pipeline_metrics.h"

struct monitor_agent_cfg {
	char		*bind;
	long long	 port;
	char		*tag;
	double		 emit_interval;
	bool		 include_config;
	bool		 include_retry;
	bool		 include_debug_info;
};

#define M(field)	offsetof(struct monitor_agent_cfg, field)
static const struct param_def monitor_agent_params[] = {
	{ .name = "bind", .type = PARAM_STRING, .def = "0.0.0.0",
	  .offset = M(bind), .help = "address to listen on (:: for IPv6 too)" },
	{ .name = "port", .type = PARAM_INT, .def = "24220",
	  .offset = M(port), .help = "TCP port to listen on" },
	{ .name = "tag", .type = PARAM_STRING, .offset = M(tag),
	  .help = "must be unset: metrics are not emitted as records" },
	{ .name = "emit_interval", .type = PARAM_TIME, .def = "60",
	  .flags = PARAM_NOOP, .offset = M(emit_interval),
	  .help = "only with tag, which is not supported" },
	{ .name = "include_config", .type = PARAM_BOOL, .def = "false",
	  .offset = M(include_config),
	  .help = "add each plugin's effective parameters (secrets masked) as "
	  "config" },
	{ .name = "include_retry", .type = PARAM_BOOL, .def = "false",
	  .offset = M(include_retry),
	  .help = "add a retry object to each output" },
	{ .name = "include_debug_info", .type = PARAM_BOOL, .def = "false",
	  .flags = PARAM_NOOP, .offset = M(include_debug_info),
	  .help = "there is no debug query; accepted" },
	PARAMS_END
};
#undef M

static int
monitor_agent_init(struct source *s, struct conf_elem *el, struct err *e)
{
	const struct monitor_agent_cfg	*cfg = s->cfg;
	struct conf_param		*p = conf_param_get(el, "tag");

	if (cfg->tag != NULL)
		return err_at(e, p->file, p->line, "<source> @type "
		    "monitor_agent tag %s: emitting metrics as records is not "
		    "supported; remove tag and scrape /api/plugins.json or "
		    "/metrics instead", cfg->tag);
	if (endpoint_check_port(s, el, cfg->port, e) != 0)
		return -1;
	s->priv = xcalloc(1, sizeof(struct endpoint_source));
	return 0;
}

static void
monitor_agent_serve(void *arg, const struct http_request *req,
    struct http_response *resp)
{
	const struct source		*s = arg;
	const struct monitor_agent_cfg	*cfg = s->cfg;

	if (http_path_is(req, "/api/plugins.json")) {
		resp->status = 200;
		resp->content_type = "application/json";
		pipeline_plugins_json(s->pl, cfg->include_config,
		    cfg->include_retry, &resp->body);
		return;
	}
	endpoint_serve(req, "/metrics", NULL, resp);
}

static int
monitor_agent_start(struct source *s, struct loop *l, struct err *e)
{
	const struct monitor_agent_cfg	*cfg = s->cfg;
	struct endpoint_source		*es = s->priv;

	es->srv = endpoint_listen(s, l, cfg->bind, cfg->port,
	    monitor_agent_serve, s, e);
	return es->srv != NULL ? 0 : -1;
}

const struct source_ops source_monitor_agent = {
	.name = "monitor_agent",
	.help = "serve Fluentd's /api/plugins.json (every plugin and its "
	    "counters), and /metrics, /live and /ready (Fluentd's "
	    "in_monitor_agent)",
	.params = monitor_agent_params,
	.cfg_size = sizeof(struct monitor_agent_cfg),
	.init = monitor_agent_init,
	.start = monitor_agent_start,
	.stop = endpoint_source_stop,
	.destroy = endpoint_source_destroy,
};
