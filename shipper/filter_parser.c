/*
 * filter_parser.c — `@type parser`: parse one field of the record.
 *
 * Fluentd's filter_parser with its <parse> types json, logfmt, regexp,
 * none and multi_format (fluent-plugin-multi-format-parser's <pattern>s,
 * first match wins), so one configuration reads servers logging JSON and
 * agents logging text. A line that parses in no format is kept with its
 * raw text and a `parse_error` field naming the kind of damage, and is
 * counted by kind: bad input is data.
 *
 * This filter is also where a following grep's tests run (gate.h): the
 * record as it was is fed to the gate first, then each parsed field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "logfmt.h"
#include "mem.h"
#include "parse_conf.h"
#include "plugin.h"
#include "regex.h"
#include "stats.h"
#include "utf8.h"

enum inner_type {
	INNER_JSON,
	INNER_LOGFMT,
	INNER_REGEXP,
	INNER_NONE,
	INNER_MULTI,
};

struct inner_cfg {
	struct time_cfg	 time;
	char		*json_parser;
	long long	 max_nesting;
	long long	 stream_buffer_size;
	char		*expression;
	bool		 ignorecase;
	bool		 multiline;
	char		*message_key;
	char		**required_keys;
};

struct inner {
	enum inner_type	 type;
	const struct param_def *params;
	struct inner_cfg cfg;
	struct json_parser *jp;
	struct regex	*re;
	struct logfmt_opts lf;
	const char	*file;
	int		 line;
};

struct parser_cfg {
	char		*key_name;
	bool		 reserve_data;
	bool		 reserve_time;
	bool		 remove_key_name_field;
	bool		 replace_invalid_sequence;
	char		*inject_key_prefix;
	char		*hash_value_field;
	bool		 emit_invalid_record_to_error;
};

struct parser_priv {
	struct inner	*inner;
	size_t		 ninner;
	size_t		 key_len;
	uint64_t	 missing_key;
	char		*repair;	/* scratch for replace_invalid_sequence */
	size_t		 repair_cap;
};

#define P(field)	offsetof(struct parser_cfg, field)
static const struct param_def parser_params[] = {
	{ .name = "key_name", .type = PARAM_STRING, .flags = PARAM_REQUIRED,
	  .offset = P(key_name), .help = "field to parse, e.g. log" },
	{ .name = "reserve_data", .type = PARAM_BOOL, .def = "false",
	  .offset = P(reserve_data),
	  .help = "keep the record's other fields beside the parsed ones" },
	{ .name = "reserve_time", .type = PARAM_BOOL, .def = "false",
	  .offset = P(reserve_time),
	  .help = "keep the event time even when the parsed line has one" },
	{ .name = "remove_key_name_field", .type = PARAM_BOOL, .def = "false",
	  .offset = P(remove_key_name_field),
	  .help = "drop key_name once it parsed (with reserve_data)" },
	{ .name = "replace_invalid_sequence", .type = PARAM_BOOL,
	  .def = "false", .offset = P(replace_invalid_sequence),
	  .help = "replace invalid UTF-8 with U+FFFD and parse again" },
	{ .name = "inject_key_prefix", .type = PARAM_STRING,
	  .offset = P(inject_key_prefix),
	  .help = "prefix for the parsed keys" },
	{ .name = "hash_value_field", .type = PARAM_STRING,
	  .offset = P(hash_value_field),
	  .help = "put the parsed fields under this key" },
	{ .name = "emit_invalid_record_to_error", .type = PARAM_BOOL,
	  .def = "true", .offset = P(emit_invalid_record_to_error),
	  .help = "with a <label @ERROR>: a record whose key_name is missing "
	  "or does not parse goes there (with parse_error), and stays here "
	  "too only with reserve_data; without one, or false, it stays here "
	  "with parse_error, counted" },
	PARAMS_END
};
#undef P

static const char *const json_parser_names[] = {
	"oj", "yajl", "json", NULL
};

