/*
 * chunk_file.h — the bytes of a buffer chunk: frames, their index, and
 * the file a file buffer keeps them in.
 *
 * A frame is `u32 length LE | u32 CRC-32 LE | payload`, and a chunk is a
 * run of frames, in memory or after the 8-byte magic "SSCHUNK1" in a
 * file. The buffer keeps where each frame starts, so entry i is
 * arithmetic on one array. A chunk file is only ever appended to, cut
 * back to a frame boundary, synced, mapped for sending, or renamed.
 */
#ifndef SHIPPER_CHUNK_FILE_H
#define SHIPPER_CHUNK_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "strbuf.h"

#define CHUNK_MAGIC	"SSCHUNK1"
#define CHUNK_MAGIC_LEN	8
#define FRAME_HDR	8

/* Where the frames of a chunk start; they end where the next begins. */
struct frame_index {
	uint64_t	*start;
	size_t		 n;
	size_t		 cap;
	uint64_t	 bytes;		/* end of the last frame */
};

void	frame_index_push(struct frame_index *ix, uint64_t start, uint64_t end);
void	frame_index_free(struct frame_index *ix);

static inline uint64_t
frame_end(const struct frame_index *ix, size_t i)
{
	return i + 1 < ix->n ? ix->start[i + 1] : ix->bytes;
}

/* Payload of frame i of the frames at base, and its length. */
static inline const char *
frame_payload(const struct frame_index *ix, const char *base, size_t i,
    uint32_t *len)
{
	*len = (uint32_t)(frame_end(ix, i) - ix->start[i] - FRAME_HDR);
	return base + ix->start[i] + FRAME_HDR;
}

/*
 * A frame is built in place at the end of sb: frame_open reserves the
 * header and returns where it is, the payload is appended, and
 * frame_close fills in its length and (with_crc) its CRC-32.
 */
size_t	frame_open(struct strbuf *sb);
int	frame_close(struct strbuf *sb, size_t at, bool with_crc, struct err *e);

/* A new chunk file holding the magic; returns its descriptor or -1. */
int	chunk_file_create(const char *path, struct err *e);
/*
 * Writes n bytes at the end of a chunk file whose frames end at `bytes`.
 * All or nothing: after a short write or an error (ENOSPC, EFBIG) the
 * file is cut back to where it was.
 */
int	chunk_file_append(int fd, const char *path, uint64_t bytes,
	    const void *p, size_t n, struct err *e);
/* Cuts the file back to frames ending at `bytes`. */
int	chunk_file_cut(int fd, const char *path, uint64_t bytes,
	    struct err *e);
int	chunk_file_sync(int fd, const char *path, struct err *e);

/*
 * The frames of a chunk file, read-only, for sending, once they read as
 * ix says they were written (the magic, each frame's length and CRC).
 * NULL with e set when they cannot be read; *damaged then says whether
 * the file is to blame (gone, shorter, a frame that no longer checks)
 * rather than the moment (no descriptor or memory left).
 */
const char *chunk_file_map(const char *path, const struct frame_index *ix,
	    bool *damaged, struct err *e);
void	chunk_file_unmap(const char *frames, uint64_t bytes);

enum chunk_file_state {
	CHUNK_FILE_FRAMES,	/* it has frames: ix lists them */
	CHUNK_FILE_EMPTY,	/* no whole frame: delete it */
	CHUNK_FILE_BAD_MAGIC,	/* not one of ours, or its head is damaged */
};

/* What recovery found wrong with a chunk file. */
struct chunk_torn {
	uint64_t	 records;	/* cut from its torn tail, a partial
					   frame counting one */
	uint64_t	 bytes;
	uint64_t	 damaged_records; /* frames inside that did not check
					   (estimated when their length is
					   damaged too) */
	uint64_t	 damaged_bytes;
	uint64_t	 holes;		/* damaged places, good frames after */
	bool		 bad_magic;	/* its magic was damaged */
	char		*quarantine;	/* the damaged file kept here */
	char		*rewrite_error;	/* it could not be rewritten: cut */
};

/*
 * Reads a chunk file back after a restart or a crash: indexes its frames
 * that check. A torn tail (after the last good frame) is cut off. Damage
 * with good frames after it (flipped bytes, a damaged magic) makes a new
 * file of the good frames; the damaged one stays as <path>.corrupt
 * (torn->quarantine). -1 with e set when the file cannot be read or
 * cut. Free torn with chunk_torn_free.
 */
int	chunk_file_recover(const char *path, struct frame_index *ix,
	    struct chunk_torn *torn, enum chunk_file_state *state,
	    struct err *e);
void	chunk_torn_free(struct chunk_torn *torn);

#endif
