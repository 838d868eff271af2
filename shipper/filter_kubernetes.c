/*
 * filter_kubernetes.c — `@type kubernetes_metadata`: pod, namespace and
 * container metadata from the Kubernetes API, as
 * fluent-plugin-kubernetes_metadata_filter writes it.
 *
 * The names come from the tag, as the plugin takes them
 * (tag_to_kubernetes_name_regexp), or, because DESIGN.md's sources use a
 * fixed tag, from the file the batch was read from: its path in the tag's
 * form (var.log.containers.<pod>_<ns>_<container>-<id>.log), else its
 * base name. The pod's UID comes from where the kubelet's symlink points
 * (/var/log/pods/<ns>_<pod>_<uid>/...), so the cache is keyed by UID: a
 * StatefulSet's spire-server-0 comes back as a new pod with new labels.
 * All of that is resolved once per file, not per record.
 *
 * The API is asked by kube_worker's threads; a record never waits longer
 * than min(open_timeout, 250 ms), and only the first of a pod does. A
 * record whose metadata is not there yet goes on with the names from its
 * file and is counted; later records get the metadata when it arrives.
 * Records whose names do not parse pass through untouched, counted.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filter_kubernetes.h"
#include "http.h"
#include "kube.h"
#include "kube_worker.h"
#include "libcurl.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "plugin.h"
#include "regex.h"
#include "tail.h"

#define KUBE_WAIT_MAX_MS	250	/* what a record may wait, at most */
#define KUBE_NOT_FOUND_MAX_MS	300000	/* a 404 is believed this long */
#define KUBE_SOURCES_MAX	1024	/* files resolved; then forgotten */

#define REGEX_VAR_LOG_PODS "(var\\.log\\.pods)\\.(?<namespace>[^_]+)_" \
	"(?<pod_name>[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*" \
	"[a-z0-9])?)*)_(?<pod_uuid>[a-z0-9-]*)\\.(?<container_name>.+)\\." \
	".*\\.log$"
#define REGEX_VAR_LOG_CONTAINERS "(var\\.log\\.containers)\\.(?<pod_name>" \
	"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)_" \
	"(?<namespace>[^_]+)_(?<container_name>.+)-(?<docker_id>[a-z0-9]{64})" \
	"\\.log$"

struct kube_cfg {
	char		*kubernetes_url;
	char		*api_version;
	char		*ca_file;
	bool		 verify_ssl;
	char		*client_cert;
	char		*client_key;
	char		*bearer_token_file;
	char		*secret_dir;
	double		 open_timeout;
	double		 read_timeout;
	bool		 ssl_partial_chain;
	char		*name_regexp;
	long long	 cache_size;
	long long	 cache_ttl;
	bool		 watch;
	long long	 watch_retry_interval;
	long long	 watch_retry_base;
	long long	 watch_retry_max_times;
	bool		 de_dot;
	char		*de_dot_separator;
	char		**annotation_match;
	bool		 allow_orphans;
	char		*orphaned_namespace_name;
	char		*orphaned_namespace_id;
	bool		 skip_labels;
	bool		 skip_pod_labels;
	bool		 skip_namespace_labels;
	bool		 skip_container_metadata;
	bool		 skip_master_url;
	bool		 skip_namespace_metadata;
	bool		 include_ownerrefs;
	bool		 use_journal;
	char		*container_name_regexp;
	bool		 lookup_from_k8s_field;
	long long	 stats_interval;
};

