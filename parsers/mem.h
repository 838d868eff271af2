/*
 * mem.h — allocation that cannot fail.
 *
 * Like tmux's xmalloc: running out of memory is not a condition the
 * pipeline can recover from record by record, so it ends the process with
 * a message instead of spreading NULL checks over every hot path.
 */
#ifndef PARSERS_MEM_H
#define PARSERS_MEM_H

#include <stddef.h>
#include <stdlib.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows an array to hold at least `need` items of `size` bytes, doubling. */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
