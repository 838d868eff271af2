/*
 * plugin.h — what a source, a filter and an output are.
 *
 * Each kind of plugin is a const table of functions with designated
 * initialisers, the way tmux defines its window modes:
 *
 *   const struct output_ops output_stdout = {
 *           .name = "stdout", .params = stdout_params, .write = ...,
 *   };
 *
 * and registry.c lists them, so adding one is one file and one line.
 * An instance holds the table, its parsed parameters (`cfg`, laid out by
 * the `params` table) and its private state.
 */
#ifndef SHIPPER_PLUGIN_H
#define SHIPPER_PLUGIN_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "gate.h"
#include "params.h"
#include "record.h"
#include "strbuf.h"

struct buffer;
struct chunk;
struct pipeline;
struct stats;
struct loop;
struct filter;
struct output;
struct source;

/* --- filters -------------------------------------------------------------- */

enum filter_verdict {
	FILTER_KEEP,
	FILTER_DROP,
	FILTER_GATED,	/* dropped by the gate, for the grep that made it */
};

/*
 * How a filter that sits between a parser and a grep treats one key, so
 * that the grep's test can be moved into the parser (see gate.h): the
 * value reaches the grep mapped by `map` (NULL: unchanged), and records
 * matching `rescue` (klen 0: none) get through whatever the grep says.
 */
struct gate_hop {
	const char	*(*map)(const void *arg, const char *val, size_t len,
			    size_t *outlen);
	const void	*map_arg;
	struct gate_test rescue;
};

/* Problems --dry-run reports without failing. */
typedef void (*warn_fn)(void *arg, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

struct filter_ops {
	const char		*name;
	const char		*help;
	const struct param_def	*params;
	const char *const	*sections;	/* child elements allowed */
	size_t			 cfg_size;
	int			(*init)(struct filter *f, struct conf_elem *el,
				    struct err *e);
	/* Runs on the open record of b; may add fields to it. */
	enum filter_verdict	(*run)(struct filter *f, struct batch *b,
				    struct record *r, const struct gate *gate);
	void			(*destroy)(struct filter *f);
	/*
	 * Optional: when the pipeline starts (threads, connections; l is
	 * NULL in a backfill, which runs without the loop) and stops. Not
	 * called in --dry-run.
	 */
	int			(*start)(struct filter *f, struct loop *l,
				    struct err *e);
	void			(*stop)(struct filter *f);

	/* Predicate pushdown; all optional. */
	bool			(*gate_sink)(const struct filter *f);
	bool			(*gate_hop)(const struct filter *f,
				    const char *key, size_t klen,
				    struct gate_hop *hop);
	unsigned		(*gate_tests)(const struct filter *f,
				    struct gate_test *out, unsigned max);

	/* --dry-run: explain and warn. */
	void			(*check)(const struct filter *f, warn_fn warn,
				    void *arg);
	/* The reference of its sections (e.g. <parse> types). */
	void			(*reference)(struct strbuf *out);
	/* The same, knowing the filters a route runs before this one. */
	void			(*check_route)(const struct filter *f,
				    struct filter *const *before, size_t n,
				    warn_fn warn, void *arg);
};

#define FILTER_REASONS_MAX	4

struct filter {
	const struct filter_ops	*ops;
	void			*cfg;
	void			*priv;
	const char		*file;
	int			 line;
	const char		*id;
	const char		*pattern;
	struct stats		*stats;
	uint64_t		 in;
	uint64_t		 dropped;
	uint64_t		 gated;		/* dropped during the parse */
	uint8_t			 drop_reason;	/* enum drop_reason of its drops;
						   set by run before FILTER_DROP */
};

/* --- outputs -------------------------------------------------------------- */

struct output_ops {
	const char		*name;
	const char		*help;
	const struct param_def	*params;
	const char *const	*sections;
	size_t			 cfg_size;
	int			(*init)(struct output *o, struct conf_elem *el,
				    struct err *e);
	/*
	 * Takes the committed records of b. 0 once they are written (the
	 * caller may then advance positions past them), -1 with e set.
	 */
	int			(*write)(struct output *o, const struct batch *b,
				    struct err *e);
	int			(*flush)(struct output *o, struct err *e);
	void			(*destroy)(struct output *o);

	/*
	 * Buffered outputs (see buffer.h) have encode and send instead of
	 * write; the pipeline gives them a buffer from their <buffer>
	 * section, or the defaults. encode appends one committed record's
	 * entry to out; send starts sending the pending entries of c and
	 * reports through chunk_settle and chunk_done (0: started; -1 with
	 * e set: not started, retried with backoff).
	 */
	int			(*encode)(struct output *o,
				    const struct batch *b,
				    const struct record *r, struct strbuf *out,
				    struct err *e);
	int			(*send)(struct output *o, struct chunk *c,
				    struct err *e);
	/*
	 * The order of records matters to the peer (Kafka: per key): the
	 * buffer sends no chunk past one that waits for its retry, so the
	 * retried entries go out before the records that followed them.
	 */
	bool			 in_order;
	/* After the loop exists and before the first send (templates,
	 * connections); stop when the pipeline stops. Both optional. */
	int			(*start)(struct output *o, struct loop *l,
				    struct err *e);
	void			(*stop)(struct output *o);

	void			(*check)(const struct output *o, warn_fn warn,
				    void *arg);
	void			(*reference)(struct strbuf *out);
	/*
	 * Optional, for /ready: false, with a sentence appended to why,
	 * while the output cannot deliver until its peer or its
	 * configuration is fixed (the credentials are refused).
	 */
	bool			(*ready)(const struct output *o,
				    struct strbuf *why);
};

struct output {
	const struct output_ops	*ops;
	void			*cfg;
	void			*priv;
	const char		*file;
	int			 line;
	const char		*id;
	struct stats		*stats;
	uint64_t		 records;
	uint64_t		 bytes;
	uint64_t		 errors;
	bool			 failing;	/* its last write failed */
	struct buffer		*buffer;	/* buffered outputs */
	/*
	 * Set by the pipeline when there is a <label @ERROR> (and the
	 * output is not in it): an output that gives a record up (Fluentd's
	 * emit_error_event) hands it there, doc being the JSON object it
	 * sent; 0 once @ERROR took it, else the output dead-letters it.
	 */
	int			(*error_sink)(void *arg, const char *tag,
				    const char *doc, size_t len,
				    struct err *e);
	void			*error_arg;
};

/* --- sources -------------------------------------------------------------- */

struct source_ops {
	const char		*name;
	const char		*help;
	const struct param_def	*params;
	const char *const	*sections;
	size_t			 cfg_size;
	int			(*init)(struct source *s, struct conf_elem *el,
				    struct err *e);
	int			(*start)(struct source *s, struct loop *l,
				    struct err *e);
	/* Stop reading and save positions; the loop is still running. */
	void			(*stop)(struct source *s);
	void			(*destroy)(struct source *s);
	void			(*check)(const struct source *s, warn_fn warn,
				    void *arg);
	void			(*reference)(struct strbuf *out);
};

struct source {
	const struct source_ops	*ops;
	void			*cfg;
	void			*priv;
	const char		*file;
	int			 line;
	const char		*id;
	struct pipeline		*pl;
	const char		*label;		/* @label's <label>, or NULL */
	struct stats		*stats;
	uint64_t		 lines;		/* logical lines it read */
	uint64_t		 bytes;		/* bytes it read, uncompressed */
};

#endif
