/*
 * filter_spire.c — `@type spire`: make SPIRE's records mean what the
 * configuration and the index template expect.
 *
 * logrus writes levels in lower case and spells warn "warning", so a
 * grep on ^(ERROR|WARN)$ would keep nothing: level is normalised to
 * ERROR/WARN/INFO/DEBUG (the original kept in level_raw). The filter also
 * sets component (spire-server/spire-agent), @timestamp (RFC 3339, ns)
 * from the event time, and maps SPIRE's field names onto the template's:
 * spiffe_id, attestor_type, metrics.{duration_ms,count}, and caller and
 * agent_id where the record names them. With keep_audit, SPIRE's audit
 * records (type=audit, written at INFO) pass a later grep on level: they
 * are security events.
 *
 * Each record is also classified (parsers/spire_events.c) into
 * security_event (attestation_failure, unauthorized, audit, ...) and
 * counted as spire_security_events_total{component,event,attestor_type},
 * which is what the security dashboards are drawn from.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "metrics.h"
#include "plugin.h"
#include "spire_events.h"
#include "stats.h"
#include "timefmt.h"

#define ATTESTOR_MAX	32	/* longer (or odd) names count as "other" */
#define SERIES_MAX	512	/* beyond: attestor_type "other" */

struct spire_cfg {
	bool	 normalize_level;
	char	*level_key;
	bool	 keep_audit;
	char	*component;
	char	*component_key;
	char	*timestamp_key;
	bool	 map_fields;
	bool	 security_events;
	char	*security_event_key;
	bool	 audit_exclude_agent_sync;
};

/* One series of spire_security_events_total. */
struct event_count {
	const char		*component;
	enum spire_event	 event;
	char			 attestor[ATTESTOR_MAX + 1];
	uint64_t		 n;
};

struct spire_priv {
	size_t		 level_klen;
	const char	*last_tag;	/* component cache, by tag pointer */
	const char	*last_component;
	struct event_count *counts;
	size_t		 ncounts;
	size_t		 cap_counts;
};

#define S(field)	offsetof(struct spire_cfg, field)
static const struct param_def spire_params[] = {
	{ .name = "normalize_level", .type = PARAM_BOOL, .def = "true",
	  .offset = S(normalize_level),
	  .help = "level to ERROR/WARN/INFO/DEBUG, original in level_raw" },
	{ .name = "level_key", .type = PARAM_STRING, .def = "level",
	  .offset = S(level_key), .help = "field holding the level" },
	{ .name = "keep_audit", .type = PARAM_BOOL, .def = "false",
	  .offset = S(keep_audit),
	  .help = "audit records (type=audit) pass a later grep on level" },
	{ .name = "component", .type = PARAM_STRING, .offset = S(component),
	  .help = "component to set; unset: from the tag or file name" },
	{ .name = "component_key", .type = PARAM_STRING, .def = "component",
	  .offset = S(component_key), .help = "field for the component" },
	{ .name = "timestamp_key", .type = PARAM_STRING, .def = "@timestamp",
	  .offset = S(timestamp_key),
	  .help = "field for the event time, RFC 3339 with nanoseconds" },
	{ .name = "map_fields", .type = PARAM_BOOL, .def = "true",
	  .offset = S(map_fields),
	  .help = "add spiffe_id, attestor_type, caller, agent_id and "
	  "metrics.* from SPIRE's own field names and messages" },
	{ .name = "security_events", .type = PARAM_BOOL, .def = "true",
	  .offset = S(security_events),
	  .help = "classify records into security_event (attestation_failure, "
	  "workload_attestation_failure, unauthorized, certificate_violation, "
	  "federation_failure, ca_rotation_problem, svid_rotation_failure, "
	  "datastore_error, rate_limited, process_tracking_failure, audit) "
	  "and count them in spire_security_events_total" },
	{ .name = "security_event_key", .type = PARAM_STRING,
	  .def = "security_event", .offset = S(security_event_key),
	  .help = "field for the event" },
	{ .name = "audit_exclude_agent_sync", .type = PARAM_BOOL,
	  .def = "false", .offset = S(audit_exclude_agent_sync),
	  .help = "drop the successful audit records of agents' routine sync "
	  "(SyncAuthorizedEntries, GetAuthorizedEntries), counted as dropped "
	  "with reason audit_agent_sync" },
	PARAMS_END
};
#undef S

