/*
 * posfile.h — where each file was read up to, in Fluentd's format.
 *
 *   /var/log/containers/a.log<TAB>000000000000a3f2<TAB>00000000004c1b3e
 *
 * path, offset and inode as 16 hex digits, so a migration from Fluentd
 * keeps its positions. Entries are rewritten in place; a file no longer
 * watched gets offset ffffffffffffffff and is dropped when the file is
 * next loaded. Positions only ever move past data that is delivered.
 *
 * Beside it, `<pos_file>.fingerprints` remembers a hash of each file's
 * first line, so that after a restart a file that was rotated meanwhile
 * can be recognised among its siblings (an inode alone may be reused).
 */
#ifndef SHIPPER_POSFILE_H
#define SHIPPER_POSFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "strmap.h"

#define POS_UNWATCHED	0xffffffffffffffffULL

struct pos_entry {
	char		*path;
	uint64_t	 offset;
	uint64_t	 inode;
	uint64_t	 fingerprint;	/* 0: not known */
	off_t		 slot;		/* where its offset field is */
	bool		 watched;
};

struct posfile {
	char		*path;
	char		*fp_path;
	int		 fd;
	bool		 follow_inodes;
	struct pos_entry **v;
	size_t		 n;
	struct strmap	 by_path;	/* the latest entry of each path */
	bool		 fp_dirty;
	uint64_t	 writes;
	/* Lines that did not read at load (a crash mid-write, a damaged
	 * disk): how many, the first's number, where the file was kept,
	 * and the paths they still named. */
	size_t		 bad_lines;
	size_t		 first_bad;
	char		*quarantine;
	char		**damaged;
	size_t		 ndamaged;
	size_t		 lineno;	/* while loading */
};

/*
 * Loads (and compacts) path, creating it if needed. Lines that do not
 * read are dropped, counted, and the file as it was is kept as
 * <path>.corrupt.
 */
int	posfile_open(struct posfile *pf, const char *path, bool follow_inodes,
	    struct err *e);
void	posfile_close(struct posfile *pf);

/* A damaged line named this path: its position is lost. */
bool	posfile_damaged(const struct posfile *pf, const char *path);
/* The entry for a file: by path, or by inode with follow_inodes. */
struct pos_entry *posfile_find(struct posfile *pf, const char *path,
	    uint64_t inode);
/* Every loaded entry whose file is not watched yet (restart recovery). */
struct pos_entry *posfile_entry(struct posfile *pf, size_t i);
size_t	posfile_count(const struct posfile *pf);

struct pos_entry *posfile_add(struct posfile *pf, const char *path,
	    uint64_t inode, uint64_t offset, struct err *e);
/* Rewrites the entry's offset and inode in place. */
int	posfile_update(struct posfile *pf, struct pos_entry *pe,
	    uint64_t inode, uint64_t offset, struct err *e);
int	posfile_unwatch(struct posfile *pf, struct pos_entry *pe,
	    struct err *e);
void	posfile_set_fingerprint(struct posfile *pf, struct pos_entry *pe,
	    uint64_t fp);
/* Makes the positions and fingerprints durable. */
int	posfile_sync(struct posfile *pf, struct err *e);

/*
 * Parses one pos file line; 0 on success. Exposed for tests and the
 * fuzzer: the format is Fluentd's regexp ^([^\t]+)\t([0-9a-fA-F]+)\t
 * ([0-9a-fA-F]+), anything after it ignored.
 */
int	posfile_parse_line(const char *line, size_t len, char **path,
	    uint64_t *offset, uint64_t *inode);

/* FNV-1a of the first line of the file at fd (up to 512 bytes); 0 if
 * the file has no complete first line yet. */
uint64_t file_fingerprint(int fd);
/* The same over bytes already in memory. */
uint64_t fingerprint_bytes(const char *p, size_t n, bool complete);

#endif
