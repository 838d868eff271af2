/*
 * ecs.c — a record as an ECS 8 document (see ecs.h).
 *
 * The one idea: the security_event word the spire filter wrote decides
 * event.kind/category/type/outcome through one table, so a SIEM rule
 * keyed on ECS categories sees SPIRE's failures as what they are; the
 * rest is a fixed renaming of the record's fields. Fields the mapping
 * does not know, the kubernetes_metadata filter's among them, stay under
 * `spire.*`, so nothing the record said is lost.
 */
#include <string.h>

#include "ecs.h"
#include "jsonenc.h"
#include "timefmt.h"

struct ecs_event {
	const char	*word;		/* security_event */
	const char	*category;	/* ECS event.category */
	const char	*type;		/* ECS event.type */
};

static const struct ecs_event ecs_events[] = {
	{ "attestation_failure", "authentication", "start" },
	{ "workload_attestation_failure", "authentication", "denied" },
	{ "unauthorized", "iam", "denied" },
	{ "certificate_violation", "authentication", "denied" },
	{ "federation_failure", "network", "error" },
	{ "ca_rotation_problem", "configuration", "error" },
	{ "svid_rotation_failure", "configuration", "error" },
	{ "datastore_error", "database", "error" },
	{ "rate_limited", "network", "denied" },
	{ "process_tracking_failure", "process", "error" },
	{ "audit", "iam", "info" },
	{ NULL, NULL, NULL }
};

/* The record's fields the mapping consumes (left out of spire.*). */
static const char *const mapped[] = { "@timestamp", "time", "msg", "level",
	"security_event", "component", "error", "spiffe_id", "kubernetes",
	"docker", "log", NULL };
/* Of its kubernetes and docker objects: the rest stays under spire.*. */
static const char *const kube_mapped[] = { "namespace_name", "pod_name",
	"pod_id", "host", "node_name", "container_name", "container_image",
	NULL };
static const char *const docker_mapped[] = { "container_id", NULL };

#define SKIP_MAX	16

struct ecs_out {
	struct strbuf	*sb;
	const struct batch *b;
	const struct record *r;
	int		 first;		/* of the current object */
};

static void
key(struct ecs_out *o, const char *k)
{
	if (!o->first)
		sb_addc(o->sb, ',');
	o->first = 0;
	json_put_string(o->sb, k, strlen(k));
	sb_addc(o->sb, ':');
}

static void
open_obj(struct ecs_out *o, const char *k)
{
	key(o, k);
	sb_addc(o->sb, '{');
	o->first = 1;
}

static void
close_obj(struct ecs_out *o)
{
	sb_addc(o->sb, '}');
	o->first = 0;
}

static void
put_cstr(struct ecs_out *o, const char *k, const char *v)
{
	key(o, k);
	json_put_string(o->sb, v, strlen(v));
}

static const struct field *
get(const struct ecs_out *o, const char *k)
{
	const struct field	*f = record_get(o->b, o->r, k, strlen(k));

	return f != NULL && f->type != VAL_OBJECT && f->vlen > 0 ? f : NULL;
}

static const struct field *
get2(const struct ecs_out *o, const char *a, const char *b)
{
	const char		*keys[] = { a, b };
	size_t			 lens[] = { strlen(a), strlen(b) };
	const struct field	*f = record_get_path(o->b, o->r, keys, lens, 2);

	return f != NULL && f->type != VAL_OBJECT && f->vlen > 0 ? f : NULL;
}

/* k: f's value as a string, when there is one. */
static void
put_field(struct ecs_out *o, const char *k, const struct field *f)
{
	if (f == NULL)
		return;
	key(o, k);
	json_put_string(o->sb, f->val, f->vlen);
}

static bool
field_eq(const struct field *f, const char *s)
{
	return f != NULL && f->vlen == strlen(s) &&
	    memcmp(f->val, s, f->vlen) == 0;
}

