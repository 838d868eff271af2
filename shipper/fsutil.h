/*
 * fsutil.h — small filesystem helpers shared by the pos file and the
 * file output.
 */
#ifndef SHIPPER_FSUTIL_H
#define SHIPPER_FSUTIL_H

#include <sys/types.h>

#include "err.h"

/* Creates the directories leading to path (not path itself), like mkdir -p. */
int	mkdir_parents(const char *path, mode_t mode, struct err *e);

#endif
