/*
 * source_parse.c — a tail source's <parse> (see source_parse.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "mem.h"
#include "params.h"
#include "regex.h"
#include "source_parse.h"

enum { SP_JSON, SP_CRI, SP_CONTAINER, SP_NONE, SP_DOCKER, SP_REGEXP,
	SP_SYSLOG, SP_KUBERNETES, SP_MULTILINE };

static const char *const sp_types[] = {
	"json", "cri", "container", "none", "docker", "regexp", "syslog",
	"kubernetes", "multiline", NULL
};
static const int sp_envelope[] = {
	ENVELOPE_DOCKER, ENVELOPE_CRI, ENVELOPE_AUTO, ENVELOPE_NONE,
	ENVELOPE_DOCKER, ENVELOPE_NONE, ENVELOPE_NONE, ENVELOPE_NONE,
	ENVELOPE_SNIFF,
};

/*
 * The line formats of plain log files, as Fluentd and the DaemonSet image
 * define them: parser_syslog's RFC 3164 regexps, without and with <PRI>
 * (with_priority), read with time_format %b %d %H:%M:%S; and the glog
 * format of Kubernetes components, the image's `kubernetes` parser (a
 * regexp parser whose expression and time_format it sets itself).
 */
static const char sp_syslog[] = "/^(?<time>[^ ]*\\s*[^ ]* [^ ]*) "
    "(?<host>[^ ]*) (?<ident>[^ :\\[]*)(?:\\[(?<pid>[0-9]+)\\])?"
    "(?:[^\\:]*\\:)? *(?<message>.*)$/";
static const char sp_syslog_pri[] = "/^\\<(?<pri>[0-9]+)\\>(?<time>[^ ]* "
    "{1,2}[^ ]* [^ ]*) (?<host>[^ ]*) (?<ident>[^ :\\[]*)"
    "(?:\\[(?<pid>[0-9]+)\\])?(?:[^\\:]*\\:)? *(?<message>.*)$/";
static const char sp_syslog_time[] = "%b %d %H:%M:%S";
static const char sp_glog[] = "/^(?<severity>\\w)(?<time>\\d{4} [^\\s]*)"
    "\\s+(?<pid>\\d+)\\s+(?<source>[^ \\]]+)\\] (?<message>.*)/m";
static const char sp_glog_time[] = "%m%d %H:%M:%S.%N";

/* Fluentd's message_format values; the shipper reads rfc3164 only. */
enum { SYSLOG_RFC3164 };
static const char *const syslog_formats[] = {
	"rfc3164", "rfc5424", "auto", NULL
};

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
	  "file), none, regexp, syslog (RFC 3164: host, ident, pid, "
	  "message; time_format %b %d %H:%M:%S unless set), kubernetes "
	  "(glog: severity, pid, source, message; its own time_format "
	  "%m%d %H:%M:%S.%N) or multiline" },
	TIME_CFG_PARAMS(struct source_parse_cfg, time, "time"),
	{ .name = "message_key", .type = PARAM_STRING, .def = "log",
	  .offset = S(message_key), .help = "field for the line" },
	{ .name = "expression", .type = PARAM_STRING,
	  .offset = S(expression), .help = "regexp: the Ruby regexp, "
	  "/.../ with i, m, x, whose named groups become fields" },
	{ .name = "message_format", .type = PARAM_ENUM, .def = "rfc3164",
	  .choices = syslog_formats, .offset = S(message_format),
	  .help = "syslog: rfc3164 only (RFC 5424 and auto are an error)" },
	{ .name = "with_priority", .type = PARAM_BOOL, .def = "false",
	  .offset = S(with_priority), .help = "syslog: lines start with "
	  "<PRI>, which becomes the number pri (else a line with it does "
	  "not parse its time)" },
	{ .name = "max_nesting", .type = PARAM_INT, .def = "64",
	  .offset = S(max_nesting),
	  .help = "json: deepest nesting of a non-Docker JSON line" },
	{ .name = "format_firstline", .type = PARAM_STRING,
	  .offset = S(format_firstline), .help = "multiline (required): "
	  "/regexp/ of the line that starts an event; the lines after it "
	  "that do not match are joined to it with \\n. In a Docker or CRI "
	  "file the lines are the runtime's log lines, per stream" },
	{ .name = "format1 ... format20", .type = PARAM_STRING,
	  .offset = S(format_n), .help = "multiline: /regexp/ each, without "
	  "flags, from format1 on without gaps; concatenated in order, with "
	  "/m, the regexp searched in the joined event, whose named groups "
	  "become fields" },
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