/* --- levels -------------------------------------------------------------- */

static const struct {
	const char	*raw;
	const char	*norm;
} level_map[] = {
	{ "error", "ERROR" }, { "fatal", "ERROR" }, { "panic", "ERROR" },
	{ "warning", "WARN" }, { "warn", "WARN" },
	{ "info", "INFO" },
	{ "debug", "DEBUG" }, { "trace", "DEBUG" },
};

/* The normalised level, or NULL if v is not a level name. */
static const char *
level_normalise(const char *v, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof level_map / sizeof level_map[0]; i++)
		if (strlen(level_map[i].raw) == len &&
		    strncasecmp(level_map[i].raw, v, len) == 0)
			return level_map[i].norm;
	return NULL;
}

static const char *
level_map_fn(const void *arg, const char *val, size_t len, size_t *outlen)
{
	const char	*n = level_normalise(val, len);

	(void)arg;
	if (n == NULL) {
		*outlen = len;
		return val;
	}
	*outlen = strlen(n);
	return n;
}

static void
set_level(const struct spire_cfg *cfg, struct spire_priv *sp,
    struct batch *b, struct record *r)
{
	struct field	*f = record_get(b, r, cfg->level_key, sp->level_klen);
	const char	*n, *raw;
	size_t		 rawlen;

	if (f == NULL || f->type != VAL_STRING)
		return;
	if ((n = level_normalise(f->val, f->vlen)) == NULL)
		return;
	raw = f->val;
	rawlen = f->vlen;
	f->val = n;
	f->vlen = (uint32_t)strlen(n);
	record_set(b, r, FIELD_STR("level_raw"), raw, rawlen, VAL_STRING);
}

/* --- component ----------------------------------------------------------- */

static const char *
component_of(const char *tag)
{
	if (strstr(tag, "spire-server") || strstr(tag, "spire.server") ||
	    strstr(tag, "spire_server"))
		return "spire-server";
	if (strstr(tag, "spire-agent") || strstr(tag, "spire.agent") ||
	    strstr(tag, "spire_agent"))
		return "spire-agent";
	return NULL;
}

static const char *
set_component(const struct spire_cfg *cfg, struct spire_priv *sp,
    struct batch *b, struct record *r)
{
	const char	*c = cfg->component;

	if (c == NULL && b->tag != NULL) {
		if (b->tag != sp->last_tag) {
			sp->last_tag = b->tag;
			sp->last_component = component_of(b->tag);
		}
		c = sp->last_component;
	}
	if (c != NULL)
		record_set(b, r, cfg->component_key, strlen(cfg->component_key),
		    c, strlen(c), VAL_STRING);
	return c;
}

/* --- field mapping ------------------------------------------------------- */

static const struct field *
get_str(const struct batch *b, const struct record *r, const char *key)
{
	const struct field *f = record_get(b, r, key, strlen(key));

	return f != NULL && f->type == VAL_STRING && f->vlen > 0 ? f : NULL;
}

typedef bool (*find_fn)(const char *s, size_t len, const char **at,
    size_t *alen);

/* Adds key with what find() finds in the first of srcs it finds in. */
static bool
add_found(struct batch *b, struct record *r, const char *key,
    const char *const *srcs, size_t n, find_fn find)
{
	const struct field	*f;
	const char		*at;
	size_t			 alen, i;

	for (i = 0; i < n; i++) {
		if ((f = get_str(b, r, srcs[i])) != NULL &&
		    find(f->val, f->vlen, &at, &alen)) {
			batch_add(b, key, strlen(key), at, alen, VAL_STRING);
			return true;
		}
	}
	return false;
}

