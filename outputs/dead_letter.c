/*
 * dead_letter.c — the dead-letter file of a buffered output: one JSON
 * line per record its peer rejected for good (the line is the output's:
 * es_dead.c, kafka_dead.c).
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

#include "dead_letter.h"
#include "encode.h"
#include "jsonenc.h"
#include "fsutil.h"
#include "log.h"
#include "mem.h"

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

void
dead_letter_put_doc(struct strbuf *out, const char *doc, size_t len)
{
	if (json_object_valid(doc, len))
		sb_add(out, doc, len);
	else	/* not ours to trust: kept, as text */
		json_put_string(out, doc, len);
}

char *
dead_letter_default_path(const struct buffer_cfg *bc)
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
dead_open(struct dead_letter *dl, struct err *e)
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
dead_log(const struct dead_letter *dl, const struct strbuf *lines)
{
	const char	*p = lines->buf, *end = p + lines->len, *nl;
	size_t		 n;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		log_error("%s: %s rejected a record for good "
		    "(set dead_letter_path to keep them in a file): %.*s%s",
		    dl->who, dl->peer, (int)(n > DEAD_LOG_MAX ? DEAD_LOG_MAX : n), p,
		    n > DEAD_LOG_MAX ? "..." : "");
	}
}

int
dead_letter_write(struct dead_letter *dl, const struct strbuf *lines,
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
		return err_wrap(e, "%s: dead-letter file %s (the records "
		    "stay in the buffer and are sent again)", dl->who,
		    dl->path);
	log_warn("%s: %zu record%s rejected by %s, written to %s", dl->who,
	    count, count == 1 ? "" : "s", dl->peer, dl->path);
	return 0;
}

void
dead_letter_close(struct dead_letter *dl)
{
	if (dl->fd != -1)
		close(dl->fd);
	dl->fd = -1;
	free(dl->path);
	dl->path = NULL;
}
