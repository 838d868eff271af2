/*
 * fsutil.h — small filesystem helpers shared by the pos file and the
 * file output, and small files read whole.
 */
#ifndef SHIPPER_FSUTIL_H
#define SHIPPER_FSUTIL_H

#include <sys/types.h>

#include "err.h"
#include "strbuf.h"

/* Creates the directories leading to path (not path itself), like mkdir -p. */
int	mkdir_parents(const char *path, mode_t mode, struct err *e);
/* Appends the whole of a small file (at most max bytes) to out. */
int	file_slurp(const char *path, size_t max, struct strbuf *out,
	    struct err *e);

/* Writes all n bytes at off (short writes continued); -1 with errno set,
 * ENOSPC when a write made no progress. */
int	pwrite_full(int fd, const void *p, size_t n, off_t off);
/*
 * Raises the soft limit on open files to the hard one (a node follows a
 * file per container, and 1024 is a common default); returns the soft
 * limit in effect, 0 for none.
 */
unsigned long long fd_limit_raise(void);
/* The soft limit on open files; 0 for none. */
unsigned long long fd_limit(void);

#endif
