/*
 * es_send.c — entries to bulk requests, and Elasticsearch's answer back
 * to each entry (see es.h).
 *
 * The one idea: trust the items, not the status line. A 200 bulk
 * response is read item by item: 200/201 is done, 409 on create means
 * the document is already there (done, counted as a duplicate), 429 and
 * 5xx items are sent again (only they), any other 4xx is a document ES
 * will never take: it goes to the dead-letter file. A 413 for the whole
 * request halves it, down to a single document, which is then dead. Any
 * other answer (no answer, 401, 5xx, HTML from a proxy) fails the
 * attempt as a whole; the buffer retries with backoff, and a host that
 * did not answer is skipped for a while.
 *
 * An attempt sends its requests one after the other: a chunk's ranges
 * of at most bulk_message_request_threshold bytes, as a stack so that a
 * halved range is sent next, lower half first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_tree.h>
#include <zlib.h>

#include "es.h"
#include "es_bulk.h"
#include "json_tree.h"
#include "log.h"
#include "loop.h"
#include "mem.h"
#include "timefmt.h"

#define BODY_EXCERPT	160	/* bytes of an odd body quoted in messages */

const double es_latency_bounds[ES_LATENCY_NBOUNDS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

struct es_range {
	size_t		 lo, hi;	/* entries [lo, hi) */
};

struct es_attempt {
	struct es	*es;
	struct es_entry	*ents;
	size_t		 n;
	struct es_sink	 sink;
	struct es_range	*todo;		/* a stack: the last goes next */
	size_t		 ntodo, cap;
	struct es_range	 cur;
	struct es_host	*host;
	char		*url;
	struct loop_timer *later;	/* no entries: done from the loop */
	/* The current response, per entry of cur. */
	enum entry_result *res;
	int		*status;
	size_t		 nitems;
	struct strbuf	 dead;		/* its dead-letter lines */
	size_t		 ndead;
	struct strbuf	 index, id;	/* scratch */
	struct es_attempt *prev, *next;
};

/* --- attempts ------------------------------------------------------------ */

static void
attempt_free(struct es_attempt *a)
{
	free(a->ents);
	free(a->todo);
	free(a->url);
	free(a->res);
	free(a->status);
	sb_free(&a->dead);
	sb_free(&a->index);
	sb_free(&a->id);
	free(a);
}

static void
attempt_unlink(struct es_attempt *a)
{
	if (a->prev != NULL)
		a->prev->next = a->next;
	else
		a->es->attempts = a->next;
	if (a->next != NULL)
		a->next->prev = a->prev;
}

/* The attempt is over: the sink hears it once, then it is gone. */
static void
attempt_finish(struct es_attempt *a, const struct err *fail)
{
	struct es_sink	 sink = a->sink;

	attempt_unlink(a);
	if (fail != NULL)
		a->es->counters.failed++;
	attempt_free(a);
	sink.done(sink.arg, fail);
}

static void
todo_push(struct es_attempt *a, size_t lo, size_t hi)
{
	a->todo = xgrow(a->todo, &a->cap, a->ntodo + 1, sizeof *a->todo);
	a->todo[a->ntodo].lo = lo;
	a->todo[a->ntodo++].hi = hi;
}

/* Ranges of at most threshold bytes (one entry at least), first on top. */
static void
plan_ranges(struct es_attempt *a, uint64_t threshold)
{
	size_t		 i, lo, nr = 0, k;
	uint64_t	 bytes = 0;

	for (lo = i = 0; i < a->n; i++) {
		if (i > lo && threshold > 0 && bytes + a->ents[i].len >
		    threshold) {
			todo_push(a, lo, i);
			lo = i;
			bytes = 0;
		}
		bytes += a->ents[i].len;
	}
	if (a->n > lo)
		todo_push(a, lo, a->n);
	nr = a->ntodo;
	for (k = 0; k < nr / 2; k++) {	/* reverse: the first goes first */
		struct es_range	 t = a->todo[k];

		a->todo[k] = a->todo[nr - 1 - k];
		a->todo[nr - 1 - k] = t;
	}
}

/* --- requests ------------------------------------------------------------ */

static int
gzip_level(int compression)
{
	switch (compression) {
	case ES_BEST_SPEED:		return Z_BEST_SPEED;
	case ES_BEST_COMPRESSION:	return Z_BEST_COMPRESSION;
	default:			return Z_DEFAULT_COMPRESSION;
	}
}

/*
 * With an output buffer of deflateBound's size, deflate fails only for
 * want of memory, which ends the process as xmalloc does (see mem.h).
 */
static void
gzip_body(struct strbuf *body, int level)
{
	struct strbuf	 out = STRBUF_INIT;
	z_stream	 z;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		goto fatal;
	sb_reserve(&out, deflateBound(&z, body->len) + 1);
	z.next_in = (Bytef *)body->buf;
	z.avail_in = (uInt)body->len;
	z.next_out = (Bytef *)out.buf;
	z.avail_out = (uInt)(out.cap - 1);
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		goto fatal;
	out.len = z.total_out;
	deflateEnd(&z);
	sb_free(body);
	*body = out;
	return;
fatal:
	fprintf(stderr, "spire-shipper: gzip of a %zu-byte bulk body failed: "
	    "%s\n", body->len, z.msg ? z.msg : "out of memory");
	abort();
}

static void on_bulk_response(void *arg, const struct http_resp *resp);

/* Sends the range on top of the stack, or finishes when there is none.
 * -1 with e set when the request could not start. */
static int
send_next(struct es_attempt *a, struct err *e)
{
	struct es	*es = a->es;
	struct http_req	 rq;
	struct strbuf	 body = STRBUF_INIT;
	size_t		 i;

	if (a->ntodo == 0) {
		attempt_finish(a, NULL);
		return 0;
	}
	a->cur = a->todo[--a->ntodo];
	for (i = a->cur.lo; i < a->cur.hi; i++)
		sb_add(&body, a->ents[i].p, a->ents[i].len);
	es->counters.bytes_raw += body.len;
	if (es->cfg->compression_level != ES_NO_COMPRESSION)
		gzip_body(&body, gzip_level(es->cfg->compression_level));
	es->counters.bytes_sent += body.len;
	a->host = es_conn_pick(&es->conn, loop_now_ms());
	free(a->url);
	a->url = es_url(a->host, "_bulk");
	es_conn_request(&es->conn, &rq, "POST", a->url, ES_BODY_BULK);
	rq.body = body;
	return http_request(es->http, &rq, on_bulk_response, a, e);
}

/* --- what Elasticsearch said --------------------------------------------- */

void
es_error_reason(const char *body, size_t len, struct strbuf *out)
{
	const char	*type[] = { "error", "type", NULL };
	const char	*reason[] = { "error", "reason", NULL };
	const char	*plain[] = { "error", NULL };
	char		*copy = xstrndup(body, len);
	yajl_val	 top, t, r;

	top = json_tree_parse(copy, ES_JSON_DEPTH_MAX, NULL, 0);
	t = yajl_tree_get(top, type, yajl_t_string);
	r = yajl_tree_get(top, reason, yajl_t_string);
	if (t != NULL || r != NULL)
		sb_addf(out, "%s: %s", t ? YAJL_GET_STRING(t) : "error",
		    r ? YAJL_GET_STRING(r) : "");
	else if ((r = yajl_tree_get(top, plain, yajl_t_string)) != NULL)
		sb_adds(out, YAJL_GET_STRING(r));
	else {
		if (top == NULL && json_depth(copy, ES_JSON_DEPTH_MAX) >
		    ES_JSON_DEPTH_MAX)
			sb_addf(out, "JSON nested deeper than %u levels "
			    "(refused unread); ", ES_JSON_DEPTH_MAX);
		sb_adds(out, "the body starts with ");
		json_put_string(out, body, len < BODY_EXCERPT ? len :
		    BODY_EXCERPT);
	}
	yajl_tree_free(top);
	free(copy);
}

static enum entry_result
item_result(int status, const char *action)
{
	if (status == 200 || status == 201)
		return ENTRY_OK;
	if (status == 409 && strcmp(action, "create") == 0)
		return ENTRY_OK;	/* already there: a duplicate */
	if (status == 0 || status == 429 || status >= 500)
		return ENTRY_RETRY;
	return ENTRY_DEAD;
}

/* <label @ERROR> takes the rejected document instead, if there is one. */
static bool
error_event(struct es_attempt *a, size_t i, const char *doc, size_t len)
{
	struct err	 e;

	if (a->sink.error_event == NULL || a->ents[i].tag == NULL)
		return false;
	if (a->sink.error_event(a->sink.error_arg, a->ents[i].tag, doc, len,
	    &e) != 0) {
		log_warn("%s: <label @ERROR> did not take a rejected document "
		    "(%s): it goes to the dead-letter file", a->es->who, e.msg);
		return false;
	}
	a->res[i] = ENTRY_ERROR;
	return true;
}

static void
dead_add(struct es_attempt *a, size_t i, const struct es_dead *d0)
{
	struct es_dead	 d = *d0;
	struct timespec	 ts;

	es_entry_parts(a->ents[i].p, a->ents[i].len, &a->index, &a->id,
	    &d.doc, &d.doclen);
	if (error_event(a, i, d.doc, d.doclen))
		return;
	if (d.index == NULL || d.index[0] == '\0')
		d.index = a->index.buf;
	if (d.id == NULL || d.id[0] == '\0')
		d.id = a->id.buf;
	clock_gettime(CLOCK_REALTIME, &ts);
	es_dead_line(&a->dead, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec,
	    &d);
	a->ndead++;
}

static int
on_item(void *arg, const struct es_bulk_item *it)
{
	struct es_attempt	*a = arg;
	size_t			 i = a->cur.lo + it->n;
	struct es_dead		 d;

	if (i >= a->cur.hi)
		return 0;	/* more items than documents: see below */
	a->nitems++;
	a->status[i] = it->status;
	a->res[i] = item_result(it->status, it->action);
	if (a->res[i] == ENTRY_DEAD) {
		d.status = it->status;
		d.index = it->index;
		d.id = it->id;
		d.type = it->error_type;
		d.reason = it->error_reason;
		d.cause = it->caused_by_reason;
		dead_add(a, i, &d);
	}
	return 0;
}

/* Settles entries [lo, hi) of the current response; dead ones only when
 * their lines are on disk. */
static void
settle_range(struct es_attempt *a, size_t lo, size_t hi, bool dead_kept)
{
	struct es_counters	*c = &a->es->counters;
	size_t			 i;

	for (i = lo; i < hi; i++) {
		c->items[a->status[i] >= 0 && a->status[i] < ES_STATUS_MAX ?
		    a->status[i] : 0]++;
		if (a->res[i] == ENTRY_DEAD && !dead_kept)
			continue;	/* stays pending: sent again */
		if (a->res[i] == ENTRY_ERROR) {
			c->dead_letters++;
			c->error_events++;
		}
		if (a->res[i] == ENTRY_OK && a->status[i] == 409)
			c->duplicates++;
		if (a->res[i] == ENTRY_RETRY)
			c->retried++;
		if (a->res[i] == ENTRY_DEAD)
			c->dead_letters++;
		a->sink.settle(a->sink.arg, a->ents[i].slot, a->res[i]);
	}
}

static void
response_reset(struct es_attempt *a)
{
	sb_reset(&a->dead);
	a->ndead = 0;
	a->nitems = 0;
}

/* A 200: the items. 0, or -1 with e set when the attempt fails. */
static int
handle_items(struct es_attempt *a, const struct http_resp *resp,
    struct err *e)
{
	struct es_bulk_summary	 sum;
	char			 why[256];
	struct strbuf		 ex = STRBUF_INIT;
	size_t			 want = a->cur.hi - a->cur.lo;
	int			 rc;

	response_reset(a);
	if (es_bulk_parse(resp->body, resp->len, on_item, a, &sum, why,
	    sizeof why) != 0) {
		json_put_string(&ex, resp->body, resp->len < BODY_EXCERPT ?
		    resp->len : BODY_EXCERPT);
		err_set(e, "POST %s: HTTP 200 but %s; the body starts with %s",
		    a->url, why, sb_cstr(&ex));
		sb_free(&ex);
		return -1;
	}
	rc = dead_letter_write(&a->es->dead, &a->dead, a->ndead, e);
	settle_range(a, a->cur.lo, a->cur.lo + a->nitems, rc == 0);
	if (rc != 0)
		return -1;
	if (sum.items < want)	/* more would be someone else's: ignored */
		return err_set(e, "POST %s: %zu of %zu documents answered; "
		    "the rest are sent again", a->url, sum.items, want);
	return 0;
}

/* A 413: halves, down to one document, which ES will never take. */
static int
handle_too_large(struct es_attempt *a, struct err *e)
{
	struct es_dead	 d = { .status = 413, .type =
			    "request_entity_too_large", .reason = "this one "
			    "document is larger than Elasticsearch accepts "
			    "(http.max_content_length)", .cause = "" };
	size_t		 lo = a->cur.lo, hi = a->cur.hi, mid;
	int		 rc;

	if (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		todo_push(a, mid, hi);
		todo_push(a, lo, mid);
		a->es->counters.splits++;
		return 0;
	}
	response_reset(a);
	a->status[lo] = 413;
	a->res[lo] = ENTRY_DEAD;
	dead_add(a, lo, &d);
	rc = dead_letter_write(&a->es->dead, &a->dead, a->ndead, e);
	settle_range(a, lo, hi, rc == 0);
	return rc;
}

/* Anything but 200 and 413 fails the attempt; the reason is ES's. */
static int
request_failed(struct es_attempt *a, const struct http_resp *resp,
    struct err *e)
{
	struct strbuf	 why = STRBUF_INIT;
	const char	*advice;

	advice = es_conn_failure(&a->es->conn, a->host, resp->status,
	    loop_now_ms());
	if (resp->status == 0)
		return err_set(e, "POST %s: no response: %s%s", a->url,
		    resp->error, advice);
	es_error_reason(resp->body, resp->len, &why);
	err_set(e, "POST %s: HTTP %ld: %s%s", a->url, resp->status,
	    sb_cstr(&why), advice);
	sb_free(&why);
	return -1;
}

static void
latency_observe(struct es_counters *c, double seconds)
{
	size_t	 i = 0;

	while (i < ES_LATENCY_NBOUNDS && seconds > es_latency_bounds[i])
		i++;
	c->latency[i]++;
	c->latency_sum += seconds;
	c->latency_count++;
}

static void
on_bulk_response(void *arg, const struct http_resp *resp)
{
	struct es_attempt	*a = arg;
	struct es_counters	*c = &a->es->counters;
	struct err		 e;
	int			 rc;

	c->requests[resp->status >= 0 && resp->status < ES_STATUS_MAX ?
	    resp->status : 0]++;
	latency_observe(c, resp->seconds);
	if (resp->status == 200)
		rc = handle_items(a, resp, &e);
	else if (resp->status == 413)
		rc = handle_too_large(a, &e);
	else
		rc = request_failed(a, resp, &e);
	es_conn_answered(&a->es->conn, resp->status, e.msg);
	if (rc == 0)
		rc = send_next(a, &e);
	if (rc != 0)
		attempt_finish(a, &e);
}

/* --- the entry points ---------------------------------------------------- */

static void
on_later(void *arg)
{
	struct es_attempt	*a = arg;

	a->later = NULL;
	attempt_finish(a, NULL);
}

int
es_send_entries(struct es *es, const struct es_entry *ents, size_t n,
    const struct es_sink *sink, struct err *e)
{
	struct es_attempt	*a;

	if (es->http == NULL)
		return err_set(e, "%s: not started", es->who);
	a = xcalloc(1, sizeof *a);
	a->es = es;
	a->n = n;
	a->sink = *sink;
	a->ents = xmalloc((n ? n : 1) * sizeof *a->ents);
	memcpy(a->ents, ents, n * sizeof *ents);
	a->res = xcalloc(n ? n : 1, sizeof *a->res);
	a->status = xcalloc(n ? n : 1, sizeof *a->status);
	plan_ranges(a, es->threshold);
	a->next = es->attempts;
	if (es->attempts != NULL)
		es->attempts->prev = a;
	es->attempts = a;
	if (n == 0) {
		a->later = loop_add_timer(es->loop, 0, false, on_later, a);
		return 0;
	}
	if (send_next(a, e) != 0) {
		attempt_unlink(a);
		attempt_free(a);
		return -1;
	}
	return 0;
}

void
es_send_cancel_all(struct es *es)
{
	struct es_attempt	*a;

	while ((a = es->attempts) != NULL) {
		if (a->later != NULL)
			loop_del_timer(es->loop, a->later);
		attempt_unlink(a);
		attempt_free(a);
	}
}
