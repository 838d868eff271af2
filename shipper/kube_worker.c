/*
 * kube_worker.c — API requests off the event loop (see kube_worker.h).
 *
 * One mutex guards both caches and the request queue; the network is
 * only ever used outside it. The fetch thread answers the queue one
 * request at a time, each watch thread lists and watches one kind, and
 * every answer is broadcast on `answered`, which the lookups that asked
 * for it wait on with their deadline.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kube_cache.h"
#include "kube_worker.h"
#include "libcurl.h"
#include "log.h"
#include "loop.h"
#include "mem.h"

#define WATCH_BACKOFF_MAX_MS	30000
/* A quiet watch makes no progress for KUBE_WATCH_TIMEOUT_S (then the server
 * ends it, or the client cuts it): twice that is a stuck one (see
 * kube_worker_live). */
#define STALL_MIN_MS		(2 * KUBE_WATCH_TIMEOUT_S * 1000)
#define NAME_KEY_MAX		512	/* "ns/name": 63 + 1 + 253 */

struct request {
	enum kube_kind	 kind;
	char		*key;
	char		*uid;		/* pods: NULL when unknown */
	char		*ns;
	char		*name;		/* pods */
	struct request	*next;
};

enum stream_end {
	STREAM_ENDED,		/* the server closed it: watch again */
	STREAM_GONE,		/* 410: list again */
	STREAM_FAILED,		/* back off, then watch again */
	STREAM_STOPPED,
};

struct watch {
	struct kube_worker *w;
	enum kube_kind	 kind;
	pthread_t	 th;
	bool		 running;
	struct kube_conn conn;
	char		 rv[128];	/* "" : list first */
	bool		 listing;	/* the first list is under way */
	bool		 failing;	/* the log said so */
	unsigned	 failures;	/* in a row */
	bool		 gone;		/* an ERROR event with code 410 */
	bool		 bad_event;	/* another ERROR event */
	/* Progress, for kube_worker_live (atomic: the loop reads them). */
	uint64_t	 beat;		/* loop_now_ms() of the last */
	const char	*doing;		/* since: "listing", "watching"... */
};

struct kube_worker {
	struct kube_worker_cfg cfg;
	pthread_mutex_t	 mu;
	pthread_cond_t	 wake;		/* queued requests, or stop */
	pthread_cond_t	 answered;	/* an entry was settled */
	struct kube_cache pods;
	struct kube_cache namespaces;
	struct request	*queue;
	struct request	**qtail;
	bool		 stop;		/* atomic: the transfers read it */
	bool		 started;
	bool		 curl_ready;	/* curl_global_init was called */
	bool		 api_failing;	/* the log said so */
	pthread_t	 fetcher;
	uint64_t	 fetch_since;	/* on a request since; 0: idle (atomic) */
	struct kube_conn fetch_conn;
	struct watch	 watches[2];	/* by kind */
};

static const char *const kind_plural[] = { "pods", "namespaces" };

/* --- small things -------------------------------------------------------- */

static void
cond_init(pthread_cond_t *c)
{
	pthread_condattr_t	 a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
}

/* Waits on c (mu held) until signalled or deadline (loop_now_ms). */
static void
wait_until(struct kube_worker *w, pthread_cond_t *c, uint64_t deadline)
{
	struct timespec	 ts;

	ts.tv_sec = (time_t)(deadline / 1000);
	ts.tv_nsec = (long)(deadline % 1000) * 1000000;
	pthread_cond_timedwait(c, &w->mu, &ts);
}

static bool
stopping(struct kube_worker *w)
{
	return __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE);
}

/* The watch made progress, and is now doing this. */
static void
beat(struct watch *wa, const char *doing)
{
	__atomic_store_n(&wa->doing, doing, __ATOMIC_RELAXED);
	__atomic_store_n(&wa->beat, loop_now_ms(), __ATOMIC_RELEASE);
}

static struct kube_cache *
cache_of(struct kube_worker *w, enum kube_kind kind)
{
	return kind == KUBE_POD ? &w->pods : &w->namespaces;
}

