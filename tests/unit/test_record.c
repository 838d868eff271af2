/*
 * test_record.c — batches, records, fields and the arena behind them.
 *
 * The one idea to hold the module to: a record is built at the end of
 * its batch and undone by rewinding, so every test checks both that the
 * fields and bytes come back after a rollback or an undo and that the
 * bytes of records already committed are never touched, however many
 * arena chunks the batch has grown through.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonenc.h"
#include "record.h"
#include "strbuf.h"

#define CHUNK	(64 * 1024)	/* record.c's ARENA_CHUNK */

static struct batch	 b;
static struct strbuf	 out;

static void
setup(void)
{
	batch_init(&b);
	memset(&out, 0, sizeof out);
}

static void
teardown(void)
{
	batch_free(&b);
	sb_free(&out);
}

/* The record as JSON, for exact comparisons. */
static const char *
js(const struct record *r)
{
	sb_reset(&out);
	json_put_record(&out, &b, r);
	return sb_cstr(&out);
}

static size_t
add_str(const char *k, const char *v)
{
	return batch_add(&b, k, strlen(k), v, strlen(v), VAL_STRING);
}

static size_t
add_raw(const char *k, const char *v)
{
	return batch_add(&b, k, strlen(k), v, strlen(v), VAL_RAW);
}

/* A value copied into the arena (so not NUL-terminated there). */
static char *
add_copy(const char *k, const char *v)
{
	char	*p = batch_copy(&b, v, strlen(v));

	batch_add(&b, k, strlen(k), p, strlen(v), VAL_STRING);
	return p;
}

static struct field *
get(const struct record *r, const char *k)
{
	return record_get(&b, r, k, strlen(k));
}

/* --- open, commit, rollback -------------------------------------------- */

START_TEST(test_empty_batch)
{
	struct record	 r;

	ck_assert_ptr_null(batch_open_record(&b));
	ck_assert(!b.open);
	batch_commit(&b);		/* nothing open: no-ops */
	batch_rollback(&b);
	ck_assert_uint_eq(b.nrecs, 0);
	ck_assert_uint_eq(b.nfields, 0);
	memset(&r, 0, sizeof r);
	ck_assert_str_eq(js(&r), "{}");
	batch_reset(&b);
	batch_reset(&b);
	ck_assert_uint_eq(b.nrecs, 0);
}
END_TEST

START_TEST(test_begin_commit)
{
	struct record	*r;

	r = batch_begin(&b);
	ck_assert_ptr_eq(batch_open_record(&b), r);
	ck_assert_uint_eq(r->field0, 0);
	ck_assert_uint_eq(r->nfields, 0);
	ck_assert_uint_eq(r->flags, 0);
	ck_assert_int_eq(add_str("a", "1"), 0);
	ck_assert_int_eq(add_raw("b", "2"), 1);
	ck_assert_uint_eq(r->nfields, 2);
	r->time = 42;
	r->offset = 7;
	batch_commit(&b);
	ck_assert_ptr_null(batch_open_record(&b));
	ck_assert_uint_eq(b.nrecs, 1);
	batch_commit(&b);		/* a second commit changes nothing */
	ck_assert_uint_eq(b.nrecs, 1);

	r = batch_begin(&b);
	ck_assert_uint_eq(r->field0, 2);
	ck_assert_int_eq(r->time, 0);	/* a fresh record is zeroed */
	add_str("c", "3");
	batch_commit(&b);
	ck_assert_uint_eq(b.nrecs, 2);
	ck_assert_str_eq(js(&b.recs[0]), "{\"a\":\"1\",\"b\":2}");
	ck_assert_str_eq(js(&b.recs[1]), "{\"c\":\"3\"}");
	ck_assert_int_eq(b.recs[0].time, 42);
	ck_assert_uint_eq(b.recs[0].offset, 7);
}
END_TEST

