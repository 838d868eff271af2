/*
 * tail_file.c — reading the files a tail source follows, their rotation
 * and their positions (see tail.c for the picture).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "config.h"
#include "fsutil.h"
#include "log.h"
#include "loop.h"
#include "mem.h"
#include "pipeline.h"
#include "source_origin.h"
#include "stats.h"
#include "tail_file.h"

#define READ_CHUNK	TAIL_READ_CHUNK
#define READ_BUDGET	(4 * READ_CHUNK)	/* per file per turn */

/*
 * Descriptors all tail sources hold. The open file limit is shared with
 * the outputs' sockets and chunk files and the listeners, so live files
 * leave a reserve for those (rotated files being finished may use it:
 * their lines are nowhere else).
 */
static size_t	 tail_fds;

size_t
tail_open_fds(void)
{
	return tail_fds;
}

static bool
fd_budget_left(void)
{
	unsigned long long	 lim = fd_limit(), reserve;

	if (lim == 0)
		return true;
	reserve = lim / 4 < 256 ? lim / 4 : 256;
	return tail_fds + reserve < lim;
}

static int64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct stats *
tstats(const struct tail *t)
{
	return t->src->stats;
}

/* --- a file -------------------------------------------------------------- */

static struct tail_file *
file_new(struct tail *t, const char *path, int fd, uint64_t ino)
{
	struct tail_file	*f = xcalloc(1, sizeof *f);

	f->t = t;
	f->path = xstrdup(path);
	f->origin = source_origin(path);
	f->fd = fd;
	f->ino = ino;
	f->wd = -1;
	framer_init(&f->fr, t->parse.envelope, t->cfg->max_line_size);
	multiline_init(&f->ml, t->cfg->max_line_size);
	f->tag = tail_expand_tag(t->cfg->tag, path);
	f->rt = pipeline_route_label(t->src->pl, t->src->label, f->tag,
	    strlen(f->tag));
	if (t->files_end == NULL)
		t->files_end = &t->files;
	*t->files_end = f;
	t->files_end = &f->next;
	tstats(t)->files++;
	return f;
}

static void
file_seek(struct tail_file *f, uint64_t off)
{
	f->read_off = f->delivered = off;
	framer_reset(&f->fr, off);
	multiline_reset(&f->ml);
}

static void
file_watch(struct tail_file *f)
{
	if (f->t->ifd == -1 || f->fd == -1)
		return;
	f->wd = inotify_add_watch(f->t->ifd, f->path, IN_MODIFY | IN_ATTRIB |
	    IN_MOVE_SELF | IN_DELETE_SELF | IN_CLOSE_WRITE);
}

static void
file_unwatch(struct tail_file *f)
{
	struct tail_file	*o;

	if (f->wd < 0)
		return;
	for (o = f->t->files; o != NULL; o = o->next)
		if (o != f && !o->gone && o->wd == f->wd)
			break;
	if (o == NULL)
		inotify_rm_watch(f->t->ifd, f->wd);
	f->wd = -1;
}

static void
file_close(struct tail_file *f)
{
	strmap_del(&f->t->live, f->path, f);
	file_unwatch(f);
	if (f->rd != NULL) {
		reader_close(f->rd);
		free((char *)f->rd->path);
		free(f->rd);
		f->rd = NULL;
		tail_fds--;
	} else if (f->fd != -1) {
		close(f->fd);
		tail_fds--;
	}
	f->fd = -1;
	f->gone = true;
}

static void
file_free(struct tail_file *f)
{
	if (f->held != NULL) {
		batch_free(f->held);
		free(f->held);
	}
	framer_free(&f->fr);
	multiline_free(&f->ml);
	free(f->path);
	free(f->origin);
	free(f->tag);
	free(f);
}

static struct tail_file *
pe_owner(struct tail *t, const struct pos_entry *pe)
{
	struct tail_file	*f;

	for (f = t->files; f != NULL && pe != NULL; f = f->next)
		if (!f->gone && f->pe == pe)
			return f;
	return NULL;
}

