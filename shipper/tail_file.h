/*
 * tail_file.h — the files a tail source follows (internal to tail).
 */
#ifndef SHIPPER_TAIL_FILE_H
#define SHIPPER_TAIL_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "framer.h"
#include "posfile.h"
#include "reader.h"
#include "record.h"
#include "source_parse.h"
#include "strmap.h"
#include "tail.h"

#define TAIL_READ_CHUNK	(256 * 1024)

struct loop;
struct loop_timer;
struct route;

struct tail_file {
	struct tail	*t;
	char		*path;		/* as the glob matched it */
	char		*origin;	/* its identity: source_origin.h */
	int		 fd;
	struct reader	*rd;		/* a compressed sibling, sequential */
	uint64_t	 ino;
	uint64_t	 read_off;	/* next byte to read */
	uint64_t	 delivered;	/* lines before it are delivered */
	uint64_t	 fingerprint;	/* hash of the first line; the
					   records' source identity */
	struct framer	 fr;
	struct multiline ml;		/* <parse> @type multiline's events */
	uint64_t	 ml_fed;	/* ms, when lines last came */
	char		*tag;
	struct route	*rt;
	struct pos_entry *pe;		/* held by the oldest of a chain */
	bool		 pe_missing;	/* posfile_add failed: add it later */
	int		 wd;
	bool		 draining;	/* rotated away: read to its end */
	bool		 at_eof;
	bool		 dirty;		/* may have data to read */
	bool		 failed;	/* delivery failed: retry later */
	struct batch	*held;		/* read, counted and filtered, but the
					   output did not take it: delivered
					   again, never read again */
	unsigned	 fail_streak;	/* deliveries failed in a row (not for
					   a full buffer: that is waited on) */
	bool		 gone;		/* closed, to be freed */
	uint64_t	 drain_since;	/* ms, when it was seen rotated */
	uint64_t	 retry_at;	/* ms */
	unsigned	 holds;		/* copies draining before it */
	struct tail_file *holder;	/* a copy: the file it holds */
	struct tail_file *successor;	/* what replaced it at its path */
	struct tail_file *next;
};

struct dir_watch {
	int		 wd;
	char		*dir;
};

struct tail {
	struct source	*src;
	struct tail_cfg	*cfg;
	struct source_parse parse;
	char		**paths;
	struct loop	*loop;
	int		 ifd;
	struct dir_watch *dirs;
	size_t		 ndirs;
	struct tail_file *files;
	struct tail_file **files_end;	/* the last file's next, or NULL */
	struct strmap	 live;		/* path -> its file being followed (not
					   a rotated one draining, not a copy) */
	struct posfile	 pf;
	bool		 have_pf;
	struct batch	 batch;
	char		*buf;
	struct loop_timer *stat_timer;
	struct loop_timer *refresh_timer;
	struct loop_timer *unblock_timer; /* an output's buffer is full */
	bool		 started;
	bool		 stopping;
	bool		 work_pending;
	bool		 check_soon;
	uint64_t	 synced_writes;
	uint64_t	 counted_writes;	/* of pf.writes, in stats */
	int		 watch_errno;	/* inotify failed: the watch is dead */
	size_t		 starved_now;	/* files this scan left closed for want
					   of file descriptors */
	char		*starved_path;	/* the first of them */
	bool		 starved;	/* some are left closed */
	bool		 pos_failing;	/* the last pos file write failed */
	char		*lost_dir;	/* a watched directory went away */
};

void	tail_scan(struct tail *t, bool startup);
/* Files all tail sources hold open (their descriptors). */
size_t	tail_open_fds(void);
bool	tail_excluded(const struct tail *t, const char *path);

bool	tail_file_find_path(struct tail *t, const char *path);
void	tail_file_start(struct tail *t, const char *path, bool startup);
/* Inotify told about these watches (sorted by wd); wd -1: every file. */
struct tail_poke {
	int		 wd;
	uint32_t	 mask;
};
void	tail_files_poke(struct tail *t, const struct tail_poke *pk, size_t n);
void	tail_files_work(struct tail *t);
void	tail_files_check(struct tail *t);
void	tail_files_drain_rotated(struct tail *t);
void	tail_files_free(struct tail *t);
void	tail_positions_sync(struct tail *t);
/*
 * Stopping: the pending multiline events of the files read to their end
 * come out (as Fluentd's do); a file with more to read keeps its event
 * pending and its position before it, to read it whole at the next start.
 */
void	tail_files_flush_events(struct tail *t);
/* Pos entries whose files rotated away or vanished while we were down. */
void	tail_recover(struct tail *t);

/* In tail_rotate.c: the rotated sibling that holds an old inode. */
char	*tail_find_sibling(const char *path, uint64_t ino, uint64_t fp,
	    uint64_t min_size, bool *gz);
/*
 * The files rotated after `after` (beside it, of its lineage, not the
 * live file), oldest first: what was written between it and the live
 * file while nobody was reading. A NULL-terminated vector.
 */
char	**tail_newer_siblings(const char *after, uint64_t live_ino);


#endif
