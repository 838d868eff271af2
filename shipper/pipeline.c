/*
 * pipeline.c — the configuration, compiled (see pipeline.h).
 *
 * Fluentd's routing rule: an event passes through the <filter>s that
 * match its tag and stand before the first <match> that matches it; a
 * <filter> placed after that <match> never sees it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "buffer.h"
#include "hash.h"
#include "log.h"
#include "loop.h"
#include "mem.h"
#include "metrics.h"
#include "params.h"
#include "pipeline.h"
#include "pipeline_metrics.h"
#include "plugin_metrics.h"
#include "registry.h"
#include "source_parse.h"
#include "tagmatch.h"

#define GATE_HOPS_MAX	4

struct gate_link {
	struct gate_test inner;
	struct gate_hop	 hops[GATE_HOPS_MAX];
	unsigned	 nhops;
};

static const char *const system_sections[] = { "log", NULL };
static const char *const log_formats[] = { "text", "json", NULL };

static const struct param_def system_log_params[] = {
	{ .name = "format", .type = PARAM_ENUM, .def = "text",
	  .choices = log_formats, .offset = offsetof(struct system_cfg,
	  log_format), .help = "the shipper's own log lines: text, or json "
	  "(one object per line: time, level, message)" },
	{ .name = "time_format", .type = PARAM_STRING, .flags = PARAM_NOOP,
	  .offset = offsetof(struct system_cfg, log_time_format),
	  .help = "times are always RFC 3339 with nanoseconds" },
	PARAMS_END
};

static const struct param_def system_params[] = {
	{ .name = "log_level", .type = PARAM_STRING, .def = "info",
	  .offset = offsetof(struct system_cfg, log_level),
	  .help = "the shipper's own log level: fatal, error, warn, info, "
	  "debug or trace" },
	{ .name = "workers", .type = PARAM_INT, .def = "1",
	  .offset = offsetof(struct system_cfg, workers),
	  .help = "must be 1: the shipper is a single process" },
	{ .name = "root_dir", .type = PARAM_STRING,
	  .offset = offsetof(struct system_cfg, root_dir),
	  .help = "base directory for buffers without a path" },
	{ .name = "suppress_repeated_stacktrace", .type = PARAM_BOOL,
	  .def = "true", .flags = PARAM_NOOP,
	  .offset = offsetof(struct system_cfg, suppress_repeated_stacktrace),
	  .help = "Fluentd's stack trace option; there are no stack traces" },
	{ .name = "process_name", .type = PARAM_STRING, .flags = PARAM_NOOP,
	  .offset = offsetof(struct system_cfg, process_name),
	  .help = "Fluentd's process title; accepted and ignored" },
	{ .name = "liveness_max_unacked_age", .type = PARAM_TIME,
	  .def = "300", .offset = offsetof(struct system_cfg,
	  liveness_max_unacked_age),
	  .help = "/live fails when a record has waited this long for an "
	  "output's acknowledgement (0: never)" },
	{ .name = "skip_unsupported", .type = PARAM_BOOL, .def = "false",
	  .offset = offsetof(struct system_cfg, skip_unsupported),
	  .help = "skip the <source>, <filter> and <match> whose @type the "
	  "shipper does not implement, with a warning each (as "
	  "--skip-unsupported); else they are all listed as one error" },
	PARAMS_END
};

void
pipeline_reference_system(struct strbuf *out)
{
	params_reference(system_params, "### <system>", out);
	params_reference(system_log_params, "#### <log> (in <system>)", out);
}

/* --- building plugins ---------------------------------------------------- */

static const char *
elem_type(struct conf_elem *el)
{
	struct conf_param	*p = conf_param_get(el, "@type");

	if (p == NULL)
		p = conf_param_get(el, "type");	/* Fluentd v0.12 */
	if (p == NULL)
		return NULL;
	p->used = true;
	return p->value;
}

/* The '@' parameters every directive may carry. */
static int
check_at_params(struct conf_elem *el, const char *what, struct err *e)
{
	size_t	 i;

	for (i = 0; i < el->nparams; i++) {
		struct conf_param	*p = &el->params[i];

		if (p->key[0] != '@' || p->used)
			continue;
		if (strcmp(p->key, "@id") == 0 ||
		    strcmp(p->key, "@log_level") == 0) {
			p->used = true;
			continue;
		}
		return err_at(e, p->file, p->line, "unknown parameter '%s' in "
		    "%s; valid: @type, @id, @log_level%s", p->key, what,
		    strncmp(what, "<source>", 8) == 0 ? ", @label" : "");
	}
	return 0;
}

/* Parameters and sections of one plugin instance into a fresh cfg. */
static void *
plugin_cfg(const struct param_def *params, const char *const *sections,
    size_t cfg_size, struct conf_elem *el, const char *what, struct err *e)
{
	void	*cfg = xcalloc(1, cfg_size ? cfg_size : 1);

	if (params_apply(params, el, cfg, what, e) != 0 ||
	    check_at_params(el, what, e) != 0 ||
	    params_check_sections(el, sections, what, e) != 0) {
		params_free(params, cfg);
		free(cfg);
		return NULL;
	}
	el->used = true;
	return cfg;
}