START_TEST(test_rollback)
{
	struct record	*r;
	char		*p1, *p2;

	batch_begin(&b);
	add_copy("keep", "me");
	batch_commit(&b);

	r = batch_begin(&b);
	p1 = batch_copy(&b, "gone", 4);
	add_str("x", "1");
	add_str("y", "2");
	ck_assert_uint_eq(r->nfields, 2);
	ck_assert_uint_eq(b.nfields, 3);
	batch_rollback(&b);
	ck_assert_ptr_null(batch_open_record(&b));
	ck_assert_uint_eq(b.nfields, 1);
	ck_assert_uint_eq(b.nrecs, 1);
	batch_rollback(&b);		/* nothing open now */
	ck_assert_uint_eq(b.nfields, 1);

	/* Its bytes are given back: the next record reuses them. */
	batch_begin(&b);
	p2 = batch_alloc(&b, 4);
	ck_assert_ptr_eq(p1, p2);
	add_str("z", "3");
	batch_commit(&b);
	ck_assert_str_eq(js(&b.recs[0]), "{\"keep\":\"me\"}");
	ck_assert_str_eq(js(&b.recs[1]), "{\"z\":\"3\"}");
}
END_TEST

START_TEST(test_begin_twice_rolls_back)
{
	struct record	*r;

	batch_begin(&b);
	add_str("a", "1");
	r = batch_begin(&b);		/* abandons the open record */
	ck_assert_uint_eq(r->field0, 0);
	ck_assert_uint_eq(r->nfields, 0);
	ck_assert_uint_eq(b.nfields, 0);
	add_str("b", "2");
	batch_commit(&b);
	ck_assert_uint_eq(b.nrecs, 1);
	ck_assert_str_eq(js(&b.recs[0]), "{\"b\":\"2\"}");
}
END_TEST

/* Fields added outside a record belong to none. */
START_TEST(test_add_without_record)
{
	struct record	*r;

	add_str("loose", "x");
	ck_assert_uint_eq(b.nfields, 1);
	r = batch_begin(&b);
	ck_assert_uint_eq(r->field0, 1);
	add_str("a", "1");
	batch_commit(&b);
	ck_assert_str_eq(js(&b.recs[0]), "{\"a\":\"1\"}");
}
END_TEST

/* Many records, many fields: the arrays are reallocated, indexes hold. */
START_TEST(test_many_records)
{
	enum { N = 5000 };
	char		 k[16], want[64];
	size_t		 i;

	for (i = 0; i < N; i++) {
		struct record	*r = batch_begin(&b);
		int		 n;

		n = snprintf(k, sizeof k, "k%zu", i);
		batch_add(&b, batch_copy(&b, k, (size_t)n), (size_t)n,
		    batch_copy(&b, k, (size_t)n), (size_t)n, VAL_STRING);
		add_raw("i", "1");
		r->offset = i;
		if (i % 3 == 2)
			batch_rollback(&b);
		else
			batch_commit(&b);
	}
	ck_assert_uint_eq(b.nrecs, N - N / 3);
	ck_assert_uint_eq(b.nfields, 2 * (N - N / 3));
	for (i = 0; i < b.nrecs; i++) {
		size_t	 orig = i / 2 * 3 + i % 2;

		snprintf(want, sizeof want, "{\"k%zu\":\"k%zu\",\"i\":1}", orig,
		    orig);
		ck_assert_str_eq(js(&b.recs[i]), want);
		ck_assert_uint_eq(b.recs[i].offset, orig);
	}
}
END_TEST

/* --- the arena --------------------------------------------------------- */

START_TEST(test_alloc_aligned)
{
	size_t	 n;

	batch_begin(&b);
	for (n = 0; n < 40; n++) {
		char	*p = batch_alloc(&b, n);

		ck_assert_uint_eq((uintptr_t)p % 8, 0);
		memset(p, 'x', n);
	}
}
END_TEST

START_TEST(test_copy)
{
	char	 src[] = "hello";
	char	*p = batch_copy(&b, src, 5);

	src[0] = 'J';			/* a copy, not a reference */
	ck_assert_mem_eq(p, "hello", 5);
	ck_assert_ptr_ne(p, src);
}
END_TEST

/*
 * Thousands of strings over many chunks: each pointer stays valid and
 * its bytes unchanged while the batch grows, until batch_reset.
 */
