/*
 * buffer_conf.c — the <buffer> section's table (see buffer_conf.h).
 * Defaults are Fluentd's.
 */
#include <string.h>

#include "buffer_conf.h"

static const char *const buffer_types[] = {
	"memory", "file", "file_single", NULL
};
static const char *const flush_modes[] = {
	"default", "lazy", "interval", "immediate", NULL
};
static const char *const overflow_actions[] = {
	"throw_exception", "block", "drop_oldest_chunk", NULL
};
static const char *const retry_types[] = {
	"exponential_backoff", "periodic", NULL
};

#define B(field)	offsetof(struct buffer_cfg, field)
const struct param_def buffer_params[] = {
	{ .name = "@type", .type = PARAM_ENUM, .def = "memory",
	  .choices = buffer_types, .offset = B(type),
	  .help = "memory, or file (survives restarts)" },
	{ .name = "path", .type = PARAM_STRING, .offset = B(path),
	  .help = "directory or path prefix of a file buffer" },
	{ .name = "chunk_limit_size", .type = PARAM_SIZE, .def = "8M",
	  .offset = B(chunk_limit_size), .help = "largest chunk" },
	{ .name = "chunk_limit_records", .type = PARAM_INT, .def = "0",
	  .offset = B(chunk_limit_records),
	  .help = "most records in a chunk (0: no limit)" },
	{ .name = "total_limit_size", .type = PARAM_SIZE, .def = "512M",
	  .offset = B(total_limit_size),
	  .help = "all chunks together; beyond it overflow_action applies" },
	{ .name = "queue_limit_length", .type = PARAM_INT, .def = "0",
	  .offset = B(queue_limit_length),
	  .help = "most queued chunks (0: by total_limit_size)" },
	{ .name = "chunk_full_threshold", .type = PARAM_FLOAT, .def = "0.95",
	  .offset = B(chunk_full_threshold),
	  .help = "fraction of chunk_limit_size that makes a chunk full" },
	{ .name = "queued_chunks_limit_size", .type = PARAM_INT, .def = "0",
	  .offset = B(queued_chunks_limit_size),
	  .help = "most chunks queued for flushing (0: flush_thread_count)" },
	{ .name = "compress", .type = PARAM_STRING, .def = "text",
	  .offset = B(compress), .help = "text or gzip chunks" },
	{ .name = "flush_at_shutdown", .type = PARAM_BOOL, .def = "true",
	  .offset = B(flush_at_shutdown),
	  .help = "flush every chunk before exiting" },
	{ .name = "flush_mode", .type = PARAM_ENUM, .def = "default",
	  .choices = flush_modes, .offset = B(flush_mode),
	  .help = "interval, immediate, lazy, or default" },
	{ .name = "flush_interval", .type = PARAM_TIME, .def = "60s",
	  .offset = B(flush_interval), .help = "how often to flush" },
	{ .name = "flush_thread_count", .type = PARAM_INT, .def = "1",
	  .offset = B(flush_thread_count),
	  .help = "flushes in flight at once" },
	{ .name = "flush_thread_interval", .type = PARAM_TIME, .def = "1",
	  .offset = B(flush_thread_interval),
	  .help = "wait between flush attempts when idle" },
	{ .name = "flush_thread_burst_interval", .type = PARAM_TIME,
	  .def = "1", .offset = B(flush_thread_burst_interval),
	  .help = "wait between flushes while chunks are queued" },
	{ .name = "delayed_commit_timeout", .type = PARAM_TIME, .def = "60",
	  .offset = B(delayed_commit_timeout),
	  .help = "how long an unacknowledged flush may wait" },
	{ .name = "overflow_action", .type = PARAM_ENUM, .def = "block",
	  .choices = overflow_actions, .offset = B(overflow_action),
	  .help = "block (stop reading), throw_exception, drop_oldest_chunk" },
	{ .name = "retry_timeout", .type = PARAM_TIME, .def = "72h",
	  .offset = B(retry_timeout), .help = "give up retrying after this" },
	{ .name = "retry_forever", .type = PARAM_BOOL, .def = "false",
	  .offset = B(retry_forever), .help = "never give up" },
	{ .name = "retry_max_times", .type = PARAM_INT, .def = "0",
	  .offset = B(retry_max_times),
	  .help = "give up after this many retries (0: by retry_timeout)" },
	{ .name = "retry_secondary_threshold", .type = PARAM_FLOAT,
	  .def = "0.8", .offset = B(retry_secondary_threshold),
	  .help = "fraction of retry_timeout before a <secondary>" },
	{ .name = "retry_type", .type = PARAM_ENUM,
	  .def = "exponential_backoff", .choices = retry_types,
	  .offset = B(retry_type), .help = "exponential_backoff or periodic" },
	{ .name = "retry_wait", .type = PARAM_TIME, .def = "1s",
	  .offset = B(retry_wait), .help = "first wait between retries" },
	{ .name = "retry_exponential_backoff_base", .type = PARAM_FLOAT,
	  .def = "2", .offset = B(retry_exponential_backoff_base),
	  .help = "growth of the wait" },
	{ .name = "retry_max_interval", .type = PARAM_TIME, .def = "0",
	  .offset = B(retry_max_interval),
	  .help = "longest wait between retries (0: no limit)" },
	{ .name = "retry_randomize", .type = PARAM_BOOL, .def = "true",
	  .offset = B(retry_randomize), .help = "jitter the waits" },
	{ .name = "timekey", .type = PARAM_TIME, .def = "0",
	  .offset = B(timekey), .help = "time chunk key width" },
	{ .name = "timekey_wait", .type = PARAM_TIME, .def = "600",
	  .offset = B(timekey_wait), .help = "wait before flushing a time chunk" },
	{ .name = "timekey_use_utc", .type = PARAM_BOOL, .def = "false",
	  .offset = B(timekey_use_utc), .help = "time chunk keys in UTC" },
	{ .name = "timekey_zone", .type = PARAM_STRING,
	  .offset = B(timekey_zone), .help = "time zone of time chunk keys" },
	{ .name = "disable_chunk_backup", .type = PARAM_BOOL, .def = "false",
	  .offset = B(disable_chunk_backup),
	  .help = "delete rather than keep chunks that cannot be written" },
	{ .name = "path_suffix", .type = PARAM_STRING, .def = ".log",
	  .offset = B(path_suffix), .help = "file buffer chunk suffix" },
	PARAMS_END
};
#undef B

int
buffer_conf_load(struct buffer_cfg *bc, struct conf_elem *el, bool *found,
    struct err *e)
{
	struct conf_elem	*b = NULL;
	size_t			 i;

	memset(bc, 0, sizeof *bc);
	*found = false;
	for (i = 0; i < el->nelems; i++) {
		if (strcmp(el->elems[i].name, "buffer") != 0)
			continue;
		if (b != NULL)
			return err_at(e, el->elems[i].file, el->elems[i].line,
			    "a <match> takes one <buffer>");
		b = &el->elems[i];
	}
	if (b == NULL)
		return params_defaults(buffer_params, bc, e);
	*found = true;
	if (params_apply(buffer_params, b, bc, "<buffer>", e) != 0 ||
	    params_check_sections(b, NULL, "<buffer>", e) != 0)
		return -1;
	b->used = true;
	return 0;
}

void
buffer_conf_free(struct buffer_cfg *bc)
{
	params_free(buffer_params, bc);
}