static int
unknown_type(struct conf_elem *el, const char *kind, const char *type,
    void (*names)(struct strbuf *), struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;

	names(&sb);
	if (type == NULL)
		err_at(e, el->file, el->line, "<%s> needs @type; valid types: "
		    "%s", kind, sb_cstr(&sb));
	else
		err_at(e, el->file, el->line, "unknown @type '%s' in <%s>; "
		    "valid types: %s", type, kind, sb_cstr(&sb));
	sb_free(&sb);
	return -1;
}

/* The fields every kind of plugin instance has. */
#define PLUGIN_INIT(p, o, el, pl) do {					\
	(p)->ops = (o);							\
	(p)->file = (el)->file;						\
	(p)->line = (el)->line;						\
	(p)->id = conf_get((el), "@id");				\
	(p)->stats = &(pl)->stats;					\
} while (0)

/* Destroying copes with a plugin whose init failed half way. */
#define PLUGIN_DESTROY(p) do {						\
	if ((p) == NULL)						\
		break;							\
	if ((p)->cfg != NULL && (p)->ops->destroy != NULL)		\
		(p)->ops->destroy(p);					\
	if ((p)->cfg != NULL)						\
		params_free((p)->ops->params, (p)->cfg);		\
	free((p)->cfg);							\
	free(p);							\
} while (0)

static void
filter_destroy(struct filter *f)
{
	PLUGIN_DESTROY(f);
}

static void
output_destroy(struct output *o)
{
	if (o != NULL) {
		metrics_unregister(o);
		buffer_free(o->buffer);
	}
	PLUGIN_DESTROY(o);
}

/*
 * A buffered output gets its buffer from its <buffer> section (or the
 * defaults), unless this is a dry run: no directory is created, no chunk
 * recovered.
 */
static int
output_buffer(struct pipeline *pl, struct output *o, struct conf_elem *el,
    struct err *e)
{
	struct buffer_cfg	 bc;
	bool			 found;
	size_t			 i;
	int			 rc = 0;

	if (o->ops->send == NULL || (pl->flags & PIPELINE_DRY_RUN))
		return 0;
	if (buffer_conf_load(&bc, el, &found, e) != 0 ||
	    (o->buffer = buffer_new(o, &bc, e)) == NULL)
		rc = -1;
	buffer_conf_free(&bc);
	for (i = 0; rc == 0 && i < pl->ndirs; i++) {
		struct output	*p = pl->dirs[i].output;

		if (p != NULL && p->buffer != NULL && p != o &&
		    buffer_dir(p->buffer) != NULL && buffer_dir(o->buffer) &&
		    strcmp(buffer_dir(p->buffer), buffer_dir(o->buffer)) == 0)
			rc = err_at(e, el->file, el->line, "<buffer> path %s "
			    "is already the buffer of the <match> at %s:%d; "
			    "give each <match> its own path",
			    buffer_dir(o->buffer), p->file, p->line);
	}
	return rc;
}

static void
source_destroy(struct source *s)
{
	PLUGIN_DESTROY(s);
}

static struct filter *
filter_build(struct pipeline *pl, struct conf_elem *el, struct err *e)
{
	const struct filter_ops	*ops;
	const char		*type = elem_type(el);
	struct filter		*f;
	char			 what[256];

	if (type == NULL || (ops = registry_filter(type)) == NULL) {
		unknown_type(el, "filter", type, registry_filter_names, e);
		return NULL;
	}
	snprintf(what, sizeof what, "<filter %s> @type %s", el->arg, type);
	f = xcalloc(1, sizeof *f);
	PLUGIN_INIT(f, ops, el, pl);
	f->pattern = el->arg;
	if ((f->cfg = plugin_cfg(ops->params, ops->sections, ops->cfg_size,
	    el, what, e)) == NULL || (ops->init != NULL &&
	    ops->init(f, el, e) != 0)) {
		filter_destroy(f);
		return NULL;
	}
	return f;
}

static struct output *
output_build(struct pipeline *pl, struct conf_elem *el, struct err *e)
{
	const struct output_ops	*ops;
	const char		*type = elem_type(el);
	struct output		*o;
	char			 what[256];

	if (type == NULL || (ops = registry_output(type)) == NULL) {
		unknown_type(el, "match", type, registry_output_names, e);
		return NULL;
	}
	snprintf(what, sizeof what, "<match %s> @type %s", el->arg, type);
	o = xcalloc(1, sizeof *o);
	PLUGIN_INIT(o, ops, el, pl);
	if ((o->cfg = plugin_cfg(ops->params, ops->sections, ops->cfg_size,
	    el, what, e)) == NULL || (ops->init != NULL &&
	    ops->init(o, el, e) != 0) || output_buffer(pl, o, el, e) != 0) {
		output_destroy(o);
		return NULL;
	}
	return o;
}