#define I(field)	offsetof(struct inner_cfg, field)
static const struct param_def json_params[] = {
	TIME_CFG_PARAMS(struct inner_cfg, time, "time"),
	{ .name = "json_parser", .type = PARAM_ENUM, .def = "yajl",
	  .choices = json_parser_names, .offset = I(json_parser),
	  .help = "accepted for compatibility: yajl is always used" },
	{ .name = "stream_buffer_size", .type = PARAM_INT, .def = "8192",
	  .flags = PARAM_NOOP, .offset = I(stream_buffer_size),
	  .help = "Fluentd's yajl buffer; lines are parsed whole here" },
	{ .name = "max_nesting", .type = PARAM_INT, .def = "64",
	  .offset = I(max_nesting),
	  .help = "deepest nesting accepted; deeper lines are bad "
	  "(deep_nesting)" },
	PARAMS_END
};

static const struct param_def logfmt_params[] = {
	TIME_CFG_PARAMS(struct inner_cfg, time, "time"),
	{ .name = "required_keys", .type = PARAM_ARRAY, .def = "time,level",
	  .offset = I(required_keys),
	  .help = "keys a line must have to be a record (logrus always writes "
	  "time and level); [] accepts any key=value line" },
	PARAMS_END
};

static const struct param_def regexp_params[] = {
	TIME_CFG_PARAMS(struct inner_cfg, time, "time"),
	{ .name = "expression", .type = PARAM_STRING, .flags = PARAM_REQUIRED,
	  .offset = I(expression),
	  .help = "regexp with named groups, /.../ or bare" },
	{ .name = "ignorecase", .type = PARAM_BOOL, .def = "false",
	  .offset = I(ignorecase), .help = "case-insensitive expression" },
	{ .name = "multiline", .type = PARAM_BOOL, .def = "false",
	  .offset = I(multiline), .help = "`.` also matches a newline" },
	PARAMS_END
};

static const struct param_def none_params[] = {
	TIME_CFG_PARAMS(struct inner_cfg, time, NULL),
	{ .name = "message_key", .type = PARAM_STRING, .def = "message",
	  .offset = I(message_key), .help = "field for the whole line" },
	PARAMS_END
};
#undef I

static const struct param_def multi_params[] = { PARAMS_END };

static const struct {
	const char		*name;
	enum inner_type		 type;
	const struct param_def	*params;
} inner_types[] = {
	{ "json", INNER_JSON, json_params },
	{ "logfmt", INNER_LOGFMT, logfmt_params },
	{ "regexp", INNER_REGEXP, regexp_params },
	{ "none", INNER_NONE, none_params },
	{ "multi_format", INNER_MULTI, multi_params },
};
#define NINNER_TYPES	(sizeof inner_types / sizeof inner_types[0])

static const char *const parser_sections[] = { "parse", NULL };
static const char *const multi_sections[] = { "pattern", NULL };

/* --- building ------------------------------------------------------------ */

static int
inner_type_find(const char *name, const struct conf_elem *el, bool nested,
    struct err *e)
{
	size_t	 i;

	for (i = 0; i < NINNER_TYPES; i++)
		if (strcmp(inner_types[i].name, name) == 0 &&
		    !(nested && inner_types[i].type == INNER_MULTI))
			return (int)i;
	return err_at(e, el->file, el->line, "unknown parser type '%s' in "
	    "<%s>; valid types: json, logfmt, regexp, none%s", name,
	    el->name, nested ? "" : ", multi_format");
}

/* The type name: `@type`, or `format` in a multi_format <pattern>. */
static const char *
inner_type_name(struct conf_elem *el)
{
	struct conf_param	*p = conf_param_get(el, "@type");

	if (p == NULL)
		p = conf_param_get(el, "format");
	if (p == NULL)
		p = conf_param_get(el, "type");
	if (p != NULL)
		p->used = true;
	return p ? p->value : NULL;
}

static int
inner_regexp(struct inner *in, const struct conf_elem *el, struct err *e)
{
	unsigned	 flags = 0;

	if (in->cfg.ignorecase)
		flags |= REGEX_ICASE;
	if (in->cfg.multiline)
		flags |= REGEX_DOTALL;
	in->re = regex_compile_fluentd(in->cfg.expression, flags, e);
	if (in->re == NULL)
		return err_wrap(e, "%s:%d: <%s> expression", el->file,
		    el->line, el->name);
	if (regex_ngroups(in->re) == 0)
		return err_at(e, el->file, el->line, "<%s> expression has no "
		    "named group: use (?<name>...) for each field", el->name);
	return 0;
}