/* Once per streak: the pos file cannot be written (a full disk). */
static void
pos_write_failed(struct tail *t, const struct err *e)
{
	if (t->pos_failing) {
		log_debug("%s", e->msg);
		return;
	}
	log_error("%s; positions are kept in memory and written once it "
	    "can be (a restart meanwhile reads those lines again)", e->msg);
	t->pos_failing = true;
}

static void
pos_write_ok(struct tail *t)
{
	if (!t->pos_failing)
		return;
	log_info("tail: the pos file %s can be written again",
	    t->cfg->pos_file);
	t->pos_failing = false;
}

static void
file_save_position(struct tail_file *f)
{
	struct tail	*t = f->t;
	struct err	 e;

	if (!t->have_pf || f->holds > 0)
		return;
	/* Its entry could not be added when it was opened: again now. */
	if (f->pe == NULL && f->pe_missing) {
		if ((f->pe = posfile_add(&t->pf, f->path, f->ino, f->delivered,
		    &e)) == NULL) {
			pos_write_failed(t, &e);
			return;
		}
		f->pe_missing = false;
	}
	if (f->pe == NULL)
		return;
	if (posfile_update(&t->pf, f->pe, f->ino, f->delivered, &e) != 0) {
		pos_write_failed(t, &e);
		return;
	}
	pos_write_ok(t);
	/* Always the first line of the file the offset is in: a stale one
	 * would send a restart back into a copy already read. */
	posfile_set_fingerprint(&t->pf, f->pe, f->fingerprint);
	tstats(t)->pos_writes += t->pf.writes - t->counted_writes;
	t->counted_writes = t->pf.writes;
}

/* --- reading ------------------------------------------------------------- */

/* A logical line, or a multiline event, becomes a record. */
static void
on_record(void *arg, const struct logical_line *ll)
{
	struct tail_file	*f = arg;
	struct tail		*t = f->t;
	struct batch		*b = &t->batch;
	struct record		*r;

	if (f->fingerprint == 0 && f->fd != -1 && f->rd == NULL)
		f->fingerprint = file_fingerprint(f->fd);
	b->source = f->path;	/* for the filters, before delivery */
	b->sourcelen = strlen(f->path);
	r = batch_begin(b);
	r->source_id = f->fingerprint;
	source_parse_record(&t->parse, b, r, ll, now_ns(), t->cfg->path_key,
	    f->path, tstats(t));
	tstats(t)->lines++;
	t->src->lines++;
	route_run(f->rt, b);
}

static void
on_line(void *arg, const struct logical_line *ll)
{
	struct tail_file	*f = arg;
	struct tail		*t = f->t;

	if (!source_parse_joins(&t->parse)) {
		on_record(f, ll);
		return;
	}
	f->ml_fed = loop_now_ms();
	source_parse_join(&t->parse, &f->ml, ll, on_record, f, f->path,
	    tstats(t));
}

/* Multiline: the pending events come out (idle, end of file, stop). */
static void
file_flush_events(struct tail_file *f)
{
	source_parse_join_flush(&f->t->parse, &f->ml, on_record, f, f->path,
	    tstats(f->t));
}

static void
framer_counts(struct tail_file *f)
{
	struct stats	*st = tstats(f->t);

	st->physical_lines += f->fr.physical_lines;
	st->partial_lines += f->fr.partial_lines;
	st->truncated += f->fr.truncated;
	f->fr.physical_lines = f->fr.partial_lines = f->fr.truncated = 0;
}

/*
 * The output did not take the batch (a full or unwritable buffer, a
 * failing output): it is kept as it is and delivered again later. Read
 * again instead, its lines would be counted and filtered twice.
 */