/* The <label> element named name, or NULL. */
static struct conf_elem *
label_find(struct pipeline *pl, const char *name)
{
	size_t	 i;

	for (i = 0; i < pl->conf->root.nelems; i++) {
		struct conf_elem	*el = &pl->conf->root.elems[i];

		if (strcmp(el->name, "label") == 0 && strcmp(el->arg, name) == 0)
			return el;
	}
	return NULL;
}

/* @label @NAME: the source's events go to that <label> only. */
static int
source_label(struct pipeline *pl, struct source *s, struct conf_elem *el,
    struct err *e)
{
	struct conf_param	*p = conf_param_get(el, "@label");
	struct conf_elem	*l;

	if (p == NULL)
		return 0;
	p->used = true;
	if ((l = label_find(pl, p->value)) == NULL)
		return err_at(e, p->file, p->line, "@label %s: there is no "
		    "<label %s> in the configuration", p->value, p->value);
	s->label = l->arg;
	return 0;
}

static struct source *
source_build(struct pipeline *pl, struct conf_elem *el, struct err *e)
{
	const struct source_ops	*ops;
	const char		*type = elem_type(el);
	struct source		*s;
	char			 what[256];

	if (type == NULL || (ops = registry_source(type)) == NULL) {
		unknown_type(el, "source", type, registry_source_names, e);
		return NULL;
	}
	snprintf(what, sizeof what, "<source> @type %s", type);
	s = xcalloc(1, sizeof *s);
	PLUGIN_INIT(s, ops, el, pl);
	s->pl = pl;
	if (source_label(pl, s, el, e) != 0) {
		free(s);
		return NULL;
	}
	if ((s->cfg = plugin_cfg(ops->params, ops->sections, ops->cfg_size,
	    el, what, e)) == NULL || (ops->init != NULL &&
	    ops->init(s, el, e) != 0)) {
		source_destroy(s);
		return NULL;
	}
	return s;
}

/* --- the configuration's top level --------------------------------------- */

static int
system_load(struct pipeline *pl, struct conf_elem *el, struct err *e)
{
	size_t	 i;
	int	 level;

	if (params_apply(system_params, el, &pl->sys, "<system>", e) != 0 ||
	    check_at_params(el, "<system>", e) != 0 ||
	    params_check_sections(el, system_sections, "<system>", e) != 0)
		return -1;
	if (pl->sys.workers != 1)
		return err_at(e, el->file, el->line, "<system> workers %lld: "
		    "the shipper runs as one process; set workers 1 and run "
		    "one shipper per node", pl->sys.workers);
	if ((level = log_level_parse(pl->sys.log_level)) < 0) {
		struct conf_param *p = conf_param_get(el, "log_level");

		return err_at(e, p ? p->file : el->file, p ? p->line :
		    el->line, "<system> log_level '%s': valid levels are "
		    "fatal, error, warn, info, debug, trace",
		    pl->sys.log_level);
	}
	log_set_level((enum log_level)level);
	for (i = 0; i < el->nelems; i++) {
		struct conf_elem *l = &el->elems[i];

		if (params_apply(system_log_params, l, &pl->sys, "<system> <log>",
		    e) != 0 || params_check_sections(l, NULL, "<system> <log>",
		    e) != 0)
			return -1;
		l->used = true;
	}
	log_set_json(pl->sys.log_format == 1);
	health_set_max_unacked_age(pl->sys.liveness_max_unacked_age);
	el->used = true;
	return 0;
}

static int
directive_add(struct pipeline *pl, struct conf_elem *el, int kind,
    const char *label, struct err *e)
{
	struct directive	*d;

	pl->dirs = xrealloc(pl->dirs, (pl->ndirs + 1) * sizeof *pl->dirs);
	d = &pl->dirs[pl->ndirs];
	memset(d, 0, sizeof *d);
	d->kind = kind;
	d->label = label;
	d->pattern = el->arg;
	if ((d->tm = tagmatch_new(el->arg, e)) == NULL)
		return err_wrap(e, "%s:%d: <%s %s>", el->file, el->line,
		    el->name, el->arg);
	pl->ndirs++;
	if (kind == DIRECTIVE_FILTER)
		d->filter = filter_build(pl, el, e);
	else
		d->output = output_build(pl, el, e);
	return d->filter != NULL || d->output != NULL ? 0 : -1;
}

static int
source_add(struct pipeline *pl, struct conf_elem *el, struct err *e)
{
	struct source	*s = source_build(pl, el, e);

	if (s == NULL)
		return -1;
	pl->sources = xrealloc(pl->sources, (pl->nsources + 1) *
	    sizeof *pl->sources);
	pl->sources[pl->nsources++] = s;
	return 0;
}

