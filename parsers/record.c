/*
 * record.c — batches of records (see record.h).
 *
 * The arena is a list of chunks that never move, so pointers into it stay
 * valid while the batch grows; the field and record arrays are addressed
 * by index and may be reallocated.
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "record.h"

#define ARENA_CHUNK	(64 * 1024)
/*
 * What a batch keeps for the next one. Batches are small while a file is
 * followed and up to a whole read when one is caught up (after an
 * outage): past those the memory goes back, not kept for good.
 */
#define SPARE_KEEP	1		/* arena chunk */
#define FIELDS_KEEP	1024
#define RECS_KEEP	128

struct arena_chunk {
	struct arena_chunk	*next;
	size_t			 size;
	size_t			 used;
	char			 data[];
};

static struct arena_chunk *
chunk_new(struct arena *a, size_t need)
{
	struct arena_chunk	*c, **pp;
	size_t			 size = need > ARENA_CHUNK ? need : ARENA_CHUNK;

	for (pp = &a->spare; (c = *pp) != NULL; pp = &c->next) {
		if (c->size >= need) {
			*pp = c->next;
			c->used = 0;
			return c;
		}
	}
	c = xmalloc(sizeof *c + size);
	c->size = size;
	c->used = 0;
	return c;
}

static void
arena_release_to(struct arena *a, struct arena_chunk *keep)
{
	struct arena_chunk	*c;

	while ((c = a->head) != NULL && c != keep) {
		a->head = c->next;
		if (c->size == ARENA_CHUNK) {
			c->next = a->spare;
			a->spare = c;
		} else
			free(c);	/* one-off large chunk: do not hoard it */
	}
}

