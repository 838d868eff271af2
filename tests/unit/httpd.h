/*
 * httpd.h — a tiny HTTP/1.1 server for unit tests: one thread on
 * 127.0.0.1 (port 0: the kernel picks), poll() over the listening socket
 * and every connection, keep-alive, Content-Length bodies (gzip ones
 * inflated). A handler, run in the server thread under the server's
 * lock, answers each request; the server counts connections and
 * requests so that tests can assert keep-alive reuse.
 */
#ifndef HTTPD_H
#define HTTPD_H

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zlib.h>

#define HTTPD_CONNS	16

struct httpd_req {
	char		 method[16];
	char		 path[1024];
	char		 headers[4096];	/* the raw header lines */
	char		*body;		/* inflated if it was gzip */
	size_t		 body_len;
	int		 gzipped;
	int		 conn;		/* which connection, from 1 */
};

struct httpd_resp {
	int		 status;	/* 200 when left 0 */
	char		*body;		/* malloc'd or NULL; the server frees */
	const char	*content_type;	/* application/json when NULL */
	int		 hang;		/* never answer this one */
	int		 close;		/* Connection: close */
};

typedef void (*httpd_handler)(void *arg, const struct httpd_req *req,
    struct httpd_resp *resp);

struct httpd_conn {
	int		 fd;
	int		 id;
	char		*buf;
	size_t		 len, cap;
	int		 hung;
};

struct httpd {
	int		 lfd;
	int		 port;
	int		 wake[2];
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	httpd_handler	 handler;
	void		*arg;
	struct httpd_conn conns[HTTPD_CONNS];
	int		 connections;	/* accepted since start */
	int		 requests;
};

static char *
httpd_inflate(const char *p, size_t n, size_t *outlen)
{
	z_stream	 z;
	size_t		 cap = n * 4 + 1024;
	char		*out = malloc(cap);
	int		 rc;

	memset(&z, 0, sizeof z);
	ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	do {
		if (z.total_out + 1024 > cap)
			out = realloc(out, cap *= 2);
		z.next_out = (Bytef *)out + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out - 1);
		rc = inflate(&z, Z_NO_FLUSH);
	} while (rc == Z_OK);
	ck_assert_int_eq(rc, Z_STREAM_END);
	*outlen = z.total_out;
	out[*outlen] = '\0';
	inflateEnd(&z);
	return out;
}

/* The value of header name in the raw lines, copied to out ("" if none). */
static const char *
httpd_header(const char *headers, const char *name, char *out, size_t size)
{
	const char	*p = headers;
	size_t		 nl = strlen(name), n;

	out[0] = '\0';
	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ')
				p++;
			n = strcspn(p, "\r\n");
			if (n >= size)
				n = size - 1;
			memcpy(out, p, n);
			out[n] = '\0';
			return out;
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return out;
}

static const char *
httpd_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 404: return "Not Found";
	case 413: return "Request Entity Too Large";
	default: return "Status";
	}
}

static void
httpd_send(struct httpd_conn *c, const struct httpd_req *rq,
    const struct httpd_resp *rs)
{
	char		 head[512];
	size_t		 blen = rs->body ? strlen(rs->body) : 0;
	int		 n;

	n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: %s"
	    "\r\nContent-Length: %zu\r\n%s\r\n", rs->status,
	    httpd_reason(rs->status), rs->content_type ? rs->content_type :
	    "application/json", blen, rs->close ? "Connection: close\r\n" :
	    "");
	if (write(c->fd, head, (size_t)n) != n)
		return;
	if (strcmp(rq->method, "HEAD") != 0 && blen > 0 &&
	    write(c->fd, rs->body, blen) != (ssize_t)blen)
		return;
}

/* Parses one complete request at the start of c->buf; its length, or 0. */
static size_t
httpd_parse(struct httpd_conn *c, struct httpd_req *rq)
{
	char		*end, clen[32], enc[32];
	size_t		 hlen, blen;

	c->buf[c->len] = '\0';
	if ((end = strstr(c->buf, "\r\n\r\n")) == NULL)
		return 0;
	hlen = (size_t)(end - c->buf) + 4;
	memset(rq, 0, sizeof *rq);
	ck_assert_int_eq(sscanf(c->buf, "%15s %1023s", rq->method, rq->path),
	    2);
	snprintf(rq->headers, sizeof rq->headers, "%.*s", (int)hlen, c->buf);
	blen = (size_t)atol(httpd_header(rq->headers, "Content-Length", clen,
	    sizeof clen));
	if (c->len < hlen + blen)
		return 0;
	httpd_header(rq->headers, "Content-Encoding", enc, sizeof enc);
	if (strcmp(enc, "gzip") == 0) {
		rq->gzipped = 1;
		rq->body = httpd_inflate(c->buf + hlen, blen, &rq->body_len);
	} else {
		rq->body = malloc(blen + 1);
		memcpy(rq->body, c->buf + hlen, blen);
		rq->body[blen] = '\0';
		rq->body_len = blen;
	}
	rq->conn = c->id;
	return hlen + blen;
}