static void
map_attestor(struct batch *b, struct record *r)
{
	static const char *const srcs[] = { "msg", "error" };
	const struct field	*f, *pt;
	const char		*at;
	size_t			 alen;

	if (record_get(b, r, FIELD_STR("attestor_type")) != NULL)
		return;
	if ((f = get_str(b, r, "node_attestor_type")) != NULL) {
		batch_add(b, FIELD_STR("attestor_type"), f->val, f->vlen,
		    VAL_STRING);
		return;
	}
	/* A line of the attestor plugin itself (catalog fields). */
	if ((pt = get_str(b, r, "plugin_type")) != NULL &&
	    (f = get_str(b, r, "plugin_name")) != NULL &&
	    ((pt->vlen == 12 && memcmp(pt->val, "NodeAttestor", 12) == 0) ||
	    (pt->vlen == 16 && memcmp(pt->val, "WorkloadAttestor", 16) == 0))) {
		batch_add(b, FIELD_STR("attestor_type"), f->val, f->vlen,
		    VAL_STRING);
		return;
	}
	if (add_found(b, r, "attestor_type", srcs, 2, spire_attestor_in))
		return;
	/* .../spire/agent/<attestor>/...: the agent the event is about. */
	if ((f = get_str(b, r, "agent_id")) != NULL &&
	    spire_agent_id_attestor(f->val, f->vlen, &at, &alen))
		batch_add(b, FIELD_STR("attestor_type"), at, alen, VAL_STRING);
}

static void
map_spiffe_id(struct batch *b, struct record *r)
{
	static const char *const srcs[] = { "agent_id", "caller_id" };
	const struct field	*f;
	size_t			 i;

	if (record_get(b, r, FIELD_STR("spiffe_id")) != NULL)
		return;
	for (i = 0; i < sizeof srcs / sizeof srcs[0]; i++) {
		if ((f = get_str(b, r, srcs[i])) != NULL &&
		    f->vlen > 9 && memcmp(f->val, "spiffe://", 9) == 0) {
			batch_add(b, FIELD_STR("spiffe_id"), f->val, f->vlen,
			    VAL_STRING);
			return;
		}
	}
}

/* --- security events ----------------------------------------------------- */

/* The string fields the event rules read, in one pass (last one wins). */
static void
event_fields(const struct spire_cfg *cfg, const struct batch *b,
    const struct record *r, struct spire_fields *sf)
{
	const struct field	*f = record_fields(b, r), *lv;
	size_t			 i;
	int			 k;

	memset(sf, 0, sizeof *sf);
	for (i = 0; i < r->nfields; i++) {
		if (f[i].type == VAL_OBJECT) {
			i += f[i].vlen;
			continue;
		}
		if ((f[i].flags & FIELD_DELETED) || f[i].type != VAL_STRING ||
		    (k = spire_key_of(f[i].key, f[i].klen)) < 0)
			continue;
		sf->val[k] = f[i].val;
		sf->len[k] = f[i].vlen;
	}
	if (strcmp(cfg->level_key, "level") != 0) {
		lv = get_str(b, r, cfg->level_key);
		sf->val[SPIRE_KEY_LEVEL] = lv != NULL ? lv->val : NULL;
		sf->len[SPIRE_KEY_LEVEL] = lv != NULL ? lv->vlen : 0;
	}
}

/* The attestor_type label: the record's, if it is a plain name. */
static void
attestor_label(const struct batch *b, const struct record *r, char *out)
{
	const struct field	*f = get_str(b, r, "attestor_type");
	size_t			 i;

	strcpy(out, "none");
	if (f == NULL)
		return;
	for (i = 0; i < f->vlen; i++)
		if (!isalnum((unsigned char)f->val[i]) && f->val[i] != '_' &&
		    f->val[i] != '-')
			break;
	if (i < f->vlen || f->vlen > ATTESTOR_MAX) {
		strcpy(out, "other");
		return;
	}
	memcpy(out, f->val, f->vlen);
	out[f->vlen] = '\0';
}