/* The watch of kind while it runs, else NULL. */
static struct watch *
watch_of(struct kube_worker *w, enum kube_kind kind)
{
	return w->watches[kind].running ? &w->watches[kind] : NULL;
}

static size_t
name_key(char *buf, const char *ns, size_t nslen, const char *pod,
    size_t podlen)
{
	int	 n = snprintf(buf, NAME_KEY_MAX, "%.*s/%.*s", (int)nslen, ns,
		    (int)podlen, pod);

	return n > 0 && n < NAME_KEY_MAX ? (size_t)n : 0;
}

static char *
escaped(const char *s)
{
	char	*c = curl_easy_escape(NULL, s, 0), *r;

	r = xstrdup(c != NULL ? c : "");
	curl_free(c);
	return r;
}

/* "HTTP 403 (...)" with what to do about it. */
static void
describe_status(long status, char *buf, size_t len)
{
	const char	*hint = "";

	if (status == 401)
		hint = ": the bearer token was refused; check "
		    "bearer_token_file (it is read again when it changes)";
	else if (status == 403)
		hint = ": the service account may not do this; give it get, "
		    "list and watch on pods and namespaces (RBAC)";
	snprintf(buf, len, "HTTP %ld%s", status, hint);
}

/* --- the caches ---------------------------------------------------------- */

static void
settle_found(struct kube_cache *c, const char *key, size_t klen,
    struct kube_meta *m, uint64_t now)
{
	struct kube_entry	*e = kube_cache_add(c, key, klen, now);

	e->queued = e->await_list = false;
	kube_cache_found(c, e, m, now);
}

/*
 * Stores m under its key (a pod's UID, a namespace's name) and a pod's
 * copy under "ns/name", for records whose file gives no UID (the latest
 * pod of that name is the best they can get). only_known: update
 * entries, add none. Takes m. Under mu.
 */
static void
put_locked(struct kube_worker *w, struct kube_meta *m, uint64_t now,
    bool only_known)
{
	struct kube_cache	*c = cache_of(w, m->kind);
	struct kube_str		 k = m->kind == KUBE_POD ? m->uid : m->name;
	char			 nk[NAME_KEY_MAX];
	size_t			 nklen = 0;

	if (m->kind == KUBE_POD)
		nklen = name_key(nk, kube_s(m, m->ns), m->ns.len,
		    kube_s(m, m->name), m->name.len);
	if (nklen > 0 && (!only_known || kube_cache_get(c, nk, nklen,
	    now) != NULL))
		settle_found(c, nk, nklen, kube_meta_dup(m), now);
	if (k.len == 0 || (only_known && kube_cache_get(c, kube_s(m, k), k.len,
	    now) == NULL)) {
		kube_meta_free(m);
		return;
	}
	settle_found(c, kube_s(m, k), k.len, m, now);
}