static void
httpd_conn_close(struct httpd_conn *c)
{
	close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof *c);
	c->fd = -1;
}

/* Answers every complete request buffered on c. */
static void
httpd_serve(struct httpd *d, struct httpd_conn *c)
{
	struct httpd_req	 rq;
	struct httpd_resp	 rs;
	size_t			 used;

	while (c->fd != -1 && !c->hung && (used = httpd_parse(c, &rq)) > 0) {
		memset(&rs, 0, sizeof rs);
		rs.status = 200;
		pthread_mutex_lock(&d->mu);
		d->requests++;
		d->handler(d->arg, &rq, &rs);
		pthread_mutex_unlock(&d->mu);
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
		if (rs.hang)
			c->hung = 1;
		else
			httpd_send(c, &rq, &rs);
		free(rq.body);
		free(rs.body);
		if (rs.close)
			httpd_conn_close(c);
	}
}

static void
httpd_read(struct httpd *d, struct httpd_conn *c)
{
	ssize_t	 n;

	if (c->cap - c->len < 65536 + 1) {
		c->cap = c->cap * 2 + 65536 + 1;
		c->buf = realloc(c->buf, c->cap);
	}
	n = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
	if (n <= 0) {
		httpd_conn_close(c);
		return;
	}
	c->len += (size_t)n;
	httpd_serve(d, c);
}

static void
httpd_accept(struct httpd *d)
{
	int	 fd = accept(d->lfd, NULL, NULL), i;

	if (fd == -1)
		return;
	for (i = 0; i < HTTPD_CONNS; i++) {
		if (d->conns[i].fd == -1) {
			d->conns[i].fd = fd;
			pthread_mutex_lock(&d->mu);
			d->conns[i].id = ++d->connections;
			pthread_mutex_unlock(&d->mu);
			return;
		}
	}
	close(fd);
}

static void *
httpd_main(void *arg)
{
	struct httpd	*d = arg;
	struct pollfd	 pfd[HTTPD_CONNS + 2];
	int		 i, n;

	for (;;) {
		pfd[0].fd = d->wake[0];
		pfd[1].fd = d->lfd;
		for (i = 0; i < HTTPD_CONNS; i++)
			pfd[i + 2].fd = d->conns[i].fd;
		for (i = 0; i < HTTPD_CONNS + 2; i++)
			pfd[i].events = POLLIN;
		n = poll(pfd, HTTPD_CONNS + 2, 10000);
		if (n <= 0 || (pfd[0].revents & POLLIN))
			break;	/* stopped, or a test left it idle too long */
		if (pfd[1].revents & POLLIN)
			httpd_accept(d);
		for (i = 0; i < HTTPD_CONNS; i++)
			if (d->conns[i].fd != -1 && pfd[i + 2].revents)
				httpd_read(d, &d->conns[i]);
	}
	for (i = 0; i < HTTPD_CONNS; i++)
		if (d->conns[i].fd != -1)
			httpd_conn_close(&d->conns[i]);
	return NULL;
}

static void
httpd_start(struct httpd *d, httpd_handler handler, void *arg)
{
	struct sockaddr_in	 sa;
	socklen_t		 salen = sizeof sa;
	int			 i, one = 1;

	memset(d, 0, sizeof *d);
	for (i = 0; i < HTTPD_CONNS; i++)
		d->conns[i].fd = -1;
	d->handler = handler;
	d->arg = arg;
	pthread_mutex_init(&d->mu, NULL);
	ck_assert_int_eq(pipe(d->wake), 0);
	d->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(d->lfd, 0);
	setsockopt(d->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(d->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(d->lfd, 16), 0);
	ck_assert_int_eq(getsockname(d->lfd, (struct sockaddr *)&sa, &salen),
	    0);
	d->port = ntohs(sa.sin_port);
	ck_assert_int_eq(pthread_create(&d->thread, NULL, httpd_main, d), 0);
}

static void
httpd_stop(struct httpd *d)
{
	ck_assert_int_eq(write(d->wake[1], "x", 1), 1);
	pthread_join(d->thread, NULL);
	close(d->lfd);
	close(d->wake[0]);
	close(d->wake[1]);
	pthread_mutex_destroy(&d->mu);
}

/* One of the counters (&d->connections, &d->requests), read under the
 * server's lock. */
static int
httpd_count(struct httpd *d, const int *counter)
{
	int	 n;

	pthread_mutex_lock(&d->mu);
	n = *counter;
	pthread_mutex_unlock(&d->mu);
	return n;
}

/* A port nothing listens on: bound, then closed. */
static int
httpd_dead_port(void)
{
	struct sockaddr_in	 sa;
	socklen_t		 salen = sizeof sa;
	int			 fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

#endif