START_TEST(test_arena_many_chunks)
{
	enum { N = 3000, W = 700 };	/* ~2 MB: some 32 chunks */
	char		*ptrs[N], buf[W];
	size_t		 i, nchunks = 1;

	for (i = 0; i < N; i++) {
		memset(buf, 'a' + (int)(i % 26), W);
		snprintf(buf, W, "%zu:", i);
		ptrs[i] = batch_copy(&b, buf, W);
		if (i > 0 && (ptrs[i] < ptrs[i - 1] ||
		    ptrs[i] > ptrs[i - 1] + W + 8))
			nchunks++;
	}
	ck_assert_uint_ge(nchunks, N * W / CHUNK);
	for (i = 0; i < N; i++) {
		memset(buf, 'a' + (int)(i % 26), W);
		snprintf(buf, W, "%zu:", i);
		ck_assert_msg(memcmp(ptrs[i], buf, W) == 0, "string %zu", i);
	}
}
END_TEST

/* One allocation bigger than a chunk gets a chunk of its own. */
START_TEST(test_arena_large)
{
	char	*small, *big, *after;
	size_t	 n = 3 * CHUNK + 5;

	batch_begin(&b);
	small = batch_copy(&b, "small", 5);
	big = batch_alloc(&b, n);
	memset(big, 'B', n);		/* ASan: all of it is ours */
	after = batch_copy(&b, "after", 5);
	ck_assert_mem_eq(small, "small", 5);
	ck_assert_mem_eq(after, "after", 5);
	ck_assert_int_eq(big[n - 1], 'B');
	batch_commit(&b);

	/* A large chunk rolled back is freed, the earlier one resumes. */
	batch_begin(&b);
	big = batch_alloc(&b, n);
	memset(big, 'C', n);
	batch_rollback(&b);
	batch_begin(&b);
	ck_assert_mem_eq(small, "small", 5);
	ck_assert_mem_eq(after, "after", 5);
}
END_TEST

/* A rollback over several chunks returns to the chunk it began in. */
START_TEST(test_rollback_across_chunks)
{
	char	*keep, *first, *again;
	size_t	 i;

	batch_begin(&b);
	keep = batch_copy(&b, "committed", 9);
	add_str("k", "v");
	batch_commit(&b);

	batch_begin(&b);
	first = batch_alloc(&b, 16);
	for (i = 0; i < 10; i++)
		memset(batch_alloc(&b, CHUNK / 2), 'x', CHUNK / 2);
	batch_rollback(&b);
	batch_begin(&b);
	again = batch_alloc(&b, 16);
	ck_assert_ptr_eq(first, again);
	ck_assert_mem_eq(keep, "committed", 9);
	/* The chunks given back are reused, not leaked (ASan checks). */
	for (i = 0; i < 10; i++)
		memset(batch_alloc(&b, CHUNK / 2), 'y', CHUNK / 2);
	ck_assert_mem_eq(keep, "committed", 9);
}
END_TEST

START_TEST(test_reset_reuses)
{
	char	*p1, *p2;
	size_t	 i;

	for (i = 0; i < 3; i++) {
		batch_begin(&b);
		p1 = batch_alloc(&b, 100);
		memset(batch_alloc(&b, 5 * CHUNK), 0, 5 * CHUNK);
		memset(batch_alloc(&b, CHUNK / 2), 0, CHUNK / 2);
		add_str("a", "b");
		batch_commit(&b);
		batch_reset(&b);
		ck_assert_uint_eq(b.nrecs, 0);
		ck_assert_uint_eq(b.nfields, 0);
		ck_assert(!b.open);
		ck_assert_ptr_null(batch_open_record(&b));
		batch_begin(&b);
		p2 = batch_alloc(&b, 100);
		/* The first chunk is the one kept and handed out again. */
		ck_assert_ptr_eq(p1, p2);
		batch_reset(&b);
	}
	/* An open record is forgotten by a reset. */
	batch_begin(&b);
	add_str("x", "y");
	batch_reset(&b);
	ck_assert_ptr_null(batch_open_record(&b));
	batch_commit(&b);
	ck_assert_uint_eq(b.nrecs, 0);
}
END_TEST

/* Reset and reuse, many times: nothing grows without bound (ASan/LSan). */
START_TEST(test_reset_loop)
{
	size_t	 round, i;

	for (round = 0; round < 200; round++) {
		for (i = 0; i < 100; i++) {
			batch_begin(&b);
			add_copy("log", "0123456789");
			batch_alloc(&b, 1000);
			batch_commit(&b);
		}
		ck_assert_uint_eq(b.nrecs, 100);
		batch_reset(&b);
	}
	ck_assert_uint_le(b.cap_recs, 256);
	ck_assert_uint_le(b.cap_fields, 256);
}
END_TEST

