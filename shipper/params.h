/*
 * params.h — every plugin declares its parameters once, in a table.
 *
 * As in Fluent Bit's config_map: a row gives the Fluentd name, the type,
 * the default, where the value lands in the plugin's config struct and a
 * line of help. Loading, defaults, "unknown parameter" errors with the
 * valid choices, --dry-run's listing and the README's reference all come
 * from the same table.
 */
#ifndef SHIPPER_PARAMS_H
#define SHIPPER_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "err.h"
#include "strbuf.h"

enum param_type {
	PARAM_STRING,	/* char *, NULL when unset */
	PARAM_INT,	/* long long */
	PARAM_SIZE,	/* unsigned long long, bytes */
	PARAM_TIME,	/* double, seconds */
	PARAM_BOOL,	/* bool */
	PARAM_FLOAT,	/* double */
	PARAM_ENUM,	/* int, index into choices */
	PARAM_ARRAY,	/* char **, NULL-terminated, NULL when unset */
	PARAM_HASH,	/* char **, key, value, ..., NULL */
};

#define PARAM_REQUIRED	0x01	/* no default: the user must give it */
#define PARAM_SECRET	0x02	/* never printed, logged or exported */
#define PARAM_NOOP	0x04	/* accepted for compatibility, no effect */

struct param_def {
	const char		*name;
	enum param_type		 type;
	const char		*def;		/* default as config text */
	size_t			 offset;	/* in the plugin's config */
	unsigned		 flags;
	const char *const	*choices;	/* PARAM_ENUM, NULL-ended */
	const char		*help;
};

#define PARAMS_END	{ .name = NULL }

/*
 * Fills cfg from the parameters of el: defaults first, then each value
 * converted to its type. `what` names the directive in messages, e.g.
 * "<source> @type tail". Parameters already marked used, and those
 * starting with '@' that the table does not name, are left to the caller. Errors: unknown parameter (with the valid names and the closest
 * one), a value of the wrong type, a required one missing.
 */
int	params_apply(const struct param_def *defs, struct conf_elem *el,
	    void *cfg, const char *what, struct err *e);
/* Sets the defaults only (for plugins created without config). */
int	params_defaults(const struct param_def *defs, void *cfg,
	    struct err *e);
void	params_free(const struct param_def *defs, void *cfg);
/* Was the parameter given in el (not just defaulted)? */
bool	params_given(const struct conf_elem *el, const char *name);
/* err_at at the parameter's line when it was given, else at el's. */
int	param_err_at(struct err *e, const struct conf_elem *el,
	    const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/*
 * Child elements of el must be among `allowed` (NULL-terminated; NULL
 * means none are allowed); the error lists the valid ones.
 */
int	params_check_sections(const struct conf_elem *el,
	    const char *const *allowed, const char *what, struct err *e);

/* "name value" lines of the effective configuration, secrets masked. */
void	params_describe(const struct param_def *defs, const void *cfg,
	    const char *indent, struct strbuf *out);
/* The same as a JSON object of strings, "@type" first, secrets "xxxxxx"
 * (Fluentd's monitor_agent `config`). */
void	params_json(const struct param_def *defs, const void *cfg,
	    const char *type, struct strbuf *out);
/* The reference: a Markdown list under `title`, a row per parameter. */
void	params_reference(const struct param_def *defs, const char *title,
	    struct strbuf *out);

const char *param_type_name(enum param_type t);

#endif
