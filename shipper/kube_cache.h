/*
 * kube_cache.h — Kubernetes metadata by key: the least recently used
 * goes first, entries have a time to live, and a 404 is remembered.
 *
 * An entry is what the filter knows of one pod (by UID) or namespace (by
 * name): found (its metadata), not found (a 404, kept for a while so that
 * a deleted pod's last lines do not ask again and again), failed (no
 * answer; asked again after a backoff) or pending (asked, no answer yet).
 * A found entry past its TTL is stale: still served while a refresh is
 * asked for, so metadata never disappears because it aged.
 *
 * Not thread-safe: the owner locks (kube_worker holds one mutex over both
 * caches and its request queue). Times are passed in, milliseconds of a
 * monotonic clock, so that tests can move them.
 */
#ifndef SHIPPER_KUBE_CACHE_H
#define SHIPPER_KUBE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube.h"

/* A failed lookup is retried after 1 s, doubling, at most 10 s. */
#define KUBE_RETRY_MIN_MS	1000
#define KUBE_RETRY_MAX_MS	10000

enum kube_state {
	KUBE_PENDING,
	KUBE_FOUND,
	KUBE_NOT_FOUND,
	KUBE_FAILED,
};

struct kube_entry {
	char		*key;
	size_t		 klen;
	enum kube_state	 state;
	struct kube_meta *meta;		/* the last found; kept when failing */
	uint64_t	 expires;	/* FOUND: stale, NOT_FOUND: forgotten */
	uint64_t	 retry_at;	/* FAILED */
	unsigned	 failures;	/* in a row */
	bool		 queued;	/* a request for it is queued */
	bool		 waited;	/* a record waited for this request */
	bool		 await_list;	/* the watch's list will answer */
	struct kube_entry *newer;
	struct kube_entry *older;
	struct kube_entry *hnext;
};

struct kube_cache {
	struct kube_entry **buckets;
	size_t		 nbuckets;
	struct kube_entry *newest;
	struct kube_entry *oldest;
	size_t		 n;
	size_t		 cap;
	uint64_t	 ttl_ms;	/* 0: never stale */
	uint64_t	 evictions;
};

void	kube_cache_init(struct kube_cache *c, size_t cap, uint64_t ttl_ms);
void	kube_cache_free(struct kube_cache *c);

/*
 * The entry for key, now the most recently used; NULL if there is none
 * (a not-found entry past its time is forgotten here).
 */
struct kube_entry *kube_cache_get(struct kube_cache *c, const char *key,
	    size_t klen, uint64_t now);
/* The same, adding a pending entry when there is none (which may evict
 * the least recently used). */
struct kube_entry *kube_cache_add(struct kube_cache *c, const char *key,
	    size_t klen, uint64_t now);
void	kube_cache_remove(struct kube_cache *c, struct kube_entry *e);

/* Answers: found takes meta; not found is kept for ttl_ms; failed backs
 * off (KUBE_RETRY_*). */
void	kube_cache_found(struct kube_cache *c, struct kube_entry *e,
	    struct kube_meta *meta, uint64_t now);
void	kube_cache_not_found(struct kube_entry *e, uint64_t now,
	    uint64_t ttl_ms);
void	kube_cache_failed(struct kube_entry *e, uint64_t now);

/* Past its TTL: serve it, but ask again. */
bool	kube_entry_stale(const struct kube_entry *e, uint64_t now);
/* Should a lookup ask the API now? (absent entries are asked for too) */
bool	kube_entry_due(const struct kube_entry *e, uint64_t now);

/* Calls fn on every entry; fn may remove the entry it is given. */
void	kube_cache_each(struct kube_cache *c,
	    void (*fn)(void *arg, struct kube_entry *e), void *arg);

#endif