static const struct ecs_event *
event_of(const struct field *word)
{
	const struct ecs_event	*ev;

	for (ev = ecs_events; word != NULL && ev->word != NULL; ev++)
		if (field_eq(word, ev->word))
			return ev;
	return NULL;
}

static const char *
outcome(const struct ecs_out *o, const struct ecs_event *ev)
{
	const struct field	*status = get(o, "status");

	if (ev == NULL)
		return NULL;
	if (strcmp(ev->word, "audit") != 0)
		return "failure";
	if (status == NULL)
		return "unknown";
	return field_eq(status, "success") ? "success" : "failure";
}

static void
put_event(struct ecs_out *o)
{
	const struct field	*word = get(o, "security_event");
	const struct ecs_event	*ev = event_of(word);
	const char		*oc = outcome(o, ev);

	open_obj(o, "event");
	put_cstr(o, "kind", ev != NULL && strcmp(ev->word, "audit") != 0 ?
	    "alert" : "event");
	put_cstr(o, "module", "spire");
	/* The unparsed line, when msg is the message. */
	if (get(o, "msg") != NULL)
		put_field(o, "original", get(o, "log"));
	if (ev != NULL) {
		put_field(o, "action", word);
		key(o, "category");
		sb_addf(o->sb, "[\"%s\"]", ev->category);
		key(o, "type");
		sb_addf(o->sb, "[\"%s\"]", ev->type);
	}
	if (oc != NULL)
		put_cstr(o, "outcome", oc);
	close_obj(o);
}

static void
put_time(struct ecs_out *o)
{
	const struct field	*ts = get(o, "@timestamp");
	char			 now[RFC3339_NANO_LEN + 1];

	if (ts != NULL) {
		put_field(o, "@timestamp", ts);
		return;
	}
	time_format_rfc3339(o->r->time, now);
	put_cstr(o, "@timestamp", now);
}

/*
 * k: f's value in lower case (ECS's levels are), as a JSON string: A-Z
 * lowered after escaping, which leaves escapes meaning what they did
 * (\u001F and \u001f are one) and other bytes, UTF-8 too, alone.
 */
static void
put_lower(struct ecs_out *o, const char *k, const struct field *f)
{
	size_t	 i;

	key(o, k);
	i = o->sb->len;
	json_put_string(o->sb, f->val, f->vlen);
	for (; i < o->sb->len; i++)
		if (o->sb->buf[i] >= 'A' && o->sb->buf[i] <= 'Z')
			o->sb->buf[i] |= 0x20;
}

static void
put_log(struct ecs_out *o)
{
	const struct field	*lvl = get(o, "level");

	open_obj(o, "log");
	if (lvl != NULL)
		put_lower(o, "level", lvl);
	if (o->b->source != NULL) {
		open_obj(o, "file");
		key(o, "path");
		json_put_string(o->sb, o->b->source, o->b->sourcelen);
		close_obj(o);
	}
	close_obj(o);
}

static void
put_orchestrator(struct ecs_out *o)
{
	const struct field	*ns = get2(o, "kubernetes", "namespace_name");
	const struct field	*pod = get2(o, "kubernetes", "pod_name");
	const struct field	*node = get2(o, "kubernetes", "host");

	if (node == NULL)
		node = get2(o, "kubernetes", "node_name");
	if (node != NULL) {
		open_obj(o, "host");
		put_field(o, "name", node);
		close_obj(o);
	}
	if (ns == NULL && pod == NULL)
		return;
	open_obj(o, "orchestrator");
	put_cstr(o, "type", "kubernetes");
	put_field(o, "namespace", ns);
	if (pod != NULL) {
		open_obj(o, "resource");
		put_cstr(o, "type", "pod");
		put_field(o, "name", pod);
		close_obj(o);
	}
	close_obj(o);
	open_obj(o, "kubernetes");
	put_field(o, "namespace", ns);
	if (pod != NULL) {
		open_obj(o, "pod");
		put_field(o, "name", pod);
		put_field(o, "uid", get2(o, "kubernetes", "pod_id"));
		close_obj(o);
	}
	if (node != NULL) {
		open_obj(o, "node");
		put_field(o, "name", node);
		close_obj(o);
	}
	close_obj(o);
}

