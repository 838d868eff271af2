/*
 * kafka_send.c — a chunk's pending entries produced, and their delivery
 * reports turned into entry results (see kafka.h).
 *
 * One attempt per .send: every entry is handed to librdkafka with its
 * message as opaque; the delivery report (served by rd_kafka_poll on the
 * loop's thread) records its result; once every message of the attempt
 * is reported, the attempt is finished: dead letters written (durably,
 * before anything is settled dead), entries settled, the chunk done.
 * Finishing happens only in kafka_attempts_sweep, from the loop, never
 * inside .send.
 *
 * Entries are produced in chunk order, attempts in the order they came:
 * when librdkafka's queue is full (queue.buffering.max.messages or
 * .kbytes), the attempt stops where it is and goes on once delivery
 * reports have made room, and the attempts after it wait their turn. A
 * full queue refused instead would have the buffer send those entries
 * again after later ones, out of order per key, and slowly.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jsonenc.h"
#include "kafka.h"
#include "librdkafka.h"
#include "mem.h"
#include "timefmt.h"

const double kafka_latency_bounds[KAFKA_LATENCY_NBOUNDS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 10,
};

struct kafka_msg {
	struct kafka_attempt *a;
	size_t		 slot;
	enum entry_result result;
	bool		 reported;
	struct kafka_bytes pkey;	/* into the chunk */
};

struct kafka_attempt {
	struct kafka	*k;
	struct chunk	*c;
	struct kafka_msg *msgs;
	size_t		 n;
	size_t		 produced;	/* msgs[0..produced) handed over or
					   refused; the rest wait for room */
	size_t		 outstanding;
	struct strbuf	 dead;		/* dead-letter lines */
	size_t		 ndead;
	char		 fail[ERR_MAX];	/* the last transient error */
	struct kafka_attempt *next;
	struct kafka_attempt *waiting;	/* the next attempt to produce */
};

bool
kafka_error_permanent(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
	case RD_KAFKA_RESP_ERR_INVALID_MSG:
	case RD_KAFKA_RESP_ERR_INVALID_RECORD:
	case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
	case RD_KAFKA_RESP_ERR__INVALID_ARG:
		return true;
	default:
		return false;
	}
}

bool
kafka_error_refused(rd_kafka_resp_err_t err)
{
	return err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
	    err == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED ||
	    err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
	    err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED;
}

/* --- dead letters -------------------------------------------------------- */

static void
put_member(struct strbuf *out, const char *key, const char *v, size_t len)
{
	sb_addf(out, ",\"%s\":", key);
	json_put_string(out, v, len);
}

/*
 * {"time":...,"topic":...,"partition":-1,"key":...,"source_id":...,
 *  "error":{"code":"MSG_SIZE_TOO_LARGE","reason":...},"value":{...}}
 */
