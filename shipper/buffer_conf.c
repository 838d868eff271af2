/*
 * buffer_conf.c — the <buffer> section's table (see buffer_conf.h).
 *
 * Defaults are Fluentd's, and like Fluentd's some depend on @type: a
 * file buffer's chunks are 256M and its total 64G, and it is not
 * flushed at shutdown (it survives the restart instead). The table
 * holds the memory defaults; buffer_conf_load applies the others to
 * what the section leaves unset.
 */
#include <string.h>

#include "buffer_conf.h"
#include "mem.h"

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

#define FILE_CHUNK_LIMIT	(256ULL << 20)
#define FILE_TOTAL_LIMIT	(64ULL << 30)

#define B(field)	offsetof(struct buffer_cfg, field)
const struct param_def buffer_params[] = {
	{ .name = "@type", .type = PARAM_ENUM, .def = "memory",
	  .choices = buffer_types, .offset = B(type),
	  .help = "memory, or file (survives restarts; file_single is file)" },
	{ .name = "path", .type = PARAM_STRING, .offset = B(path),
	  .help = "file: the chunks' directory (with a '*': its directory)" },
	{ .name = "chunk_limit_size", .type = PARAM_SIZE, .def = "8M",
	  .offset = B(chunk_limit_size),
	  .help = "largest chunk (file: default 256M)" },
	{ .name = "chunk_limit_records", .type = PARAM_INT, .def = "0",
	  .offset = B(chunk_limit_records),
	  .help = "most records in a chunk (0: no limit)" },
	{ .name = "total_limit_size", .type = PARAM_SIZE, .def = "512M",
	  .offset = B(total_limit_size),
	  .help = "all chunks together, beyond which overflow_action applies "
	  "(file: default 64G)" },
	{ .name = "queue_limit_length", .type = PARAM_INT, .def = "0",
	  .offset = B(queue_limit_length),
	  .help = "sets total_limit_size to chunk_limit_size times this "
	  "(0: unset)" },
	{ .name = "chunk_full_threshold", .type = PARAM_FLOAT, .def = "0.95",
	  .offset = B(chunk_full_threshold),
	  .help = "fraction of chunk_limit_size that makes a chunk full" },
	{ .name = "queued_chunks_limit_size", .type = PARAM_INT, .def = "0",
	  .offset = B(queued_chunks_limit_size),
	  .help = "no chunk is queued by time while this many wait "
	  "(0: flush_thread_count)" },
	{ .name = "compress", .type = PARAM_STRING, .def = "text",
	  .flags = PARAM_NOOP, .offset = B(compress),
	  .help = "chunks hold what the output encoded, uncompressed" },
	{ .name = "flush_at_shutdown", .type = PARAM_BOOL, .def = "true",
	  .offset = B(flush_at_shutdown),
	  .help = "flush every chunk before exiting (file: default false)" },
	{ .name = "flush_mode", .type = PARAM_ENUM, .def = "default",
	  .choices = flush_modes, .offset = B(flush_mode),
	  .help = "interval, immediate, lazy, or default (interval; lazy "
	  "with a timekey)" },
	{ .name = "flush_interval", .type = PARAM_TIME, .def = "60s",
	  .offset = B(flush_interval),
	  .help = "interval mode: a chunk is queued this long after its "
	  "first record" },
	{ .name = "flush_thread_count", .type = PARAM_INT, .def = "1",
	  .offset = B(flush_thread_count),
	  .help = "chunks being sent at once" },
	{ .name = "flush_thread_interval", .type = PARAM_TIME, .def = "1",
	  .flags = PARAM_NOOP, .offset = B(flush_thread_interval),
	  .help = "sends start from timers, not polling threads" },
	{ .name = "flush_thread_burst_interval", .type = PARAM_TIME,
	  .def = "1", .flags = PARAM_NOOP,
	  .offset = B(flush_thread_burst_interval),
	  .help = "sends start from timers, not polling threads" },
	{ .name = "delayed_commit_timeout", .type = PARAM_TIME, .def = "60",
	  .flags = PARAM_NOOP, .offset = B(delayed_commit_timeout),
	  .help = "outputs time out their own requests" },
	{ .name = "overflow_action", .type = PARAM_ENUM, .def = "block",
	  .choices = overflow_actions, .offset = B(overflow_action),
	  .help = "block (stop reading), throw_exception, drop_oldest_chunk" },
	{ .name = "retry_timeout", .type = PARAM_TIME, .def = "72h",
	  .offset = B(retry_timeout),
	  .help = "give a chunk up this long after its first failure" },
	{ .name = "retry_forever", .type = PARAM_BOOL, .def = "false",
	  .offset = B(retry_forever), .help = "never give up" },
	{ .name = "retry_max_times", .type = PARAM_INT, .def = "-1",
	  .offset = B(retry_max_times),
	  .help = "give up after this many retries (-1: only retry_timeout)" },
	{ .name = "retry_secondary_threshold", .type = PARAM_FLOAT,
	  .def = "0.8", .flags = PARAM_NOOP,
	  .offset = B(retry_secondary_threshold),
	  .help = "there is no <secondary>" },
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
	  .offset = B(retry_randomize),
	  .help = "jitter the waits by up to 12.5%" },
	{ .name = "timekey", .type = PARAM_TIME, .def = "0",
	  .offset = B(timekey),
	  .help = "lazy mode: a chunk is queued timekey + timekey_wait after "
	  "its first record (chunks are not split by time)" },
	{ .name = "timekey_wait", .type = PARAM_TIME, .def = "600",
	  .offset = B(timekey_wait), .help = "see timekey" },
	{ .name = "timekey_use_utc", .type = PARAM_BOOL, .def = "false",
	  .flags = PARAM_NOOP, .offset = B(timekey_use_utc),
	  .help = "chunks are not split by time" },
	{ .name = "timekey_zone", .type = PARAM_STRING, .flags = PARAM_NOOP,
	  .offset = B(timekey_zone), .help = "chunks are not split by time" },
	{ .name = "disable_chunk_backup", .type = PARAM_BOOL, .def = "false",
	  .offset = B(disable_chunk_backup),
	  .help = "delete, rather than move to <path>/backup, a file chunk "
	  "given up" },
	{ .name = "path_suffix", .type = PARAM_STRING, .def = ".log",
	  .flags = PARAM_NOOP, .offset = B(path_suffix),
	  .help = "chunks are named spire-shipper.<id>.chunk" },
	PARAMS_END
};
#undef B

