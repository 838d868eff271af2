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

int
format_init(struct format_cfg *fc, struct conf_elem *match, struct err *e)
{
	struct conf_elem	*el = NULL;
	size_t			 i;

	memset(fc, 0, sizeof *fc);
	if (inject_init(&fc->inject, match, e) != 0)
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
	if (fc->type == FORMAT_ECS && fc->inject.on)
		return err_at(e, el->file, el->line, "<format> @type ecs with "
		    "<inject>: an ECS document has its own @timestamp, host "
		    "and tags; remove the <inject> keys, or use @type json");
	return 0;
}

void
format_free(struct format_cfg *fc)
{
	inject_free(&fc->inject);
	params_free(format_params, fc);
}

static void
format_single(const struct format_cfg *fc, struct strbuf *sb,
    const struct batch *b, const struct record *r)
{
	const struct field	*f = record_get(b, r, fc->message_key,
				    strlen(fc->message_key));
	struct strbuf		 tmp = STRBUF_INIT;

	if (inject_put_value(&fc->inject, sb, b, r, fc->message_key))
		return;
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
	else if (fc->inject.on) {
		int	 first = 1;

		sb_addc(sb, '{');
		json_put_members(sb, b, r, fc->inject.skip, fc->inject.nskip,
		    &first);
		inject_put_members(&fc->inject, sb, b, r, &first);
		sb_addc(sb, '}');
	} else
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
	inject_reference(out);
}
