/*
 * null.c — `@type null`: counts records and drops them (on purpose).
 */
#include "plugin.h"

static const char *const null_sections[] = { "buffer", NULL };
static const struct param_def null_params[] = { PARAMS_END };

static int
null_write(struct output *o, const struct batch *b, struct err *e)
{
	(void)o;
	(void)b;
	(void)e;
	return 0;
}

const struct output_ops output_null = {
	.name = "null",
	.help = "discard records (they are still counted as delivered)",
	.params = null_params,
	.sections = null_sections,
	.cfg_size = 0,
	.write = null_write,
};