static void
put_container(struct ecs_out *o)
{
	const struct field	*name = get2(o, "kubernetes", "container_name");
	const struct field	*id = get2(o, "docker", "container_id");
	const struct field	*img = get2(o, "kubernetes", "container_image");

	if (name == NULL && id == NULL && img == NULL)
		return;
	open_obj(o, "container");
	put_field(o, "name", name);
	put_field(o, "id", id);
	if (img != NULL) {
		open_obj(o, "image");
		put_field(o, "name", img);
		close_obj(o);
	}
	close_obj(o);
}

static void
put_identity(struct ecs_out *o)
{
	const struct field	*comp = get(o, "component");
	const struct field	*err = get(o, "error");
	const struct field	*id = get(o, "spiffe_id");

	open_obj(o, "service");
	put_cstr(o, "type", "spire");
	put_field(o, "name", comp);
	close_obj(o);
	if (err != NULL) {
		open_obj(o, "error");
		put_field(o, "message", err);
		close_obj(o);
	}
	if (id != NULL) {
		open_obj(o, "spiffe");
		put_field(o, "id", id);
		close_obj(o);
	}
}

static size_t
skip_list(const char *const *names, struct json_skip *skip)
{
	size_t	 n;

	for (n = 0; names[n] != NULL && n < SKIP_MAX; n++) {
		skip[n].key = names[n];
		skip[n].len = strlen(names[n]);
	}
	return n;
}

/*
 * What the mapping did not take of the record's object k (its other
 * kubernetes_metadata fields: labels, pod_ip, ...), as spire.k; k as it
 * was when it is no object.
 */
static void
put_rest_of(struct ecs_out *o, const char *k, const char *const *taken,
    int *first)
{
	const struct field	*f = record_get(o->b, o->r, k, strlen(k));
	struct json_skip	 skip[SKIP_MAX];
	size_t			 mark = o->sb->len, n = skip_list(taken, skip);
	int			 sub = 1;

	if (f == NULL || (f->flags & FIELD_DELETED))
		return;
	if (f->type != VAL_OBJECT) {
		json_put_fields(o->sb, f, 1, first);
		return;
	}
	if (!*first)
		sb_addc(o->sb, ',');
	json_put_string(o->sb, k, strlen(k));
	sb_adds(o->sb, ":{");
	json_put_fields_skip(o->sb, f + 1, f->vlen, skip, n, &sub);
	if (sub) {		/* all of it mapped: no empty object */
		o->sb->len = mark;
		return;
	}
	sb_addc(o->sb, '}');
	*first = 0;
}

/* Whatever else the record has, under spire.* as it was. */
static void
put_rest(struct ecs_out *o)
{
	struct json_skip	 skip[SKIP_MAX];
	size_t			 n = skip_list(mapped, skip);
	int			 first = 1;

	key(o, "spire");
	sb_addc(o->sb, '{');
	json_put_members(o->sb, o->b, o->r, skip, n, &first);
	put_rest_of(o, "kubernetes", kube_mapped, &first);
	put_rest_of(o, "docker", docker_mapped, &first);
	sb_addc(o->sb, '}');
}

void
ecs_put_record(struct strbuf *out, const struct batch *b,
    const struct record *r)
{
	struct ecs_out		 o = { out, b, r, 1 };
	const struct field	*msg = get(&o, "msg");

	sb_addc(out, '{');
	put_time(&o);
	open_obj(&o, "ecs");
	put_cstr(&o, "version", "8.11.0");
	close_obj(&o);
	put_field(&o, "message", msg != NULL ? msg : get(&o, "log"));
	put_log(&o);
	put_event(&o);
	put_identity(&o);
	put_orchestrator(&o);
	put_container(&o);
	put_rest(&o);
	sb_addc(out, '}');
}
