/*
 * buffer.c — Fluentd's <buffer> (see buffer.h): a staged chunk that
 * writes go to, a queue of chunks sent oldest first, and retries with
 * backoff of only the entries not yet settled.
 *
 * The one idea: buffer_write takes a whole batch or nothing. Every
 * record is encoded into frames in scratch first; only then are the
 * frames appended, split over as many chunks as the limits need, and a
 * failure anywhere undoes every append of the batch.
 *
 * Sends start only from the buffer's one timer, never from inside
 * buffer_write or chunk_done, so an output that settles synchronously
 * inside .send cannot recurse into the buffer.
 *
 * A chunk's size is the bytes of its frames (payload + 8 each): the
 * limits and the byte gauges count those; bytes_in counts payloads.
 *
 * Durability: a file buffer's write is one pwrite(2) per chunk touched.
 * Once it returns the bytes are in the kernel's page cache and survive
 * the shipper being killed (kill -9), though not a power loss; so
 * fdatasync runs when a chunk is queued and at buffer_stop, not per
 * write.
 *
 * Chunk keys (<buffer tag,time>) are accepted, but chunks are not split
 * by key: no output here names its destination after a tag or a time.
 * Retry state is per chunk (Fluentd keeps one per output); the failure
 * message is rate-limited per buffer as Fluentd's is.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "chunk_file.h"
#include "fsutil.h"
#include "hex.h"
#include "log.h"
#include "loop.h"
#include "mem.h"
#include "plugin.h"

#define CHUNK_PREFIX	"spire-shipper."
#define CHUNK_SUFFIX	".chunk"
#define RANDOMIZE_WIDTH	0.125		/* Fluentd's retry_randomize */
#define SCRATCH_KEEP	(32 * 1024)	/* of a batch's frames, between writes */

enum { STATE_PENDING, STATE_OK, STATE_DEAD };

/*
 * What is wrong with a chunk's file while the shipper runs. A restart
 * fixes either: recovery reads the file again, sends the frames that
 * check and keeps the rest as .corrupt. So /live fails while a buffer
 * holds such a chunk (see buffer_damage).
 */
enum {
	DAMAGE_NONE,
	DAMAGE_READ,	/* read back for sending, it did not check; it may
			   read right again (a page fixed by the disk) */
	DAMAGE_UNKNOWN,	/* a write left it in a state not known here (a
			   failed cut or sync); until it is gone */
};

struct chunk {
	struct buffer	*bf;
	struct chunk	*next;		/* queue order, oldest first */
	uint64_t	 id;
	struct frame_index ix;
	uint8_t		*state;		/* STATE_* per entry */
	size_t		 state_cap;
	const char	**tags;		/* per entry, in memory only */
	size_t		 tags_cap;
	size_t		 npending;
	struct strbuf	 mem;		/* memory chunk: its frames */
	char		*path;		/* file chunk */
	int		 fd;		/* file chunk being filled, else -1 */
	const char	*map;		/* file chunk being sent: its frames */
	uint64_t	 first_ms;	/* its first entry was written */
	uint64_t	 due_ms;	/* staged: queued by then (0: not by time) */
	bool		 queued;
	bool		 inflight;
	uint64_t	 round;		/* the dispatch round that last sent it */
	uint8_t		 damage;	/* DAMAGE_*: its file is not as written */
	/* Retries, as Fluentd's RetryStateMachine counts them. */
	unsigned	 failures;
	uint64_t	 first_fail_ms;
	uint64_t	 next_try_ms;
	bool		 reached_timeout;
	bool		 timed_out;
};

struct buffer {
	struct output	*o;
	struct buffer_cfg cfg;
	char		*dir;		/* file buffer */
	char		 name[256];	/* the output, for messages */
	struct loop	*loop;		/* between start and stop */
	struct loop_timer *timer;
	uint64_t	 timer_due;
	struct chunk	*stage;
	struct chunk	*queue;
	struct chunk	**queue_tail;
	uint64_t	 next_id;
	uint64_t	 round;
	struct strbuf	 scratch;	/* the batch being written, framed */
	const char	*scratch_tag;	/* its tag (a route's: it lasts) */
	struct frame_index scratch_ix;
	struct buffer_stats st;
	bool		 gave_up;
	char		 write_error[ERR_MAX]; /* the last write failed */
	char		 damage[ERR_MAX]; /* the last damage, while any */
	bool		 failing;	/* a failure since the last success */
	uint64_t	 quiet_until;	/* no failure message before then */
	unsigned short	 rand[3];	/* erand48 state for the jitter */
};

static void	schedule(struct buffer *bf);

static uint64_t
seconds_ms(double s)
{
	return s <= 0 ? 0 : s >= 1e15 ? UINT64_MAX / 2 : (uint64_t)(s * 1000);
}

static bool
is_file(const struct buffer *bf)
{
	return bf->cfg.type != BUFFER_MEMORY;
}

/* --- chunks --------------------------------------------------------------- */

static char *
chunk_path(const struct buffer *bf, uint64_t id)
{
	return xasprintf("%s/" CHUNK_PREFIX "%016" PRIx64 CHUNK_SUFFIX,
	    bf->dir, id);
}

/* The id of a chunk file name, if it is one. */
static bool
chunk_name_id(const char *name, uint64_t *id)
{
	size_t	 plen = strlen(CHUNK_PREFIX), i;
	int	 d;

	if (strlen(name) != plen + 16 + strlen(CHUNK_SUFFIX) ||
	    strncmp(name, CHUNK_PREFIX, plen) != 0 ||
	    strcmp(name + plen + 16, CHUNK_SUFFIX) != 0)
		return false;
	*id = 0;
	for (i = 0; i < 16; i++) {
		if ((d = hex_digit(name[plen + i])) < 0)
			return false;
		*id = *id << 4 | (uint64_t)d;
	}
	return true;
}