static int
inner_init(struct inner *in, struct conf_elem *el, bool nested,
    struct err *e)
{
	const char	*name = inner_type_name(el);
	char		 what[128];
	int		 t;

	if (name == NULL)
		return err_at(e, el->file, el->line, "<%s> needs @type (json, "
		    "logfmt, regexp, none%s)", el->name, nested ? "" :
		    ", multi_format");
	if ((t = inner_type_find(name, el, nested, e)) < 0)
		return -1;
	in->type = inner_types[t].type;
	in->params = inner_types[t].params;
	in->file = el->file;
	in->line = el->line;
	snprintf(what, sizeof what, "<%s> @type %s", el->name, name);
	if (params_apply(in->params, el, &in->cfg, what, e) != 0 ||
	    params_check_sections(el, in->type == INNER_MULTI ?
	    multi_sections : NULL, what, e) != 0 ||
	    time_cfg_check(&in->cfg.time, el, e) != 0)
		return -1;
	el->used = true;
	if (in->type == INNER_JSON) {
		if (in->cfg.max_nesting < 1 || in->cfg.max_nesting > 100000)
			return err_at(e, el->file, el->line, "max_nesting %lld: "
			    "must be between 1 and 100000", in->cfg.max_nesting);
		in->jp = json_parser_new((unsigned)in->cfg.max_nesting);
	}
	if (in->type == INNER_LOGFMT) {
		in->lf.required = (const char *const *)in->cfg.required_keys;
		in->lf.nrequired = conf_strv_len(in->cfg.required_keys);
	}
	if (in->type == INNER_REGEXP)
		return inner_regexp(in, el, e);
	return 0;
}

static void
inner_free(struct inner *in)
{
	json_parser_free(in->jp);
	regex_free(in->re);
	/* No table yet when its type was missing or unknown. */
	if (in->params != NULL)
		params_free(in->params, &in->cfg);
}

static int
parser_init_multi(struct parser_priv *pp, struct conf_elem *parse,
    struct err *e)
{
	size_t	 i;

	if (parse->nelems == 0)
		return err_at(e, parse->file, parse->line, "<parse> @type "
		    "multi_format needs at least one <pattern>");
	pp->inner = xcalloc(parse->nelems, sizeof *pp->inner);
	for (i = 0; i < parse->nelems; i++) {
		pp->ninner++;
		if (inner_init(&pp->inner[i], &parse->elems[i], true, e) != 0)
			return -1;
	}
	return 0;
}

static int
parser_init(struct filter *f, struct conf_elem *el, struct err *e)
{
	struct parser_cfg	*cfg = f->cfg;
	struct parser_priv	*pp = xcalloc(1, sizeof *pp);
	struct conf_elem	*parse = NULL;
	struct inner		 top;
	size_t			 i;

	f->priv = pp;
	pp->key_len = strlen(cfg->key_name);
	for (i = 0; i < el->nelems; i++) {
		if (parse != NULL)
			return err_at(e, el->elems[i].file, el->elems[i].line,
			    "<filter> @type parser takes one <parse>");
		parse = &el->elems[i];
	}
	if (parse == NULL)
		return err_at(e, el->file, el->line, "<filter> @type parser "
		    "needs a <parse> section (e.g. <parse> @type json "
		    "</parse>)");
	memset(&top, 0, sizeof top);
	if (inner_init(&top, parse, false, e) != 0) {
		inner_free(&top);
		return -1;
	}
	if (top.type == INNER_MULTI) {
		inner_free(&top);
		return parser_init_multi(pp, parse, e);
	}
	pp->inner = xmalloc(sizeof *pp->inner);
	pp->inner[0] = top;
	pp->ninner = 1;
	return 0;
}

static void
parser_destroy(struct filter *f)
{
	struct parser_priv	*pp = f->priv;
	size_t			 i;

	if (pp == NULL)
		return;
	for (i = 0; i < pp->ninner; i++)
		inner_free(&pp->inner[i]);
	free(pp->inner);
	free(pp->repair);
	free(pp);
}

/* --- parsing ------------------------------------------------------------- */

