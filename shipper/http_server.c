/*
 * http_server.c — HTTP/1.1 on the event loop (see http_server.h).
 *
 * Connections are edge-triggered for reading and writing at once, so no
 * epoll change is needed between the two: each event runs the
 * connection until the socket would block, writing what is pending
 * first, then parsing what was read, then reading more. One repeating
 * timer closes connections past their deadline and resumes accepting
 * after the process ran out of descriptors.
 */
#define _GNU_SOURCE		/* accept4 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_server.h"
#include "log.h"
#include "loop.h"
#include "mem.h"

struct http_conn {
	struct http_server	*srv;
	int			 fd;
	char			 in[HTTP_HEAD_MAX];
	size_t			 inlen;
	struct strbuf		 out;
	size_t			 outoff;
	bool			 closing;	/* close once out is written */
	bool			 http10;	/* keep-alive must be said */
	bool			 draining;	/* written and shut: reading to
						   EOF so the reply is not reset */
	uint64_t		 deadline;	/* ms */
	struct http_conn	*next;
};

struct http_server {
	struct loop		*loop;
	int			 fd;
	int			 port;
	http_handler_fn		 fn;
	void			*arg;
	struct http_conn	*conns;
	unsigned		 nconns;
	bool			 paused;	/* out of descriptors */
	struct loop_timer	*sweep;
};

static void	listener_event(int fd, uint32_t events, void *arg);

/* --- responses ----------------------------------------------------------- */

static void
response_head(struct http_conn *c, int status, const char *type, size_t len)
{
	char		 date[64];
	time_t		 now = time(NULL);
	struct tm	 tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	sb_addf(&c->out, "HTTP/1.1 %d %s\r\nServer: spire-shipper\r\nDate: %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\nCache-Control: "
	    "no-store\r\n%s%s\r\n", status, http_status_text(status), date,
	    type, len, status == 405 ? "Allow: GET, HEAD\r\n" : "",
	    c->closing ? "Connection: close\r\n" : c->http10 ?
	    "Connection: keep-alive\r\n" : "");
}

static void
respond_text(struct http_conn *c, int status, const char *text, bool head)
{
	response_head(c, status, "text/plain; charset=utf-8", strlen(text));
	if (!head)
		sb_adds(&c->out, text);
}

static void
respond(struct http_conn *c, const struct http_request *req)
{
	struct http_response	 resp;
	bool			 head = req->method_len == 4 &&
				    memcmp(req->method, "HEAD", 4) == 0;

	memset(&resp, 0, sizeof resp);
	c->closing = !req->keep_alive;
	c->http10 = req->minor == 0;
	if (!head && !(req->method_len == 3 && memcmp(req->method, "GET",
	    3) == 0)) {
		respond_text(c, 405, "only GET and HEAD are served\n", false);
		return;
	}
	if (req->chunked || req->content_length > 0) {
		c->closing = true;
		respond_text(c, req->chunked ? 501 : 413, "request bodies are "
		    "not accepted\n", head);
		return;
	}
	c->srv->fn(c->srv->arg, req, &resp);
	if (resp.status == 0) {
		sb_free(&resp.body);
		respond_text(c, 404, "not found; try /metrics, /live or "
		    "/ready\n", head);
		return;
	}
	response_head(c, resp.status, resp.content_type ? resp.content_type :
	    "text/plain; charset=utf-8", resp.body.len);
	if (!head)
		sb_add(&c->out, resp.body.buf, resp.body.len);
	sb_free(&resp.body);
}

/* --- connections --------------------------------------------------------- */

static void
conn_close(struct http_conn *c)
{
	struct http_server	*s = c->srv;
	struct http_conn	**pp;

	for (pp = &s->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	loop_del_fd(s->loop, c->fd);
	close(c->fd);
	sb_free(&c->out);
	free(c);
	s->nconns--;
}

/* The next request in c->in, answered; false when more bytes are needed. */
static bool
conn_next_request(struct http_conn *c)
{
	struct http_request	 req;
	char			 why[128];

	switch (http_request_parse(c->in, c->inlen, sizeof c->in, &req)) {
	case HTTP_PARSE_MORE:
		return false;
	case HTTP_PARSE_ERROR:
		c->closing = true;
		snprintf(why, sizeof why, "%s\n", req.error);
		respond_text(c, req.status, why, false);
		c->inlen = 0;
		return true;
	case HTTP_PARSE_DONE:
		break;
	}
	respond(c, &req);
	memmove(c->in, c->in + req.head_len, c->inlen - req.head_len);
	c->inlen -= req.head_len;
	return true;
}

/* Writes what is pending: 1 done, 0 would block, -1 failed. */
static int
conn_flush(struct http_conn *c)
{
	ssize_t	 n;

	if (c->out.len == 0)
		return 1;
	while (c->outoff < c->out.len) {
		n = send(c->fd, c->out.buf + c->outoff, c->out.len - c->outoff,
		    MSG_NOSIGNAL);
		if (n > 0) {
			c->outoff += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		return n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) ?
		    0 : -1;
	}
	sb_reset(&c->out);
	c->outoff = 0;
	c->deadline = loop_now_ms() + HTTP_TIMEOUT_MS;
	return 1;
}

/* Reads more: 1 got bytes, 0 would block, -1 closed or failed. */
static int
conn_fill(struct http_conn *c)
{
	ssize_t	 n;

	for (;;) {
		n = read(c->fd, c->in + c->inlen, sizeof c->in - c->inlen);
		if (n > 0) {
			c->inlen += (size_t)n;
			return 1;
		}
		if (n == -1 && errno == EINTR)
			continue;
		return n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) ?
		    0 : -1;
	}
}

