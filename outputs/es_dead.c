/*
 * es_dead.c — the dead-letter file: documents Elasticsearch rejected
 * for good (a mapping error, a 400), one JSON line each, with the index,
 * the _id, the status, ES's reason and the document as it was sent:
 *
 *   {"time":"...","index":"spire-logs-2024.05.01","_id":"...","status":400,
 *    "error":{"type":"document_parsing_exception","reason":"...",
 *    "caused_by":{"reason":"..."}},"document":{...}}
 *
 * A chunk is deleted once its entries are settled, so the lines are on
 * disk (fdatasync) before any entry is settled as dead; when they cannot
 * be written, the entries stay pending and are sent again. Without a
 * file each line goes to the error log. Never silent, never retried for
 * ever.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "encode.h"
#include "es.h"
#include "fsutil.h"
#include "log.h"
#include "mem.h"
#include "timefmt.h"

#define DEAD_LOG_MAX	4096	/* bytes of a line in the error log */

/* Is doc one JSON object (and nothing more)? */
static bool
json_object_valid(const char *doc, size_t len)
{
	yajl_handle	 h;
	bool		 ok;

	if (len == 0 || doc[0] != '{')
		return false;
	h = yajl_alloc(NULL, NULL, NULL);
	ok = yajl_parse(h, (const unsigned char *)doc, len) == yajl_status_ok &&
	    yajl_complete_parse(h) == yajl_status_ok;
	yajl_free(h);
	return ok;
}

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
	if (json_object_valid(d->doc, d->doclen))
		sb_add(out, d->doc, d->doclen);
	else	/* not ours to trust: kept, as text */
		json_put_string(out, d->doc, d->doclen);
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

char *
es_dead_default_path(const struct buffer_cfg *bc)
{
	const char	*star, *slash;

	if (bc == NULL || bc->type == BUFFER_MEMORY || bc->path == NULL)
		return NULL;
	if ((star = strchr(bc->path, '*')) == NULL)
		return xasprintf("%s/dead-letter.ndjson", bc->path);
	for (slash = star; slash > bc->path && *slash != '/'; slash--)
		;	/* Fluentd's dir/x.*.log: beside the chunks */
	if (*slash != '/')
		return xstrdup("dead-letter.ndjson");
	return xasprintf("%.*s/dead-letter.ndjson", (int)(slash - bc->path),
	    bc->path);
}

static int
dead_open(struct es_deadletter *dl, struct err *e)
{
	if (mkdir_parents(dl->path, 0755, e) != 0)
		return -1;
	dl->fd = open(dl->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0640);
	if (dl->fd == -1)
		return err_set(e, "cannot open it: %s (check dead_letter_path "
		    "and its permissions)", strerror(errno));
	return 0;
}

static void
dead_log(const struct es_deadletter *dl, const struct strbuf *lines)
{
	const char	*p = lines->buf, *end = p + lines->len, *nl;
	size_t		 n;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		log_error("%s: Elasticsearch rejected a document for good "
		    "(set dead_letter_path to keep them in a file): %.*s%s",
		    dl->who, (int)(n > DEAD_LOG_MAX ? DEAD_LOG_MAX : n), p,
		    n > DEAD_LOG_MAX ? "..." : "");
	}
}

int
es_dead_write(struct es_deadletter *dl, const struct strbuf *lines,
    size_t count, struct err *e)
{
	if (count == 0)
		return 0;
	if (dl->path == NULL) {
		dead_log(dl, lines);
		return 0;
	}
	if ((dl->fd == -1 && dead_open(dl, e) != 0) ||
	    write_all(dl->fd, lines->buf, lines->len, e) != 0 ||
	    (fdatasync(dl->fd) != 0 && err_set(e, "fdatasync: %s",
	    strerror(errno))))
		return err_wrap(e, "%s: dead-letter file %s (the documents "
		    "stay in the buffer and are sent again)", dl->who,
		    dl->path);
	log_warn("%s: %zu document%s rejected by Elasticsearch, written to "
	    "%s", dl->who, count, count == 1 ? "" : "s", dl->path);
	return 0;
}

void
es_dead_close(struct es_deadletter *dl)
{
	if (dl->fd != -1)
		close(dl->fd);
	dl->fd = -1;
	free(dl->path);
	dl->path = NULL;
}