static void
file_hold(struct tail_file *f, struct batch *b, int rc, const struct err *e)
{
	if (f->held == NULL) {
		f->held = xmalloc(sizeof *f->held);
		*f->held = *b;		/* the batch owns its bytes */
		batch_init(b);
	}
	f->failed = true;
	f->retry_at = loop_now_ms() + 1000;
	if (rc == BUFFER_FULL) {
		log_debug("%s: the buffer is full; delivering again in 1 s",
		    f->path);
		return;
	}
	if (f->fail_streak++ == 0)
		log_error("%s: %s; reading stops, its lines wait in the file "
		    "and delivery is tried again every second", f->path,
		    e->msg);
	else
		log_debug("%s: still failing: %s", f->path, e->msg);
}

/* Hands the batch (the held one first) to the output; on failure, it is
 * held and delivered again later. */
static int
file_deliver(struct tail_file *f)
{
	struct batch	*b = f->held != NULL ? f->held : &f->t->batch;
	struct err	 e;
	int		 rc;

	framer_counts(f);
	b->source = f->path;
	b->sourcelen = strlen(f->path);
	b->origin = f->origin;
	b->originlen = strlen(f->origin);
	if ((rc = route_deliver(f->rt, b, &e)) != 0) {
		file_hold(f, b, rc, &e);
		return -1;
	}
	batch_reset(b);
	if (f->held != NULL) {
		batch_free(f->held);
		free(f->held);
		f->held = NULL;
	}
	if (f->fail_streak > 0)
		log_info("%s: delivered again after %u failed attempts; "
		    "reading resumes", f->path, f->fail_streak);
	f->fail_streak = 0;
	/* Not past a pending event: a restart reads it again, whole. */
	f->delivered = multiline_resume(&f->ml, framer_resume_offset(&f->fr));
	file_save_position(f);
	return 0;
}

static ssize_t
file_pread(struct tail_file *f, char *buf, size_t n)
{
	struct err	 e;
	ssize_t		 r;

	if (f->rd != NULL) {
		r = reader_read(f->rd, buf, n, &e);
		if (r < 0)
			log_error("%s", e.msg);
		return r;
	}
	do
		r = pread(f->fd, buf, n, (off_t)f->read_off);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		log_error("%s: read: %s", f->path, strerror(errno));
	return r;
}

/* Reads one chunk; false at the end of the file (or on an error). */
static bool
file_read_chunk(struct tail_file *f)
{
	struct tail	*t = f->t;
	ssize_t		 n;

	if (f->held != NULL && file_deliver(f) != 0)
		return false;
	if ((n = file_pread(f, t->buf, READ_CHUNK)) <= 0) {
		if (n < 0) {
			tstats(t)->read_errors++;
			f->failed = true;
			f->retry_at = loop_now_ms() + 1000;
		}
		f->at_eof = true;
		return false;
	}
	if (f->read_off == 0 && f->fingerprint == 0)
		f->fingerprint = fingerprint_bytes(t->buf, (size_t)n, false);
	f->read_off += (uint64_t)n;
	f->at_eof = false;
	tstats(t)->bytes += (uint64_t)n;
	t->src->bytes += (uint64_t)n;
	batch_reset(&t->batch);
	framer_feed(&f->fr, t->buf, (size_t)n, on_line, f);
	return file_deliver(f) == 0;
}

static void	file_truncated(struct tail_file *f);
static bool	file_blocked(struct tail_file *f);

/*
 * Is the open file still the one we were reading? Copytruncate shrinks
 * it, or (if the writer was quick) refills it with a different first
 * line: either way reading on at our offset would cut lines in half.
 */
static bool
file_same_content(struct tail_file *f)
{
	struct stat	 st;
	uint64_t	 fp;

	/* Held lines were read from the content as it was: deliver first. */
	if (f->rd != NULL || f->fd == -1 || f->draining || f->held != NULL ||
	    fstat(f->fd, &st))
		return true;
	/* Also before the first read: a file opened at a scan can be copied
	 * and truncated before it is read, and its copy is then the only
	 * place its lines are. */
	if ((uint64_t)st.st_size < f->read_off || (f->fingerprint != 0 &&
	    (fp = file_fingerprint(f->fd)) != f->fingerprint)) {
		file_truncated(f);
		return false;
	}
	return true;
}

