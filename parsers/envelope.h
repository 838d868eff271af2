/*
 * envelope.h — container runtime log lines: Docker json-file and CRI.
 *
 * The kubelet's files hold one runtime line per physical line; a long
 * message is split into several partial lines that must be joined (CRI
 * tag `P`, Docker `log` values without a trailing newline). These
 * functions decode one physical line; joining is the framer's job.
 * Pure functions, no allocation: the caller supplies scratch space.
 */
#ifndef PARSERS_ENVELOPE_H
#define PARSERS_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum stream_kind {
	STREAM_STDOUT,
	STREAM_STDERR,
	STREAM_OTHER,
};

struct envelope {
	const char	*content;	/* the line, without its trailing \n */
	size_t		 len;
	const char	*time;		/* runtime timestamp as written */
	size_t		 timelen;
	int64_t		 time_ns;	/* parsed; 0 when it did not parse */
	const char	*stream;	/* "stdout", "stderr", ... as written */
	size_t		 streamlen;
	enum stream_kind stream_kind;
	const char	*logtag;	/* CRI tag field ("F", "P", "F:x"); */
	size_t		 logtaglen;	/* Docker: NULL */
	bool		 partial;	/* continues on the next line */
};

/*
 * CRI: `<RFC3339Nano> <stream> <tag> <content>`. content points into line.
 * A line whose content is empty may lack the final space. A trailing \n
 * of the line is not content (a \r is: the runtime strips its own). The
 * time must parse as RFC 3339 and the tag be P or F (optionally followed
 * by `:` and more); partial is a P tag. Returns 0, or -1 when the line is
 * not CRI.
 */
int	cri_parse(const char *line, size_t len, struct envelope *out);

/*
 * Docker json-file: {"log":"...","stream":"...","time":"..."} in any key
 * order, other keys (e.g. "attrs") skipped. The `log` value is unescaped
 * into scratch, which must hold at least len bytes; it may contain any
 * bytes (invalid UTF-8 is kept as is, \u0000 becomes a NUL, a lone
 * surrogate escape U+FFFD). partial: `log` did not end in \n (which is
 * not part of content). stream and time point into line as written;
 * when absent they are NULL (STREAM_OTHER, time_ns 0). With `cut` set
 * the line was truncated by the framer: whatever `log` text was read is
 * returned (an escape cut in half is left out) and the missing end is
 * not an error; if the cut fell inside `log`, partial is false.
 * Returns 0, or -1 when the line is not a Docker json-file entry,
 * including any JSON syntax error and nesting deeper than 64.
 */
int	docker_parse(const char *line, size_t len, bool cut, char *scratch,
	    struct envelope *out);

/*
 * Does the line look like CRI (vs Docker json-file)? For `container`.
 * True exactly when cri_parse accepts it.
 */
bool	envelope_looks_cri(const char *line, size_t len);

/* "stdout" and "stderr" to their kinds, anything else STREAM_OTHER. */
enum stream_kind envelope_stream_kind(const char *s, size_t len);

#define ENVELOPE_META_MAX	96

/*
 * dst as src, with src's time, stream and tag bytes (which point into
 * its line) copied to meta, ENVELOPE_META_MAX bytes, so that dst
 * outlives the line; when they do not fit, dst has none of them. The
 * content is not kept.
 */
void	envelope_keep(struct envelope *dst, char *meta,
	    const struct envelope *src);

#endif