static struct chunk *
chunk_alloc(struct buffer *bf, uint64_t id)
{
	struct chunk	*c = xcalloc(1, sizeof *c);

	c->bf = bf;
	c->id = id;
	c->fd = -1;
	c->first_ms = loop_now_ms();
	return c;
}

/* When a staged chunk is queued by time, from its first entry. */
static uint64_t
stage_due(const struct buffer *bf, uint64_t first_ms)
{
	const struct buffer_cfg	*cfg = &bf->cfg;

	if (cfg->flush_mode == FLUSH_INTERVAL)
		return first_ms + seconds_ms(cfg->flush_interval);
	if (cfg->flush_mode == FLUSH_LAZY && cfg->timekey > 0)
		return first_ms + seconds_ms(cfg->timekey + cfg->timekey_wait);
	return 0;
}

static struct chunk *
chunk_new(struct buffer *bf, struct err *e)
{
	struct chunk	*c = chunk_alloc(bf, bf->next_id++);

	c->due_ms = stage_due(bf, c->first_ms);
	if (!is_file(bf))
		return c;
	c->path = chunk_path(bf, c->id);
	if ((c->fd = chunk_file_create(c->path, e)) == -1) {
		free(c->path);
		free(c);
		return NULL;
	}
	return c;
}

/* why: what failed; so: what that means for the chunk, or NULL. */
static void
chunk_damaged(struct chunk *c, uint8_t kind, const char *why, const char *so)
{
	struct buffer	*bf = c->bf;

	snprintf(bf->damage, sizeof bf->damage, "%s%s%s", why, so ? ": " : "",
	    so ? so : "");
	if (c->damage == DAMAGE_NONE) {
		bf->st.damaged_chunks++;
		log_error("%s: %s; /live fails until a restart recovers the "
		    "chunk (its entries that check are sent, the file is kept "
		    "as .corrupt)", bf->name, bf->damage);
	}
	if (kind > c->damage)
		c->damage = kind;
}

static void
chunk_undamaged(struct chunk *c)
{
	if (c->damage == DAMAGE_NONE)
		return;
	c->damage = DAMAGE_NONE;
	if (--c->bf->st.damaged_chunks == 0)
		c->bf->damage[0] = '\0';
}

/* Frees what c holds in memory; its file, if any, stays. */
static void
chunk_free(struct chunk *c)
{
	chunk_undamaged(c);
	if (c->fd != -1)
		close(c->fd);
	chunk_file_unmap(c->map, c->ix.bytes);
	frame_index_free(&c->ix);
	sb_free(&c->mem);
	free(c->state);
	free(c->tags);
	free(c->path);
	free(c);
}

static void
chunk_remove_file(const struct buffer *bf, const struct chunk *c)
{
	if (c->path != NULL && unlink(c->path) != 0 && errno != ENOENT)
		log_error("%s: cannot delete buffer chunk %s: %s; it will be "
		    "sent again at the next start", bf->name, c->path,
		    strerror(errno));
}

static void
queue_unlink(struct buffer *bf, struct chunk *c)
{
	struct chunk	**pp;

	for (pp = &bf->queue; *pp != NULL; pp = &(*pp)->next) {
		if (*pp != c)
			continue;
		*pp = c->next;
		if (bf->queue_tail == &c->next)
			bf->queue_tail = pp;
		bf->st.queue_length--;
		bf->st.queue_bytes -= c->ix.bytes;
		return;
	}
}

/* Takes c out of the buffer and frees it; unlink: its file too. */
static void
chunk_drop(struct buffer *bf, struct chunk *c, bool unlink_file)
{
	if (c->queued)
		queue_unlink(bf, c);
	if (bf->stage == c)
		bf->stage = NULL;
	if (unlink_file)
		chunk_remove_file(bf, c);
	chunk_free(c);
}

/* A queued memory chunk gives back the slack of its doubling growth. */
static void
mem_trim(struct strbuf *sb)
{
	if (sb->buf != NULL && sb->cap > sb->len + 1) {
		sb->buf = xrealloc(sb->buf, sb->len + 1);
		sb->cap = sb->len + 1;
	}
}

static void
enqueue(struct buffer *bf, struct chunk *c)
{
	struct err	 e;

	mem_trim(&c->mem);
	if (c->fd != -1) {
		if (chunk_file_sync(c->fd, c->path, &e) != 0)
			chunk_damaged(c, DAMAGE_UNKNOWN, e.msg, "its entries "
			    "may not be on disk as written");
		close(c->fd);
		c->fd = -1;
	}
	if (bf->stage == c)
		bf->stage = NULL;
	c->queued = true;
	c->next = NULL;
	*bf->queue_tail = c;
	bf->queue_tail = &c->next;
	bf->st.queue_length++;
	bf->st.queue_bytes += c->ix.bytes;
}

static void
gauges(struct buffer *bf)
{
	struct buffer_stats	*st = &bf->st;

	st->stage_bytes = bf->stage != NULL ? bf->stage->ix.bytes : 0;
	st->chunks = st->queue_length + (bf->stage != NULL);
	st->oldest_ms = bf->queue != NULL ? bf->queue->first_ms :
	    bf->stage != NULL ? bf->stage->first_ms : 0;
}

/* --- writing -------------------------------------------------------------- */

static bool
chunk_full(const struct buffer *bf, uint64_t bytes, size_t n)
{
	const struct buffer_cfg	*cfg = &bf->cfg;

	return (double)bytes >= (double)cfg->chunk_limit_size *
	    cfg->chunk_full_threshold ||
	    (cfg->chunk_limit_records > 0 &&
	    n >= (unsigned long long)cfg->chunk_limit_records);
}

