/*
 * source_parse.c — a tail source's <parse> (see source_parse.h).
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "mem.h"
#include "params.h"
#include "regex.h"
#include "source_parse.h"

enum { SP_JSON, SP_CRI, SP_CONTAINER, SP_NONE, SP_DOCKER, SP_REGEXP,
	SP_SYSLOG, SP_KUBERNETES };

static const char *const sp_types[] = {
	"json", "cri", "container", "none", "docker", "regexp", "syslog",
	"kubernetes", NULL
};
static const int sp_envelope[] = {
	ENVELOPE_DOCKER, ENVELOPE_CRI, ENVELOPE_AUTO, ENVELOPE_NONE,
	ENVELOPE_DOCKER, ENVELOPE_NONE, ENVELOPE_NONE, ENVELOPE_NONE,
};

/*
 * The line formats of plain log files: Fluentd's syslog parser (RFC 3164,
 * with or without <PRI>) and the glog format of Kubernetes components
 * (fluent-plugin-kubernetes' `kubernetes` parser, one line per record).
 */
static const char sp_syslog[] = "^(?:\\<(?<pri>[0-9]+)\\>)?(?<time>[^ ]*"
    "\\s*[^ ]* [^ ]*) (?<host>[^ ]*) (?<ident>[^ :\\[]*)"
    "(?:\\[(?<pid>[0-9]+)\\])?(?:[^\\:]*\\:)? *(?<message>.*)$";
static const char sp_glog[] = "^(?<severity>\\w)(?<time>\\d{4} [^\\s]*)"
    "\\s+(?<pid>\\d+)\\s+(?<source>[^ \\]]+)\\] (?<message>.*)$";

/* The types of <parse> a tail source knows, for --dry-run's check. */
bool
source_parse_known(const char *type)
{
	size_t	 i;

	for (i = 0; sp_types[i] != NULL; i++)
		if (strcmp(sp_types[i], type) == 0)
			return true;
	return false;
}

#define S(field)	offsetof(struct source_parse_cfg, field)
static const struct param_def source_parse_params[] = {
	{ .name = "@type", .type = PARAM_ENUM, .def = "container",
	  .choices = sp_types, .offset = S(type),
	  .help = "json (Docker json-file), cri, container (either, per "
	  "file), none, regexp, syslog or kubernetes (glog)" },
	TIME_CFG_PARAMS(struct source_parse_cfg, time, "time"),
	{ .name = "message_key", .type = PARAM_STRING, .def = "log",
	  .offset = S(message_key), .help = "field for the line" },
	{ .name = "expression", .type = PARAM_STRING,
	  .offset = S(expression), .help = "regexp: the Ruby regexp, "
	  "/.../ with i, m, x, whose named groups become fields" },
	{ .name = "message_format", .type = PARAM_STRING, .def = "rfc3164",
	  .offset = S(message_format), .help = "syslog: rfc3164 only" },
	{ .name = "with_priority", .type = PARAM_BOOL, .def = "true",
	  .flags = PARAM_NOOP, .offset = S(with_priority),
	  .help = "syslog: <PRI> is optional either way" },
	{ .name = "max_nesting", .type = PARAM_INT, .def = "64",
	  .offset = S(max_nesting),
	  .help = "json: deepest nesting of a non-Docker JSON line" },
	PARAMS_END
};
#undef S

static void
note_time_key(struct source_parse *sp, const struct conf_elem *el)
{
	const struct conf_param	*p = conf_param_get(el, "time_key");

	sp->tk_file = p ? p->file : el->file;
	sp->tk_line = p ? p->line : el->line;
}

