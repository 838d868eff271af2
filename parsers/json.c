/*
 * json.c — JSON lines into records, through yajl's callback parser.
 *
 * The callbacks append top-level members to the open record as they are
 * read and feed them to the gate, so that a line the filters would drop
 * is abandoned at its `level` instead of being read to its end. Nested
 * values are re-encoded compactly as JSON text. Each line needs a fresh
 * yajl handle (a cancelled or failed handle cannot be reused), so yajl
 * allocates from a bump region that is simply rewound after the line.
 */
#include <stddef.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "json.h"
#include "jsonenc.h"
#include "mem.h"
#include "strbuf.h"
#include "utf8.h"

#define BUMP_SIZE	(16 * 1024)

struct bump_hdr {
	size_t	 size;
	size_t	 heap;		/* 1: from malloc, not from the region */
};

struct json_parser {
	unsigned	 max_depth;
	yajl_alloc_funcs afuncs;
	char		*region;
	size_t		 used;

	/* State of the line being parsed. */
	struct batch	*b;
	const char	*line;
	size_t		 len;
	const struct gate *gate;
	struct gate_state *gst;
	yajl_handle	 h;
	bool		 late_gate;	/* a failed key may come again */
	unsigned	 depth;
	const char	*key;		/* current top-level key */
	size_t		 klen;
	struct strbuf	 nested;	/* a nested value being re-encoded */
	unsigned char	*first;		/* per depth: no member written yet */
	bool		 want_key;	/* nested: next string is a key */
	enum parse_status status;
	enum bad_kind	 kind;
};

static void *
bump_malloc(void *ctx, size_t n)
{
	struct json_parser	*jp = ctx;
	struct bump_hdr		*h;
	size_t			 need = sizeof *h + ((n + 15) & ~(size_t)15);

	if (jp->used + need <= BUMP_SIZE) {
		h = (struct bump_hdr *)(jp->region + jp->used);
		jp->used += need;
		h->heap = 0;
	} else {
		h = xmalloc(sizeof *h + n);
		h->heap = 1;
	}
	h->size = n;
	return h + 1;
}

static void
bump_free(void *ctx, void *p)
{
	struct bump_hdr	*h;

	(void)ctx;
	if (p == NULL)
		return;
	h = (struct bump_hdr *)p - 1;
	if (h->heap)
		free(h);
}

static void *
bump_realloc(void *ctx, void *p, size_t n)
{
	struct bump_hdr	*h;
	void		*q;

	if (p == NULL)
		return bump_malloc(ctx, n);
	h = (struct bump_hdr *)p - 1;
	if (n <= h->size)
		return p;
	q = bump_malloc(ctx, n);
	memcpy(q, p, h->size);
	bump_free(ctx, p);
	return q;
}

struct json_parser *
json_parser_new(unsigned max_depth)
{
	struct json_parser	*jp = xcalloc(1, sizeof *jp);

	jp->max_depth = max_depth ? max_depth : 64;
	jp->region = xmalloc(BUMP_SIZE);
	jp->first = xmalloc(jp->max_depth + 2);
	jp->afuncs.malloc = bump_malloc;
	jp->afuncs.realloc = bump_realloc;
	jp->afuncs.free = bump_free;
	jp->afuncs.ctx = jp;
	return jp;
}

void
json_parser_free(struct json_parser *jp)
{
	if (jp == NULL)
		return;
	sb_free(&jp->nested);
	free(jp->first);
	free(jp->region);
	free(jp);
}

/* Bytes from yajl point into the line, or into yajl's own buffer. */
static const char *
stable(struct json_parser *jp, const unsigned char *p, size_t n)
{
	const char	*s = (const char *)p;

	if (s >= jp->line && s + n <= jp->line + jp->len)
		return s;
	return batch_copy(jp->b, s, n);
}

static int
fail(struct json_parser *jp, enum bad_kind kind)
{
	jp->status = PARSE_FAIL;
	jp->kind = kind;
	return 0;
}

/*
 * Could a later member of the line have this key? Its last value is the
 * one the filters test, so the gate may only stop the parse when not.
 * The key's own bytes before a colon, or an escape that might spell it,
 * say maybe (so does text inside strings that looks like it: a false
 * maybe only costs the early exit).
 */
