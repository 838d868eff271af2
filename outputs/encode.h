/*
 * encode.h — the <format> section of a <match>: records to bytes, and
 * getting those bytes out.
 *
 * json (one object per line, the default), single_value (one field's
 * value per line) or ecs (Elastic Common Schema documents, ecs.c). Every output formats through here, so whatever the
 * input, what leaves the shipper is valid UTF-8.
 */
#ifndef OUTPUTS_ENCODE_H
#define OUTPUTS_ENCODE_H

#include <stdbool.h>

#include "config.h"
#include "err.h"
#include "inject.h"
#include "record.h"
#include "strbuf.h"

enum format_type {
	FORMAT_JSON,
	FORMAT_SINGLE_VALUE,
	FORMAT_ECS,
};

struct format_cfg {
	int	 type;
	char	*message_key;
	bool	 add_newline;
	char	*json_parser;
	struct inject inject;	/* the <match>'s <inject> */
};

/* Reads the <format> and <inject> children of a <match> (json, nothing
 * injected, when there are none). */
int	format_init(struct format_cfg *fc, struct conf_elem *match,
	    struct err *e);
void	format_free(struct format_cfg *fc);
/* Appends one record, without the newline. */
void	format_record(const struct format_cfg *fc, struct strbuf *sb,
	    const struct batch *b, const struct record *r);
/* Appends the committed records of b, one per line. */
void	format_batch(const struct format_cfg *fc, struct strbuf *sb,
	    const struct batch *b);

void	format_reference(struct strbuf *out);

/* Writes all of p to fd, waiting when it is non-blocking. */
int	write_all(int fd, const char *p, size_t n, struct err *e);

#endif