int
kube_worker_put_json(struct kube_worker *w, enum kube_kind kind,
    const char *json, char *err, size_t errlen)
{
	struct kube_meta	*m = kube_meta_parse(json, kind, &w->cfg.parse,
				    err, errlen);

	if (m == NULL)
		return -1;
	pthread_mutex_lock(&w->mu);
	put_locked(w, m, loop_now_ms(), false);
	pthread_cond_broadcast(&w->answered);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

/* --- lookups ------------------------------------------------------------- */

struct side {
	struct kube_cache *cache;
	enum kube_kind	 kind;
	const char	*key;
	size_t		 klen;
	bool		 waiting;	/* for an answer this lookup awaits */
};

static bool
pending(const struct kube_entry *e)
{
	return e->meta == NULL && (e->queued || e->await_list);
}

/* Queues a request for e, or lets the watch's first list answer it. */
static void
ask(struct kube_worker *w, struct kube_entry *e, enum kube_kind kind,
    const struct kube_query *q)
{
	struct watch	*wa = watch_of(w, kind);
	struct request	*r;

	if (wa != NULL && wa->listing) {
		e->await_list = true;
		return;
	}
	r = xcalloc(1, sizeof *r);
	r->kind = kind;
	r->key = xstrndup(e->key, e->klen);
	r->ns = xstrndup(q->ns, q->nslen);
	if (kind == KUBE_POD) {
		r->name = xstrndup(q->pod, q->podlen);
		r->uid = q->uidlen > 0 ? xstrndup(q->uid, q->uidlen) : NULL;
	}
	*w->qtail = r;
	w->qtail = &r->next;
	e->queued = true;
	pthread_cond_signal(&w->wake);
}

static struct kube_entry *
side_entry(struct kube_worker *w, struct side *s, const struct kube_query *q,
    uint64_t now, bool first)
{
	struct kube_entry	*e = kube_cache_get(s->cache, s->key, s->klen,
				    now);
	bool			 known = e != NULL && (e->meta != NULL ||
				    e->state == KUBE_NOT_FOUND);

	if (first && s->kind == KUBE_POD)
		KUBE_COUNT(known ? &w->cfg.metrics->cache_hits :
		    &w->cfg.metrics->cache_misses);
	if (w->started && kube_entry_due(e, now)) {
		if (e == NULL)
			e = kube_cache_add(s->cache, s->key, s->klen, now);
		ask(w, e, s->kind, q);
		e->waited = false;
	}
	if (e == NULL || !pending(e))
		s->waiting = false;
	else if (!e->waited) {
		e->waited = true;	/* the others go on without waiting */
		s->waiting = true;
	}
	return e;
}

void
kube_worker_lookup(struct kube_worker *w, const struct kube_query *q,
    uint64_t wait_ms, void (*fn)(void *arg, const struct kube_found *f),
    void *arg)
{
	struct side		 s[2] = {
		{ &w->pods, KUBE_POD, q->key, q->klen, false },
		{ &w->namespaces, KUBE_NAMESPACE, q->ns, q->nslen, false },
	};
	unsigned		 n = w->cfg.namespaces ? 2 : 1, i;
	uint64_t		 now = loop_now_ms(), deadline = now + wait_ms;
	struct kube_found	 f;
	bool			 first = true;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		memset(&f, 0, sizeof f);
		for (i = 0; i < n; i++) {
			struct kube_entry *e = side_entry(w, &s[i], q, now,
			    first);

			if (e == NULL)
				continue;
			if (i == 0) {
				f.pod = e->meta;
				f.pod_gone = e->state == KUBE_NOT_FOUND;
			} else {
				f.ns = e->meta;
				f.ns_gone = e->state == KUBE_NOT_FOUND;
			}
		}
		first = false;
		if ((!s[0].waiting && !s[1].waiting) || now >= deadline ||
		    !w->started)
			break;
		wait_until(w, &w->answered, deadline);
		now = loop_now_ms();
	}
	fn(arg, &f);
	pthread_mutex_unlock(&w->mu);
}

/* --- the fetch thread ---------------------------------------------------- */

static void
request_free(struct request *r)
{
	free(r->key);
	free(r->uid);
	free(r->ns);
	free(r->name);
	free(r);
}

static char *
request_path(const struct request *r)
{
	char	*ns = escaped(r->ns), *name, *p;

	if (r->kind == KUBE_NAMESPACE)
		p = xasprintf("/namespaces/%s?resourceVersion=0", ns);
	else {
		name = escaped(r->name);
		p = xasprintf("/namespaces/%s/pods/%s?resourceVersion=0", ns,
		    name);
		free(name);
	}
	free(ns);
	return p;
}

static void
api_failed(struct kube_worker *w, const struct request *r, const char *why)
{
	if (w->api_failing)
		return;
	w->api_failing = true;
	log_warn("kubernetes_metadata: looking up %s %s%s%s: %s; records go "
	    "on with the names from their file (counted as metadata "
	    "missing) and the lookup is retried", r->kind == KUBE_POD ?
	    "pod" : "namespace", r->ns, r->name ? "/" : "", r->name ?
	    r->name : "", why);
}

static void
api_ok(struct kube_worker *w)
{
	if (!w->api_failing)
		return;
	w->api_failing = false;
	log_info("kubernetes_metadata: the API server answers again");
}