#define K(field)	offsetof(struct kube_cfg, field)
static const struct param_def kube_params[] = {
	{ .name = "kubernetes_url", .type = PARAM_STRING,
	  .offset = K(kubernetes_url), .help = "the API server; unset: "
	  "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api, "
	  "else no API (names from the file only)" },
	{ .name = "apiVersion", .type = PARAM_STRING, .def = "v1",
	  .offset = K(api_version), .help = "API version, after /api" },
	{ .name = "ca_file", .type = PARAM_STRING, .offset = K(ca_file),
	  .help = "CA certificate of the API server; unset: secret_dir's "
	  "ca.crt if present, else the system's" },
	{ .name = "verify_ssl", .type = PARAM_BOOL, .def = "true",
	  .offset = K(verify_ssl), .help = "verify the API server's "
	  "certificate and name" },
	{ .name = "client_cert", .type = PARAM_STRING,
	  .offset = K(client_cert), .help = "client certificate (PEM)" },
	{ .name = "client_key", .type = PARAM_STRING, .offset = K(client_key),
	  .help = "client certificate's key (PEM)" },
	{ .name = "bearer_token_file", .type = PARAM_STRING,
	  .offset = K(bearer_token_file), .help = "file with the bearer "
	  "token, read again when it changes and after a 401; unset: "
	  "secret_dir's token if present" },
	{ .name = "secret_dir", .type = PARAM_STRING,
	  .def = "/var/run/secrets/kubernetes.io/serviceaccount",
	  .offset = K(secret_dir), .help = "the service account's ca.crt "
	  "and token" },
	{ .name = "open_timeout", .type = PARAM_TIME, .def = "3",
	  .offset = K(open_timeout), .help = "connecting to the API server; "
	  "a record waits at most min(this, 0.25 s) for its pod" },
	{ .name = "read_timeout", .type = PARAM_TIME, .def = "10",
	  .offset = K(read_timeout), .help = "an API answer, after "
	  "connecting" },
	{ .name = "ssl_partial_chain", .type = PARAM_BOOL, .def = "false",
	  .offset = K(ssl_partial_chain), .help = "trust an intermediate CA "
	  "in ca_file without its root" },
	{ .name = "tag_to_kubernetes_name_regexp", .type = PARAM_STRING,
	  .def = "(" REGEX_VAR_LOG_PODS "|" REGEX_VAR_LOG_CONTAINERS ")",
	  .offset = K(name_regexp), .help = "named groups pod_name, "
	  "namespace, container_name (docker_id, pod_uuid), matched "
	  "against the tag, else the file's path in the tag's form, else "
	  "var.log.containers.<its base name>" },
	{ .name = "cache_size", .type = PARAM_INT, .def = "1000",
	  .offset = K(cache_size), .help = "pods (and namespaces) cached, "
	  "least recently used out first" },
	{ .name = "cache_ttl", .type = PARAM_INT, .def = "3600",
	  .offset = K(cache_ttl), .help = "seconds before a cached pod is "
	  "asked for again (still used meanwhile); negative: never" },
	{ .name = "watch", .type = PARAM_BOOL, .def = "true",
	  .offset = K(watch), .help = "list and watch the pods of this node "
	  "($K8S_NODE_NAME) and all namespaces" },
	{ .name = "watch_retry_interval", .type = PARAM_INT, .def = "1",
	  .offset = K(watch_retry_interval), .help = "seconds before a "
	  "failed watch is tried again" },
	{ .name = "watch_retry_exponential_backoff_base", .type = PARAM_INT,
	  .def = "2", .offset = K(watch_retry_base), .help = "the interval "
	  "grows by this per failure in a row (at most 30 s)" },
	{ .name = "watch_retry_max_times", .type = PARAM_INT, .def = "10",
	  .offset = K(watch_retry_max_times), .help = "failures that grow "
	  "the interval; the watch is retried forever" },
	{ .name = "de_dot", .type = PARAM_BOOL, .def = "true",
	  .offset = K(de_dot), .help = "replace dots in label and "
	  "annotation keys" },
	{ .name = "de_dot_separator", .type = PARAM_STRING, .def = "_",
	  .offset = K(de_dot_separator), .help = "what replaces them (no "
	  "dot)" },
	{ .name = "annotation_match", .type = PARAM_ARRAY,
	  .offset = K(annotation_match), .help = "regexps: annotations "
	  "whose key matches one are written (default: none)" },
	{ .name = "allow_orphans", .type = PARAM_BOOL, .def = "true",
	  .offset = K(allow_orphans), .help = "a pod and namespace the API "
	  "does not know get orphaned_namespace_name/_id" },
	{ .name = "orphaned_namespace_name", .type = PARAM_STRING,
	  .def = ".orphaned", .offset = K(orphaned_namespace_name),
	  .help = "namespace_name of orphans" },
	{ .name = "orphaned_namespace_id", .type = PARAM_STRING,
	  .def = "orphaned", .offset = K(orphaned_namespace_id),
	  .help = "namespace_id of orphans" },
	{ .name = "skip_labels", .type = PARAM_BOOL, .def = "false",
	  .offset = K(skip_labels), .help = "no labels, no namespace_labels" },
	{ .name = "skip_pod_labels", .type = PARAM_BOOL, .def = "false",
	  .offset = K(skip_pod_labels), .help = "no labels" },
	{ .name = "skip_namespace_labels", .type = PARAM_BOOL, .def = "false",
	  .offset = K(skip_namespace_labels), .help = "no namespace_labels" },
	{ .name = "skip_container_metadata", .type = PARAM_BOOL,
	  .def = "false", .offset = K(skip_container_metadata),
	  .help = "no container_image, container_image_id" },
	{ .name = "skip_master_url", .type = PARAM_BOOL, .def = "false",
	  .offset = K(skip_master_url), .help = "no master_url" },
	{ .name = "skip_namespace_metadata", .type = PARAM_BOOL,
	  .def = "false", .offset = K(skip_namespace_metadata),
	  .help = "no namespace lookups: no namespace_id, _labels, "
	  "_annotations" },
	{ .name = "include_ownerrefs_metadata", .type = PARAM_BOOL,
	  .def = "false", .offset = K(include_ownerrefs),
	  .help = "ownerrefs: [{kind, name}] of the pod" },
	{ .name = "use_journal", .type = PARAM_BOOL, .def = "false",
	  .flags = PARAM_NOOP, .offset = K(use_journal),
	  .help = "journald records are not read by the shipper" },
	{ .name = "container_name_to_kubernetes_regexp", .type = PARAM_STRING,
	  .flags = PARAM_NOOP, .offset = K(container_name_regexp),
	  .help = "for journald records; not read by the shipper" },
	{ .name = "lookup_from_k8s_field", .type = PARAM_BOOL, .def = "true",
	  .flags = PARAM_NOOP, .offset = K(lookup_from_k8s_field),
	  .help = "names come from the tag or the file only" },
	{ .name = "stats_interval", .type = PARAM_INT, .def = "30",
	  .flags = PARAM_NOOP, .offset = K(stats_interval),
	  .help = "the counters are metrics, and logged at stop" },
	PARAMS_END
};
#undef K

