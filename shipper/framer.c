/*
 * framer.c — bytes of a log file to logical lines (see framer.h).
 */
#include <string.h>

#include "framer.h"
#include "mem.h"

/*
 * A node's files are many and long lines rare: a buffer that a long line
 * grew past this is given back once the line is out, so that what each
 * file keeps is what its ordinary lines need, not the longest it met.
 */
#define KEEP_BYTES	(16 * 1024)
#define release(sb)	sb_release((sb), KEEP_BYTES)

void
framer_init(struct framer *fr, enum envelope_type type, size_t max_line)
{
	memset(fr, 0, sizeof *fr);
	fr->type = fr->configured = type;
	fr->max_line = max_line ? max_line : 1024 * 1024;
	/* Docker escaping can double a line; leave room for the envelope. */
	fr->max_physical = 2 * fr->max_line + 65536;
}

void
framer_free(struct framer *fr)
{
	size_t	 i;

	sb_free(&fr->carry);
	sb_free(&fr->scratch);
	for (i = 0; i < FRAMER_STREAMS; i++)
		sb_free(&fr->part[i].buf);
}

void
framer_reset(struct framer *fr, uint64_t offset)
{
	size_t	 i;

	fr->pos = offset;
	release(&fr->carry);
	fr->skipping = false;
	for (i = 0; i < FRAMER_STREAMS; i++) {
		release(&fr->part[i].buf);
		fr->part[i].active = false;
		fr->part[i].cut = false;
	}
	if (offset == 0)
		fr->type = fr->configured;
}

static void
emit_raw(const char *line, size_t n, uint64_t off, uint64_t end, bool cut,
    bool bad, line_fn fn, void *arg)
{
	struct logical_line	 ll;

	memset(&ll, 0, sizeof ll);
	ll.content = line;
	ll.len = n;
	ll.offset = off;
	ll.end = end;
	ll.physical = 1;
	ll.truncated = cut;
	ll.not_envelope = bad;
	ll.env.stream_kind = STREAM_OTHER;
	fn(arg, &ll);
}

static void
partial_emit(struct framer *fr, struct framer_partial *p, uint64_t end,
    line_fn fn, void *arg)
{
	struct logical_line	 ll;

	memset(&ll, 0, sizeof ll);
	ll.content = p->buf.buf ? p->buf.buf : "";
	ll.len = p->buf.len;
	ll.offset = p->start;
	ll.end = end;
	ll.env = p->env;
	ll.env.partial = false;
	ll.physical = p->physical;
	ll.truncated = p->cut;
	if (p->cut)
		fr->truncated++;
	p->active = false;
	p->cut = false;
	fn(arg, &ll);
	release(&p->buf);
}

static int
decode(struct framer *fr, const char *line, size_t n, bool cut,
    struct envelope *env)
{
	if (fr->type == ENVELOPE_AUTO)
		fr->type = n > 0 && line[0] == '{' ? ENVELOPE_DOCKER :
		    ENVELOPE_CRI;
	if (fr->type == ENVELOPE_CRI)
		return cri_parse(line, n, env);
	if (n < KEEP_BYTES / 2)		/* a long line's buffer is done with */
		release(&fr->scratch);
	sb_reserve(&fr->scratch, n);
	return docker_parse(line, n, cut, fr->scratch.buf, env);
}

/*
 * SNIFF: the first line that is not empty says what the file is, as
 * `container` does, except that a line neither Docker's nor CRI's makes
 * it a plain file.
 */
static void
sniff(struct framer *fr, const char *line, size_t n)
{
	if (fr->type != ENVELOPE_SNIFF || n == 0)
		return;
	if (line[0] == '{')
		fr->type = ENVELOPE_DOCKER;
	else
		fr->type = envelope_looks_cri(line, n) ? ENVELOPE_CRI :
		    ENVELOPE_NONE;
}