static struct event_count *
event_slot(struct spire_priv *sp, const char *component, enum spire_event ev,
    const char *attestor)
{
	struct event_count	*c;
	size_t			 i;

	for (i = 0; i < sp->ncounts; i++) {
		c = &sp->counts[i];
		if (c->event == ev && strcmp(c->component, component) == 0 &&
		    strcmp(c->attestor, attestor) == 0)
			return c;
	}
	if (sp->ncounts == SERIES_MAX && strcmp(attestor, "other") != 0)
		return event_slot(sp, component, ev, "other");
	sp->counts = xgrow(sp->counts, &sp->cap_counts, sp->ncounts + 1,
	    sizeof *c);
	c = &sp->counts[sp->ncounts++];
	memset(c, 0, sizeof *c);
	c->component = component;
	c->event = ev;
	snprintf(c->attestor, sizeof c->attestor, "%s", attestor);
	return c;
}

static void
count_event(struct spire_priv *sp, const char *component, enum spire_event ev,
    const struct batch *b, const struct record *r)
{
	char	 attestor[ATTESTOR_MAX + 1];

	attestor_label(b, r, attestor);
	event_slot(sp, component != NULL ? component : "unknown", ev,
	    attestor)->n++;
}

static void
set_event(const struct spire_cfg *cfg, struct spire_priv *sp,
    const char *component, enum spire_event ev, struct batch *b,
    struct record *r)
{
	const char	*name = spire_event_name(ev);

	if (cfg->security_event_key[0] != '\0')
		record_set(b, r, cfg->security_event_key,
		    strlen(cfg->security_event_key), name, strlen(name),
		    VAL_STRING);
	count_event(sp, component, ev, b, r);
}

/*
 * Every (component, event) has a series from the start, so that rate()
 * and increase() see the first event; attestors appear as they come.
 */
static void
spire_collect(void *arg, struct metrics_out *o)
{
	static const char name[] = "spire_security_events_total";
	const struct filter	*f = arg;
	const struct spire_cfg	*cfg = f->cfg;
	const struct spire_priv	*sp = f->priv;
	const char		*comps[] = { "spire-server", "spire-agent" };
	size_t			 i, ncomp = 2;
	int			 ev;

	if (cfg->component != NULL) {
		comps[0] = cfg->component;
		ncomp = 1;
	}
	metric_family(o, name, METRIC_COUNTER, "SPIRE security events "
	    "classified from the logs, by component, event and attestor type.");
	for (i = 0; i < ncomp; i++)
		for (ev = SPIRE_EVENT_NONE + 1; ev < SPIRE_NEVENTS; ev++)
			metric_sample(o, name, METRIC_LABELS(
			    { "component", comps[i] },
			    { "event", spire_event_name(ev) },
			    { "attestor_type", "none" }), 0);
	for (i = 0; i < sp->ncounts; i++)
		metric_sample(o, name, METRIC_LABELS(
		    { "component", sp->counts[i].component },
		    { "event", spire_event_name(sp->counts[i].event) },
		    { "attestor_type", sp->counts[i].attestor }),
		    (double)sp->counts[i].n);
}

/* The first of keys the record has as a non-empty string. */
static const struct field *
first_str(const struct batch *b, const struct record *r,
    const char *const *keys, size_t n)
{
	const struct field	*f;
	size_t			 i;

	for (i = 0; i < n; i++)
		if ((f = get_str(b, r, keys[i])) != NULL)
			return f;
	return NULL;
}

/* Who made the call: its SPIFFE ID, else its address or socket peer. */
static void
map_caller(struct batch *b, struct record *r)
{
	static const char *const srcs[] = {
		"caller_id", "caller_addr", "caller_path",
	};
	const struct field	*f;

	if (record_get(b, r, FIELD_STR("caller")) != NULL ||
	    (f = first_str(b, r, srcs, 3)) == NULL)
		return;
	batch_add(b, FIELD_STR("caller"), f->val, f->vlen, VAL_STRING);
}

