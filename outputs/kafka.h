/*
 * kafka.h — the parts of the Kafka output (`@type kafka2`), one job per
 * file:
 *
 *   kafka.c        parameters, the librdkafka configuration, the ops
 *                  table, start and stop (the producer, its poll fd)
 *   kafka_entry.c  a record to its buffer entry: topic, key, partition
 *                  key, headers and value, framed; and back
 *   kafka_send.c   entries produced, delivery reports to entry results,
 *                  dead letters
 *
 * The one idea: an entry is settled only by its delivery report, which
 * librdkafka gives after the broker acknowledged it (acks=-1 and the
 * idempotent producer by default), and reports are served on the loop's
 * thread only (librdkafka wakes the loop through a pipe).
 */
#ifndef OUTPUTS_KAFKA_H
#define OUTPUTS_KAFKA_H

#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "buffer.h"
#include "dead_letter.h"
#include "encode.h"
#include "plugin.h"

#define KAFKA_PATH_MAX	4	/* levels of a $.a.b record accessor */
#define KAFKA_HEADERS_MAX 16	/* headers_from_record */

enum kafka_codec { KAFKA_NONE, KAFKA_GZIP, KAFKA_SNAPPY, KAFKA_LZ4,
	KAFKA_ZSTD };
enum kafka_scram { KAFKA_SCRAM_NONE, KAFKA_SCRAM_SHA256,
	KAFKA_SCRAM_SHA512 };

struct kafka_cfg {
	char		*brokers;
	char		*default_topic;
	char		*topic_key;
	char		*default_message_key;
	char		*message_key_key;
	char		*partition_key_key;
	char		**headers;		/* static: name, value, ... */
	char		**headers_from_record;	/* name, accessor, ... */
	int		 compression_codec;
	long long	 required_acks;
	long long	 max_send_retries;
	double		 ack_timeout;
	bool		 idempotent;
	char		*ssl_ca_cert;
	bool		 ssl_ca_certs_from_system;
	char		*ssl_client_cert;
	char		*ssl_client_cert_key;
	bool		 ssl_verify_hostname;
	char		*username;
	char		*password;
	int		 scram_mechanism;
	bool		 sasl_over_ssl;
	char		**rdkafka_options;
	char		*dead_letter_path;
	char		*source_id_header;
	/* accepted, no effect: one slot per type */
	char		*noop_string;
	bool		 noop_bool;
	long long	 noop_int;
	double		 noop_time;
};

/* --- kafka_entry.c ------------------------------------------------------- */

/* A field named by key, or by $.a.b through nested objects. */
struct kafka_path {
	const char	*keys[KAFKA_PATH_MAX];
	size_t		 lens[KAFKA_PATH_MAX];
	size_t		 depth;		/* 0: not configured */
};

struct kafka_encoder {
	struct format_cfg fmt;
	struct kafka_path topic, key, pkey;
	struct kafka_path hdr[KAFKA_HEADERS_MAX];
	const char	*hdr_name[KAFKA_HEADERS_MAX];
	size_t		 nhdr;
	const char	*default_key;	/* default_message_key, or NULL */
	const char	*source_id_header; /* NULL: none */
	char		*copy;		/* what the paths point into */
	struct strbuf	 value;		/* scratch */
};

/* An entry as kafka_entry_parse reads it back; pointers into it. */
struct kafka_bytes {
	const char	*p;
	uint32_t	 len;
	bool		 set;
};

struct kafka_entry {
	struct kafka_bytes topic, key, pkey, value;
	struct kafka_bytes hname[KAFKA_HEADERS_MAX + 1];
	struct kafka_bytes hval[KAFKA_HEADERS_MAX + 1];
	size_t		 nheaders;
};

int	kafka_encoder_init(struct kafka_encoder *enc,
	    const struct kafka_cfg *cfg, struct conf_elem *el, struct err *e);
