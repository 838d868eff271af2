/*
 * endpoint.h — what the shipper's HTTP listeners serve: the metrics
 * registry as Prometheus text, /live and /ready from the health checks,
 * and (monitor_agent) Fluentd's /api/plugins.json.
 *
 * The listeners are sources, as in Fluentd (`<source> @type prometheus`,
 * `<source> @type monitor_agent`): they start and stop with the
 * pipeline's sources and serve from the same event loop.
 */
#ifndef SHIPPER_ENDPOINT_H
#define SHIPPER_ENDPOINT_H

#include <stdbool.h>

#include "http_server.h"
#include "plugin.h"

#define PROMETHEUS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/* The priv of a listening source. */
struct endpoint_source {
	struct http_server	*srv;
};

/* Its stop and destroy. */
void	endpoint_source_stop(struct source *s);
void	endpoint_source_destroy(struct source *s);

/* At init: port is one a listener can have (file:line of `port`). */
int	endpoint_check_port(const struct source *s, struct conf_elem *el,
	    long long port, struct err *e);

/* Starts s's listener on bind:port with handler fn(arg). */
struct http_server *endpoint_listen(const struct source *s, struct loop *l,
	    const char *bind, long long port, http_handler_fn fn, void *arg,
	    struct err *e);

/* metrics_path (and any of `also`, NULL-ended), /live, /ready; else false. */
bool	endpoint_serve(const struct http_request *req, const char *metrics_path,
	    const char *const *also, struct http_response *resp);

#endif
