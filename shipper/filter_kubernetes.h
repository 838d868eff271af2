/*
 * filter_kubernetes.h — what the kubernetes_metadata filter counts.
 *
 * The counters live in the filter's private state and are written by the
 * event loop and by the threads that talk to the API server (relaxed
 * atomics); filter_kubernetes_metrics() takes a snapshot, for the metrics
 * endpoint and the stop summary.
 */
#ifndef SHIPPER_FILTER_KUBERNETES_H
#define SHIPPER_FILTER_KUBERNETES_H

#include <stdint.h>

struct filter;
struct kube_worker;

/* API requests by the class of their answer. */
enum kube_req_class {
	KUBE_REQ_OK,		/* 2xx */
	KUBE_REQ_UNAUTHORIZED,	/* 401: the token is re-read */
	KUBE_REQ_FORBIDDEN,	/* 403: RBAC */
	KUBE_REQ_NOT_FOUND,	/* 404: cached negatively */
	KUBE_REQ_GONE,		/* 410: the watch lists again */
	KUBE_REQ_CLIENT_ERROR,	/* other 4xx */
	KUBE_REQ_SERVER_ERROR,	/* 5xx */
	KUBE_REQ_FAILED,	/* no answer: connect, TLS, timeout */
	KUBE_REQ_NCLASSES
};

struct kube_metrics {
	uint64_t	 requests[KUBE_REQ_NCLASSES];
	uint64_t	 pod_requests;		/* GET of one pod */
	uint64_t	 namespace_requests;	/* GET of one namespace */
	uint64_t	 cache_hits;		/* records, pod lookups */
	uint64_t	 cache_misses;
	uint64_t	 watch_restarts;	/* 410, disconnect, error */
	uint64_t	 watch_events;
	uint64_t	 metadata_missing;	/* records sent on without it */
	uint64_t	 unparsable_names;	/* records passed untouched */
	uint64_t	 token_reloads;
};

/* "ok", "unauthorized", ... for labels. */
const char *kube_req_class_name(enum kube_req_class c);
enum kube_req_class kube_req_class_of(long status);

/* Counts one into a counter of struct kube_metrics, from any thread. */
#define KUBE_COUNT(p)	__atomic_fetch_add((p), 1, __ATOMIC_RELAXED)

/* A snapshot of f's counters (f must be a kubernetes_metadata filter). */
void	filter_kubernetes_metrics(const struct filter *f,
	    struct kube_metrics *out);
/* Its worker (NULL: no API server), for tests to fill its caches. */
struct kube_worker *filter_kubernetes_worker(struct filter *f);

#endif
