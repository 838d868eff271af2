/*
 * config.h — Fluentd's configuration syntax, read into a tree.
 *
 *   <source>            elements with an optional argument (<match a.**>)
 *     @type tail        parameters: key, then a value to the end of line
 *     path "/x/#{ENV['HOME']}"
 *   </source>
 *   @include conf.d/extra.conf
 *
 * Values are kept as text; their types (size, time, bool, array...) are
 * the business of the parameter tables (params.h), which know what each
 * key means. Every element and parameter remembers its file and line so
 * that any later error can point at it.
 */
#ifndef SHIPPER_CONFIG_H
#define SHIPPER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

enum conf_value_kind {
	CONF_BARE,	/* unquoted text, trailing space and comment removed */
	CONF_DQUOTED,	/* "..." with escapes and #{...} evaluated */
	CONF_SQUOTED,	/* '...' */
	CONF_JSON,	/* a JSON array or hash, possibly over several lines */
	CONF_EMPTY,	/* a key with no value at all */
};

struct conf_param {
	char		*key;
	char		*value;		/* NUL-terminated, never NULL */
	enum conf_value_kind kind;
	const char	*file;		/* owned by the struct conf */
	int		 line;
	bool		 used;		/* consumed by a parameter table */
};

struct conf_elem {
	char		*name;		/* "ROOT" for the top level */
	char		*arg;		/* "" when there is none */
	const char	*file;
	int		 line;
	struct conf_param *params;
	size_t		 nparams;
	struct conf_elem *elems;
	size_t		 nelems;
	bool		 used;
};

struct conf {
	struct conf_elem root;
	char		**files;	/* every file read, for file:line */
	size_t		 nfiles;
};

/*
 * Reads a configuration file, following @include (relative to the file
 * that includes it, globs sorted, none matching is fine). Embedded code
 * in double-quoted strings is evaluated as rbexpr.h says ("#{ENV['X'] ||
 * 'default'}", ENV.fetch, File.join...); anything else is an error naming
 * file:line and the expression. A value that is use_default or use_nil
 * leaves its parameter out.
 *
 * c is overwritten, not freed: it needs no initialisation. On error it
 * is left empty, so conf_free(c) is harmless either way.
 */
int	conf_load_file(struct conf *c, const char *path, struct err *e);
/*
 * The same from a string; `name` stands for the file in messages, and
 * its directory is where relative @include paths start.
 */
int	conf_load_string(struct conf *c, const char *text, const char *name,
	    struct err *e);
void	conf_free(struct conf *c);

/* The last parameter named key, or NULL. Does not mark it used. */
struct conf_param *conf_param_get(const struct conf_elem *el, const char *key);
/* Its value, or NULL. */
const char *conf_get(const struct conf_elem *el, const char *key);

/* Value types, as Fluentd reads them. Each returns 0 or -1. */
/* "2M" "1g" "512k" "100": bytes (k, m, g, t are powers of 1024). */
int	conf_parse_size(const char *s, unsigned long long *out);
/* "5s" "1m" "1h" "1d" "0.5" "250ms": seconds. */
int	conf_parse_time(const char *s, double *out);
/* "true" "yes" "false" "no"; an empty value is true. */
int	conf_parse_bool(const char *s, bool *out);
int	conf_parse_int(const char *s, long long *out);
int	conf_parse_float(const char *s, double *out);

/*
 * Arrays: a JSON array of strings/numbers, or "a,b,c" (items trimmed).
 * Returns the items as a NULL-terminated vector to free with
 * conf_strv_free, or NULL with e set.
 */
char	**conf_parse_array(const char *s, struct err *e);
/* Hashes: a JSON object or "k1:v1,k2:v2"; keys and values alternate. */
char	**conf_parse_hash(const char *s, struct err *e);
void	conf_strv_free(char **v);
size_t	conf_strv_len(char *const *v);

#endif