/* How many scratch frames from i go into c; an empty c takes one. */
static size_t
frames_fitting(const struct buffer *bf, const struct chunk *c, size_t i)
{
	const struct frame_index *s = &bf->scratch_ix;
	uint64_t		 bytes = c->ix.bytes, len;
	size_t			 n = c->ix.n, k;

	for (k = 0; i + k < s->n && !chunk_full(bf, bytes, n); k++) {
		len = frame_end(s, i + k) - s->start[i + k];
		if (n > 0 && bytes + len > bf->cfg.chunk_limit_size)
			break;
		bytes += len;
		n++;
	}
	return k;
}

/* Appends scratch frames i..i+k-1 to c: one write for a file chunk. */
static int
chunk_append(struct buffer *bf, struct chunk *c, size_t i, size_t k,
    struct err *e)
{
	const struct frame_index *s = &bf->scratch_ix;
	uint64_t		 from = s->start[i], base = c->ix.bytes;
	uint64_t		 n = frame_end(s, i + k - 1) - from;
	size_t			 j;

	if (c->path != NULL) {
		if (chunk_file_append(c->fd, c->path, base,
		    bf->scratch.buf + from, (size_t)n, e) != 0)
			return -1;
	} else
		sb_add(&c->mem, bf->scratch.buf + from, (size_t)n);
	for (j = i; j < i + k; j++)
		frame_index_push(&c->ix, base + s->start[j] - from,
		    base + frame_end(s, j) - from);
	if (c->ix.n > c->state_cap)
		c->state = xgrow(c->state, &c->state_cap, c->ix.n, 1);
	memset(c->state + c->ix.n - k, STATE_PENDING, k);
	c->tags = xgrow(c->tags, &c->tags_cap, c->ix.n, sizeof *c->tags);
	for (j = c->ix.n - k; j < c->ix.n; j++)
		c->tags[j] = bf->scratch_tag;
	c->npending += k;
	return 0;
}

/* Undoes appends to c back to n entries ending at bytes. */
static void
chunk_rewind(struct chunk *c, size_t n, uint64_t bytes)
{
	struct err	 e;

	c->npending -= c->ix.n - n;
	c->ix.n = n;
	c->ix.bytes = bytes;
	if (c->path == NULL)
		c->mem.len = (size_t)bytes;
	else if (chunk_file_cut(c->fd, c->path, bytes, &e) != 0)
		chunk_damaged(c, DAMAGE_UNKNOWN, e.msg, "entries of a write "
		    "that failed may follow its own");
}

/* Encodes the committed records of b into scratch frames. */
static int
encode_batch(struct buffer *bf, const struct batch *b, struct err *e)
{
	struct output	*o = bf->o;
	size_t		 i, at;

	sb_reset(&bf->scratch);
	bf->scratch_ix.n = 0;
	bf->scratch_ix.bytes = 0;
	for (i = 0; i < b->nrecs; i++) {
		at = frame_open(&bf->scratch);
		if (o->ops->encode(o, b, &b->recs[i], &bf->scratch, e) != 0 ||
		    frame_close(&bf->scratch, at, is_file(bf), e) != 0)
			return err_wrap(e, "%s", bf->name);
		frame_index_push(&bf->scratch_ix, at, bf->scratch.len);
	}
	return 0;
}

static bool
fits(const struct buffer *bf, uint64_t need)
{
	uint64_t	 used = (bf->stage ? bf->stage->ix.bytes : 0) +
			    bf->st.queue_bytes;

	/* A batch that could never fit is taken into an empty buffer, so
	 * that it cannot block its source forever. */
	return used == 0 || used + need <= bf->cfg.total_limit_size;
}

static struct chunk *
oldest_waiting(const struct buffer *bf)
{
	struct chunk	*c;

	for (c = bf->queue; c != NULL && c->inflight; c = c->next)
		;
	return c;
}

/* overflow_action drop_oldest_chunk: false when nothing can go. */
static bool
drop_oldest(struct buffer *bf)
{
	struct chunk	*c = oldest_waiting(bf);

	if (c == NULL)
		return false;
	bf->st.dropped_overflow += c->npending;
	log_warn("%s: buffer full (total_limit_size %llu bytes): dropped the "
	    "oldest chunk %016" PRIx64 " and its %zu undelivered entries "
	    "(overflow_action drop_oldest_chunk)", bf->name,
	    bf->cfg.total_limit_size, c->id, c->npending);
	chunk_drop(bf, c, true);
	return true;
}

bool
buffer_full(const struct buffer *bf)
{
	return bf->cfg.overflow_action != OVERFLOW_DROP_OLDEST &&
	    (bf->stage ? bf->stage->ix.bytes : 0) + bf->st.queue_bytes >=
	    bf->cfg.total_limit_size;
}

/*
 * block and throw_exception refuse a write only when the buffer is full
 * already: the tail checks buffer_full() before it reads, so a batch it
 * read is always taken (the limit is passed by at most one batch), and
 * no line is read, counted and filtered twice.
 */
static bool
make_room(struct buffer *bf, uint64_t need)
{
	if (bf->cfg.overflow_action != OVERFLOW_DROP_OLDEST)
		return !buffer_full(bf);
	while (!fits(bf, need) &&
	    bf->cfg.overflow_action == OVERFLOW_DROP_OLDEST &&
	    drop_oldest(bf))
		;
	return fits(bf, need);
}

