/*
 * test_http.c — shipper/http against a tiny HTTP/1.1 server on
 * 127.0.0.1: GET, POST, PUT and HEAD, headers and basic auth as sent,
 * keep-alive (requests in a row share one connection), a timeout, a
 * refused connection, and requests still in flight when the client is
 * freed (cancelled, no callback).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "http.h"
#include "httpd.h"
#include "loop.h"
#include "mem.h"

/* What the handler saw last, copied under the server's lock. */
struct seen {
	char	 method[16];
	char	 path[1024];
	char	 headers[4096];
	char	 body[4096];
};

static void
handler(void *arg, const struct httpd_req *rq, struct httpd_resp *rs)
{
	struct seen	*s = arg;

	snprintf(s->method, sizeof s->method, "%s", rq->method);
	snprintf(s->path, sizeof s->path, "%s", rq->path);
	snprintf(s->headers, sizeof s->headers, "%s", rq->headers);
	snprintf(s->body, sizeof s->body, "%s", rq->body);
	if (strcmp(rq->path, "/hang") == 0)
		rs->hang = 1;
	else if (strcmp(rq->path, "/missing") == 0) {
		rs->status = 404;
		rs->body = xstrdup("{\"error\":\"no\"}");
	} else if (strcmp(rq->path, "/echo") == 0)
		rs->body = xstrdup(rq->body);
	else
		rs->body = xstrdup("hello");
}

struct result {
	struct loop	*l;
	int		 calls;
	int		 want;		/* stop the loop after this many */
	long		 status;
	char		 body[4096];
	char		 error[256];
};

static void
on_done(void *arg, const struct http_resp *r)
{
	struct result	*res = arg;

	res->calls++;
	res->status = r->status;
	snprintf(res->body, sizeof res->body, "%s", r->body);
	snprintf(res->error, sizeof res->error, "%s", r->error);
	if (res->calls == res->want)
		loop_stop(res->l);
}

static struct httpd	 srv;
static struct seen	 seen;
static struct loop	*lp;
static struct http	*cl;

static void
setup(void)
{
	struct err	 e;

	memset(&seen, 0, sizeof seen);
	httpd_start(&srv, handler, &seen);
	lp = loop_new(&e);
	ck_assert_ptr_nonnull(lp);
	cl = http_new(lp, &e);
	ck_assert_ptr_nonnull(cl);
}

static void
teardown(void)
{
	http_free(cl);
	loop_free(lp);
	httpd_stop(&srv);
}

static char *
url(const char *path)
{
	return xasprintf("http://127.0.0.1:%d%s", srv.port, path);
}

/* Sends one request and runs the loop until its callback. */
static void
run_one(struct http_req *rq, struct result *res)
{
	struct err	 e;

	memset(res, 0, sizeof *res);
	res->l = lp;
	res->want = 1;
	ck_assert_msg(http_request(cl, rq, on_done, res, &e) == 0, "%s",
	    e.msg);
	ck_assert_int_eq(loop_run(lp, &e), 0);
	ck_assert_int_eq(res->calls, 1);
}

START_TEST(test_get)
{
	struct http_req	 rq = { .method = "GET" };
	struct result	 res;
	char		*u = url("/hello");

	rq.url = u;
	run_one(&rq, &res);
	ck_assert_int_eq(res.status, 200);
	ck_assert_str_eq(res.body, "hello");
	ck_assert_str_eq(res.error, "");
	ck_assert_str_eq(seen.method, "GET");
	ck_assert_str_eq(seen.path, "/hello");
	ck_assert_uint_eq(http_pending(cl), 0);
	free(u);
}
END_TEST

START_TEST(test_post_headers_auth)
{
	const char	*hdrs[] = { "Content-Type: application/x-ndjson",
			    "X-Test: 1", NULL };
	struct http_req	 rq = { .method = "POST", .headers = hdrs,
			    .user = "elastic", .password = "changeme" };
	struct result	 res;
	char		*u = url("/echo"), val[256];

	rq.url = u;
	sb_adds(&rq.body, "{\"index\":{}}\n{\"a\":1}\n");
	run_one(&rq, &res);
	ck_assert_ptr_null(rq.body.buf);	/* taken over */
	ck_assert_int_eq(res.status, 200);
	ck_assert_str_eq(res.body, "{\"index\":{}}\n{\"a\":1}\n");
	ck_assert_str_eq(seen.method, "POST");
	ck_assert_str_eq(httpd_header(seen.headers, "Content-Type", val,
	    sizeof val), "application/x-ndjson");
	ck_assert_str_eq(httpd_header(seen.headers, "X-Test", val,
	    sizeof val), "1");
	/* base64("elastic:changeme") */
	ck_assert_str_eq(httpd_header(seen.headers, "Authorization", val,
	    sizeof val), "Basic ZWxhc3RpYzpjaGFuZ2VtZQ==");
	ck_assert_str_eq(httpd_header(seen.headers, "Expect", val,
	    sizeof val), "");
	free(u);
}
END_TEST

