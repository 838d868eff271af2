/*
 * stdout.c — `@type stdout`: records on standard output, NDJSON.
 *
 * A batch is formatted into one buffer and written with as few write(2)
 * calls as the pipe takes, so lines from different batches never mix.
 */
#include <unistd.h>

#include "buffer_conf.h"
#include "encode.h"
#include "mem.h"
#include "plugin.h"

struct stdout_cfg {
	char	*output_type;
};

struct stdout_priv {
	struct format_cfg fmt;
	struct strbuf	 buf;
};

static const char *const stdout_sections[] = { "format", "inject",
	"buffer", NULL };

static const struct param_def stdout_params[] = {
	{ .name = "output_type", .type = PARAM_STRING, .def = "json",
	  .flags = PARAM_NOOP, .offset = offsetof(struct stdout_cfg,
	  output_type), .help = "Fluentd v0.12's format name; use <format>" },
	PARAMS_END
};

static int
stdout_init(struct output *o, struct conf_elem *el, struct err *e)
{
	struct stdout_priv	*sp = xcalloc(1, sizeof *sp);

	o->priv = sp;
	return format_init(&sp->fmt, el, e);
}

static int
stdout_write(struct output *o, const struct batch *b, struct err *e)
{
	struct stdout_priv	*sp = o->priv;

	sb_reset(&sp->buf);
	format_batch(&sp->fmt, &sp->buf, b);
	if (write_all(STDOUT_FILENO, sp->buf.buf, sp->buf.len, e) != 0)
		return err_wrap(e, "standard output");
	o->bytes += sp->buf.len;
	return 0;
}

static void
stdout_destroy(struct output *o)
{
	struct stdout_priv	*sp = o->priv;

	if (sp == NULL)
		return;
	format_free(&sp->fmt);
	sb_free(&sp->buf);
	free(sp);
}

const struct output_ops output_stdout = {
	.name = "stdout",
	.help = "write records to standard output, one JSON object per line",
	.params = stdout_params,
	.sections = stdout_sections,
	.cfg_size = sizeof(struct stdout_cfg),
	.init = stdout_init,
	.write = stdout_write,
	.destroy = stdout_destroy,
};
