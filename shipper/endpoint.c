/*
 * endpoint.c — what the shipper's HTTP listeners serve (see endpoint.h).
 *
 * /live and /ready answer 200 "ok" or 503 with one line per failing
 * check, so that `kubectl describe pod` shows why a probe failed.
 */
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "log.h"
#include "metrics.h"

struct http_server *
endpoint_listen(const struct source *s, struct loop *l, const char *bind,
    long long port, http_handler_fn fn, void *arg, struct err *e)
{
	struct http_server	*srv;

	if (port < 0 || port > 65535) {
		err_at(e, s->file, s->line, "<source> @type %s: port %lld: use "
		    "1 to 65535", s->ops->name, port);
		return NULL;
	}
	if ((srv = http_server_start(l, bind, (int)port, fn, arg, e)) == NULL) {
		err_wrap(e, "%s:%d: <source> @type %s", s->file, s->line,
		    s->ops->name);
		return NULL;
	}
	log_info("%s: serving on %s:%d", s->ops->name, bind,
	    http_server_port(srv));
	return srv;
}

void
endpoint_source_stop(struct source *s)
{
	struct endpoint_source	*es = s->priv;

	http_server_stop(es->srv);
	es->srv = NULL;
}

void
endpoint_source_destroy(struct source *s)
{
	if (s->priv != NULL)
		endpoint_source_stop(s);
	free(s->priv);
}

static void
serve_health(enum health_kind kind, struct http_response *resp)
{
	if (health_check(kind, &resp->body)) {
		resp->status = 200;
		sb_adds(&resp->body, "ok\n");
	} else
		resp->status = 503;
}

bool
endpoint_serve(const struct http_request *req, const char *metrics_path,
    const char *const *also, struct http_response *resp)
{
	bool	 metrics = http_path_is(req, metrics_path);

	while (!metrics && also != NULL && *also != NULL)
		metrics = http_path_is(req, *also++);
	if (metrics) {
		resp->status = 200;
		resp->content_type = PROMETHEUS_CONTENT_TYPE;
		metrics_collect(&resp->body);
	} else if (http_path_is(req, "/live"))
		serve_health(HEALTH_LIVE, resp);
	else if (http_path_is(req, "/ready"))
		serve_health(HEALTH_READY, resp);
	else
		return false;
	return true;
}
