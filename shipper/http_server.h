/*
 * http_server.h — a small HTTP/1.1 server on the event loop, for the
 * shipper's /metrics, /live and /ready.
 *
 * The one idea: it never blocks the loop and never grows without bound.
 * Sockets are non-blocking; a request head is at most HTTP_HEAD_MAX
 * bytes and must arrive within HTTP_TIMEOUT_MS; at most HTTP_CONNS_MAX
 * connections are open; a connection reads its next request only once
 * the previous response is written, so a client that does not read
 * cannot make us buffer. GET and HEAD only, no request bodies; keep-alive
 * as HTTP/1.1 has it.
 */
#ifndef SHIPPER_HTTP_SERVER_H
#define SHIPPER_HTTP_SERVER_H

#include "err.h"
#include "http_request.h"
#include "strbuf.h"

#define HTTP_HEAD_MAX		8192
#define HTTP_CONNS_MAX		64
#define HTTP_TIMEOUT_MS		10000

struct loop;
struct http_server;

struct http_response {
	int		 status;
	const char	*content_type;
	struct strbuf	 body;
};

/*
 * Answers one GET or HEAD (the server drops the body of a HEAD): sets
 * status, content_type and body; status 0 means 404.
 */
typedef void (*http_handler_fn)(void *arg, const struct http_request *req,
	    struct http_response *resp);

/* Listens on bind:port (port 0: any free port, see http_server_port). */
struct http_server *http_server_start(struct loop *l, const char *bind,
	    int port, http_handler_fn fn, void *arg, struct err *e);
/* Closes the listener and every connection. */
void	http_server_stop(struct http_server *s);
/* The same when the loop is gone (or will not run again). */
void	http_server_abandon(struct http_server *s);
int	http_server_port(const struct http_server *s);

/* The request's path is exactly p. */
bool	http_path_is(const struct http_request *req, const char *p);

#endif