/* A batch of a whole read (a file caught up) leaves no big arrays behind. */
START_TEST(test_reset_after_large)
{
	size_t	 i;

	for (i = 0; i < 5000; i++) {
		batch_begin(&b);
		add_copy("log", "0123456789");
		add_str("level", "error");
		batch_alloc(&b, 200);
		batch_commit(&b);
	}
	ck_assert_uint_ge(b.cap_recs, 5000);
	ck_assert_uint_ge(b.cap_fields, 10000);
	batch_reset(&b);
	ck_assert_uint_le(b.cap_recs, 128);	/* record.c's RECS_KEEP */
	ck_assert_uint_le(b.cap_fields, 1024);	/* and FIELDS_KEEP */
	batch_begin(&b);
	add_str("a", "b");
	batch_commit(&b);
	ck_assert_str_eq(js(&b.recs[0]), "{\"a\":\"b\"}");
}
END_TEST

START_TEST(test_shrink_last)
{
	char	*p, *q;

	batch_begin(&b);
	p = batch_alloc(&b, 100);
	batch_shrink_last(&b, p, 100, 10);
	q = batch_alloc(&b, 8);
	ck_assert_ptr_eq(q, p + 16);	/* 10 rounds up to 16 */

	/* Shrinking to nothing gives back the whole allocation. */
	p = batch_alloc(&b, 64);
	batch_shrink_last(&b, p, 64, 0);
	ck_assert_ptr_eq(batch_alloc(&b, 1), p);

	/* Only the last allocation can shrink. */
	p = batch_alloc(&b, 64);
	q = batch_alloc(&b, 8);
	batch_shrink_last(&b, p, 64, 8);
	ck_assert_ptr_eq(batch_alloc(&b, 8), q + 8);

	/* Growing is not shrinking: nothing happens. */
	p = batch_alloc(&b, 16);
	batch_shrink_last(&b, p, 16, 64);
	ck_assert_ptr_eq(batch_alloc(&b, 8), p + 16);

	/* Same size: nothing to give back. */
	p = batch_alloc(&b, 24);
	batch_shrink_last(&b, p, 24, 20);
	ck_assert_ptr_eq(batch_alloc(&b, 8), p + 24);
}
END_TEST

/* A shrink after a new chunk was started only touches that chunk. */
START_TEST(test_shrink_last_new_chunk)
{
	char	*old, *p, *q;

	batch_begin(&b);
	old = batch_alloc(&b, CHUNK - 64);
	memset(old, 'o', CHUNK - 64);
	p = batch_alloc(&b, 1000);	/* does not fit: a new chunk */
	ck_assert(p < old || p >= old + CHUNK);
	batch_shrink_last(&b, p, 1000, 1);
	q = batch_alloc(&b, 8);
	ck_assert_ptr_eq(q, p + 8);
	ck_assert_int_eq(old[CHUNK - 65], 'o');
	/* The pointer into the old chunk is no longer "last". */
	batch_shrink_last(&b, old, CHUNK - 64, 0);
	ck_assert_ptr_eq(batch_alloc(&b, 8), q + 8);
}
END_TEST

/* --- marks ------------------------------------------------------------- */

START_TEST(test_mark_undo)
{
	struct batch_mark	 m;
	struct record		*r;
	char			*p, *q;

	r = batch_begin(&b);
	add_str("a", "1");
	add_str("b", "2");
	batch_mark(&b, &m);
	p = add_copy("c", "xyz");
	add_str("d", "4");
	ck_assert_uint_eq(r->nfields, 4);
	batch_undo(&b, &m);
	ck_assert_uint_eq(r->nfields, 2);
	ck_assert_uint_eq(b.nfields, 2);
	ck_assert_ptr_null(get(r, "c"));
	q = batch_alloc(&b, 3);
	ck_assert_ptr_eq(p, q);		/* the bytes came back too */

	/* Undo to the same mark again, after other additions. */
	add_str("e", "5");
	batch_undo(&b, &m);
	ck_assert_uint_eq(r->nfields, 2);
	/* An undo with nothing added since the mark changes nothing. */
	batch_undo(&b, &m);
	ck_assert_uint_eq(r->nfields, 2);
	add_str("f", "6");
	batch_commit(&b);
	ck_assert_str_eq(js(&b.recs[0]), "{\"a\":\"1\",\"b\":\"2\",\"f\":\"6\"}");
}
END_TEST

