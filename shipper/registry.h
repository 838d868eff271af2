/*
 * registry.h — the one place that lists every plugin.
 */
#ifndef SHIPPER_REGISTRY_H
#define SHIPPER_REGISTRY_H

#include "plugin.h"

extern const struct source_ops *const source_registry[];
extern const struct filter_ops *const filter_registry[];
extern const struct output_ops *const output_registry[];

const struct source_ops *registry_source(const char *name);
const struct filter_ops *registry_filter(const char *name);
const struct output_ops *registry_output(const char *name);

/* "a, b, c": the valid names, for error messages. */
void	registry_names(const void *const *reg, size_t name_offset,
	    struct strbuf *out);
void	registry_source_names(struct strbuf *out);
void	registry_filter_names(struct strbuf *out);
void	registry_output_names(struct strbuf *out);

#endif
