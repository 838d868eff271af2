/*
 * filter_spire.c — `@type spire`: make SPIRE's records mean what the
 * configuration and the index template expect.
 *
 * logrus writes levels in lower case and spells warn "warning", so a
 * grep on ^(ERROR|WARN)$ would keep nothing: level is normalised to
 * ERROR/WARN/INFO/DEBUG (the original kept in level_raw). The filter also
 * sets component (spire-server/spire-agent), @timestamp (RFC 3339, ns)
 * from the event time, and maps SPIRE's field names onto the template's:
 * spiffe_id, attestor_type, metrics.{duration_ms,count}. With keep_audit,
 * SPIRE's audit records (type=audit, written at INFO) pass a later grep
 * on level: they are security events.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "plugin.h"
#include "timefmt.h"

struct spire_cfg {
	bool	 normalize_level;
	char	*level_key;
	bool	 keep_audit;
	char	*component;
	char	*component_key;
	char	*timestamp_key;
	bool	 map_fields;
};

struct spire_priv {
	size_t		 level_klen;
	const char	*last_tag;	/* component cache, by tag pointer */
	const char	*last_component;
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
	  .help = "add spiffe_id, attestor_type and metrics.* from SPIRE's "
	  "own field names" },
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

static void
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
}

/* --- field mapping ------------------------------------------------------- */

static const struct field *
get_str(const struct batch *b, const struct record *r, const char *key)
{
	const struct field *f = record_get(b, r, key, strlen(key));

	return f != NULL && f->type == VAL_STRING && f->vlen > 0 ? f : NULL;
}

/* "nodeattestor(k8s_psat)" or `workload attestor "k8s"` inside s. */
static bool
attestor_in(const char *s, size_t len, const char **at, size_t *alen)
{
	static const char *const marks[] = {
		"odeattestor(", "orkload attestor \"", "orkloadattestor(",
	};
	size_t	 i, m;

	for (m = 0; m < sizeof marks / sizeof marks[0]; m++) {
		size_t	 ml = strlen(marks[m]);

		for (i = 0; i + ml < len; i++) {
			size_t	 j = i + ml;

			if (memcmp(s + i, marks[m], ml) != 0)
				continue;
			while (j < len && (isalnum((unsigned char)s[j]) ||
			    s[j] == '_' || s[j] == '-'))
				j++;
			if (j > i + ml && j < len && (s[j] == ')' ||
			    s[j] == '"')) {
				*at = s + i + ml;
				*alen = j - i - ml;
				return true;
			}
		}
	}
	return false;
}

static void
map_attestor(struct batch *b, struct record *r)
{
	static const char *const srcs[] = { "msg", "error" };
	const struct field	*f;
	const char		*at;
	size_t			 alen, i;

	if (record_get(b, r, FIELD_STR("attestor_type")) != NULL)
		return;
	if ((f = get_str(b, r, "node_attestor_type")) != NULL) {
		batch_add(b, FIELD_STR("attestor_type"), f->val, f->vlen,
		    VAL_STRING);
		return;
	}
	for (i = 0; i < sizeof srcs / sizeof srcs[0]; i++) {
		if ((f = get_str(b, r, srcs[i])) != NULL &&
		    attestor_in(f->val, f->vlen, &at, &alen)) {
			batch_add(b, FIELD_STR("attestor_type"), at, alen,
			    VAL_STRING);
			return;
		}
	}
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

	(void)gate;
	if (cfg->normalize_level)
		set_level(cfg, sp, b, r);
	set_component(cfg, sp, b, r);
	if (cfg->timestamp_key[0] != '\0')
		set_timestamp(cfg, b, r);
	if (cfg->map_fields) {
		map_spiffe_id(b, r);
		map_attestor(b, r);
		map_metrics(b, r);
	}
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
	return 0;
}

static void
spire_destroy(struct filter *f)
{
	free(f->priv);
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
		"level_raw", "spiffe_id", "attestor_type", "metrics",
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
	    memcmp(key, cfg->timestamp_key, klen) == 0))
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
	    "SPIRE's fields onto the index template",
	.params = spire_params,
	.cfg_size = sizeof(struct spire_cfg),
	.init = spire_init,
	.run = spire_run,
	.destroy = spire_destroy,
	.gate_hop = spire_gate_hop,
};