/* <label @NAME>: its <filter>s and <match>es, for the events sent there. */
static int
label_add(struct pipeline *pl, struct conf_elem *el, struct err *e)
{
	size_t	 i;

	if (el->arg[0] != '@')
		return err_at(e, el->file, el->line, "<label %s>: a label name "
		    "starts with '@', as in <label @%s>", el->arg, el->arg);
	if (label_find(pl, el->arg) != el)
		return err_at(e, el->file, el->line, "<label %s> is defined "
		    "twice; merge them", el->arg);
	if (el->nparams > 0)
		return err_at(e, el->params[0].file, el->params[0].line,
		    "parameter '%s' in <label %s>; put it inside a <filter> or "
		    "<match>", el->params[0].key, el->arg);
	for (i = 0; i < el->nelems; i++) {
		struct conf_elem	*d = &el->elems[i];
		int			 rc;

		if (d->used)
			continue;	/* skipped as unsupported */
		if (strcmp(d->name, "filter") == 0)
			rc = directive_add(pl, d, DIRECTIVE_FILTER, el->arg, e);
		else if (strcmp(d->name, "match") == 0)
			rc = directive_add(pl, d, DIRECTIVE_MATCH, el->arg, e);
		else
			rc = err_at(e, d->file, d->line, "<%s> in <label %s>: "
			    "a label holds only <filter> and <match>", d->name,
			    el->arg);
		if (rc != 0)
			return -1;
	}
	el->used = true;
	return 0;
}

static int
toplevel_add(struct pipeline *pl, struct conf_elem *el, struct err *e)
{
	if (el->used)
		return 0;	/* skipped as unsupported */
	if (strcmp(el->name, "source") == 0)
		return source_add(pl, el, e);
	if (strcmp(el->name, "filter") == 0)
		return directive_add(pl, el, DIRECTIVE_FILTER, NULL, e);
	if (strcmp(el->name, "match") == 0)
		return directive_add(pl, el, DIRECTIVE_MATCH, NULL, e);
	if (strcmp(el->name, "system") == 0)
		return system_load(pl, el, e);
	if (strcmp(el->name, "label") == 0)
		return label_add(pl, el, e);
	return err_at(e, el->file, el->line, "unknown directive <%s>; valid "
	    "directives: source, filter, match, system, label", el->name);
}

/*
 * The @type of el that the shipper lacks, or NULL: the plugin's own, or
 * (a tail source) its <parse>'s, which *sub says.
 */
static const char *
unsupported(const struct conf_elem *el, const char **sub)
{
	const char	*type = conf_get(el, "@type");
	size_t		 i;

	*sub = "";
	if (type == NULL && (type = conf_get(el, "type")) == NULL)
		return NULL;	/* the build says it needs one */
	if (strcmp(el->name, "filter") == 0)
		return registry_filter(type) == NULL ? type : NULL;
	if (strcmp(el->name, "match") == 0)
		return registry_output(type) == NULL ? type : NULL;
	if (strcmp(el->name, "source") != 0)
		return NULL;
	if (registry_source(type) == NULL)
		return type;
	for (i = 0; strcmp(type, "tail") == 0 && i < el->nelems; i++) {
		const char	*pt = conf_get(&el->elems[i], "@type");

		if (strcmp(el->elems[i].name, "parse") == 0 && pt != NULL &&
		    !source_parse_known(pt)) {
			*sub = " <parse>";
			return pt;
		}
	}
	return NULL;
}

static void
unsupported_note(struct conf_elem *el, const char *in, bool skip,
    struct strbuf *list, size_t *n)
{
	const char	*sub, *type = unsupported(el, &sub);

	if (type == NULL)
		return;
	(*n)++;
	if (skip) {
		log_warn("%s:%d: <%s%s%s>%s%s @type %s is not supported by the "
		    "shipper: skipped", el->file, el->line, el->name,
		    *el->arg ? " " : "", el->arg, in, sub, type);
		el->used = true;
	} else
		sb_addf(list, "\n  %s:%d: <%s%s%s>%s%s @type %s", el->file,
		    el->line, el->name, *el->arg ? " " : "", el->arg, in, sub,
		    type);
}

/*
 * The <system> sections before anything else: their skip_unsupported
 * decides what the rest is, and a wrong value there is its own error,
 * not a list of the directives it was meant to skip.
 */
static int
systems_load(struct pipeline *pl, bool *skip, struct err *e)
{
	struct conf_elem	*root = &pl->conf->root, *first = NULL;
	size_t			 i;

	for (i = 0; i < root->nelems; i++) {
		struct conf_elem	*el = &root->elems[i];

		if (strcmp(el->name, "system") != 0)
			continue;
		/* As Fluentd: a second one would reset the first's values. */
		if (first != NULL)
			return err_at(e, el->file, el->line, "<system> is "
			    "duplicated (the first is at %s:%d): Fluentd takes "
			    "only one; merge their parameters into one",
			    first->file, first->line);
		first = el;
		if (system_load(pl, el, e) != 0)
			return -1;
		if (pl->sys.skip_unsupported)
			*skip = true;
	}
	return 0;
}

/*
 * Every directive of a plugin type the shipper lacks, at once: skipped
 * with a warning each (--skip-unsupported, <system> skip_unsupported
 * true), or all listed in one error.
 */