/* What a tag and a file name, resolved once; the strings in `names`. */
struct kube_source {
	char		*tag;
	char		*path;		/* "" when the batch names no file */
	size_t		 taglen;
	size_t		 pathlen;
	bool		 parsed;
	char		*names;
	size_t		 nameslen;
	struct kube_str	 pod, ns, container, docker_id, uid, key;
	struct kube_query q;
};

struct kube_priv {
	struct kube_metrics m;
	struct regex	*name_re;
	struct regex	**ann_re;
	size_t		 nann;
	pthread_mutex_t	 ann_mu;	/* a regex's match data is shared */
	char		*url;		/* the effective kubernetes_url */
	char		*api_base;
	char		*ca_file;
	char		*token_file;
	const char	*node_name;
	struct kube_worker *worker;	/* NULL: no API server */
	bool		 started;
	uint64_t	 wait_ms;
	struct kube_source **srcs;	/* the files seen */
	size_t		 nsrcs;
	size_t		 capsrcs;
	struct kube_source *last;
};

/* --- names from the tag or the file -------------------------------------- */

struct captures {
	const char	*v[5];
	size_t		 len[5];
};

static const char *const capture_names[5] = {
	"pod_name", "namespace", "container_name", "docker_id", "pod_uuid",
};
enum { CAP_POD, CAP_NS, CAP_CONTAINER, CAP_DOCKER_ID, CAP_UID };

static void
on_capture(void *arg, const char *name, size_t nlen, const char *val,
    size_t vlen)
{
	struct captures	*c = arg;
	unsigned	 i;

	for (i = 0; i < 5; i++)
		if (strlen(capture_names[i]) == nlen &&
		    memcmp(capture_names[i], name, nlen) == 0 && vlen > 0) {
			c->v[i] = val;
			c->len[i] = vlen;
		}
}

static bool
names_match(const struct kube_priv *kp, const char *s, struct captures *c)
{
	memset(c, 0, sizeof *c);
	return regex_captures(kp->name_re, s, strlen(s), on_capture, c) &&
	    c->v[CAP_POD] != NULL && c->v[CAP_NS] != NULL;
}

/* The UID where the kubelet's symlink points (or in the path itself). */
static bool
uid_from_link(const char *path, const struct captures *c, struct strbuf *sb,
    struct kube_str *uid)
{
	char			 target[PATH_MAX];
	ssize_t			 n = readlink(path, target, sizeof target - 1);
	struct kube_pod_path	 pp;
	const char		*p = target;

	if (n < 0) {
		p = path;
		n = (ssize_t)strlen(path);
	} else
		target[n] = '\0';
	if (!kube_pod_path_parse(p, (size_t)n, &pp) ||
	    pp.nslen != c->len[CAP_NS] || memcmp(pp.ns, c->v[CAP_NS],
	    pp.nslen) != 0 || pp.podlen != c->len[CAP_POD] ||
	    memcmp(pp.pod, c->v[CAP_POD], pp.podlen) != 0)
		return false;
	uid->off = (uint32_t)sb->len;
	uid->len = (uint32_t)pp.uidlen;
	sb_add(sb, pp.uid, pp.uidlen);
	return true;
}

/* A name (len 0: the group took no part) into the source's names. */
static struct kube_str
names_put(struct strbuf *sb, const char *s, size_t len)
{
	struct kube_str	 r = { (uint32_t)sb->len, (uint32_t)len };

	if (len > 0)
		sb_add(sb, s, len);
	return r;
}

static void
source_names(struct kube_source *src, const struct captures *c)
{
	struct strbuf	 sb = STRBUF_INIT;

	src->pod = names_put(&sb, c->v[CAP_POD], c->len[CAP_POD]);
	src->ns = names_put(&sb, c->v[CAP_NS], c->len[CAP_NS]);
	src->container = names_put(&sb, c->v[CAP_CONTAINER],
	    c->len[CAP_CONTAINER]);
	src->docker_id = names_put(&sb, c->v[CAP_DOCKER_ID],
	    c->len[CAP_DOCKER_ID]);
	if (c->v[CAP_UID] != NULL)
		src->uid = names_put(&sb, c->v[CAP_UID], c->len[CAP_UID]);
	else if (src->path[0] == '\0' || !uid_from_link(src->path, c, &sb,
	    &src->uid))
		src->uid.len = 0;
	if (src->uid.len > 0)
		src->key = src->uid;
	else {
		src->key.off = (uint32_t)sb.len;
		sb_addf(&sb, "%.*s/%.*s", (int)c->len[CAP_NS], c->v[CAP_NS],
		    (int)c->len[CAP_POD], c->v[CAP_POD]);
		src->key.len = (uint32_t)(sb.len - src->key.off);
	}
	src->nameslen = sb.len;
	src->names = sb_take(&sb);
}

