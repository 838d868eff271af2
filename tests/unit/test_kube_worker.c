/*
 * test_kube_worker.c — shipper/kube_worker's threads against a tiny API
 * server (httpd.h): kube_worker_live says a thread is stuck when it is
 * (a watch stream that never sends, a request that never ends), and
 * not when the API server is down, which the threads ride out by
 * backing off. A short stall_ms stands for the default's minutes.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "httpd.h"
#include "kube_worker.h"
#include "loop.h"

#define STALL_MS	300

static struct kube_metrics	 m;

/* A list of no pods, and watches that never answer. */
static void
list_then_hang(void *arg, const struct httpd_req *req, struct httpd_resp *resp)
{
	(void)arg;
	if (strstr(req->path, "watch=true") != NULL) {
		resp->hang = 1;
		return;
	}
	resp->body = strdup("{\"kind\":\"PodList\",\"apiVersion\":\"v1\","
	    "\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[]}");
}

/* Every request hangs. */
static void
hang(void *arg, const struct httpd_req *req, struct httpd_resp *resp)
{
	(void)arg;
	(void)req;
	resp->hang = 1;
}

static struct kube_worker *
worker(int port, bool watch)
{
	static char		 base[64];
	struct kube_worker_cfg	 wc;

	snprintf(base, sizeof base, "http://127.0.0.1:%d/api/v1", port);
	memset(&wc, 0, sizeof wc);
	memset(&m, 0, sizeof m);
	wc.client.base = base;
	wc.client.open_timeout_ms = 500;
	wc.client.read_timeout_ms = 500;
	wc.cache_size = 16;
	wc.not_found_ttl_ms = 1000;
	wc.watch = watch;
	wc.node_name = "node-1";
	wc.watch_retry_ms = 10;
	wc.watch_retry_base = 2;
	wc.watch_retry_max_times = 0;	/* 10 ms between attempts */
	wc.stall_ms = STALL_MS;
	wc.metrics = &m;
	return kube_worker_new(&wc);
}

static void
start(struct kube_worker *w)
{
	struct err	 e;

	ck_assert_msg(kube_worker_start(w, &e) == 0, "%s", e.msg);
}

/* Polls kube_worker_live for up to ms until it answers want; false if
 * it never did. why holds its last answer. */
static bool
live_becomes(struct kube_worker *w, bool want, unsigned ms, char *why,
    size_t len)
{
	uint64_t	 end = loop_now_ms() + ms;

	do {
		why[0] = '\0';
		if (kube_worker_live(w, why, len) == want)
			return true;
		usleep(20000);
	} while (loop_now_ms() < end);
	return false;
}

static void
nothing(void *arg, const struct kube_found *f)
{
	(void)arg;
	(void)f;
}

START_TEST(test_stuck_watch)
{
	struct httpd		 d;
	struct kube_worker	*w;
	char			 why[512];

	httpd_start(&d, list_then_hang, NULL);
	w = worker(d.port, true);
	start(w);
	ck_assert(kube_worker_live(w, why, sizeof why));
	/* listed, then watching a stream that never sends */
	while (httpd_count(&d, &d.requests) < 2)
		usleep(10000);
	ck_assert_msg(live_becomes(w, false, 5 * STALL_MS, why, sizeof why),
	    "still live: %s", why);
	ck_assert_msg(strstr(why, "the pods watch thread has made no "
	    "progress for ") != NULL && strstr(why, ", watching (limit ") !=
	    NULL && strstr(why, "a restart starts it again") != NULL,
	    "%s", why);
	kube_worker_free(w);
	httpd_stop(&d);
}
END_TEST

/* The API server refusing connections is no reason for a restart. */
START_TEST(test_api_down_is_live)
{
	struct kube_worker	*w = worker(httpd_dead_port(), true);
	char			 why[512];
	uint64_t		 end;

	start(w);
	end = loop_now_ms() + 4 * STALL_MS;
	while (loop_now_ms() < end) {
		ck_assert_msg(kube_worker_live(w, why, sizeof why), "%s", why);
		usleep(20000);
	}
	ck_assert_uint_gt(m.requests[KUBE_REQ_FAILED], 10);	/* it tried */
	kube_worker_free(w);
}
END_TEST

/* A lookup's request that hangs: stuck after stall_ms, and live again
 * once its timeout (open + read) ends it. */
START_TEST(test_stuck_request)
{
	struct httpd		 d;
	struct kube_worker	*w;
	struct kube_query	 q = { "ns/pod", 6, NULL, 0, "ns", 2, "pod", 3 };
	char			 why[512];

	httpd_start(&d, hang, NULL);
	w = worker(d.port, false);
	start(w);
	kube_worker_lookup(w, &q, 0, nothing, NULL);
	ck_assert_msg(live_becomes(w, false, 5 * STALL_MS, why, sizeof why),
	    "still live: %s", why);
	ck_assert_msg(strstr(why, "the API thread has been on one request "
	    "for ") != NULL, "%s", why);
	ck_assert_msg(live_becomes(w, true, 3000, why, sizeof why),
	    "still stuck: %s", why);
	kube_worker_free(w);
	httpd_stop(&d);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("kube_worker");
	TCase	*tc = tcase_create("progress");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_stuck_watch);
	tcase_add_test(tc, test_api_down_is_live);
	tcase_add_test(tc, test_stuck_request);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
