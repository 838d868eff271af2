/*
 * params.c — loading a directive through its parameter table (params.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jsonenc.h"
#include "mem.h"
#include "params.h"

#define FIELD(cfg, d, type)	((type *)((char *)(cfg) + (d)->offset))

const char *
param_type_name(enum param_type t)
{
	switch (t) {
	case PARAM_STRING:	return "string";
	case PARAM_INT:		return "integer";
	case PARAM_SIZE:	return "size";
	case PARAM_TIME:	return "time";
	case PARAM_BOOL:	return "bool";
	case PARAM_FLOAT:	return "float";
	case PARAM_ENUM:	return "enum";
	case PARAM_ARRAY:	return "array";
	case PARAM_HASH:	return "hash";
	}
	return "?";
}

static const char *
type_example(enum param_type t)
{
	switch (t) {
	case PARAM_INT:		return "an integer, e.g. 8";
	case PARAM_SIZE:	return "a size, e.g. 2M, 512k or 1g";
	case PARAM_TIME:	return "a duration, e.g. 5s, 1m, 1h or 0.5";
	case PARAM_BOOL:	return "true or false";
	case PARAM_FLOAT:	return "a number, e.g. 0.5";
	default:		return "valid";
	}
}

static void
choices_list(const char *const *choices, struct strbuf *sb)
{
	size_t	 i;

	for (i = 0; choices[i] != NULL; i++)
		sb_addf(sb, "%s%s", i ? ", " : "", choices[i]);
}

static int
set_enum(const struct param_def *d, void *cfg, const char *v,
    struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	int		 i;

	for (i = 0; d->choices[i] != NULL; i++) {
		if (strcmp(d->choices[i], v) == 0) {
			*FIELD(cfg, d, int) = i;
			return 0;
		}
	}
	choices_list(d->choices, &sb);
	err_set(e, "'%s' is not one of: %s", v, sb_cstr(&sb));
	sb_free(&sb);
	return -1;
}

static int
set_vector(const struct param_def *d, void *cfg, const char *v,
    struct err *e)
{
	char	**vec;

	vec = d->type == PARAM_ARRAY ? conf_parse_array(v, e) :
	    conf_parse_hash(v, e);
	if (vec == NULL)
		return -1;
	conf_strv_free(*FIELD(cfg, d, char **));
	*FIELD(cfg, d, char **) = vec;
	return 0;
}

/* Converts v to d's type and stores it. */
static int
param_set(const struct param_def *d, void *cfg, const char *v,
    struct err *e)
{
	int	 rc = 0;

	switch (d->type) {
	case PARAM_STRING:
		free(*FIELD(cfg, d, char *));
		*FIELD(cfg, d, char *) = xstrdup(v);
		return 0;
	case PARAM_INT:
		rc = conf_parse_int(v, FIELD(cfg, d, long long));
		break;
	case PARAM_SIZE:
		rc = conf_parse_size(v, FIELD(cfg, d, unsigned long long));
		break;
	case PARAM_TIME:
		rc = conf_parse_time(v, FIELD(cfg, d, double));
		break;
	case PARAM_BOOL:
		rc = conf_parse_bool(v, FIELD(cfg, d, bool));
		break;
	case PARAM_FLOAT:
		rc = conf_parse_float(v, FIELD(cfg, d, double));
		break;
	case PARAM_ENUM:
		return set_enum(d, cfg, v, e);
	case PARAM_ARRAY:
	case PARAM_HASH:
		return set_vector(d, cfg, v, e);
	}
	if (rc != 0)
		return err_set(e, "'%s' is not %s", v, type_example(d->type));
	return 0;
}

static const struct param_def *
param_find(const struct param_def *defs, const char *name)
{
	for (; defs->name != NULL; defs++)
		if (strcmp(defs->name, name) == 0)
			return defs;
	return NULL;
}

/* Levenshtein distance, for "did you mean". */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b), i, j, best;
	size_t	 row[64];

	if (lb >= sizeof row / sizeof row[0])
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t	 diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t	 up = row[j];

			best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static int
