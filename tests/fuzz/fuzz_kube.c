/*
 * fuzz_kube.c — the Kubernetes Pod and Namespace JSON reader, and the
 * kubelet's log paths.
 *
 * The input is read as a Pod (de_dot on, every annotation kept), a
 * Namespace (no options), a PodList, a watch event and a log path.
 * Checks on each object: every string lies in the blob, which ends in a
 * NUL; the arrays lie in the one allocation; de_dot left no dot in a
 * key; ownerrefs is JSON; a copy is equal; every container is found by
 * its id and its name. A path's names lie in the path.
 */
#include "fuzz.h"

#include "kube.h"

static bool
keep_all(const void *arg, const char *key, size_t len)
{
	(void)arg;
	(void)key;
	return len > 0;
}

static struct kube_parse_opts dedot = { "_", keep_all, NULL };
static const struct kube_parse_opts plain = { NULL, NULL, NULL };

static void
check_str(const struct kube_meta *m, struct kube_str s)
{
	FUZZ_ASSERT(s.off <= m->bloblen && s.len <= m->bloblen - s.off);
}

static void
check_kvs(const struct kube_meta *m, const struct kube_kv *v, uint32_t n,
    bool dots)
{
	uint32_t	 i;

	FUZZ_ASSERT(n == 0 || fuzz_within(v, n * sizeof *v, m, m->size));
	for (i = 0; i < n; i++) {
		check_str(m, v[i].key);
		check_str(m, v[i].val);
		FUZZ_ASSERT(dots || memchr(kube_s(m, v[i].key), '.',
		    v[i].key.len) == NULL);
	}
}

static void
check_meta(const struct kube_meta *m, const struct kube_parse_opts *o)
{
	const struct kube_container	*c;
	struct kube_meta		*d;
	uint32_t			 i;

	FUZZ_ASSERT(fuzz_within(m->blob, (size_t)m->bloblen + 1, m, m->size));
	FUZZ_ASSERT(m->blob[m->bloblen] == '\0');
	check_str(m, m->uid);
	check_str(m, m->name);
	check_str(m, m->ns);
	check_str(m, m->node);
	check_str(m, m->ip);
	check_str(m, m->rv);
	check_str(m, m->ownerrefs);
	FUZZ_ASSERT(m->ownerrefs.len == 0 ||
	    fuzz_is_json(kube_s(m, m->ownerrefs), m->ownerrefs.len, 1));
	check_kvs(m, m->labels, m->nlabels, o->de_dot_sep == NULL);
	check_kvs(m, m->annotations, m->nannotations, o->de_dot_sep == NULL);
	FUZZ_ASSERT(o->keep_annotation != NULL || m->nannotations == 0);
	FUZZ_ASSERT(m->ncontainers == 0 || fuzz_within(m->containers,
	    m->ncontainers * sizeof *m->containers, m, m->size));
	for (i = 0; i < m->ncontainers; i++) {
		c = &m->containers[i];
		check_str(m, c->name);
		check_str(m, c->image);
		check_str(m, c->image_id);
		check_str(m, c->id);
		if (c->id.len > 0) {
			c = kube_container_find(m, kube_s(m, c->id), c->id.len,
			    NULL, 0);
			FUZZ_ASSERT(c != NULL && kube_str_eq(m, c->id,
			    kube_s(m, m->containers[i].id),
			    m->containers[i].id.len));
		}
		c = &m->containers[i];
		if (c->name.len > 0)
			FUZZ_ASSERT(kube_container_find(m, NULL, 0,
			    kube_s(m, c->name), c->name.len) != NULL);
	}

	d = kube_meta_dup(m);
	FUZZ_ASSERT(d->size == m->size && d->bloblen == m->bloblen &&
	    memcmp(d->blob, m->blob, m->bloblen + 1) == 0);
	FUZZ_ASSERT(d->nlabels == m->nlabels && (m->nlabels == 0 ||
	    memcmp(d->labels, m->labels, m->nlabels * sizeof *m->labels) == 0));
	FUZZ_ASSERT(d->ncontainers == m->ncontainers && (m->ncontainers == 0 ||
	    memcmp(d->containers, m->containers,
	    m->ncontainers * sizeof *m->containers) == 0));
	FUZZ_ASSERT((char *)d->blob - (char *)d == (char *)m->blob - (char *)m);
	kube_meta_free(d);
}

static void
on_item(void *arg, struct kube_meta *m)
{
	check_meta(m, arg);
	kube_meta_free(m);
}

static void
check_path(const char *path, size_t len)
{
	struct kube_pod_path	 pp;

	if (!kube_pod_path_parse(path, len, &pp))
		return;
	FUZZ_ASSERT(pp.nslen > 0 && pp.podlen > 0 && pp.uidlen > 0 &&
	    pp.containerlen > 0);
	FUZZ_ASSERT(fuzz_within(pp.ns, pp.nslen, path, len));
	FUZZ_ASSERT(fuzz_within(pp.pod, pp.podlen, path, len));
	FUZZ_ASSERT(fuzz_within(pp.uid, pp.uidlen, path, len));
	FUZZ_ASSERT(fuzz_within(pp.container, pp.containerlen, path, len));
	FUZZ_ASSERT(memchr(pp.container, '/', pp.containerlen) == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char			*json = fuzz_cstr(data, size);
	struct kube_meta	*m;
	struct kube_event	 ev;
	char			 err[256], rv[64];
	unsigned		 skipped;

	if ((m = kube_meta_parse(json, KUBE_POD, &dedot, err, sizeof err)))
		check_meta(m, &dedot);
	kube_meta_free(m);
	if ((m = kube_meta_parse(json, KUBE_NAMESPACE, &plain, err,
	    sizeof err)))
		check_meta(m, &plain);
	kube_meta_free(m);
	(void)kube_list_parse(json, KUBE_POD, &dedot, on_item,
	    &dedot, rv, sizeof rv, &skipped, err,
	    sizeof err);
	if (kube_event_parse(json, KUBE_POD, &plain, &ev, err, sizeof err)
	    == 0 && ev.obj != NULL) {
		check_meta(ev.obj, &plain);
		kube_meta_free(ev.obj);
	}
	check_path((const char *)data, size);
	free(json);
	return 0;
}
