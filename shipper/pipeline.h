/*
 * pipeline.h — the configuration, compiled.
 *
 * Sources emit records tagged; each tag gets a route: the <filter>s whose
 * pattern matches it, in configuration order, up to the first <match>
 * that matches it, and that match's output. Routes are compiled once per
 * tag and cached. Compiling a route also moves a grep's tests into the
 * parser before it (see gate.h), which is where most of the speed comes
 * from: a DEBUG line is dropped the moment its `level` is read.
 */
#ifndef SHIPPER_PIPELINE_H
#define SHIPPER_PIPELINE_H

#include <stdbool.h>

#include "config.h"
#include "err.h"
#include "buffer.h"
#include "plugin.h"
#include "stats.h"

struct loop;
struct route;

#define PIPELINE_DRY_RUN	0x01	/* validate only, open nothing */
#define PIPELINE_SKIP_SOURCES	0x02	/* backfill: sources are not started */
#define PIPELINE_SKIP_UNSUPPORTED 0x04	/* skip plugin types not implemented */

struct system_cfg {
	char		*log_level;
	long long	 workers;
	char		*root_dir;
	bool		 suppress_repeated_stacktrace;
	char		*process_name;
	double		 liveness_max_unacked_age;
	bool		 skip_unsupported;
	/* <log> */
	int		 log_format;
	char		*log_time_format;
};

struct directive {
	enum { DIRECTIVE_FILTER, DIRECTIVE_MATCH } kind;
	const char	*label;		/* its <label>'s name, NULL: top level */
	char		*pattern;
	struct tagmatch	*tm;
	struct filter	*filter;
	struct output	*output;
};

struct pipeline {
	struct conf	*conf;		/* owned: messages point into it */
	unsigned	 flags;
	struct stats	 stats;
	struct system_cfg sys;
	struct source	**sources;
	size_t		 nsources;
	struct directive *dirs;
	size_t		 ndirs;
	const char	*error_label;	/* <label @ERROR>'s arg, or NULL */
	struct batch	*error_batch;	/* outputs' error events (error_label.c) */
	struct json_parser *error_json;
	struct route	**routes;	/* the cache, open addressing */
	size_t		 nroutes;
	size_t		 cap_routes;
};

struct route {
	struct pipeline	*pl;
	const char	*label;		/* as in struct directive */
	char		*tag;
	size_t		 taglen;
	struct filter	**chain;
	size_t		 nchain;
	struct gate	**gates;	/* per chain slot, NULL if none */
	struct filter	**gate_owner;	/* the filter a gated drop is for */
	struct output	*out;		/* NULL: no <match> for this tag */
	struct stats	*stats;
	struct gate_link *links;
	size_t		 nlinks;
	/* Error events (see route_run): the @ERROR route of the same tag,
	 * and its records waiting for this route's route_deliver. */
	struct route	*err;
	struct batch	*errs;
};

/* error_label.c: outputs outside <label @ERROR> hand the records they
 * give up to it; and what that needs, freed. */
void	error_label_attach(struct pipeline *pl);
void	error_label_free(struct pipeline *pl);

/* The reference of <system>. */
void	pipeline_reference_system(struct strbuf *out);

/* Builds every plugin of the configuration (which it then owns). */
struct pipeline *pipeline_new(struct conf *c, unsigned flags, struct err *e);
void	pipeline_free(struct pipeline *pl);

/* Starts the filters that have a start, then the sources (unless
 * PIPELINE_SKIP_SOURCES); l is NULL in a backfill. */
int	pipeline_start(struct pipeline *pl, struct loop *l, struct err *e);
/* Stops the sources (which save their positions), then the filters. */
void	pipeline_stop(struct pipeline *pl);
/*
 * Shutdown (all false: the buffers whose flush_at_shutdown says so) and
 * backfill (all true): sends everything buffered and runs the loop until
 * it is acknowledged, or timeout_ms passed (0: no limit) or the loop was
 * stopped (a second SIGTERM). -1 with e set when something is left.
 */
int	pipeline_drain(struct pipeline *pl, struct loop *l, bool all,
	    uint64_t timeout_ms, struct err *e);
/* The buffered outputs' counters, summed. */
void	pipeline_buffer_totals(const struct pipeline *pl,
	    struct buffer_stats *sum);
/* Stops the buffers and the outputs (what is in flight is abandoned). */
void	pipeline_stop_outputs(struct pipeline *pl);
/* Flushes every output. */
int	pipeline_flush(struct pipeline *pl, struct err *e);

/* The route of a tag; compiled the first time the tag is seen. */
struct route *pipeline_route(struct pipeline *pl, const char *tag,
	    size_t len);
/* The same inside <label @NAME> (label: that element's arg, or NULL). */
struct route *pipeline_route_label(struct pipeline *pl, const char *label,
	    const char *tag, size_t len);

/*
 * Runs the route's filters on the open record of b: commits it when
 * it is kept, rolls it back when it is dropped. Returns whether it was
 * kept.
 *
 * A record a filter failed on (Fluentd's emit_error_event: a parser
 * filter with emit_invalid_record_to_error) is copied to <label @ERROR>
 * when there is one, and leaves this route when Fluentd would drop it
 * (REC_ERROR_ONLY); the copy runs @ERROR's filters now and goes to its
 * output with the next route_deliver. Without @ERROR, or inside it (an
 * error there would loop in Fluentd), the record goes on as it is.
 */
bool	route_run(struct route *rt, struct batch *b);
/* Its output's buffer is full (overflow_action block/throw_exception):
 * read nothing for it now. */
bool	route_blocked(const struct route *rt);
/* Its output's last write failed (a buffer that cannot be written, an
 * output file on a full disk): a follower reads nothing more for it
 * until a retry of what it holds succeeds. */
bool	route_failing(const struct route *rt);
/*
 * Hands the committed records of b to the route's output: 0 when taken
 * (for a buffered output: durable in its buffer), BUFFER_FULL when its
 * buffer refused them for now (try again later), -1 with e set. The
 * route's error events go first, to @ERROR's output; when either is
 * refused, both are to be made again from the same lines.
 */
int	route_deliver(struct route *rt, struct batch *b, struct err *e);

#endif
