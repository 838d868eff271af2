/*
 * kube.c — Kubernetes objects into packed metadata (see kube.h).
 *
 * yajl's tree parser does the JSON: answers are parsed once per pod, not
 * per record, so a tree is simpler than callbacks and costs nothing that
 * matters. The builder collects strings into one blob and then packs the
 * struct, its arrays and the blob into a single allocation.
 */
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "json_tree.h"
#include "jsonenc.h"
#include "kube.h"
#include "mem.h"
#include "strbuf.h"

/* Bigger answers are refused: a blob's offsets are 32 bits. */
#define KUBE_BLOB_MAX	(64u << 20)
/* A Pod nests about 15 deep (managedFields the most): far more is no
 * object of the API's, and would cost a recursion per level. */
#define KUBE_DEPTH_MAX	128

struct kv_list {
	struct kube_kv	*v;
	size_t		 n;
	size_t		 cap;
};

struct builder {
	struct kube_meta m;		/* its strings, not yet its pointers */
	struct strbuf	 blob;
	struct kv_list	 labels;
	struct kv_list	 annotations;
	struct kube_container *ctr;
	size_t		 nctr;
	size_t		 capctr;
};

static void
fail(char *err, size_t errlen, const char *what)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", what);
}

/* --- the tree ------------------------------------------------------------ */

static yajl_val
at(yajl_val v, const char *a, const char *b, yajl_type t)
{
	const char	*path[3] = { a, b, NULL };

	return v == NULL ? NULL : yajl_tree_get(v, path, t);
}

static const char *
str_at(yajl_val v, const char *a, const char *b)
{
	yajl_val	 s = at(v, a, b, yajl_t_string);

	return s != NULL ? YAJL_GET_STRING(s) : NULL;
}

/* --- building ------------------------------------------------------------ */

static struct kube_str
put(struct builder *bd, const char *s, size_t len)
{
	struct kube_str	 r = { (uint32_t)bd->blob.len, (uint32_t)len };

	if (s == NULL) {
		r.len = 0;
		return r;
	}
	sb_add(&bd->blob, s, len);
	return r;
}

static struct kube_str
put_str(struct builder *bd, const char *s)
{
	return put(bd, s, s != NULL ? strlen(s) : 0);
}

/* A label or annotation key, its dots replaced by sep (de_dot). */
static struct kube_str
put_key(struct builder *bd, const char *key, const char *sep)
{
	struct kube_str	 r = { (uint32_t)bd->blob.len, 0 };
	const char	*p;

	if (sep == NULL)
		return put_str(bd, key);
	for (p = key; *p != '\0'; p++) {
		if (*p == '.')
			sb_adds(&bd->blob, sep);
		else
			sb_addc(&bd->blob, *p);
	}
	r.len = (uint32_t)(bd->blob.len - r.off);
	return r;
}

static void
kv_add(struct builder *bd, struct kv_list *l, const char *key,
    const char *val, const char *sep)
{
	struct kube_kv	*kv;

	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof *l->v);
	kv = &l->v[l->n++];
	kv->key = put_key(bd, key, sep);
	kv->val = put_str(bd, val);
}

/* metadata.labels or .annotations; string values only, as the API has. */
static void
map_add(struct builder *bd, struct kv_list *l, yajl_val map,
    const struct kube_parse_opts *o, bool filter)
{
	size_t	 i;

	if (map == NULL || !YAJL_IS_OBJECT(map))
		return;
	for (i = 0; i < map->u.object.len; i++) {
		const char	*k = map->u.object.keys[i];
		yajl_val	 v = map->u.object.values[i];

		if (!YAJL_IS_STRING(v))
			continue;
		if (filter && (o->keep_annotation == NULL ||
		    !o->keep_annotation(o->arg, k, strlen(k))))
			continue;
		kv_add(bd, l, k, YAJL_GET_STRING(v), o->de_dot_sep);
	}
}

/* "containerd://<hex>" -> "<hex>", the plugin's ^[-_a-zA-Z0-9]+:// */
static const char *
strip_scheme(const char *id)
{
	const char	*p = id;

	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')
		p++;
	return p > id && strncmp(p, "://", 3) == 0 ? p + 3 : id;
}