static void
dead_line(struct kafka_attempt *a, const struct kafka_entry *ke,
    const char *topic, int32_t partition, rd_kafka_resp_err_t err)
{
	struct strbuf	*out = &a->dead;
	struct timespec	 ts;
	char		 now[RFC3339_NANO_LEN + 1];
	const char	*reason = rd_kafka_err2str(err);
	size_t		 i;

	clock_gettime(CLOCK_REALTIME, &ts);
	time_format_rfc3339((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, now);
	sb_addf(out, "{\"time\":\"%s\"", now);
	put_member(out, "topic", topic, strlen(topic));
	sb_addf(out, ",\"partition\":%d", (int)partition);
	if (ke->key.set)
		put_member(out, "key", ke->key.p, ke->key.len);
	sb_adds(out, ",\"headers\":{");
	for (i = 0; i < ke->nheaders; i++) {
		if (i > 0)
			sb_addc(out, ',');
		json_put_string(out, ke->hname[i].p, ke->hname[i].len);
		sb_addc(out, ':');
		json_put_string(out, ke->hval[i].p, ke->hval[i].len);
	}
	sb_addf(out, "},\"error\":{\"code\":\"%s\"", rd_kafka_err2name(err));
	put_member(out, "reason", reason, strlen(reason));
	sb_adds(out, "},\"value\":");
	dead_letter_put_doc(out, ke->value.p, ke->value.len);
	sb_adds(out, "}\n");
	a->ndead++;
}

/* --- producing ----------------------------------------------------------- */

static void
topic_of(const struct kafka *k, const struct kafka_entry *ke, char *out,
    size_t size)
{
	if (ke->topic.set && ke->topic.len > 0)
		snprintf(out, size, "%.*s", (int)ke->topic.len, ke->topic.p);
	else
		snprintf(out, size, "%s", k->cfg->default_topic);
}

static rd_kafka_headers_t *
headers_of(const struct kafka *k, const struct kafka_entry *ke)
{
	rd_kafka_headers_t	*h = rd_kafka_headers_new(ke->nheaders + 4);
	char *const		*s = k->cfg->headers;
	size_t			 i;

	for (i = 0; s != NULL && s[i] != NULL && s[i + 1] != NULL; i += 2)
		rd_kafka_header_add(h, s[i], -1, s[i + 1], -1);
	for (i = 0; i < ke->nheaders; i++)
		rd_kafka_header_add(h, ke->hname[i].p,
		    (ssize_t)ke->hname[i].len, ke->hval[i].p,
		    (ssize_t)ke->hval[i].len);
	return h;
}

/* To be produced again: why is the attempt's failure, and /ready's while
 * the cluster refuses the credentials. */
static void
retry_entry(struct kafka_attempt *a, struct kafka_msg *m, const char *doing,
    const char *topic, rd_kafka_resp_err_t err)
{
	m->result = ENTRY_RETRY;
	snprintf(a->fail, sizeof a->fail, "%s: %s %s: %s", a->k->who, doing,
	    topic, rd_kafka_err2str(err));
	if (kafka_error_refused(err))
		snprintf(a->k->refused, sizeof a->k->refused, "%s %s: %s",
		    doing, topic, rd_kafka_err2str(err));
}

/* A message refused before it left: dead, or to be produced again. */
static void
refused(struct kafka_attempt *a, struct kafka_msg *m,
    const struct kafka_entry *ke, const char *topic, rd_kafka_resp_err_t err)
{
	m->reported = true;
	a->k->counters.produce_errors++;
	if (kafka_error_permanent(err)) {
		m->result = ENTRY_DEAD;
		dead_line(a, ke, topic, RD_KAFKA_PARTITION_UA, err);
		return;
	}
	retry_entry(a, m, "producing to", topic, err);
}

/* False when librdkafka's queue is full: m is to be produced later. */
static bool
produce_one(struct kafka_attempt *a, struct kafka_msg *m)
{
	struct kafka		*k = a->k;
	struct kafka_entry	 ke;
	rd_kafka_headers_t	*h;
	rd_kafka_resp_err_t	 err;
	char			 topic[256];
	const char		*p;
	uint32_t		 len;

	p = chunk_entry(a->c, m->slot, &len);
	if (kafka_entry_parse(p, len, &ke) != 0) {
		memset(&ke, 0, sizeof ke);
		ke.value.p = p;
		ke.value.len = len;
		refused(a, m, &ke, k->cfg->default_topic,
		    RD_KAFKA_RESP_ERR__INVALID_ARG);
		return true;
	}
	m->pkey = ke.pkey;
	topic_of(k, &ke, topic, sizeof topic);
	h = headers_of(k, &ke);
	/* No copy: the chunk's bytes stay valid until chunk_done. */
	err = librdkafka_producev(k->rk, RD_KAFKA_V_TOPIC(topic),
	    RD_KAFKA_V_KEY(ke.key.set ? ke.key.p : NULL, ke.key.len),
	    RD_KAFKA_V_VALUE((void *)ke.value.p, ke.value.len),
	    RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(m), RD_KAFKA_V_END);
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		a->outstanding++;
		return true;
	}
	rd_kafka_headers_destroy(h);
	if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
		return false;
	refused(a, m, &ke, topic, err);
	return true;
}

/* Produces what waits, oldest attempt first, until the queue is full. */
void
kafka_produce_waiting(struct kafka *k)
{
	struct kafka_attempt	*a;

	while ((a = k->waiting) != NULL) {
		for (; a->produced < a->n; a->produced++)
			if (!produce_one(a, &a->msgs[a->produced]))
				return;
		if ((k->waiting = a->waiting) == NULL)
			k->waiting_end = &k->waiting;
	}
}

/* Stopping: what is still to produce stays pending in the chunk. */
void
kafka_waiting_abandon(struct kafka *k)
{
	struct kafka_attempt	*a;

	for (a = k->waiting; a != NULL; a = a->waiting)
		for (; a->produced < a->n; a->produced++) {
			a->msgs[a->produced].reported = true;
			a->msgs[a->produced].result = ENTRY_RETRY;
		}
	k->waiting = NULL;
	k->waiting_end = &k->waiting;
}