static void
source_query(struct kube_source *src)
{
	const char	*n = src->names;

	src->q.key = n + src->key.off;
	src->q.klen = src->key.len;
	src->q.uid = n + src->uid.off;
	src->q.uidlen = src->uid.len;
	src->q.ns = n + src->ns.off;
	src->q.nslen = src->ns.len;
	src->q.pod = n + src->pod.off;
	src->q.podlen = src->pod.len;
}

/* The tag; else the path in the tag's form; else the kubelet's name. */
static struct kube_source *
source_resolve(const struct kube_priv *kp, const char *tag, const char *path)
{
	struct kube_source	*src = xcalloc(1, sizeof *src);
	struct captures		 c;
	char			*form = NULL, *base = NULL;
	const char		*slash = strrchr(path, '/');

	src->tag = xstrdup(tag);
	src->path = xstrdup(path);
	src->taglen = strlen(tag);
	src->pathlen = strlen(path);
	if (!(src->parsed = names_match(kp, tag, &c)) && path[0] != '\0') {
		form = tail_expand_tag("*", path);
		if (!(src->parsed = names_match(kp, form, &c))) {
			char	*rb = rotated_base_name(slash ? slash + 1 :
				    path);

			base = xasprintf("var.log.containers.%s", rb);
			free(rb);
			src->parsed = names_match(kp, base, &c);
		}
	}
	if (src->parsed) {
		source_names(src, &c);
		source_query(src);
	}
	free(form);
	free(base);
	return src;
}

static void
source_free(struct kube_source *src)
{
	if (src == NULL)
		return;
	free(src->tag);
	free(src->path);
	free(src->names);
	free(src);
}

static void
sources_clear(struct kube_priv *kp)
{
	size_t	 i;

	for (i = 0; i < kp->nsrcs; i++)
		source_free(kp->srcs[i]);
	kp->nsrcs = 0;
	kp->last = NULL;
}

static bool
source_is(const struct kube_source *s, const char *tag, size_t taglen,
    const char *path, size_t pathlen)
{
	return s->taglen == taglen && s->pathlen == pathlen &&
	    memcmp(s->path, path, pathlen) == 0 &&
	    memcmp(s->tag, tag, taglen) == 0;
}

/*
 * The batch's tag and file, resolved: the last one at hand (a batch is
 * one file's), the others looked for when the file changes.
 */
static struct kube_source *
source_of(struct kube_priv *kp, const struct batch *b)
{
	const char	*tag = b->tag ? b->tag : "";
	const char	*path = b->source ? b->source : "";
	size_t		 taglen = b->tag ? b->taglen : 0, i;
	size_t		 pathlen = b->source ? b->sourcelen : 0;
	char		*t, *p;

	if (kp->last != NULL && source_is(kp->last, tag, taglen, path,
	    pathlen))
		return kp->last;
	for (i = 0; i < kp->nsrcs; i++)
		if (source_is(kp->srcs[i], tag, taglen, path, pathlen))
			return kp->last = kp->srcs[i];
	if (kp->nsrcs == KUBE_SOURCES_MAX)
		sources_clear(kp);
	kp->srcs = xgrow(kp->srcs, &kp->capsrcs, kp->nsrcs + 1,
	    sizeof *kp->srcs);
	t = xstrndup(tag, taglen);
	p = xstrndup(path, pathlen);
	kp->last = kp->srcs[kp->nsrcs++] = source_resolve(kp, t, p);
	free(t);
	free(p);
	return kp->last;
}

/* --- the fields ---------------------------------------------------------- */

/* One record's copy of the names and the metadata, in its batch. */
struct copy {
	const char	*names;
	const char	*pod;
	const char	*ns;
};

struct build {
	struct filter		*f;
	struct batch		*b;
	struct record		*r;
	const struct kube_source *src;
};

static void
add_str(struct batch *b, const char *key, const char *base,
    struct kube_str s)
{
	if (s.len > 0)
		batch_add(b, key, strlen(key), base + s.off, s.len, VAL_STRING);
}

static void
add_cstr(struct batch *b, const char *key, const char *s)
{
	batch_add(b, key, strlen(key), s, strlen(s), VAL_STRING);
}

static void
add_map(struct batch *b, const char *key, const char *base,
    const struct kube_kv *kv, uint32_t n)
{
	size_t		 obj;
	uint32_t	 i;

	if (n == 0)
		return;
	obj = batch_add_object(b, key, strlen(key));
	for (i = 0; i < n; i++)
		batch_add(b, base + kv[i].key.off, kv[i].key.len,
		    base + kv[i].val.off, kv[i].val.len, VAL_STRING);
	batch_end_object(b, obj);
}

