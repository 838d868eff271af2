/*
 * fuzz_chunk.c — buffer chunk recovery (chunk_file_recover).
 *
 * The first input byte picks how the chunk file is made. Raw: the rest
 * of the input is the file. Framed: the rest, split at newlines, is
 * records framed as the buffer frames them, behind the magic; the file
 * is then cut at a point and maybe has one byte changed, both chosen by
 * the second and third bytes. Checks, both ways: every recovered frame's
 * CRC verifies and the frames are contiguous from 0; the file is cut to
 * just after them (the torn tail is counted and gone), a file that is
 * not a chunk is left alone; recovering again changes nothing. Framed:
 * the frames recovered are the records wholly before the damage, byte
 * for byte, and no more (CRC-32 sees any one changed payload or CRC
 * byte), unless the change hit the next frame's length: the CRC does
 * not cover it, and e.g. a payload of FF FF FF FF leaves CRC-32 in its
 * zero state, where zero bytes after it (the next header's) still
 * verify. Such a frame is allowed, it is no crash and is CRC-clean.
 */
#define _GNU_SOURCE	/* memmem */
#include "fuzz.h"

#include <sys/stat.h>

#include <zlib.h>

#include "chunk_file.h"
#include "err.h"
#include "mem.h"
#include "strbuf.h"

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
file_size(const char *path)
{
	struct stat	 st;

	FUZZ_ASSERT(stat(path, &st) == 0);
	return (uint64_t)st.st_size;
}

/*
 * Recovers path; returns the state, ix filled, and checks the file as
 * recovery left it: a torn tail cut, and damage with good frames after
 * it rewritten into a file of the good frames (the damaged one kept as
 * .corrupt), so *file becomes what is on disk now.
 */
static enum chunk_file_state
recover(const char *path, struct frame_index *ix, struct strbuf *file)
{
	enum chunk_file_state	 state = CHUNK_FILE_EMPTY;
	struct chunk_torn	 torn;
	struct err		 e;
	const unsigned char	*f;
	uint64_t		 size = file->len, at;
	uint32_t		 len;
	size_t			 i;
	FILE			*fp;

	memset(ix, 0, sizeof *ix);
	memset(&torn, 0, sizeof torn);
	FUZZ_ASSERT(chunk_file_recover(path, ix, &torn, &state, &e) == 0);
	FUZZ_ASSERT((state == CHUNK_FILE_FRAMES) == (ix->n > 0));
	FUZZ_ASSERT((torn.records > 0) == (torn.bytes > 0));
	if (state == CHUNK_FILE_BAD_MAGIC)
		FUZZ_ASSERT(file_size(path) == size);
	if (state != CHUNK_FILE_FRAMES) {
		chunk_torn_free(&torn);
		return state;	/* left as it was: the buffer deletes or
				   quarantines it */
	}
	FUZZ_ASSERT(file_size(path) == CHUNK_MAGIC_LEN + ix->bytes);
	FUZZ_ASSERT(ix->bytes + torn.bytes <= size - CHUNK_MAGIC_LEN ||
	    torn.bad_magic);
	sb_reset(file);
	FUZZ_ASSERT((fp = fopen(path, "rb")) != NULL);
	sb_reserve(file, CHUNK_MAGIC_LEN + ix->bytes);
	file->len = fread(file->buf, 1, CHUNK_MAGIC_LEN + ix->bytes, fp);
	fclose(fp);
	FUZZ_ASSERT(file->len == CHUNK_MAGIC_LEN + ix->bytes &&
	    memcmp(file->buf, CHUNK_MAGIC, CHUNK_MAGIC_LEN) == 0);
	f = (const unsigned char *)file->buf + CHUNK_MAGIC_LEN;
	for (i = 0, at = 0; i < ix->n; i++) {
		FUZZ_ASSERT(ix->start[i] == at);
		len = le32(f + at);
		FUZZ_ASSERT(frame_end(ix, i) == at + FRAME_HDR + len);
		FUZZ_ASSERT(crc32(crc32(0L, Z_NULL, 0), f + at + FRAME_HDR, len)
		    == le32(f + at + 4));
		at += FRAME_HDR + len;
	}
	FUZZ_ASSERT(at == ix->bytes);
	chunk_torn_free(&torn);
	return state;
}