void	kafka_encoder_free(struct kafka_encoder *enc);
/* Appends r's entry to out. */
void	kafka_encode(struct kafka_encoder *enc, const struct batch *b,
	    const struct record *r, struct strbuf *out);
/* 0, or -1 when p is no entry of ours (a corrupt chunk). */
int	kafka_entry_parse(const char *p, size_t len, struct kafka_entry *ke);
/*
 * The default key of r: its spiffe_id, else kubernetes.pod_name, else
 * the pod of the container log file it came from (pod_ns_container-id);
 * false when there is none.
 */
bool	kafka_default_key(const struct batch *b, const struct record *r,
	    const char **key, size_t *len);

/* --- kafka_send.c -------------------------------------------------------- */

/* Upper bounds in seconds; one more for +Inf. */
#define KAFKA_LATENCY_NBOUNDS	10
extern const double kafka_latency_bounds[KAFKA_LATENCY_NBOUNDS];

struct kafka_counters {
	uint64_t	 delivered;	/* delivery reports without error */
	uint64_t	 retried;	/* entries to produce again */
	uint64_t	 dead_letters;	/* rejected for good */
	uint64_t	 produce_errors; /* refused by rd_kafka_producev */
	uint64_t	 fatal;		/* producers recreated after a fatal
					   (idempotence) error */
	/* Not cumulative: latency[i] counts reports in bucket i alone. */
	uint64_t	 latency[KAFKA_LATENCY_NBOUNDS + 1];
	double		 latency_sum;
	uint64_t	 latency_count;
};

struct kafka_attempt;
struct kafka;

/* Produces c's pending entries; settles them as reports come. */
int	kafka_send_chunk(struct kafka *k, struct chunk *c, struct err *e);
/* After rd_kafka_poll: produces what waited for room in the queue. */
void	kafka_produce_waiting(struct kafka *k);
/* At stop: what waits to be produced stays pending in its chunk. */
void	kafka_waiting_abandon(struct kafka *k);
/* After rd_kafka_poll: finishes the attempts whose reports are all in. */
void	kafka_attempts_sweep(struct kafka *k);
/* librdkafka's delivery report callback (on the loop's thread). */
void	kafka_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
	    void *opaque);
/* partition_key_key: the field's value, not the key, picks the
 * partition (librdkafka's consistent_random of it). */
int32_t	kafka_partitioner_cb(const rd_kafka_topic_t *rkt, const void *key,
	    size_t keylen, int32_t npart, void *topic_opaque, void *msg_opaque);
/* Will producing again not help? */
bool	kafka_error_permanent(rd_kafka_resp_err_t err);
/* Does the cluster refuse the credentials (SASL) or their rights (ACLs)? */
bool	kafka_error_refused(rd_kafka_resp_err_t err);

/* --- the output's state -------------------------------------------------- */

struct kafka {
	const struct kafka_cfg *cfg;
	char		 who[256];	/* "<match> at file:line" */
	struct loop	*loop;
	rd_kafka_conf_t	*conf;		/* a template: each producer dups it */
	rd_kafka_t	*rk;
	rd_kafka_queue_t *mainq;
	int		 wake[2];	/* librdkafka writes, the loop reads */
	struct loop_timer *tick;
	bool		 fatal;		/* the producer must be recreated */
	char		**static_headers;
	struct kafka_encoder enc;
	struct dead_letter dead;
	struct kafka_counters counters;
	struct kafka_attempt *attempts;	/* in flight */
	struct kafka_attempt *waiting;	/* with entries still to produce,
					   oldest first */
	struct kafka_attempt **waiting_end;
	struct strbuf	 noops;
	/* Why the cluster last refused the credentials; "" once a record
	 * was delivered since. */
	char		 refused[ERR_MAX];
};

extern const struct output_ops output_kafka2;

/* The counters of an `@type kafka2` output, or NULL for another. */
const struct kafka_counters *kafka_output_counters(const struct output *o);

#endif