struct capture_ctx {
	struct batch		*b;
	const struct gate	*gate;
	struct gate_state	*gst;
	bool			 drop;
};

static void
capture_field(void *arg, const char *name, size_t nlen, const char *val,
    size_t vlen)
{
	struct capture_ctx	*cc = arg;

	batch_add(cc->b, name, nlen, val, vlen, VAL_STRING);
	if (cc->gate != NULL && gate_feed(cc->gate, cc->gst, name, nlen, val,
	    vlen) == GATE_DROP)
		cc->drop = true;
}

static enum parse_status
inner_parse_regexp(struct inner *in, const char *line, size_t len,
    struct batch *b, const struct gate *gate, struct gate_state *gst,
    struct parse_error *pe)
{
	struct capture_ctx	 cc = { b, gate_active(gate) ? gate : NULL,
				    gst, false };

	if (!regex_captures(in->re, line, len, capture_field, &cc)) {
		pe->kind = len == 0 ? BAD_EMPTY : BAD_FOREIGN_TEXT;
		pe->offset = 0;
		pe->what = "does not match the expression";
		return PARSE_FAIL;
	}
	if (cc.drop || (cc.gate != NULL && !gate_passes(gate, gst)))
		return PARSE_DROP;
	return PARSE_OK;
}

static enum parse_status
inner_parse_none(struct inner *in, const char *line, size_t len,
    struct batch *b, const struct gate *gate, struct gate_state *gst)
{
	const char	*k = in->cfg.message_key;

	batch_add(b, k, strlen(k), line, len, VAL_STRING);
	if (gate_active(gate) && (gate_feed(gate, gst, k, strlen(k), line,
	    len) == GATE_DROP || !gate_passes(gate, gst)))
		return PARSE_DROP;
	return PARSE_OK;
}

static enum parse_status
inner_parse(struct inner *in, const char *line, size_t len, struct batch *b,
    const struct gate *gate, struct gate_state *gst, struct parse_error *pe)
{
	enum parse_status	 st;

	memset(pe, 0, sizeof *pe);
	switch (in->type) {
	case INNER_JSON:
		return json_parse_record(in->jp, line, len, b, gate, gst, pe);
	case INNER_LOGFMT:
		st = logfmt_parse(line, len, &in->lf, b, gate, gst, pe);
		if (st == PARSE_OK && gate_active(gate) && !gate_passes(gate,
		    gst))
			st = PARSE_DROP;
		return st;
	case INNER_REGEXP:
		return inner_parse_regexp(in, line, len, b, gate, gst, pe);
	case INNER_NONE:
		return inner_parse_none(in, line, len, b, gate, gst);
	case INNER_MULTI:
		break;
	}
	pe->kind = BAD_SYNTAX;
	return PARSE_FAIL;
}

/*
 * Tries each format in turn. Of the failures, the one that got furthest
 * into the line says what is wrong with it: a truncated JSON object gets
 * far as JSON and nowhere as logfmt, a truncated text line the reverse.
 */
static enum parse_status
parse_formats(struct parser_priv *pp, const char *line, size_t len,
    struct batch *b, const struct gate *gate, struct gate_state *gst,
    struct parse_error *best, struct inner **used)
{
	struct batch_mark	 m;
	struct gate_state	 saved = *gst;
	struct parse_error	 pe;
	enum parse_status	 st;
	size_t			 i;

	memset(best, 0, sizeof *best);
	batch_mark(b, &m);
	for (i = 0; i < pp->ninner; i++) {
		*gst = saved;
		st = inner_parse(&pp->inner[i], line, len, b, gate, gst, &pe);
		if (st != PARSE_FAIL) {
			*used = &pp->inner[i];
			return st;
		}
		batch_undo(b, &m);
		if (i == 0 || pe.offset > best->offset)
			*best = pe;
	}
	*gst = saved;
	return PARSE_FAIL;
}

/*
 * Invalid UTF-8 replaced by U+FFFD, for replace_invalid_sequence: one
 * per maximal invalid subpart, as the output encoder does.
 */
