/*
 * source_parse.h — a tail source's <parse>: logical lines into records.
 *
 * The envelope types are json (Docker json-file; any other JSON object
 * is parsed as it is), cri, container (Docker or CRI, detected per file)
 * and none. Every one puts the line in `log`, with `stream`, `time` (the
 * runtime's, as written) and CRI's `logtag`, so one `key_name log`
 * serves both runtimes. The event time is the runtime's, unless the
 * source's time_key names another field.
 *
 * The line types regexp, syslog and kubernetes make a record of the
 * named groups of one regexp: syslog's and kubernetes' are Fluentd's
 * parser_syslog (RFC 3164) and the DaemonSet image's glog parser, with
 * their time formats, whose missing year is the reading's. multiline first joins lines into events
 * (parsers/multiline.h) inside whatever envelope the file has, then
 * does the same with format1...formatN: the joining state is per file,
 * so the caller keeps a struct multiline beside its framer.
 */
#ifndef SHIPPER_SOURCE_PARSE_H
#define SHIPPER_SOURCE_PARSE_H

#include "config.h"
#include "err.h"
#include "framer.h"
#include "multiline.h"
#include "parse_conf.h"
#include "record.h"
#include "stats.h"

struct json_parser;
struct regex;

struct source_parse_cfg {
	int		 type;
	struct time_cfg	 time;
	char		*message_key;
	char		*expression;
	int		 message_format;
	bool		 with_priority;
	long long	 max_nesting;
	char		*format_firstline;
	char		*format_n;	/* only the reference's row: the
					   formatN are read before the table */
};

struct source_parse {
	struct source_parse_cfg cfg;
	enum envelope_type envelope;
	struct json_parser *jp;
	struct regex	*re;		/* regexp, syslog, kubernetes,
					   multiline (format1...formatN) */
	struct regex	*first_re;	/* multiline: format_firstline */
	bool		 orphan_told;	/* a line before a first line was
					   logged (once per source) */
	bool		 runtime_time;	/* time_key is the envelope's time */
	const char	*file;
	int		 line;
	const char	*tk_file;	/* where time_key was set, if it was */
	int		 tk_line;
};

/*
 * From the source's <parse>, or from Fluentd's old `format` (with
 * time_key/time_format beside it) when legacy_format is set.
 */
int	source_parse_init(struct source_parse *sp, struct conf_elem *source,
	    const char *legacy_format, struct err *e);
void	source_parse_free(struct source_parse *sp);
/* Is type a <parse> @type the tail source knows? */
bool	source_parse_known(const char *type);
const char *source_parse_type(const struct source_parse *sp);

/*
 * Fills the open record of b from ll: fields, event time, offset. now
 * is the event time for lines that carry none. path/path_key: the
 * source's path_key field, when set.
 */
void	source_parse_record(struct source_parse *sp, struct batch *b,
	    struct record *r, const struct logical_line *ll, int64_t now,
	    const char *path_key, const char *path, struct stats *st);

/* Does it join lines into events (multiline)? */
bool	source_parse_joins(const struct source_parse *sp);
/*
 * multiline: one logical line into the file's pending events (ml, from
 * multiline_init with max_line_size). Each event it completes, and each
 * line before any first line, comes out through fn as a logical line
 * for source_parse_record. path: the file, for the log.
 */
void	source_parse_join(struct source_parse *sp, struct multiline *ml,
	    const struct logical_line *ll, line_fn fn, void *arg,
	    const char *path, struct stats *st);
/* multiline: the pending events out through fn (idle, end, shutdown). */
void	source_parse_join_flush(struct source_parse *sp, struct multiline *ml,
	    line_fn fn, void *arg, const char *path, struct stats *st);

/* The reference of the <parse> section. */
void	source_parse_reference(struct strbuf *out);

#endif
