/*
 * tagmatch.h — Fluentd's tag patterns: <filter a.*>, <match a.** {b,c}.x>.
 *
 * `*` matches one tag part, `**` zero or more parts, `{a,b}` either, and
 * several patterns separated by spaces match when any does. Patterns are
 * translated to regexps exactly as Fluentd's MatchPattern does, so edge
 * cases (`a.**` matching `a`, `**.b` matching `b`) agree with Fluentd.
 */
#ifndef SHIPPER_TAGMATCH_H
#define SHIPPER_TAGMATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct tagmatch;

/* An empty pattern list matches every tag (Fluentd's `<match>` = `**`). */
struct tagmatch *tagmatch_new(const char *patterns, struct err *e);
bool	tagmatch(const struct tagmatch *tm, const char *tag, size_t len);
void	tagmatch_free(struct tagmatch *tm);

/* The regexp one glob pattern becomes (caller frees). */
char	*tagmatch_glob_to_regex(const char *glob);

#endif