/* A mark taken before the arena had any chunk. */
START_TEST(test_mark_empty_arena)
{
	struct batch_mark	 m;
	struct record		*r;

	r = batch_begin(&b);
	batch_mark(&b, &m);
	memset(batch_alloc(&b, 3 * CHUNK), 1, 3 * CHUNK);
	memset(batch_alloc(&b, 100), 1, 100);
	add_str("a", "1");
	batch_undo(&b, &m);
	ck_assert_uint_eq(r->nfields, 0);
	ck_assert_uint_eq(b.nfields, 0);
	add_copy("b", "2");
	batch_commit(&b);
	ck_assert_str_eq(js(&b.recs[0]), "{\"b\":\"2\"}");
}
END_TEST

/* An undo over chunk boundaries keeps what came before the mark. */
START_TEST(test_mark_undo_chunks)
{
	struct batch_mark	 m;
	char			*before, *p, *q;
	size_t			 i;

	batch_begin(&b);
	before = add_copy("x", "before");
	batch_mark(&b, &m);
	p = batch_alloc(&b, 8);
	for (i = 0; i < 5; i++)
		memset(batch_alloc(&b, CHUNK - 100), 'z', CHUNK - 100);
	batch_undo(&b, &m);
	q = batch_alloc(&b, 8);
	ck_assert_ptr_eq(p, q);
	ck_assert_mem_eq(before, "before", 6);
	batch_commit(&b);
	ck_assert_str_eq(js(&b.recs[0]), "{\"x\":\"before\"}");
}
END_TEST

/* A mark inside a record that is then rolled back as a whole. */
START_TEST(test_mark_then_rollback)
{
	struct batch_mark	 m;

	batch_begin(&b);
	add_str("a", "1");
	batch_commit(&b);
	batch_begin(&b);
	add_str("b", "2");
	batch_mark(&b, &m);
	add_str("c", "3");
	batch_undo(&b, &m);
	batch_rollback(&b);
	ck_assert_uint_eq(b.nfields, 1);
	ck_assert_uint_eq(b.nrecs, 1);
	ck_assert_str_eq(js(&b.recs[0]), "{\"a\":\"1\"}");
}
END_TEST

/* --- nested objects and lookups --------------------------------------- */

/*
 * {"a":"1","obj":{"x":"X","inner":{"y":"Y"},"z":2},"b":"B","x":"top"}
 */
static struct record *
build_nested(void)
{
	struct record	*r = batch_begin(&b);
	size_t		 obj, inner;

	add_str("a", "1");
	obj = batch_add_object(&b, FIELD_STR("obj"));
	add_str("x", "X");
	inner = batch_add_object(&b, FIELD_STR("inner"));
	add_str("y", "Y");
	batch_end_object(&b, inner);
	add_raw("z", "2");
	batch_end_object(&b, obj);
	add_str("b", "B");
	add_str("x", "top");
	return r;
}

START_TEST(test_nested_encode)
{
	struct record	*r = build_nested();
	struct field	*f;

	ck_assert_uint_eq(r->nfields, 8);
	f = get(r, "obj");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->type, VAL_OBJECT);
	ck_assert_uint_eq(f->vlen, 4);	/* x, inner, y, z */
	ck_assert_uint_eq(get(r, "obj")[2].vlen, 1);
	ck_assert_str_eq(js(r), "{\"a\":\"1\",\"obj\":{\"x\":\"X\",\"inner\":"
	    "{\"y\":\"Y\"},\"z\":2},\"b\":\"B\",\"x\":\"top\"}");
}
END_TEST

START_TEST(test_empty_object)
{
	struct record	*r = batch_begin(&b);
	size_t		 o;

	o = batch_add_object(&b, FIELD_STR("e"));
	batch_end_object(&b, o);
	add_str("n", "1");
	ck_assert_uint_eq(b.fields[o].vlen, 0);
	ck_assert_str_eq(js(r), "{\"e\":{},\"n\":\"1\"}");
	ck_assert_ptr_eq(get(r, "n"), &b.fields[1]);
}
END_TEST