static int
unsupported_check(struct pipeline *pl, struct err *e)
{
	struct conf_elem	*root = &pl->conf->root;
	struct strbuf		 list = STRBUF_INIT;
	bool			 skip = pl->flags & PIPELINE_SKIP_UNSUPPORTED;
	size_t			 i, j, n = 0;
	char			 in[160];

	if (systems_load(pl, &skip, e) != 0)
		return -1;
	for (i = 0; i < root->nelems; i++) {
		struct conf_elem	*el = &root->elems[i];

		unsupported_note(el, "", skip, &list, &n);
		if (strcmp(el->name, "label") != 0)
			continue;
		snprintf(in, sizeof in, " in <label %s>", el->arg);
		for (j = 0; j < el->nelems; j++)
			unsupported_note(&el->elems[j], in, skip, &list, &n);
	}
	/* One alone is often a typo: the build's message lists the types. */
	if (n <= 1 || skip) {
		sb_free(&list);
		return 0;
	}
	err_set(e, "%zu directive%s of plugin types the shipper does not "
	    "implement:%s\nremove them, or run with --skip-unsupported (or "
	    "<system> skip_unsupported true) to skip them", n, n > 1 ? "s" :
	    "", sb_cstr(&list));
	sb_free(&list);
	return -1;
}

struct pipeline *
pipeline_new(struct conf *c, unsigned flags, struct err *e)
{
	struct pipeline	*pl = xcalloc(1, sizeof *pl);
	size_t		 i;

	pl->conf = c;
	pl->flags = flags;
	for (i = 0; i < c->root.nparams; i++) {
		struct conf_param *p = &c->root.params[i];

		err_at(e, p->file, p->line, "parameter '%s' outside of any "
		    "directive; put it inside <source>, <filter>, <match> or "
		    "<system>", p->key);
		pipeline_free(pl);
		return NULL;
	}
	if (unsupported_check(pl, e) != 0) {
		pipeline_free(pl);
		return NULL;
	}
	for (i = 0; i < c->root.nelems; i++) {
		if (toplevel_add(pl, &c->root.elems[i], e) != 0) {
			pipeline_free(pl);
			return NULL;
		}
	}
	if (label_find(pl, "@ERROR") != NULL)
		pl->error_label = label_find(pl, "@ERROR")->arg;
	error_label_attach(pl);
	return pl;
}

static void
route_free(struct route *rt)
{
	size_t	 i;

	if (rt == NULL)
		return;
	for (i = 0; i < rt->nchain; i++)
		free(rt->gates[i]);
	free(rt->gates);
	free(rt->gate_owner);
	free(rt->chain);
	free(rt->links);
	free(rt->tag);
	if (rt->errs != NULL)
		batch_free(rt->errs);
	free(rt->errs);
	free(rt);
}

void
pipeline_free(struct pipeline *pl)
{
	size_t	 i;

	if (pl == NULL)
		return;
	metrics_unregister(pl);
	for (i = 0; i < pl->nsources; i++)
		source_destroy(pl->sources[i]);
	free(pl->sources);
	for (i = 0; i < pl->ndirs; i++) {
		filter_destroy(pl->dirs[i].filter);
		output_destroy(pl->dirs[i].output);
		tagmatch_free(pl->dirs[i].tm);
	}
	free(pl->dirs);
	for (i = 0; i < pl->cap_routes; i++)
		route_free(pl->routes[i]);
	free(pl->routes);
	error_label_free(pl);
	params_free(system_params, &pl->sys);
	params_free(system_log_params, &pl->sys);
	if (pl->conf != NULL) {
		conf_free(pl->conf);
		free(pl->conf);
	}
	free(pl);
}

static int
outputs_start(struct pipeline *pl, struct loop *l, struct err *e)
{
	size_t	 i;

	for (i = 0; i < pl->ndirs; i++) {
		struct output	*o = pl->dirs[i].output;

		if (o == NULL)
			continue;
		if ((o->ops->start != NULL && o->ops->start(o, l, e) != 0) ||
		    (o->buffer != NULL && buffer_start(o->buffer, l, e) != 0))
			return err_wrap(e, "%s:%d: <match> @type %s", o->file,
			    o->line, o->ops->name);
		plugin_health_register(o);
	}
	return 0;
}

static int
filters_start(struct pipeline *pl, struct loop *l, struct err *e)
{
	size_t	 i;

	for (i = 0; i < pl->ndirs; i++) {
		struct filter	*f = pl->dirs[i].filter;

		if (f != NULL && f->ops->start != NULL &&
		    f->ops->start(f, l, e) != 0)
			return err_wrap(e, "<filter %s> @type %s", f->pattern,
			    f->ops->name);
	}
	return 0;
}

/* Outputs, then filters, then sources: the first lines read find the
 * filters and the buffers ready. */
int
pipeline_start(struct pipeline *pl, struct loop *l, struct err *e)
{
	size_t	 i;

	pipeline_metrics_register(pl);
	if (outputs_start(pl, l, e) != 0 || filters_start(pl, l, e) != 0)
		return -1;
	for (i = 0; i < pl->nsources && !(pl->flags & PIPELINE_SKIP_SOURCES);
	    i++) {
		struct source	*s = pl->sources[i];

		if (s->ops->start != NULL && s->ops->start(s, l, e) != 0)
			return err_wrap(e, "%s:%d: <source> @type %s", s->file,
			    s->line, s->ops->name);
	}
	health_set_started(true);
	return 0;
}

