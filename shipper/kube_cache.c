/*
 * kube_cache.c — an LRU with a TTL (see kube_cache.h).
 *
 * A chained hash table for the lookups and a doubly linked list, newest
 * first, for the order of use; both fixed in size from cache_size.
 */
#include <string.h>

#include "hash.h"
#include "kube_cache.h"
#include "mem.h"

void
kube_cache_init(struct kube_cache *c, size_t cap, uint64_t ttl_ms)
{
	memset(c, 0, sizeof *c);
	c->cap = cap > 0 ? cap : 1;
	c->nbuckets = 16;
	while (c->nbuckets < 2 * c->cap)
		c->nbuckets *= 2;
	c->buckets = xcalloc(c->nbuckets, sizeof *c->buckets);
	c->ttl_ms = ttl_ms;
}

static void
entry_free(struct kube_entry *e)
{
	kube_meta_free(e->meta);
	free(e->key);
	free(e);
}

void
kube_cache_free(struct kube_cache *c)
{
	struct kube_entry	*e, *next;

	for (e = c->newest; e != NULL; e = next) {
		next = e->older;
		entry_free(e);
	}
	free(c->buckets);
	memset(c, 0, sizeof *c);
}

static struct kube_entry **
bucket(struct kube_cache *c, const char *key, size_t klen)
{
	return &c->buckets[fnv1a(key, klen) & (c->nbuckets - 1)];
}

static void
lru_unlink(struct kube_cache *c, struct kube_entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void
lru_push(struct kube_cache *c, struct kube_entry *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest != NULL)
		c->newest->newer = e;
	c->newest = e;
	if (c->oldest == NULL)
		c->oldest = e;
}

void
kube_cache_remove(struct kube_cache *c, struct kube_entry *e)
{
	struct kube_entry	**pp = bucket(c, e->key, e->klen);

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(c, e);
	c->n--;
	entry_free(e);
}

struct kube_entry *
kube_cache_get(struct kube_cache *c, const char *key, size_t klen,
    uint64_t now)
{
	struct kube_entry	*e;

	for (e = *bucket(c, key, klen); e != NULL; e = e->hnext)
		if (e->klen == klen && memcmp(e->key, key, klen) == 0)
			break;
	if (e == NULL)
		return NULL;
	if (e->state == KUBE_NOT_FOUND && e->expires <= now) {
		kube_cache_remove(c, e);
		return NULL;
	}
	if (c->newest != e) {
		lru_unlink(c, e);
		lru_push(c, e);
	}
	return e;
}

struct kube_entry *
kube_cache_add(struct kube_cache *c, const char *key, size_t klen,
    uint64_t now)
{
	struct kube_entry	*e = kube_cache_get(c, key, klen, now);
	struct kube_entry	**b;

	if (e != NULL)
		return e;
	if (c->n >= c->cap) {
		kube_cache_remove(c, c->oldest);
		c->evictions++;
	}
	e = xcalloc(1, sizeof *e);
	e->key = xstrndup(key, klen);
	e->klen = klen;
	e->state = KUBE_PENDING;
	b = bucket(c, key, klen);
	e->hnext = *b;
	*b = e;
	lru_push(c, e);
	c->n++;
	return e;
}

void
kube_cache_found(struct kube_cache *c, struct kube_entry *e,
    struct kube_meta *meta, uint64_t now)
{
	if (e->meta != meta)
		kube_meta_free(e->meta);
	e->meta = meta;
	e->state = KUBE_FOUND;
	e->failures = 0;
	e->expires = c->ttl_ms ? now + c->ttl_ms : UINT64_MAX;
}

void
kube_cache_not_found(struct kube_entry *e, uint64_t now, uint64_t ttl_ms)
{
	kube_meta_free(e->meta);
	e->meta = NULL;
	e->state = KUBE_NOT_FOUND;
	e->failures = 0;
	e->expires = now + ttl_ms;
}

void
kube_cache_failed(struct kube_entry *e, uint64_t now)
{
	uint64_t	 wait = KUBE_RETRY_MIN_MS;
	unsigned	 i;

	for (i = 1; i < e->failures + 1 && wait < KUBE_RETRY_MAX_MS; i++)
		wait *= 2;
	e->failures++;
	e->state = KUBE_FAILED;
	e->retry_at = now + (wait < KUBE_RETRY_MAX_MS ? wait :
	    KUBE_RETRY_MAX_MS);
}

bool
kube_entry_stale(const struct kube_entry *e, uint64_t now)
{
	return e->meta != NULL && e->expires <= now;
}

bool
kube_entry_due(const struct kube_entry *e, uint64_t now)
{
	if (e == NULL)
		return true;
	if (e->queued || e->await_list)
		return false;
	switch (e->state) {
	case KUBE_FOUND:
		return kube_entry_stale(e, now);
	case KUBE_FAILED:
		return e->retry_at <= now;
	case KUBE_NOT_FOUND:
		return false;
	case KUBE_PENDING:
		return true;	/* nobody is asking for it */
	}
	return false;
}

void
kube_cache_each(struct kube_cache *c,
    void (*fn)(void *arg, struct kube_entry *e), void *arg)
{
	struct kube_entry	*e, *next;

	for (e = c->newest; e != NULL; e = next) {
		next = e->older;
		fn(arg, e);
	}
}
