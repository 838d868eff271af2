/*
 * chunk_file.c — frames and chunk files (see chunk_file.h).
 *
 * The one rule: a chunk file only ever holds whole frames after its
 * magic, or a torn tail that recovery cuts. Appends are pwrite(2) at the
 * end of the last frame, so a failed append is undone by cutting back to
 * that offset, and a later append overwrites whatever a failed cut left.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "chunk_file.h"
#include "fsutil.h"
#include "mem.h"

/* What to do about a failed write, after its errno. */
static const char *
write_hint(int err)
{
	if (err == ENOSPC || err == EDQUOT)
		return "the disk is full: free space on it";
	return "is the disk full or read-only?";
}

void
frame_index_push(struct frame_index *ix, uint64_t start, uint64_t end)
{
	if (ix->n == ix->cap)
		ix->start = xgrow(ix->start, &ix->cap, ix->n + 1,
		    sizeof *ix->start);
	ix->start[ix->n++] = start;
	ix->bytes = end;
}

void
frame_index_free(struct frame_index *ix)
{
	free(ix->start);
	memset(ix, 0, sizeof *ix);
}

static void
put_le32(char *p, uint32_t v)
{
	p[0] = (char)(v & 0xff);
	p[1] = (char)((v >> 8) & 0xff);
	p[2] = (char)((v >> 16) & 0xff);
	p[3] = (char)((v >> 24) & 0xff);
}

static uint32_t
get_le32(const char *p)
{
	const unsigned char	*u = (const unsigned char *)p;

	return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 |
	    (uint32_t)u[3] << 24;
}

static uint32_t
payload_crc(const char *p, uint32_t len)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)p, len);
}

size_t
frame_open(struct strbuf *sb)
{
	size_t	 at = sb->len;

	sb_add(sb, "\0\0\0\0\0\0\0\0", FRAME_HDR);
	return at;
}

int
frame_close(struct strbuf *sb, size_t at, bool with_crc, struct err *e)
{
	size_t	 len = sb->len - at - FRAME_HDR;

	if (len > UINT32_MAX) {
		sb->len = at;
		return err_set(e, "a record encoded to %zu bytes, more than a "
		    "chunk entry can hold (4G)", len);
	}
	put_le32(sb->buf + at, (uint32_t)len);
	put_le32(sb->buf + at + 4, with_crc ?
	    payload_crc(sb->buf + at + FRAME_HDR, (uint32_t)len) : 0);
	return 0;
}