/*
 * The batch went into first (the staged chunk, or NULL) and then the
 * fresh chunks: all but the last are full and queued; the last is
 * queued too when full or in immediate mode, else it is the stage.
 */
static void
commit_chunks(struct buffer *bf, struct chunk *first, struct chunk *fresh)
{
	struct chunk	*c = first != NULL ? first : fresh, *next;

	if (first != NULL)
		first->next = fresh;
	for (; c != NULL; c = next) {
		next = c->next;
		if (next != NULL || chunk_full(bf, c->ix.bytes, c->ix.n) ||
		    bf->cfg.flush_mode == FLUSH_IMMEDIATE)
			enqueue(bf, c);
		else
			bf->stage = c;
	}
}

static int
append_batch(struct buffer *bf, struct err *e)
{
	struct chunk	*first = bf->stage, *cur = first, *fresh = NULL;
	struct chunk	**tail = &fresh, *c;
	size_t		 old_n = first ? first->ix.n : 0, i = 0, k;
	uint64_t	 old_bytes = first ? first->ix.bytes : 0;

	while (i < bf->scratch_ix.n) {
		k = cur != NULL ? frames_fitting(bf, cur, i) : 0;
		if (k == 0) {
			if ((cur = chunk_new(bf, e)) == NULL)
				goto undo;
			*tail = cur;
			tail = &cur->next;
			continue;
		}
		if (chunk_append(bf, cur, i, k, e) != 0)
			goto undo;
		i += k;
	}
	commit_chunks(bf, first, fresh);
	return 0;
undo:
	if (first != NULL)
		chunk_rewind(first, old_n, old_bytes);
	while ((c = fresh) != NULL) {
		fresh = c->next;
		chunk_remove_file(bf, c);
		chunk_free(c);
	}
	return err_wrap(e, "%s", bf->name);
}

static int
write_batch(struct buffer *bf, const struct batch *b, struct err *e)
{
	if (encode_batch(bf, b, e) != 0)
		return -1;
	bf->scratch_tag = b->tag;
	if (!make_room(bf, bf->scratch.len)) {
		bf->st.full++;
		err_set(e, "%s: buffer full (total_limit_size %llu bytes, "
		    "overflow_action %s)", bf->name, bf->cfg.total_limit_size,
		    bf->cfg.overflow_action == OVERFLOW_THROW ?
		    "throw_exception" : "block");
		return BUFFER_FULL;
	}
	if (append_batch(bf, e) != 0) {
		bf->st.write_errors++;
		snprintf(bf->write_error, sizeof bf->write_error, "%s", e->msg);
		return -1;
	}
	bf->write_error[0] = '\0';
	bf->st.records_in += b->nrecs;
	bf->st.bytes_in += bf->scratch.len - (uint64_t)b->nrecs * FRAME_HDR;
	gauges(bf);
	schedule(bf);
	return 0;
}

int
buffer_write(struct buffer *bf, const struct batch *b, struct err *e)
{
	int	 rc;

	if (b->nrecs == 0)
		return 0;
	rc = write_batch(bf, b, e);
	/* A whole read's batch (a file caught up) is rare: not kept. */
	sb_release(&bf->scratch, SCRATCH_KEEP);
	return rc;
}

/* --- sending -------------------------------------------------------------- */

/* queued_chunks_limit_size: no chunk is queued by time past it. */
static bool
may_queue_by_time(const struct buffer *bf)
{
	long long	 limit = bf->cfg.queued_chunks_limit_size > 0 ?
			    bf->cfg.queued_chunks_limit_size :
			    bf->cfg.flush_thread_count;

	return bf->st.queue_length - bf->st.inflight < (uint64_t)limit;
}

static bool
slot_free(const struct buffer *bf)
{
	return bf->st.inflight < (uint64_t)bf->cfg.flush_thread_count;
}

/* For an in_order output: c waits for its retry, and the chunks queued
 * after it wait for c. */
static bool
holds_back(const struct buffer *bf, const struct chunk *c)
{
	return bf->o->ops->in_order && !c->inflight && c->failures > 0;
}

static uint64_t
next_due(const struct buffer *bf)
{
	const struct chunk	*c;
	uint64_t		 due = UINT64_MAX;

	if (bf->stage != NULL && bf->stage->due_ms != 0 &&
	    may_queue_by_time(bf))
		due = bf->stage->due_ms;
	if (!slot_free(bf))
		return due;
	for (c = bf->queue; c != NULL; c = c->next) {
		if (!c->inflight && c->next_try_ms < due)
			due = c->next_try_ms;
		if (holds_back(bf, c))
			break;
	}
	return due;
}

static struct chunk *
next_ready(const struct buffer *bf, uint64_t now)
{
	struct chunk	*c;

	for (c = bf->queue; c != NULL; c = c->next) {
		if (!c->inflight && c->next_try_ms <= now &&
		    c->round != bf->round)
			return c;
		if (holds_back(bf, c))
			return NULL;
	}
	return NULL;
}

/* A file chunk's frames, read back and checked, for sending. */
static bool
chunk_map(struct chunk *c, struct err *e)
{
	bool	 damaged;

	c->map = chunk_file_map(c->path, &c->ix, &damaged, e);
	if (c->map == NULL && damaged)
		chunk_damaged(c, DAMAGE_READ, e->msg, NULL);
	else if (c->map != NULL && c->damage == DAMAGE_READ)
		chunk_undamaged(c);
	return c->map != NULL;
}

