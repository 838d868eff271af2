/*
 * librdkafka.h — librdkafka, opened by the kafka2 output only (see
 * shipper/dynlib.h). Callers include <librdkafka/rdkafka.h> as before;
 * librdkafka_load must have succeeded before their first rd_kafka_ call.
 */
#ifndef OUTPUTS_LIBRDKAFKA_H
#define OUTPUTS_LIBRDKAFKA_H

#include <librdkafka/rdkafka.h>

#include "err.h"

/* Opens librdkafka once: 0, or -1 with e saying what to install. */
int	librdkafka_load(struct err *e);

/* rd_kafka_producev is variadic: no stub can pass its arguments on, so
 * it is called through its pointer. */
extern __typeof__(rd_kafka_producev)	*librdkafka_producev;

#endif