static char *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk	*c = a->head;
	char			*p;

	n = (n + 7) & ~(size_t)7;
	if (c == NULL || c->size - c->used < n) {
		c = chunk_new(a, n);
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

static void
arena_free_list(struct arena_chunk *c)
{
	struct arena_chunk	*next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
}

static void
arena_rewind(struct arena *a, const struct arena_mark *m)
{
	arena_release_to(a, m->chunk);
	if (a->head != NULL)
		a->head->used = m->used;
}

static void
arena_get_mark(const struct arena *a, struct arena_mark *m)
{
	m->chunk = a->head;
	m->used = a->head ? a->head->used : 0;
}

void
batch_init(struct batch *b)
{
	memset(b, 0, sizeof *b);
	/* Never NULL: record_fields() may index an empty batch. */
	b->fields = xgrow(NULL, &b->cap_fields, 16, sizeof *b->fields);
	b->recs = xgrow(NULL, &b->cap_recs, 16, sizeof *b->recs);
}

/* Keeps the first n spare chunks, frees the others. */
static void
arena_trim(struct arena *a, size_t n)
{
	struct arena_chunk	**pp = &a->spare;

	while (*pp != NULL && n-- > 0)
		pp = &(*pp)->next;
	arena_free_list(*pp);
	*pp = NULL;
}

void
batch_reset(struct batch *b)
{
	arena_release_to(&b->arena, NULL);
	arena_trim(&b->arena, SPARE_KEEP);
	if (b->cap_fields > FIELDS_KEEP) {
		b->fields = xrealloc(b->fields, FIELDS_KEEP * sizeof *b->fields);
		b->cap_fields = FIELDS_KEEP;
	}
	if (b->cap_recs > RECS_KEEP) {
		b->recs = xrealloc(b->recs, RECS_KEEP * sizeof *b->recs);
		b->cap_recs = RECS_KEEP;
	}
	b->nfields = 0;
	b->nrecs = 0;
	b->open = false;
}

void
batch_free(struct batch *b)
{
	arena_free_list(b->arena.head);
	arena_free_list(b->arena.spare);
	free(b->fields);
	free(b->recs);
	memset(b, 0, sizeof *b);
}

struct record *
batch_begin(struct batch *b)
{
	struct record	*r;

	if (b->open)
		batch_rollback(b);
	b->recs = xgrow(b->recs, &b->cap_recs, b->nrecs + 1, sizeof *b->recs);
	r = &b->recs[b->nrecs];
	memset(r, 0, sizeof *r);
	r->field0 = (uint32_t)b->nfields;
	b->open = true;
	arena_get_mark(&b->arena, &b->open_mark);
	return r;
}

struct record *
batch_open_record(struct batch *b)
{
	return b->open ? &b->recs[b->nrecs] : NULL;
}

void
batch_commit(struct batch *b)
{
	if (!b->open)
		return;
	b->nrecs++;
	b->open = false;
}

void
batch_rollback(struct batch *b)
{
	struct record	*r;

	if (!b->open)
		return;
	r = &b->recs[b->nrecs];
	b->nfields = r->field0;
	arena_rewind(&b->arena, &b->open_mark);
	b->open = false;
}

void
batch_mark(struct batch *b, struct batch_mark *m)
{
	m->nfields = b->nfields;
	arena_get_mark(&b->arena, &m->arena);
}

void
batch_undo(struct batch *b, const struct batch_mark *m)
{
	if (b->open)
		b->recs[b->nrecs].nfields -= (uint32_t)(b->nfields - m->nfields);
	b->nfields = m->nfields;
	arena_rewind(&b->arena, &m->arena);
}

char *
batch_alloc(struct batch *b, size_t n)
{
	return arena_alloc(&b->arena, n);
}

char *
batch_copy(struct batch *b, const void *p, size_t n)
{
	char	*q = arena_alloc(&b->arena, n);

	memcpy(q, p, n);
	return q;
}

void
batch_shrink_last(struct batch *b, char *p, size_t alloc, size_t n)
{
	struct arena_chunk	*c = b->arena.head;
	size_t			 a8 = (alloc + 7) & ~(size_t)7;
	size_t			 n8 = (n + 7) & ~(size_t)7;

	if (c != NULL && p + a8 == c->data + c->used && n8 <= a8)
		c->used -= a8 - n8;
}

size_t
batch_add(struct batch *b, const char *key, size_t klen, const char *val,
    size_t vlen, enum value_type type)
{
	struct field	*f;
	size_t		 i = b->nfields;

	b->fields = xgrow(b->fields, &b->cap_fields, i + 1, sizeof *b->fields);
	f = &b->fields[i];
	f->key = key;
	f->klen = (uint32_t)klen;
	f->val = val;
	f->vlen = (uint32_t)vlen;
	f->type = (uint8_t)type;
	f->flags = 0;
	b->nfields++;
	if (b->open)
		b->recs[b->nrecs].nfields++;
	return i;
}

void
batch_copy_fields(struct batch *b, const struct batch *src,
    const struct record *r)
{
	const struct field	*f = record_fields(src, r);
	size_t			 i, k;

	for (i = 0; i < r->nfields; i++) {
		bool	 bytes = f[i].type != VAL_OBJECT && f[i].vlen > 0;

		k = batch_add(b, f[i].klen ? batch_copy(b, f[i].key, f[i].klen) :
		    f[i].key, f[i].klen, bytes ? batch_copy(b, f[i].val,
		    f[i].vlen) : f[i].val, f[i].vlen, f[i].type);
		b->fields[k].flags = f[i].flags;
	}
}

size_t
batch_add_object(struct batch *b, const char *key, size_t klen)
{
	return batch_add(b, key, klen, NULL, 0, VAL_OBJECT);
}

void
batch_end_object(struct batch *b, size_t obj)
{
	b->fields[obj].vlen = (uint32_t)(b->nfields - obj - 1);
}

/* Index past field i and its subtree. */
static inline size_t
field_next(const struct field *f, size_t i)
{
	return i + 1 + (f[i].type == VAL_OBJECT ? f[i].vlen : 0);
}

static struct field *
fields_find(struct field *f, size_t n, const char *key, size_t klen)
{
	struct field	*found = NULL;
	size_t		 i;

	for (i = 0; i < n; i = field_next(f, i)) {
		if (!(f[i].flags & FIELD_DELETED) && field_is(&f[i], key, klen))
			found = &f[i];
	}
	return found;
}

struct field *
record_get(const struct batch *b, const struct record *r, const char *key,
    size_t klen)
{
	return fields_find(record_fields(b, r), r->nfields, key, klen);
}

struct field *
record_get_path(const struct batch *b, const struct record *r,
    const char *const *keys, const size_t *klens, size_t depth)
{
	struct field	*f = record_fields(b, r);
	size_t		 n = r->nfields, d;
	struct field	*hit = NULL;

	for (d = 0; d < depth; d++) {
		hit = fields_find(f, n, keys[d], klens[d]);
		if (hit == NULL)
			return NULL;
		if (d + 1 < depth) {
			if (hit->type != VAL_OBJECT)
				return NULL;
			f = hit + 1;
			n = hit->vlen;
		}
	}
	return hit;
}

size_t
record_delete(struct batch *b, struct record *r, const char *key, size_t klen)
{
	struct field	*f = record_fields(b, r);
	size_t		 i, n = 0;

	for (i = 0; i < r->nfields; i = field_next(f, i)) {
		if (!(f[i].flags & FIELD_DELETED) && field_is(&f[i], key, klen)) {
			f[i].flags |= FIELD_DELETED;
			n++;
		}
	}
	return n;
}

size_t
record_set(struct batch *b, struct record *r, const char *key, size_t klen,
    const char *val, size_t vlen, enum value_type type)
{
	struct field	*f = record_get(b, r, key, klen);

	if (f != NULL && f->type != VAL_OBJECT && type != VAL_OBJECT) {
		f->val = val;
		f->vlen = (uint32_t)vlen;
		f->type = (uint8_t)type;
		return (size_t)(f - b->fields);
	}
	if (f != NULL)
		f->flags |= FIELD_DELETED;
	return batch_add(b, key, klen, val, vlen, type);
}