static void
containers_add(struct builder *bd, yajl_val statuses)
{
	size_t	 i;

	if (statuses == NULL || !YAJL_IS_ARRAY(statuses))
		return;
	for (i = 0; i < statuses->u.array.len; i++) {
		yajl_val		 cs = statuses->u.array.values[i];
		struct kube_container	*c;
		const char		*id = str_at(cs, "containerID", NULL);

		if (!YAJL_IS_OBJECT(cs))
			continue;
		bd->ctr = xgrow(bd->ctr, &bd->capctr, bd->nctr + 1,
		    sizeof *bd->ctr);
		c = &bd->ctr[bd->nctr++];
		c->name = put_str(bd, str_at(cs, "name", NULL));
		c->image = put_str(bd, str_at(cs, "image", NULL));
		c->image_id = put_str(bd, str_at(cs, "imageID", NULL));
		c->id = put_str(bd, id != NULL ? strip_scheme(id) : NULL);
	}
}

/* ownerReferences as the JSON array include_ownerrefs_metadata writes. */
static void
ownerrefs_add(struct builder *bd, yajl_val refs)
{
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 i;

	if (refs == NULL || !YAJL_IS_ARRAY(refs))
		return;
	sb_addc(&sb, '[');
	for (i = 0; i < refs->u.array.len; i++) {
		const char	*kind = str_at(refs->u.array.values[i], "kind",
				    NULL);
		const char	*name = str_at(refs->u.array.values[i], "name",
				    NULL);

		if (kind == NULL || name == NULL)
			continue;
		sb_adds(&sb, sb.len > 1 ? ",{\"kind\":" : "{\"kind\":");
		json_put_string(&sb, kind, strlen(kind));
		sb_adds(&sb, ",\"name\":");
		json_put_string(&sb, name, strlen(name));
		sb_addc(&sb, '}');
	}
	sb_addc(&sb, ']');
	bd->m.ownerrefs = put(bd, sb.buf, sb.len);
	sb_free(&sb);
}

/* Copies n bytes to *q (none from NULL) and moves *q past them. */
static char *
copy_in(char **q, const void *src, size_t n)
{
	char	*at = *q;

	if (n > 0)
		memcpy(at, src, n);
	*q += n;
	return at;
}

/* The struct, its arrays and the blob, in one allocation. */
static struct kube_meta *
pack(struct builder *bd)
{
	size_t		 ls = bd->labels.n * sizeof(struct kube_kv);
	size_t		 as = bd->annotations.n * sizeof(struct kube_kv);
	size_t		 cs = bd->nctr * sizeof(struct kube_container);
	size_t		 size = sizeof(struct kube_meta) + ls + as + cs +
			    bd->blob.len + 1;
	char		*p = xmalloc(size);
	struct kube_meta *m = (struct kube_meta *)p;
	char		*q = p + sizeof *m;

	*m = bd->m;
	m->size = size;
	m->labels = (struct kube_kv *)copy_in(&q, bd->labels.v, ls);
	m->nlabels = (uint32_t)bd->labels.n;
	m->annotations = (struct kube_kv *)copy_in(&q, bd->annotations.v, as);
	m->nannotations = (uint32_t)bd->annotations.n;
	m->containers = (struct kube_container *)copy_in(&q, bd->ctr, cs);
	m->ncontainers = (uint32_t)bd->nctr;
	copy_in(&q, bd->blob.buf, bd->blob.len);
	*q = '\0';
	m->blob = q - bd->blob.len;
	m->bloblen = (uint32_t)bd->blob.len;
	return m;
}

static void
builder_free(struct builder *bd)
{
	sb_free(&bd->blob);
	free(bd->labels.v);
	free(bd->annotations.v);
	free(bd->ctr);
}

static const char *const kind_names[] = { "Pod", "Namespace" };