/* time_format as the parser sets it: syslog's default, glog's own. */
static void
line_time_format(struct source_parse *sp, const char *fmt, bool force)
{
	if (sp->cfg.time.time_format != NULL && !force)
		return;
	free(sp->cfg.time.time_format);
	sp->cfg.time.time_format = xstrdup(fmt);
}

static int
syslog_check(struct source_parse *sp, const struct conf_elem *el,
    struct err *e)
{
	const struct conf_param	*p = conf_param_get(el, "message_format");

	if (sp->cfg.message_format == SYSLOG_RFC3164)
		return 0;
	return err_at(e, p ? p->file : sp->file, p ? p->line : sp->line,
	    "<parse> @type syslog message_format %s: only rfc3164 is "
	    "supported; for RFC 5424 lines use @type regexp with an "
	    "expression for them", syslog_formats[sp->cfg.message_format]);
}

/* The regexp of the line types, and the time_format that goes with it. */
static int
line_pattern(struct source_parse *sp, const struct conf_elem *el,
    const char **pat, struct err *e)
{
	*pat = NULL;
	if (sp->cfg.type == SP_SYSLOG) {
		if (syslog_check(sp, el, e) != 0)
			return -1;
		*pat = sp->cfg.with_priority ? sp_syslog_pri : sp_syslog;
		line_time_format(sp, sp_syslog_time, false);
	} else if (sp->cfg.type == SP_KUBERNETES) {
		*pat = sp_glog;
		line_time_format(sp, sp_glog_time, true);
	} else if (sp->cfg.type == SP_REGEXP &&
	    (*pat = sp->cfg.expression) == NULL)
		return err_at(e, sp->file, sp->line, "<parse> @type regexp "
		    "needs expression /PATTERN/ with named groups");
	return 0;
}

static int
source_parse_regex(struct source_parse *sp, const struct conf_elem *el,
    struct err *e)
{
	const char	*pat;

	if (line_pattern(sp, el, &pat, e) != 0)
		return -1;
	if (pat == NULL)
		return 0;
	if ((sp->re = regex_compile_fluentd(pat, 0, e)) == NULL)
		return err_wrap(e, "%s:%d: <parse> @type %s", sp->file,
		    sp->line, sp_types[sp->cfg.type]);
	return 0;
}

/* --- multiline's regexps ------------------------------------------------- */

struct ml_formats {
	char			*value[ML_FORMAT_MAX];
	const struct conf_param	*param[ML_FORMAT_MAX];
};

/* Is the key formatN (digits only after "format")? Sets N. */
static bool
format_key(const char *key, unsigned long *n)
{
	char	*end;

	if (strncmp(key, "format", 6) != 0 || key[6] < '0' || key[6] > '9')
		return false;
	*n = strtoul(key + 6, &end, 10);
	return *end == '\0';
}

/* format1...format20 are read here, before the table sees them. */
static int
ml_take_formats(struct conf_elem *el, struct ml_formats *mf, struct err *e)
{
	unsigned long	 n;
	size_t		 i;

	for (i = 0; i < el->nparams; i++) {
		struct conf_param	*p = &el->params[i];

		if (!format_key(p->key, &n))
			continue;
		if (n < 1 || n > ML_FORMAT_MAX)
			return err_at(e, p->file, p->line, "<parse> @type "
			    "multiline: %s: the formats are format1 to "
			    "format%d", p->key, ML_FORMAT_MAX);
		mf->value[n - 1] = p->value;
		mf->param[n - 1] = p;
		p->used = true;
	}
	return 0;
}

static struct regex *
ml_compile(const struct conf_param *p, const char *key, unsigned flags,
    struct err *e)
{
	const char	*body;
	size_t		 len;
	struct regex	*re;

	if (!multiline_format_body(p->value, &body, &len)) {
		err_at(e, p->file, p->line, "<parse> @type multiline %s '%s': "
		    "must be a regexp in slashes, /.../, without flags", key,
		    p->value);
		return NULL;
	}
	if ((re = regex_compile_fluentd(p->value, flags, e)) == NULL)
		err_wrap(e, "%s:%d: <parse> @type multiline %s", p->file,
		    p->line, key);
	return re;
}

/* format(n) is missing: before a later one, or there is no format1. */
static int
ml_format_missing(const struct conf_elem *el, const struct ml_formats *mf,
    unsigned n, struct err *e)
{
	unsigned	 j;

	for (j = n; j < ML_FORMAT_MAX; j++)
		if (mf->param[j] != NULL)
			return err_at(e, mf->param[j]->file,
			    mf->param[j]->line, "<parse> @type multiline: "
			    "format%u without format%u: number the formats "
			    "from format1 on, without gaps", j + 1, n);
	return err_at(e, el->file, el->line, "<parse> @type multiline needs "
	    "format1 /REGEXP/ (and format2... to continue it): the regexp "
	    "of a whole event, whose named groups become fields");
}

