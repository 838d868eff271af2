/*
 * record.h — the record model every stage shares.
 *
 * A record is a run of fields inside a batch. Field keys and values point
 * at bytes that live either in the input (the read buffer the line came
 * from) or in the batch's arena, so nothing is allocated per field. Records
 * are built one at a time at the end of the batch: a filter may append
 * fields to the record it is looking at, and a record that is dropped is
 * undone by rewinding the batch, which costs nothing.
 *
 * A batch, not a record, is what crosses module boundaries: the tail
 * source fills one per read, the filters run on each record as it is
 * built, and the output receives the committed records together. Input
 * bytes referenced by fields must stay valid until the batch is reset.
 */
#ifndef PARSERS_RECORD_H
#define PARSERS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum value_type {
	VAL_STRING,	/* bytes; encoders escape them and repair UTF-8 */
	VAL_RAW,	/* valid JSON text written verbatim: number, true,
			   false, null, array or object */
	VAL_OBJECT,	/* nested: the next `vlen` fields are its subtree */
};

#define FIELD_DELETED	0x01

struct field {
	const char	*key;
	const char	*val;
	uint32_t	 klen;
	uint32_t	 vlen;	/* bytes; VAL_OBJECT: descendant field count */
	uint8_t		 type;
	uint8_t		 flags;
};

#define REC_TRUNCATED	0x0001	/* line cut at max_line_size */
#define REC_PARSE_ERROR	0x0002	/* inner line did not parse */
#define REC_AUDIT	0x0004	/* SPIRE audit record (type=audit) */
#define REC_BYPASS_LEVEL 0x0008	/* a level grep must let it through */
#define REC_ERROR_EVENT	0x0010	/* a filter failed on it: a copy for @ERROR */
#define REC_ERROR_ONLY	0x0020	/* with REC_ERROR_EVENT: Fluentd would take
				   it out of its route (no reserve_data) */
#define REC_ERROR_COPY	0x0040	/* the copy sent to @ERROR */

struct record {
	uint32_t	 field0;	/* first field, index into batch */
	uint32_t	 nfields;	/* fields including nested and deleted */
	int64_t		 time;		/* event time, ns since the epoch */
	uint64_t	 source_id;	/* identity of the file it came from */
	uint64_t	 offset;	/* offset of its first byte in the file */
	uint32_t	 flags;
};

struct arena_chunk;

struct arena {
	struct arena_chunk	*head;	/* current chunk; older ones follow */
	struct arena_chunk	*spare;	/* freed chunks kept for reuse */
};

struct arena_mark {
	struct arena_chunk	*chunk;
	size_t			 used;
};

struct batch {
	struct field	*fields;
	size_t		 nfields;
	size_t		 cap_fields;
	struct record	*recs;
	size_t		 nrecs;		/* committed records */
	size_t		 cap_recs;
	struct arena	 arena;
	/* The open record, between batch_begin and commit/rollback. */
	bool		 open;
	struct arena_mark open_mark;
	/* What the batch came from, for outputs that name it. */
	const char	*tag;
	size_t		 taglen;
	/*
	 * The file its records were read from, as the source matched it
	 * (a rotated sibling: the live path), and that file's identity for
	 * document ids: the same for the live file and its rotated, even
	 * gzipped, copies (see source_origin()). NULL when not from a file.
	 */
	const char	*source;
	size_t		 sourcelen;
	const char	*origin;
	size_t		 originlen;
};

void	 batch_init(struct batch *b);
/* Forgets every record; keeps the memory for the next batch. */
void	 batch_reset(struct batch *b);
void	 batch_free(struct batch *b);

/* Opens a record at the end of the batch. */
struct record *batch_begin(struct batch *b);
/* The open record (valid until the next batch_begin or batch_add). */
struct record *batch_open_record(struct batch *b);
void	 batch_commit(struct batch *b);
/* Undoes the open record and every field and byte it used. */
void	 batch_rollback(struct batch *b);

/* A point in the open record to come back to (e.g. a failed parse). */
struct batch_mark {
	size_t		 nfields;
	struct arena_mark arena;
};

void	 batch_mark(struct batch *b, struct batch_mark *m);
/* Removes the fields and bytes added to the open record since m. */
void	 batch_undo(struct batch *b, const struct batch_mark *m);

/* Bytes in the batch's arena; stable until batch_reset. */
char	*batch_alloc(struct batch *b, size_t n);
char	*batch_copy(struct batch *b, const void *p, size_t n);
/* Gives back the unused tail of the last batch_alloc (n bytes kept). */
void	 batch_shrink_last(struct batch *b, char *p, size_t alloc, size_t n);

/*
 * Appends a field to the open record and returns its index. Pointers to
 * fields are invalidated by the next batch_add: keep indexes instead.
 */
size_t	 batch_add(struct batch *b, const char *key, size_t klen,
	    const char *val, size_t vlen, enum value_type type);
/*
 * Appends copies of the fields of r, a record of another batch, to the
 * open record of b: keys and values are copied into b's arena, so they
 * outlive src's batch. For the rare record that goes two ways (@ERROR).
 */
void	 batch_copy_fields(struct batch *b, const struct batch *src,
	    const struct record *r);
/* Appends a VAL_OBJECT field; call batch_end_object once its subtree is in. */
size_t	 batch_add_object(struct batch *b, const char *key, size_t klen);
void	 batch_end_object(struct batch *b, size_t obj);

static inline struct field *
record_fields(const struct batch *b, const struct record *r)
{
	return &b->fields[r->field0];
}

/* The top-level field named key (the last one, if repeated), or NULL. */
struct field *record_get(const struct batch *b, const struct record *r,
	    const char *key, size_t klen);
/* Looks up a path of keys through nested VAL_OBJECT fields. */
struct field *record_get_path(const struct batch *b, const struct record *r,
	    const char *const *keys, const size_t *klens, size_t depth);
/* Marks every top-level field named key deleted; returns how many. */
size_t	 record_delete(struct batch *b, struct record *r, const char *key,
	    size_t klen);
/* Replaces the top-level field key, or appends it to the open record. */
size_t	 record_set(struct batch *b, struct record *r, const char *key,
	    size_t klen, const char *val, size_t vlen, enum value_type type);

static inline bool
field_is(const struct field *f, const char *key, size_t klen)
{
	return f->klen == klen && __builtin_memcmp(f->key, key, klen) == 0;
}

#define FIELD_STR(s)	(s), (sizeof(s) - 1)

#endif