/* One complete physical line (without its newline) at file offset off. */
static void
physical_line(struct framer *fr, const char *line, size_t n, uint64_t off,
    bool cut, line_fn fn, void *arg)
{
	struct framer_partial	*p;
	struct envelope		 env;
	struct logical_line	 ll;
	uint64_t		 end = off + n + 1;

	fr->physical_lines++;
	sniff(fr, line, n);
	if (fr->type == ENVELOPE_NONE) {
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (cut || n > fr->max_line) {
			fr->truncated++;
			n = n > fr->max_line ? fr->max_line : n;
			cut = true;
		}
		emit_raw(line, n, off, end, cut, false, fn, arg);
		return;
	}
	if (n == 0 && (fr->type == ENVELOPE_AUTO ||
	    fr->type == ENVELOPE_SNIFF))
		return emit_raw(line, 0, off, end, false, true, fn, arg);
	if (decode(fr, line, n, cut, &env) != 0) {
		if (cut || n > fr->max_line) {
			fr->truncated++;
			cut = true;
		}
		return emit_raw(line, n > fr->max_line ? fr->max_line : n, off,
		    end, cut, true, fn, arg);
	}
	p = &fr->part[env.stream_kind < FRAMER_STREAMS ? env.stream_kind :
	    STREAM_OTHER];
	if (env.partial || p->active) {
		if (!p->active) {
			p->active = true;
			p->start = off;
			p->physical = 0;
			envelope_keep(&p->env, p->meta, &env);
		}
		p->physical++;
		sb_add_capped(&p->buf, env.content, env.len, fr->max_line,
		    &p->cut);
		if (env.partial) {
			fr->partial_lines++;
			return;
		}
		/* Joined, the line is whole: its tag is the last one's (F). */
		p->env.logtag = env.logtag;
		p->env.logtaglen = env.logtaglen;
		partial_emit(fr, p, end, fn, arg);
		return;
	}
	memset(&ll, 0, sizeof ll);
	ll.content = env.content;
	ll.len = env.len;
	ll.offset = off;
	ll.end = end;
	ll.env = env;
	ll.physical = 1;
	if (cut || env.len > fr->max_line) {
		fr->truncated++;
		ll.truncated = true;
		if (ll.len > fr->max_line)
			ll.len = fr->max_line;
	}
	fn(arg, &ll);
}

/* The carried start of a line grew past max_physical: cut it here. */
static void
carry_cut(struct framer *fr, line_fn fn, void *arg)
{
	physical_line(fr, fr->carry.buf, fr->max_physical, fr->carry_start,
	    true, fn, arg);
	release(&fr->carry);
	fr->skipping = true;
	fr->skip_start = fr->carry_start;
}

/* Carries at most `limit` bytes of a line: it is never buffered whole. */
static void
carry_add(struct framer *fr, const char *p, size_t n, size_t limit)
{
	if (fr->carry.len + n > limit)
		n = limit - fr->carry.len;
	sb_add(&fr->carry, p, n);
}

void
framer_feed(struct framer *fr, const char *data, size_t n, line_fn fn,
    void *arg)
{
	const char	*p = data, *end = data + n, *nl;
	uint64_t	 off = fr->pos;

	fr->pos += n;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (fr->skipping) {
			if (nl == NULL)
				return;
			fr->skipping = false;
			off += (uint64_t)(nl + 1 - p);
			p = nl + 1;
			continue;
		}
		if (nl == NULL) {
			if (fr->carry.len == 0)
				fr->carry_start = off;
			carry_add(fr, p, (size_t)(end - p), fr->max_physical + 1);
			if (fr->carry.len > fr->max_physical)
				carry_cut(fr, fn, arg);
			return;
		}
		if (fr->carry.len > 0) {
			bool	 cut = fr->carry.len + (size_t)(nl - p) >
				    fr->max_physical;

			carry_add(fr, p, (size_t)(nl - p), fr->max_physical);
			physical_line(fr, fr->carry.buf, fr->carry.len,
			    fr->carry_start, cut, fn, arg);
			release(&fr->carry);
		} else if ((size_t)(nl - p) > fr->max_physical)
			physical_line(fr, p, fr->max_physical, off, true, fn,
			    arg);
		else
			physical_line(fr, p, (size_t)(nl - p), off, false, fn,
			    arg);
		off += (uint64_t)(nl + 1 - p);
		p = nl + 1;
	}
}

void
framer_finish(struct framer *fr, line_fn fn, void *arg)
{
	size_t	 i;

	if (fr->carry.len > 0) {
		physical_line(fr, fr->carry.buf, fr->carry.len, fr->carry_start,
		    false, fn, arg);
		release(&fr->carry);
	}
	fr->skipping = false;
	for (i = 0; i < FRAMER_STREAMS; i++)
		if (fr->part[i].active)
			partial_emit(fr, &fr->part[i], fr->pos, fn, arg);
}

uint64_t
framer_resume_offset(const struct framer *fr)
{
	uint64_t	 off = fr->pos;
	size_t		 i;

	if (fr->carry.len > 0 && fr->carry_start < off)
		off = fr->carry_start;
	/*
	 * Not inside a line being skipped: read again from there, its cut
	 * start comes out as the same record at the same offset, where its
	 * tail alone would be a line that never was.
	 */
	if (fr->skipping && fr->skip_start < off)
		off = fr->skip_start;
	for (i = 0; i < FRAMER_STREAMS; i++)
		if (fr->part[i].active && fr->part[i].start < off)
			off = fr->part[i].start;
	return off;
}

bool
framer_pending(const struct framer *fr)
{
	size_t	 i;

	if (fr->carry.len > 0 || fr->skipping)
		return true;
	for (i = 0; i < FRAMER_STREAMS; i++)
		if (fr->part[i].active)
			return true;
	return false;
}