static const char *
utf8_repair(struct batch *b, const char *s, size_t len, size_t *outlen)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, o = 0, n;
	char			*out = batch_alloc(b, len * 3 + 1);

	while (i < len) {
		if ((n = utf8_seq_len(u + i, len - i)) > 0) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
			continue;
		}
		memcpy(out + o, "\xef\xbf\xbd", 3);
		o += 3;
		i += utf8_invalid_len(u + i, len - i);
	}
	*outlen = o;
	return out;
}

static void
gate_prefeed(const struct gate *gate, struct gate_state *gst,
    const struct batch *b, const struct record *r, bool reserve)
{
	const struct field	*f = record_fields(b, r);
	size_t			 i;

	gate_start(gst);
	for (i = 0; reserve && i < r->nfields; i++) {
		if (!(f[i].flags & FIELD_DELETED) && f[i].type != VAL_OBJECT)
			gate_feed(gate, gst, f[i].key, f[i].klen, f[i].val,
			    f[i].vlen);
		if (f[i].type == VAL_OBJECT)
			i += f[i].vlen;
	}
	gate_final(gst);
}

/* Reserve_data merge: a parsed key replaces the original one. */
static void
merge_originals(const struct parser_cfg *cfg, struct batch *b,
    struct record *r, size_t norig, size_t keyidx)
{
	struct field	*f = record_fields(b, r);
	size_t		 i, j, end = r->nfields;

	for (i = 0; i < norig; i++) {
		if (f[i].flags & FIELD_DELETED)
			continue;
		if (!cfg->reserve_data) {
			f[i].flags |= FIELD_DELETED;
			continue;
		}
		for (j = norig; j < end; j++) {
			if (field_is(&f[j], f[i].key, f[i].klen) &&
			    !(f[j].flags & FIELD_DELETED)) {
				f[i].flags |= FIELD_DELETED;
				break;
			}
			if (f[j].type == VAL_OBJECT)
				j += f[j].vlen;
		}
		if (f[i].type == VAL_OBJECT)
			i += f[i].vlen;
	}
	if (cfg->reserve_data && cfg->remove_key_name_field)
		b->fields[keyidx].flags |= FIELD_DELETED;
}

static void
prefix_keys(const char *prefix, struct batch *b, struct record *r,
    size_t first)
{
	size_t	 i, plen = strlen(prefix), end = r->field0 + r->nfields;

	for (i = first; i < end; i++) {
		struct field	*f = &b->fields[i];
		char		*k = batch_alloc(b, plen + f->klen);

		memcpy(k, prefix, plen);
		memcpy(k + plen, f->key, f->klen);
		f->key = k;
		f->klen += (uint32_t)plen;
		if (f->type == VAL_OBJECT)
			i += f->vlen;
	}
}

/*
 * The record goes on as it came (plus parse_error, when it failed), so
 * the gate judges all of it: with reserve_data false its fields were not
 * fed before the parse.
 */
static enum filter_verdict
gate_unparsed(const struct gate *gate, struct gate_state *gst,
    const struct batch *b, const struct record *r)
{
	if (!gate_active(gate))
		return FILTER_KEEP;
	gate_prefeed(gate, gst, b, r, true);
	return gate_passes(gate, gst) ? FILTER_KEEP : FILTER_GATED;
}

/*
 * Fluentd's emit_invalid_record_to_error: the record is an error event
 * for <label @ERROR> (the route decides, see route_run), which takes it
 * out of the stream unless reserve_data keeps it there too.
 */
static void
error_event(const struct parser_cfg *cfg, struct record *r)
{
	if (cfg->emit_invalid_record_to_error)
		r->flags |= REC_ERROR_EVENT | (cfg->reserve_data ? 0 :
		    REC_ERROR_ONLY);
}

static enum filter_verdict
parse_failed(struct filter *f, struct batch *b, struct record *r,
    const struct gate *gate, struct gate_state *gst, enum bad_kind kind)
{
	const char	*name = bad_kind_name(kind);

	/* A line whose envelope was already broken is counted once, so. */
	if (!(r->flags & REC_PARSE_ERROR)) {
		f->stats->bad[kind]++;
		r->flags |= REC_PARSE_ERROR;
		batch_add(b, FIELD_STR("parse_error"), name, strlen(name),
		    VAL_STRING);
	}
	error_event(f->cfg, r);
	return gate_unparsed(gate, gst, b, r);
}

