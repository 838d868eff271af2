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
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "chunk_file.h"
#include "mem.h"

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
	if (pwrite(fd, CHUNK_MAGIC, CHUNK_MAGIC_LEN, 0) != CHUNK_MAGIC_LEN) {
		err_set(e, "cannot write buffer chunk %s: %s (is the disk "
		    "full?)", path, errno ? strerror(errno) : "short write");
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
	off_t	 at = (off_t)(CHUNK_MAGIC_LEN + bytes);
	size_t	 done = 0;
	ssize_t	 w;
	struct err e2;

	while (done < n) {
		w = pwrite(fd, (const char *)p + done, n - done,
		    at + (off_t)done);
		if (w > 0) {
			done += (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		err_set(e, "cannot write to buffer chunk %s: %s (is the disk "
		    "full?)", path, w == 0 ? "no progress" : strerror(errno));
		chunk_file_cut(fd, path, bytes, &e2);
		return -1;
	}
	return 0;
}

int
chunk_file_sync(int fd, const char *path, struct err *e)
{
	if (fdatasync(fd) != 0 && errno != EINVAL)
		return err_set(e, "fdatasync %s: %s", path, strerror(errno));
	return 0;
}

const char *
chunk_file_map(const char *path, uint64_t bytes, struct err *e)
{
	size_t		 size = (size_t)(CHUNK_MAGIC_LEN + bytes);
	struct stat	 st;
	void		*m = MAP_FAILED;
	int		 fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		err_set(e, "cannot open buffer chunk %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size < size)
		err_set(e, "buffer chunk %s is shorter than its entries (was it "
		    "changed by something else?)", path);
	else if ((m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0)) ==
	    MAP_FAILED)
		err_set(e, "cannot map buffer chunk %s: %s", path,
		    strerror(errno));
	close(fd);
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

/* Indexes the frames of map[0..size) that check; returns where they end. */
static uint64_t
index_frames(const char *map, uint64_t size, struct frame_index *ix)
{
	uint64_t	 off = CHUNK_MAGIC_LEN, end;
	uint32_t	 len;

	while (size - off >= FRAME_HDR) {
		len = get_le32(map + off);
		end = off + FRAME_HDR + len;
		if (end > size ||
		    payload_crc(map + off + FRAME_HDR, len) !=
		    get_le32(map + off + 4))
			break;
		frame_index_push(ix, off - CHUNK_MAGIC_LEN,
		    end - CHUNK_MAGIC_LEN);
		off = end;
	}
	return off;
}

/* The magic, or the start of it (a crash right after the create). */
static enum chunk_file_state
check_head(int fd, uint64_t size)
{
	char	 head[CHUNK_MAGIC_LEN];
	size_t	 n = size < CHUNK_MAGIC_LEN ? (size_t)size : CHUNK_MAGIC_LEN;

	if (pread(fd, head, n, 0) != (ssize_t)n ||
	    memcmp(head, CHUNK_MAGIC, n) != 0)
		return CHUNK_FILE_BAD_MAGIC;
	return size > CHUNK_MAGIC_LEN ? CHUNK_FILE_FRAMES : CHUNK_FILE_EMPTY;
}

static int
recover_frames(int fd, const char *path, uint64_t size,
    struct frame_index *ix, struct chunk_torn *torn, struct err *e)
{
	const char	*map;
	uint64_t	 good;

	map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return err_set(e, "cannot map buffer chunk %s: %s", path,
		    strerror(errno));
	good = index_frames(map, size, ix);
	torn->bytes = size - good;
	torn->records = torn_frames(map + good, size - good);
	munmap((void *)(uintptr_t)map, (size_t)size);
	if (good == size)
		return 0;
	if (chunk_file_cut(fd, path, ix->bytes, e) != 0)
		return -1;
	return chunk_file_sync(fd, path, e);
}

int
chunk_file_recover(const char *path, struct frame_index *ix,
    struct chunk_torn *torn, enum chunk_file_state *state, struct err *e)
{
	struct stat	 st;
	int		 fd, rc = 0;

	memset(torn, 0, sizeof *torn);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd == -1)
		return err_set(e, "cannot open buffer chunk %s: %s (check its "
		    "permissions)", path, strerror(errno));
	if (fstat(fd, &st) != 0)
		rc = err_set(e, "cannot stat buffer chunk %s: %s", path,
		    strerror(errno));
	else if ((*state = check_head(fd, (uint64_t)st.st_size)) ==
	    CHUNK_FILE_FRAMES) {
		rc = recover_frames(fd, path, (uint64_t)st.st_size, ix, torn,
		    e);
		if (ix->n == 0)
			*state = CHUNK_FILE_EMPTY;
	}
	close(fd);
	return rc;
}