/* Records what the API said about r. Under mu. */
static void
settle(struct kube_worker *w, const struct request *r, struct kube_meta *m,
    bool not_found, const char *why)
{
	struct kube_cache	*c = cache_of(w, r->kind);
	uint64_t		 now = loop_now_ms();
	struct kube_entry	*e;
	bool			 replaced = m != NULL && r->uid != NULL &&
				    !kube_str_eq(m, m->uid, r->uid,
				    strlen(r->uid));

	if (m != NULL) {
		api_ok(w);
		put_locked(w, m, now, false);
		if (!replaced)
			return;
		/* The pod of that name is another one now: ours is gone. */
		not_found = true;
	}
	e = kube_cache_add(c, r->key, strlen(r->key), now);
	e->queued = false;
	if (not_found) {
		api_ok(w);
		kube_cache_not_found(e, now, w->cfg.not_found_ttl_ms);
	} else {
		api_failed(w, r, why);
		kube_cache_failed(e, now);
	}
}

static void
fetch_one(struct kube_worker *w, const struct request *r)
{
	char		*path = request_path(r), why[ERR_MAX];
	struct kube_meta *m = NULL;
	struct err	 e;
	long		 status;
	int		 rc = kube_get(&w->fetch_conn, path, &status, &e);

	KUBE_COUNT(r->kind == KUBE_POD ? &w->cfg.metrics->pod_requests :
	    &w->cfg.metrics->namespace_requests);
	if (rc != 0)
		snprintf(why, sizeof why, "%s", e.msg);
	else if (status == 200) {
		char	 perr[256];

		m = kube_meta_parse(w->fetch_conn.body.buf, r->kind,
		    &w->cfg.parse, perr, sizeof perr);
		if (m == NULL)
			snprintf(why, sizeof why, "GET %s: the answer is not "
			    "a %s: %s", path, r->kind == KUBE_POD ? "Pod" :
			    "Namespace", perr);
	} else
		describe_status(status, why, sizeof why);
	pthread_mutex_lock(&w->mu);
	settle(w, r, m, rc == 0 && status == 404, why);
	pthread_cond_broadcast(&w->answered);
	pthread_mutex_unlock(&w->mu);
	free(path);
}