static bool
key_may_repeat(const char *rest, size_t n, const char *key, size_t klen)
{
	const char	*p = rest, *end = rest + n, *q;
	size_t		 i;

	while ((p = memchr(p, ':', (size_t)(end - p))) != NULL) {
		for (q = p; q > rest && (q[-1] == ' ' || q[-1] == '\t' ||
		    q[-1] == '\n' || q[-1] == '\r'); q--)
			;
		if ((size_t)(q - rest) >= klen + 2 && q[-1] == '"' &&
		    q[-(ptrdiff_t)klen - 2] == '"' &&
		    memcmp(q - klen - 1, key, klen) == 0)
			return true;
		p++;
	}
	for (p = rest; (p = memchr(p, '\\', (size_t)(end - p))) != NULL &&
	    p + 1 < end; p += 2)
		if (p[1] == 'u')
			return true;
	for (i = 0; i < klen; i++)
		if (key[i] == '"' || key[i] == '\\' || key[i] == '/' ||
		    (unsigned char)key[i] < 0x20)
			return memchr(rest, '\\', n) != NULL;
	return false;
}

/* A complete top-level member: append it and ask the gate. */
static int
member(struct json_parser *jp, const char *val, size_t vlen,
    enum value_type type)
{
	size_t	 at;

	batch_add(jp->b, jp->key, jp->klen, val, vlen, type);
	if (jp->gate == NULL || gate_feed(jp->gate, jp->gst, jp->key,
	    jp->klen, val, vlen) != GATE_DROP || jp->late_gate)
		return 1;
	at = yajl_get_bytes_consumed(jp->h);
	if (at < jp->len && key_may_repeat(jp->line + at, jp->len - at,
	    jp->key, jp->klen)) {
		jp->late_gate = true;	/* gate_passes decides at the end */
		return 1;
	}
	jp->status = PARSE_DROP;
	return 0;
}

/* Separator before a value or key inside a nested value. */
static void
nested_sep(struct json_parser *jp)
{
	if (jp->want_key)
		return;		/* a value right after its key */
	if (!jp->first[jp->depth])
		sb_addc(&jp->nested, ',');
	jp->first[jp->depth] = 0;
}

static int
scalar(struct json_parser *jp, const char *text, size_t n, bool str)
{
	if (jp->depth == 0)
		return fail(jp, BAD_FOREIGN_TEXT);
	if (jp->depth == 1) {
		if (str)
			return member(jp, stable(jp, (const unsigned char *)text,
			    n), n, VAL_STRING);
		return member(jp, stable(jp, (const unsigned char *)text, n),
		    n, VAL_RAW);
	}
	nested_sep(jp);
	jp->want_key = false;
	if (str)
		json_put_string(&jp->nested, text, n);
	else
		sb_add(&jp->nested, text, n);
	return 1;
}

static int
cb_null(void *ctx)
{
	return scalar(ctx, "null", 4, false);
}

static int
cb_boolean(void *ctx, int v)
{
	return v ? scalar(ctx, "true", 4, false) : scalar(ctx, "false", 5,
	    false);
}

static int
cb_number(void *ctx, const char *s, size_t n)
{
	return scalar(ctx, s, n, false);
}

static int
cb_string(void *ctx, const unsigned char *s, size_t n)
{
	return scalar(ctx, (const char *)s, n, true);
}

static int
open_nested(struct json_parser *jp, char c)
{
	if (jp->depth == 0) {
		if (c != '{')
			return fail(jp, BAD_FOREIGN_TEXT);
		jp->depth = 1;
		return 1;
	}
	if (jp->depth >= jp->max_depth)
		return fail(jp, BAD_DEEP_NESTING);
	if (jp->depth == 1)
		sb_reset(&jp->nested);
	else
		nested_sep(jp);
	sb_addc(&jp->nested, c);
	jp->depth++;
	jp->first[jp->depth] = 1;
	jp->want_key = false;
	return 1;
}

static int
close_nested(struct json_parser *jp, char c)
{
	jp->depth--;
	if (jp->depth == 0)
		return 1;	/* the end of the record itself */
	sb_addc(&jp->nested, c);
	jp->want_key = false;
	if (jp->depth == 1)
		return member(jp, batch_copy(jp->b, jp->nested.buf,
		    jp->nested.len), jp->nested.len, VAL_RAW);
	return 1;
}