/* Fluentd's defaults for a file buffer, where the section has none. */
static void
file_defaults(struct buffer_cfg *bc, const struct conf_elem *b)
{
	if (!params_given(b, "chunk_limit_size"))
		bc->chunk_limit_size = FILE_CHUNK_LIMIT;
	if (!params_given(b, "total_limit_size"))
		bc->total_limit_size = FILE_TOTAL_LIMIT;
	if (!params_given(b, "flush_at_shutdown"))
		bc->flush_at_shutdown = false;
}

static int
check_param(const struct conf_elem *b, const char *name, bool ok,
    const char *what, struct err *e)
{
	const struct conf_param	*p = conf_param_get(b, name);

	if (ok)
		return 0;
	return err_at(e, p ? p->file : b->file, p ? p->line : b->line,
	    "<buffer> %s must be %s", name, what);
}

static int
check_values(const struct buffer_cfg *bc, const struct conf_elem *b,
    struct err *e)
{
	if (bc->type != BUFFER_MEMORY && bc->path == NULL)
		return err_at(e, b->file, b->line, "<buffer> @type %s needs "
		    "path, the directory to keep its chunk files in",
		    buffer_types[bc->type]);
	return check_param(b, "chunk_limit_size", bc->chunk_limit_size > 0,
	    "more than 0", e) ||
	    check_param(b, "chunk_limit_records", bc->chunk_limit_records >= 0,
	    "0 or more", e) ||
	    check_param(b, "queue_limit_length", bc->queue_limit_length >= 0,
	    "0 or more", e) ||
	    check_param(b, "chunk_full_threshold",
	    bc->chunk_full_threshold > 0 && bc->chunk_full_threshold <= 1,
	    "more than 0 and at most 1", e) ||
	    check_param(b, "flush_thread_count", bc->flush_thread_count >= 1,
	    "1 or more", e) ||
	    check_param(b, "flush_interval", bc->flush_interval >= 0,
	    "0 or more", e) ||
	    check_param(b, "retry_wait", bc->retry_wait > 0, "more than 0",
	    e) ||
	    check_param(b, "retry_exponential_backoff_base",
	    bc->retry_exponential_backoff_base >= 1, "at least 1", e) ||
	    check_param(b, "retry_max_times", bc->retry_max_times >= -1,
	    "-1 (no limit) or more", e) ? -1 : 0;
}

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
	if (bc->type != BUFFER_MEMORY)
		file_defaults(bc, b);
	if (bc->queue_limit_length > 0)
		bc->total_limit_size = bc->chunk_limit_size *
		    (unsigned long long)bc->queue_limit_length;
	if (b->arg != NULL && *b->arg != '\0')
		bc->chunk_keys = xstrdup(b->arg);
	return check_values(bc, b, e);
}

void
buffer_conf_free(struct buffer_cfg *bc)
{
	params_free(buffer_params, bc);
	free(bc->chunk_keys);
	bc->chunk_keys = NULL;
}