/* require_uid false: a watch BOOKMARK, which carries only its version. */
static struct kube_meta *
meta_from_tree(yajl_val obj, enum kube_kind kind,
    const struct kube_parse_opts *o, bool require_uid, char *err,
    size_t errlen)
{
	struct builder	 bd;
	yajl_val	 md = at(obj, "metadata", NULL, yajl_t_object);
	const char	*k = str_at(obj, "kind", NULL);
	struct kube_meta *m = NULL;

	if (obj == NULL || !YAJL_IS_OBJECT(obj) || md == NULL) {
		fail(err, errlen, "not an object with metadata");
		return NULL;
	}
	if (k != NULL && strcmp(k, kind_names[kind]) != 0) {
		if (errlen > 0)
			snprintf(err, errlen, "kind %s, not %s", k,
			    kind_names[kind]);
		return NULL;
	}
	if (require_uid && str_at(md, "uid", NULL) == NULL) {
		fail(err, errlen, "no metadata.uid");
		return NULL;
	}
	memset(&bd, 0, sizeof bd);
	bd.m.kind = kind;
	bd.m.uid = put_str(&bd, str_at(md, "uid", NULL));
	bd.m.name = put_str(&bd, str_at(md, "name", NULL));
	bd.m.rv = put_str(&bd, str_at(md, "resourceVersion", NULL));
	map_add(&bd, &bd.labels, at(md, "labels", NULL, yajl_t_object), o,
	    false);
	map_add(&bd, &bd.annotations, at(md, "annotations", NULL,
	    yajl_t_object), o, true);
	if (kind == KUBE_POD) {
		bd.m.ns = put_str(&bd, str_at(md, "namespace", NULL));
		bd.m.node = put_str(&bd, str_at(obj, "spec", "nodeName"));
		bd.m.ip = put_str(&bd, str_at(obj, "status", "podIP"));
		containers_add(&bd, at(obj, "status", "containerStatuses",
		    yajl_t_array));
		ownerrefs_add(&bd, at(md, "ownerReferences", NULL,
		    yajl_t_array));
	}
	if (bd.blob.len <= KUBE_BLOB_MAX)
		m = pack(&bd);
	else
		fail(err, errlen, "metadata too large");
	builder_free(&bd);
	return m;
}

/*
 * yajl builds a tree with a stack of its own but frees it by recursion,
 * once per level, so an answer of 300000 brackets would overflow ours:
 * it is refused first. Real objects nest a dozen levels (managedFields).
 */
static yajl_val
tree_parse(const char *json, char *err, size_t errlen)
{
	return json_tree_parse(json, KUBE_DEPTH_MAX, err, errlen);
}

/* --- the API ------------------------------------------------------------- */

struct kube_meta *
kube_meta_parse(const char *json, enum kube_kind kind,
    const struct kube_parse_opts *o, char *err, size_t errlen)
{
	yajl_val	 root = tree_parse(json, err, errlen);
	struct kube_meta *m;

	if (root == NULL)
		return NULL;
	m = meta_from_tree(root, kind, o, true, err, errlen);
	yajl_tree_free(root);
	return m;
}

void
kube_meta_free(struct kube_meta *m)
{
	free(m);
}

/* p's address in the copy at base of the block at old. */
#define REBASE(base, old, p) \
	((void *)((char *)(base) + ((const char *)(p) - (const char *)(old))))

struct kube_meta *
kube_meta_dup(const struct kube_meta *m)
{
	struct kube_meta	*d = xmalloc(m->size);

	memcpy(d, m, m->size);
	d->labels = REBASE(d, m, m->labels);
	d->annotations = REBASE(d, m, m->annotations);
	d->containers = REBASE(d, m, m->containers);
	d->blob = REBASE(d, m, m->blob);
	return d;
}

int
kube_list_parse(const char *json, enum kube_kind kind,
    const struct kube_parse_opts *o, kube_item_fn fn, void *arg, char *rv,
    size_t rvlen, unsigned *skipped, char *err, size_t errlen)
{
	yajl_val	 root = tree_parse(json, err, errlen), items;
	const char	*v;
	size_t		 i;

	*skipped = 0;
	if (root == NULL)
		return -1;
	items = at(root, "items", NULL, yajl_t_array);
	v = str_at(root, "metadata", "resourceVersion");
	if (items == NULL || v == NULL) {
		fail(err, errlen, "not a list: no items or no "
		    "metadata.resourceVersion");
		yajl_tree_free(root);
		return -1;
	}
	snprintf(rv, rvlen, "%s", v);
	for (i = 0; i < items->u.array.len; i++) {
		struct kube_meta *m = meta_from_tree(items->u.array.values[i],
		    kind, o, true, NULL, 0);

		if (m != NULL)
			fn(arg, m);
		else
			(*skipped)++;
	}
	yajl_tree_free(root);
	return 0;
}

