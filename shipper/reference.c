/*
 * reference.c — the configuration reference, from the parameter tables
 * of every plugin and section (see reference.h).
 */
#include "buffer_conf.h"
#include "encode.h"
#include "pipeline.h"
#include "reference.h"
#include "registry.h"

#define HEADING(out, kind, name, help) \
	sb_addf(out, "### %s @type %s\n\n%s.\n\n", kind, name, help)

void
reference_write(struct strbuf *out)
{
	size_t	 i;

	pipeline_reference_system(out);
	for (i = 0; source_registry[i] != NULL; i++) {
		const struct source_ops *o = source_registry[i];

		HEADING(out, "<source>", o->name, o->help);
		params_reference(o->params, "Parameters:", out);
		if (o->reference != NULL)
			o->reference(out);
	}
	for (i = 0; filter_registry[i] != NULL; i++) {
		const struct filter_ops *o = filter_registry[i];

		HEADING(out, "<filter PATTERN>", o->name, o->help);
		params_reference(o->params, "Parameters:", out);
		if (o->reference != NULL)
			o->reference(out);
	}
	for (i = 0; output_registry[i] != NULL; i++) {
		const struct output_ops *o = output_registry[i];

		HEADING(out, "<match PATTERN>", o->name, o->help);
		params_reference(o->params, "Parameters:", out);
		if (o->reference != NULL)
			o->reference(out);
	}
	format_reference(out);
	params_reference(buffer_params, "### <buffer> (in a <match>)", out);
}