START_TEST(test_get_top_level_only)
{
	struct record	*r = build_nested();
	struct field	*f;

	/* x is both nested and top-level: only the top-level one counts. */
	f = get(r, "x");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->vlen, 3);
	ck_assert_mem_eq(f->val, "top", 3);
	ck_assert_ptr_null(get(r, "y"));
	ck_assert_ptr_null(get(r, "inner"));
	ck_assert_ptr_null(get(r, "z"));
	ck_assert_ptr_null(get(r, "missing"));
	ck_assert_ptr_null(get(r, ""));
	/* Keys are counted bytes: "ab" with klen 1 is "a". */
	ck_assert_ptr_eq(record_get(&b, r, "ab", 1), get(r, "a"));
	ck_assert_ptr_null(record_get(&b, r, "a", 0));
	ck_assert_ptr_nonnull(get(r, "b"));
}
END_TEST

START_TEST(test_get_last_wins)
{
	struct record	*r = batch_begin(&b);
	struct field	*f;

	add_str("k", "first");
	add_str("other", "o");
	add_str("k", "second");
	f = get(r, "k");
	ck_assert_mem_eq(f->val, "second", 6);
	ck_assert_ptr_eq(f, &b.fields[2]);
	/* A record's lookup does not see fields of the one before it. */
	batch_commit(&b);
	r = batch_begin(&b);
	add_str("other", "p");
	ck_assert_ptr_null(get(r, "k"));
	ck_assert_mem_eq(get(r, "other")->val, "p", 1);
}
END_TEST

static struct field *
path(const struct record *r, size_t depth, const char *k0, const char *k1,
    const char *k2)
{
	const char	*keys[3] = { k0, k1, k2 };
	size_t		 lens[3] = { k0 ? strlen(k0) : 0, k1 ? strlen(k1) : 0,
			    k2 ? strlen(k2) : 0 };

	return record_get_path(&b, r, keys, lens, depth);
}

START_TEST(test_get_path)
{
	struct record	*r = build_nested();
	struct field	*f;

	f = path(r, 3, "obj", "inner", "y");
	ck_assert_ptr_nonnull(f);
	ck_assert_mem_eq(f->val, "Y", 1);
	f = path(r, 2, "obj", "x", NULL);
	ck_assert_mem_eq(f->val, "X", 1);
	f = path(r, 2, "obj", "z", NULL);
	ck_assert_int_eq(f->type, VAL_RAW);
	f = path(r, 2, "obj", "inner", NULL);
	ck_assert_int_eq(f->type, VAL_OBJECT);
	f = path(r, 1, "x", NULL, NULL);
	ck_assert_mem_eq(f->val, "top", 3);
	f = path(r, 1, "obj", NULL, NULL);
	ck_assert_int_eq(f->type, VAL_OBJECT);

	ck_assert_ptr_null(path(r, 0, "obj", NULL, NULL));
	ck_assert_ptr_null(path(r, 2, "obj", "y", NULL));	/* deeper */
	ck_assert_ptr_null(path(r, 2, "obj", "b", NULL));	/* a sibling */
	ck_assert_ptr_null(path(r, 2, "nope", "x", NULL));
	ck_assert_ptr_null(path(r, 2, "a", "x", NULL));	/* not an object */
	ck_assert_ptr_null(path(r, 3, "obj", "x", "y"));	/* ditto */
	ck_assert_ptr_null(path(r, 3, "obj", "inner", "z"));
}
END_TEST