static void
chunk_send(struct buffer *bf, struct chunk *c)
{
	struct output	*o = bf->o;
	struct err	 e;

	c->round = bf->round;
	c->inflight = true;
	bf->st.inflight++;
	if (c->failures > 0)
		bf->st.retried += c->npending;
	if (c->path != NULL && !chunk_map(c, &e)) {
		chunk_done(c, &e);
		return;
	}
	e.msg[0] = '\0';
	if (o->ops->send(o, c, &e) != 0) {
		if (e.msg[0] == '\0')
			err_set(&e, "the output could not start sending");
		chunk_done(c, &e);
	}
}

/* Each chunk is sent at most once per round, however fast it fails. */
static void
dispatch(struct buffer *bf, uint64_t now)
{
	struct chunk	*c;

	bf->round++;
	while (bf->loop != NULL && slot_free(bf) &&
	    (c = next_ready(bf, now)) != NULL)
		chunk_send(bf, c);
}

static void
buffer_wake(void *arg)
{
	struct buffer	*bf = arg;
	uint64_t	 now = loop_now_ms();

	bf->timer = NULL;		/* a one-shot timer is gone once run */
	if (bf->stage != NULL && bf->stage->due_ms != 0 &&
	    bf->stage->due_ms <= now && may_queue_by_time(bf))
		enqueue(bf, bf->stage);
	dispatch(bf, now);
	gauges(bf);
	schedule(bf);
}

/* One timer per buffer, at the earliest thing due; none when idle. */
static void
schedule(struct buffer *bf)
{
	uint64_t	 due = next_due(bf), now;

	if (bf->loop == NULL)
		return;
	if (bf->timer != NULL && bf->timer_due == due)
		return;
	if (bf->timer != NULL)
		loop_del_timer(bf->loop, bf->timer);
	bf->timer = NULL;
	if (due == UINT64_MAX)
		return;
	now = loop_now_ms();
	bf->timer = loop_add_timer(bf->loop, due > now ? due - now : 0, false,
	    buffer_wake, bf);
	bf->timer_due = due;
}

/* --- settling and retries ------------------------------------------------- */

uint64_t
chunk_id(const struct chunk *c)
{
	return c->id;
}

size_t
chunk_nentries(const struct chunk *c)
{
	return c->ix.n;
}

const char *
chunk_entry(const struct chunk *c, size_t i, uint32_t *len)
{
	const char	*base = c->path != NULL ? c->map : c->mem.buf;

	*len = 0;
	if (i >= c->ix.n || base == NULL)
		return NULL;
	return frame_payload(&c->ix, base, i, len);
}

const char *
chunk_entry_tag(const struct chunk *c, size_t i)
{
	return i < c->ix.n && c->tags != NULL ? c->tags[i] : NULL;
}

bool
chunk_entry_pending(const struct chunk *c, size_t i)
{
	return i < c->ix.n && c->state[i] == STATE_PENDING;
}

void
chunk_settle(struct chunk *c, size_t i, enum entry_result r)
{
	if (!chunk_entry_pending(c, i) || r == ENTRY_RETRY)
		return;
	c->state[i] = r == ENTRY_OK ? STATE_OK : STATE_DEAD;
	c->npending--;
	if (r == ENTRY_OK)
		c->bf->st.acked++;
	else if (r == ENTRY_ERROR)
		c->bf->st.errored++;
	else
		c->bf->st.dead++;
}

/*
 * When the next attempt is due, as Fluentd's retry state steps: the
 * first retry after retry_wait exactly, then exponential (or periodic)
 * waits, capped by retry_max_interval, jittered, never past the
 * retry_timeout (the last retry happens at the timeout).
 */
static uint64_t
retry_next(struct buffer *bf, struct chunk *c, uint64_t now)
{
	const struct buffer_cfg	*cfg = &bf->cfg;
	double			 wait = cfg->retry_wait;
	uint64_t		 next, timeout_at;

	if (c->failures == 1)
		return now + seconds_ms(wait);
	if (cfg->retry_type == RETRY_EXPONENTIAL)
		wait *= pow(cfg->retry_exponential_backoff_base,
		    c->failures - 1);
	if (cfg->retry_max_interval > 0 &&
	    (wait > cfg->retry_max_interval || !isfinite(wait)))
		wait = cfg->retry_max_interval;
	if (cfg->retry_randomize)
		wait += wait * RANDOMIZE_WIDTH * (2 * erand48(bf->rand) - 1);
	next = now + seconds_ms(wait);
	if (cfg->retry_forever)
		return next;
	timeout_at = c->first_fail_ms + seconds_ms(cfg->retry_timeout);
	if (next >= timeout_at)
		next = timeout_at;
	if (c->reached_timeout)
		c->timed_out = next >= timeout_at;
	else
		c->reached_timeout = next >= timeout_at;
	return next;
}

static const char *
retry_limit_reached(const struct buffer *bf, const struct chunk *c)
{
	const struct buffer_cfg	*cfg = &bf->cfg;

	if (cfg->retry_forever)
		return NULL;
	if (cfg->retry_max_times >= 0 &&
	    c->failures - 1 >= (unsigned long long)cfg->retry_max_times)
		return "retry_max_times";
	return c->timed_out ? "retry_timeout" : NULL;
}

/* Moves a file chunk to <dir>/backup; the path it went to, or NULL. */
static char *
backup_chunk(struct buffer *bf, struct chunk *c, struct err *e)
{
	const char	*base = strrchr(c->path, '/') + 1;
	char		*bdir = xasprintf("%s/backup", bf->dir), *to;

	to = xasprintf("%s/%s", bdir, base);
	if ((mkdir(bdir, 0755) != 0 && errno != EEXIST) ||
	    rename(c->path, to) != 0) {
		err_set(e, "cannot move it to %s: %s", bdir, strerror(errno));
		free(to);
		to = NULL;
	}
	free(bdir);
	return to;
}