/*
 * The agent an event is about, where SPIRE does not say agent_id: the
 * caller when it is an agent, or `agent "spiffe://..."` in the error
 * of the authorization middleware (and its audit status_message).
 */
static void
map_agent_id(struct batch *b, struct record *r)
{
	static const char *const srcs[] = { "error", "status_message" };
	const struct field	*f;

	if (record_get(b, r, FIELD_STR("agent_id")) != NULL)
		return;
	if ((f = get_str(b, r, "caller_id")) != NULL &&
	    spire_is_agent_id(f->val, f->vlen)) {
		batch_add(b, FIELD_STR("agent_id"), f->val, f->vlen,
		    VAL_STRING);
		return;
	}
	add_found(b, r, "agent_id", srcs, 2, spire_agent_id_in);
}

static bool
is_integer(const struct field *f)
{
	size_t	 i = 0;

	if (f->vlen == 0)
		return false;
	if (f->val[0] == '-')
		i++;
	for (; i < f->vlen; i++)
		if (!isdigit((unsigned char)f->val[i]))
			return false;
	return i > 0;
}

/* Go durations: nanoseconds in JSON; "6.5s" or "500ms" in text. */
static bool
duration_ms(const struct field *f, long long *ms)
{
	static const struct { const char *u; double ms; } units[] = {
		{ "ns", 1e-6 }, { "us", 1e-3 }, { "µs", 1e-3 }, { "ms", 1 },
		{ "s", 1e3 }, { "m", 6e4 }, { "h", 3.6e6 },
	};
	char	 buf[64], *end;
	double	 v;
	size_t	 i;

	if (f->vlen == 0 || f->vlen >= sizeof buf)
		return false;
	memcpy(buf, f->val, f->vlen);
	buf[f->vlen] = '\0';
	v = strtod(buf, &end);
	if (end == buf)
		return false;
	if (*end == '\0') {
		*ms = (long long)(v / 1e6);	/* integer nanoseconds */
		return f->type == VAL_RAW;
	}
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(end, units[i].u) == 0) {
			*ms = (long long)(v * units[i].ms);
			return true;
		}
	}
	return false;
}

static void
map_metrics(struct batch *b, struct record *r)
{
	const struct field	*d = record_get(b, r, FIELD_STR("duration"));
	const struct field	*c = record_get(b, r, FIELD_STR("count"));
	long long		 ms = 0;
	bool			 has_d = d != NULL && duration_ms(d, &ms);
	bool			 has_c = c != NULL && is_integer(c);
	const char		*cval = has_c ? c->val : NULL;
	size_t			 clen = has_c ? c->vlen : 0, obj;
	char			*txt;

	if ((!has_d && !has_c) || record_get(b, r, FIELD_STR("metrics")))
		return;
	obj = batch_add_object(b, FIELD_STR("metrics"));
	if (has_d) {
		txt = batch_alloc(b, 24);
		batch_add(b, FIELD_STR("duration_ms"), txt,
		    (size_t)snprintf(txt, 24, "%lld", ms), VAL_RAW);
	}
	if (has_c)
		batch_add(b, FIELD_STR("count"), cval, clen, VAL_RAW);
	batch_end_object(b, obj);
}

static void
set_timestamp(const struct spire_cfg *cfg, struct batch *b, struct record *r)
{
	char	*ts = batch_alloc(b, RFC3339_NANO_LEN + 1);
	size_t	 n = time_format_rfc3339(r->time, ts);

	record_set(b, r, cfg->timestamp_key, strlen(cfg->timestamp_key), ts, n,
	    VAL_STRING);
}

static void
mark_audit(struct batch *b, struct record *r)
{
	const struct field	*t = get_str(b, r, "type");

	if (t != NULL && t->vlen == 5 && memcmp(t->val, "audit", 5) == 0)
		r->flags |= REC_AUDIT | REC_BYPASS_LEVEL;
}

