/*
 * librdkafka.c — the librdkafka functions the kafka2 output calls,
 * resolved from the library when the output is configured (see
 * shipper/dynlib.h, librdkafka.h).
 */
#include "autoconfig.h"
#include "dynlib.h"
#include "librdkafka.h"

#define RDKAFKA_FUNCTIONS(F, V, P) \
	F(rd_kafka_conf_t *, rd_kafka_conf_new, (void), ()) \
	F(rd_kafka_conf_t *, rd_kafka_conf_dup, (const rd_kafka_conf_t *c), \
	    (c)) \
	V(void, rd_kafka_conf_destroy, (rd_kafka_conf_t *c), (c)) \
	F(rd_kafka_conf_res_t, rd_kafka_conf_set, (rd_kafka_conf_t *c, \
	    const char *name, const char *value, char *errstr, size_t len), \
	    (c, name, value, errstr, len)) \
	F(rd_kafka_conf_res_t, rd_kafka_conf_get, (const rd_kafka_conf_t *c, \
	    const char *name, char *dest, size_t *len), (c, name, dest, len)) \
	F(const char *, rd_kafka_version_str, (void), ()) \
	V(void, rd_kafka_conf_set_opaque, (rd_kafka_conf_t *c, void *o), \
	    (c, o)) \
	V(void, rd_kafka_conf_set_dr_msg_cb, (rd_kafka_conf_t *c, \
	    void (*cb)(rd_kafka_t *, const rd_kafka_message_t *, void *)), \
	    (c, cb)) \
	V(void, rd_kafka_conf_set_error_cb, (rd_kafka_conf_t *c, \
	    void (*cb)(rd_kafka_t *, int, const char *, void *)), (c, cb)) \
	V(void, rd_kafka_conf_set_log_cb, (rd_kafka_conf_t *c, \
	    void (*cb)(const rd_kafka_t *, int, const char *, const char *)), \
	    (c, cb)) \
	V(void, rd_kafka_conf_set_default_topic_conf, (rd_kafka_conf_t *c, \
	    rd_kafka_topic_conf_t *tc), (c, tc)) \
	F(rd_kafka_topic_conf_t *, rd_kafka_topic_conf_new, (void), ()) \
	V(void, rd_kafka_topic_conf_set_partitioner_cb, \
	    (rd_kafka_topic_conf_t *tc, int32_t (*cb)(const rd_kafka_topic_t *, \
	    const void *, size_t, int32_t, void *, void *)), (tc, cb)) \
	F(rd_kafka_t *, rd_kafka_new, (rd_kafka_type_t t, rd_kafka_conf_t *c, \
	    char *errstr, size_t len), (t, c, errstr, len)) \
	V(void, rd_kafka_destroy, (rd_kafka_t *rk), (rk)) \
	F(void *, rd_kafka_opaque, (const rd_kafka_t *rk), (rk)) \
	F(rd_kafka_resp_err_t, rd_kafka_fatal_error, (rd_kafka_t *rk, \
	    char *errstr, size_t len), (rk, errstr, len)) \
	F(const char *, rd_kafka_err2name, (rd_kafka_resp_err_t err), (err)) \
	F(const char *, rd_kafka_err2str, (rd_kafka_resp_err_t err), (err)) \
	F(rd_kafka_resp_err_t, rd_kafka_set_log_queue, (rd_kafka_t *rk, \
	    rd_kafka_queue_t *q), (rk, q)) \
	F(rd_kafka_queue_t *, rd_kafka_queue_get_main, (rd_kafka_t *rk), \
	    (rk)) \
	V(void, rd_kafka_queue_io_event_enable, (rd_kafka_queue_t *q, int fd, \
	    const void *p, size_t len), (q, fd, p, len)) \
	V(void, rd_kafka_queue_destroy, (rd_kafka_queue_t *q), (q)) \
	F(int, rd_kafka_poll, (rd_kafka_t *rk, int ms), (rk, ms)) \
	F(int, rd_kafka_outq_len, (rd_kafka_t *rk), (rk)) \
	F(rd_kafka_resp_err_t, rd_kafka_flush, (rd_kafka_t *rk, int ms), \
	    (rk, ms)) \
	F(rd_kafka_resp_err_t, rd_kafka_purge, (rd_kafka_t *rk, int flags), \
	    (rk, flags)) \
	P(rd_kafka_resp_err_t, rd_kafka_producev, (), ()) \
	F(rd_kafka_headers_t *, rd_kafka_headers_new, (size_t n), (n)) \
	V(void, rd_kafka_headers_destroy, (rd_kafka_headers_t *h), (h)) \
	F(rd_kafka_resp_err_t, rd_kafka_header_add, (rd_kafka_headers_t *h, \
	    const char *name, ssize_t nlen, const void *value, ssize_t vlen), \
	    (h, name, nlen, value, vlen)) \
	F(int64_t, rd_kafka_message_latency, (const rd_kafka_message_t *m), \
	    (m)) \
	F(const char *, rd_kafka_topic_name, (const rd_kafka_topic_t *t), (t)) \
	F(int32_t, rd_kafka_msg_partitioner_consistent_random, \
	    (const rd_kafka_topic_t *t, const void *key, size_t len, \
	    int32_t n, void *rkt_opaque, void *msg_opaque), \
	    (t, key, len, n, rkt_opaque, msg_opaque))

enum { RDKAFKA_FUNCTIONS(DYNLIB_INDEX, DYNLIB_INDEX, DYNLIB_INDEX) RDKAFKA_N };
static void	*dynlib_sym[RDKAFKA_N];

__typeof__(rd_kafka_producev)	*librdkafka_producev;

int
librdkafka_load(struct err *e)
{
	static const char *const names[] = {
		RDKAFKA_FUNCTIONS(DYNLIB_NAME, DYNLIB_NAME, DYNLIB_NAME)
	};

	if (dynlib_open(RDKAFKA_SONAME, "librdkafka1", names, dynlib_sym,
	    RDKAFKA_N, e) != 0)
		return -1;
	librdkafka_producev = DYNLIB_FN(rd_kafka_producev);
	return 0;
}

RDKAFKA_FUNCTIONS(DYNLIB_STUB, DYNLIB_STUB_VOID, DYNLIB_NONE)