int
kafka_send_chunk(struct kafka *k, struct chunk *c, struct err *e)
{
	struct kafka_attempt	*a;
	size_t			 n = chunk_nentries(c), i;

	if (k->rk == NULL || k->fatal)
		return err_set(e, "%s: the producer is being recreated after a "
		    "fatal error", k->who);
	a = xcalloc(1, sizeof *a);
	a->k = k;
	a->c = c;
	a->msgs = xcalloc(n ? n : 1, sizeof *a->msgs);
	for (i = 0; i < n; i++) {
		if (!chunk_entry_pending(c, i))
			continue;
		a->msgs[a->n].a = a;
		a->msgs[a->n++].slot = i;
	}
	a->next = k->attempts;
	k->attempts = a;
	*k->waiting_end = a;
	k->waiting_end = &a->waiting;
	kafka_produce_waiting(k);
	return 0;
}

int32_t
kafka_partitioner_cb(const rd_kafka_topic_t *rkt, const void *key,
    size_t keylen, int32_t npart, void *topic_opaque, void *msg_opaque)
{
	const struct kafka_msg	*m = msg_opaque;

	(void)topic_opaque;
	if (m != NULL && m->pkey.set)
		return rd_kafka_msg_partitioner_consistent_random(rkt,
		    m->pkey.p, m->pkey.len, npart, NULL, NULL);
	return rd_kafka_msg_partitioner_consistent_random(rkt, key, keylen,
	    npart, NULL, NULL);
}

/* --- delivery reports ---------------------------------------------------- */

static void
count_latency(struct kafka_counters *kc, const rd_kafka_message_t *rm)
{
	int64_t	 us = rd_kafka_message_latency(rm);
	double	 s = us < 0 ? 0 : (double)us / 1e6;
	size_t	 i;

	for (i = 0; i < KAFKA_LATENCY_NBOUNDS && s > kafka_latency_bounds[i];
	    i++)
		;
	kc->latency[i]++;
	kc->latency_sum += s;
	kc->latency_count++;
}

void
kafka_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rm, void *opaque)
{
	struct kafka_msg	*m = rm->_private;
	struct kafka_attempt	*a = m->a;
	struct kafka_entry	 ke;
	const char		*p;
	uint32_t		 len;

	(void)rk;
	(void)opaque;
	m->reported = true;
	a->outstanding--;
	count_latency(&a->k->counters, rm);
	if (rm->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		m->result = ENTRY_OK;
		a->k->refused[0] = '\0';
		return;
	}
	if (!kafka_error_permanent(rm->err)) {
		retry_entry(a, m, "delivery to", rd_kafka_topic_name(rm->rkt),
		    rm->err);
		return;
	}
	m->result = ENTRY_DEAD;
	p = chunk_entry(a->c, m->slot, &len);
	if (kafka_entry_parse(p, len, &ke) != 0)
		memset(&ke, 0, sizeof ke);
	dead_line(a, &ke, rd_kafka_topic_name(rm->rkt), rm->partition,
	    rm->err);
}

/* Dead letters on disk first; when they cannot be, nothing is dead. */
static void
attempt_finish(struct kafka_attempt *a)
{
	struct kafka_counters	*kc = &a->k->counters;
	bool			 dead_ok = true;
	struct err		 e;
	size_t			 i;

	if (a->ndead > 0 && dead_letter_write(&a->k->dead, &a->dead, a->ndead,
	    &e) != 0) {
		dead_ok = false;
		snprintf(a->fail, sizeof a->fail, "%s", e.msg);
	}
	for (i = 0; i < a->n; i++) {
		struct kafka_msg	*m = &a->msgs[i];

		if (m->result == ENTRY_OK)
			kc->delivered++;
		else if (m->result == ENTRY_DEAD && dead_ok)
			kc->dead_letters++;
		else {
			kc->retried++;
			continue;	/* pending: produced again */
		}
		chunk_settle(a->c, m->slot, m->result);
	}
	if (a->fail[0] != '\0')
		err_set(&e, "%s", a->fail);
	chunk_done(a->c, a->fail[0] != '\0' ? &e : NULL);
}

void
kafka_attempts_sweep(struct kafka *k)
{
	struct kafka_attempt	**pp = &k->attempts, *a;

	while ((a = *pp) != NULL) {
		if (a->outstanding > 0 || a->produced < a->n) {
			pp = &a->next;
			continue;
		}
		*pp = a->next;
		attempt_finish(a);
		sb_free(&a->dead);
		free(a->msgs);
		free(a);
	}
}
