/*
 * multiline.h — Fluentd's multiline parser: lines into events.
 *
 * A line that matches format_firstline starts an event; the lines after
 * it that do not are appended to it, joined with "\n". The event is
 * complete when the next first line comes or when the caller flushes it
 * (multiline_flush_interval, the end of a file, shutdown); the caller
 * then matches it against format1...formatN. A line before any first
 * line belongs to no event and comes out alone, as Fluentd's in_tail
 * does with emit_unmatched_lines. Containers interleave stdout and
 * stderr, so each stream has its own event.
 *
 * Pure: the caller tests format_firstline and matches the event. This
 * keeps the pending text and where in the file it began, so that a
 * position saved never passes an event that has not come out.
 */
#ifndef PARSERS_MULTILINE_H
#define PARSERS_MULTILINE_H

#include <stdbool.h>
#include <stdint.h>

#include "envelope.h"
#include "strbuf.h"

#define ML_STREAMS	3	/* stdout, stderr, other (plain files) */
#define ML_FORMAT_MAX	20	/* format1 ... format20, as Fluentd */

struct ml_line {
	const char		*text;
	size_t			 len;
	uint64_t		 offset;	/* of the line in the file */
	uint64_t		 end;		/* just past it */
	const struct envelope	*env;		/* NULL: a plain file */
	bool			 truncated;	/* cut at max_line_size */
};

struct ml_event {
	const char	*text;		/* valid during the callback only */
	size_t		 len;
	uint64_t	 offset;	/* of its first line */
	uint64_t	 end;		/* just past its last line */
	struct envelope	 env;		/* of its first line (no content) */
	unsigned	 lines;
	bool		 truncated;	/* a line was, or the event is cut */
	bool		 cut;		/* longer than the limit, cut there */
	bool		 orphan;	/* a line before any first line */
};

typedef void (*ml_event_fn)(void *arg, const struct ml_event *ev);

struct ml_pending {
	struct strbuf	 text;
	uint64_t	 offset;
	uint64_t	 end;
	struct envelope	 env;
	char		 meta[ENVELOPE_META_MAX];
	unsigned	 lines;
	bool		 active;
	bool		 truncated;
	bool		 cut;
};

struct multiline {
	size_t		 max;		/* longest event text kept */
	struct ml_pending p[ML_STREAMS];
};

void	multiline_init(struct multiline *ml, size_t max);
void	multiline_free(struct multiline *ml);
/* Forgets the pending events (the file is read again from before them). */
void	multiline_reset(struct multiline *ml);
/*
 * One line; `first`: it matches format_firstline. Calls fn for the event
 * it completes, or for the line itself when it belongs to no event.
 */
void	multiline_feed(struct multiline *ml, const struct ml_line *l,
	    bool first, ml_event_fn fn, void *arg);
/* Emits every pending event, oldest first. */
void	multiline_flush(struct multiline *ml, ml_event_fn fn, void *arg);
bool	multiline_pending(const struct multiline *ml);
/* off, or the start of the oldest pending event if that is before it. */
uint64_t multiline_resume(const struct multiline *ml, uint64_t off);

/*
 * A format_firstline or formatN value must be a regexp in slashes,
 * /.../, without flags (Fluentd's rule). Sets its body; false if not.
 */
bool	multiline_format_body(const char *value, const char **body,
	    size_t *len);
/*
 * The body of the event's regexp: format1...formatN (formats[i] is
 * format(i+1), NULL when not given) without their slashes, in order.
 * Returns 0, or the N of the first formatN at fault with *why set:
 * missing (before a later one, or no format1 at all), or not /.../.
 */
unsigned multiline_join_formats(char *const formats[ML_FORMAT_MAX],
	    struct strbuf *out, const char **why);

#endif
