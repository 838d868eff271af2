/*
 * parse_conf.h — what every <parse> section shares: the event time.
 *
 * Fluentd's parsers take the event time from the field `time_key`, read
 * with `time_format` (or as RFC 3339 when none is given), and remove the
 * field unless `keep_time_key`. A time that does not match time_format
 * falls back to RFC 3339 instead of failing the record: SPIRE trims
 * trailing zeros from its fractions, so a strict `%N` format would
 * otherwise reject one line in ten.
 */
#ifndef SHIPPER_PARSE_CONF_H
#define SHIPPER_PARSE_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "params.h"
#include "record.h"
#include "stats.h"

extern const char *const time_type_names[];

enum time_type {
	TIME_TYPE_STRING,
	TIME_TYPE_FLOAT,
	TIME_TYPE_UNIXTIME,
};

struct time_cfg {
	char	*time_key;
	char	*time_format;
	bool	 keep_time_key;
	int	 time_type;
	bool	 utc;
	bool	 localtime;
	char	*timezone;
	bool	 estimate_current_event;
};

/* The <parse> rows for a struct time_cfg at `member` of `type`. */
#define TIME_CFG_PARAMS(T, member, default_key)			\
	{ .name = "time_key", .type = PARAM_STRING, .def = default_key,	\
	  .offset = offsetof(T, member.time_key),			\
	  .help = "field holding the event time" },			\
	{ .name = "time_format", .type = PARAM_STRING,			\
	  .offset = offsetof(T, member.time_format),			\
	  .help = "strptime-style format of time_key (%N: fraction); "	\
	  "unset: RFC 3339" },						\
	{ .name = "keep_time_key", .type = PARAM_BOOL, .def = "false",	\
	  .offset = offsetof(T, member.keep_time_key),		\
	  .help = "keep the time field in the record" },		\
	{ .name = "time_type", .type = PARAM_ENUM, .def = "string",	\
	  .choices = time_type_names,					\
	  .offset = offsetof(T, member.time_type),			\
	  .help = "string (time_format), float or unixtime (epoch)" },	\
	{ .name = "utc", .type = PARAM_BOOL, .def = "true",		\
	  .offset = offsetof(T, member.utc),				\
	  .help = "times without a zone are UTC (always the case)" },	\
	{ .name = "localtime", .type = PARAM_BOOL, .def = "false",	\
	  .offset = offsetof(T, member.localtime),			\
	  .help = "must stay false: times without a zone are UTC" },	\
	{ .name = "timezone", .type = PARAM_STRING,			\
	  .offset = offsetof(T, member.timezone),			\
	  .help = "only UTC is supported: containers log in UTC" },	\
	{ .name = "estimate_current_event", .type = PARAM_BOOL,	\
	  .def = "true", .flags = PARAM_NOOP,				\
	  .offset = offsetof(T, member.estimate_current_event),	\
	  .help = "without a time field the runtime's time is used" }

/* Checks the combination; el for file:line. */
int	time_cfg_check(const struct time_cfg *tc, const struct conf_elem *el,
	    struct err *e);

/*
 * Sets r->time from the field time_key among fields [first, end) of the
 * open record, and deletes the field unless keep_time_key. The fields
 * time_format leaves out (a year) are those of r->time as it was. Returns 1 when
 * the time was taken, 0 when there is no such field, -1 when it did not
 * parse (the field is then kept).
 */
int	time_cfg_apply(const struct time_cfg *tc, struct batch *b,
	    struct record *r, size_t first, struct stats *st);

#endif
