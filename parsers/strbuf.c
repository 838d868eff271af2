/*
 * strbuf.c — a growable byte buffer.
 */
#include <stdarg.h>
#include <stdio.h>

#include "mem.h"
#include "strbuf.h"

void
sb_reserve(struct strbuf *sb, size_t extra)
{
	size_t	 need = sb->len + extra + 1;

	if (need > sb->cap)
		sb->buf = xgrow(sb->buf, &sb->cap, need < 256 ? 256 : need, 1);
}

void
sb_add(struct strbuf *sb, const void *p, size_t n)
{
	sb_reserve(sb, n);
	memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
}

void
sb_add_capped(struct strbuf *sb, const void *p, size_t n, size_t max,
    bool *cut)
{
	size_t	 room = max > sb->len ? max - sb->len : 0;

	if (*cut)
		return;
	if (n > room) {
		n = room;
		*cut = true;
	}
	sb_add(sb, p, n);
}

void
sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_reserve(sb, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void
sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

const char *
sb_cstr(struct strbuf *sb)
{
	sb_reserve(sb, 0);
	sb->buf[sb->len] = '\0';
	return sb->buf;
}

char *
sb_take(struct strbuf *sb)
{
	char	*s;

	sb_cstr(sb);
	s = sb->buf;
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return s;
}
