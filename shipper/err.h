/*
 * err.h — errors that reach the user.
 *
 * Every function that can fail returns -1 and fills a struct err with a
 * sentence that says what went wrong, where (file:line for config, the
 * path for input) and, when we know, what to do about it.
 */
#ifndef SHIPPER_ERR_H
#define SHIPPER_ERR_H

#define ERR_MAX 2048

struct err {
	char	msg[ERR_MAX];
};

/* Sets the message; returns -1 so callers can `return err_set(...)`. */
int	err_set(struct err *e, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Same, prefixed with "file:line: ". */
int	err_at(struct err *e, const char *file, int line, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
/* Prefixes an existing message: "context: message". */
int	err_wrap(struct err *e, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
