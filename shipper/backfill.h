/*
 * backfill.h — `--backfill PATH...`: ship archived logs once, then exit.
 *
 * Each file runs through the configured pipeline from its start to its
 * end with the tag (and envelope) of the tail source whose path matches
 * its name, rotated siblings by their base name (x.log.2.gz as x.log).
 * Records get the same source identity as when the file was followed, so
 * a repeated backfill, or one of files already shipped live, overwrites
 * instead of duplicating in Elasticsearch.
 */
#ifndef SHIPPER_BACKFILL_H
#define SHIPPER_BACKFILL_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "pipeline.h"

struct backfill_opts {
	char *const	*paths;
	size_t		 npaths;
	unsigned	 shard;		/* take files hashing to shard... */
	unsigned	 nshards;	/* ...of nshards (1: all) */
	bool		 progress;	/* a progress bar on stderr */
	const char	*summary_json;	/* also write the summary here */
};

/* Returns the exit status: 0 when everything was read and delivered. */
/*
 * The loop is started (outputs, no sources): buffered outputs send while
 * files are read, and the run ends only when they acknowledged all.
 */
int	backfill_run(struct pipeline *pl, struct loop *l,
	    const struct backfill_opts *o);

/* Which of n shards a file belongs to (by its base name). */
unsigned backfill_shard_of(const char *path, unsigned n);

#endif