static int
ml_compile_formats(struct source_parse *sp, const struct conf_elem *el,
    const struct ml_formats *mf, struct err *e)
{
	struct strbuf	 sb = STRBUF_INIT;
	struct regex	*one;
	const char	*why;
	char		*joined, key[16];
	unsigned	 n, i;

	/* Each alone first, as Fluentd checks them, for the line at fault. */
	for (i = 0; i < ML_FORMAT_MAX; i++) {
		if (mf->param[i] == NULL)
			continue;
		snprintf(key, sizeof key, "format%u", i + 1);
		if ((one = ml_compile(mf->param[i], key, REGEX_DOTALL, e)) ==
		    NULL)
			return -1;
		regex_free(one);
	}
	/* Each is /.../ by now: what can be wrong is a gap. */
	if ((n = multiline_join_formats(mf->value, &sb, &why)) != 0) {
		sb_free(&sb);
		return ml_format_missing(el, mf, n, e);
	}
	for (n = 0; n < ML_FORMAT_MAX && mf->param[n] != NULL; n++)
		;
	joined = xasprintf("/%s/", sb_cstr(&sb));
	sp->re = regex_compile_fluentd(joined, REGEX_DOTALL, e);
	free(joined);
	sb_free(&sb);
	if (sp->re == NULL)
		return err_wrap(e, "%s:%d: <parse> @type multiline format1..."
		    "format%u together", el->file, el->line, n);
	if (regex_ngroups(sp->re) == 0)
		return err_at(e, el->file, el->line, "<parse> @type multiline: "
		    "format1...format%u have no named group: use (?<name>...) "
		    "for each field", n);
	return 0;
}

static int
source_parse_multiline(struct source_parse *sp, const struct conf_elem *el,
    const struct ml_formats *mf, struct err *e)
{
	const struct conf_param	*fl = conf_param_get(el, "format_firstline");

	if (fl == NULL)
		return err_at(e, el->file, el->line, "<parse> @type multiline "
		    "needs format_firstline /REGEXP/, the start of an event "
		    "(without it Fluentd emits whenever the lines so far match "
		    "the formats, which the shipper does not do)");
	if ((sp->first_re = ml_compile(fl, "format_firstline", 0, e)) == NULL)
		return -1;
	return ml_compile_formats(sp, el, mf, e);
}

static int
source_parse_setup(struct source_parse *sp, const struct conf_elem *el,
    const struct ml_formats *mf, struct err *e)
{
	sp->envelope = sp_envelope[sp->cfg.type];
	if (sp->cfg.type == SP_MULTILINE) {
		if (source_parse_multiline(sp, el, mf, e) != 0)
			return -1;
	} else if (source_parse_regex(sp, el, e) != 0)
		return -1;
	/* The runtime's time stays in the record as it was written. */
	if (sp->re == NULL && sp->envelope != ENVELOPE_NONE &&
	    sp->cfg.time.time_key != NULL &&
	    strcmp(sp->cfg.time.time_key, "time") == 0) {
		sp->cfg.time.keep_time_key = true;
		sp->runtime_time = sp->cfg.time.time_format == NULL;
	}
	if (sp->envelope == ENVELOPE_DOCKER)
		sp->jp = json_parser_new((unsigned)sp->cfg.max_nesting);
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
	if (i == SP_MULTILINE)
		return err_at(e, source->file, source->line, "<source> format "
		    "multiline: write it as <parse> @type multiline, with "
		    "format_firstline and format1... inside the <parse>");
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
	return source_parse_setup(sp, source, NULL, e);
}

int
source_parse_init(struct source_parse *sp, struct conf_elem *source,
    const char *legacy_format, struct err *e)
{
	struct conf_elem	*el = NULL;
	struct ml_formats	 mf;
	const char		*type;
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
		    -1 : source_parse_setup(sp, source, NULL, e);
	sp->file = el->file;
	sp->line = el->line;
	note_time_key(sp, el);
	memset(&mf, 0, sizeof mf);
	if ((type = conf_get(el, "@type")) != NULL &&
	    strcmp(type, "multiline") == 0 && ml_take_formats(el, &mf, e) != 0)
		return -1;
	if (params_apply(source_parse_params, el, &sp->cfg, "<source> <parse>",
	    e) != 0 || params_check_sections(el, NULL, "<source> <parse>",
	    e) != 0 || time_cfg_check(&sp->cfg.time, el, e) != 0)
		return -1;
	el->used = true;
	return source_parse_setup(sp, el, &mf, e);
}