int
chunk_file_create(const char *path, struct err *e)
{
	int	 fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1)
		return err_set(e, "cannot create buffer chunk %s: %s (check "
		    "the buffer path and its permissions)", path,
		    strerror(errno));
	errno = 0;
	if (pwrite(fd, CHUNK_MAGIC, CHUNK_MAGIC_LEN, 0) != CHUNK_MAGIC_LEN) {
		err_set(e, "cannot write buffer chunk %s: %s (%s)", path,
		    errno ? strerror(errno) : "short write", write_hint(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

int
chunk_file_cut(int fd, const char *path, uint64_t bytes, struct err *e)
{
	if (ftruncate(fd, (off_t)(CHUNK_MAGIC_LEN + bytes)) != 0)
		return err_set(e, "cannot cut buffer chunk %s back to %llu "
		    "bytes: %s", path,
		    (unsigned long long)(CHUNK_MAGIC_LEN + bytes),
		    strerror(errno));
	return 0;
}

int
chunk_file_append(int fd, const char *path, uint64_t bytes, const void *p,
    size_t n, struct err *e)
{
	struct err	 e2;

	if (pwrite_full(fd, p, n, (off_t)(CHUNK_MAGIC_LEN + bytes)) == 0)
		return 0;
	err_set(e, "cannot write to buffer chunk %s: %s (%s)", path,
	    strerror(errno), write_hint(errno));
	chunk_file_cut(fd, path, bytes, &e2);
	return -1;
}

int
chunk_file_sync(int fd, const char *path, struct err *e)
{
	if (fdatasync(fd) != 0 && errno != EINVAL)
		return err_set(e, "fdatasync %s: %s", path, strerror(errno));
	return 0;
}

/* Is a failure to open or map a file the moment's, not the file's? */
static bool
short_of_resources(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOMEM ||
	    err == EAGAIN || err == EINTR;
}

/* Does what was mapped read as ix says it was written? */
static int
frames_check(const char *path, const char *m, const struct frame_index *ix,
    struct err *e)
{
	const char	*frames = m + CHUNK_MAGIC_LEN, *p;
	uint32_t	 len;
	size_t		 i;

	if (memcmp(m, CHUNK_MAGIC, CHUNK_MAGIC_LEN) != 0)
		return err_set(e, "buffer chunk %s no longer starts with %s: "
		    "the file changed on disk since it was written (a failing "
		    "disk, or something else writing there)", path,
		    CHUNK_MAGIC);
	for (i = 0; i < ix->n; i++) {
		const char	*h = frames + ix->start[i];

		p = frame_payload(ix, frames, i, &len);
		if (get_le32(h) == len && get_le32(h + 4) == payload_crc(p, len))
			continue;
		return err_set(e, "buffer chunk %s: entry %zu of %zu (at byte "
		    "%llu) does not read as it was written (its %s): the file "
		    "changed on disk since (a failing disk, or something else "
		    "writing there)", path, i + 1, ix->n,
		    (unsigned long long)(CHUNK_MAGIC_LEN + ix->start[i]),
		    get_le32(h) != len ? "length" : "CRC");
	}
	return 0;
}

const char *
chunk_file_map(const char *path, const struct frame_index *ix, bool *damaged,
    struct err *e)
{
	size_t		 size = (size_t)(CHUNK_MAGIC_LEN + ix->bytes);
	struct stat	 st;
	void		*m = MAP_FAILED;
	int		 fd;

	*damaged = false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		*damaged = !short_of_resources(errno);
		err_set(e, "cannot open buffer chunk %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size < size) {
		*damaged = true;
		err_set(e, "buffer chunk %s is shorter than its entries (was it "
		    "changed by something else?)", path);
	} else if ((m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0)) ==
	    MAP_FAILED)
		err_set(e, "cannot map buffer chunk %s: %s", path,
		    strerror(errno));
	close(fd);
	if (m != MAP_FAILED && frames_check(path, m, ix, e) != 0) {
		*damaged = true;
		munmap(m, size);
		m = MAP_FAILED;
	}
	return m == MAP_FAILED ? NULL : (const char *)m + CHUNK_MAGIC_LEN;
}

void
chunk_file_unmap(const char *frames, uint64_t bytes)
{
	if (frames != NULL)
		munmap((void *)(uintptr_t)(frames - CHUNK_MAGIC_LEN),
		    (size_t)(CHUNK_MAGIC_LEN + bytes));
}

/* Frames in a torn tail, by their lengths; a partial one counts one. */
static uint64_t
torn_frames(const char *p, uint64_t n)
{
	uint64_t	 count = 0, len;

	while (n > 0) {
		count++;
		if (n < FRAME_HDR)
			break;
		len = FRAME_HDR + (uint64_t)get_le32(p);
		if (len > n)
			break;
		p += len;
		n -= len;
	}
	return count;
}

/*
 * Does a whole frame that checks start at off? Never an empty one: no
 * output encodes an empty entry, and zeros (what a crash can leave in a
 * file) would otherwise read as frames.
 */
static uint64_t
frame_at(const char *map, uint64_t size, uint64_t off)
{
	uint32_t	 len;

	if (size - off < FRAME_HDR)
		return 0;
	len = get_le32(map + off);
	if (len == 0 || len > size - off - FRAME_HDR ||
	    payload_crc(map + off + FRAME_HDR, len) != get_le32(map + off + 4))
		return 0;
	return off + FRAME_HDR + len;
}

/*
 * The next frame that checks after damage at off, or 0. Inside text a
 * length field reads as hundreds of megabytes and is refused without a
 * CRC; the CRC work is bounded all the same.
 */
static uint64_t
resync(const char *map, uint64_t size, uint64_t off)
{
	uint64_t	 budget = 16 * size, len;

	for (off++; size - off >= FRAME_HDR; off++) {
		len = get_le32(map + off);
		if (len == 0 || len > size - off - FRAME_HDR)
			continue;
		if (len > budget)
			return 0;
		budget -= len;
		if (frame_at(map, size, off) != 0)
			return off;
	}
	return 0;
}

/* A run of good frames in the file as it was: [from, to). */
struct span {
	uint64_t	 from;
	uint64_t	 to;
};

struct scan {
	struct span	*spans;
	size_t		 nspans;
	size_t		 cap;
	uint64_t	 good;		/* bytes of good frames */
	uint64_t	 tail;		/* where a torn tail starts, or size */
};

static void
span_add(struct scan *sc, uint64_t from, uint64_t to)
{
	if (sc->nspans > 0 && sc->spans[sc->nspans - 1].to == from) {
		sc->spans[sc->nspans - 1].to = to;
		return;
	}
	sc->spans = xgrow(sc->spans, &sc->cap, sc->nspans + 1,
	    sizeof *sc->spans);
	sc->spans[sc->nspans].from = from;
	sc->spans[sc->nspans++].to = to;
}

/* Entries lost in a hole: one damaged frame whose length still says
 * where it ends is one; else estimated from the good frames' size. */
static uint64_t
hole_records(uint64_t hole, uint64_t nominal, size_t n, uint64_t good)
{
	uint64_t	 est;

	if (nominal == hole || n == 0)
		return 1;
	est = (hole * n + good / 2) / good;
	return est > 1 ? est : 1;
}

/*
 * Indexes every frame that checks, from the magic on, skipping damage
 * when good frames follow it (their offsets as they will be once the
 * damage is taken out); what follows the last good frame is a torn tail.
 */
static void
scan_frames(const char *map, uint64_t size, struct frame_index *ix,
    struct scan *sc, struct chunk_torn *torn)
{
	uint64_t	 off = CHUNK_MAGIC_LEN, end, next, nominal;

	while (off < size) {
		if ((end = frame_at(map, size, off)) != 0) {
			frame_index_push(ix, sc->good, sc->good + end - off);
			sc->good += end - off;
			span_add(sc, off, end);
			off = end;
			continue;
		}
		if ((next = resync(map, size, off)) == 0)
			break;
		nominal = size - off >= FRAME_HDR ? FRAME_HDR +
		    (uint64_t)get_le32(map + off) : 0;
		torn->damaged_records += hole_records(next - off, nominal,
		    ix->n, sc->good);
		torn->damaged_bytes += next - off;
		torn->holes++;
		off = next;
	}
	sc->tail = off < size ? off : size;
	torn->bytes = size - sc->tail;
	torn->records = torn_frames(map + sc->tail, size - sc->tail);
}

/*
 * Writes the good frames to a fresh file that replaces the damaged one,
 * which stays as <path>.corrupt: linked first, so that a crash at any
 * point leaves the original under one of its names.
 */
static int
rewrite_good(const char *path, const char *map, const struct scan *sc,
    struct chunk_torn *torn, struct err *e)
{
	char	*tmp = xasprintf("%s.tmp", path);
	char	*bad = xasprintf("%s.corrupt", path);
	int	 fd, rc = -1;
	size_t	 i;
	uint64_t at, n;

	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1) {
		err_set(e, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (pwrite_full(fd, CHUNK_MAGIC, CHUNK_MAGIC_LEN, 0) != 0)
		goto fail;
	for (i = 0, at = CHUNK_MAGIC_LEN; i < sc->nspans; i++) {
		n = sc->spans[i].to - sc->spans[i].from;
		if (pwrite_full(fd, map + sc->spans[i].from, (size_t)n,
		    (off_t)at) != 0)
			goto fail;
		at += n;
	}
	if (fdatasync(fd) != 0 && errno != EINVAL)
		goto fail;
	close(fd);
	fd = -1;
	unlink(bad);
	if (link(path, bad) != 0 && rename(path, bad) != 0) {
		err_set(e, "cannot keep %s as %s: %s", path, bad,
		    strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		err_set(e, "cannot replace %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	torn->quarantine = bad;
	bad = NULL;
	rc = 0;
	goto out;
fail:
	err_set(e, "cannot write %s: %s (%s)", tmp, strerror(errno),
	    write_hint(errno));
	close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(bad);
	return rc;
}

/* The magic, or the start of it (a crash right after the create). */
static bool
head_ok(const char *map, uint64_t size)
{
	size_t	 n = size < CHUNK_MAGIC_LEN ? (size_t)size : CHUNK_MAGIC_LEN;

	return memcmp(map, CHUNK_MAGIC, n) == 0;
}

/*
 * Damage inside the file (or in its magic) with good frames after it:
 * they are kept, in a rewritten file. If that cannot be written (a full
 * disk), what comes before the first damage is kept by cutting the file
 * there, and the rest is counted lost; with nothing before it, the file
 * is set aside whole (CHUNK_FILE_BAD_MAGIC).
 */
static int
recover_damaged(int fd, const char *path, const char *map,
    struct frame_index *ix, const struct scan *sc, struct chunk_torn *torn,
    enum chunk_file_state *state, struct err *e)
{
	struct err	 why;
	uint64_t	 first_hole = sc->spans[0].to - CHUNK_MAGIC_LEN;
	size_t		 kept = 0;

	if (rewrite_good(path, map, sc, torn, &why) == 0)
		return 0;
	torn->rewrite_error = xstrdup(why.msg);
	if (!torn->bad_magic && sc->spans[0].from == CHUNK_MAGIC_LEN)
		while (kept < ix->n && ix->start[kept] < first_hole)
			kept++;
	torn->damaged_records += ix->n - kept;
	ix->n = kept;
	ix->bytes = kept > 0 ? first_hole : 0;
	if (kept == 0) {
		*state = CHUNK_FILE_BAD_MAGIC;
		return 0;
	}
	if (chunk_file_cut(fd, path, ix->bytes, e) != 0)
		return -1;
	return chunk_file_sync(fd, path, e);
}

static int
recover_map(int fd, const char *path, uint64_t size, struct frame_index *ix,
    struct chunk_torn *torn, enum chunk_file_state *state, struct err *e)
{
	struct scan	 sc = { 0 };
	const char	*map;
	int		 rc = 0;

	map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return err_set(e, "cannot map buffer chunk %s: %s", path,
		    strerror(errno));
	torn->bad_magic = !head_ok(map, size);
	if (size > CHUNK_MAGIC_LEN)
		scan_frames(map, size, ix, &sc, torn);
	if (ix->n == 0 && torn->bad_magic) {
		/* Not one of ours, or nothing of it can be read. */
		*state = CHUNK_FILE_BAD_MAGIC;
		memset(torn, 0, sizeof *torn);
	} else if (ix->n == 0)
		*state = CHUNK_FILE_EMPTY;	/* torn in its first frame */
	else if (torn->bad_magic || torn->holes > 0)
		rc = recover_damaged(fd, path, map, ix, &sc, torn, state, e);
	else if (sc.tail < size && (rc = chunk_file_cut(fd, path, ix->bytes,
	    e)) == 0)
		rc = chunk_file_sync(fd, path, e);
	munmap((void *)(uintptr_t)map, (size_t)size);
	free(sc.spans);
	return rc;
}

int
chunk_file_recover(const char *path, struct frame_index *ix,
    struct chunk_torn *torn, enum chunk_file_state *state, struct err *e)
{
	struct stat	 st;
	int		 fd, rc = 0;

	memset(torn, 0, sizeof *torn);
	*state = CHUNK_FILE_EMPTY;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd == -1)
		return err_set(e, "cannot open buffer chunk %s: %s (check its "
		    "permissions)", path, strerror(errno));
	if (fstat(fd, &st) != 0)
		rc = err_set(e, "cannot stat buffer chunk %s: %s", path,
		    strerror(errno));
	else if (st.st_size > 0 && (rc = recover_map(fd, path,
	    (uint64_t)st.st_size, ix, torn, state, e)) == 0 && ix->n > 0)
		*state = CHUNK_FILE_FRAMES;
	close(fd);
	return rc;
}

void
chunk_torn_free(struct chunk_torn *torn)
{
	free(torn->quarantine);
	free(torn->rewrite_error);
	torn->quarantine = torn->rewrite_error = NULL;
}
