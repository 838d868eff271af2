/*
 * multiline.c — lines into events (see multiline.h).
 *
 * An event's text is kept up to the limit and cut there, like a long
 * line: the lines after the cut still belong to the event (its offsets
 * cover them) but add nothing to it, so a runaway event costs bounded
 * memory and is still one record.
 */
#include <string.h>

#include "multiline.h"

void
multiline_init(struct multiline *ml, size_t max)
{
	memset(ml, 0, sizeof *ml);
	ml->max = max ? max : 1024 * 1024;
}

void
multiline_free(struct multiline *ml)
{
	size_t	 i;

	for (i = 0; i < ML_STREAMS; i++)
		sb_free(&ml->p[i].text);
}

void
multiline_reset(struct multiline *ml)
{
	size_t	 i;

	for (i = 0; i < ML_STREAMS; i++) {
		sb_reset(&ml->p[i].text);
		ml->p[i].active = false;
	}
}

/* Appends n bytes of s, as far as the limit allows. */
static void
pending_add(struct multiline *ml, struct ml_pending *p, const char *s,
    size_t n)
{
	sb_add_capped(&p->text, s, n, ml->max, &p->cut);
	p->truncated |= p->cut;
}

static void
pending_emit(struct ml_pending *p, bool orphan, ml_event_fn fn, void *arg)
{
	struct ml_event	 ev;

	memset(&ev, 0, sizeof ev);
	ev.text = p->text.buf ? p->text.buf : "";
	ev.len = p->text.len;
	ev.offset = p->offset;
	ev.end = p->end;
	ev.env = p->env;
	ev.lines = p->lines;
	ev.truncated = p->truncated;
	ev.cut = p->cut;
	ev.orphan = orphan;
	p->active = false;
	fn(arg, &ev);
	sb_reset(&p->text);
}

static void
pending_start(struct multiline *ml, struct ml_pending *p,
    const struct ml_line *l)
{
	p->active = true;
	p->offset = l->offset;
	p->end = l->end;
	p->lines = 1;
	p->truncated = l->truncated;
	p->cut = false;
	memset(&p->env, 0, sizeof p->env);
	p->env.stream_kind = STREAM_OTHER;
	if (l->env != NULL)
		envelope_keep(&p->env, p->meta, l->env);
	sb_reset(&p->text);
	pending_add(ml, p, l->text, l->len);
}

void
multiline_feed(struct multiline *ml, const struct ml_line *l, bool first,
    ml_event_fn fn, void *arg)
{
	unsigned		 s = l->env != NULL &&
				    l->env->stream_kind < ML_STREAMS ?
				    l->env->stream_kind : STREAM_OTHER;
	struct ml_pending	*p = &ml->p[s];

	if (first && p->active)
		pending_emit(p, false, fn, arg);
	if (first || !p->active) {
		pending_start(ml, p, l);
		if (!first)	/* before any first line: it is alone */
			pending_emit(p, true, fn, arg);
		return;
	}
	pending_add(ml, p, "\n", 1);
	pending_add(ml, p, l->text, l->len);
	p->truncated |= l->truncated;
	p->end = l->end;
	p->lines++;
}

void
multiline_flush(struct multiline *ml, ml_event_fn fn, void *arg)
{
	struct ml_pending	*oldest;
	size_t			 i;

	for (;;) {
		oldest = NULL;
		for (i = 0; i < ML_STREAMS; i++)
			if (ml->p[i].active && (oldest == NULL ||
			    ml->p[i].offset < oldest->offset))
				oldest = &ml->p[i];
		if (oldest == NULL)
			return;
		pending_emit(oldest, false, fn, arg);
	}
}

bool
multiline_pending(const struct multiline *ml)
{
	size_t	 i;

	for (i = 0; i < ML_STREAMS; i++)
		if (ml->p[i].active)
			return true;
	return false;
}

uint64_t
multiline_resume(const struct multiline *ml, uint64_t off)
{
	size_t	 i;

	for (i = 0; i < ML_STREAMS; i++)
		if (ml->p[i].active && ml->p[i].offset < off)
			off = ml->p[i].offset;
	return off;
}

bool
multiline_format_body(const char *value, const char **body, size_t *len)
{
	size_t	 n = strlen(value);

	if (n < 2 || value[0] != '/' || value[n - 1] != '/')
		return false;
	*body = value + 1;
	*len = n - 2;
	return true;
}

unsigned
multiline_join_formats(char *const formats[ML_FORMAT_MAX],
    struct strbuf *out, const char **why)
{
	const char	*body;
	unsigned	 i, last = 0;
	size_t		 len;

	for (i = 0; i < ML_FORMAT_MAX; i++)
		if (formats[i] != NULL)
			last = i + 1;
	*why = "is missing";
	if (last == 0)
		return 1;
	for (i = 0; i < last; i++) {
		if (formats[i] == NULL)
			return i + 1;
		if (!multiline_format_body(formats[i], &body, &len)) {
			*why = "must be a regexp in slashes, /.../, without "
			    "flags";
			return i + 1;
		}
		sb_add(out, body, len);
	}
	*why = NULL;
	return 0;
}
