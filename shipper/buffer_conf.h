/*
 * buffer_conf.h — the <buffer> section of a <match>, Fluentd's names.
 *
 * One table declares every parameter, so a typo in a migrated
 * configuration is caught even by outputs that write synchronously.
 */
#ifndef SHIPPER_BUFFER_CONF_H
#define SHIPPER_BUFFER_CONF_H

#include <stdbool.h>

#include "config.h"
#include "err.h"
#include "params.h"

enum buffer_type { BUFFER_MEMORY, BUFFER_FILE, BUFFER_FILE_SINGLE };
enum flush_mode { FLUSH_DEFAULT, FLUSH_LAZY, FLUSH_INTERVAL, FLUSH_IMMEDIATE };
enum overflow_action { OVERFLOW_THROW, OVERFLOW_BLOCK, OVERFLOW_DROP_OLDEST };
enum retry_type { RETRY_EXPONENTIAL, RETRY_PERIODIC };

struct buffer_cfg {
	int			 type;
	char			*path;
	unsigned long long	 chunk_limit_size;
	long long		 chunk_limit_records;
	unsigned long long	 total_limit_size;
	long long		 queue_limit_length;
	double			 chunk_full_threshold;
	long long		 queued_chunks_limit_size;
	char			*compress;
	bool			 flush_at_shutdown;
	int			 flush_mode;
	double			 flush_interval;
	long long		 flush_thread_count;
	double			 flush_thread_interval;
	double			 flush_thread_burst_interval;
	double			 delayed_commit_timeout;
	int			 overflow_action;
	double			 retry_timeout;
	bool			 retry_forever;
	long long		 retry_max_times;
	double			 retry_secondary_threshold;
	int			 retry_type;
	double			 retry_wait;
	double			 retry_exponential_backoff_base;
	double			 retry_max_interval;
	bool			 retry_randomize;
	double			 timekey;
	double			 timekey_wait;
	bool			 timekey_use_utc;
	char			*timekey_zone;
	bool			 disable_chunk_backup;
	char			*path_suffix;
	char			*chunk_keys;	/* <buffer ARG>: accepted, chunks
						   are not split by key */
};

extern const struct param_def buffer_params[];

/*
 * Reads the <buffer> child of el, if any; *found says whether there was
 * one. Applies the defaults that depend on @type and queue_limit_length,
 * and checks the values (a file buffer needs a path).
 */
int	buffer_conf_load(struct buffer_cfg *bc, struct conf_elem *el,
	    bool *found, struct err *e);
void	buffer_conf_free(struct buffer_cfg *bc);

#endif
