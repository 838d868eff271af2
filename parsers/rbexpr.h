/*
 * rbexpr.h — the Ruby that Fluentd configurations embed in "#{...}".
 *
 * Not Ruby: the forms the official Fluentd DaemonSet configurations use,
 * evaluated as Ruby would. Values are nil, strings, numbers, true,
 * false and Fluentd's use_default / use_nil markers. Terms:
 *
 *   'text' "text" 42 -1 true false nil use_default use_nil
 *   ENV['X']  ENV["X"]  ENV.fetch('X')  ENV.fetch('X', default)
 *   File.join(a, b, ...)  IPAddr.new(s).ipv6?  IPAddr.new(s).ipv4?
 *   a || b   a + b   c ? a : b   a rescue b   name = a   name   (a; b)
 *
 * `a || b` is lazy: b is only checked for balance, never evaluated or
 * rejected, when a is neither nil nor false. ENV.fetch of an unset
 * variable without a default raises KeyError and IPAddr.new of
 * something that is not an address raises, as in Ruby; `rescue` catches
 * both. Anything else is an error whose message says what is not
 * supported and which environment variables, when set, would avoid
 * evaluating it.
 *
 * Pure: the environment is read through the caller's function.
 */
#ifndef PARSERS_RBEXPR_H
#define PARSERS_RBEXPR_H

#include <stddef.h>

#include "strbuf.h"

enum rb_kind {
	RB_NIL,
	RB_STR,
	RB_NUM,
	RB_TRUE,
	RB_FALSE,
	RB_USE_DEFAULT,	/* the parameter keeps its default */
	RB_USE_NIL,	/* the parameter is unset */
};

/* The value of an environment variable, or NULL when it is not set. */
typedef const char *(*rb_getenv_fn)(void *arg, const char *name);

/*
 * Evaluates code[0..len) and appends its value as Ruby's to_s gives it
 * to out (nil and the markers append nothing). Returns 0 with *kind
 * set, or -1 with a message in why (without the code itself).
 */
int	rb_eval(const char *code, size_t len, rb_getenv_fn env, void *arg,
	    enum rb_kind *kind, struct strbuf *out, char *why, size_t whylen);

#endif