START_TEST(test_put_head_authorization)
{
	struct http_req	 rq = { .method = "PUT", .authorization = "ApiKey abc" };
	struct result	 res;
	char		*u = url("/echo"), val[256];

	rq.url = u;
	sb_adds(&rq.body, "{\"policy\":{}}");
	run_one(&rq, &res);
	ck_assert_int_eq(res.status, 200);
	ck_assert_str_eq(seen.method, "PUT");
	ck_assert_str_eq(seen.body, "{\"policy\":{}}");
	ck_assert_str_eq(httpd_header(seen.headers, "Authorization", val,
	    sizeof val), "ApiKey abc");

	memset(&rq, 0, sizeof rq);
	rq.method = "HEAD";
	rq.url = u;
	run_one(&rq, &res);
	ck_assert_int_eq(res.status, 200);
	ck_assert_str_eq(seen.method, "HEAD");
	ck_assert_str_eq(res.body, "");
	free(u);
}
END_TEST

START_TEST(test_status_passed_on)
{
	struct http_req	 rq = { .method = "GET" };
	struct result	 res;
	char		*u = url("/missing");

	rq.url = u;
	run_one(&rq, &res);
	ck_assert_int_eq(res.status, 404);
	ck_assert_str_eq(res.body, "{\"error\":\"no\"}");
	ck_assert_str_eq(res.error, "");
	free(u);
}
END_TEST

/* Five requests one after the other, then three at once after them:
 * the first five share one connection. */
START_TEST(test_keepalive)
{
	struct http_req	 rq = { .method = "GET" };
	struct result	 res;
	struct err	 e;
	char		*u = url("/hello");
	int		 i;

	for (i = 0; i < 5; i++) {
		rq.url = u;
		run_one(&rq, &res);
		ck_assert_int_eq(res.status, 200);
	}
	ck_assert_int_eq(httpd_count(&srv, &srv.requests), 5);
	ck_assert_int_eq(httpd_count(&srv, &srv.connections), 1);

	memset(&res, 0, sizeof res);
	res.l = lp;
	res.want = 3;
	for (i = 0; i < 3; i++) {
		struct http_req	 r = { .method = "GET", .url = u };

		ck_assert_int_eq(http_request(cl, &r, on_done, &res, &e), 0);
	}
	ck_assert_uint_eq(http_pending(cl), 3);
	ck_assert_int_eq(loop_run(lp, &e), 0);
	ck_assert_int_eq(res.calls, 3);
	ck_assert_int_eq(httpd_count(&srv, &srv.requests), 8);
	/* Concurrent requests need connections of their own. */
	ck_assert_int_le(httpd_count(&srv, &srv.connections), 3);
	ck_assert_int_ge(httpd_count(&srv, &srv.connections), 1);
	free(u);
}
END_TEST

START_TEST(test_timeout)
{
	struct http_req	 rq = { .method = "GET", .timeout_ms = 200 };
	struct result	 res;
	char		*u = url("/hang");
	uint64_t	 t0 = loop_now_ms();

	rq.url = u;
	run_one(&rq, &res);
	ck_assert_int_eq(res.status, 0);
	ck_assert_msg(strstr(res.error, "imed out") != NULL, "%s", res.error);
	ck_assert_uint_ge(loop_now_ms() - t0, 190);
	ck_assert_uint_lt(loop_now_ms() - t0, 5000);
	free(u);
}
END_TEST

START_TEST(test_refused)
{
	struct http_req	 rq = { .method = "GET", .timeout_ms = 5000 };
	struct result	 res;
	char		*u = xasprintf("http://127.0.0.1:%d/", httpd_dead_port());

	rq.url = u;
	run_one(&rq, &res);
	ck_assert_int_eq(res.status, 0);
	ck_assert_msg(strstr(res.error, "onnect") != NULL, "%s", res.error);
	free(u);
}
END_TEST

static void
stop_loop(void *arg)
{
	loop_stop(arg);
}

/* Freed with a request in flight: no callback, ever; the loop runs on. */
START_TEST(test_free_cancels)
{
	struct http_req	 rq = { .method = "GET" };
	struct result	 res = { 0 };
	struct err	 e;
	char		*u = url("/hang");

	rq.url = u;
	res.l = lp;
	res.want = 1;
	ck_assert_int_eq(http_request(cl, &rq, on_done, &res, &e), 0);
	loop_add_timer(lp, 100, false, stop_loop, lp);
	ck_assert_int_eq(loop_run(lp, &e), 0);
	ck_assert_int_eq(httpd_count(&srv, &srv.requests), 1);
	http_free(cl);
	cl = NULL;
	loop_add_timer(lp, 50, false, stop_loop, lp);
	ck_assert_int_eq(loop_run(lp, &e), 0);
	ck_assert_int_eq(res.calls, 0);
	cl = http_new(lp, &e);	/* for teardown */
	free(u);
}
END_TEST