unknown_param(const struct param_def *defs, const struct conf_param *p,
    const char *what, struct err *e)
{
	struct strbuf		 sb = STRBUF_INIT;
	const struct param_def	*d, *near = NULL;
	size_t			 dist, best = 3;

	for (d = defs; d->name != NULL; d++) {
		sb_addf(&sb, "%s%s", d == defs ? "" : ", ", d->name);
		if ((dist = edit_distance(p->key, d->name)) < best) {
			best = dist;
			near = d;
		}
	}
	if (near != NULL)
		err_at(e, p->file, p->line, "unknown parameter '%s' in %s; "
		    "did you mean '%s'? Valid parameters: %s", p->key, what,
		    near->name, sb.len ? sb_cstr(&sb) : "none");
	else
		err_at(e, p->file, p->line, "unknown parameter '%s' in %s; "
		    "valid parameters: %s", p->key, what,
		    sb.len ? sb_cstr(&sb) : "none");
	sb_free(&sb);
	return -1;
}

static int
bad_value(const struct conf_param *p, const char *what, struct err *e)
{
	char	 why[ERR_MAX];

	memcpy(why, e->msg, sizeof why);
	return err_at(e, p->file, p->line, "%s, parameter '%s': %s", what,
	    p->key, why);
}

int
params_defaults(const struct param_def *defs, void *cfg, struct err *e)
{
	const struct param_def	*d;

	for (d = defs; d->name != NULL; d++) {
		if (d->def == NULL)
			continue;
		if (param_set(d, cfg, d->def, e) != 0)
			return err_wrap(e, "built-in default of '%s'", d->name);
	}
	return 0;
}

/*
 * "#{ENV['X'] || nil}" with X unset is "": Fluentd's own configurations
 * write that to mean "the default" for numbers, durations and the like,
 * so an empty quoted value of a type that is not text keeps the default.
 */
static bool
empty_typed(const struct param_def *d, const struct conf_param *p)
{
	return p->kind == CONF_DQUOTED && p->value[0] == '\0' &&
	    d->type != PARAM_STRING && d->type != PARAM_ARRAY &&
	    d->type != PARAM_HASH;
}

int
params_apply(const struct param_def *defs, struct conf_elem *el, void *cfg,
    const char *what, struct err *e)
{
	const struct param_def	*d;
	struct conf_param	*p;
	size_t			 i;

	if (params_defaults(defs, cfg, e) != 0)
		return -1;
	for (i = 0; i < el->nparams; i++) {
		p = &el->params[i];
		if (p->used)
			continue;	/* taken by the caller */
		if ((d = param_find(defs, p->key)) == NULL) {
			if (p->key[0] == '@')
				continue;	/* @id, @label...: the caller's */
			return unknown_param(defs, p, what, e);
		}
		p->used = true;
		if (empty_typed(d, p))
			continue;
		if (param_set(d, cfg, p->value, e) != 0)
			return bad_value(p, what, e);
	}
	for (d = defs; d->name != NULL; d++) {
		if ((d->flags & PARAM_REQUIRED) && !params_given(el, d->name))
			return err_at(e, el->file, el->line, "%s needs the "
			    "parameter '%s' (%s)", what, d->name, d->help);
	}
	return 0;
}

void
params_free(const struct param_def *defs, void *cfg)
{
	const struct param_def	*d;

	for (d = defs; d->name != NULL; d++) {
		if (d->type == PARAM_STRING) {
			free(*FIELD(cfg, d, char *));
			*FIELD(cfg, d, char *) = NULL;
		} else if (d->type == PARAM_ARRAY || d->type == PARAM_HASH) {
			conf_strv_free(*FIELD(cfg, d, char **));
			*FIELD(cfg, d, char **) = NULL;
		}
	}
}

bool
params_given(const struct conf_elem *el, const char *name)
{
	return el != NULL && conf_param_get(el, name) != NULL;
}

int
params_check_sections(const struct conf_elem *el, const char *const *allowed,
    const char *what, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	size_t		 i, j;

	for (i = 0; i < el->nelems; i++) {
		const struct conf_elem	*c = &el->elems[i];

		for (j = 0; allowed != NULL && allowed[j] != NULL; j++)
			if (strcmp(allowed[j], c->name) == 0)
				break;
		if (allowed != NULL && allowed[j] != NULL)
			continue;
		if (allowed != NULL)
			choices_list(allowed, &sb);
		err_at(e, c->file, c->line, "<%s> is not valid inside %s; "
		    "valid sections: %s", c->name, what,
		    sb.len ? sb_cstr(&sb) : "none");
		sb_free(&sb);
		return -1;
	}
	return 0;
}