void
pipeline_stop(struct pipeline *pl)
{
	size_t	 i;

	health_set_started(false);
	for (i = 0; i < pl->nsources && !(pl->flags & PIPELINE_SKIP_SOURCES);
	    i++)
		if (pl->sources[i]->ops->stop != NULL)
			pl->sources[i]->ops->stop(pl->sources[i]);
	for (i = 0; i < pl->ndirs; i++) {
		struct filter	*f = pl->dirs[i].filter;

		if (f != NULL && f->ops->stop != NULL)
			f->ops->stop(f);
	}
}

static bool
buffers_empty(const struct pipeline *pl, bool all)
{
	size_t	 i;

	for (i = 0; i < pl->ndirs; i++) {
		struct output	*o = pl->dirs[i].output;

		if (o != NULL && o->buffer != NULL && !buffer_empty(o->buffer) &&
		    (all || buffer_config(o->buffer)->flush_at_shutdown))
			return false;
	}
	return true;
}

struct drain {
	struct pipeline	*pl;
	struct loop	*l;
	bool		 all;
	uint64_t	 deadline;
};

static void
drain_check(void *arg)
{
	struct drain	*d = arg;

	if (buffers_empty(d->pl, d->all) ||
	    (d->deadline != 0 && loop_now_ms() >= d->deadline))
		loop_stop(d->l);
}

int
pipeline_drain(struct pipeline *pl, struct loop *l, bool all,
    uint64_t timeout_ms, struct err *e)
{
	struct drain		 d = { pl, l, all, 0 };
	struct loop_timer	*t;
	size_t			 i;

	for (i = 0; i < pl->ndirs; i++) {
		struct output	*o = pl->dirs[i].output;

		if (o != NULL && o->buffer != NULL &&
		    (all || buffer_config(o->buffer)->flush_at_shutdown))
			buffer_enqueue_all(o->buffer);
	}
	if (buffers_empty(pl, all))
		return 0;
	if (timeout_ms != 0)
		d.deadline = loop_now_ms() + timeout_ms;
	t = loop_add_timer(l, 20, true, drain_check, &d);
	if (loop_run(l, e) != 0) {
		loop_del_timer(l, t);
		return -1;
	}
	loop_del_timer(l, t);
	return buffers_empty(pl, all) ? 0 : err_set(e, "the outputs did not "
	    "acknowledge everything before the shutdown timeout");
}

void
pipeline_buffer_totals(const struct pipeline *pl, struct buffer_stats *sum)
{
	size_t	 i;

	memset(sum, 0, sizeof *sum);
	for (i = 0; i < pl->ndirs; i++) {
		const struct output		*o = pl->dirs[i].output;
		const struct buffer_stats	*bs;

		if (o == NULL || o->buffer == NULL)
			continue;
		bs = buffer_stats(o->buffer);
		sum->records_in += bs->records_in;
		sum->acked += bs->acked;
		sum->dead += bs->dead;
		sum->errored += bs->errored;
		sum->retried += bs->retried;
		sum->dropped_overflow += bs->dropped_overflow;
		sum->dropped_retry += bs->dropped_retry;
	}
}

void
pipeline_stop_outputs(struct pipeline *pl)
{
	size_t	 i;

	for (i = 0; i < pl->ndirs; i++) {
		struct output	*o = pl->dirs[i].output;

		if (o == NULL)
			continue;
		if (o->buffer != NULL)
			buffer_stop(o->buffer);
		if (o->ops->stop != NULL)
			o->ops->stop(o);
	}
}

int
pipeline_flush(struct pipeline *pl, struct err *e)
{
	size_t	 i;
	int	 rc = 0;

	for (i = 0; i < pl->ndirs; i++) {
		struct output	*o = pl->dirs[i].output;

		if (o != NULL && o->ops->flush != NULL && o->ops->flush(o, e))
			rc = -1;
	}
	return rc;
}

/* --- routes and the gate ------------------------------------------------- */

static bool
link_match(const void *arg, const char *val, size_t len)
{
	const struct gate_link	*l = arg;
	unsigned		 i;

	for (i = 0; i < l->nhops; i++)
		if (l->hops[i].map != NULL)
			val = l->hops[i].map(l->hops[i].map_arg, val, len, &len);
	return l->inner.match(l->inner.arg, val, len);
}

static void
gate_add_rescue(struct gate *g, const struct gate_test *t)
{
	unsigned	 i;

	for (i = 0; i < g->nrescue; i++)
		if (g->rescue[i].match == t->match && g->rescue[i].arg == t->arg)
			return;
	if (g->nrescue < GATE_MAX)
		g->rescue[g->nrescue++] = *t;
}

/*
 * Routes one test of the grep at chain[to] back to the parser at
 * chain[from] through the filters in between; false when one of them
 * may change the key in a way the gate cannot follow.
 */
