/*
 * es_encode.c — one record to one bulk entry (see es.h):
 *
 *   {"index":{"_index":"spire-logs-2024.05.01","_id":"<32 hex>"}}\n
 *   {...the record..., "@timestamp":"..."}\n
 *
 * The one idea is the _id: the record's source identity (source_id.h:
 * a hash of its file's identity, and its byte offset there). A replay, a
 * retry, a repeated backfill or a backfill of a file that was tailed
 * live writes the same ids, so Elasticsearch overwrites instead of duplicating; identical
 * lines at different offsets stay distinct.
 *
 * The record is written straight into the entry: no field is copied or
 * allocated; the index name of the last second seen is cached.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "es.h"
#include "mem.h"
#include "source_id.h"
#include "timefmt.h"

static const char *const op_names[] = { "index", "create", "update",
	"upsert" };

static void
lower_copy(char *dst, const char *src, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
}

/*
 * id_key and routing_key: "$.a.b" is a path through nested objects,
 * anything else one key. target_index_key (Fluentd's way): "a.b" is.
 */
static int
path_split(char *spec, bool dotted, struct es_path *p, const char *name,
    const struct conf_elem *el, struct err *e)
{
	char	*s = spec, *dot;

	if (!dotted && strncmp(spec, "$.", 2) != 0) {
		p->keys[0] = spec;
		p->lens[0] = strlen(spec);
		p->depth = 1;
		return 0;
	}
	if (!dotted)
		s += 2;
	for (;; s = dot + 1) {
		if (p->depth == ES_PATH_MAX)
			return param_err_at(e, el, name, "%s '%s': at most %d "
			    "levels of nesting", name, spec, ES_PATH_MAX);
		p->keys[p->depth] = s;
		dot = strchr(s, '.');
		p->lens[p->depth++] = dot ? (size_t)(dot - s) : strlen(s);
		if (dot == NULL)
			return 0;
	}
}

static int
skip_add(struct es_encoder *enc, const char *key, const struct conf_elem *el,
    struct err *e)
{
	if (enc->nskip == ES_SKIP_MAX)
		return param_err_at(e, el, "remove_keys", "remove_keys: at "
		    "most %d keys", ES_SKIP_MAX - 2);
	enc->skip[enc->nskip].key = key;
	enc->skip[enc->nskip++].len = strlen(key);
	return 0;
}

/* The three paths' strings, copied one after the other. */
static int
paths_init(struct es_encoder *enc, const struct es_cfg *cfg,
    const struct conf_elem *el, struct err *e)
{
	const char	*spec[3] = { cfg->id_key, cfg->routing_key,
			    cfg->target_index_key };
	static const char *const names[3] = { "id_key", "routing_key",
			    "target_index_key" };
	struct es_path	*paths[3] = { &enc->id, &enc->routing, &enc->target };
	size_t		 total = 0, i;
	char		*at;

	for (i = 0; i < 3; i++)
		total += spec[i] ? strlen(spec[i]) + 1 : 0;
	at = enc->path_copy = xmalloc(total + 1);
	for (i = 0; i < 3; i++) {
		if (spec[i] == NULL)
			continue;
		strcpy(at, spec[i]);
		if (path_split(at, i == 2, paths[i], names[i], el, e) != 0)
			return -1;
		at += strlen(spec[i]) + 1;
	}
	return 0;
}

int
es_encoder_init(struct es_encoder *enc, const struct es_cfg *cfg,
    const struct conf_elem *el, struct err *e)
{
	size_t	 n = strlen(cfg->index_name), i;

	memset(enc, 0, sizeof *enc);
	enc->cfg = cfg;
	if (n == 0 || n > ES_INDEX_MAX)
		return param_err_at(e, el, "index_name", "index_name '%s': "
		    "give 1 to %d bytes", cfg->index_name, ES_INDEX_MAX);
	lower_copy(enc->index_name, cfg->index_name, n);
	if (cfg->target_index_key != NULL &&
	    strchr(cfg->target_index_key, '.') == NULL &&
	    skip_add(enc, cfg->target_index_key, el, e) != 0)
		return -1;
	if (cfg->include_tag_key && skip_add(enc, cfg->tag_key, el, e) != 0)
		return -1;
	for (i = 0; cfg->remove_keys != NULL && cfg->remove_keys[i]; i++)
		if (skip_add(enc, cfg->remove_keys[i], el, e) != 0)
			return -1;
	return paths_init(enc, cfg, el, e);
}

void
es_encoder_free(struct es_encoder *enc)
{
	free(enc->path_copy);
	sb_free(&enc->scratch);
}

/* --- times and index names ----------------------------------------------- */

static bool
parse_time(const struct es_cfg *cfg, const struct field *f, int64_t *ns)
{
	if (f == NULL || f->type != VAL_STRING)
		return false;
	if (cfg->time_key_format != NULL)
		return time_parse_format(cfg->time_key_format, f->val, f->vlen,
		    ns) == 0;
	return time_parse_rfc3339(f->val, f->vlen, ns) == 0;
}