/* Retries exhausted: never silent, and a file chunk is kept. */
static void
give_up(struct buffer *bf, struct chunk *c, const struct err *fail,
    const char *limit)
{
	char		 where[ERR_MAX + 128], *to = NULL;
	struct err	 e;
	bool		 unlink_file = c->path != NULL;

	bf->st.dropped_retry += c->npending;
	bf->gave_up = true;
	if (c->path == NULL)
		snprintf(where, sizeof where, "a memory chunk keeps no copy");
	else if (bf->cfg.disable_chunk_backup)
		snprintf(where, sizeof where, "chunk file deleted "
		    "(disable_chunk_backup)");
	else if ((to = backup_chunk(bf, c, &e)) != NULL) {
		snprintf(where, sizeof where, "the chunk is kept in %s", to);
		unlink_file = false;
	} else {
		snprintf(where, sizeof where, "%s; left in place, it will be "
		    "sent again at the next start", e.msg);
		unlink_file = false;
	}
	log_error("%s: gave up on chunk %016" PRIx64 " after %u attempts "
	    "(%s)%s%s: %zu entries not delivered; %s", bf->name, c->id,
	    c->failures, limit, fail ? ": " : "", fail ? fail->msg : "",
	    c->npending, where);
	free(to);
	chunk_drop(bf, c, unlink_file);
}

