/*
 * strbuf.h — a growable byte buffer, the unit every encoder writes into.
 */
#ifndef PARSERS_STRBUF_H
#define PARSERS_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct strbuf {
	char	*buf;
	size_t	 len;
	size_t	 cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void	sb_reserve(struct strbuf *sb, size_t extra);
void	sb_add(struct strbuf *sb, const void *p, size_t n);
/*
 * sb_add up to `max` bytes in all: what does not fit is dropped and *cut
 * set, after which nothing more is added (a line cut at its limit).
 */
void	sb_add_capped(struct strbuf *sb, const void *p, size_t n, size_t max,
	    bool *cut);
void	sb_addf(struct strbuf *sb, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	sb_free(struct strbuf *sb);
/* NUL-terminates without counting the NUL in len. */
const char *sb_cstr(struct strbuf *sb);
/* Hands the NUL-terminated string over ("" when empty) and resets sb. */
char	*sb_take(struct strbuf *sb);

static inline void
sb_addc(struct strbuf *sb, char c)
{
	if (sb->len + 1 >= sb->cap)
		sb_reserve(sb, 1);
	sb->buf[sb->len++] = c;
}

static inline void
sb_adds(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

static inline void
sb_reset(struct strbuf *sb)
{
	sb->len = 0;
}

/* Empties sb, and gives its memory back if it grew past keep bytes: for
 * a buffer that a rare large item grew, kept for many small ones. */
static inline void
sb_release(struct strbuf *sb, size_t keep)
{
	if (sb->cap > keep)
		sb_free(sb);
	else
		sb->len = 0;
}

#endif
