/*
 * source_origin.h — the identity of a log file for document ids.
 *
 * A line must get the same id whether it was read live through
 * /var/log/containers/<pod>_<ns>_<container>-<id>.log, or later from the
 * rotated, gzipped copy the kubelet left in /var/log/pods, or from an
 * archive of either. So the identity is the file the path finally
 * resolves to, without its rotation suffix, and for the kubelet's
 * numbered files (<ns>_<pod>_<uid>/<container>/<N>.log) with the two
 * directories that make it unique.
 */
#ifndef SHIPPER_SOURCE_ORIGIN_H
#define SHIPPER_SOURCE_ORIGIN_H

/* Allocated; never NULL. */
char	*source_origin(const char *path);
/* The same for a path already resolved (no file system access). */
char	*source_origin_of(const char *resolved);

#endif
