/*
 * fuzz_record.h — the checks the JSON and logfmt targets share.
 *
 * A line is parsed three times into a batch: without a gate, with
 * SPIRE's level gate (final, so it may drop early) and, when it parsed,
 * its JSON encoding through the JSON parser again. Asserted:
 *  - a failure has a kind, an offset in the line, and rolls back to the
 *    batch as it was;
 *  - the encoding of a record is valid JSON in valid UTF-8;
 *  - the gate is only an early exit: a gated parse that keeps the line
 *    gives the same record, one that fails fails the same way, and one
 *    that drops it drops a line that fails or whose record the gate
 *    rejects;
 *  - the encoding is a fixed point: parsed as JSON and encoded again it
 *    is the same text (a decoded NUL, which the JSON parser refuses,
 *    aside).
 */
#ifndef FUZZ_RECORD_H
#define FUZZ_RECORD_H

#include "fuzz.h"
#include "../unit/gate_fixtures.h"

#include "gate.h"
#include "json.h"
#include "jsonenc.h"
#include "mem.h"
#include "parse.h"
#include "record.h"
#include "strbuf.h"

typedef enum parse_status (*fuzz_parse_fn)(void *arg, const char *line,
	    size_t len, struct batch *b, const struct gate *g,
	    struct gate_state *gst, struct parse_error *err);

/* One parse into a new record of b; the record stays open. */
static inline enum parse_status
fuzz_parse_one(fuzz_parse_fn fn, void *arg, const char *line, size_t len,
    struct batch *b, const struct gate *g, struct gate_state *gst,
    struct parse_error *err)
{
	size_t			 nfields = b->nfields;
	enum parse_status	 st;

	batch_begin(b);
	memset(err, 0, sizeof *err);
	st = fn(arg, line, len, b, g, gst, err);
	FUZZ_ASSERT(st == PARSE_OK || st == PARSE_DROP || st == PARSE_FAIL);
	FUZZ_ASSERT(g != NULL || st != PARSE_DROP);
	if (st == PARSE_FAIL) {
		FUZZ_ASSERT(err->kind > BAD_NONE && err->kind < BAD_NKINDS);
		FUZZ_ASSERT(err->offset <= len);
	}
	if (st != PARSE_OK) {
		batch_rollback(b);
		FUZZ_ASSERT(b->nfields == nfields && !b->open);
	}
	return st;
}

/* Would the gate let the committed record r through? */
static inline bool
fuzz_gate_passes(const struct gate *g, const struct batch *b,
    const struct record *r)
{
	const struct field	*f = record_fields(b, r);
	struct gate_state	 gst;
	size_t			 i;

	gate_start(&gst);
	for (i = 0; i < r->nfields; i++) {
		if (!(f[i].flags & FIELD_DELETED))
			gate_feed(g, &gst, f[i].key, f[i].klen, f[i].val,
			    f[i].vlen);
		if (f[i].type == VAL_OBJECT)
			i += f[i].vlen;
	}
	return gate_passes(g, &gst);
}

static inline void
fuzz_encode_last(const struct batch *b, struct strbuf *sb)
{
	sb_reset(sb);
	json_put_record(sb, b, &b->recs[b->nrecs - 1]);
	FUZZ_ASSERT(fuzz_is_json(sb->buf, sb->len, 1));
}

/* Are the two encodings the same? Prints both when they are not. */
static inline bool
fuzz_same(const struct strbuf *a, const struct strbuf *b)
{
	if (a->len == b->len && memcmp(a->buf, b->buf, a->len) == 0)
		return true;
	fprintf(stderr, "first:  %.*s\nsecond: %.*s\n", (int)a->len, a->buf,
	    (int)b->len, b->buf);
	return false;
}

static inline bool
fuzz_has_nul(const struct batch *b, const struct record *r)
{
	const struct field	*f = record_fields(b, r);
	size_t			 i;

	for (i = 0; i < r->nfields; i++)
		if (memchr(f[i].key, '\0', f[i].klen) != NULL ||
		    (f[i].type != VAL_OBJECT &&
		    memchr(f[i].val, '\0', f[i].vlen) != NULL))
			return true;
	return false;
}

static enum parse_status
fuzz_json_fn(void *arg, const char *line, size_t len, struct batch *b,
    const struct gate *g, struct gate_state *gst, struct parse_error *err)
{
	return json_parse_record(arg, line, len, b, g, gst, err);
}

static inline void
fuzz_record_check(fuzz_parse_fn fn, void *arg, struct json_parser *jp,
    const char *line, size_t len)
{
	struct batch		 b;
	struct strbuf		 enc = STRBUF_INIT, enc2 = STRBUF_INIT;
	struct parse_error	 err, gerr;
	struct gate_state	 gst;
	enum parse_status	 st, gst_st;
	bool			 passes = false, nul = false;

	batch_init(&b);
	st = fuzz_parse_one(fn, arg, line, len, &b, NULL, NULL, &err);
	if (st == PARSE_OK) {
		batch_commit(&b);
		fuzz_encode_last(&b, &enc);
		passes = fuzz_gate_passes(&level_gate, &b, &b.recs[0]);
		nul = fuzz_has_nul(&b, &b.recs[0]);
	}

	gate_start(&gst);
	gate_final(&gst);
	gst_st = fuzz_parse_one(fn, arg, line, len, &b, &level_gate, &gst,
	    &gerr);
	if (gst_st == PARSE_OK) {
		FUZZ_ASSERT(st == PARSE_OK);
		batch_commit(&b);
		fuzz_encode_last(&b, &enc2);
		FUZZ_ASSERT(fuzz_same(&enc, &enc2));
	} else if (gst_st == PARSE_FAIL)
		FUZZ_ASSERT(st == PARSE_FAIL && gerr.kind == err.kind);
	else
		FUZZ_ASSERT(st == PARSE_FAIL || !passes);

	if (st == PARSE_OK) {
		char	*copy = xmalloc(enc.len);	/* exact, for ASan */

		memcpy(copy, enc.buf, enc.len);
		st = fuzz_parse_one(fuzz_json_fn, jp, copy, enc.len, &b, NULL,
		    NULL, &err);
		if (st == PARSE_OK) {
			batch_commit(&b);
			fuzz_encode_last(&b, &enc2);
			FUZZ_ASSERT(fuzz_same(&enc, &enc2));
		} else
			FUZZ_ASSERT(nul && st == PARSE_FAIL &&
			    err.kind == BAD_EMBEDDED_NUL);
		free(copy);
	}
	batch_free(&b);
	sb_free(&enc);
	sb_free(&enc2);
}

#endif
