/*
 * filter_grep.c — `@type grep`: keep or drop records by regexp.
 *
 * Fluentd's semantics exactly: top-level <regexp>s and those of <and>
 * must all match; of <or>'s regexps one must; all of <and>'s <exclude>s
 * matching drops, as does any top-level or <or> <exclude>. A missing key
 * is matched as the empty string. Keys are names (`level`) or record
 * accessors (`$.kubernetes.namespace_name`).
 *
 * Its top-level tests are offered to the parser before it as a gate, and
 * a record the spire filter marked as SPIRE audit passes rules on
 * `level` whatever its level (keep_audit).
 */
#include <stdio.h>
#include <string.h>

#include "jsonenc.h"
#include "mem.h"
#include "plugin.h"
#include "regex.h"

#define KEY_PARTS_MAX	8

struct grep_rule {
	char		*key;		/* as written */
	char		*keybuf;	/* the parts point here */
	const char	*parts[KEY_PARTS_MAX];
	size_t		 plens[KEY_PARTS_MAX];
	unsigned	 nparts;
	bool		 is_level;
	struct regex	*re;
	const char	*file;
	int		 line;
};

struct rule_set {
	struct grep_rule *v;
	size_t		 n;
};

struct grep_priv {
	struct rule_set	 regexp_and;
	struct rule_set	 regexp_or;
	struct rule_set	 exclude_and;
	struct rule_set	 exclude_or;
	struct strbuf	 scratch;
};

struct rule_cfg {
	char	*key;
	char	*pattern;
};

#define R(field)	offsetof(struct rule_cfg, field)
static const struct param_def rule_params[] = {
	{ .name = "key", .type = PARAM_STRING, .flags = PARAM_REQUIRED,
	  .offset = R(key), .help = "field name or $.record.accessor" },
	{ .name = "pattern", .type = PARAM_STRING, .flags = PARAM_REQUIRED,
	  .offset = R(pattern), .help = "regexp, bare or /.../flags" },
	PARAMS_END
};
#undef R

static const struct param_def grep_params[] = { PARAMS_END };
static const char *const grep_sections[] = {
	"regexp", "exclude", "and", "or", NULL
};
static const char *const block_sections[] = { "regexp", "exclude", NULL };

/* --- record accessors ---------------------------------------------------- */

/* `$.a.b`, `$['a']['b']` or a plain name, split into parts. */
static int
accessor_parse(struct grep_rule *r, struct err *e)
{
	char	*p, *q;

	r->keybuf = xstrdup(r->key);
	p = r->keybuf;
	if (strncmp(p, "$.", 2) != 0 && strncmp(p, "$[", 2) != 0) {
		r->parts[0] = p;
		r->plens[0] = strlen(p);
		r->nparts = 1;
		return 0;
	}
	p++;
	while (*p != '\0') {
		if (r->nparts == KEY_PARTS_MAX)
			return err_set(e, "record accessor '%s' is deeper than "
			    "%d parts", r->key, KEY_PARTS_MAX);
		if (*p == '.') {
			q = ++p;
			while (*p != '\0' && *p != '.' && *p != '[')
				p++;
		} else if (p[0] == '[' && (p[1] == '\'' || p[1] == '"')) {
			char quote = p[1];

			q = p += 2;
			while (*p != '\0' && *p != quote)
				p++;
			if (p[0] != quote || p[1] != ']')
				return err_set(e, "record accessor '%s': "
				    "unterminated [%c...%c]", r->key, quote,
				    quote);
			*p = '\0';
			p += 2;
			r->parts[r->nparts] = q;
			r->plens[r->nparts++] = strlen(q);
			continue;
		} else
			return err_set(e, "record accessor '%s': expected . or "
			    "['name'] at '%s'", r->key, p);
		r->parts[r->nparts] = q;
		r->plens[r->nparts++] = (size_t)(p - q);
	}
	if (r->nparts == 0)
		return err_set(e, "record accessor '%s' names no field", r->key);
	return 0;
}

/* --- building ------------------------------------------------------------ */