static int
source_parse_regex(struct source_parse *sp, struct err *e)
{
	const char	*pat = NULL;

	if (sp->cfg.type == SP_SYSLOG)
		pat = sp_syslog;
	else if (sp->cfg.type == SP_KUBERNETES)
		pat = sp_glog;
	else if (sp->cfg.type == SP_REGEXP &&
	    (pat = sp->cfg.expression) == NULL)
		return err_at(e, sp->file, sp->line, "<parse> @type regexp "
		    "needs expression /PATTERN/ with named groups");
	if (pat == NULL)
		return 0;
	if ((sp->re = regex_compile_fluentd(pat, 0, e)) == NULL)
		return err_wrap(e, "%s:%d: <parse> @type %s", sp->file,
		    sp->line, sp_types[sp->cfg.type]);
	return 0;
}

static int
source_parse_setup(struct source_parse *sp, struct err *e)
{
	sp->envelope = sp_envelope[sp->cfg.type];
	if (source_parse_regex(sp, e) != 0)
		return -1;
	/* The runtime's time stays in the record as it was written. */
	if (sp->envelope != ENVELOPE_NONE && sp->cfg.time.time_key != NULL &&
	    strcmp(sp->cfg.time.time_key, "time") == 0) {
		sp->cfg.time.keep_time_key = true;
		sp->runtime_time = sp->cfg.time.time_format == NULL;
	}
	if (sp->envelope == ENVELOPE_DOCKER)
		sp->jp = json_parser_new((unsigned)sp->cfg.max_nesting);
	(void)e;
	return 0;
}

/* Fluentd's old form: `format json` and time_* beside it in <source>. */
static int
source_parse_legacy(struct source_parse *sp, struct conf_elem *source,
    const char *format, struct err *e)
{
	size_t	 i;

	if (params_defaults(source_parse_params, &sp->cfg, e) != 0)
		return -1;
	for (i = 0; sp_types[i] != NULL; i++)
		if (strcmp(sp_types[i], format) == 0)
			break;
	if (sp_types[i] == NULL)
		return err_at(e, source->file, source->line, "<source> format "
		    "'%s': valid formats are json, cri, container, none, "
		    "regexp, syslog, kubernetes",
		    format);
	sp->cfg.type = (int)i;
	note_time_key(sp, source);
	for (i = 0; i < source->nparams; i++) {
		struct conf_param	*p = &source->params[i];
		char			**slot = NULL;

		if (strcmp(p->key, "time_key") == 0)
			slot = &sp->cfg.time.time_key;
		else if (strcmp(p->key, "time_format") == 0)
			slot = &sp->cfg.time.time_format;
		if (slot == NULL)
			continue;
		free(*slot);
		*slot = xstrdup(p->value);
	}
	return source_parse_setup(sp, e);
}

int
source_parse_init(struct source_parse *sp, struct conf_elem *source,
    const char *legacy_format, struct err *e)
{
	struct conf_elem	*el = NULL;
	size_t			 i;

	memset(sp, 0, sizeof *sp);
	sp->file = sp->tk_file = source->file;
	sp->line = sp->tk_line = source->line;
	for (i = 0; i < source->nelems; i++)
		if (strcmp(source->elems[i].name, "parse") == 0)
			el = &source->elems[i];
	if (el != NULL && legacy_format != NULL)
		return err_at(e, source->file, source->line, "<source> has both "
		    "format and <parse>: keep one");
	if (el == NULL && legacy_format != NULL)
		return source_parse_legacy(sp, source, legacy_format, e);
	if (el == NULL)
		return params_defaults(source_parse_params, &sp->cfg, e) != 0 ?
		    -1 : source_parse_setup(sp, e);
	sp->file = el->file;
	sp->line = el->line;
	note_time_key(sp, el);
	if (params_apply(source_parse_params, el, &sp->cfg, "<source> <parse>",
	    e) != 0 || params_check_sections(el, NULL, "<source> <parse>",
	    e) != 0 || time_cfg_check(&sp->cfg.time, el, e) != 0)
		return -1;
	el->used = true;
	return source_parse_setup(sp, e);
}

void
source_parse_free(struct source_parse *sp)
{
	json_parser_free(sp->jp);
	regex_free(sp->re);
	sp->re = NULL;
	params_free(source_parse_params, &sp->cfg);
	sp->jp = NULL;
}

