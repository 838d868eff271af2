/*
 * tail.h — `@type tail`: follow log files, Fluentd's in_tail semantics.
 *
 * The one idea: a position moves only past lines the output has taken,
 * and a file that rotated away is read to its end before it is let go,
 * however long that takes, because the kubelet renames, compresses and
 * deletes rotated logs behind the reader's back.
 */
#ifndef SHIPPER_TAIL_H
#define SHIPPER_TAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "plugin.h"
#include "source_parse.h"

struct tail_cfg {
	char		*path;
	char		**exclude_path;
	char		*pos_file;
	char		*tag;
	bool		 read_from_head;
	double		 refresh_interval;
	double		 rotate_wait;
	bool		 follow_inodes;
	char		*path_key;
	unsigned long long max_line_size;
	long long	 read_lines_limit;
	long long	 read_bytes_limit_per_second;
	bool		 enable_watch_timer;
	bool		 enable_stat_watcher;
	bool		 skip_refresh_on_startup;
	bool		 ignore_repeated_permission_error;
	double		 multiline_flush_interval;
	double		 pos_file_compaction_interval;
	char		*encoding;
	char		*from_encoding;
	bool		 emit_unmatched_lines;
	bool		 open_on_every_update;
	long long	 limit_recently_modified;
	char		*path_timezone;
	/* Fluentd v0.12's parse parameters, directly in <source>. */
	char		*format;
	char		*time_key;
	char		*time_format;
	bool		 keep_time_key;
};

/* The tag of a file: `*` in tag becomes the path with / turned to dots. */
char	*tail_expand_tag(const char *tag, const char *path);

/* "x.log.2.gz" -> "x.log", "0.log.20240501-080000" -> "0.log". */
char	*rotated_base_name(const char *name);
/*
 * Where a file name stands in its lineage, larger is newer: x.log.2.gz
 * < x.log.1 < x.log, 0.log.20240501-080000.gz < 0.log.20240501-080001 <
 * 0.log. False when its suffix says nothing of its age (x.log.gz).
 */
bool	rotated_rank(const char *name, long double *rank);

/* For --backfill: what a tail source would do with a file. */
bool	tail_matches(const struct source *s, const char *path);
const struct tail_cfg *tail_config(const struct source *s);
struct source_parse *tail_parse(const struct source *s);
/* Files it follows now, rotated ones still draining included. */
size_t	tail_files_watched(const struct source *s);

#endif