static const char *const event_names[] = {
	"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR",
};

static int
event_type(const char *t, enum kube_event_type *out)
{
	size_t	 i;

	for (i = 0; t != NULL && i < sizeof event_names /
	    sizeof event_names[0]; i++) {
		if (strcmp(t, event_names[i]) == 0) {
			*out = (enum kube_event_type)i;
			return 0;
		}
	}
	return -1;
}

int
kube_event_parse(const char *line, enum kube_kind kind,
    const struct kube_parse_opts *o, struct kube_event *ev, char *err,
    size_t errlen)
{
	yajl_val	 root = tree_parse(line, err, errlen), obj, code;
	const char	*msg;
	int		 rc = 0;

	memset(ev, 0, sizeof *ev);
	if (root == NULL)
		return -1;
	obj = at(root, "object", NULL, yajl_t_object);
	if (event_type(str_at(root, "type", NULL), &ev->type) != 0 ||
	    obj == NULL) {
		fail(err, errlen, "not a watch event: no known type or no "
		    "object");
		rc = -1;
	} else if (ev->type == KUBE_ERROR) {
		code = at(obj, "code", NULL, yajl_t_number);
		ev->code = code != NULL && YAJL_IS_INTEGER(code) ?
		    (long)YAJL_GET_INTEGER(code) : 0;
		msg = str_at(obj, "message", NULL);
		snprintf(ev->msg, sizeof ev->msg, "%s", msg ? msg : "");
	} else if ((ev->obj = meta_from_tree(obj, kind, o,
	    ev->type != KUBE_BOOKMARK, err, errlen)) == NULL)
		rc = -1;
	yajl_tree_free(root);
	return rc;
}

const struct kube_container *
kube_container_find(const struct kube_meta *m, const char *id, size_t idlen,
    const char *name, size_t nlen)
{
	uint32_t	 i;

	for (i = 0; idlen > 0 && i < m->ncontainers; i++)
		if (kube_str_eq(m, m->containers[i].id, id, idlen))
			return &m->containers[i];
	for (i = 0; nlen > 0 && i < m->ncontainers; i++)
		if (kube_str_eq(m, m->containers[i].name, name, nlen))
			return &m->containers[i];
	return NULL;
}

/* --- the kubelet's paths ------------------------------------------------- */

static bool
uid_chars(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '-'))
			return false;
	return n > 0;
}

/* <N>.log, maybe followed by a rotation suffix. */
static bool
numbered_log(const char *s, size_t n)
{
	size_t	 i = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i > 0 && n - i >= 4 && memcmp(s + i, ".log", 4) == 0 &&
	    (n - i == 4 || s[i + 4] == '.');
}

bool
kube_pod_path_parse(const char *path, size_t len, struct kube_pod_path *out)
{
	const char	*cut[3], *end = path + len, *p, *u1, *u2;
	int		 k = 0;

	for (p = end; p > path && k < 3; p--)
		if (p[-1] == '/')
			cut[k++] = p;		/* start of a component */
	if (k < 2)
		return false;
	if (k == 2)
		cut[2] = path;			/* "ns_pod_uid/c/0.log" */
	/* cut[0]: the file, cut[1]: the container, cut[2]: the pod dir. */
	if (!numbered_log(cut[0], (size_t)(end - cut[0])) ||
	    cut[0] - 1 == cut[1])
		return false;
	u1 = memchr(cut[2], '_', (size_t)(cut[1] - 1 - cut[2]));
	u2 = u1 ? memchr(u1 + 1, '_', (size_t)(cut[1] - 2 - u1)) : NULL;
	if (u1 == NULL || u2 == NULL || u1 == cut[2] || u2 == u1 + 1 ||
	    memchr(u2 + 1, '_', (size_t)(cut[1] - 2 - u2)) != NULL ||
	    !uid_chars(u2 + 1, (size_t)(cut[1] - 2 - u2)))
		return false;
	out->ns = cut[2];
	out->nslen = (size_t)(u1 - cut[2]);
	out->pod = u1 + 1;
	out->podlen = (size_t)(u2 - u1 - 1);
	out->uid = u2 + 1;
	out->uidlen = (size_t)(cut[1] - 2 - u2);
	out->container = cut[1];
	out->containerlen = (size_t)(cut[0] - 1 - cut[1]);
	return true;
}