static void
format_wall(uint64_t in_ms, char *buf, size_t size)
{
	time_t		 t = time(NULL) + (time_t)(in_ms / 1000);
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Once per retry interval per buffer, as Fluentd logs it. */
static void
report_failure(struct buffer *bf, const struct chunk *c,
    const struct err *fail, uint64_t now)
{
	uint64_t	 in = c->next_try_ms - now;
	char		 at[32];

	if (now < bf->quiet_until)
		return;
	bf->quiet_until = c->next_try_ms;
	format_wall(in, at, sizeof at);
	if (fail != NULL)
		log_warn("%s: failed to flush chunk %016" PRIx64 " (attempt "
		    "%u): %s; %zu entries to retry in %.3gs, at %s", bf->name,
		    c->id, c->failures, fail->msg, c->npending, in / 1000.0,
		    at);
	else
		log_warn("%s: chunk %016" PRIx64 ": %zu of %zu entries not "
		    "accepted (attempt %u); retrying them in %.3gs, at %s",
		    bf->name, c->id, c->npending, c->ix.n, c->failures,
		    in / 1000.0, at);
}

static void
chunk_failed(struct buffer *bf, struct chunk *c, const struct err *fail)
{
	uint64_t	 now = loop_now_ms(), next;
	const char	*limit;

	if (fail != NULL)
		bf->st.retries++;
	if (c->failures++ == 0)
		c->first_fail_ms = now;
	bf->failing = true;
	next = retry_next(bf, c, now);
	if ((limit = retry_limit_reached(bf, c)) != NULL) {
		give_up(bf, c, fail, limit);
		return;
	}
	c->next_try_ms = next > now ? next : now + 1;
	report_failure(bf, c, fail, now);
}

static void
chunk_delivered(struct buffer *bf, struct chunk *c)
{
	if (c->failures > 0 && bf->failing) {
		log_warn("%s: retry succeeded: chunk %016" PRIx64 " delivered "
		    "after %u failed attempts", bf->name, c->id, c->failures);
		bf->failing = false;
		bf->quiet_until = 0;
	}
	chunk_drop(bf, c, true);
}

void
chunk_done(struct chunk *c, const struct err *fail)
{
	struct buffer	*bf = c->bf;

	if (!c->inflight)
		return;
	c->inflight = false;
	bf->st.inflight--;
	chunk_file_unmap(c->map, c->ix.bytes);
	c->map = NULL;
	if (c->npending == 0)
		chunk_delivered(bf, c);
	else
		chunk_failed(bf, c, fail);
	gauges(bf);
	schedule(bf);
}

/* --- recovery ------------------------------------------------------------- */

static size_t
hex_run(const char *s)
{
	size_t	 n = 0;

	while (hex_digit(s[n]) >= 0)
		n++;
	return n;
}

/* Fluentd's file buffer: <prefix>.b<32 hex>.<suffix> and its .meta. */
static bool
fluentd_chunk_name(const char *name)
{
	size_t		 n = strlen(name);
	const char	*p;

	if (n > 5 && strcmp(name + n - 5, ".meta") == 0)
		return true;
	for (p = strchr(name, '.'); p != NULL; p = strchr(p + 1, '.'))
		if ((p[1] == 'b' || p[1] == 'q') && hex_run(p + 2) == 32 &&
		    (p[34] == '.' || p[34] == '\0'))
			return true;
	return false;
}

static void
set_aside_corrupt(struct buffer *bf, const char *path)
{
	char	*to = xasprintf("%s.corrupt", path);

	bf->st.corrupt_chunks++;
	if (rename(path, to) != 0)
		log_warn("%s: buffer chunk %s does not start with %s and "
		    "cannot be renamed to %s: %s; it is ignored", bf->name,
		    path, CHUNK_MAGIC, to, strerror(errno));
	else
		log_warn("%s: buffer chunk %s does not start with %s: renamed "
		    "to %s and not sent (look at it, then delete it)",
		    bf->name, path, CHUNK_MAGIC, to);
	free(to);
}

static void
queue_recovered(struct buffer *bf, uint64_t id, char *path,
    struct frame_index *ix)
{
	struct chunk	*c = chunk_alloc(bf, id);

	c->path = path;
	c->ix = *ix;
	c->state = xcalloc(ix->n, 1);	/* STATE_PENDING */
	c->state_cap = ix->n;
	c->npending = ix->n;
	bf->st.recovered_chunks++;
	bf->st.recovered_records += ix->n;
	enqueue(bf, c);
}

/* Says what recovery found wrong with a chunk file, and counts it. */
static void
report_damage(struct buffer *bf, const char *path, size_t good,
    const struct chunk_torn *torn)
{
	bf->st.torn_records += torn->records;
	bf->st.torn_bytes += torn->bytes;
	bf->st.corrupt_records += torn->damaged_records;
	if (torn->quarantine != NULL || torn->rewrite_error != NULL)
		bf->st.corrupt_chunks++;
	if (torn->quarantine != NULL) {
		char	 what[160];

		snprintf(what, sizeof what, "%s%s%" PRIu64 " bytes in %" PRIu64
		    " places did not check: %s%" PRIu64 " entries lost",
		    torn->bad_magic ? "its magic" : "", torn->bad_magic &&
		    torn->holes > 0 ? ", and " : "", torn->damaged_bytes,
		    torn->holes, torn->damaged_records != torn->holes ?
		    "about " : "", torn->damaged_records);
		log_warn("%s: buffer chunk %s is damaged (%s): its %zu good "
		    "entries are kept and will be sent; the damaged file is "
		    "kept as %s (look at it, then delete it)", bf->name, path,
		    torn->holes > 0 ? what : "its magic", good,
		    torn->quarantine);
	}
	else if (torn->rewrite_error != NULL)
		log_warn("%s: buffer chunk %s is damaged and its good entries "
		    "after the damage cannot be saved (%s): %zu entries before "
		    "it are kept, %" PRIu64 " lost", bf->name, path,
		    torn->rewrite_error, good, torn->damaged_records +
		    torn->records);
	if (torn->bytes > 0)
		log_warn("%s: buffer chunk %s ended in a torn write (a crash, "
		    "or a truncated file): cut %" PRIu64 " bytes (%" PRIu64
		    " entries lost) after its good entries", bf->name, path,
		    torn->bytes, torn->records);
}

static int
recover_chunk(struct buffer *bf, uint64_t id, struct err *e)
{
	char			*path = chunk_path(bf, id);
	struct frame_index	 ix = { 0 };
	struct chunk_torn	 torn;
	enum chunk_file_state	 state = CHUNK_FILE_EMPTY;

	if (chunk_file_recover(path, &ix, &torn, &state, e) != 0) {
		frame_index_free(&ix);
		chunk_torn_free(&torn);
		free(path);
		return err_wrap(e, "%s", bf->name);
	}
	report_damage(bf, path, ix.n, &torn);
	chunk_torn_free(&torn);
	if (state == CHUNK_FILE_FRAMES) {
		queue_recovered(bf, id, path, &ix);
		return 0;
	}
	if (state == CHUNK_FILE_BAD_MAGIC)
		set_aside_corrupt(bf, path);
	else if (unlink(path) != 0)
		log_warn("%s: cannot delete empty buffer chunk %s: %s",
		    bf->name, path, strerror(errno));
	frame_index_free(&ix);
	free(path);
	return 0;
}

static int
cmp_id(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Lists the chunk ids in the directory, sorted; notes Fluentd's files. */
static int
list_chunks(struct buffer *bf, uint64_t **ids, size_t *n, bool *fluentd,
    struct err *e)
{
	DIR		*d = opendir(bf->dir);
	struct dirent	*de;
	size_t		 cap = 0;
	uint64_t	 id;

	if (d == NULL)
		return err_set(e, "%s: cannot read buffer directory %s: %s",
		    bf->name, bf->dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (chunk_name_id(de->d_name, &id)) {
			*ids = xgrow(*ids, &cap, *n + 1, sizeof **ids);
			(*ids)[(*n)++] = id;
		} else if (fluentd_chunk_name(de->d_name))
			*fluentd = true;
	}
	closedir(d);
	if (*n > 1)
		qsort(*ids, *n, sizeof **ids, cmp_id);
	return 0;
}

static int
recover(struct buffer *bf, struct err *e)
{
	uint64_t	*ids = NULL;
	size_t		 n = 0, i;
	bool		 fluentd = false;
	int		 rc;

	rc = list_chunks(bf, &ids, &n, &fluentd, e);
	for (i = 0; rc == 0 && i < n; i++)
		rc = recover_chunk(bf, ids[i], e);
	if (n > 0 && ids[n - 1] >= bf->next_id)
		bf->next_id = ids[n - 1] + 1;
	free(ids);
	if (fluentd)
		log_warn("%s: buffer directory %s holds Fluentd's chunk files "
		    "(buffer.*.log, *.meta): they are left alone; flush them "
		    "with Fluentd, or move them away", bf->name, bf->dir);
	if (bf->st.recovered_chunks > 0)
		log_info("%s: %" PRIu64 " entries in %" PRIu64 " chunks "
		    "recovered from %s", bf->name, bf->st.recovered_records,
		    bf->st.recovered_chunks, bf->dir);
	return rc;
}

/* path, or its directory when it has Fluentd's '*' of chunk names. */
static char *
buffer_dir_of(const char *path)
{
	const char	*slash;

	if (strchr(path, '*') == NULL)
		return xstrdup(path);
	slash = strrchr(path, '/');
	if (slash == NULL)
		return xstrdup(".");
	return xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
}

static int
open_dir(struct buffer *bf, struct err *e)
{
	struct stat	 st;

	bf->dir = buffer_dir_of(bf->cfg.path);
	if (mkdir_parents(bf->dir, 0755, e) != 0)
		return err_wrap(e, "%s: <buffer> path", bf->name);
	if (mkdir(bf->dir, 0755) != 0 && errno != EEXIST)
		return err_set(e, "%s: cannot create buffer directory %s: %s "
		    "(check <buffer> path and its permissions)", bf->name,
		    bf->dir, strerror(errno));
	if (stat(bf->dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return err_set(e, "%s: <buffer> path %s is not a directory: "
		    "a file buffer keeps its chunk files in a directory",
		    bf->name, bf->dir);
	return recover(bf, e);
}

/* --- the buffer ----------------------------------------------------------- */

static void
copy_cfg(struct buffer_cfg *to, const struct buffer_cfg *from)
{
	const struct param_def	*d;
	char			**s;

	*to = *from;
	for (d = buffer_params; d->name != NULL; d++) {
		if (d->type != PARAM_STRING)
			continue;
		s = (char **)((char *)to + d->offset);
		if (*s != NULL)
			*s = xstrdup(*s);
	}
	if (to->chunk_keys != NULL)
		to->chunk_keys = xstrdup(to->chunk_keys);
	if (to->flush_mode == FLUSH_DEFAULT)
		to->flush_mode = to->timekey > 0 ? FLUSH_LAZY : FLUSH_INTERVAL;
}

/* Chunk ids grow across restarts: microseconds, past any on disk. */
static uint64_t
first_id(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
seed_jitter(struct buffer *bf)
{
	uint64_t	 s = first_id() ^ ((uint64_t)getpid() << 32) ^
			    (uint64_t)(uintptr_t)bf;

	bf->rand[0] = (unsigned short)s;
	bf->rand[1] = (unsigned short)(s >> 16);
	bf->rand[2] = (unsigned short)(s >> 32);
}

struct buffer *
buffer_new(struct output *o, const struct buffer_cfg *cfg, struct err *e)
{
	struct buffer	*bf = xcalloc(1, sizeof *bf);

	bf->o = o;
	bf->queue_tail = &bf->queue;
	copy_cfg(&bf->cfg, cfg);
	snprintf(bf->name, sizeof bf->name, "%s:%d: <match> @type %s%s%s",
	    o->file ? o->file : "(none)", o->line, o->ops->name,
	    o->id ? " @id " : "", o->id ? o->id : "");
	bf->next_id = first_id();
	seed_jitter(bf);
	if (o->ops->encode == NULL || o->ops->send == NULL) {
		err_set(e, "%s: this output cannot be buffered", bf->name);
		buffer_free(bf);
		return NULL;
	}
	if (is_file(bf) && (bf->cfg.path == NULL || open_dir(bf, e) != 0)) {
		if (bf->cfg.path == NULL)
			err_set(e, "%s: <buffer> @type file needs path, the "
			    "directory for its chunk files", bf->name);
		buffer_free(bf);
		return NULL;
	}
	if (bf->cfg.chunk_keys != NULL)
		log_info("%s: <buffer %s>: chunk keys are accepted, but chunks "
		    "are not split by key", bf->name, bf->cfg.chunk_keys);
	gauges(bf);
	return bf;
}

int
buffer_start(struct buffer *bf, struct loop *l, struct err *e)
{
	(void)e;
	bf->loop = l;
	schedule(bf);
	return 0;
}

void
buffer_enqueue_all(struct buffer *bf)
{
	if (bf->stage != NULL)
		enqueue(bf, bf->stage);
	gauges(bf);
	schedule(bf);
}

bool
buffer_empty(const struct buffer *bf)
{
	return bf->stage == NULL && bf->queue == NULL;
}

const char *
buffer_write_error(const struct buffer *bf)
{
	return bf->write_error[0] != '\0' ? bf->write_error : NULL;
}

const char *
buffer_damage(const struct buffer *bf)
{
	return bf->st.damaged_chunks > 0 ? bf->damage : NULL;
}

bool
buffer_gave_up(const struct buffer *bf)
{
	return bf->gave_up;
}

void
buffer_stop(struct buffer *bf)
{
	struct err	 e;

	if (bf->loop != NULL && bf->timer != NULL)
		loop_del_timer(bf->loop, bf->timer);
	bf->timer = NULL;
	bf->loop = NULL;
	if (bf->stage != NULL && bf->stage->fd != -1 &&
	    chunk_file_sync(bf->stage->fd, bf->stage->path, &e) != 0)
		log_warn("%s: %s", bf->name, e.msg);
}

/* A memory buffer freed with entries in it loses them: say so. */
static void
report_lost(const struct buffer *bf)
{
	const struct chunk	*c;
	size_t			 lost = bf->stage ? bf->stage->npending : 0;

	for (c = bf->queue; c != NULL; c = c->next)
		lost += c->npending;
	if (lost > 0)
		log_warn("%s: %zu entries in the memory buffer were not "
		    "delivered before exiting (flush_at_shutdown, or a file "
		    "buffer, keeps them)", bf->name, lost);
}

void
buffer_free(struct buffer *bf)
{
	struct chunk	*c;

	if (bf == NULL)
		return;
	buffer_stop(bf);
	if (!is_file(bf))
		report_lost(bf);
	if (bf->stage != NULL)
		chunk_free(bf->stage);
	while ((c = bf->queue) != NULL) {
		bf->queue = c->next;
		chunk_free(c);
	}
	sb_free(&bf->scratch);
	frame_index_free(&bf->scratch_ix);
	buffer_conf_free(&bf->cfg);
	free(bf->dir);
	free(bf);
}

const struct buffer_stats *
buffer_stats(const struct buffer *bf)
{
	return &bf->st;
}

const struct buffer_cfg *
buffer_config(const struct buffer *bf)
{
	return &bf->cfg;
}

const char *
buffer_dir(const struct buffer *bf)
{
	return bf->dir;
}
