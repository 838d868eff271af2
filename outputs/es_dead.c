/*
 * es_dead.c — the dead-letter file: documents Elasticsearch rejected
 * for good (a mapping error, a 400), one JSON line each, with the index,
 * the _id, the status, ES's reason and the document as it was sent:
 *
 *   {"time":"...","index":"spire-logs-2024.05.01","_id":"...","status":400,
 *    "error":{"type":"document_parsing_exception","reason":"...",
 *    "caused_by":{"reason":"..."}},"document":{...}}
 *
 * Writing them is dead_letter.c's, shared with the Kafka output.
 */
#include <string.h>

#include <yajl/yajl_tree.h>

#include "encode.h"
#include "es.h"
#include "mem.h"
#include "timefmt.h"

static void
put_str(struct strbuf *out, const char *key, const char *val)
{
	sb_addf(out, "\"%s\":", key);
	json_put_string(out, val, strlen(val));
}

void
es_dead_line(struct strbuf *out, int64_t now_ns, const struct es_dead *d)
{
	char	 ts[RFC3339_NANO_LEN + 1];

	time_format_rfc3339(now_ns, ts);
	sb_addc(out, '{');
	put_str(out, "time", ts);
	sb_addc(out, ',');
	put_str(out, "index", d->index);
	sb_addc(out, ',');
	put_str(out, "_id", d->id);
	sb_addf(out, ",\"status\":%d,\"error\":{", d->status);
	put_str(out, "type", d->type);
	sb_addc(out, ',');
	put_str(out, "reason", d->reason);
	if (d->cause[0] != '\0') {
		sb_adds(out, ",\"caused_by\":{");
		put_str(out, "reason", d->cause);
		sb_addc(out, '}');
	}
	sb_adds(out, "},\"document\":");
	dead_letter_put_doc(out, d->doc, d->doclen);
	sb_adds(out, "}\n");
}

static void
tree_string(yajl_val obj, const char *key, struct strbuf *out)
{
	const char	*path[] = { key, NULL };
	yajl_val	 v = yajl_tree_get(obj, path, yajl_t_string);

	sb_reset(out);
	if (v != NULL)
		sb_adds(out, YAJL_GET_STRING(v));
	sb_cstr(out);
}

void
es_entry_parts(const char *p, size_t len, struct strbuf *index,
    struct strbuf *id, const char **doc, size_t *doclen)
{
	const char	*nl = memchr(p, '\n', len);
	size_t		 alen = nl ? (size_t)(nl - p) : len;
	char		*action = xstrndup(p, alen);
	yajl_val	 top = yajl_tree_parse(action, NULL, 0);

	sb_reset(index);
	sb_reset(id);
	if (top != NULL && YAJL_IS_OBJECT(top) && top->u.object.len > 0) {
		tree_string(top->u.object.values[0], "_index", index);
		tree_string(top->u.object.values[0], "_id", id);
	}
	sb_cstr(index);
	sb_cstr(id);
	yajl_tree_free(top);
	free(action);
	*doc = nl ? nl + 1 : p + len;
	*doclen = len - (size_t)(*doc - p);
	if (*doclen > 0 && (*doc)[*doclen - 1] == '\n')
		(*doclen)--;
}
