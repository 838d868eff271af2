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

#endif
