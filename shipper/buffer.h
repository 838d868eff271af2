/*
 * buffer.h — Fluentd's <buffer>: chunks of encoded records between a
 * route and an output that acknowledges them asynchronously.
 *
 * The one idea: a record is taken only once it is in a chunk (for a file
 * buffer: written to the chunk file), so the tail may advance its
 * position past it; a chunk is deleted only when the output has settled
 * every entry in it (acknowledged, or dead-lettered and counted). What
 * a crash leaves on disk is sent again at the next start; the outputs'
 * deterministic ids make that a replay, not a duplicate.
 *
 * An entry is one record as the output encoded it (for Elasticsearch the
 * action and document lines of a bulk body), so sending a chunk, or only
 * its failed entries, concatenates bytes and never re-encodes.
 *
 * On disk a chunk is `<dir>/spire-shipper.<16 hex id>.chunk`: an 8-byte
 * magic "SSCHUNK1", then entries framed as
 *
 *	u32 length (little endian) | u32 CRC-32 of the payload | payload
 *
 * appended only. At start every chunk file is read back. Frames whose
 * length or CRC does not check at its end (a torn write) are cut off;
 * damage with good frames after it (flipped bytes, a damaged magic)
 * keeps the good frames in a rewritten file and the damaged one as
 * .corrupt. What is lost is counted. Fluentd's own chunk files
 * (buffer.*.log) are left alone, with a warning.
 */
#ifndef SHIPPER_BUFFER_H
#define SHIPPER_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buffer_conf.h"
#include "err.h"
#include "record.h"

struct buffer;
struct chunk;
struct loop;
struct output;

/* buffer_write() when the buffer is full and overflow_action is block or
 * throw_exception: nothing of the batch was taken; try again later. */
#define BUFFER_FULL	1

enum entry_result {
	ENTRY_OK,	/* acknowledged: done */
	ENTRY_RETRY,	/* send again, with backoff */
	ENTRY_DEAD,	/* rejected for good; the output dead-lettered it */
	ENTRY_ERROR,	/* rejected for good; <label @ERROR> took it */
};

struct buffer_stats {
	uint64_t	 records_in;	/* entries taken */
	uint64_t	 bytes_in;
	uint64_t	 acked;		/* entries ENTRY_OK */
	uint64_t	 dead;		/* entries ENTRY_DEAD */
	uint64_t	 errored;	/* entries ENTRY_ERROR */
	uint64_t	 retried;	/* entries sent again */
	uint64_t	 retries;	/* send attempts that failed as a whole */
	uint64_t	 full;		/* writes refused: block/throw_exception */
	uint64_t	 dropped_overflow; /* entries lost to drop_oldest_chunk */
	uint64_t	 dropped_retry;	/* entries given up: retry limit */
	uint64_t	 recovered_chunks; /* found on disk at start */
	uint64_t	 recovered_records;
	uint64_t	 torn_records;	/* cut from a torn chunk tail */
	uint64_t	 torn_bytes;
	uint64_t	 corrupt_chunks; /* damaged: kept as .corrupt */
	uint64_t	 corrupt_records; /* lost inside damaged chunks */
	uint64_t	 write_errors;	/* writes that failed (disk full...) */
	uint64_t	 damaged_chunks; /* held, with damage found at runtime */
	/* gauges */
	uint64_t	 stage_bytes;	/* in the chunk being filled */
	uint64_t	 queue_bytes;	/* in chunks waiting or in flight */
	uint64_t	 chunks;	/* chunks in memory, staged + queued */
	uint64_t	 queue_length;	/* chunks queued (incl. in flight) */
	uint64_t	 inflight;	/* chunks being sent */
	uint64_t	 oldest_ms;	/* loop_now_ms() of the oldest unsettled
					   entry's write; 0 when empty */
};

/*
 * Creates the buffer of output o from its <buffer> section (cfg may be
 * the defaults when there was none). A file buffer creates its directory
 * and recovers the chunks in it. The output must have .encode and .send.
 */
struct buffer *buffer_new(struct output *o, const struct buffer_cfg *cfg,
	    struct err *e);
void	buffer_free(struct buffer *bf);

/* Starts the flush and retry timers; queued chunks start sending. */
int	buffer_start(struct buffer *bf, struct loop *l, struct err *e);

/*
 * Encodes the committed records of b (o->ops->encode, once each) and
 * appends them. 0: all taken (durable for a file buffer); BUFFER_FULL:
 * none taken; -1 with e set (I/O error, encode error): none taken.
 * drop_oldest_chunk makes room by dropping queued chunks (counted).
 */
int	buffer_write(struct buffer *bf, const struct batch *b, struct err *e);

/*
 * Shutdown and backfill: enqueues the staged chunk so that everything
 * is sent now, whatever flush_interval says.
 */
void	buffer_enqueue_all(struct buffer *bf);
/* At total_limit_size with overflow_action block or throw_exception:
 * the next write would be refused. */
bool	buffer_full(const struct buffer *bf);
/* Why the last write failed (the disk is full...), NULL once a write
 * succeeded again. */
const char *buffer_write_error(const struct buffer *bf);
/*
 * While the buffer holds a chunk whose file was found damaged when read
 * back for sending, or that a failed write (a cut, a sync) left in a
 * state not known here: the last such failure, saying what and where.
 * Recovery at the next start fixes both (the entries that check are
 * sent, the file is kept as .corrupt), so /live fails meanwhile; NULL
 * once each such chunk is delivered, given up, or reads right again.
 * Damage found and set aside at start is not damage here.
 */
const char *buffer_damage(const struct buffer *bf);
/* No entry left to settle (nothing staged, queued or in flight). */
bool	buffer_empty(const struct buffer *bf);
/* Some chunk exhausted its retries or failed for good since start. */
bool	buffer_gave_up(const struct buffer *bf);
/*
 * Stops the timers (call it before the loop is freed); in-flight sends
 * are abandoned (sent again later). An output may still settle them
 * until buffer_free, which must come after the output's own stop.
 */
void	buffer_stop(struct buffer *bf);

const struct buffer_stats *buffer_stats(const struct buffer *bf);
/* The configuration in effect: defaults resolved (flush_mode is never
 * FLUSH_DEFAULT here). */
const struct buffer_cfg *buffer_config(const struct buffer *bf);
/* A file buffer's directory (two buffers must not share one); NULL for
 * a memory buffer. */
const char *buffer_dir(const struct buffer *bf);

/* --- for outputs: what .send gets ---------------------------------------- */

uint64_t chunk_id(const struct chunk *c);
size_t	chunk_nentries(const struct chunk *c);
/* Entry i's payload (as .encode wrote it), valid while c is in flight. */
const char *chunk_entry(const struct chunk *c, size_t i, uint32_t *len);
/* The tag of the records entry i was encoded from; NULL when unknown
 * (a chunk recovered from a previous run). */
const char *chunk_entry_tag(const struct chunk *c, size_t i);
/* Not yet settled: to be sent in this attempt. */
bool	chunk_entry_pending(const struct chunk *c, size_t i);
/* The result of entry i in the current attempt. */
void	chunk_settle(struct chunk *c, size_t i, enum entry_result r);
/*
 * The attempt that .send started is over. Entries left pending (or
 * ENTRY_RETRY) are sent again after the backoff; a chunk with every
 * entry settled is deleted. fail: the attempt failed as a whole (no
 * response, 5xx, 401...): its message is logged once per retry
 * interval, and it counts towards retry_max_times / retry_timeout.
 */
void	chunk_done(struct chunk *c, const struct err *fail);

#endif