static void
add_docker(struct build *bd, const struct copy *cp,
    const struct kube_container *ctr)
{
	size_t	 obj;

	if (bd->src->docker_id.len == 0 && (ctr == NULL || ctr->id.len == 0))
		return;
	obj = batch_add_object(bd->b, FIELD_STR("docker"));
	if (bd->src->docker_id.len > 0)
		add_str(bd->b, "container_id", cp->names, bd->src->docker_id);
	else
		add_str(bd->b, "container_id", cp->pod, ctr->id);
	batch_end_object(bd->b, obj);
}

static void
add_pod(struct build *bd, const struct copy *cp, const struct kube_meta *p,
    const struct kube_container *ctr)
{
	const struct kube_cfg	*cfg = bd->f->cfg;
	struct batch		*b = bd->b;

	if (ctr != NULL && !cfg->skip_container_metadata) {
		add_str(b, "container_image", cp->pod, ctr->image);
		add_str(b, "container_image_id", cp->pod, ctr->image_id);
	}
	add_str(b, "pod_id", cp->pod, p->uid);
	add_str(b, "pod_ip", cp->pod, p->ip);
	add_str(b, "host", cp->pod, p->node);
	add_str(b, "node_name", cp->pod, p->node);
	if (!cfg->skip_labels && !cfg->skip_pod_labels)
		add_map(b, "labels", cp->pod, p->labels, p->nlabels);
	add_map(b, "annotations", cp->pod, p->annotations, p->nannotations);
	if (cfg->include_ownerrefs && p->ownerrefs.len > 0)
		batch_add(b, FIELD_STR("ownerrefs"), cp->pod + p->ownerrefs.off,
		    p->ownerrefs.len, VAL_RAW);
	if (!cfg->skip_master_url)
		add_cstr(b, "master_url", ((struct kube_priv *)bd->f->priv)->url);
}

static void
add_namespace(struct build *bd, const struct copy *cp,
    const struct kube_meta *n)
{
	const struct kube_cfg	*cfg = bd->f->cfg;

	add_str(bd->b, "namespace_id", cp->ns, n->uid);
	if (!cfg->skip_labels && !cfg->skip_namespace_labels)
		add_map(bd->b, "namespace_labels", cp->ns, n->labels, n->nlabels);
	add_map(bd->b, "namespace_annotations", cp->ns, n->annotations,
	    n->nannotations);
}

static bool
orphaned(const struct kube_cfg *cfg, const struct kube_found *f)
{
	return cfg->allow_orphans && f->pod_gone && f->ns_gone;
}

static void
add_kubernetes(struct build *bd, const struct copy *cp,
    const struct kube_container *ctr, const struct kube_found *f)
{
	const struct kube_cfg	*cfg = bd->f->cfg;
	const struct kube_source *src = bd->src;
	struct batch		*b = bd->b;
	size_t			 obj = batch_add_object(b, FIELD_STR("kubernetes"));

	add_str(b, "container_name", cp->names, src->container);
	if (orphaned(cfg, f)) {
		add_cstr(b, "namespace_name", cfg->orphaned_namespace_name);
		add_cstr(b, "namespace_id", cfg->orphaned_namespace_id);
		add_str(b, "orphaned_namespace", cp->names, src->ns);
	} else
		add_str(b, "namespace_name", cp->names, src->ns);
	add_str(b, "pod_name", cp->names, src->pod);
	if (f->pod != NULL)
		add_pod(bd, cp, f->pod, ctr);
	else
		add_str(b, "pod_id", cp->names, src->uid);
	add_str(b, "docker_id", cp->names, src->docker_id);
	if (f->ns != NULL && !orphaned(cfg, f))
		add_namespace(bd, cp, f->ns);
	batch_end_object(b, obj);
}

static const char *
copy_blob(struct batch *b, const struct kube_meta *m)
{
	return m != NULL && m->bloblen > 0 ? batch_copy(b, m->blob,
	    m->bloblen) : NULL;
}

/* Runs under the worker's lock: copies, never waits. */
static void
build_fields(void *arg, const struct kube_found *f)
{
	struct build			*bd = arg;
	struct kube_priv		*kp = bd->f->priv;
	const struct kube_source	*src = bd->src;
	const struct kube_container	*ctr = NULL;
	struct copy			 cp;

	cp.names = batch_copy(bd->b, src->names, src->nameslen);
	cp.pod = copy_blob(bd->b, f->pod);
	cp.ns = copy_blob(bd->b, f->ns);
	if (f->pod != NULL)
		ctr = kube_container_find(f->pod, src->names +
		    src->docker_id.off, src->docker_id.len, src->names +
		    src->container.off, src->container.len);
	if (kp->worker != NULL && ((f->pod == NULL && !f->pod_gone) ||
	    (!((const struct kube_cfg *)bd->f->cfg)->skip_namespace_metadata &&
	    f->ns == NULL && !f->ns_gone)))
		KUBE_COUNT(&kp->m.metadata_missing);
	record_delete(bd->b, bd->r, FIELD_STR("docker"));
	record_delete(bd->b, bd->r, FIELD_STR("kubernetes"));
	add_docker(bd, &cp, ctr);
	add_kubernetes(bd, &cp, ctr, f);
}