size_t
es_logstash_index(struct es_encoder *enc, int64_t ns, char *out, size_t size)
{
	const struct es_cfg	*cfg = enc->cfg;
	int64_t			 sec = ns / 1000000000 - (ns % 1000000000 < 0);
	time_t			 t = (time_t)sec;
	struct tm		 tm;
	char			 date[128];
	int			 n;

	if (!enc->cached || enc->cached_sec != sec) {
		if (cfg->utc_index)
			gmtime_r(&t, &tm);
		else
			localtime_r(&t, &tm);
		if (strftime(date, sizeof date, cfg->logstash_dateformat,
		    &tm) == 0)
			date[0] = '\0';
		n = snprintf(enc->cached_index, sizeof enc->cached_index,
		    "%s%s%s", cfg->logstash_prefix,
		    cfg->logstash_prefix_separator, date);
		enc->cached_len = n < 0 ? 0 : (size_t)n >= sizeof
		    enc->cached_index ? sizeof enc->cached_index - 1 :
		    (size_t)n;
		lower_copy(enc->cached_index, enc->cached_index,
		    enc->cached_len);
		enc->cached_sec = sec;
		enc->cached = true;
	}
	snprintf(out, size, "%s", enc->cached_index);
	return enc->cached_len < size ? enc->cached_len : size - 1;
}

void
es_index_example(struct es_encoder *enc, int64_t now_ns, char *out,
    size_t size)
{
	if (enc->cfg->logstash_format)
		es_logstash_index(enc, now_ns, out, size);
	else
		snprintf(out, size, "%s", enc->index_name);
}

static const struct field *
path_get(const struct batch *b, const struct record *r,
    const struct es_path *p)
{
	return p->depth ? record_get_path(b, r, p->keys, p->lens, p->depth) :
	    NULL;
}

/* The record's index: target_index_key, else the date's, else index_name. */
static void
put_index(struct es_encoder *enc, const struct batch *b,
    const struct record *r, int64_t t, struct strbuf *out)
{
	const struct field	*f = path_get(b, r, &enc->target);
	char			 name[ES_INDEX_MAX + 1];
	size_t			 n;

	if (f != NULL && f->type == VAL_STRING && f->vlen > 0) {
		sb_reset(&enc->scratch);
		sb_add(&enc->scratch, f->val, f->vlen);
		lower_copy(enc->scratch.buf, enc->scratch.buf, f->vlen);
		json_put_string(out, enc->scratch.buf, f->vlen);
	} else if (enc->cfg->logstash_format) {
		n = es_logstash_index(enc, t, name, sizeof name);
		json_put_string(out, name, n);
	} else
		json_put_string(out, enc->index_name, strlen(enc->index_name));
}

static void
put_meta_field(struct strbuf *out, const char *key, const struct field *f)
{
	if (f == NULL || f->type == VAL_OBJECT)
		return;
	sb_addf(out, ",\"%s\":", key);
	json_put_string(out, f->val, f->vlen);	/* numbers as strings */
}

static void
put_action(struct es_encoder *enc, const struct batch *b,
    const struct record *r, int64_t t, struct strbuf *out)
{
	const struct es_cfg	*cfg = enc->cfg;
	char			 id[SOURCE_ID_LEN + 1];

	sb_addf(out, "{\"%s\":{\"_index\":", op_names[cfg->write_operation]);
	put_index(enc, b, r, t, out);
	if (enc->id.depth > 0)
		put_meta_field(out, "_id", path_get(b, r, &enc->id));
	else if (cfg->deterministic_id && source_id(b, r, id))
		sb_addf(out, ",\"_id\":\"%s\"", id);
	put_meta_field(out, "routing", path_get(b, r, &enc->routing));
	if (cfg->pipeline != NULL) {
		sb_adds(out, ",\"pipeline\":");
		json_put_string(out, cfg->pipeline, strlen(cfg->pipeline));
	}
	sb_adds(out, "}}\n");
}

static void
put_member(struct strbuf *out, int *first, const char *key, const char *val,
    size_t len)
{
	if (!*first)
		sb_addc(out, ',');
	*first = 0;
	json_put_string(out, key, strlen(key));
	sb_addc(out, ':');
	json_put_string(out, val, len);
}

void
es_encode(struct es_encoder *enc, const struct batch *b,
    const struct record *r, struct strbuf *out)
{
	const struct es_cfg	*cfg = enc->cfg;
	const struct field	*ts = record_get(b, r, FIELD_STR("@timestamp"));
	const struct field	*tk = NULL;
	bool			 want_ts = cfg->logstash_format ||
				    cfg->include_timestamp;
	const char		*add = NULL;
	size_t			 addlen = 0;
	char			 now[RFC3339_NANO_LEN + 1];
	int64_t			 t = r->time;
	int			 first = 1;

	if (cfg->time_key != NULL && ts == NULL)
		tk = record_get(b, r, cfg->time_key, strlen(cfg->time_key));
	if (!parse_time(cfg, ts != NULL ? ts : tk, &t))
		t = r->time;
	if (want_ts && ts == NULL) {
		if (tk != NULL && tk->type == VAL_STRING) {
			if (!cfg->time_key_exclude_timestamp) {
				add = tk->val;
				addlen = tk->vlen;
			}
		} else {
			addlen = time_format_rfc3339(r->time, now);
			add = now;
		}
	}
	put_action(enc, b, r, t, out);
	sb_addc(out, '{');
	json_put_members(out, b, r, enc->skip, enc->nskip, &first);
	if (add != NULL)
		put_member(out, &first, "@timestamp", add, addlen);
	if (cfg->include_tag_key)
		put_member(out, &first, cfg->tag_key, b->tag ? b->tag : "",
		    b->tag ? b->taglen : 0);
	sb_adds(out, "}\n");
}
