/*
 * encode.c — the <format> section of a <match> (see encode.h).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "ecs.h"
#include "encode.h"
#include "jsonenc.h"
#include "params.h"

static const char *const format_types[] = { "json", "single_value", "ecs",
	NULL };
static const char *const json_parsers[] = { "oj", "yajl", "json", NULL };

#define F(field)	offsetof(struct format_cfg, field)
static const struct param_def format_params[] = {
	{ .name = "@type", .type = PARAM_ENUM, .def = "json",
	  .choices = format_types, .offset = F(type),
	  .help = "json (a JSON object per line), single_value, or ecs (Elastic "
	  "Common Schema 8 documents, see ECS in the README)" },
	{ .name = "message_key", .type = PARAM_STRING, .def = "message",
	  .offset = F(message_key), .help = "single_value: the field written" },
	{ .name = "add_newline", .type = PARAM_BOOL, .def = "true",
	  .offset = F(add_newline), .help = "end each record with a newline" },
	{ .name = "json_parser", .type = PARAM_ENUM, .def = "yajl",
	  .choices = json_parsers, .flags = PARAM_NOOP, .offset = F(json_parser),
	  .help = "accepted for compatibility" },
	PARAMS_END
};
#undef F

/*
 * <inject> (Fluentd's names). Adding the tag, time or host to records is
 * not implemented yet: a configuration that asks for it is refused, one
 * that leaves them unset (the DaemonSet's `|| use_nil`) loads.
 */
struct inject_cfg {
	char	*tag_key;
	char	*time_key;
	char	*hostname_key;
	char	*worker_id_key;
	char	*time_type;
	char	*time_format;
	bool	 localtime;
	bool	 utc;
	char	*timezone;
	char	*hostname;
};

#define I(field)	offsetof(struct inject_cfg, field)
static const struct param_def inject_params[] = {
	{ .name = "tag_key", .type = PARAM_STRING, .offset = I(tag_key),
	  .help = "not implemented: must be unset" },
	{ .name = "time_key", .type = PARAM_STRING, .offset = I(time_key),
	  .help = "not implemented: must be unset (records carry @timestamp)" },
	{ .name = "hostname_key", .type = PARAM_STRING,
	  .offset = I(hostname_key), .help = "not implemented: must be unset" },
	{ .name = "worker_id_key", .type = PARAM_STRING,
	  .offset = I(worker_id_key), .help = "not implemented: must be unset" },
	{ .name = "time_type", .type = PARAM_STRING, .flags = PARAM_NOOP,
	  .offset = I(time_type), .help = "with time_key only" },
	{ .name = "time_format", .type = PARAM_STRING, .flags = PARAM_NOOP,
	  .offset = I(time_format), .help = "with time_key only" },
	{ .name = "localtime", .type = PARAM_BOOL, .def = "false",
	  .flags = PARAM_NOOP, .offset = I(localtime),
	  .help = "with time_key only" },
	{ .name = "utc", .type = PARAM_BOOL, .def = "true", .flags = PARAM_NOOP,
	  .offset = I(utc), .help = "with time_key only" },
	{ .name = "timezone", .type = PARAM_STRING, .flags = PARAM_NOOP,
	  .offset = I(timezone), .help = "with time_key only" },
	{ .name = "hostname", .type = PARAM_STRING, .flags = PARAM_NOOP,
	  .offset = I(hostname), .help = "with hostname_key only" },
	PARAMS_END
};
#undef I

static int
inject_check(struct conf_elem *match, struct err *e)
{
	struct inject_cfg	 ic;
	struct conf_elem	*el = NULL;
	const char		*asked = NULL;
	size_t			 i;
	int			 rc;

	for (i = 0; i < match->nelems; i++)
		if (strcmp(match->elems[i].name, "inject") == 0)
			el = &match->elems[i];
	if (el == NULL)
		return 0;
	memset(&ic, 0, sizeof ic);
	rc = params_apply(inject_params, el, &ic, "<inject>", e);
	if (rc == 0 && (rc = params_check_sections(el, NULL, "<inject>", e)) ==
	    0) {
		asked = ic.tag_key && *ic.tag_key ? "tag_key" :
		    ic.time_key && *ic.time_key ? "time_key" :
		    ic.hostname_key && *ic.hostname_key ? "hostname_key" :
		    ic.worker_id_key && *ic.worker_id_key ? "worker_id_key" :
		    NULL;
		if (asked != NULL)
			rc = err_at(e, el->file, el->line, "<inject> %s: adding "
			    "fields to records is not implemented yet; remove "
			    "it (records carry their tag's component and "
			    "@timestamp)", asked);
	}
	params_free(inject_params, &ic);
	el->used = true;
	return rc;
}

int
format_init(struct format_cfg *fc, struct conf_elem *match, struct err *e)
{
	struct conf_elem	*el = NULL;
	size_t			 i;

	memset(fc, 0, sizeof *fc);
	if (inject_check(match, e) != 0)
		return -1;
	for (i = 0; i < match->nelems; i++)
		if (strcmp(match->elems[i].name, "format") == 0)
			el = &match->elems[i];
	if (el == NULL)
		return params_defaults(format_params, fc, e);
	if (params_apply(format_params, el, fc, "<format>", e) != 0 ||
	    params_check_sections(el, NULL, "<format>", e) != 0)
		return -1;
	el->used = true;
	return 0;
}

void
format_free(struct format_cfg *fc)
{
	params_free(format_params, fc);
}

static void
format_single(const struct format_cfg *fc, struct strbuf *sb,
    const struct batch *b, const struct record *r)
{
	const struct field	*f = record_get(b, r, fc->message_key,
				    strlen(fc->message_key));
	struct strbuf		 tmp = STRBUF_INIT;

	if (f == NULL)
		return;
	if (f->type == VAL_RAW) {
		sb_add(sb, f->val, f->vlen);
		return;
	}
	/* The JSON escaper is also the UTF-8 repairer: strip its quotes. */
	json_put_string(&tmp, f->val, f->vlen);
	sb_add(sb, tmp.buf + 1, tmp.len - 2);
	sb_free(&tmp);
}

void
format_record(const struct format_cfg *fc, struct strbuf *sb,
    const struct batch *b, const struct record *r)
{
	if (fc->type == FORMAT_SINGLE_VALUE)
		format_single(fc, sb, b, r);
	else if (fc->type == FORMAT_ECS)
		ecs_put_record(sb, b, r);
	else
		json_put_record(sb, b, r);
}

void
format_batch(const struct format_cfg *fc, struct strbuf *sb,
    const struct batch *b)
{
	size_t	 i;

	for (i = 0; i < b->nrecs; i++) {
		format_record(fc, sb, b, &b->recs[i]);
		if (fc->add_newline)
			sb_addc(sb, '\n');
	}
}

int
write_all(int fd, const char *p, size_t n, struct err *e)
{
	ssize_t	 w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd	 pfd = { .fd = fd, .events = POLLOUT };

			poll(&pfd, 1, 1000);
			continue;
		}
		return err_set(e, "write: %s", w < 0 ? strerror(errno) :
		    "nothing written");
	}
	return 0;
}

void
format_reference(struct strbuf *out)
{
	params_reference(format_params, "### <format> (in a <match>)", out);
}