static void *
fetch_main(void *arg)
{
	struct kube_worker	*w = arg;
	struct request		*r;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		if ((r = w->queue) == NULL) {
			pthread_cond_wait(&w->wake, &w->mu);
			continue;
		}
		if ((w->queue = r->next) == NULL)
			w->qtail = &w->queue;
		pthread_mutex_unlock(&w->mu);
		__atomic_store_n(&w->fetch_since, loop_now_ms(),
		    __ATOMIC_RELEASE);
		fetch_one(w, r);
		__atomic_store_n(&w->fetch_since, 0, __ATOMIC_RELEASE);
		request_free(r);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* --- the watch threads --------------------------------------------------- */

/* The list (watch false) or watch URL path of wa's kind. */
static char *
watch_path(const struct watch *wa, bool watch)
{
	struct strbuf	 sb = STRBUF_INIT;
	const char	*node = wa->w->cfg.node_name;

	sb_addf(&sb, "/%s?resourceVersion=%s", kind_plural[wa->kind],
	    watch ? wa->rv : "0");
	if (wa->kind == KUBE_POD && node != NULL) {
		char	*sel = xasprintf("spec.nodeName=%s", node);
		char	*esc = escaped(sel);

		sb_addf(&sb, "&fieldSelector=%s", esc);
		free(esc);
		free(sel);
	}
	if (watch)
		sb_addf(&sb, "&watch=true&allowWatchBookmarks=true&"
		    "timeoutSeconds=%d", KUBE_WATCH_TIMEOUT_S);
	return sb_take(&sb);
}

static void
watch_failed(struct watch *wa, const char *why)
{
	wa->failures++;
	if (wa->failing)
		return;
	wa->failing = true;
	log_warn("kubernetes_metadata: watching %s: %s; retrying with "
	    "backoff (meanwhile they are looked up one by one)",
	    kind_plural[wa->kind], why);
}

static void
watch_ok(struct watch *wa)
{
	wa->failures = 0;
	if (!wa->failing)
		return;
	wa->failing = false;
	log_info("kubernetes_metadata: watching %s again",
	    kind_plural[wa->kind]);
}

static void
release_await(void *arg, struct kube_entry *e)
{
	(void)arg;
	e->await_list = false;	/* not in the list: due, asked next time */
}

/* The first list is over, answered or not: lookups ask for themselves. */
static void
first_list_done(struct watch *wa)
{
	struct kube_worker	*w = wa->w;

	pthread_mutex_lock(&w->mu);
	if (wa->listing) {
		wa->listing = false;
		kube_cache_each(cache_of(w, wa->kind), release_await, NULL);
		pthread_cond_broadcast(&w->answered);
	}
	pthread_mutex_unlock(&w->mu);
}

static void
list_item(void *arg, struct kube_meta *m)
{
	struct watch	*wa = arg;

	pthread_mutex_lock(&wa->w->mu);
	put_locked(wa->w, m, loop_now_ms(), false);
	pthread_mutex_unlock(&wa->w->mu);
}

static int
watch_list(struct watch *wa)
{
	struct kube_worker	*w = wa->w;
	char			*path = watch_path(wa, false), why[ERR_MAX];
	char			 perr[256];
	struct err		 e;
	long			 status;
	unsigned		 skipped;
	int			 rc = kube_get(&wa->conn, path, &status, &e);

	if (rc != 0)
		snprintf(why, sizeof why, "%s", e.msg);
	else if (status != 200)
		describe_status(status, why, sizeof why);
	else if ((rc = kube_list_parse(wa->conn.body.buf, wa->kind,
	    &w->cfg.parse, list_item, wa, wa->rv, sizeof wa->rv, &skipped,
	    perr, sizeof perr)) != 0)
		snprintf(why, sizeof why, "GET %s: %s", path, perr);
	free(path);
	first_list_done(wa);
	if (rc != 0 || status != 200) {
		wa->rv[0] = '\0';
		watch_failed(wa, why);
		return -1;
	}
	pthread_mutex_lock(&w->mu);
	pthread_cond_broadcast(&w->answered);
	pthread_mutex_unlock(&w->mu);
	watch_ok(wa);
	return 0;
}

static void
event_version(struct watch *wa, const struct kube_meta *m)
{
	if (m->rv.len > 0 && m->rv.len < sizeof wa->rv) {
		memcpy(wa->rv, kube_s(m, m->rv), m->rv.len);
		wa->rv[m->rv.len] = '\0';
	}
}

static bool
on_event(void *arg, const char *line, size_t len)
{
	struct watch		*wa = arg;
	struct kube_worker	*w = wa->w;
	struct kube_event	 ev;
	char			 perr[256];

	(void)len;
	beat(wa, "watching");
	if (kube_event_parse(line, wa->kind, &w->cfg.parse, &ev, perr,
	    sizeof perr) != 0) {
		log_debug("kubernetes_metadata: watching %s: an event skipped: "
		    "%s", kind_plural[wa->kind], perr);
		return true;
	}
	KUBE_COUNT(&w->cfg.metrics->watch_events);
	if (ev.type == KUBE_ERROR) {
		wa->gone = ev.code == 410;
		wa->bad_event = !wa->gone;
		if (wa->bad_event)
			log_warn("kubernetes_metadata: watching %s: error "
			    "event %ld: %s", kind_plural[wa->kind], ev.code,
			    ev.msg);
		return false;
	}
	event_version(wa, ev.obj);
	watch_ok(wa);
	if (ev.type == KUBE_ADDED || ev.type == KUBE_MODIFIED) {
		pthread_mutex_lock(&w->mu);
		/* Without a node selector, only pods already asked for. */
		put_locked(w, ev.obj, loop_now_ms(), wa->kind == KUBE_POD &&
		    w->cfg.node_name == NULL);
		pthread_cond_broadcast(&w->answered);
		pthread_mutex_unlock(&w->mu);
	} else			/* a deleted pod's last lines keep theirs */
		kube_meta_free(ev.obj);
	return true;
}

static enum stream_end
watch_stream(struct watch *wa)
{
	char		*path = watch_path(wa, true), why[ERR_MAX];
	struct err	 e;
	long		 status;
	int		 rc;

	wa->gone = wa->bad_event = false;
	rc = kube_watch(&wa->conn, path, on_event, wa, &status, &e);
	free(path);
	if (stopping(wa->w))
		return STREAM_STOPPED;
	if (rc != 0) {
		watch_failed(wa, e.msg);
		return STREAM_FAILED;
	}
	if (status == 410 || wa->gone)
		return STREAM_GONE;
	if (status != 200) {
		describe_status(status, why, sizeof why);
		watch_failed(wa, why);
		return STREAM_FAILED;
	}
	return wa->bad_event ? STREAM_FAILED : STREAM_ENDED;
}

/* watch_retry_interval x base^(failures - 1), at most 30 s. */
static void
watch_backoff(struct watch *wa)
{
	struct kube_worker	*w = wa->w;
	uint64_t		 d = w->cfg.watch_retry_ms, deadline;
	unsigned		 i;

	for (i = 1; i < wa->failures && i <= w->cfg.watch_retry_max_times &&
	    d < WATCH_BACKOFF_MAX_MS; i++)
		d *= w->cfg.watch_retry_base;
	if (d > WATCH_BACKOFF_MAX_MS)
		d = WATCH_BACKOFF_MAX_MS;
	pthread_mutex_lock(&w->mu);
	deadline = loop_now_ms() + d;
	while (!w->stop && loop_now_ms() < deadline)
		wait_until(w, &w->wake, deadline);
	pthread_mutex_unlock(&w->mu);
}

static void *
watch_main(void *arg)
{
	struct watch		*wa = arg;
	struct kube_worker	*w = wa->w;

	while (!stopping(w)) {
		beat(wa, "listing");
		if (wa->rv[0] == '\0' && watch_list(wa) != 0) {
			beat(wa, "backing off");
			watch_backoff(wa);
			continue;
		}
		beat(wa, "watching");
		switch (watch_stream(wa)) {
		case STREAM_STOPPED:
			return NULL;
		case STREAM_GONE:
			wa->rv[0] = '\0';
			break;
		case STREAM_FAILED:
			beat(wa, "backing off");
			watch_backoff(wa);
			break;
		case STREAM_ENDED:
			break;
		}
		if (!stopping(w))
			KUBE_COUNT(&w->cfg.metrics->watch_restarts);
	}
	return NULL;
}

/* --- life ---------------------------------------------------------------- */

struct kube_worker *
kube_worker_new(const struct kube_worker_cfg *cfg)
{
	struct kube_worker	*w = xcalloc(1, sizeof *w);

	w->cfg = *cfg;
	w->cfg.client.metrics = cfg->metrics;
	w->cfg.client.stop = &w->stop;
	kube_client_init(&w->cfg.client);
	pthread_mutex_init(&w->mu, NULL);
	cond_init(&w->wake);
	cond_init(&w->answered);
	/* A pod is there twice: by UID and by "ns/name" (put_locked). */
	kube_cache_init(&w->pods, 2 * cfg->cache_size, cfg->ttl_ms);
	kube_cache_init(&w->namespaces, cfg->cache_size, cfg->ttl_ms);
	w->qtail = &w->queue;
	return w;
}

/* Threads get no signals: the event loop takes them (signalfd). */
static int
thread_start(pthread_t *th, void *(*fn)(void *), void *arg)
{
	sigset_t	 all, old;
	int		 rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(th, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static int
watch_start(struct kube_worker *w, enum kube_kind kind, struct err *e)
{
	struct watch	*wa = &w->watches[kind];
	int		 rc;

	wa->w = w;
	wa->kind = kind;
	wa->listing = true;
	beat(wa, "starting");
	if (kube_conn_init(&wa->conn, &w->cfg.client, e) != 0)
		return -1;
	wa->running = true;
	if ((rc = thread_start(&wa->th, watch_main, wa)) != 0) {
		wa->running = false;
		kube_conn_free(&wa->conn);
		return err_set(e, "kubernetes_metadata: cannot start the %s "
		    "watch thread: %s", kind_plural[kind], strerror(rc));
	}
	return 0;
}

int
kube_worker_start(struct kube_worker *w, struct err *e)
{
	int	 rc;

	if (libcurl_load(e) != 0)
		return -1;
	if (!w->curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return err_set(e, "kubernetes_metadata: libcurl cannot be "
		    "initialised");
	w->curl_ready = true;
	if (kube_conn_init(&w->fetch_conn, &w->cfg.client, e) != 0)
		return -1;
	if ((rc = thread_start(&w->fetcher, fetch_main, w)) != 0) {
		kube_conn_free(&w->fetch_conn);
		return err_set(e, "kubernetes_metadata: cannot start the API "
		    "thread: %s", strerror(rc));
	}
	w->started = true;
	if (w->cfg.watch && (watch_start(w, KUBE_POD, e) != 0 ||
	    (w->cfg.namespaces && watch_start(w, KUBE_NAMESPACE, e) != 0))) {
		kube_worker_stop(w);
		return -1;
	}
	return 0;
}

/* --- progress ------------------------------------------------------------ */

static uint64_t
stall_ms(const struct kube_worker *w)
{
	const struct kube_client *kc = &w->cfg.client;
	uint64_t		 t = 3 * (uint64_t)(kc->open_timeout_ms +
				    kc->read_timeout_ms);

	if (w->cfg.stall_ms > 0)
		return w->cfg.stall_ms;
	return t > STALL_MIN_MS ? t : STALL_MIN_MS;
}

/* Has since (loop_now_ms(), 0: never) been longer ago than limit? */
static bool
stale(uint64_t since, uint64_t now, uint64_t limit)
{
	return since != 0 && now > since && now - since > limit;
}

bool
kube_worker_live(struct kube_worker *w, char *why, size_t len)
{
	uint64_t	 now = loop_now_ms(), limit = stall_ms(w), since;
	unsigned	 k;

	if (!w->started)
		return true;
	since = __atomic_load_n(&w->fetch_since, __ATOMIC_ACQUIRE);
	if (stale(since, now, limit)) {
		snprintf(why, len, "the API thread has been on one request for "
		    "%llu s (limit %llu s): it is stuck, and a restart starts "
		    "it again", (unsigned long long)((now - since) / 1000),
		    (unsigned long long)(limit / 1000));
		return false;
	}
	for (k = 0; k < 2; k++) {
		struct watch	*wa = &w->watches[k];

		since = __atomic_load_n(&wa->beat, __ATOMIC_ACQUIRE);
		if (!wa->running || !stale(since, now, limit))
			continue;
		snprintf(why, len, "the %s watch thread has made no progress "
		    "for %llu s, %s (limit %llu s): it is stuck, and a restart "
		    "starts it again", kind_plural[k],
		    (unsigned long long)((now - since) / 1000),
		    __atomic_load_n(&wa->doing, __ATOMIC_RELAXED),
		    (unsigned long long)(limit / 1000));
		return false;
	}
	return true;
}

void
kube_worker_stop(struct kube_worker *w)
{
	unsigned	 k;

	if (!w->started)
		return;
	pthread_mutex_lock(&w->mu);
	__atomic_store_n(&w->stop, true, __ATOMIC_RELEASE);
	w->started = false;
	pthread_cond_broadcast(&w->wake);
	pthread_cond_broadcast(&w->answered);
	pthread_mutex_unlock(&w->mu);
	kube_conn_wakeup(&w->fetch_conn);
	for (k = 0; k < 2; k++)
		if (w->watches[k].running)
			kube_conn_wakeup(&w->watches[k].conn);
	pthread_join(w->fetcher, NULL);
	kube_conn_free(&w->fetch_conn);
	for (k = 0; k < 2; k++) {
		if (!w->watches[k].running)
			continue;
		pthread_join(w->watches[k].th, NULL);
		kube_conn_free(&w->watches[k].conn);
		w->watches[k].running = false;
	}
}

void
kube_worker_free(struct kube_worker *w)
{
	struct request	*r, *next;

	if (w == NULL)
		return;
	kube_worker_stop(w);
	for (r = w->queue; r != NULL; r = next) {
		next = r->next;
		request_free(r);
	}
	kube_cache_free(&w->pods);
	kube_cache_free(&w->namespaces);
	kube_client_free(&w->cfg.client);
	if (w->curl_ready)
		curl_global_cleanup();
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->answered);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