static bool
gate_route_test(struct route *rt, size_t from, size_t to,
    const struct gate_test *t, struct gate_link *link, struct gate *g)
{
	size_t	 k;

	memset(link, 0, sizeof *link);
	link->inner = *t;
	for (k = from + 1; k < to; k++) {
		const struct filter	*hop = rt->chain[k];
		struct gate_hop		 h;

		memset(&h, 0, sizeof h);
		if (hop->ops->gate_hop == NULL || link->nhops == GATE_HOPS_MAX ||
		    !hop->ops->gate_hop(hop, t->key, t->klen, &h))
			return false;
		link->hops[link->nhops++] = h;
	}
	for (k = 0; k < link->nhops; k++)
		if (link->hops[k].rescue.klen > 0)
			gate_add_rescue(g, &link->hops[k].rescue);
	return true;
}

/* The gate for the parser at chain[i], from the first grep after it. */
static void
gate_compile(struct route *rt, size_t i)
{
	struct gate_test	 tests[GATE_MAX];
	struct gate		*g;
	unsigned		 n, k;
	size_t			 j;

	for (j = i + 1; j < rt->nchain; j++)
		if (rt->chain[j]->ops->gate_tests != NULL)
			break;
	if (j == rt->nchain)
		return;
	n = rt->chain[j]->ops->gate_tests(rt->chain[j], tests, GATE_MAX);
	g = xcalloc(1, sizeof *g);
	for (k = 0; k < n && g->nrequire < GATE_MAX; k++) {
		struct gate_link *link = &rt->links[rt->nlinks];

		if (!gate_route_test(rt, i, j, &tests[k], link, g))
			continue;
		rt->nlinks++;
		g->require[g->nrequire].key = tests[k].key;
		g->require[g->nrequire].klen = tests[k].klen;
		g->require[g->nrequire].match = link_match;
		g->require[g->nrequire].arg = link;
		g->nrequire++;
	}
	if (g->nrequire == 0) {
		free(g);
		return;
	}
	rt->gates[i] = g;
	rt->gate_owner[i] = rt->chain[j];
}

static struct route *
route_compile(struct pipeline *pl, const char *label, const char *tag,
    size_t len)
{
	struct route	*rt = xcalloc(1, sizeof *rt);
	size_t		 i;

	rt->tag = xstrndup(tag, len);
	rt->taglen = len;
	rt->pl = pl;
	rt->label = label;
	rt->stats = &pl->stats;
	for (i = 0; i < pl->ndirs && rt->out == NULL; i++) {
		struct directive *d = &pl->dirs[i];

		if (d->label != label || !tagmatch(d->tm, tag, len))
			continue;
		if (d->kind == DIRECTIVE_MATCH) {
			rt->out = d->output;
			break;
		}
		rt->chain = xrealloc(rt->chain, (rt->nchain + 1) *
		    sizeof *rt->chain);
		rt->chain[rt->nchain++] = d->filter;
	}
	rt->gates = xcalloc(rt->nchain + 1, sizeof *rt->gates);
	rt->gate_owner = xcalloc(rt->nchain + 1, sizeof *rt->gate_owner);
	rt->links = xcalloc(rt->nchain * GATE_MAX + 1, sizeof *rt->links);
	for (i = 0; i < rt->nchain; i++)
		if (rt->chain[i]->ops->gate_sink != NULL &&
		    rt->chain[i]->ops->gate_sink(rt->chain[i]))
			gate_compile(rt, i);
	if (rt->out == NULL)
		log_warn("no <match> for tag '%s'%s%s: its records are dropped "
		    "(counted as unmatched_tag)", rt->tag, label ? " in <label " :
		    "", label ? label : "");
	return rt;
}

static size_t
route_hash(const char *label, const char *tag, size_t len)
{
	return fnv1a(tag, len) ^ (label ? fnv1a(label, strlen(label)) : 0);
}

static void
routes_grow(struct pipeline *pl)
{
	struct route	**old = pl->routes;
	size_t		 oldcap = pl->cap_routes, i, j;

	pl->cap_routes = oldcap ? oldcap * 2 : 16;
	pl->routes = xcalloc(pl->cap_routes, sizeof *pl->routes);
	for (i = 0; i < oldcap; i++) {
		if (old[i] == NULL)
			continue;
		j = route_hash(old[i]->label, old[i]->tag, old[i]->taglen) &
		    (pl->cap_routes - 1);
		while (pl->routes[j] != NULL)
			j = (j + 1) & (pl->cap_routes - 1);
		pl->routes[j] = old[i];
	}
	free(old);
}

struct route *
pipeline_route(struct pipeline *pl, const char *tag, size_t len)
{
	return pipeline_route_label(pl, NULL, tag, len);
}

struct route *
pipeline_route_label(struct pipeline *pl, const char *label, const char *tag,
    size_t len)
{
	size_t		 j;
	struct route	*rt;

	if (pl->nroutes * 2 >= pl->cap_routes)
		routes_grow(pl);
	j = route_hash(label, tag, len) & (pl->cap_routes - 1);
	while ((rt = pl->routes[j]) != NULL) {
		if (rt->label == label && rt->taglen == len &&
		    memcmp(rt->tag, tag, len) == 0)
			return rt;
		j = (j + 1) & (pl->cap_routes - 1);
	}
	rt = route_compile(pl, label, tag, len);
	pl->routes[j] = rt;
	pl->nroutes++;
	return rt;
}

