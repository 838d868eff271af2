/*
 * stats.h — counters for every stage.
 *
 * One struct per process, written by a single thread. The backfill
 * summary and (later) the Prometheus endpoint read it. The accounting
 * rule the tests hold us to: every logical line read is either delivered
 * or dropped for a counted reason; bad lines are counted by kind on top.
 */
#ifndef SHIPPER_STATS_H
#define SHIPPER_STATS_H

#include <stdint.h>

#include "parse.h"
#include "strbuf.h"

enum drop_reason {
	DROP_GREP,		/* a grep filter */
	DROP_UNMATCHED,		/* no <match> for the tag */
	DROP_OUTPUT,		/* an output rejected it for good */
	DROP_AUDIT_AGENT_SYNC,	/* spire audit_exclude_agent_sync */
	DROP_NREASONS
};

struct stats {
	uint64_t	 files;		/* files opened */
	uint64_t	 bytes;		/* bytes read (uncompressed) */
	uint64_t	 physical_lines;
	uint64_t	 partial_lines;	/* joined into a later line */
	uint64_t	 lines;		/* logical lines, after joining */
	uint64_t	 multiline_lines; /* appended to a multiline event */
	uint64_t	 multiline_orphans; /* before any format_firstline */
	uint64_t	 truncated;	/* longer than max_line_size */
	uint64_t	 bad[BAD_NKINDS];
	uint64_t	 dropped[DROP_NREASONS];
	uint64_t	 gated;		/* of DROP_GREP: during the parse */
	uint64_t	 records_out;
	uint64_t	 error_events;	/* copies sent to <label @ERROR> */
	uint64_t	 read_errors;
	uint64_t	 output_errors;
	uint64_t	 rotations;
	uint64_t	 truncations;	/* copytruncate seen */
	uint64_t	 pos_writes;
	uint64_t	 time_fallbacks; /* time_format failed, RFC 3339 used */
	uint64_t	 time_errors;	/* time field kept, unparsed */
};

const char *drop_reason_name(enum drop_reason r);
uint64_t stats_bad_total(const struct stats *st);
uint64_t stats_dropped_total(const struct stats *st);

#endif
