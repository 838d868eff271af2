/*
 * test_http.c — the HTTP request parser, case by case and prefix by
 * prefix; then the server on a real loop and a real socket on
 * 127.0.0.1: keep-alive, pipelining, bytes one at a time, HEAD, the
 * status of every refusal, a response larger than the socket buffer,
 * the connection limit, and /metrics, /live and /ready as the shipper
 * serves them.
 *
 * The loop runs in a thread of its own; the test is the client, with
 * blocking sockets, as Prometheus or the kubelet would be.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "endpoint.h"
#include "http_request.h"
#include "http_server.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"

/* --- the parser ------------------------------------------------------------ */

static const struct parse_case {
	const char	*in;
	enum http_parse	 want;
	int		 status;	/* HTTP_PARSE_ERROR */
	const char	*path;		/* HTTP_PARSE_DONE */
	const char	*query;
	bool		 keep_alive;
} parse_cases[] = {
#define OK(in, path, q, ka)	{ in, HTTP_PARSE_DONE, 0, path, q, ka }
#define BAD(in, st)		{ in, HTTP_PARSE_ERROR, st, NULL, NULL, false }
	OK("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "/metrics", NULL, true),
	OK("GET /metrics?name[]=up HTTP/1.1\r\nHost: x\r\n\r\n", "/metrics",
	    "name[]=up", true),
	OK("GET /live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    "/live", NULL, false),
	OK("GET /live HTTP/1.1\r\nhost: x\r\nconnection: Upgrade, CLOSE\r\n\r\n",
	    "/live", NULL, false),
	OK("GET /live HTTP/1.0\r\n\r\n", "/live", NULL, false),
	OK("GET /live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "/live",
	    NULL, true),
	/* Bare LF line ends, and empty lines before the request. */
	OK("\r\n\nGET /ready HTTP/1.1\nHost: x\n\n", "/ready", NULL, true),
	/* Absolute form, as a proxy sends it. */
	OK("GET http://node:24231/ready HTTP/1.1\r\nHost: node\r\n\r\n",
	    "/ready", NULL, true),
	OK("GET https://node HTTP/1.1\r\nHost: node\r\n\r\n", "/", NULL, true),
	/* Header values keep their inner spaces; the same length twice. */
	OK("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
	    "Content-Length: 0\r\nX-A:  a b \t\r\n\r\n", "/", NULL, true),
	OK("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", "/", NULL, true),
	OK("POST / HTTP/1.1\r\nHost: x\r\n\r\n", "/", NULL, true),
	BAD("GET / HTTP/1.1\r\n\r\n", 400),			/* no Host */
	BAD("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
	BAD("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
	BAD("GET / HTTP/1.1x\r\nHost: x\r\n\r\n", 400),
	BAD("GET / HTTP/1\r\nHost: x\r\n\r\n", 400),
	BAD("GET /\r\nHost: x\r\n\r\n", 400),
	BAD("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD(" / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("GET metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("GET /a\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n", 400),	/* bare CR */
	BAD("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: "
	    "99999999999999999999999\r\n\r\n", 400),
	BAD("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\n", 400),
#undef OK
#undef BAD
};
#define NPARSE	(sizeof parse_cases / sizeof parse_cases[0])

START_TEST(test_parse_case)
{
	const struct parse_case	*pc = &parse_cases[_i];
	struct http_request	 req;
	size_t			 len = strlen(pc->in), n;

	ck_assert_int_eq(http_request_parse(pc->in, len, 8192, &req), pc->want);
	if (pc->want == HTTP_PARSE_ERROR) {
		ck_assert_int_eq(req.status, pc->status);
		ck_assert_ptr_nonnull(req.error);
		return;
	}
	ck_assert_uint_eq(req.head_len, len);
	ck_assert_uint_eq(req.path_len, strlen(pc->path));
	ck_assert(memcmp(req.path, pc->path, req.path_len) == 0);
	if (pc->query == NULL)
		ck_assert_ptr_null(req.query);
	else {
		ck_assert_uint_eq(req.query_len, strlen(pc->query));
		ck_assert(memcmp(req.query, pc->query, req.query_len) == 0);
	}
	ck_assert_int_eq(req.keep_alive, pc->keep_alive);
	/* Every shorter prefix only asks for more. */
	for (n = 0; n < len; n++)
		ck_assert_msg(http_request_parse(pc->in, n, 8192, &req) ==
		    HTTP_PARSE_MORE, "prefix of %zu bytes", n);
}
END_TEST

START_TEST(test_parse_framing)
{
	static const char two[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char with_length[] = "GET / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 12\r\n\r\n";
	static const char chunked[] = "GET / HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n";
	struct http_request	 req;
	char			 big[9000];

	/* Pipelined: the first head's length, then the second request. */
	ck_assert_int_eq(http_request_parse(two, sizeof two - 1, 8192, &req),
	    HTTP_PARSE_DONE);
	ck_assert_uint_eq(req.head_len, (sizeof two - 1) / 2);
	ck_assert_int_eq(http_request_parse(two + req.head_len, sizeof two - 1 -
	    req.head_len, 8192, &req), HTTP_PARSE_DONE);
	ck_assert(req.path_len == 2 && req.path[1] == 'b');
	/* Bodies and their framing are reported, not read. */
	ck_assert_int_eq(http_request_parse(with_length, sizeof with_length - 1,
	    8192, &req), HTTP_PARSE_DONE);
	ck_assert_uint_eq(req.content_length, 12);
	ck_assert(!req.chunked);
	ck_assert_int_eq(http_request_parse(chunked, sizeof chunked - 1, 8192,
	    &req), HTTP_PARSE_DONE);
	ck_assert(req.chunked);
	/* Too long: a request line (414) or the headers (431). */
	memset(big, 'a', sizeof big);
	memcpy(big, "GET /", 5);
	ck_assert_int_eq(http_request_parse(big, sizeof big, 8192, &req),
	    HTTP_PARSE_ERROR);
	ck_assert_int_eq(req.status, 414);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	ck_assert_int_eq(http_request_parse(big, sizeof big, 8192, &req),
	    HTTP_PARSE_ERROR);
	ck_assert_int_eq(req.status, 431);
	/* Under the limit it is just incomplete. */
	ck_assert_int_eq(http_request_parse(big, 8000, 8192, &req),
	    HTTP_PARSE_MORE);
}
END_TEST

START_TEST(test_parse_header_count)
{
	char	 head[8192];
	size_t	 n = 0;
	int	 i;
	struct http_request req;

	n += (size_t)snprintf(head, sizeof head, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (i = 0; i < HTTP_HEADERS_MAX - 1; i++)
		n += (size_t)snprintf(head + n, sizeof head - n, "X-%d: y\r\n", i);
	memcpy(head + n, "\r\n", 3);
	ck_assert_int_eq(http_request_parse(head, n + 2, 8192, &req),
	    HTTP_PARSE_DONE);
	n += (size_t)snprintf(head + n, sizeof head - n, "X-last: y\r\n\r\n");
	ck_assert_int_eq(http_request_parse(head, n, 8192, &req),
	    HTTP_PARSE_ERROR);
	ck_assert_int_eq(req.status, 431);
}
END_TEST

START_TEST(test_status_text)
{
	ck_assert_str_eq(http_status_text(404), "Not Found");
	ck_assert_str_eq(http_status_text(503), "Service Unavailable");
	ck_assert_str_eq(http_status_text(299), "");
}
END_TEST

/* --- the server ------------------------------------------------------------ */

static struct loop		*lp;
static struct http_server	*srv;
static pthread_t		 thread;
static atomic_bool		 done;
static int			 port;

static void
serve(void *arg, const struct http_request *req, struct http_response *resp)
{
	size_t	 i;

	(void)arg;
	if (http_path_is(req, "/hello")) {
		resp->status = 200;
		sb_adds(&resp->body, "hi\n");
	} else if (http_path_is(req, "/big")) {
		resp->status = 200;
		resp->content_type = "application/octet-stream";
		for (i = 0; i < 4 << 20; i += 16)
			sb_adds(&resp->body, "0123456789abcde\n");
	} else if (http_path_is(req, "/start"))
		health_set_started(true);	/* status 0: 404 */
	else
		endpoint_serve(req, "/metrics", NULL, resp);
}

static void
watch_done(void *arg)
{
	(void)arg;
	if (atomic_load(&done))
		loop_stop(lp);
}

static void *
server_main(void *arg)
{
	struct err	 e;

	(void)arg;
	loop_run(lp, &e);
	return NULL;
}

static void
server_setup(void)
{
	struct err	 e;

	log_set_level(LOG_ERROR);
	health_set_started(false);
	atomic_store(&done, false);
	ck_assert_ptr_nonnull(lp = loop_new(&e));
	srv = http_server_start(lp, "127.0.0.1", 0, serve, NULL, &e);
	ck_assert_msg(srv != NULL, "%s", e.msg);
	port = http_server_port(srv);
	ck_assert_int_gt(port, 0);
	loop_add_timer(lp, 20, true, watch_done, NULL);
	ck_assert_int_eq(pthread_create(&thread, NULL, server_main, NULL), 0);
}

static void
server_teardown(void)
{
	atomic_store(&done, true);
	pthread_join(thread, NULL);
	http_server_stop(srv);
	loop_free(lp);
}

static int
client(void)
{
	struct sockaddr_in	 sa;
	struct timeval		 tv = { .tv_sec = 5 };
	int			 fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

static void
send_all(int fd, const char *s, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		ck_assert_int_gt(w = send(fd, s, n, MSG_NOSIGNAL), 0);
		s += w;
		n -= (size_t)w;
	}
}

struct reply {
	int		 status;
	char		 head[2048];
	char		*body;
	size_t		 len;
};

/* Reads one response (by its Content-Length); false on EOF first. */
static bool
read_reply(int fd, struct reply *r, bool head_only)
{
	size_t	 have = 0, want;
	char	*end, *cl;
	ssize_t	 n;

	memset(r, 0, sizeof r->head);
	while ((end = strstr(r->head, "\r\n\r\n")) == NULL) {
		ck_assert_uint_lt(have, sizeof r->head - 1);
		if ((n = read(fd, r->head + have, 1)) <= 0)
			return false;
		have += (size_t)n;
	}
	end[2] = '\0';
	ck_assert_int_eq(sscanf(r->head, "HTTP/1.1 %d ", &r->status), 1);
	ck_assert_ptr_nonnull(cl = strstr(r->head, "Content-Length: "));
	want = strtoul(cl + 16, NULL, 10);
	r->len = 0;
	r->body = malloc(want + 1);
	while (!head_only && r->len < want) {
		n = read(fd, r->body + r->len, want - r->len);
		ck_assert_int_gt(n, 0);
		r->len += (size_t)n;
	}
	r->body[r->len] = '\0';
	return true;
}

static bool
peer_closed(int fd)
{
	char	 c;

	return read(fd, &c, 1) <= 0;
}

#define GET(path)	"GET " path " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

static void
expect(int fd, int status, const char *body)
{
	struct reply	 r;

	ck_assert_msg(read_reply(fd, &r, false), "no reply");
	ck_assert_int_eq(r.status, status);
	if (body != NULL)
		ck_assert_str_eq(r.body, body);
	free(r.body);
}

/* GET path on fd; the reply must be status (and body, unless NULL). */
static void
ask(int fd, const char *path, int status, const char *body)
{
	char	 req[256];
	int	 n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: "
		    "127.0.0.1\r\n\r\n", path);

	send_all(fd, req, (size_t)n);
	expect(fd, status, body);
}

START_TEST(test_keep_alive)
{
	int	 fd = client();

	ask(fd, "/hello", 200, "hi\n");
	ask(fd, "/nope", 404, "not found; try /metrics, /live or /ready\n");
	ask(fd, "/hello", 200, "hi\n");
	close(fd);
}
END_TEST

START_TEST(test_pipelined_and_split)
{
	static const char two[] = GET("/hello") GET("/live");
	int	 fd = client();
	size_t	 i;

	send_all(fd, two, sizeof two - 1);
	expect(fd, 200, "hi\n");
	expect(fd, 200, "ok\n");
	for (i = 0; i < sizeof two - 1; i++) {
		send_all(fd, two + i, 1);
		usleep(200);
	}
	expect(fd, 200, "hi\n");
	expect(fd, 200, "ok\n");
	close(fd);
}
END_TEST

START_TEST(test_head_and_methods)
{
	static const char head[] = "HEAD /hello HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char post[] = "POST /hello HTTP/1.1\r\nHost: h\r\n\r\n";
	struct reply	 r;
	int		 fd = client();

	send_all(fd, head, sizeof head - 1);
	ck_assert(read_reply(fd, &r, true));
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Length: 3\r\n"));
	free(r.body);
	/* No body followed: the next reply comes straight after. */
	send_all(fd, post, sizeof post - 1);
	ck_assert(read_reply(fd, &r, false));
	ck_assert_int_eq(r.status, 405);
	ck_assert_ptr_nonnull(strstr(r.head, "Allow: GET, HEAD\r\n"));
	free(r.body);
	ask(fd, "/hello", 200, "hi\n");
	close(fd);
}
END_TEST

/* A refusal that breaks the framing closes the connection. */
static void
refused(const char *req, int status)
{
	struct reply	 r;
	int		 fd = client();

	send_all(fd, req, strlen(req));
	ck_assert(read_reply(fd, &r, false));
	ck_assert_int_eq(r.status, status);
	ck_assert_ptr_nonnull(strstr(r.head, "Connection: close\r\n"));
	free(r.body);
	ck_assert(peer_closed(fd));
	close(fd);
}

START_TEST(test_refusals)
{
	char	 big[HTTP_HEAD_MAX + 100];

	refused("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
	    413);
	refused("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n0\r\n\r\n", 501);
	refused("GET / HTTP/1.1\r\n\r\n", 400);
	refused("GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505);
	refused("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    200);
	refused("GET /hello HTTP/1.0\r\n\r\n", 200);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	refused(big, 431);
}
END_TEST

/* 4 MiB is more than the socket buffers: written as the client reads. */
START_TEST(test_large_response)
{
	struct reply	 r;
	int		 fd = client();

	send_all(fd, GET("/big"), strlen(GET("/big")));
	usleep(100000);		/* the server meets a full socket first */
	ck_assert(read_reply(fd, &r, false));
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, 4 << 20);
	ck_assert(memcmp(r.body + r.len - 16, "0123456789abcde\n", 16) == 0);
	free(r.body);
	ask(fd, "/hello", 200, "hi\n");
	close(fd);
}
END_TEST

START_TEST(test_connection_limit)
{
	int	 fds[HTTP_CONNS_MAX], extra, i;

	for (i = 0; i < HTTP_CONNS_MAX; i++)
		fds[i] = client();
	/* Every slot is taken and answers; one more is turned away. */
	ask(fds[0], "/hello", 200, "hi\n");
	extra = client();
	ck_assert(peer_closed(extra));
	close(extra);
	close(fds[1]);
	usleep(100000);
	extra = client();
	ask(extra, "/hello", 200, "hi\n");
	close(extra);
	for (i = 0; i < HTTP_CONNS_MAX; i++)
		if (i != 1)
			close(fds[i]);
}
END_TEST

START_TEST(test_endpoints)
{
	struct reply	 r;
	int		 fd = client();

	ask(fd, "/ready", 503, "the pipeline has not started (or is stopping)\n");
	ask(fd, "/live", 200, "ok\n");
	ask(fd, "/start", 404, NULL);
	ask(fd, "/ready", 200, "ok\n");
	send_all(fd, GET("/metrics"), strlen(GET("/metrics")));
	ck_assert(read_reply(fd, &r, false));
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Type: text/plain; "
	    "version=0.0.4; charset=utf-8\r\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "\nspire_shipper_ready 1\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "# TYPE "
	    "process_resident_memory_bytes gauge\n"));
	free(r.body);
	close(fd);
}
END_TEST

START_TEST(test_listen_errors)
{
	struct err		 e;
	struct http_server	*s2;

	/* The port is taken (by the fixture's server). */
	s2 = http_server_start(lp, "127.0.0.1", port, serve, NULL, &e);
	ck_assert_ptr_null(s2);
	ck_assert_msg(strstr(e.msg, "cannot listen on 127.0.0.1:") != NULL &&
	    strstr(e.msg, "Address already in use (another process has this "
	    "port") != NULL, "%s", e.msg);
	ck_assert_ptr_null(http_server_start(lp, "not an address", 0, serve,
	    NULL, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "cannot listen on not an "
	    "address:0: "));
	ck_assert_ptr_null(http_server_start(lp, "127.0.0.1", 70000, serve,
	    NULL, &e));
	ck_assert_str_eq(e.msg, "port 70000: use 1 to 65535 (0: any free "
	    "port)");
}
END_TEST

/* A server whose pipeline failed to start is freed after its loop. */
START_TEST(test_abandon)
{
	struct err		 e;
	struct loop		*l2 = loop_new(&e);
	struct http_server	*s2;
	int			 fd;

	ck_assert_ptr_nonnull(l2);
	s2 = http_server_start(l2, "127.0.0.1", 0, serve, NULL, &e);
	ck_assert_ptr_nonnull(s2);
	port = http_server_port(s2);
	fd = client();		/* waiting in the backlog */
	loop_free(l2);
	http_server_abandon(s2);
	ck_assert(peer_closed(fd));
	close(fd);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("http");
	TCase	*tp = tcase_create("parse");
	TCase	*ts = tcase_create("server");

	tcase_add_loop_test(tp, test_parse_case, 0, NPARSE);
	tcase_add_test(tp, test_parse_framing);
	tcase_add_test(tp, test_parse_header_count);
	tcase_add_test(tp, test_status_text);
	tcase_add_test(tp, test_abandon);
	suite_add_tcase(s, tp);
	tcase_add_checked_fixture(ts, server_setup, server_teardown);
	tcase_set_timeout(ts, 30);
	tcase_add_test(ts, test_keep_alive);
	tcase_add_test(ts, test_pipelined_and_split);
	tcase_add_test(ts, test_head_and_methods);
	tcase_add_test(ts, test_refusals);
	tcase_add_test(ts, test_large_response);
	tcase_add_test(ts, test_connection_limit);
	tcase_add_test(ts, test_endpoints);
	tcase_add_test(ts, test_listen_errors);
	suite_add_tcase(s, ts);
	return s;
}

#include "check_main.h"
