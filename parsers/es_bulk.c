/*
 * es_bulk.c — the bulk response through yajl's event parser (see
 * es_bulk.h).
 *
 * A small stack of contexts says where the parser is: the top object,
 * the items array, an item, its action object, its error, the error's
 * caused_by. Everything else (_shards, root_cause, a caller's unknown
 * keys) is skipped by counting its depth. An item's strings are copied
 * into one buffer that is rewound after each item, so memory stays that
 * of the largest item.
 */
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "es_bulk.h"
#include "mem.h"
#include "strbuf.h"

#define CTX_MAX		8
#define REASON_MAX	4096	/* longer reasons are cut */
/* Deeper nesting is no bulk response: a chain of caused_by is a few
 * levels. yajl keeps a byte per level, so depth would cost memory. */
#define DEPTH_MAX	64

enum ctx { C_TOP, C_ITEMS, C_ITEM, C_OP, C_ERROR, C_CAUSED };

/* The strings of an item, as offsets into the item buffer. */
enum item_str { S_ACTION, S_INDEX, S_ID, S_TYPE, S_REASON, S_CTYPE,
	S_CREASON, S_NSTR };

struct es_bulk_parser {
	yajl_handle	 h;
	es_bulk_item_fn	 cb;
	void		*arg;
	enum ctx	 stack[CTX_MAX];
	unsigned	 depth;		/* contexts on the stack */
	unsigned	 skip;		/* nesting inside a skipped value */
	char		 key[32];	/* the current key, cut */
	bool		 fed;		/* some byte other than blanks */
	bool		 seen_top;
	bool		 seen_items;
	struct strbuf	 strs;
	size_t		 off[S_NSTR];	/* (size_t)-1: missing */
	int		 status;
	struct es_bulk_summary sum;
	bool		 stopped;	/* by the callback */
	char		 err[256];
};

static enum ctx
top(const struct es_bulk_parser *p)
{
	return p->stack[p->depth - 1];
}

static bool
key_is(const struct es_bulk_parser *p, const char *k)
{
	return strcmp(p->key, k) == 0;
}

static void
item_reset(struct es_bulk_parser *p)
{
	size_t	 i;

	sb_reset(&p->strs);
	for (i = 0; i < S_NSTR; i++)
		p->off[i] = (size_t)-1;
	p->status = 0;
}

static void
item_set(struct es_bulk_parser *p, enum item_str s, const unsigned char *v,
    size_t len)
{
	if (len > REASON_MAX)
		len = REASON_MAX;
	p->off[s] = p->strs.len;
	sb_add(&p->strs, v, len);
	sb_addc(&p->strs, '\0');
}

static const char *
item_get(const struct es_bulk_parser *p, enum item_str s)
{
	return p->off[s] == (size_t)-1 ? "" : p->strs.buf + p->off[s];
}

static int
item_emit(struct es_bulk_parser *p)
{
	struct es_bulk_item	 it;

	it.n = p->sum.items++;
	it.action = item_get(p, S_ACTION);
	it.status = p->status;
	it.index = item_get(p, S_INDEX);
	it.id = item_get(p, S_ID);
	it.error_type = item_get(p, S_TYPE);
	it.error_reason = item_get(p, S_REASON);
	it.caused_by_type = item_get(p, S_CTYPE);
	it.caused_by_reason = item_get(p, S_CREASON);
	if (p->cb != NULL && p->cb(p->arg, &it) != 0) {
		p->stopped = true;
		snprintf(p->err, sizeof p->err, "stopped at item %zu", it.n);
		return 0;
	}
	item_reset(p);
	return 1;
}

static int
fail(struct es_bulk_parser *p, const char *what)
{
	snprintf(p->err, sizeof p->err, "not a bulk response: %s", what);
	return 0;
}

static int
push(struct es_bulk_parser *p, enum ctx c)
{
	if (p->depth == CTX_MAX)
		return fail(p, "nested too deep");
	p->stack[p->depth++] = c;
	p->key[0] = '\0';
	return 1;
}

