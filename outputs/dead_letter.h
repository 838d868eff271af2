/*
 * dead_letter.h — where a buffered output puts what its peer rejected
 * for good (see dead_letter.c).
 */
#ifndef OUTPUTS_DEAD_LETTER_H
#define OUTPUTS_DEAD_LETTER_H

#include <stddef.h>

#include "buffer_conf.h"
#include "err.h"
#include "strbuf.h"

struct dead_letter {
	char		*path;		/* NULL: the error log */
	int		 fd;		/* -1 until the first write */
	const char	*who;		/* "<match> at file:line" */
	const char	*peer;		/* "Elasticsearch", "Kafka" */
};

/* Appends doc as it was if it is one JSON object, else as a string. */
void	dead_letter_put_doc(struct strbuf *out, const char *doc, size_t len);
/* Writes lines (count of them) durably, or logs each; 0 or -1. */
int	dead_letter_write(struct dead_letter *dl, const struct strbuf *lines,
	    size_t count, struct err *e);
void	dead_letter_close(struct dead_letter *dl);
/* dead-letter.ndjson in a file buffer's directory; NULL for memory. */
char	*dead_letter_default_path(const struct buffer_cfg *bc);

#endif