const char *
source_parse_type(const struct source_parse *sp)
{
	return sp_types[sp->cfg.type];
}

static void
add_copy(struct batch *b, const char *key, const char *val, size_t vlen)
{
	batch_add(b, key, strlen(key), batch_copy(b, val, vlen), vlen,
	    VAL_STRING);
}

struct capture_ctx {
	struct batch	*b;
};

static void
capture_add(void *arg, const char *name, size_t nlen, const char *val,
    size_t vlen)
{
	struct capture_ctx	*cx = arg;

	batch_add(cx->b, name, nlen, batch_copy(cx->b, val, vlen), vlen,
	    VAL_STRING);
}

/* regexp, syslog, kubernetes: the named groups, else the raw line. */
static void
regex_line(struct source_parse *sp, struct batch *b, struct record *r,
    const struct logical_line *ll, struct stats *st)
{
	struct capture_ctx	 cx = { b };

	if (regex_captures(sp->re, ll->content, ll->len, capture_add, &cx))
		return;
	st->bad[BAD_ENVELOPE]++;
	r->flags |= REC_PARSE_ERROR;
	add_copy(b, sp->cfg.message_key, ll->content, ll->len);
	batch_add(b, FIELD_STR("parse_error"), FIELD_STR("pattern not "
	    "matched"), VAL_STRING);
}

/* A line that is not of the envelope's format. */
static void
raw_line(struct source_parse *sp, struct batch *b, struct record *r,
    const struct logical_line *ll, struct stats *st)
{
	struct parse_error	 pe;
	struct batch_mark	 m;
	const char		*copy;

	copy = batch_copy(b, ll->content, ll->len);
	if (sp->jp != NULL && ll->len > 0 && ll->content[0] == '{') {
		batch_mark(b, &m);
		if (json_parse_record(sp->jp, copy, ll->len, b, NULL, NULL,
		    &pe) == PARSE_OK)
			return;		/* a JSON log that is not Docker's */
		batch_undo(b, &m);
	}
	st->bad[BAD_ENVELOPE]++;
	r->flags |= REC_PARSE_ERROR;
	batch_add(b, sp->cfg.message_key, strlen(sp->cfg.message_key), copy,
	    ll->len, VAL_STRING);
	batch_add(b, FIELD_STR("parse_error"), FIELD_STR("envelope"),
	    VAL_STRING);
}

void
source_parse_record(struct source_parse *sp, struct batch *b,
    struct record *r, const struct logical_line *ll, int64_t now,
    const char *path_key, const char *path, struct stats *st)
{
	const struct envelope	*env = &ll->env;
	size_t			 first = b->nfields;

	r->offset = ll->offset;
	r->time = env->time_ns != 0 ? env->time_ns : now;
	if (sp->re != NULL)
		regex_line(sp, b, r, ll, st);
	else if (ll->not_envelope && sp->envelope != ENVELOPE_NONE)
		raw_line(sp, b, r, ll, st);
	else {
		add_copy(b, sp->cfg.message_key, ll->content, ll->len);
		if (env->stream != NULL)
			add_copy(b, "stream", env->stream, env->streamlen);
		if (env->time != NULL)
			add_copy(b, "time", env->time, env->timelen);
		if (env->logtag != NULL)
			add_copy(b, "logtag", env->logtag, env->logtaglen);
	}
	if (ll->truncated) {
		r->flags |= REC_TRUNCATED;
		batch_add(b, FIELD_STR("truncated"), FIELD_STR("true"), VAL_RAW);
	}
	if (path_key != NULL)
		add_copy(b, path_key, path, strlen(path));
	/* The runtime's own time was read with the envelope already. */
	if (!sp->runtime_time || ll->not_envelope || env->time_ns == 0)
		time_cfg_apply(&sp->cfg.time, b, r, first, st);
}

void
source_parse_reference(struct strbuf *out)
{
	params_reference(source_parse_params, "#### <parse> (tail source: "
	    "the container runtime's envelope)", out);
}