static int
rule_add(struct rule_set *set, struct conf_elem *el, struct err *e)
{
	struct rule_cfg		 rc;
	struct grep_rule	*r;
	char			 what[64];

	memset(&rc, 0, sizeof rc);
	snprintf(what, sizeof what, "<%s>", el->name);
	if (params_apply(rule_params, el, &rc, what, e) != 0 ||
	    params_check_sections(el, NULL, what, e) != 0) {
		params_free(rule_params, &rc);
		return -1;
	}
	el->used = true;
	set->v = xrealloc(set->v, (set->n + 1) * sizeof *set->v);
	r = &set->v[set->n++];
	memset(r, 0, sizeof *r);
	r->key = rc.key;
	r->file = el->file;
	r->line = el->line;
	r->re = regex_compile_fluentd(rc.pattern, 0, e);
	free(rc.pattern);
	if (r->re == NULL) {
		const struct conf_param *p = conf_param_get(el, "pattern");

		return err_wrap(e, "%s:%d: <%s> pattern", p->file, p->line,
		    el->name);
	}
	if (accessor_parse(r, e) != 0)
		return err_wrap(e, "%s:%d: <%s> key", el->file, el->line,
		    el->name);
	r->is_level = r->nparts == 1 && strcmp(r->parts[0], "level") == 0;
	return 0;
}

static int
block_add(struct grep_priv *gp, struct conf_elem *el, bool is_and,
    struct err *e)
{
	size_t	 i;

	if (params_check_sections(el, block_sections, is_and ? "<and>" :
	    "<or>", e) != 0)
		return -1;
	if (el->nparams > 0)
		return err_at(e, el->params[0].file, el->params[0].line,
		    "unknown parameter '%s' in <%s>; it holds only <regexp> "
		    "and <exclude>", el->params[0].key, el->name);
	el->used = true;
	for (i = 0; i < el->nelems; i++) {
		struct conf_elem *c = &el->elems[i];
		bool		  rx = strcmp(c->name, "regexp") == 0;
		struct rule_set	 *set = is_and ?
		    (rx ? &gp->regexp_and : &gp->exclude_and) :
		    (rx ? &gp->regexp_or : &gp->exclude_or);

		if (rule_add(set, c, e) != 0)
			return -1;
	}
	return 0;
}

static int
grep_init(struct filter *f, struct conf_elem *el, struct err *e)
{
	struct grep_priv	*gp = xcalloc(1, sizeof *gp);
	size_t			 i;
	int			 rc = 0;

	f->priv = gp;
	for (i = 0; i < el->nelems && rc == 0; i++) {
		struct conf_elem *c = &el->elems[i];

		if (strcmp(c->name, "regexp") == 0)
			rc = rule_add(&gp->regexp_and, c, e);
		else if (strcmp(c->name, "exclude") == 0)
			rc = rule_add(&gp->exclude_or, c, e);
		else
			rc = block_add(gp, c, strcmp(c->name, "and") == 0, e);
	}
	if (rc == 0 && gp->regexp_and.n + gp->regexp_or.n + gp->exclude_and.n +
	    gp->exclude_or.n == 0)
		return err_at(e, el->file, el->line, "<filter> @type grep "
		    "needs at least one <regexp> or <exclude>");
	return rc;
}

static void
rules_free(struct rule_set *set)
{
	size_t	 i;

	for (i = 0; i < set->n; i++) {
		free(set->v[i].key);
		free(set->v[i].keybuf);
		regex_free(set->v[i].re);
	}
	free(set->v);
}

static void
grep_destroy(struct filter *f)
{
	struct grep_priv	*gp = f->priv;

	if (gp == NULL)
		return;
	rules_free(&gp->regexp_and);
	rules_free(&gp->regexp_or);
	rules_free(&gp->exclude_and);
	rules_free(&gp->exclude_or);
	sb_free(&gp->scratch);
	free(gp);
}

/* --- matching ------------------------------------------------------------ */

static bool
rule_match(struct grep_priv *gp, const struct grep_rule *r,
    const struct batch *b, const struct record *rec)
{
	const struct field	*f;
	int			 first = 1;

	f = r->nparts == 1 ? record_get(b, rec, r->parts[0], r->plens[0]) :
	    record_get_path(b, rec, r->parts, r->plens, r->nparts);
	if (f == NULL || (f->flags & FIELD_DELETED))
		return regex_match(r->re, "", 0);
	if (f->type != VAL_OBJECT)
		return regex_match(r->re, f->val, f->vlen);
	sb_reset(&gp->scratch);
	sb_addc(&gp->scratch, '{');
	json_put_fields(&gp->scratch, f + 1, f->vlen, &first);
	sb_addc(&gp->scratch, '}');
	return regex_match(r->re, gp->scratch.buf, gp->scratch.len);
}

/* A SPIRE audit record passes every rule on `level` (keep_audit). */
static bool
rule_test(struct grep_priv *gp, const struct grep_rule *r,
    const struct batch *b, const struct record *rec, bool exclude)
{
	if (r->is_level && (rec->flags & REC_BYPASS_LEVEL))
		return !exclude;
	return rule_match(gp, r, b, rec);
}

