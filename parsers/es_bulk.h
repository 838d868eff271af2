/*
 * es_bulk.h — Elasticsearch's bulk response, read item by item.
 *
 *   {"took":3,"errors":true,"items":[
 *     {"create":{"_index":"i","_id":"1","status":409,
 *       "error":{"type":"version_conflict_engine_exception",
 *                "reason":"...","caused_by":{...}}}}, ...]}
 *
 * Items are reported in order, one callback each, as the yajl event
 * parser meets them: no tree is built, so a response for 20 MiB of
 * documents costs the memory of one item. A body that is no bulk
 * response (an HTML error page from a proxy, truncated JSON, an error
 * object) is an error, with yajl's reason.
 */
#ifndef PARSERS_ES_BULK_H
#define PARSERS_ES_BULK_H

#include <stdbool.h>
#include <stddef.h>

struct es_bulk_item {
	size_t		 n;		/* position in items, from 0 */
	const char	*action;	/* index, create, update, delete */
	int		 status;	/* 0 when missing */
	/* Strings are "" when missing; valid during the callback. */
	const char	*index;
	const char	*id;
	const char	*error_type;
	const char	*error_reason;
	const char	*caused_by_type;
	const char	*caused_by_reason;
};

/* Return 0 to go on, anything else to stop the parse (an error). */
typedef int (*es_bulk_item_fn)(void *arg, const struct es_bulk_item *it);

struct es_bulk_summary {
	size_t		 items;
	bool		 errors;	/* the response's own "errors" flag */
	long long	 took;		/* ms, -1 when missing */
};

struct es_bulk_parser;

struct es_bulk_parser *es_bulk_new(es_bulk_item_fn cb, void *arg);
void	es_bulk_free(struct es_bulk_parser *p);
/* Feeds the next bytes of the body; 0, or -1 (see es_bulk_error). */
int	es_bulk_feed(struct es_bulk_parser *p, const char *buf, size_t len);
/* The body is complete: 0 and the summary, or -1. */
int	es_bulk_finish(struct es_bulk_parser *p, struct es_bulk_summary *sum);
/* Why the body is not a bulk response. */
const char *es_bulk_error(const struct es_bulk_parser *p);

/* The whole body at once; errmsg gets the reason on -1. */
int	es_bulk_parse(const char *body, size_t len, es_bulk_item_fn cb,
	    void *arg, struct es_bulk_summary *sum, char *errmsg,
	    size_t errsize);

#endif
