/*
 * reader.h — sequential reads of a log file, plain or gzip.
 *
 * Compression is recognised by the file's magic bytes, not its name, and
 * concatenated gzip members (what appending writers produce) are read as
 * one stream.
 */
#ifndef SHIPPER_READER_H
#define SHIPPER_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <zlib.h>

#include "err.h"

struct reader {
	int		 fd;
	bool		 gz;
	bool		 in_eof;
	bool		 z_end;		/* last member ended cleanly */
	z_stream	 z;
	unsigned char	*in;
	uint64_t	 raw_offset;	/* bytes read from the file */
	uint64_t	 offset;	/* bytes of content returned */
	const char	*path;
};

/* Takes ownership of fd (an open file, at its start). */
int	reader_open_fd(struct reader *rd, int fd, const char *path,
	    struct err *e);
int	reader_open(struct reader *rd, const char *path, struct err *e);
/* Up to n bytes of content; 0 at the end, -1 with e set. */
ssize_t	reader_read(struct reader *rd, char *buf, size_t n, struct err *e);
/* Reads and drops n bytes of content (resuming inside a .gz). */
int	reader_skip(struct reader *rd, uint64_t n, struct err *e);
void	reader_close(struct reader *rd);
/* Does the file at fd start with the gzip magic? (fd offset unchanged) */
bool	reader_is_gzip(int fd);

#endif