static enum filter_verdict
kube_run(struct filter *f, struct batch *b, struct record *r,
    const struct gate *gate)
{
	struct kube_priv	*kp = f->priv;
	struct kube_source	*src = source_of(kp, b);
	struct build		 bd = { f, b, r, src };
	struct kube_found	 none;

	(void)gate;
	if (!src->parsed) {
		KUBE_COUNT(&kp->m.unparsable_names);
		return FILTER_KEEP;
	}
	if (kp->worker != NULL)
		kube_worker_lookup(kp->worker, &src->q, kp->started ?
		    kp->wait_ms : 0, build_fields, &bd);
	else {
		memset(&none, 0, sizeof none);
		build_fields(&bd, &none);
	}
	return FILTER_KEEP;
}

/* --- configuration ------------------------------------------------------- */

/* Called by the API threads, two of which may parse pods at once. */
static bool
keep_annotation(const void *arg, const char *key, size_t len)
{
	struct kube_priv	*kp = (struct kube_priv *)arg;
	size_t			 i;
	bool			 keep = false;

	pthread_mutex_lock(&kp->ann_mu);
	for (i = 0; i < kp->nann && !keep; i++)
		keep = regex_match(kp->ann_re[i], key, len);
	pthread_mutex_unlock(&kp->ann_mu);
	return keep;
}

/* Prefixes e with where the parameter name is (or the filter). */
static int
param_error(struct filter *f, struct conf_elem *el, const char *name,
    struct err *e)
{
	const struct conf_param	*p = conf_param_get(el, name);

	return err_wrap(e, "%s:%d: <filter %s> @type kubernetes_metadata %s",
	    p ? p->file : f->file, p ? p->line : f->line, f->pattern, name);
}

static int
bad_value(struct filter *f, struct conf_elem *el, const char *name,
    struct err *e, const char *why)
{
	err_set(e, "%s", why);
	return param_error(f, el, name, e);
}

static int
compile_regexps(struct filter *f, struct conf_elem *el, struct err *e)
{
	const struct kube_cfg	*cfg = f->cfg;
	struct kube_priv	*kp = f->priv;
	size_t			 i;

	/* Ruby's: a name may stand for several groups (REGEX_RUBY). */
	kp->name_re = regex_compile(cfg->name_regexp, REGEX_RUBY, e);
	if (kp->name_re == NULL)
		return param_error(f, el, "tag_to_kubernetes_name_regexp", e);
	for (i = 0; cfg->annotation_match && cfg->annotation_match[i]; i++) {
		kp->ann_re = xrealloc(kp->ann_re, (i + 1) * sizeof *kp->ann_re);
		if ((kp->ann_re[i] = regex_compile(cfg->annotation_match[i],
		    REGEX_RUBY, e)) == NULL)
			return param_error(f, el, "annotation_match", e);
		kp->nann = i + 1;
	}
	return 0;
}

static int
check_values(struct filter *f, struct conf_elem *el, struct err *e)
{
	const struct kube_cfg	*cfg = f->cfg;

	if (cfg->de_dot && strchr(cfg->de_dot_separator, '.') != NULL)
		return bad_value(f, el, "de_dot_separator", e, "must not "
		    "contain a dot; use another separator, e.g. _");
	if (cfg->cache_size < 1)
		return bad_value(f, el, "cache_size", e, "must be at least 1");
	if (cfg->open_timeout <= 0)
		return bad_value(f, el, "open_timeout", e, "must be more "
		    "than 0");
	if (cfg->read_timeout <= 0)
		return bad_value(f, el, "read_timeout", e, "must be more "
		    "than 0");
	if (cfg->watch_retry_interval < 0)
		return bad_value(f, el, "watch_retry_interval", e, "must not "
		    "be negative");
	if (cfg->watch_retry_base < 1)
		return bad_value(f, el, "watch_retry_exponential_backoff_base",
		    e, "must be at least 1");
	if (cfg->kubernetes_url != NULL &&
	    http_url_has_credentials(cfg->kubernetes_url))
		return bad_value(f, el, "kubernetes_url", e, "credentials in "
		    "the URL are not accepted (they would end up in logs and "
		    "in every record's master_url); use bearer_token_file, or "
		    "client_cert and client_key");
	return 0;
}