/* --- yajl callbacks ------------------------------------------------------ */

/* Inside a skipped value a nested one only deepens the skip. */
static int
skip_deeper(struct es_bulk_parser *p)
{
	if (p->depth + p->skip >= DEPTH_MAX)
		return fail(p, "nested too deep");
	p->skip++;
	return 1;
}

static int
on_start_map(void *ctx)
{
	struct es_bulk_parser	*p = ctx;

	if (p->skip > 0)
		return skip_deeper(p);
	if (p->depth == 0) {
		if (p->seen_top)
			return fail(p, "more than one value");
		p->seen_top = true;
		return push(p, C_TOP);
	}
	switch (top(p)) {
	case C_ITEMS:
		item_reset(p);
		return push(p, C_ITEM);
	case C_ITEM:
		return push(p, C_OP);
	case C_OP:
		if (key_is(p, "error"))
			return push(p, C_ERROR);
		break;
	case C_ERROR:
		if (key_is(p, "caused_by"))
			return push(p, C_CAUSED);
		break;
	default:
		break;
	}
	p->skip = 1;
	return 1;
}

static int
on_start_array(void *ctx)
{
	struct es_bulk_parser	*p = ctx;

	if (p->skip > 0)
		return skip_deeper(p);
	if (p->depth == 0)
		return fail(p, "an array, not an object");
	if (top(p) == C_TOP && key_is(p, "items")) {
		p->seen_items = true;
		return push(p, C_ITEMS);
	}
	if (top(p) == C_ITEMS)
		return fail(p, "an item is not an object");
	p->skip = 1;
	return 1;
}

static int
on_end(void *ctx)
{
	struct es_bulk_parser	*p = ctx;
	enum ctx		 c;

	if (p->skip > 0) {
		p->skip--;
		return 1;
	}
	c = p->stack[--p->depth];
	if (c == C_ITEM)
		return item_emit(p);
	return 1;
}

static int
on_key(void *ctx, const unsigned char *k, size_t len)
{
	struct es_bulk_parser	*p = ctx;

	if (p->skip > 0)
		return 1;
	if (len >= sizeof p->key)
		len = sizeof p->key - 1;
	memcpy(p->key, k, len);
	p->key[len] = '\0';
	if (top(p) == C_ITEM)
		item_set(p, S_ACTION, k, len);
	return 1;
}

/* A scalar where an object or array was expected ends the parse. */
static int
scalar_check(struct es_bulk_parser *p)
{
	if (p->depth == 0)
		return fail(p, "a scalar, not an object");
	if (top(p) == C_ITEMS)
		return fail(p, "an item is not an object");
	if (top(p) == C_ITEM)
		return fail(p, "an item's action is not an object");
	return 1;
}

static int
on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct es_bulk_parser	*p = ctx;

	if (p->skip > 0)
		return 1;
	if (!scalar_check(p))
		return 0;
	if (top(p) == C_OP) {
		if (key_is(p, "_index"))
			item_set(p, S_INDEX, s, len);
		else if (key_is(p, "_id"))
			item_set(p, S_ID, s, len);
		else if (key_is(p, "error"))	/* old: a plain string */
			item_set(p, S_REASON, s, len);
	} else if (top(p) == C_ERROR || top(p) == C_CAUSED) {
		bool	 cause = top(p) == C_CAUSED;

		if (key_is(p, "type"))
			item_set(p, cause ? S_CTYPE : S_TYPE, s, len);
		else if (key_is(p, "reason"))
			item_set(p, cause ? S_CREASON : S_REASON, s, len);
	}
	return 1;
}