void
source_parse_free(struct source_parse *sp)
{
	json_parser_free(sp->jp);
	regex_free(sp->re);
	regex_free(sp->first_re);
	sp->re = sp->first_re = NULL;
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
	bool		 pri_number;	/* syslog: pri is a number */
};

/* Fluentd's value.to_i: the digits of pri without their leading zeros. */
static bool
capture_number(struct capture_ctx *cx, const char *name, size_t nlen,
    const char *val, size_t vlen)
{
	if (!cx->pri_number || nlen != 3 || memcmp(name, "pri", 3) != 0)
		return false;
	while (vlen > 1 && *val == '0') {
		val++;
		vlen--;
	}
	batch_add(cx->b, name, nlen, batch_copy(cx->b, val, vlen), vlen,
	    VAL_RAW);
	return true;
}

static void
capture_add(void *arg, const char *name, size_t nlen, const char *val,
    size_t vlen)
{
	struct capture_ctx	*cx = arg;

	if (capture_number(cx, name, nlen, val, vlen))
		return;
	batch_add(cx->b, name, nlen, batch_copy(cx->b, val, vlen), vlen,
	    VAL_STRING);
}

/* regexp, syslog, kubernetes: the named groups, else the raw line. */
static void
regex_line(struct source_parse *sp, struct batch *b, struct record *r,
    const struct logical_line *ll, struct stats *st)
{
	struct capture_ctx	 cx = { b, sp->cfg.type == SP_SYSLOG };

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
	if (sp->re != NULL) {
		regex_line(sp, b, r, ll, st);
		if (env->stream != NULL)	/* multiline in a container log */
			add_copy(b, "stream", env->stream, env->streamlen);
	} else if (ll->not_envelope && sp->envelope != ENVELOPE_NONE)
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

/* --- multiline: lines into events --------------------------------------- */

bool
source_parse_joins(const struct source_parse *sp)
{
	return sp->cfg.type == SP_MULTILINE;
}

struct join_ctx {
	struct source_parse	*sp;
	line_fn			 fn;
	void			*arg;
	const char		*path;
	struct stats		*st;
};

static void
orphan_told(struct join_ctx *jc, const struct ml_event *ev)
{
	if (jc->sp->orphan_told)
		return;
	jc->sp->orphan_told = true;
	log_warn("%s: offset %llu: a line before any line matching "
	    "format_firstline (%s:%d) is kept as a record of its own (the "
	    "first such line; spire_shipper_multiline_orphan_lines_total "
	    "counts them)", jc->path ? jc->path : "input",
	    (unsigned long long)ev->offset, jc->sp->file, jc->sp->line);
}

/* An event (or an orphan line) as the logical line it stands for. */
static void
join_emit(void *arg, const struct ml_event *ev)
{
	struct join_ctx		*jc = arg;
	struct logical_line	 ll;

	if (ev->orphan) {
		jc->st->multiline_orphans++;
		orphan_told(jc, ev);
	} else
		jc->st->multiline_lines += ev->lines - 1;
	if (ev->cut)
		jc->st->truncated++;
	memset(&ll, 0, sizeof ll);
	ll.content = ev->text;
	ll.len = ev->len;
	ll.offset = ev->offset;
	ll.end = ev->end;
	ll.env = ev->env;
	ll.physical = ev->lines;
	ll.truncated = ev->truncated;
	jc->fn(jc->arg, &ll);
}

void
source_parse_join(struct source_parse *sp, struct multiline *ml,
    const struct logical_line *ll, line_fn fn, void *arg, const char *path,
    struct stats *st)
{
	struct join_ctx	 jc = { sp, fn, arg, path, st };
	struct ml_line	 l = { ll->content, ll->len, ll->offset, ll->end,
			    &ll->env, ll->truncated };

	multiline_feed(ml, &l, regex_match(sp->first_re, ll->content,
	    ll->len), join_emit, &jc);
}

void
source_parse_join_flush(struct source_parse *sp, struct multiline *ml,
    line_fn fn, void *arg, const char *path, struct stats *st)
{
	struct join_ctx	 jc = { sp, fn, arg, path, st };

	multiline_flush(ml, join_emit, &jc);
}

void
source_parse_reference(struct strbuf *out)
{
	params_reference(source_parse_params, "#### <parse> (tail source: "
	    "the container runtime's envelope)", out);
}