START_TEST(test_delete)
{
	struct record	*r = build_nested();

	add_str("b", "B2");
	ck_assert_uint_eq(record_delete(&b, r, FIELD_STR("b")), 2);
	ck_assert_ptr_null(get(r, "b"));
	ck_assert_uint_eq(record_delete(&b, r, FIELD_STR("b")), 0);
	/* A nested key of the same name as a top-level one stays. */
	ck_assert_uint_eq(record_delete(&b, r, FIELD_STR("x")), 1);
	ck_assert_ptr_nonnull(path(r, 2, "obj", "x", NULL));
	ck_assert_uint_eq(record_delete(&b, r, FIELD_STR("y")), 0);
	ck_assert_uint_eq(record_delete(&b, r, FIELD_STR("missing")), 0);
	ck_assert_str_eq(js(r), "{\"a\":\"1\",\"obj\":{\"x\":\"X\",\"inner\":"
	    "{\"y\":\"Y\"},\"z\":2}}");
	/* Deleting an object takes its subtree out of the output. */
	ck_assert_uint_eq(record_delete(&b, r, FIELD_STR("obj")), 1);
	ck_assert_ptr_null(path(r, 2, "obj", "x", NULL));
	ck_assert_str_eq(js(r), "{\"a\":\"1\"}");
	ck_assert_uint_eq(record_delete(&b, r, FIELD_STR("a")), 1);
	ck_assert_str_eq(js(r), "{}");
	ck_assert_uint_eq(r->nfields, 9);	/* deleted, not removed */
}
END_TEST

START_TEST(test_set_replace)
{
	struct record	*r = build_nested();
	struct field	*before = get(r, "b");
	size_t		 i, n = r->nfields;

	i = record_set(&b, r, FIELD_STR("b"), FIELD_STR("17"), VAL_RAW);
	ck_assert_ptr_eq(&b.fields[i], before);	/* in place */
	ck_assert_uint_eq(r->nfields, n);
	ck_assert_int_eq(before->type, VAL_RAW);
	ck_assert_str_eq(js(r), "{\"a\":\"1\",\"obj\":{\"x\":\"X\",\"inner\":"
	    "{\"y\":\"Y\"},\"z\":2},\"b\":17,\"x\":\"top\"}");
}
END_TEST

START_TEST(test_set_append)
{
	struct record	*r = build_nested();
	size_t		 i, n = r->nfields;

	i = record_set(&b, r, FIELD_STR("new"), FIELD_STR("v"), VAL_STRING);
	ck_assert_uint_eq(i, r->field0 + n);
	ck_assert_uint_eq(r->nfields, n + 1);
	/* y exists only nested: set adds a top-level y. */
	record_set(&b, r, FIELD_STR("y"), FIELD_STR("top-y"), VAL_STRING);
	ck_assert_str_eq(js(r), "{\"a\":\"1\",\"obj\":{\"x\":\"X\",\"inner\":"
	    "{\"y\":\"Y\"},\"z\":2},\"b\":\"B\",\"x\":\"top\",\"new\":\"v\","
	    "\"y\":\"top-y\"}");
}
END_TEST

START_TEST(test_set_repeated_and_deleted)
{
	struct record	*r = batch_begin(&b);

	add_str("k", "1");
	add_str("k", "2");
	record_set(&b, r, FIELD_STR("k"), FIELD_STR("3"), VAL_STRING);
	/* The last one was replaced; the encoder writes a key once. */
	ck_assert_mem_eq(b.fields[r->field0].val, "1", 1);
	ck_assert_mem_eq(b.fields[r->field0 + 1].val, "3", 1);
	ck_assert_str_eq(js(r), "{\"k\":\"3\"}");
	record_delete(&b, r, FIELD_STR("k"));
	record_set(&b, r, FIELD_STR("k"), FIELD_STR("4"), VAL_STRING);
	ck_assert_uint_eq(r->nfields, 3);
	ck_assert_str_eq(js(r), "{\"k\":\"4\"}");
}
END_TEST

/* An object is never overwritten in place: it is deleted and re-added. */
START_TEST(test_set_object)
{
	struct record	*r = build_nested();
	size_t		 n = r->nfields, o;

	record_set(&b, r, FIELD_STR("obj"), FIELD_STR("flat"), VAL_STRING);
	ck_assert_uint_eq(r->nfields, n + 1);
	ck_assert_str_eq(js(r), "{\"a\":\"1\",\"b\":\"B\",\"x\":\"top\","
	    "\"obj\":\"flat\"}");
	/* And a string replaced by an object. */
	o = record_set(&b, r, FIELD_STR("a"), NULL, 0, VAL_OBJECT);
	add_str("in", "1");
	batch_end_object(&b, o);
	ck_assert_str_eq(js(r), "{\"b\":\"B\",\"x\":\"top\",\"obj\":\"flat\","
	    "\"a\":{\"in\":\"1\"}}");
	ck_assert_int_eq(get(r, "a")->type, VAL_OBJECT);
}
END_TEST