static enum filter_verdict
parser_run(struct filter *f, struct batch *b, struct record *r,
    const struct gate *gate)
{
	struct parser_cfg	*cfg = f->cfg;
	struct parser_priv	*pp = f->priv;
	struct gate_state	 gst;
	struct parse_error	 pe;
	struct inner		*in = NULL;
	struct field		*src;
	const char		*line;
	size_t			 len, keyidx, norig = r->nfields, first, obj = 0;
	enum parse_status	 st;
	int64_t			 time0 = r->time;

	if (gate_active(gate))
		gate_prefeed(gate, &gst, b, r, cfg->reserve_data);
	src = record_get(b, r, cfg->key_name, pp->key_len);
	if (src == NULL || src->type == VAL_OBJECT) {
		pp->missing_key++;
		error_event(cfg, r);
		return gate_unparsed(gate, &gst, b, r);
	}
	keyidx = (size_t)(src - b->fields);
	line = src->val;
	len = src->vlen;
	if (cfg->hash_value_field != NULL)
		obj = batch_add_object(b, cfg->hash_value_field,
		    strlen(cfg->hash_value_field));
	first = b->nfields;
	st = parse_formats(pp, line, len, b, gate, &gst, &pe, &in);
	if (st == PARSE_FAIL && cfg->replace_invalid_sequence &&
	    !utf8_valid(line, len)) {
		line = utf8_repair(b, line, len, &len);
		st = parse_formats(pp, line, len, b, gate, &gst, &pe, &in);
	}
	if (st == PARSE_DROP)
		return FILTER_GATED;
	if (st == PARSE_FAIL) {
		if (cfg->hash_value_field != NULL)
			b->fields[obj].flags |= FIELD_DELETED;
		return parse_failed(f, b, r, gate, &gst, bad_classify(b->fields
		    [keyidx].val, b->fields[keyidx].vlen, r->flags &
		    REC_TRUNCATED, pe.kind));
	}
	time_cfg_apply(&in->cfg.time, b, r, first, f->stats);
	if (cfg->reserve_time)
		r->time = time0;
	if (cfg->hash_value_field != NULL)
		batch_end_object(b, obj);
	else if (cfg->inject_key_prefix != NULL)
		prefix_keys(cfg->inject_key_prefix, b, r, first);
	merge_originals(cfg, b, r, norig, keyidx);
	return FILTER_KEEP;
}

/* --- pushdown and checks ------------------------------------------------- */

static bool
parser_gate_sink(const struct filter *f)
{
	const struct parser_cfg	*cfg = f->cfg;

	/* Renamed or nested keys are not what a later grep names. */
	return cfg->inject_key_prefix == NULL && cfg->hash_value_field == NULL;
}

static void
parser_check(const struct filter *f, warn_fn warn, void *arg)
{
	const struct parser_priv	*pp = f->priv;
	size_t				 i;

	for (i = 0; i < pp->ninner; i++) {
		const struct inner	*in = &pp->inner[i];
		const char		*tk = in->cfg.time.time_key;

		if (tk != NULL && in->type != INNER_NONE &&
		    strcmp(tk, "time") != 0)
			warn(arg, in->file, in->line, "time_key %s: SPIRE "
			    "writes its time as 'time', never '%s'; records "
			    "keep the runtime's time", tk, tk);
	}
}

static void
parser_reference(struct strbuf *out)
{
	char	 title[128];
	size_t	 i;

	for (i = 0; i < NINNER_TYPES; i++) {
		snprintf(title, sizeof title, "#### <parse> @type %s (parser "
		    "filter; multi_format: `format %s` in a <pattern>)",
		    inner_types[i].name, inner_types[i].name);
		if (inner_types[i].type != INNER_MULTI)
			params_reference(inner_types[i].params, title, out);
	}
}

const struct filter_ops filter_parser = {
	.name = "parser",
	.help = "parse a field (e.g. log) as json, logfmt, regexp, none or "
	    "multi_format",
	.params = parser_params,
	.sections = parser_sections,
	.cfg_size = sizeof(struct parser_cfg),
	.init = parser_init,
	.run = parser_run,
	.destroy = parser_destroy,
	.gate_sink = parser_gate_sink,
	.check = parser_check,
	.reference = parser_reference,
};