static void
route_drop(struct route *rt, struct filter *f, bool gated)
{
	f->dropped++;
	rt->stats->dropped[gated ? DROP_GREP : f->drop_reason]++;
	if (gated) {
		f->gated++;
		rt->stats->gated++;
	}
}

/* The @ERROR copy of the open record r of b, run through @ERROR's
 * filters into rt->errs. */
static void
error_event_copy(struct route *rt, struct batch *b, const struct record *r)
{
	struct batch	*eb;
	struct record	*c;

	if (rt->err == NULL)
		rt->err = pipeline_route_label(rt->pl, rt->pl->error_label,
		    rt->tag, rt->taglen);
	if ((eb = rt->errs) == NULL) {
		eb = rt->errs = xmalloc(sizeof *eb);
		batch_init(eb);
	}
	eb->source = b->source;
	eb->sourcelen = b->sourcelen;
	c = batch_begin(eb);
	batch_copy_fields(eb, b, r);
	c->time = r->time;
	c->source_id = r->source_id;
	c->offset = r->offset;
	c->flags = (r->flags & ~(uint32_t)REC_ERROR_ONLY) | REC_ERROR_COPY;
	rt->stats->error_events++;
	route_run(rt->err, eb);
}

/* A filter failed on r: true when it left the route for @ERROR. */
static bool
error_event(struct route *rt, struct batch *b, struct record *r)
{
	bool	 only = r->flags & REC_ERROR_ONLY;

	r->flags &= ~(uint32_t)(REC_ERROR_EVENT | REC_ERROR_ONLY);
	if (rt->pl->error_label == NULL || rt->label == rt->pl->error_label)
		return false;
	error_event_copy(rt, b, r);
	return only;
}

bool
route_run(struct route *rt, struct batch *b)
{
	struct record	*r = batch_open_record(b);
	size_t		 i;

	b->tag = rt->tag;
	b->taglen = rt->taglen;
	if (rt->out == NULL) {
		rt->stats->dropped[DROP_UNMATCHED]++;
		batch_rollback(b);
		return false;
	}
	for (i = 0; i < rt->nchain; i++) {
		struct filter		*f = rt->chain[i];
		enum filter_verdict	 v;

		f->in++;
		v = f->ops->run(f, b, r, rt->gates[i]);
		if ((r->flags & REC_ERROR_EVENT) && error_event(rt, b, r)) {
			batch_rollback(b);
			return false;
		}
		if (v == FILTER_KEEP)
			continue;
		if (v == FILTER_GATED && rt->gate_owner[i] != NULL) {
			rt->gate_owner[i]->in++;
			route_drop(rt, rt->gate_owner[i], true);
		} else
			route_drop(rt, f, false);
		batch_rollback(b);
		return false;
	}
	batch_commit(b);
	return true;
}

bool
route_blocked(const struct route *rt)
{
	return rt->out != NULL && rt->out->buffer != NULL &&
	    buffer_full(rt->out->buffer);
}

/* The error events made from b's lines, to @ERROR's output. */
static int
error_events_deliver(struct route *rt, const struct batch *b, struct err *e)
{
	struct batch	*eb = rt->errs;
	int		 rc;

	eb->source = b->source;
	eb->sourcelen = b->sourcelen;
	eb->origin = b->origin;
	eb->originlen = b->originlen;
	rc = route_deliver(rt->err, eb, e);
	batch_reset(eb);
	return rc;
}

bool
route_failing(const struct route *rt)
{
	return rt->out != NULL && rt->out->failing;
}

int
route_deliver(struct route *rt, struct batch *b, struct err *e)
{
	struct output	*o = rt->out;
	int		 rc;

	if (rt->errs != NULL && rt->errs->nrecs > 0 &&
	    (rc = error_events_deliver(rt, b, e)) != 0)
		return rc;
	if (b->nrecs == 0 || o == NULL)
		return 0;
	b->tag = rt->tag;
	b->taglen = rt->taglen;
	if (o->buffer != NULL) {
		uint64_t before = buffer_stats(o->buffer)->bytes_in;

		rc = buffer_write(o->buffer, b, e);

		/* block waits quietly; throw_exception is an error, as in
		 * Fluentd, though the records are still read again later. */
		if (rc == BUFFER_FULL && buffer_config(o->buffer)->
		    overflow_action != OVERFLOW_THROW)
			return BUFFER_FULL;
		if (rc == BUFFER_FULL)
			err_set(e, "%s:%d: <match> @type %s: the buffer is full "
			    "(overflow_action throw_exception)", o->file,
			    o->line, o->ops->name);
		if (rc != 0) {
			o->errors++;
			o->failing = true;
			rt->stats->output_errors++;
			return -1;
		}
		o->bytes += buffer_stats(o->buffer)->bytes_in - before;
	} else if (o->ops->write(o, b, e) != 0) {
		o->errors++;
		o->failing = true;
		rt->stats->output_errors++;
		return -1;
	}
	o->failing = false;
	o->records += b->nrecs;
	rt->stats->records_out += b->nrecs;
	return 0;
}