/* Lookups walk past subtrees: a key inside one is never a sibling. */
START_TEST(test_lookup_skips_subtrees)
{
	struct record	*r = batch_begin(&b);
	size_t		 o, o2;

	o = batch_add_object(&b, FIELD_STR("o"));
	o2 = batch_add_object(&b, FIELD_STR("level"));
	add_str("level", "nested");
	batch_end_object(&b, o2);
	batch_end_object(&b, o);
	ck_assert_ptr_null(get(r, "level"));
	add_str("level", "top");
	ck_assert_mem_eq(get(r, "level")->val, "top", 3);
	ck_assert_uint_eq(record_delete(&b, r, FIELD_STR("level")), 1);
	ck_assert_str_eq(js(r), "{\"o\":{\"level\":{\"level\":\"nested\"}}}");
}
END_TEST

START_TEST(test_field_is)
{
	struct field	 f = { "level", "x", 5, 1, VAL_STRING, 0 };

	ck_assert(field_is(&f, FIELD_STR("level")));
	ck_assert(!field_is(&f, FIELD_STR("leve")));
	ck_assert(!field_is(&f, FIELD_STR("levels")));
	ck_assert(!field_is(&f, FIELD_STR("Level")));
}
END_TEST

/* An object in a rolled back record leaves nothing behind. */
START_TEST(test_rollback_nested)
{
	size_t	 o;

	batch_begin(&b);
	add_str("a", "1");
	batch_commit(&b);
	batch_begin(&b);
	o = batch_add_object(&b, FIELD_STR("o"));
	add_copy("x", "y");
	batch_end_object(&b, o);
	batch_rollback(&b);
	batch_begin(&b);
	add_str("b", "2");
	batch_commit(&b);
	ck_assert_str_eq(js(&b.recs[1]), "{\"b\":\"2\"}");
	ck_assert_uint_eq(b.recs[1].field0, 1);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("record");
	TCase	*tb = tcase_create("batch");
	TCase	*ta = tcase_create("arena");
	TCase	*tm = tcase_create("mark");
	TCase	*tf = tcase_create("fields");

	tcase_add_checked_fixture(tb, setup, teardown);
	tcase_add_test(tb, test_empty_batch);
	tcase_add_test(tb, test_begin_commit);
	tcase_add_test(tb, test_rollback);
	tcase_add_test(tb, test_begin_twice_rolls_back);
	tcase_add_test(tb, test_add_without_record);
	tcase_add_test(tb, test_many_records);
	suite_add_tcase(s, tb);

	tcase_add_checked_fixture(ta, setup, teardown);
	tcase_add_test(ta, test_alloc_aligned);
	tcase_add_test(ta, test_copy);
	tcase_add_test(ta, test_arena_many_chunks);
	tcase_add_test(ta, test_arena_large);
	tcase_add_test(ta, test_rollback_across_chunks);
	tcase_add_test(ta, test_reset_reuses);
	tcase_add_test(ta, test_reset_loop);
	tcase_add_test(ta, test_reset_after_large);
	tcase_add_test(ta, test_shrink_last);
	tcase_add_test(ta, test_shrink_last_new_chunk);
	suite_add_tcase(s, ta);

	tcase_add_checked_fixture(tm, setup, teardown);
	tcase_add_test(tm, test_mark_undo);
	tcase_add_test(tm, test_mark_empty_arena);
	tcase_add_test(tm, test_mark_undo_chunks);
	tcase_add_test(tm, test_mark_then_rollback);
	suite_add_tcase(s, tm);

	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_add_test(tf, test_nested_encode);
	tcase_add_test(tf, test_empty_object);
	tcase_add_test(tf, test_get_top_level_only);
	tcase_add_test(tf, test_get_last_wins);
	tcase_add_test(tf, test_get_path);
	tcase_add_test(tf, test_delete);
	tcase_add_test(tf, test_set_replace);
	tcase_add_test(tf, test_set_append);
	tcase_add_test(tf, test_set_repeated_and_deleted);
	tcase_add_test(tf, test_set_object);
	tcase_add_test(tf, test_lookup_skips_subtrees);
	tcase_add_test(tf, test_field_is);
	tcase_add_test(tf, test_rollback_nested);
	suite_add_tcase(s, tf);
	return s;
}

#include "check_main.h"
