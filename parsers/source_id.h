/*
 * source_id.h — a record's identity as text: where it came from, not
 * what it says. The Elasticsearch output uses it as `_id`, the Kafka
 * output as a header, so that a replay after a crash, a retry or a
 * repeated backfill is recognisable as the same record downstream.
 */
#ifndef PARSERS_SOURCE_ID_H
#define PARSERS_SOURCE_ID_H

#include <stdbool.h>

#include "record.h"

#define SOURCE_ID_LEN	32	/* hex digits */

/*
 * 16 hex digits of a hash of r's file identity (its first-line
 * fingerprint and b's origin name, the same for a live file and its
 * rotated or gzipped copies) and 16 of r's byte offset there,
 * NUL-terminated. false when r has no source (not read from a file).
 */
bool	source_id(const struct batch *b, const struct record *r,
	    char out[SOURCE_ID_LEN + 1]);

#endif