static void
value_describe(const struct param_def *d, const void *cfg, struct strbuf *out)
{
	char *const	*v;
	size_t		 i;

	switch (d->type) {
	case PARAM_STRING:
		sb_adds(out, *FIELD(cfg, d, char *const) ?
		    *FIELD(cfg, d, char *const) : "(unset)");
		break;
	case PARAM_INT:
		sb_addf(out, "%lld", *FIELD(cfg, d, const long long));
		break;
	case PARAM_SIZE:
		sb_addf(out, "%llu", *FIELD(cfg, d, const unsigned long long));
		break;
	case PARAM_TIME:
		sb_addf(out, "%gs", *FIELD(cfg, d, const double));
		break;
	case PARAM_FLOAT:
		sb_addf(out, "%g", *FIELD(cfg, d, const double));
		break;
	case PARAM_BOOL:
		sb_adds(out, *FIELD(cfg, d, const bool) ? "true" : "false");
		break;
	case PARAM_ENUM:
		sb_adds(out, d->choices[*FIELD(cfg, d, const int)]);
		break;
	case PARAM_ARRAY:
	case PARAM_HASH:
		v = *FIELD(cfg, d, char **const);
		sb_addc(out, '[');
		for (i = 0; v != NULL && v[i] != NULL; i++)
			sb_addf(out, "%s\"%s\"", i ? ", " : "", v[i]);
		sb_addc(out, ']');
		break;
	}
}

void
params_describe(const struct param_def *defs, const void *cfg,
    const char *indent, struct strbuf *out)
{
	const struct param_def	*d;

	for (d = defs; d->name != NULL; d++) {
		if (d->flags & PARAM_NOOP)
			continue;
		sb_addf(out, "%s%s ", indent, d->name);
		if (d->flags & PARAM_SECRET)
			sb_adds(out, "(secret, not shown)");
		else
			value_describe(d, cfg, out);
		sb_addc(out, '\n');
	}
}

void
params_json(const struct param_def *defs, const void *cfg, const char *type,
    struct strbuf *out)
{
	const struct param_def	*d;
	struct strbuf		 v = STRBUF_INIT;

	sb_adds(out, "{\"@type\":");
	json_put_string(out, type, strlen(type));
	for (d = defs; d->name != NULL; d++) {
		if (d->flags & PARAM_NOOP)
			continue;
		sb_reset(&v);
		if (d->flags & PARAM_SECRET)
			sb_adds(&v, "xxxxxx");
		else
			value_describe(d, cfg, &v);
		sb_addc(out, ',');
		json_put_string(out, d->name, strlen(d->name));
		sb_addc(out, ':');
		json_put_string(out, v.buf, v.len);
	}
	sb_addc(out, '}');
	sb_free(&v);
}

void
params_reference(const struct param_def *defs, const char *title,
    struct strbuf *out)
{
	const struct param_def	*d;

	sb_addf(out, "%s\n\n", title);
	for (d = defs; d->name != NULL; d++) {
		sb_addf(out, "- `%s` (%s", d->name, param_type_name(d->type));
		if (d->flags & PARAM_REQUIRED)
			sb_adds(out, ", required");
		else if (d->def != NULL)
			sb_addf(out, ", default `%s`", d->def[0] ? d->def : "\"\"");
		if (d->type == PARAM_ENUM) {
			sb_adds(out, ": ");
			choices_list(d->choices, out);
		}
		sb_addf(out, ")%s: %s\n", d->flags & PARAM_NOOP ?
		    " [accepted, no effect]" : "", d->help);
	}
	if (defs->name == NULL)
		sb_adds(out, "(no parameters)\n");
	sb_addc(out, '\n');
}

int
param_err_at(struct err *e, const struct conf_elem *el, const char *name,
    const char *fmt, ...)
{
	const struct conf_param	*p = conf_param_get(el, name);
	char			 msg[ERR_MAX];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_at(e, p ? p->file : el->file, p ? p->line : el->line, "%s",
	    msg);
}