/* Reads up to budget bytes; true when more is waiting. */
static bool
file_read(struct tail_file *f, size_t budget)
{
	uint64_t	 start;

	file_same_content(f);
	start = f->read_off;
	f->dirty = false;
	while (f->read_off - start < budget) {
		if (!file_read_chunk(f))
			return false;
		/* A full buffer takes one batch past its limit, not four. */
		if (file_blocked(f))
			return true;
	}
	return true;
}

static bool
path_exists(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A rotated file is done: emit its last lines, hand its position on. */
static void
file_finish(struct tail_file *f)
{
	struct tail		*t = f->t;
	struct tail_file	*s;
	struct err		 e;

	/* Its last lines must be taken before its position is handed on. */
	if (f->held != NULL && file_deliver(f) != 0)
		return;
	batch_reset(&t->batch);
	framer_finish(&f->fr, on_line, f);
	file_flush_events(f);
	if (file_deliver(f) != 0)
		return;
	if (f->holder != NULL) {
		f->holder->holds--;
		file_save_position(f->holder);
	}
	if (f->pe != NULL) {
		for (s = f->successor; s != NULL && s->gone; s = s->successor)
			;
		/* A symlink dangles while its target is renamed: the new
		 * file may be there by now although no scan has seen it. */
		if (s == NULL && !t->stopping && path_exists(f->path) &&
		    !tail_file_find_path(t, f->path)) {
			tail_file_start(t, f->path, false);
			s = f->successor;
		}
		if (s != NULL) {
			s->pe = f->pe;
			file_save_position(s);
		} else if (!t->stopping && !path_exists(f->path) &&
		    t->have_pf && posfile_unwatch(&t->pf, f->pe, &e))
			log_error("%s", e.msg);
		/* Stopping, the entry stays: a restart finds what follows. */
		f->pe = NULL;
	}
	log_debug("tail: %s (inode %llu) read to its end at %llu", f->path,
	    (unsigned long long)f->ino, (unsigned long long)f->read_off);
	file_close(f);
}

static void
work_cb(void *arg)
{
	struct tail	*t = arg;

	t->work_pending = false;
	tail_files_work(t);
}

static void
schedule_work(struct tail *t)
{
	if (t->work_pending || t->loop == NULL)
		return;
	t->work_pending = true;
	loop_add_timer(t->loop, 0, false, work_cb, t);
}

static void
unblock_cb(void *arg)
{
	struct tail	*t = arg;

	t->unblock_timer = NULL;
	tail_files_work(t);
}

/*
 * Backpressure: an output's buffer is full, so its files are not read
 * (the files are the buffer upstream of ours) and are looked at again
 * shortly. Checked before a read, so a read adds at most one batch.
 */
static bool
file_blocked(struct tail_file *f)
{
	struct tail	*t = f->t;

	if (!route_blocked(f->rt) && !route_failing(f->rt))
		return false;
	if (t->unblock_timer == NULL && t->loop != NULL)
		t->unblock_timer = loop_add_timer(t->loop, 50, false,
		    unblock_cb, t);
	return true;
}

/*
 * The files of a chain are read oldest first: a file waits while the one
 * it replaced has lines left (after a restart, or a stall, both may hold
 * a backlog, and reading them in turns would send one pod's, so one
 * key's, records out of order). Files are listed oldest first, so the
 * pass that reads the last of a file reads its successor next.
 */
static bool
file_waits(const struct tail_file *f)
{
	const struct tail_file	*p;

	for (p = f->t->files; p != NULL; p = p->next)
		if (p->successor == f && !p->gone && (p->dirty ||
		    !p->at_eof || p->held != NULL))
			return true;
	return false;
}

void
tail_files_work(struct tail *t)
{
	struct tail_file	*f;
	bool			 more = false;

	if (t->stopping)
		return;
	for (f = t->files; f != NULL; f = f->next) {
		/* A held batch is how a failing output is tried again. */
		if (f->gone || f->failed || !f->dirty || (f->held == NULL &&
		    (file_blocked(f) || file_waits(f))))
			continue;
		if (file_read(f, READ_BUDGET)) {
			f->dirty = true;
			more = true;
		}
	}
	if (more)
		schedule_work(t);
}

static int
poke_cmp(const void *key, const void *elem)
{
	int	 a = *(const int *)key, b = ((const struct tail_poke *)elem)->wd;

	return a < b ? -1 : a > b;
}

/* One pass over the files for a whole read of events, not one each. */
void
tail_files_poke(struct tail *t, const struct tail_poke *pk, size_t n)
{
	struct tail_file	*f;
	const struct tail_poke	*hit;
	bool			 all = n > 0 && pk[0].wd == -1;

	for (f = t->files; f != NULL; f = f->next) {
		if (f->gone)
			continue;
		if (all)
			hit = pk;
		else if (f->wd < 0 || (hit = bsearch(&f->wd, pk, n, sizeof *pk,
		    poke_cmp)) == NULL)
			continue;
		f->dirty = true;
		if (hit->mask & (IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB))
			t->check_soon = true;
	}
}

/* --- opening ------------------------------------------------------------- */

static int
open_file(const char *path, uint64_t *ino, uint64_t *size, struct err *e)
{
	struct stat	 st;
	int		 fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return err_set(e, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		err_set(e, "cannot stat %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	*ino = (uint64_t)st.st_ino;
	*size = (uint64_t)st.st_size;
	tail_fds++;
	return fd;
}

/*
 * A file to read from `off` to its end, then let go: a rotated sibling
 * found after a restart, or a copytruncate copy. `tagpath` is the path
 * whose tag and route it takes.
 */
static struct tail_file *
file_start_drain(struct tail *t, const char *tagpath, const char *path,
    uint64_t off)
{
	struct tail_file	*f;
	struct reader		*rd = NULL;
	struct err		 e;
	uint64_t		 ino = 0, size;
	int			 fd;

	if ((fd = open_file(path, &ino, &size, &e)) < 0) {
		log_error("%s", e.msg);
		return NULL;
	}
	if (reader_is_gzip(fd)) {
		rd = xcalloc(1, sizeof *rd);
		if (reader_open_fd(rd, fd, xstrdup(path), &e) != 0 ||
		    reader_skip(rd, off, &e) != 0) {
			log_error("%s", e.msg);
			free((char *)rd->path);
			reader_close(rd);
			free(rd);
			tail_fds--;
			return NULL;
		}
		fd = -1;
	}
	f = file_new(t, tagpath, fd, ino);
	f->rd = rd;
	file_seek(f, off);
	f->draining = true;
	f->drain_since = 0;	/* written no more: no rotate_wait */
	f->dirty = true;
	if (fd != -1)
		f->fingerprint = file_fingerprint(fd);
	return f;
}

/*
 * A sibling that starts with the live file's first line is the copy of a
 * copytruncate still in progress: the live file holds the same lines, and
 * its copy is found again once it is truncated (file_truncated). Reading
 * both would ship them twice.
 */
static bool
copy_of_live(const char *path, uint64_t live_fp)
{
	uint64_t	 fp = 0;
	int		 fd;

	if (live_fp == 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	if (!reader_is_gzip(fd))
		fp = file_fingerprint(fd);
	close(fd);
	return fp == live_fp;
}

/*
 * After a restart: the pos entry names an inode that is no longer at its
 * path. Find that file among the rotated siblings, finish it from the
 * saved offset, then read every file rotated after it, oldest first.
 * Returns the last of that chain (whose successor is the live file).
 */
static struct tail_file *
recover_rotated(struct tail *t, struct pos_entry *pe, const char *path,
    uint64_t live_ino, uint64_t live_fp)
{
	struct tail_file	*head, *last, *f;
	char			*sib, **newer;
	uint64_t		 want_ino;
	bool			 gz;
	size_t			 i;

	/* The inode is no proof when the live file reused it. */
	want_ino = pe->inode == live_ino ? 0 : pe->inode;
	sib = want_ino == 0 && pe->fingerprint == 0 ? NULL :
	    tail_find_sibling(path, want_ino, pe->fingerprint, pe->offset, &gz);
	if (sib == NULL) {
		log_warn("tail: %s: the file read up to offset %llu (inode "
		    "%llu) is gone; lines written to it after that are lost",
		    path, (unsigned long long)pe->offset,
		    (unsigned long long)pe->inode);
		return NULL;
	}
	if ((head = file_start_drain(t, path, sib, pe->offset)) == NULL) {
		free(sib);
		return NULL;
	}
	log_info("tail: %s rotated while the shipper was down: finishing %s "
	    "from offset %llu", path, sib, (unsigned long long)pe->offset);
	if (head->rd != NULL)
		head->ino = pe->inode;	/* the position stays the original's */
	if (pe->fingerprint != 0)
		head->fingerprint = pe->fingerprint;
	head->pe = pe;
	pe->watched = true;
	tstats(t)->rotations++;
	last = head;
	newer = tail_newer_siblings(sib, live_ino);
	for (i = 0; newer[i] != NULL; i++) {
		if (copy_of_live(newer[i], live_fp)) {
			log_debug("tail: %s is a copy of %s still being made; "
			    "reading the live file instead", newer[i], path);
			continue;
		}
		if ((f = file_start_drain(t, path, newer[i], 0)) == NULL)
			continue;
		log_info("tail: and reading %s, rotated after it", newer[i]);
		last->successor = f;
		last = f;
	}
	conf_strv_free(newer);
	free(sib);
	return last;
}

/* The file shrank or its first line changed: it was copied and truncated. */
static void
file_truncated(struct tail_file *f)
{
	struct tail		*t = f->t;
	struct tail_file	*copy;
	bool			 gz;
	char			*sib = NULL;

	tstats(t)->truncations++;
	if (f->fingerprint != 0)
		sib = tail_find_sibling(f->path, 0, f->fingerprint,
		    f->delivered, &gz);
	if (sib != NULL && (copy = file_start_drain(t, f->path, sib,
	    f->delivered)) != NULL) {
		log_debug("tail: %s was copied to %s and truncated: reading "
		    "the copy from offset %llu", f->path, sib,
		    (unsigned long long)f->delivered);
		copy->holder = f;
		copy->fingerprint = f->fingerprint;
		f->holds++;
	} else if (f->delivered > 0 || f->read_off == 0)
		log_warn("tail: %s was truncated (copytruncate?) and no copy "
		    "of it (first line %016llx) was found: lines after offset "
		    "%llu may be lost", f->path,
		    (unsigned long long)f->fingerprint,
		    (unsigned long long)f->delivered);
	free(sib);
	file_seek(f, 0);
	f->fingerprint = file_fingerprint(f->fd);
	f->dirty = true;
}

bool
tail_file_find_path(struct tail *t, const char *path)
{
	return strmap_get(&t->live, path) != NULL;
}

static void
chain_append(struct tail_file *head, struct tail_file *f)
{
	while (head->successor != NULL)
		head = head->successor;
	head->successor = f;
}

/*
 * After a restart, is the file at a known path still the one the pos
 * entry was about? Not if its inode changed, it is shorter than the
 * saved offset, or its first line differs (inodes are reused).
 */
static bool
entry_replaced(const struct pos_entry *pe, uint64_t ino, uint64_t size,
    uint64_t fp)
{
	return pe->inode != ino || size < pe->offset || (pe->fingerprint != 0 &&
	    fp != pe->fingerprint);
}

void
tail_file_start(struct tail *t, const char *path, bool startup)
{
	struct tail_file	*f, *owner = NULL, *pred = NULL;
	struct pos_entry	*pe = NULL;
	struct err		 e;
	uint64_t		 ino, size, off, fp;
	int			 fd;

	if (!fd_budget_left()) {
		/* Not an error of the file's: tail_scan says it once. */
		if (t->starved_now++ == 0) {
			free(t->starved_path);
			t->starved_path = xstrdup(path);
		}
		return;
	}
	if ((fd = open_file(path, &ino, &size, &e)) < 0) {
		if (!t->cfg->ignore_repeated_permission_error || startup)
			log_warn("tail: %s", e.msg);
		tstats(t)->read_errors++;
		return;
	}
	fp = file_fingerprint(fd);
	if (t->have_pf && (pe = posfile_find(&t->pf, path, ino)) != NULL &&
	    pe->offset == POS_UNWATCHED)
		pe = NULL;
	if (pe != NULL && (owner = pe_owner(t, pe)) == NULL &&
	    entry_replaced(pe, ino, size, fp))
		pred = recover_rotated(t, pe, path, ino, fp);
	if (owner != NULL || pred != NULL)
		off = 0;	/* a new file at a known path: from its start */
	else if (pe != NULL && !entry_replaced(pe, ino, size, fp))
		off = pe->offset;
	else
		/* A damaged pos line lost its offset: from the start, rather
		 * than lose what was written since. */
		off = startup && !t->cfg->read_from_head && pe == NULL &&
		    !(t->have_pf && posfile_damaged(&t->pf, path)) ? size : 0;
	f = file_new(t, path, fd, ino);
	strmap_set(&t->live, f->path, f);
	file_seek(f, off);
	f->fingerprint = fp;
	if (owner != NULL)
		chain_append(owner, f);
	else if (pred != NULL)
		pred->successor = f;
	else if (pe != NULL) {
		f->pe = pe;
		pe->watched = true;
	} else if (t->have_pf && (f->pe = posfile_add(&t->pf, path, ino, off,
	    &e)) == NULL) {
		pos_write_failed(t, &e);
		f->pe_missing = true;
	}
	file_save_position(f);
	file_watch(f);
	f->dirty = true;
	schedule_work(t);
}

void
tail_recover(struct tail *t)
{
	size_t	 i;

	if (!t->have_pf)
		return;
	for (i = 0; i < posfile_count(&t->pf); i++) {
		struct pos_entry *pe = posfile_entry(&t->pf, i);
		struct err	  e;

		if (pe->watched || pe->offset == POS_UNWATCHED)
			continue;
		/* Not opened for want of descriptors: it is still there. */
		if (t->starved && path_exists(pe->path))
			continue;
		if (recover_rotated(t, pe, pe->path, 0, 0) == NULL &&
		    posfile_unwatch(&t->pf, pe, &e) != 0)
			log_error("%s", e.msg);
	}
	schedule_work(t);
}

/* --- the once-a-second look at every file -------------------------------- */

static void
file_rotated(struct tail_file *f, bool deleted)
{
	struct tail	*t = f->t;

	f->draining = true;
	strmap_del(&t->live, f->path, f);
	f->drain_since = loop_now_ms();
	f->dirty = true;
	tstats(t)->rotations++;
	log_debug("tail: %s %s; reading the old file (inode %llu) to its end",
	    f->path, deleted ? "was deleted" : "rotated",
	    (unsigned long long)f->ino);
	if (!deleted && !tail_excluded(t, f->path))
		tail_file_start(t, f->path, false);
}

static void
check_live(struct tail_file *f)
{
	struct stat	 st;

	if (stat(f->path, &st) != 0) {
		if (errno == ENOENT)
			file_rotated(f, true);
		return;
	}
	if ((uint64_t)st.st_ino != f->ino) {
		file_rotated(f, false);
		return;
	}
	if (file_same_content(f) && (uint64_t)st.st_size > f->read_off)
		f->dirty = true;
}

static void
check_draining(struct tail_file *f, uint64_t now)
{
	struct stat	 st;
	uint64_t	 wait = (uint64_t)(f->t->cfg->rotate_wait * 1000);

	if (f->rd == NULL && fstat(f->fd, &st) == 0 &&
	    (uint64_t)st.st_size > f->read_off)
		f->dirty = true;
	if (f->rd != NULL && !f->at_eof)
		f->dirty = true;
	if (f->at_eof && !f->dirty && !f->failed && now >= f->drain_since +
	    wait && !route_blocked(f->rt) && !route_failing(f->rt))
		file_finish(f);
}

static void
reap(struct tail *t)
{
	struct tail_file	**pp, *f, *o;

	for (pp = &t->files; (f = *pp) != NULL;) {
		if (!f->gone) {
			pp = &f->next;
			continue;
		}
		for (o = t->files; o != NULL; o = o->next) {
			if (o->successor == f)
				o->successor = f->successor;
			if (o->holder == f)
				o->holder = NULL;
		}
		*pp = f->next;
		file_free(f);
	}
	t->files_end = pp;
}

/*
 * multiline_flush_interval: an event pending that long with no line
 * since comes out, once the file has been read to its end (an event is
 * not cut short because the rest of it is still unread).
 */
static void
check_idle_event(struct tail_file *f, uint64_t now)
{
	uint64_t	 wait = (uint64_t)(f->t->cfg->multiline_flush_interval *
			    1000);

	if (wait == 0 || f->gone || f->dirty || f->failed || !f->at_eof ||
	    f->held != NULL ||
	    !multiline_pending(&f->ml) || now < f->ml_fed + wait ||
	    route_blocked(f->rt))
		return;
	batch_reset(&f->t->batch);
	file_flush_events(f);
	file_deliver(f);
}

void
tail_files_check(struct tail *t)
{
	struct tail_file	*f;
	uint64_t		 now = loop_now_ms();

	t->check_soon = false;
	for (f = t->files; f != NULL; f = f->next) {
		if (f->gone)
			continue;
		if (f->failed && now >= f->retry_at) {
			f->failed = false;
			f->dirty = true;
		}
		if (f->draining)
			check_draining(f, now);
		else if (f->fd != -1)
			check_live(f);
		check_idle_event(f, now);
	}
	reap(t);
}

void
tail_files_drain_rotated(struct tail *t)
{
	struct tail_file	*f;

	for (f = t->files; f != NULL; f = f->next) {
		if (f->gone || !f->draining)
			continue;
		/* Blocked, the rest stays in the file for the next start. */
		while (!route_blocked(f->rt) && file_read_chunk(f))
			;
		if (!f->failed && f->at_eof)
			file_finish(f);
	}
	for (f = t->files; f != NULL; f = f->next)
		if (!f->gone)
			file_save_position(f);
	reap(t);
}

void
tail_files_flush_events(struct tail *t)
{
	struct tail_file	*f;

	for (f = t->files; f != NULL; f = f->next) {
		if (f->gone || f->failed || f->held != NULL ||
		    !multiline_pending(&f->ml) || route_blocked(f->rt))
			continue;
		/* A notice may be left of what was read already. */
		if (f->dirty && file_read(f, READ_BUDGET))
			continue;
		if (f->failed || !f->at_eof || !multiline_pending(&f->ml))
			continue;
		batch_reset(&t->batch);
		file_flush_events(f);
		file_deliver(f);
	}
}

void
tail_positions_sync(struct tail *t)
{
	struct err	 e;

	if (t->have_pf && (t->pf.writes != t->synced_writes ||
	    t->pf.fp_dirty)) {
		if (posfile_sync(&t->pf, &e) != 0) {
			pos_write_failed(t, &e);
			return;
		}
		pos_write_ok(t);
		t->synced_writes = t->pf.writes;
	}
}

void
tail_files_free(struct tail *t)
{
	struct tail_file	*f, *next;

	/* Close them all before freeing any: closing looks at the others.
	 * Their watches go with the inotify descriptor, all at once (one
	 * by one is quadratic, and each removal waits for the kernel). */
	for (f = t->files; f != NULL; f = f->next)
		f->wd = -1;
	for (f = t->files; f != NULL; f = f->next)
		if (!f->gone)
			file_close(f);
	for (f = t->files; f != NULL; f = next) {
		next = f->next;
		file_free(f);
	}
	t->files = NULL;
	t->files_end = NULL;
	strmap_free(&t->live);
}