static enum filter_verdict
grep_run(struct filter *f, struct batch *b, struct record *r,
    const struct gate *gate)
{
	struct grep_priv	*gp = f->priv;
	size_t			 i;
	bool			 any;

	(void)gate;
	for (i = 0; i < gp->regexp_and.n; i++)
		if (!rule_test(gp, &gp->regexp_and.v[i], b, r, false))
			return FILTER_DROP;
	for (i = 0, any = false; i < gp->regexp_or.n && !any; i++)
		any = rule_test(gp, &gp->regexp_or.v[i], b, r, false);
	if (gp->regexp_or.n > 0 && !any)
		return FILTER_DROP;
	for (i = 0, any = true; i < gp->exclude_and.n && any; i++)
		any = rule_test(gp, &gp->exclude_and.v[i], b, r, true);
	if (gp->exclude_and.n > 0 && any)
		return FILTER_DROP;
	for (i = 0; i < gp->exclude_or.n; i++)
		if (rule_test(gp, &gp->exclude_or.v[i], b, r, true))
			return FILTER_DROP;
	return FILTER_KEEP;
}

/* --- pushdown and checks ------------------------------------------------- */

static bool
gate_rule_match(const void *arg, const char *val, size_t len)
{
	const struct grep_rule	*r = arg;

	return regex_match(r->re, val, len);
}

/* Every regexp that must match, on a top-level key, can gate a parse. */
static unsigned
grep_gate_tests(const struct filter *f, struct gate_test *out, unsigned max)
{
	const struct grep_priv	*gp = f->priv;
	unsigned		 n = 0;
	size_t			 i;

	for (i = 0; i < gp->regexp_and.n && n < max; i++) {
		const struct grep_rule *r = &gp->regexp_and.v[i];

		if (r->nparts != 1)
			continue;
		out[n].key = r->parts[0];
		out[n].klen = r->plens[0];
		out[n].match = gate_rule_match;
		out[n].arg = r;
		n++;
	}
	return n;
}

static const char *const spire_levels[] = {
	"debug", "info", "warning", "error"
};

/* Does SPIRE's level lv, as the filters before change it, match r? */
static bool
level_matches(const struct grep_rule *r, struct filter *const *before,
    size_t n, const char *lv)
{
	const char	*v = lv;
	size_t		 len = strlen(lv), i;

	for (i = 0; i < n; i++) {
		struct gate_hop	 h;

		if (before[i]->ops->gate_tests != NULL)
			continue;	/* another grep: drops, no change */
		memset(&h, 0, sizeof h);
		if (before[i]->ops->gate_hop == NULL ||
		    !before[i]->ops->gate_hop(before[i], "level", 5, &h))
			continue;	/* e.g. the parser producing it */
		if (h.map != NULL)
			v = h.map(h.map_arg, v, len, &len);
	}
	return regex_match(r->re, v, len);
}

static void
grep_check_route(const struct filter *f, struct filter *const *before,
    size_t n, warn_fn warn, void *arg)
{
	const struct grep_priv	*gp = f->priv;
	size_t			 i, l;

	for (i = 0; i < gp->regexp_and.n; i++) {
		const struct grep_rule	*r = &gp->regexp_and.v[i];
		bool			 any = false;

		if (!r->is_level)
			continue;
		for (l = 0; l < 4; l++)
			any |= level_matches(r, before, n, spire_levels[l]);
		if (!any)
			warn(arg, r->file, r->line, "grep on level with pattern "
			    "%s can never match SPIRE's levels (debug, info, "
			    "warning, error: logrus writes them in lower case "
			    "and spells warn 'warning'), so every record is "
			    "dropped; put <filter> @type spire (normalize_level "
			    "true) before this grep, or match ^(error|warning)$",
			    regex_pattern(r->re));
	}
}

static void
grep_reference(struct strbuf *out)
{
	params_reference(rule_params, "#### <regexp> and <exclude> (grep; "
	    "also inside <and> and <or>)", out);
}

const struct filter_ops filter_grep = {
	.name = "grep",
	.help = "keep or drop records by regexp (<regexp>, <exclude>, <and>, "
	    "<or>)",
	.params = grep_params,
	.sections = grep_sections,
	.cfg_size = 0,
	.init = grep_init,
	.run = grep_run,
	.destroy = grep_destroy,
	.gate_tests = grep_gate_tests,
	.check_route = grep_check_route,
	.reference = grep_reference,
};