/*
 * After the last response: no more writing, and what the client still
 * sends is read and dropped until it closes (or the deadline), because
 * closing with unread bytes would reset the connection and could
 * destroy the response before the client reads it.
 */
static int
conn_drain(struct http_conn *c)
{
	int	 r;

	if (!c->draining) {
		shutdown(c->fd, SHUT_WR);
		c->draining = true;
		c->deadline = loop_now_ms() + 2000;
	}
	while ((r = conn_fill(c)) > 0)
		c->inlen = 0;
	return r;
}

static void
conn_event(int fd, uint32_t events, void *arg)
{
	struct http_conn	*c = arg;
	int			 r;

	(void)fd;
	(void)events;
	if (c->draining) {
		if (conn_drain(c) < 0)
			conn_close(c);
		return;
	}
	for (;;) {
		if ((r = conn_flush(c)) <= 0)
			break;
		if (c->closing)
			break;
		if (conn_next_request(c))
			continue;
		if ((r = conn_fill(c)) <= 0)
			break;
	}
	if (r > 0 && c->closing)
		r = conn_drain(c);
	if (r < 0)
		conn_close(c);
}

static void
conn_accept(struct http_server *s, int fd)
{
	struct http_conn	*c;
	struct err		 e;

	if (s->nconns >= HTTP_CONNS_MAX) {
		close(fd);	/* the client sees a reset and retries */
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->srv = s;
	c->fd = fd;
	c->deadline = loop_now_ms() + HTTP_TIMEOUT_MS;
	if (loop_add_fd(s->loop, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
	    conn_event, c, &e) != 0) {
		log_warn("http: %s", e.msg);
		close(fd);
		free(c);
		return;
	}
	c->next = s->conns;
	s->conns = c;
	s->nconns++;
}

static void
listener_event(int fd, uint32_t events, void *arg)
{
	struct http_server	*s = arg;
	int			 cfd;

	(void)events;
	for (;;) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd >= 0) {
			conn_accept(s, cfd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE) {
			log_warn("http: port %d: out of file descriptors; "
			    "accepting again in a second", s->port);
			loop_del_fd(s->loop, s->fd);
			s->paused = true;
		}
		return;
	}
}

static void
sweep_timer(void *arg)
{
	struct http_server	*s = arg;
	struct http_conn	*c, *next;
	uint64_t		 now = loop_now_ms();
	struct err		 e;

	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (now > c->deadline)
			conn_close(c);
	}
	if (s->paused && loop_add_fd(s->loop, s->fd, EPOLLIN, listener_event,
	    s, &e) == 0)
		s->paused = false;
}

/* --- the listener -------------------------------------------------------- */

static int
listen_on(const char *addr, int port, struct err *e)
{
	struct addrinfo	 hints, *ai;
	char		 sport[16];
	int		 fd, one = 1, rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(sport, sizeof sport, "%d", port);
	if ((rc = getaddrinfo(addr, sport, &hints, &ai)) != 0)
		return err_set(e, "cannot listen on %s:%d: %s", addr, port,
		    gai_strerror(rc));
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof one) == -1 || bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 64) == -1) {
		err_set(e, "cannot listen on %s:%d: %s%s", addr, port,
		    strerror(errno), errno == EADDRINUSE ? " (another process "
		    "has this port: stop it or choose another port)" : "");
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int
bound_port(int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

struct http_server *
http_server_start(struct loop *l, const char *addr, int port,
    http_handler_fn fn, void *arg, struct err *e)
{
	struct http_server	*s;
	int			 fd;

	if (port < 0 || port > 65535) {
		err_set(e, "port %d: use 1 to 65535 (0: any free port)", port);
		return NULL;
	}
	if ((fd = listen_on(addr, port, e)) == -1)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->loop = l;
	s->fd = fd;
	s->port = bound_port(fd);
	s->fn = fn;
	s->arg = arg;
	if (loop_add_fd(l, fd, EPOLLIN, listener_event, s, e) != 0) {
		close(fd);
		free(s);
		return NULL;
	}
	s->sweep = loop_add_timer(l, 1000, true, sweep_timer, s);
	return s;
}

void
http_server_stop(struct http_server *s)
{
	if (s == NULL)
		return;
	while (s->conns != NULL)
		conn_close(s->conns);
	loop_del_timer(s->loop, s->sweep);
	if (!s->paused)
		loop_del_fd(s->loop, s->fd);
	close(s->fd);
	free(s);
}

void
http_server_abandon(struct http_server *s)
{
	struct http_conn	*c, *next;

	if (s == NULL)
		return;
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		close(c->fd);
		sb_free(&c->out);
		free(c);
	}
	close(s->fd);
	free(s);
}

int
http_server_port(const struct http_server *s)
{
	return s->port;
}

bool
http_path_is(const struct http_request *req, const char *p)
{
	return strlen(p) == req->path_len && memcmp(req->path, p,
	    req->path_len) == 0;
}
