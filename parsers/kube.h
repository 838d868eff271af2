/*
 * kube.h — Kubernetes Pod and Namespace JSON into compact metadata, and
 * the kubelet's log paths into names (no I/O).
 *
 * A pod's metadata is parsed once, from an API answer or a watch event,
 * and then copied into every record of that pod, so it is packed for the
 * copy: one allocation holds the struct, its arrays and one blob with
 * every string, and the arrays hold offsets into the blob, so a record
 * takes the whole blob with one memcpy into its batch. de_dot and
 * annotation_match are applied here, once, not per record.
 */
#ifndef PARSERS_KUBE_H
#define PARSERS_KUBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kube_kind {
	KUBE_POD,
	KUBE_NAMESPACE,
};

/* A string of the blob; len 0 when absent. */
struct kube_str {
	uint32_t	 off;
	uint32_t	 len;
};

struct kube_kv {
	struct kube_str	 key;
	struct kube_str	 val;
};

struct kube_container {
	struct kube_str	 name;
	struct kube_str	 image;
	struct kube_str	 image_id;
	struct kube_str	 id;		/* without its "containerd://" */
};

struct kube_meta {
	enum kube_kind	 kind;
	struct kube_str	 uid;
	struct kube_str	 name;
	struct kube_str	 ns;		/* pods: metadata.namespace */
	struct kube_str	 node;		/* pods: spec.nodeName */
	struct kube_str	 ip;		/* pods: status.podIP */
	struct kube_str	 rv;		/* metadata.resourceVersion */
	struct kube_str	 ownerrefs;	/* pods: [{"kind":..,"name":..}] */
	const struct kube_kv *labels;
	uint32_t	 nlabels;
	const struct kube_kv *annotations; /* those annotation_match kept */
	uint32_t	 nannotations;
	const struct kube_container *containers; /* status.containerStatuses */
	uint32_t	 ncontainers;
	const char	*blob;
	uint32_t	 bloblen;
	size_t		 size;		/* of the one allocation */
};

struct kube_parse_opts {
	/* Replaces '.' in label and annotation keys (de_dot); NULL: none. */
	const char	*de_dot_sep;
	/* Annotations whose original key this accepts are kept; NULL: none. */
	bool		(*keep_annotation)(const void *arg, const char *key,
			    size_t len);
	const void	*arg;
};

static inline const char *
kube_s(const struct kube_meta *m, struct kube_str s)
{
	return m->blob + s.off;
}

static inline bool
kube_str_eq(const struct kube_meta *m, struct kube_str s, const char *p,
    size_t len)
{
	return s.len == len && __builtin_memcmp(m->blob + s.off, p, len) == 0;
}

/*
 * One object (a Pod or a Namespace, as GET returns it) from the
 * NUL-terminated json; NULL with err filled when it is not one.
 */
struct kube_meta *kube_meta_parse(const char *json, enum kube_kind kind,
	    const struct kube_parse_opts *o, char *err, size_t errlen);
void	kube_meta_free(struct kube_meta *m);
/* A copy (one allocation, like the original). */
struct kube_meta *kube_meta_dup(const struct kube_meta *m);

typedef void (*kube_item_fn)(void *arg, struct kube_meta *m);

/*
 * A PodList or NamespaceList: fn gets each item (and owns it), rv the
 * list's resourceVersion. Items that are not objects of the kind are
 * skipped and counted in *skipped. -1 with err filled when json is not a
 * list.
 */
int	kube_list_parse(const char *json, enum kube_kind kind,
	    const struct kube_parse_opts *o, kube_item_fn fn, void *arg,
	    char *rv, size_t rvlen, unsigned *skipped, char *err,
	    size_t errlen);

enum kube_event_type {
	KUBE_ADDED,
	KUBE_MODIFIED,
	KUBE_DELETED,
	KUBE_BOOKMARK,
	KUBE_ERROR,
};

struct kube_event {
	enum kube_event_type type;
	struct kube_meta *obj;		/* owned by the caller; NULL: ERROR */
	long		 code;		/* ERROR: the Status's code */
	char		 msg[256];	/* ERROR: the Status's message */
};

/* One line of a watch stream ({"type":..,"object":..}). */
int	kube_event_parse(const char *line, enum kube_kind kind,
	    const struct kube_parse_opts *o, struct kube_event *ev, char *err,
	    size_t errlen);

/*
 * The pod's container: the one whose id is id (idlen > 0), else the one
 * named name; NULL if none.
 */
const struct kube_container *kube_container_find(const struct kube_meta *m,
	    const char *id, size_t idlen, const char *name, size_t nlen);

/* Names from the kubelet's /var/log/pods layout; pointers into the path. */
struct kube_pod_path {
	const char	*ns;
	const char	*pod;
	const char	*uid;
	const char	*container;
	size_t		 nslen;
	size_t		 podlen;
	size_t		 uidlen;
	size_t		 containerlen;
};

/*
 * .../<namespace>_<pod>_<uid>/<container>/<N>.log, the file a
 * /var/log/containers symlink points to (rotated names such as
 * 0.log.20240501-080000.gz too). Only the last three components count,
 * so a relative link target parses as well.
 */
bool	kube_pod_path_parse(const char *path, size_t len,
	    struct kube_pod_path *out);

#endif
