/*
 * registry.c — the one place that lists every plugin.
 */
#include <stddef.h>
#include <string.h>

#include "registry.h"

extern const struct source_ops source_tail;
extern const struct source_ops source_prometheus;
extern const struct source_ops source_prometheus_monitor;
extern const struct source_ops source_prometheus_output_monitor;
extern const struct source_ops source_prometheus_tail_monitor;
extern const struct source_ops source_monitor_agent;
extern const struct filter_ops filter_parser;
extern const struct filter_ops filter_grep;
extern const struct filter_ops filter_spire;
extern const struct filter_ops filter_kubernetes_metadata;
extern const struct output_ops output_stdout;
extern const struct output_ops output_file;
extern const struct output_ops output_null;
extern const struct output_ops output_elasticsearch;
extern const struct output_ops output_kafka2;

const struct source_ops *const source_registry[] = {
	&source_tail,
	&source_prometheus,
	&source_prometheus_monitor,
	&source_prometheus_output_monitor,
	&source_prometheus_tail_monitor,
	&source_monitor_agent,
	NULL
};

const struct filter_ops *const filter_registry[] = {
	&filter_parser,
	&filter_grep,
	&filter_spire,
	&filter_kubernetes_metadata,
	NULL
};

const struct output_ops *const output_registry[] = {
	&output_stdout,
	&output_file,
	&output_null,
	&output_elasticsearch,
	&output_kafka2,
	NULL
};

#define NAME_AT(p, off)	(*(const char *const *)((const char *)(p) + (off)))

static const void *
registry_find(const void *const *reg, size_t name_offset, const char *name)
{
	size_t	 i;

	for (i = 0; reg[i] != NULL; i++)
		if (strcmp(NAME_AT(reg[i], name_offset), name) == 0)
			return reg[i];
	return NULL;
}

const struct source_ops *
registry_source(const char *name)
{
	return registry_find((const void *const *)source_registry,
	    offsetof(struct source_ops, name), name);
}

const struct filter_ops *
registry_filter(const char *name)
{
	return registry_find((const void *const *)filter_registry,
	    offsetof(struct filter_ops, name), name);
}

const struct output_ops *
registry_output(const char *name)
{
	return registry_find((const void *const *)output_registry,
	    offsetof(struct output_ops, name), name);
}

void
registry_names(const void *const *reg, size_t name_offset, struct strbuf *out)
{
	size_t	 i;

	for (i = 0; reg[i] != NULL; i++)
		sb_addf(out, "%s%s", i ? ", " : "", NAME_AT(reg[i], name_offset));
}

void
registry_source_names(struct strbuf *out)
{
	registry_names((const void *const *)source_registry,
	    offsetof(struct source_ops, name), out);
}

void
registry_filter_names(struct strbuf *out)
{
	registry_names((const void *const *)filter_registry,
	    offsetof(struct filter_ops, name), out);
}

void
registry_output_names(struct strbuf *out)
{
	registry_names((const void *const *)output_registry,
	    offsetof(struct output_ops, name), out);
}