/* The plugin's: the URL as given, else from the service environment. */
static char *
effective_url(const struct kube_cfg *cfg)
{
	const char	*host = getenv("KUBERNETES_SERVICE_HOST");
	const char	*port = getenv("KUBERNETES_SERVICE_PORT");

	if (cfg->kubernetes_url != NULL && cfg->kubernetes_url[0] != '\0')
		return xstrdup(cfg->kubernetes_url);
	if (host == NULL || host[0] == '\0' || port == NULL || port[0] == '\0')
		return NULL;
	return strchr(host, ':') != NULL ? xasprintf("https://[%s]:%s/api",
	    host, port) : xasprintf("https://%s:%s/api", host, port);
}

/* kubeclient's rule: .../api stays, anything else gets /api; then /v1. */
static char *
api_base(const char *url, const char *version)
{
	size_t	 n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n >= 4 && memcmp(url + n - 4, "/api", 4) == 0)
		return xasprintf("%.*s/%s", (int)n, url, version);
	return xasprintf("%.*s/api/%s", (int)n, url, version);
}

/* The option if given, else secret_dir's file if it exists. */
static char *
secret_file(const char *given, const char *dir, const char *name)
{
	struct stat	 st;
	char		*p;

	if (given != NULL && given[0] != '\0')
		return xstrdup(given);
	if (dir == NULL || dir[0] == '\0')
		return NULL;
	p = xasprintf("%s/%s", dir, name);
	if (stat(p, &st) == 0)
		return p;
	free(p);
	return NULL;
}

static struct kube_worker *
worker_new(struct filter *f)
{
	const struct kube_cfg	*cfg = f->cfg;
	struct kube_priv	*kp = f->priv;
	struct kube_worker_cfg	 wc;

	memset(&wc, 0, sizeof wc);
	wc.client.base = kp->api_base;
	wc.client.ca_file = kp->ca_file;
	wc.client.client_cert = cfg->client_cert;
	wc.client.client_key = cfg->client_key;
	wc.client.token_file = kp->token_file;
	wc.client.verify_ssl = cfg->verify_ssl;
	wc.client.partial_chain = cfg->ssl_partial_chain;
	wc.client.open_timeout_ms = (long)(cfg->open_timeout * 1000);
	wc.client.read_timeout_ms = (long)(cfg->read_timeout * 1000);
	wc.cache_size = (size_t)cfg->cache_size;
	wc.ttl_ms = cfg->cache_ttl > 0 ? (uint64_t)cfg->cache_ttl * 1000 : 0;
	wc.not_found_ttl_ms = wc.ttl_ms > 0 && wc.ttl_ms <
	    KUBE_NOT_FOUND_MAX_MS ? wc.ttl_ms : KUBE_NOT_FOUND_MAX_MS;
	wc.watch = cfg->watch;
	wc.namespaces = !cfg->skip_namespace_metadata;
	wc.node_name = kp->node_name;
	wc.watch_retry_ms = (uint64_t)cfg->watch_retry_interval * 1000;
	wc.watch_retry_base = (unsigned)cfg->watch_retry_base;
	wc.watch_retry_max_times = (unsigned)cfg->watch_retry_max_times;
	wc.parse.de_dot_sep = cfg->de_dot ? cfg->de_dot_separator : NULL;
	wc.parse.keep_annotation = keep_annotation;
	wc.parse.arg = kp;
	wc.metrics = &kp->m;
	return kube_worker_new(&wc);
}

static int
kube_init(struct filter *f, struct conf_elem *el, struct err *e)
{
	const struct kube_cfg	*cfg = f->cfg;
	struct kube_priv	*kp = xcalloc(1, sizeof *kp);
	const char		*node = getenv("K8S_NODE_NAME");
	uint64_t		 open_ms = (uint64_t)(cfg->open_timeout * 1000);

	f->priv = kp;
	pthread_mutex_init(&kp->ann_mu, NULL);
	if (check_values(f, el, e) != 0 || compile_regexps(f, el, e) != 0)
		return -1;
	kp->wait_ms = open_ms < KUBE_WAIT_MAX_MS ? open_ms : KUBE_WAIT_MAX_MS;
	kp->node_name = node != NULL && node[0] != '\0' ? node : NULL;
	if ((kp->url = effective_url(cfg)) == NULL)
		return 0;
	/* At init, not start: a missing libcurl fails --dry-run too. */
	if (libcurl_load(e) != 0)
		return err_wrap(e, "%s:%d: kubernetes_metadata", f->file,
		    f->line);
	kp->api_base = api_base(kp->url, cfg->api_version);
	kp->ca_file = secret_file(cfg->ca_file, cfg->secret_dir, "ca.crt");
	kp->token_file = secret_file(cfg->bearer_token_file, cfg->secret_dir,
	    "token");
	kp->worker = worker_new(f);
	return 0;
}

/* A thread that stopped making progress is for a restart; an API server
 * that is down or refuses is not (the threads go round, backing off). */
static bool
kube_live(void *arg, struct strbuf *why)
{
	struct filter		*f = arg;
	struct kube_priv	*kp = f->priv;
	char			 stuck[512];

	if (kube_worker_live(kp->worker, stuck, sizeof stuck))
		return true;
	sb_addf(why, "<filter %s> @type kubernetes_metadata at %s:%d: %s",
	    f->pattern, f->file, f->line, stuck);
	return false;
}