/* A second recovery finds the same frames and nothing torn. */
static void
recover_again(const char *path, const struct frame_index *ix,
    struct strbuf *file)
{
	struct frame_index	 ix2;

	recover(path, &ix2, file);
	FUZZ_ASSERT(ix2.n == ix->n && ix2.bytes == ix->bytes);
	frame_index_free(&ix2);
}

/*
 * Frames the records of rec, cuts and maybe damages them; returns how
 * many records are whole before the damage, or NO_MAGIC when the change
 * hit the magic. *in_len: it hit the length of the frame after those.
 */
#define NO_MAGIC	((size_t)-1)

static size_t
framed(const uint8_t *rec, size_t n, unsigned a, unsigned b, bool flip,
    struct strbuf *file, struct strbuf *payloads, size_t **bounds,
    bool *in_len)
{
	const uint8_t	*p, *end = rec + n, *nl;
	size_t		 at, cut, damage, nrec = 0, whole = 0;
	struct err	 e;

	sb_add(file, CHUNK_MAGIC, CHUNK_MAGIC_LEN);
	for (p = rec; p <= end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		at = frame_open(file);
		sb_add(file, p, (size_t)(nl - p));
		FUZZ_ASSERT(frame_close(file, at, true, &e) == 0);
		*bounds = xrealloc(*bounds, (nrec + 1) * sizeof **bounds);
		(*bounds)[nrec++] = file->len;
	}
	sb_add(payloads, rec, n);
	cut = (a * 256 + b) % (file->len + 1);
	damage = cut;
	flip = flip && cut > 0;
	if (flip) {
		damage = (a ^ (b << 3)) % cut;
		file->buf[damage] ^= (char)(1 + (a % 255));
	}
	file->len = cut;
	while (whole < nrec && (*bounds)[whole] <= damage)
		whole++;
	at = whole > 0 ? (*bounds)[whole - 1] : CHUNK_MAGIC_LEN;
	*in_len = flip && damage >= at && damage < at + 4;
	return flip && damage < CHUNK_MAGIC_LEN ? NO_MAGIC : whole;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf		 file = STRBUF_INIT, payloads = STRBUF_INIT;
	struct frame_index	 ix;
	enum chunk_file_state	 state;
	char			 path[96];
	size_t			*bounds = NULL, whole = 0, i, off = 0;
	uint32_t		 len;
	const char		*pl;
	bool			 raw, in_len = false;

	if (size < 3)
		return 0;
	raw = data[0] & 1;
	/* The buffer never frames an empty record, and recovery reads a
	 * zero-length frame with a zero CRC as zero fill, not an entry. */
	if (!raw && (size == 3 || data[3] == '\n' || data[size - 1] == '\n' ||
	    memmem(data + 3, size - 3, "\n\n", 2) != NULL))
		return 0;
	if (raw)
		sb_add(&file, data + 1, size - 1);
	else
		whole = framed(data + 3, size - 3, data[1], data[2],
		    data[0] & 2, &file, &payloads, &bounds, &in_len);
	snprintf(path, sizeof path, "%s/chunk", fuzz_tmpdir());
	fuzz_write_file(path, file.buf, file.len);

	state = recover(path, &ix, &file);
	/* The records whole before the damage come back first, as they
	 * were (frames found after the damage may follow). */
	if (!raw && whole != NO_MAGIC) {
		FUZZ_ASSERT(state != CHUNK_FILE_BAD_MAGIC && ix.n >= whole);
		for (i = 0; i < whole; i++) {
			pl = frame_payload(&ix, file.buf + CHUNK_MAGIC_LEN, i,
			    &len);
			FUZZ_ASSERT(off + len <= payloads.len &&
			    memcmp(pl, payloads.buf + off, len) == 0);
			off += len + 1;		/* and its newline */
		}
	}
	if (state == CHUNK_FILE_FRAMES)
		recover_again(path, &ix, &file);
	frame_index_free(&ix);
	free(bounds);
	sb_free(&file);
	sb_free(&payloads);
	return 0;
}
