/*
 * libcurl.h — libcurl, opened by the plugins that speak HTTP (see
 * dynlib.h): the elasticsearch output and the kubernetes_metadata filter.
 * Callers include <curl/curl.h> as before; libcurl_load must have
 * succeeded before their first curl_ call.
 */
#ifndef SHIPPER_LIBCURL_H
#define SHIPPER_LIBCURL_H

#include "err.h"

/* Opens libcurl once: 0, or -1 with e saying what to install. */
int	libcurl_load(struct err *e);

#endif