static int
kube_start(struct filter *f, struct loop *l, struct err *e)
{
	struct kube_priv	*kp = f->priv;

	(void)l;
	if (kp->worker == NULL) {
		log_warn("%s:%d: kubernetes_metadata: no kubernetes_url and no "
		    "KUBERNETES_SERVICE_HOST/_PORT: records get only the names "
		    "from their file", f->file, f->line);
		return 0;
	}
	if (((const struct kube_cfg *)f->cfg)->watch && kp->node_name == NULL)
		log_warn("%s:%d: kubernetes_metadata: K8S_NODE_NAME is not set, "
		    "so the watch lists every pod of the cluster; set it from "
		    "spec.nodeName (the fieldRef in deploy/)", f->file, f->line);
	if (kube_worker_start(kp->worker, e) != 0)
		return err_wrap(e, "%s:%d", f->file, f->line);
	kp->started = true;
	health_register(HEALTH_LIVE, "kubernetes_metadata", kube_live, f);
	return 0;
}

/* "ok 8, unauthorized 2" for the classes that occurred. */
static void
requests_describe(const struct kube_metrics *m, struct strbuf *sb)
{
	int	 i;

	for (i = 0; i < KUBE_REQ_NCLASSES; i++)
		if (m->requests[i] > 0)
			sb_addf(sb, "%s%s %llu", sb->len ? ", " : "",
			    kube_req_class_name((enum kube_req_class)i),
			    (unsigned long long)m->requests[i]);
	if (sb->len == 0)
		sb_adds(sb, "none");
}

static void
kube_stop(struct filter *f)
{
	struct kube_priv	*kp = f->priv;
	struct kube_metrics	 m;
	struct strbuf		 req = STRBUF_INIT;

	if (kp->worker == NULL || !kp->started)
		return;
	metrics_unregister(f);
	kube_worker_stop(kp->worker);
	kp->started = false;
	filter_kubernetes_metrics(f, &m);
	requests_describe(&m, &req);
	log_info("kubernetes_metadata: API requests: %s (%llu pod and %llu "
	    "namespace lookups); cache %llu hits, %llu misses; %llu watch "
	    "restarts, %llu records without metadata, %llu with unparsable "
	    "names", sb_cstr(&req), (unsigned long long)m.pod_requests,
	    (unsigned long long)m.namespace_requests,
	    (unsigned long long)m.cache_hits,
	    (unsigned long long)m.cache_misses,
	    (unsigned long long)m.watch_restarts,
	    (unsigned long long)m.metadata_missing,
	    (unsigned long long)m.unparsable_names);
	sb_free(&req);
}

static void
kube_destroy(struct filter *f)
{
	struct kube_priv	*kp = f->priv;
	size_t			 i;

	if (kp == NULL)
		return;
	kube_stop(f);
	kube_worker_free(kp->worker);
	sources_clear(kp);
	free(kp->srcs);
	regex_free(kp->name_re);
	for (i = 0; i < kp->nann; i++)
		regex_free(kp->ann_re[i]);
	free(kp->ann_re);
	pthread_mutex_destroy(&kp->ann_mu);
	free(kp->url);
	free(kp->api_base);
	free(kp->ca_file);
	free(kp->token_file);
	free(kp);
}

static void
kube_check(const struct filter *f, warn_fn warn, void *arg)
{
	const struct kube_priv	*kp = f->priv;

	if (kp->url == NULL)
		warn(arg, f->file, f->line, "kubernetes_metadata: no "
		    "kubernetes_url, and KUBERNETES_SERVICE_HOST/_PORT are not "
		    "set: records get only the names from their file");
	if (!((const struct kube_cfg *)f->cfg)->verify_ssl)
		warn(arg, f->file, f->line, "kubernetes_metadata: verify_ssl "
		    "false: the API server's certificate is not checked, so "
		    "anyone on the path can serve metadata and take the bearer "
		    "token");
}

void
filter_kubernetes_metrics(const struct filter *f, struct kube_metrics *out)
{
	const struct kube_priv	*kp = f->priv;
	const uint64_t		*src = (const uint64_t *)&kp->m;
	uint64_t		*dst = (uint64_t *)out;
	size_t			 i;

	for (i = 0; i < sizeof *out / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

struct kube_worker *
filter_kubernetes_worker(struct filter *f)
{
	return ((struct kube_priv *)f->priv)->worker;
}

const struct filter_ops filter_kubernetes_metadata = {
	.name = "kubernetes_metadata",
	.help = "pod, namespace and container metadata from the Kubernetes "
	    "API (fluent-plugin-kubernetes_metadata_filter's fields), cached, "
	    "never blocking",
	.params = kube_params,
	.cfg_size = sizeof(struct kube_cfg),
	.init = kube_init,
	.run = kube_run,
	.start = kube_start,
	.stop = kube_stop,
	.destroy = kube_destroy,
	.check = kube_check,
};
