/*
 * elasticsearch.h — what the Elasticsearch output tells the metrics
 * endpoint: requests and items by HTTP status, retries, dead letters,
 * duplicates, bytes, and the bulk latency as a Prometheus histogram.
 */
#ifndef OUTPUTS_ELASTICSEARCH_H
#define OUTPUTS_ELASTICSEARCH_H

#include <stdint.h>

struct output;

/* Statuses 0..599; 0 counts requests that got no response. */
#define ES_STATUS_MAX		600
/* Upper bounds in seconds (Prometheus' defaults); one more for +Inf. */
#define ES_LATENCY_NBOUNDS	11
extern const double es_latency_bounds[ES_LATENCY_NBOUNDS];

struct es_counters {
	uint64_t	 requests[ES_STATUS_MAX];	/* bulk requests */
	uint64_t	 items[ES_STATUS_MAX];		/* bulk items */
	uint64_t	 retried;	/* entries to be sent again (429, 5xx) */
	uint64_t	 failed;	/* bulk requests that failed whole */
	uint64_t	 dead_letters;	/* entries rejected for good */
	uint64_t	 error_events;	/* of those, taken by <label @ERROR> */
	uint64_t	 duplicates;	/* create answered 409: already there */
	uint64_t	 splits;	/* requests halved after a 413 */
	uint64_t	 bytes_raw;	/* bulk bodies before compression */
	uint64_t	 bytes_sent;	/* as sent */
	/* Not cumulative: latency[i] counts requests in bucket i alone
	 * (the last is +Inf); exporters add them up. */
	uint64_t	 latency[ES_LATENCY_NBOUNDS + 1];
	double		 latency_sum;
	uint64_t	 latency_count;
};

/* The counters of an `@type elasticsearch` output, or NULL for another. */
const struct es_counters *es_output_counters(const struct output *o);

#endif