static int
on_integer(void *ctx, long long v)
{
	struct es_bulk_parser	*p = ctx;

	if (p->skip > 0)
		return 1;
	if (!scalar_check(p))
		return 0;
	if (top(p) == C_OP && key_is(p, "status"))
		p->status = v >= 0 && v < 1000 ? (int)v : 0;
	else if (top(p) == C_TOP && key_is(p, "took"))
		p->sum.took = v;
	return 1;
}

static int
on_double(void *ctx, double v)
{
	struct es_bulk_parser	*p = ctx;

	(void)v;
	return p->skip > 0 || scalar_check(p);
}

static int
on_boolean(void *ctx, int v)
{
	struct es_bulk_parser	*p = ctx;

	if (p->skip > 0)
		return 1;
	if (!scalar_check(p))
		return 0;
	if (top(p) == C_TOP && key_is(p, "errors"))
		p->sum.errors = v != 0;
	return 1;
}

static int
on_null(void *ctx)
{
	struct es_bulk_parser	*p = ctx;

	return p->skip > 0 || scalar_check(p);
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_boolean,
	.yajl_integer = on_integer,
	.yajl_double = on_double,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_key,
	.yajl_end_map = on_end,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end,
};

/* --- the parser ---------------------------------------------------------- */

struct es_bulk_parser *
es_bulk_new(es_bulk_item_fn cb, void *arg)
{
	struct es_bulk_parser	*p = xcalloc(1, sizeof *p);

	p->cb = cb;
	p->arg = arg;
	p->sum.took = -1;
	p->h = yajl_alloc(&callbacks, NULL, p);
	item_reset(p);
	return p;
}

void
es_bulk_free(struct es_bulk_parser *p)
{
	if (p == NULL)
		return;
	yajl_free(p->h);
	sb_free(&p->strs);
	free(p);
}

/* Keeps our reason if a callback gave one, else yajl's. */
static int
parse_failed(struct es_bulk_parser *p, const unsigned char *buf, size_t len)
{
	unsigned char	*msg;
	size_t		 n;

	if (p->err[0] == '\0') {
		msg = yajl_get_error(p->h, 0, buf, len);
		snprintf(p->err, sizeof p->err, "not a bulk response: %s",
		    (const char *)msg);
		yajl_free_error(p->h, msg);
		n = strlen(p->err);
		while (n > 0 && (p->err[n - 1] == '\n' || p->err[n - 1] == ' '))
			p->err[--n] = '\0';
	}
	return -1;
}

int
es_bulk_feed(struct es_bulk_parser *p, const char *buf, size_t len)
{
	const unsigned char	*u = (const unsigned char *)buf;

	size_t			 i;

	if (p->err[0] != '\0')
		return -1;
	for (i = 0; i < len && !p->fed; i++)
		p->fed = buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\r' &&
		    buf[i] != '\t';
	if (yajl_parse(p->h, u, len) != yajl_status_ok)
		return parse_failed(p, u, len);
	return 0;
}

int
es_bulk_finish(struct es_bulk_parser *p, struct es_bulk_summary *sum)
{
	if (p->err[0] != '\0')
		return -1;
	if (!p->fed)
		return fail(p, "empty body"), -1;
	if (yajl_complete_parse(p->h) != yajl_status_ok)
		return parse_failed(p, NULL, 0);
	if (!p->seen_items)
		return fail(p, "no items array"), -1;
	*sum = p->sum;
	return 0;
}

const char *
es_bulk_error(const struct es_bulk_parser *p)
{
	return p->err;
}

int
es_bulk_parse(const char *body, size_t len, es_bulk_item_fn cb, void *arg,
    struct es_bulk_summary *sum, char *errmsg, size_t errsize)
{
	struct es_bulk_parser	*p = es_bulk_new(cb, arg);
	int			 rc;

	rc = es_bulk_feed(p, body, len);
	if (rc == 0)
		rc = es_bulk_finish(p, sum);
	if (rc != 0)
		snprintf(errmsg, errsize, "%s", es_bulk_error(p));
	es_bulk_free(p);
	return rc;
}