static int
cb_start_map(void *ctx)
{
	return open_nested(ctx, '{');
}

static int
cb_end_map(void *ctx)
{
	return close_nested(ctx, '}');
}

static int
cb_start_array(void *ctx)
{
	return open_nested(ctx, '[');
}

static int
cb_end_array(void *ctx)
{
	return close_nested(ctx, ']');
}

static int
cb_map_key(void *ctx, const unsigned char *k, size_t n)
{
	struct json_parser	*jp = ctx;

	if (jp->depth == 1) {
		jp->key = stable(jp, k, n);
		jp->klen = n;
		return 1;
	}
	nested_sep(jp);
	json_put_string(&jp->nested, (const char *)k, n);
	sb_addc(&jp->nested, ':');
	jp->want_key = true;
	return 1;
}

static const yajl_callbacks json_callbacks = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_boolean,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_map_key,
	.yajl_end_map = cb_end_map,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end_array,
};

static void
json_begin(struct json_parser *jp, const char *line, size_t len,
    struct batch *b, const struct gate *gate, struct gate_state *gst)
{
	jp->b = b;
	jp->line = line;
	jp->len = len;
	jp->gate = gate_active(gate) ? gate : NULL;
	jp->gst = gst;
	jp->late_gate = false;
	jp->depth = 0;
	jp->want_key = false;
	jp->status = PARSE_OK;
	jp->kind = BAD_NONE;
	jp->used = 0;
}

/*
 * Bad bytes are what is wrong with a line, whatever yajl made of them
 * (it calls invalid UTF-8 and a NUL syntax errors, and lets encoded
 * surrogates and overlong forms through): parse.h's order.
 */
static void
json_check_bytes(struct json_parser *jp, const char *line, size_t len,
    struct parse_error *err)
{
	const char	*nul = NULL;
	size_t		 valid;

	if (jp->status == PARSE_FAIL && (nul = memchr(line, '\0', len)) !=
	    NULL) {
		fail(jp, BAD_EMBEDDED_NUL);
		err->offset = (size_t)(nul - line);
	} else if ((valid = utf8_valid_prefix(line, len)) != len) {
		fail(jp, BAD_INVALID_UTF8);
		err->offset = valid;
	} else if (jp->kind == BAD_TRUNCATED)
		err->offset = len;	/* it read all there was */
}

enum parse_status
json_parse_record(struct json_parser *jp, const char *line, size_t len,
    struct batch *b, const struct gate *gate, struct gate_state *gst,
    struct parse_error *err)
{
	yajl_handle	 h;
	yajl_status	 st;
	size_t		 i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] != '{') {
		jp->status = PARSE_FAIL;
		jp->kind = len == 0 ? BAD_EMPTY : BAD_FOREIGN_TEXT;
		err->offset = i;
		if (len > 0)
			json_check_bytes(jp, line, len, err);
		err->kind = jp->kind;
		err->what = "not a JSON object";
		return PARSE_FAIL;
	}
	json_begin(jp, line, len, b, gate, gst);
	h = jp->h = yajl_alloc(&json_callbacks, &jp->afuncs, jp);
	st = yajl_parse(h, (const unsigned char *)line, len);
	if (st == yajl_status_ok) {
		st = yajl_complete_parse(h);
		if (st != yajl_status_ok && jp->status == PARSE_OK)
			fail(jp, BAD_TRUNCATED);
	} else if (st == yajl_status_error && jp->status == PARSE_OK)
		fail(jp, BAD_SYNTAX);
	err->offset = yajl_get_bytes_consumed(h);
	yajl_free(h);
	jp->h = NULL;
	if (jp->status == PARSE_OK && jp->gate != NULL &&
	    !gate_passes(jp->gate, gst))
		jp->status = PARSE_DROP;
	if (jp->status != PARSE_DROP)
		json_check_bytes(jp, line, len, err);
	err->kind = jp->kind;
	err->what = jp->kind == BAD_NONE ? NULL : bad_kind_name(jp->kind);
	return jp->status;
}
