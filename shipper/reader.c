/*
 * reader.c — sequential reads of a log file, plain or gzip (reader.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "reader.h"

#define READER_IN	(256 * 1024)

bool
reader_is_gzip(int fd)
{
	unsigned char	 m[2];

	return pread(fd, m, 2, 0) == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

int
reader_open_fd(struct reader *rd, int fd, const char *path, struct err *e)
{
	memset(rd, 0, sizeof *rd);
	rd->fd = fd;
	rd->path = path;
	rd->gz = reader_is_gzip(fd);
	if (!rd->gz)
		return 0;
	rd->in = xmalloc(READER_IN);
	if (inflateInit2(&rd->z, 15 + 32) != Z_OK) {
		free(rd->in);
		return err_set(e, "%s: cannot start gzip decompression", path);
	}
	return 0;
}

int
reader_open(struct reader *rd, const char *path, struct err *e)
{
	int	 fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return err_set(e, "cannot open %s: %s", path, strerror(errno));
	if (reader_open_fd(rd, fd, path, e) != 0) {
		close(fd);
		return -1;
	}
	return 0;
}

static ssize_t
read_some(int fd, void *buf, size_t n)
{
	ssize_t	 r;

	do
		r = read(fd, buf, n);
	while (r == -1 && errno == EINTR);
	return r;
}

static int
gz_fill(struct reader *rd, struct err *e)
{
	ssize_t	 r = read_some(rd->fd, rd->in, READER_IN);

	if (r < 0)
		return err_set(e, "%s: read: %s", rd->path, strerror(errno));
	if (r == 0)
		rd->in_eof = true;
	rd->raw_offset += (uint64_t)r;
	rd->z.next_in = rd->in;
	rd->z.avail_in = (uInt)r;
	return 0;
}

static ssize_t
gz_read(struct reader *rd, char *buf, size_t n, struct err *e)
{
	int	 zrc;

	rd->z.next_out = (Bytef *)buf;
	rd->z.avail_out = (uInt)n;
	while (rd->z.avail_out == n) {
		if (rd->z.avail_in == 0 && !rd->in_eof && gz_fill(rd, e) != 0)
			return -1;
		if (rd->z.avail_in == 0 && rd->in_eof) {
			if (!rd->z_end)
				return err_set(e, "%s: gzip data ends early "
				    "(truncated archive)", rd->path);
			return 0;
		}
		if (rd->z_end) {		/* another gzip member */
			inflateReset(&rd->z);
			rd->z_end = false;
		}
		zrc = inflate(&rd->z, Z_NO_FLUSH);
		if (zrc == Z_STREAM_END)
			rd->z_end = true;
		else if (zrc != Z_OK && zrc != Z_BUF_ERROR)
			return err_set(e, "%s: corrupt gzip data near byte %llu: "
			    "%s", rd->path, (unsigned long long)rd->raw_offset,
			    rd->z.msg ? rd->z.msg : "inflate failed");
	}
	return (ssize_t)(n - rd->z.avail_out);
}

ssize_t
reader_read(struct reader *rd, char *buf, size_t n, struct err *e)
{
	ssize_t	 r;

	if (rd->gz)
		r = gz_read(rd, buf, n, e);
	else {
		r = read_some(rd->fd, buf, n);
		if (r < 0)
			return err_set(e, "%s: read: %s", rd->path,
			    strerror(errno));
		rd->raw_offset += (uint64_t)r;
	}
	if (r > 0)
		rd->offset += (uint64_t)r;
	return r;
}

int
reader_skip(struct reader *rd, uint64_t n, struct err *e)
{
	char	 buf[65536];
	ssize_t	 r;

	if (!rd->gz) {
		if (lseek(rd->fd, (off_t)n, SEEK_CUR) == -1)
			return err_set(e, "%s: seek: %s", rd->path,
			    strerror(errno));
		rd->offset += n;
		rd->raw_offset += n;
		return 0;
	}
	while (n > 0) {
		r = reader_read(rd, buf, n < sizeof buf ? n : sizeof buf, e);
		if (r < 0)
			return -1;
		if (r == 0)
			return err_set(e, "%s: ends before offset %llu",
			    rd->path, (unsigned long long)rd->offset + n);
		n -= (uint64_t)r;
	}
	return 0;
}

void
reader_close(struct reader *rd)
{
	if (rd->gz) {
		inflateEnd(&rd->z);
		free(rd->in);
	}
	if (rd->fd != -1)
		close(rd->fd);
	rd->fd = -1;
	rd->in = NULL;
}
