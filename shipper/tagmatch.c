/*
 * tagmatch.c — Fluentd's tag patterns (see tagmatch.h).
 *
 * The translation follows Fluentd's GlobMatchPattern: a pending `.` before
 * `**` becomes a look-ahead so that `a.**` also matches `a`, and `**.`
 * becomes "anything ending in a dot, or nothing".
 */
#include <ctype.h>
#include <string.h>

#include "mem.h"
#include "regex.h"
#include "strbuf.h"
#include "tagmatch.h"


struct tagmatch {
	struct regex	**re;
	size_t		 n;
};

static void
glob_char(struct strbuf *sb, char c)
{
	if (isalnum((unsigned char)c) || c == '_')
		sb_addc(sb, c);
	else {
		sb_addc(sb, '\\');
		sb_addc(sb, c);
	}
}

char *
tagmatch_glob_to_regex(const char *p)
{
	struct strbuf	 sb = STRBUF_INIT;
	int		 braces = 0;
	bool		 dot = false;

	sb_adds(&sb, "\\A");
	while (*p != '\0') {
		if (p[0] == '*' && p[1] == '*') {
			if (dot)
				sb_adds(&sb, "(?![^\\.])");
			dot = false;
			if (p[2] == '.') {
				sb_adds(&sb, "(?:.*\\.|\\A)");
				p += 3;
			} else {
				sb_adds(&sb, ".*");
				p += 2;
			}
			continue;
		}
		if (dot)
			sb_adds(&sb, "\\.");
		dot = false;
		if (*p == '\\' && p[1] != '\0') {
			glob_char(&sb, p[1]);
			p += 2;
			continue;
		}
		if (*p == '.')
			dot = true;
		else if (*p == '*')
			sb_adds(&sb, "[^\\.]*");
		else if (*p == '{') {
			sb_adds(&sb, "(?:");
			braces++;
		} else if (*p == '}' && braces > 0) {
			sb_addc(&sb, ')');
			braces--;
		} else if (*p == ',' && braces > 0)
			sb_addc(&sb, '|');
		else
			glob_char(&sb, *p);
		p++;
	}
	if (dot)
		sb_adds(&sb, "\\.");
	while (braces-- > 0)
		sb_addc(&sb, ')');
	sb_adds(&sb, "\\z");
	sb_cstr(&sb);
	return sb.buf;
}

static int
tagmatch_add(struct tagmatch *tm, const char *glob, size_t len,
    struct err *e)
{
	char	*g = xstrndup(glob, len), *rx;

	if (len >= 2 && g[0] == '/' && g[len - 1] == '/') {
		g[len - 1] = '\0';	/* Fluentd's /regexp/ pattern */
		rx = xstrdup(g + 1);
	} else
		rx = tagmatch_glob_to_regex(g);
	tm->re = xrealloc(tm->re, (tm->n + 1) * sizeof *tm->re);
	tm->re[tm->n] = regex_compile(rx, 0, e);
	free(rx);
	if (tm->re[tm->n] == NULL) {
		err_wrap(e, "tag pattern '%s'", g);
		free(g);
		return -1;
	}
	free(g);
	tm->n++;
	return 0;
}

struct tagmatch *
tagmatch_new(const char *patterns, struct err *e)
{
	struct tagmatch	*tm = xcalloc(1, sizeof *tm);
	const char	*p = patterns, *start;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (tagmatch_add(tm, start, (size_t)(p - start), e) != 0) {
			tagmatch_free(tm);
			return NULL;
		}
	}
	if (tm->n == 0 && tagmatch_add(tm, "**", 2, e) != 0) {
		tagmatch_free(tm);
		return NULL;
	}
	return tm;
}

bool
tagmatch(const struct tagmatch *tm, const char *tag, size_t len)
{
	size_t	 i;

	for (i = 0; i < tm->n; i++)
		if (regex_match(tm->re[i], tag, len))
			return true;
	return false;
}

void
tagmatch_free(struct tagmatch *tm)
{
	size_t	 i;

	if (tm == NULL)
		return;
	for (i = 0; i < tm->n; i++)
		regex_free(tm->re[i]);
	free(tm->re);
	free(tm);
}