static enum filter_verdict
spire_run(struct filter *f, struct batch *b, struct record *r,
    const struct gate *gate)
{
	const struct spire_cfg	*cfg = f->cfg;
	struct spire_priv	*sp = f->priv;
	struct spire_fields	 sf;
	enum spire_event	 ev = SPIRE_EVENT_NONE;
	const char		*component;

	(void)gate;
	if (cfg->normalize_level)
		set_level(cfg, sp, b, r);
	if (cfg->security_events || cfg->audit_exclude_agent_sync) {
		event_fields(cfg, b, r, &sf);
		if (cfg->audit_exclude_agent_sync &&
		    spire_audit_is_agent_sync(&sf)) {
			f->drop_reason = DROP_AUDIT_AGENT_SYNC;
			return FILTER_DROP;
		}
		if (cfg->security_events)
			ev = spire_event_classify(&sf);
	}
	component = set_component(cfg, sp, b, r);
	if (cfg->timestamp_key[0] != '\0')
		set_timestamp(cfg, b, r);
	if (cfg->map_fields) {
		map_agent_id(b, r);
		map_spiffe_id(b, r);
		map_attestor(b, r);
		map_caller(b, r);
		map_metrics(b, r);
	}
	if (ev != SPIRE_EVENT_NONE)
		set_event(cfg, sp, component, ev, b, r);
	if (cfg->keep_audit)
		mark_audit(b, r);
	return FILTER_KEEP;
}

static int
spire_init(struct filter *f, struct conf_elem *el, struct err *e)
{
	struct spire_cfg	*cfg = f->cfg;
	struct spire_priv	*sp = xcalloc(1, sizeof *sp);

	(void)el;
	(void)e;
	sp->level_klen = strlen(cfg->level_key);
	f->priv = sp;
	if (cfg->security_events)
		metrics_register("spire", spire_collect, f);
	return 0;
}

static void
spire_destroy(struct filter *f)
{
	struct spire_priv	*sp = f->priv;

	metrics_unregister(f);
	if (sp != NULL)
		free(sp->counts);
	free(sp);
}

/* --- pushdown ------------------------------------------------------------ */

static bool
audit_match(const void *arg, const char *val, size_t len)
{
	(void)arg;
	return len == 5 && memcmp(val, "audit", 5) == 0;
}

static bool
spire_gate_hop(const struct filter *f, const char *key, size_t klen,
    struct gate_hop *hop)
{
	static const char *const derived[] = {
		"level_raw", "spiffe_id", "attestor_type", "metrics", "caller",
		"agent_id",
	};
	const struct spire_cfg	*cfg = f->cfg;
	size_t			 i;

	if (klen == strlen(cfg->level_key) &&
	    memcmp(key, cfg->level_key, klen) == 0) {
		if (cfg->normalize_level)
			hop->map = level_map_fn;
		if (cfg->keep_audit) {
			hop->rescue.key = "type";
			hop->rescue.klen = 4;
			hop->rescue.match = audit_match;
		}
		return true;
	}
	if ((klen == strlen(cfg->component_key) &&
	    memcmp(key, cfg->component_key, klen) == 0) ||
	    (klen == strlen(cfg->timestamp_key) &&
	    memcmp(key, cfg->timestamp_key, klen) == 0) ||
	    (klen == strlen(cfg->security_event_key) &&
	    memcmp(key, cfg->security_event_key, klen) == 0))
		return false;
	for (i = 0; i < sizeof derived / sizeof derived[0]; i++)
		if (klen == strlen(derived[i]) && memcmp(key, derived[i],
		    klen) == 0)
			return false;
	return true;	/* everything else passes unchanged */
}

const struct filter_ops filter_spire = {
	.name = "spire",
	.help = "normalise SPIRE's levels, set component and @timestamp, map "
	    "SPIRE's fields onto the index template, classify and count "
	    "security events",
	.params = spire_params,
	.cfg_size = sizeof(struct spire_cfg),
	.init = spire_init,
	.run = spire_run,
	.destroy = spire_destroy,
	.gate_hop = spire_gate_hop,
};