static void
free_client(void *arg, const struct http_resp *r)
{
	struct result	*res = arg;

	(void)r;
	res->calls++;
	http_free(cl);
	cl = NULL;
	loop_stop(res->l);
}

/* Freed from a callback while another request waits: that one's
 * callback never runs. */
START_TEST(test_free_from_callback)
{
	struct http_req	 r1 = { .method = "GET" }, r2 = { .method = "GET" };
	struct result	 res = { 0 }, other = { 0 };
	struct err	 e;
	char		*hello = url("/hello"), *hang = url("/hang");

	res.l = other.l = lp;
	other.want = 1;
	r1.url = hello;
	r2.url = hang;
	ck_assert_int_eq(http_request(cl, &r2, on_done, &other, &e), 0);
	ck_assert_int_eq(http_request(cl, &r1, free_client, &res, &e), 0);
	ck_assert_int_eq(loop_run(lp, &e), 0);
	ck_assert_int_eq(res.calls, 1);
	ck_assert_ptr_null(cl);
	loop_add_timer(lp, 50, false, stop_loop, lp);
	ck_assert_int_eq(loop_run(lp, &e), 0);
	ck_assert_int_eq(other.calls, 0);
	cl = http_new(lp, &e);	/* for teardown */
	free(hello);
	free(hang);
}
END_TEST

START_TEST(test_bad_url)
{
	struct http_req	 rq = { .method = "GET", .url = "gopher://x/" };
	struct result	 res;

	run_one(&rq, &res);
	ck_assert_int_eq(res.status, 0);
	ck_assert_str_ne(res.error, "");
}
END_TEST

START_TEST(test_url_credentials)
{
	char	*r;

	ck_assert(http_url_has_credentials("https://u:p@h:9200/x"));
	ck_assert(http_url_has_credentials("u@h"));
	ck_assert(!http_url_has_credentials("https://h:9200/a@b"));
	ck_assert(!http_url_has_credentials("https://h/?q=a@b"));
	r = http_url_redacted("https://elastic:s3cret@h:9200/p");
	ck_assert_str_eq(r, "https://***@h:9200/p");
	free(r);
	r = http_url_redacted("http://h:1/a@b");
	ck_assert_str_eq(r, "http://h:1/a@b");
	free(r);
}
END_TEST

/* What a TLS failure says: the CA file, or the system's, and the fix. */
START_TEST(test_error_text)
{
	struct strbuf	 sb = STRBUF_INIT;

	http_error_text(&sb, CURLE_PEER_FAILED_VERIFICATION, "SSL certificate "
	    "problem: unable to get local issuer certificate", "/ca.pem");
	ck_assert_str_eq(sb_cstr(&sb), "TLS: the server's certificate could "
	    "not be verified with ca_file /ca.pem (SSL certificate problem: "
	    "unable to get local issuer certificate): set ca_file to the CA "
	    "certificate that signed the server's certificate");
	sb_reset(&sb);
	http_error_text(&sb, CURLE_PEER_FAILED_VERIFICATION, "", NULL);
	ck_assert_msg(strstr(sb_cstr(&sb), "with the system's CA "
	    "certificates (no ca_file)") != NULL, "%s", sb.buf);
	sb_reset(&sb);
	http_error_text(&sb, CURLE_PEER_FAILED_VERIFICATION, "SSL: no "
	    "alternative certificate subject name matches target host name "
	    "'x'", "/ca.pem");
	ck_assert_msg(strstr(sb_cstr(&sb), "not for this host name") != NULL,
	    "%s", sb.buf);
	sb_reset(&sb);
	http_error_text(&sb, CURLE_COULDNT_CONNECT, "Failed to connect", NULL);
	ck_assert_str_eq(sb_cstr(&sb), "Failed to connect");
	sb_free(&sb);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("http");
	TCase	*tc = tcase_create("http");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_get);
	tcase_add_test(tc, test_post_headers_auth);
	tcase_add_test(tc, test_put_head_authorization);
	tcase_add_test(tc, test_status_passed_on);
	tcase_add_test(tc, test_keepalive);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_free_cancels);
	tcase_add_test(tc, test_free_from_callback);
	tcase_add_test(tc, test_bad_url);
	tcase_add_test(tc, test_url_credentials);
	tcase_add_test(tc, test_error_text);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
