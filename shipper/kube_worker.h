/*
 * kube_worker.h — the threads that ask the Kubernetes API server, and
 * the caches they fill.
 *
 * The filter runs on the event loop and must never wait on the network.
 * It looks its pod and namespace up under the worker's one mutex; a miss
 * queues a request for the fetch thread and waits at most a short bound
 * for the answer. Only the first record that misses waits: the ones after
 * it go on without metadata until the answer is in, so a slow or absent
 * API costs one bounded wait per pod and attempt, never throughput.
 *
 * With watch, two more threads list and then watch the pods of this node
 * (spec.nodeName=$K8S_NODE_NAME) and all namespaces, from the list's
 * resourceVersion; a 410 Gone lists again, a closed stream watches again
 * from the last version seen, a failure backs off. While the first list
 * is under way a miss waits for it instead of asking for the pod.
 */
#ifndef SHIPPER_KUBE_WORKER_H
#define SHIPPER_KUBE_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "filter_kubernetes.h"
#include "kube.h"
#include "kube_client.h"

struct kube_worker;

struct kube_worker_cfg {
	struct kube_client client;	/* the fields set before init */
	size_t		 cache_size;
	uint64_t	 ttl_ms;		/* 0: entries never go stale */
	uint64_t	 not_found_ttl_ms;
	bool		 watch;
	bool		 namespaces;		/* look namespaces up too */
	const char	*node_name;		/* NULL: every pod is watched */
	uint64_t	 watch_retry_ms;
	unsigned	 watch_retry_base;
	unsigned	 watch_retry_max_times;
	uint64_t	 stall_ms;		/* 0: from the timeouts (see
						   kube_worker_live) */
	struct kube_parse_opts parse;
	struct kube_metrics *metrics;
};

/* What a record asks for; the key is the pod's UID, else "ns/name". */
struct kube_query {
	const char	*key;
	size_t		 klen;
	const char	*uid;		/* uidlen 0: unknown */
	size_t		 uidlen;
	const char	*ns;
	size_t		 nslen;
	const char	*pod;
	size_t		 podlen;
};

/* What a lookup knows; valid only inside the lookup's callback. */
struct kube_found {
	const struct kube_meta *pod;
	const struct kube_meta *ns;
	bool		 pod_gone;	/* the API said 404 */
	bool		 ns_gone;
};

/* Copies cfg (its strings must outlive the worker). */
struct kube_worker *kube_worker_new(const struct kube_worker_cfg *cfg);
/* Starts the threads; before that, lookups find only what was put. */
int	kube_worker_start(struct kube_worker *w, struct err *e);
/* Stops and joins the threads (at once: waits and transfers are woken). */
void	kube_worker_stop(struct kube_worker *w);
void	kube_worker_free(struct kube_worker *w);

/*
 * Is every thread making progress? false, with why (what is stuck, for
 * how long), when a watch thread has gone stall_ms without an event or a
 * turn of its loop (list, watch, back off), or the fetch thread has been
 * on one request that long: nothing but a restart starts them again. By
 * default stall_ms is max(3 x (open_timeout + read_timeout), 10 min): a
 * request ends within open + read timeout (twice, after a 401), and the
 * API server ends a quiet watch after 5 minutes. An API server that is
 * down, or refuses, does not count: the threads back off and go round.
 * From the loop's thread, without the worker's lock.
 */
bool	kube_worker_live(struct kube_worker *w, char *why, size_t len);

/*
 * Calls fn with what is known of q, under the worker's lock (so fn may
 * only copy what it needs), after waiting at most wait_ms for an answer
 * this lookup asked for.
 */
void	kube_worker_lookup(struct kube_worker *w, const struct kube_query *q,
	    uint64_t wait_ms, void (*fn)(void *arg, const struct kube_found *f),
	    void *arg);

/*
 * Puts a Pod or Namespace (JSON, as the API answers) in its cache as a
 * watch event does, parsed with the worker's options; for tests.
 */
int	kube_worker_put_json(struct kube_worker *w, enum kube_kind kind,
	    const char *json, char *err, size_t errlen);

#endif
