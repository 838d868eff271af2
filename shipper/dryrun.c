/*
 * dryrun.c — `--dry-run`: the pipeline as understood, and what in it
 * looks wrong although it loads: a grep that can never match SPIRE's
 * levels, a time_key SPIRE does not write, an envelope that reads only
 * one container runtime.
 */
#include <stdarg.h>
#include <string.h>

#include "dryrun.h"
#include "mem.h"
#include "registry.h"
#include "tagmatch.h"
#include "tail.h"

struct warnings {
	struct strbuf	 sb;
	unsigned	 n;
};

static void
warn_add(void *arg, const char *file, int line, const char *fmt, ...)
{
	struct warnings	*w = arg;
	char		 msg[ERR_MAX];
	va_list		 ap;
	char		*entry;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	entry = xasprintf("  %s:%d: warning: %s\n", file, line, msg);
	/* The same filter reached by several routes warns once. */
	if (w->sb.len == 0 || strstr(sb_cstr(&w->sb), entry) == NULL) {
		sb_adds(&w->sb, entry);
		w->n++;
	}
	free(entry);
}

static void
describe_source(const struct source *s, unsigned i, struct strbuf *out)
{
	sb_addf(out, "  <source> #%u @type %s  (%s:%d)\n", i + 1, s->ops->name,
	    s->file, s->line);
	params_describe(s->ops->params, s->cfg, "      ", out);
	if (s->ops == registry_source("tail"))
		sb_addf(out, "      <parse> @type %s\n",
		    source_parse_type(tail_parse(s)));
}

static void
describe_directive(const struct directive *d, struct strbuf *out)
{
	if (d->kind == DIRECTIVE_FILTER) {
		sb_addf(out, "  <filter %s> @type %s  (%s:%d)\n", d->pattern,
		    d->filter->ops->name, d->filter->file, d->filter->line);
		params_describe(d->filter->ops->params, d->filter->cfg,
		    "      ", out);
	} else {
		sb_addf(out, "  <match %s> @type %s  (%s:%d)\n", d->pattern,
		    d->output->ops->name, d->output->file, d->output->line);
		params_describe(d->output->ops->params, d->output->cfg,
		    "      ", out);
	}
}

/* A tag the source would give its files, for showing their route. */
static char *
sample_tag(const struct source *s)
{
	const struct tail_cfg	*cfg;
	char			*path, *p, *tag;

	if (s->ops != registry_source("tail"))
		return NULL;
	cfg = tail_config(s);
	path = xstrdup(cfg->path);
	if ((p = strchr(path, ',')) != NULL)
		*p = '\0';
	for (p = path; *p != '\0'; p++)
		if (*p == '*' || *p == '?')
			*p = 'x';
	tag = tail_expand_tag(cfg->tag, path + strspn(path, " \t"));
	free(path);
	return tag;
}

/* Prints the route of tag; true when its parser filters send error
 * events to <label @ERROR>, whose route is then worth printing too. */
static bool
describe_route(struct pipeline *pl, const char *label, const char *tag,
    struct strbuf *out, struct warnings *w)
{
	struct route	*rt = pipeline_route_label(pl, label, tag, strlen(tag));
	size_t		 i;

	sb_addf(out, "  %s%s%s:", label ? label : "", label ? " " : "", tag);
	for (i = 0; i < rt->nchain; i++) {
		sb_addf(out, " %s%s", i ? "-> " : "", rt->chain[i]->ops->name);
		if (rt->gates[i] != NULL)
			sb_addf(out, " [%u test%s of the %s at %s:%d run while "
			    "parsing]", rt->gates[i]->nrequire,
			    rt->gates[i]->nrequire == 1 ? "" : "s",
			    rt->gate_owner[i]->ops->name,
			    rt->gate_owner[i]->file, rt->gate_owner[i]->line);
		if (rt->chain[i]->ops->check_route != NULL)
			rt->chain[i]->ops->check_route(rt->chain[i], rt->chain,
			    i, warn_add, w);
	}
	if (rt->out != NULL)
		sb_addf(out, " %s%s\n", rt->nchain ? "-> " : "",
		    rt->out->ops->name);
	else {
		sb_adds(out, " -> (no <match>: dropped)\n");
		warn_add(w, "(routes)", 0, "records tagged %s%s%s%s match no "
		    "<match> and are dropped", tag, label ? " in <label " : "",
		    label ? label : "", label ? ">" : "");
	}
	for (i = 0; label != pl->error_label && pl->error_label != NULL &&
	    i < rt->nchain; i++)
		if (rt->chain[i]->ops == registry_filter("parser"))
			return true;
	return false;
}

unsigned
dryrun_print(struct pipeline *pl, const char *conf_name, FILE *out)
{
	struct strbuf	 sb = STRBUF_INIT;
	struct warnings	 w;
	size_t		 i;

	memset(&w, 0, sizeof w);
	sb_addf(&sb, "spire-shipper: configuration %s is valid\n\npipeline:\n",
	    conf_name);
	for (i = 0; i < pl->nsources; i++) {
		describe_source(pl->sources[i], (unsigned)i, &sb);
		if (pl->sources[i]->ops->check != NULL)
			pl->sources[i]->ops->check(pl->sources[i], warn_add, &w);
	}
	for (i = 0; i < pl->ndirs; i++) {
		struct directive *d = &pl->dirs[i];

		describe_directive(d, &sb);
		if (d->filter != NULL && d->filter->ops->check != NULL)
			d->filter->ops->check(d->filter, warn_add, &w);
		if (d->output != NULL && d->output->ops->check != NULL)
			d->output->ops->check(d->output, warn_add, &w);
	}
	sb_adds(&sb, "\nroutes (tag: filters -> output):\n");
	for (i = 0; i < pl->nsources; i++) {
		char	*tag = sample_tag(pl->sources[i]);

		if (tag != NULL && describe_route(pl, pl->sources[i]->label,
		    tag, &sb, &w))
			describe_route(pl, pl->error_label, tag, &sb, &w);
		free(tag);
	}
	sb_addf(&sb, "\nwarnings: %u\n", w.n);
	if (w.n > 0)
		sb_add(&sb, w.sb.buf, w.sb.len);
	fwrite(sb.buf, 1, sb.len, out);
	sb_free(&sb);
	sb_free(&w.sb);
	return w.n;
}
