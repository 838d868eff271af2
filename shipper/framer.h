/*
 * framer.h — bytes of a log file to logical lines.
 *
 * Splits what is read into physical lines, decodes each one's runtime
 * envelope (Docker json-file, CRI, or none), and joins the partial lines
 * a runtime writes for one long message (CRI `P`, Docker `log` values
 * without a newline), per stream. A line longer than max_line_size is
 * cut there, flagged, and the rest of it skipped: it is never buffered
 * whole. The framer also knows where reading must resume so that no
 * line is lost: before the first physical line it has not yet emitted.
 */
#ifndef SHIPPER_FRAMER_H
#define SHIPPER_FRAMER_H

#include <stdbool.h>
#include <stdint.h>

#include "envelope.h"
#include "strbuf.h"

enum envelope_type {
	ENVELOPE_NONE,		/* the line is the message */
	ENVELOPE_DOCKER,	/* Docker json-file (source <parse> json) */
	ENVELOPE_CRI,
	ENVELOPE_AUTO,		/* `container`: Docker or CRI, per file */
	ENVELOPE_SNIFF,		/* Docker, CRI or none, per file (multiline) */
};

struct logical_line {
	const char	*content;	/* valid during the callback only */
	size_t		 len;
	uint64_t	 offset;	/* of its first physical line */
	uint64_t	 end;		/* just past its last physical line */
	struct envelope	 env;		/* time, stream, tag of the line */
	unsigned	 physical;	/* physical lines it took */
	bool		 truncated;	/* cut at max_line_size */
	bool		 not_envelope;	/* not of the envelope's format: the
					   content is the raw line */
};

typedef void (*line_fn)(void *arg, const struct logical_line *ll);

#define FRAMER_STREAMS	3

struct framer_partial {
	struct strbuf	 buf;
	uint64_t	 start;
	bool		 active;
	bool		 cut;
	unsigned	 physical;
	struct envelope	 env;		/* of the first chunk */
	char		 meta[ENVELOPE_META_MAX]; /* its time, stream, tag */
};

struct framer {
	int		 type;		/* resolved when AUTO or SNIFF */
	int		 configured;	/* as framer_init was given it */
	size_t		 max_line;
	size_t		 max_physical;
	uint64_t	 pos;		/* file offset of the next byte fed */
	struct strbuf	 carry;		/* an unfinished physical line */
	uint64_t	 carry_start;
	bool		 skipping;	/* cut line: drop to its newline */
	uint64_t	 skip_start;	/* where that line began */
	struct strbuf	 scratch;	/* Docker unescaping */
	struct framer_partial part[FRAMER_STREAMS];
	/* Counters the caller adds to its stats. */
	uint64_t	 physical_lines;
	uint64_t	 partial_lines;
	uint64_t	 truncated;
};

void	framer_init(struct framer *fr, enum envelope_type type,
	    size_t max_line);
void	framer_free(struct framer *fr);
/* Forgets everything pending and restarts at offset (e.g. copytruncate). */
void	framer_reset(struct framer *fr, uint64_t offset);
/* Feeds the next n bytes of the file; calls fn for each logical line. */
void	framer_feed(struct framer *fr, const char *data, size_t n, line_fn fn,
	    void *arg);
/*
 * The file ends here for good (backfill, a rotated file read to its
 * end): emits an unterminated last line and pending partial lines.
 */
void	framer_finish(struct framer *fr, line_fn fn, void *arg);
/* Where reading must resume for nothing to be lost. */
uint64_t framer_resume_offset(const struct framer *fr);
/* Is a line (physical or partial) pending? */
bool	framer_pending(const struct framer *fr);

#endif
