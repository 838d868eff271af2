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

int
endpoint_check_port(const struct source *s, struct conf_elem *el,
    long long port, struct err *e)
{
	struct conf_param	*p = conf_param_get(el, "port");

	if (port >= 1 && port <= 65535)
		return 0;
	return err_at(e, p != NULL ? p->file : s->file, p != NULL ? p->line :
	    s->line, "<source> @type %s port %lld: use 1 to 65535",
	    s->ops->name, port);
}

struct http_server *
endpoint_listen(const struct source *s, struct loop *l, const char *bind,
    long long port, http_handler_fn fn, void *arg, struct err *e)
{
	struct http_server	*srv;

	if ((srv = http_server_start(l, bind, (int)port, fn, arg, e)) == NULL)
		return NULL;
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

/* A source whose pipeline failed to start is destroyed without a stop,
 * and maybe after its loop: nothing of the loop is touched. */
void
endpoint_source_destroy(struct source *s)
{
	struct endpoint_source	*es = s->priv;

	if (es != NULL)
		http_server_abandon(es->srv);
	free(es);
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
