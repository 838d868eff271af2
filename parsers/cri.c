/*
 * cri.c — the CRI log format of containerd and CRI-O.
 *
 *   2024-05-01T08:00:02.22432324Z stdout F {"level":"info",...}
 *
 * Four fields separated by single spaces; the content is everything after
 * the third space, spaces included, so it is never re-scanned. A line is
 * CRI only if its first field is an RFC 3339 time and its tag is P or F:
 * that keeps a Go panic or a Docker JSON line from passing for one.
 */
#include <string.h>

#include "envelope.h"
#include "timefmt.h"

enum stream_kind
envelope_stream_kind(const char *s, size_t len)
{
	if (len == 6 && memcmp(s, "stdout", 6) == 0)
		return STREAM_STDOUT;
	if (len == 6 && memcmp(s, "stderr", 6) == 0)
		return STREAM_STDERR;
	return STREAM_OTHER;
}

/* One of the envelope's strings into meta at *used; NULL stays NULL. */
static const char *
keep_bytes(char *meta, size_t *used, const char *s, size_t n)
{
	char	*d = meta + *used;

	if (s == NULL)
		return NULL;
	memcpy(d, s, n);
	*used += n;
	return d;
}

void
envelope_keep(struct envelope *dst, char *meta, const struct envelope *src)
{
	size_t	 used = 0;

	*dst = *src;
	dst->content = NULL;
	dst->len = 0;
	if (src->timelen + src->streamlen + src->logtaglen >
	    ENVELOPE_META_MAX) {
		dst->time = dst->stream = dst->logtag = NULL;
		dst->timelen = dst->streamlen = dst->logtaglen = 0;
		return;
	}
	dst->time = keep_bytes(meta, &used, src->time, src->timelen);
	dst->stream = keep_bytes(meta, &used, src->stream, src->streamlen);
	dst->logtag = keep_bytes(meta, &used, src->logtag, src->logtaglen);
}

/* The tag is P or F, maybe with more `:`-separated tags after it. */
static int
cri_tag(const char *tag, size_t len, bool *partial)
{
	if (len == 0 || (tag[0] != 'P' && tag[0] != 'F') ||
	    (len > 1 && tag[1] != ':'))
		return -1;
	*partial = tag[0] == 'P';
	return 0;
}

int
cri_parse(const char *line, size_t len, struct envelope *out)
{
	const char	*end, *t, *st, *tag, *sp;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	end = line + len;
	memset(out, 0, sizeof *out);

	if ((t = memchr(line, ' ', len)) == NULL || t == line ||
	    time_parse_rfc3339(line, (size_t)(t - line), &out->time_ns) != 0)
		return -1;
	out->time = line;
	out->timelen = (size_t)(t - line);

	st = t + 1;
	if ((sp = memchr(st, ' ', (size_t)(end - st))) == NULL || sp == st)
		return -1;
	out->stream = st;
	out->streamlen = (size_t)(sp - st);
	out->stream_kind = envelope_stream_kind(st, out->streamlen);

	tag = sp + 1;
	if ((sp = memchr(tag, ' ', (size_t)(end - tag))) == NULL)
		sp = end;	/* empty content without its space */
	if (cri_tag(tag, (size_t)(sp - tag), &out->partial) != 0)
		return -1;
	out->logtag = tag;
	out->logtaglen = (size_t)(sp - tag);

	out->content = sp < end ? sp + 1 : end;
	out->len = (size_t)(end - out->content);
	return 0;
}

bool
envelope_looks_cri(const char *line, size_t len)
{
	struct envelope	 env;

	return cri_parse(line, len, &env) == 0;
}
