/*
 * test_buffer.c — shipper/buffer: chunks staged, queued and sent through
 * a fake output on a real loop.
 *
 * The fake encodes a record {"msg": w} as the line {"msg":"w"} and its
 * send writes down what it got ("a0 a1|a2|": the pending entries of
 * each send) and settles per a script: entries named r* are retried
 * in the first retry_sends sends, d* are dead, the first fail_sends
 * sends fail as a whole, and with async_ms it settles from a timer.
 * What each test holds the buffer to: exactly the unsettled entries
 * come back, in order, and nothing is lost without being counted.
 */
#define _GNU_SOURCE		/* memmem */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buffer.h"
#include "chunk_file.h"
#include "loop.h"
#include "mem.h"
#include "plugin.h"
#include "tmpdir.h"

#define MAX_SENDS	64

struct attempt {
	struct chunk	*c;
	int		 n;		/* which send it was */
};

struct fake {
	struct conf	 conf;
	struct buffer_cfg cfg;		/* loaded once: loading marks it used */
	bool		 cfg_loaded;
	struct output	 o;
	struct loop	*loop;
	struct buffer	*bf;
	/* the script */
	int		 fail_sends;
	int		 retry_sends;
	bool		 return_error;
	unsigned	 async_ms;
	int		 want_sends;
	/* what it saw */
	int		 sends;
	uint64_t	 send_ms[MAX_SENDS];
	uint64_t	 ids[MAX_SENDS];
	struct strbuf	 got;
	unsigned	 inflight;
	unsigned	 max_inflight;
	struct attempt	 deferred[MAX_SENDS];
	size_t		 ndeferred;
};

static int
fake_encode(struct output *o, const struct batch *b, const struct record *r,
    struct strbuf *out, struct err *e)
{
	const struct field	*f = record_get(b, r, FIELD_STR("msg"));

	(void)o;
	if (f == NULL)
		return err_set(e, "fake: no msg");
	sb_adds(out, "{\"msg\":\"");
	sb_add(out, f->val, f->vlen);
	sb_adds(out, "\"}");
	return 0;
}

/* The msg of entry i ("a0" out of {"msg":"a0"}). */
static const char *
entry_msg(struct chunk *c, size_t i, uint32_t *len)
{
	const char	*p = chunk_entry(c, i, len);

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_ge(*len, 10);
	*len -= 10;
	return p + 8;
}

static void
fake_settle(struct fake *f, struct chunk *c, int n)
{
	struct err	 fail;
	const char	*m;
	uint32_t	 len;
	size_t		 i;

	f->inflight--;
	if (n <= f->fail_sends) {
		err_set(&fail, "fake: 503 Service Unavailable");
		chunk_done(c, &fail);
		return;
	}
	for (i = 0; i < chunk_nentries(c); i++) {
		if (!chunk_entry_pending(c, i))
			continue;
		m = entry_msg(c, i, &len);
		if (m[0] == 'r' && n <= f->retry_sends)
			chunk_settle(c, i, ENTRY_RETRY);
		else
			chunk_settle(c, i, m[0] == 'd' ? ENTRY_DEAD : ENTRY_OK);
	}
	chunk_done(c, NULL);
}

static void
fake_settle_later(void *arg)
{
	struct fake	*f = arg;
	struct attempt	 a = f->deferred[0];

	memmove(f->deferred, f->deferred + 1,
	    --f->ndeferred * sizeof f->deferred[0]);
	fake_settle(f, a.c, a.n);
}

static void
note_send(struct fake *f, struct chunk *c)
{
	const char	*m;
	uint32_t	 len;
	size_t		 i, k = 0;

	ck_assert_int_lt(f->sends, MAX_SENDS);
	f->send_ms[f->sends] = loop_now_ms();
	f->ids[f->sends] = chunk_id(c);
	f->sends++;
	for (i = 0; i < chunk_nentries(c); i++) {
		if (!chunk_entry_pending(c, i))
			continue;
		m = entry_msg(c, i, &len);
		if (k++ > 0)
			sb_addc(&f->got, ' ');
		sb_add(&f->got, m, len);
	}
	sb_addc(&f->got, '|');
}

static int
fake_send(struct output *o, struct chunk *c, struct err *e)
{
	struct fake	*f = o->priv;

	note_send(f, c);
	if (f->return_error)
		return err_set(e, "fake: cannot connect");
	if (++f->inflight > f->max_inflight)
		f->max_inflight = f->inflight;
	ck_assert_uint_eq(f->inflight, buffer_stats(f->bf)->inflight);
	if (f->async_ms == 0) {
		fake_settle(f, c, f->sends);
		return 0;
	}
	f->deferred[f->ndeferred].c = c;
	f->deferred[f->ndeferred++].n = f->sends;
	loop_add_timer(f->loop, f->async_ms, false, fake_settle_later, f);
	return 0;
}

static const struct output_ops fake_ops = {
	.name = "fake",
	.encode = fake_encode,
	.send = fake_send,
};

/* --- harness -------------------------------------------------------------- */

static struct fake *
fake_new(const char *keys, const char *buffer_body)
{
	struct fake	*f = xcalloc(1, sizeof *f);
	char		*text;
	struct err	 e;

	text = xasprintf("<match t.**>\n  @type fake\n  @id fake1\n"
	    "  <buffer%s%s>\n%s  </buffer>\n</match>\n", *keys ? " " : "",
	    keys, buffer_body);
	ck_assert_msg(conf_load_string(&f->conf, text, "test.conf", &e) == 0,
	    "%s", e.msg);
	free(text);
	f->o.ops = &fake_ops;
	f->o.priv = f;
	f->o.file = f->conf.root.elems[0].file;
	f->o.line = f->conf.root.elems[0].line;
	f->o.id = "fake1";
	f->loop = loop_new(&e);
	ck_assert_ptr_nonnull(f->loop);
	return f;
}

static int
fake_open(struct fake *f, struct err *e)
{
	bool	 found;

	if (!f->cfg_loaded) {
		ck_assert_msg(buffer_conf_load(&f->cfg, &f->conf.root.elems[0],
		    &found, e) == 0, "%s", e->msg);
		ck_assert(found);
		f->cfg_loaded = true;
	}
	f->bf = buffer_new(&f->o, &f->cfg, e);
	return f->bf != NULL ? 0 : -1;
}

/* A fake with its buffer open and started. */
static struct fake *
fake_start(const char *buffer_body)
{
	struct fake	*f = fake_new("", buffer_body);
	struct err	 e;

	ck_assert_msg(fake_open(f, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(buffer_start(f->bf, f->loop, &e), 0);
	return f;
}

static void
fake_reopen(struct fake *f)
{
	struct err	 e;

	buffer_free(f->bf);
	ck_assert_msg(fake_open(f, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(buffer_start(f->bf, f->loop, &e), 0);
}

static void
fake_free(struct fake *f)
{
	if (f->bf != NULL)
		buffer_stop(f->bf);
	buffer_free(f->bf);
	loop_free(f->loop);
	buffer_conf_free(&f->cfg);
	conf_free(&f->conf);
	sb_free(&f->got);
	free(f);
}

/* Writes one batch: a record {"msg": w} per space-separated word. */
static int
write_words(struct fake *f, const char *words, struct err *e)
{
	struct batch	 b;
	const char	*p = words, *end;
	int		 rc;

	batch_init(&b);
	while (*p != '\0') {
		end = strchr(p, ' ');
		if (end == NULL)
			end = p + strlen(p);
		batch_begin(&b);
		batch_add(&b, FIELD_STR("msg"), p, (size_t)(end - p),
		    VAL_STRING);
		batch_commit(&b);
		p = *end ? end + 1 : end;
	}
	rc = buffer_write(f->bf, &b, e);
	batch_free(&b);
	return rc;
}

static void
must_write(struct fake *f, const char *words)
{
	struct err	 e;

	ck_assert_msg(write_words(f, words, &e) == 0, "%s", e.msg);
}

struct watch {
	struct fake	*f;
	bool		(*done)(struct fake *);
	uint64_t	 deadline;
	bool		 met;
};

static void
watch_tick(void *arg)
{
	struct watch	*w = arg;

	if (w->done(w->f)) {
		w->met = true;
		loop_stop(w->f->loop);
	} else if (loop_now_ms() > w->deadline)
		loop_stop(w->f->loop);
}

/* Runs the loop until done(f), or for at most max_ms. */
static bool
run_until(struct fake *f, bool (*done)(struct fake *), unsigned max_ms)
{
	struct watch		 w = { f, done, loop_now_ms() + max_ms, false };
	struct loop_timer	*t;
	struct err		 e;

	t = loop_add_timer(f->loop, 1, true, watch_tick, &w);
	ck_assert_int_eq(loop_run(f->loop, &e), 0);
	loop_del_timer(f->loop, t);
	return w.met;
}

static bool
drained(struct fake *f)
{
	return buffer_empty(f->bf) && f->inflight == 0;
}

static bool
sent_enough(struct fake *f)
{
	return f->sends >= f->want_sends;
}

static bool
gave_up(struct fake *f)
{
	return buffer_gave_up(f->bf);
}

/* The gauges: chunks queued and their bytes, bytes staged. */
static void
assert_chunks(struct fake *f, uint64_t queued, uint64_t queued_bytes,
    uint64_t staged_bytes)
{
	const struct buffer_stats	*st = buffer_stats(f->bf);

	ck_assert_uint_eq(st->queue_length, queued);
	ck_assert_uint_eq(st->queue_bytes, queued_bytes);
	ck_assert_uint_eq(st->stage_bytes, staged_bytes);
	ck_assert_uint_eq(st->chunks, queued + (staged_bytes > 0));
}

static const char *
got(struct fake *f)
{
	return sb_cstr(&f->got);
}

/* Runs until n sends; what the fake got, in all, must be expect. */
static void
sent(struct fake *f, int n, const char *expect)
{
	f->want_sends = n;
	ck_assert(run_until(f, sent_enough, 5000));
	ck_assert_str_eq(got(f), expect);
}

/* Sends all there is now; what the fake got, in all, must be expect. */
static void
drain(struct fake *f, const char *expect)
{
	buffer_enqueue_all(f->bf);
	ck_assert(run_until(f, drained, 5000));
	ck_assert_str_eq(got(f), expect);
}

/* --- stderr, for the messages --------------------------------------------- */

static int	 saved_stderr = -1;

static void
capture_stderr(void)
{
	char	*path = xasprintf("%s/stderr", tmpdir);
	int	 fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
	free(path);
}

/* What was logged since capture_stderr (static storage). */
static const char *
captured(void)
{
	static char	 buf[65536];
	char		*path = xasprintf("%s/stderr", tmpdir);
	int		 fd = open(path, O_RDONLY);
	ssize_t		 n;

	dup2(saved_stderr, 2);
	close(saved_stderr);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof buf - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	free(path);
	return buf;
}

static int
count_of(const char *hay, const char *needle)
{
	int	 n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* --- files ---------------------------------------------------------------- */

/* The chunk files of dir, sorted by name (= by id). */
static size_t
chunk_files(const char *dir, char paths[][256], size_t max)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	size_t		 n = 0, i, j;
	char		 tmp[256];

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		size_t	 len = strlen(de->d_name);

		if (strncmp(de->d_name, "spire-shipper.", 14) != 0 ||
		    len < 6 || strcmp(de->d_name + len - 6, ".chunk") != 0)
			continue;
		ck_assert_uint_lt(n, max);
		snprintf(paths[n++], 256, "%s/%s", dir, de->d_name);
	}
	closedir(d);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(paths[j - 1], paths[j]) > 0; j--) {
			strcpy(tmp, paths[j]);
			strcpy(paths[j], paths[j - 1]);
			strcpy(paths[j - 1], tmp);
		}
	return n;
}

static off_t
file_size(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void
put_file(const char *path, const void *p, size_t n, int flags)
{
	int	 fd = open(path, O_WRONLY | O_CREAT | flags, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static char *
file_body(const char *path, size_t *n)
{
	static char	 buf[65536];
	int		 fd = open(path, O_RDONLY);
	ssize_t		 r;

	ck_assert_int_ge(fd, 0);
	r = read(fd, buf, sizeof buf);
	ck_assert_int_ge(r, 0);
	close(fd);
	*n = (size_t)r;
	return buf;
}

static char *
buffer_body_file(const char *extra)
{
	return xasprintf("    @type file\n    path %s/buf\n%s", tmpdir, extra);
}

/* One frame: 8 bytes of header, then {"msg":"XX"} for a two-letter msg. */
#define FRAME2	(FRAME_HDR + 12)

/* --- tests: flushing ------------------------------------------------------ */

START_TEST(test_interval_flush)
{
	struct fake			*f = fake_start("    flush_interval 0.05\n");
	const struct buffer_stats	*st = buffer_stats(f->bf);
	uint64_t			 t0 = loop_now_ms();

	must_write(f, "a0 a1");
	must_write(f, "a2");
	assert_chunks(f, 0, 0, 3 * FRAME2);
	ck_assert_uint_ge(st->oldest_ms, t0);
	ck_assert_uint_eq(st->records_in, 3);
	ck_assert_uint_eq(st->bytes_in, 3 * 12);
	ck_assert_int_eq(buffer_config(f->bf)->flush_mode, FLUSH_INTERVAL);
	sent(f, 1, "a0 a1 a2|");
	ck_assert_uint_ge(f->send_ms[0] - t0, 50);
	ck_assert(buffer_empty(f->bf));
	ck_assert_uint_eq(st->acked, 3);
	assert_chunks(f, 0, 0, 0);
	ck_assert_uint_eq(st->oldest_ms, 0);
	fake_free(f);
}
END_TEST

START_TEST(test_size_flush)
{
	/* 3 frames of 20 bytes are 60 < 0.95 * 64; a 4th does not fit. */
	struct fake			*f = fake_start("    flush_interval 1h\n"
					    "    chunk_limit_size 64\n");
	const struct buffer_stats	*st = buffer_stats(f->bf);

	must_write(f, "a0 a1 a2 a3 a4 a5 a6 a7 a8 a9");
	assert_chunks(f, 3, 9 * FRAME2, FRAME2);
	sent(f, 3, "a0 a1 a2|a3 a4 a5|a6 a7 a8|");
	ck_assert(!run_until(f, drained, 50));	/* a9 waits: flush_interval */
	ck_assert_int_eq(f->sends, 3);
	ck_assert_uint_lt(f->ids[0], f->ids[1]);
	ck_assert_uint_lt(f->ids[1], f->ids[2]);
	drain(f, "a0 a1 a2|a3 a4 a5|a6 a7 a8|a9|");
	ck_assert_uint_eq(st->acked, 10);
	fake_free(f);
}
END_TEST

START_TEST(test_full_threshold)
{
	/* full at 0.5 * 64 = 32 bytes: two frames of 20 */
	struct fake	*f = fake_start("    flush_interval 1h\n"
			    "    chunk_limit_size 64\n"
			    "    chunk_full_threshold 0.5\n");

	must_write(f, "a0 a1 a2");
	assert_chunks(f, 1, 2 * FRAME2, FRAME2);
	fake_free(f);
}
END_TEST

START_TEST(test_records_limit)
{
	struct fake			*f = fake_start("    flush_interval 1h\n"
					    "    chunk_limit_records 2\n");
	const struct buffer_stats	*st = buffer_stats(f->bf);

	must_write(f, "a0 a1 a2");
	must_write(f, "a3 a4");
	assert_chunks(f, 2, 4 * FRAME2, FRAME2);	/* a0 a1, a2 a3; a4 */
	sent(f, 2, "a0 a1|a2 a3|");
	ck_assert_uint_eq(st->chunks, 1);
	fake_free(f);
}
END_TEST

START_TEST(test_immediate)
{
	struct fake	*f = fake_start("    flush_mode immediate\n");

	must_write(f, "a0 a1");
	ck_assert_uint_eq(buffer_stats(f->bf)->queue_length, 1);
	ck_assert(run_until(f, drained, 3000));
	must_write(f, "b0");
	drain(f, "a0 a1|b0|");
	fake_free(f);
}
END_TEST

/* --- tests: retries ------------------------------------------------------- */

START_TEST(test_retry_only_failed_entries)
{
	struct fake			*f = fake_start("    flush_mode immediate\n"
					    "    retry_wait 0.02\n"
					    "    retry_randomize false\n");
	const struct buffer_stats	*st = buffer_stats(f->bf);

	f->retry_sends = 2;
	capture_stderr();
	must_write(f, "o1 r1 o2 r2 d1");
	drain(f, "o1 r1 o2 r2 d1|r1 r2|r1 r2|");
	/* retry_wait, then twice that (exponential_backoff, base 2) */
	ck_assert_uint_ge(f->send_ms[1] - f->send_ms[0], 20);
	ck_assert_uint_ge(f->send_ms[2] - f->send_ms[1], 40);
	ck_assert_uint_eq(f->ids[0], f->ids[2]);
	ck_assert_uint_eq(st->acked, 4);
	ck_assert_uint_eq(st->dead, 1);
	ck_assert_uint_eq(st->retried, 4);
	ck_assert_uint_eq(st->retries, 0);	/* no send failed as a whole */
	ck_assert(!buffer_gave_up(f->bf));
	ck_assert_int_eq(count_of(captured(), "retry succeeded"), 1);
	fake_free(f);
}
END_TEST

START_TEST(test_failure_logged_once_per_interval)
{
	struct fake	*f = fake_start("    flush_mode immediate\n"
			    "    flush_thread_count 2\n"
			    "    retry_wait 0.2\n");
	const char	*log;

	f->fail_sends = 2;	/* both chunks fail once, then go through */
	capture_stderr();
	must_write(f, "a0");
	must_write(f, "b0");
	ck_assert(run_until(f, drained, 5000));
	log = captured();
	ck_assert_str_eq(got(f), "a0|b0|a0|b0|");
	ck_assert_int_eq(count_of(log, "failed to flush chunk"), 1);
	ck_assert_msg(strstr(log, "[warn] test.conf:1: <match> @type fake @id "
	    "fake1: failed to flush chunk") != NULL, "%s", log);
	ck_assert_msg(strstr(log, "503 Service Unavailable; 1 entries to "
	    "retry in 0.2s, at ") != NULL, "%s", log);
	ck_assert_int_eq(count_of(log, "retry succeeded"), 1);
	ck_assert_uint_eq(buffer_stats(f->bf)->retries, 2);
	fake_free(f);
}
END_TEST

START_TEST(test_give_up_file_backup)
{
	char		*body = buffer_body_file("    retry_max_times 2\n"
			    "    retry_wait 0.01\n");
	char		*dir = xasprintf("%s/buf", tmpdir), paths[4][256];
	char		*backup;
	struct fake	*f = fake_start(body);
	const char	*log, *data;
	size_t		 n;

	f->fail_sends = 100;
	must_write(f, "a0 a1 a2");
	ck_assert_uint_eq(chunk_files(dir, paths, 4), 1);
	backup = xasprintf("%s/backup/%s", dir, strrchr(paths[0], '/') + 1);
	buffer_enqueue_all(f->bf);
	capture_stderr();
	ck_assert(run_until(f, gave_up, 3000));
	log = captured();
	ck_assert_int_eq(f->sends, 3);		/* the first try + 2 retries */
	ck_assert_uint_eq(buffer_stats(f->bf)->dropped_retry, 3);
	ck_assert_uint_eq(buffer_stats(f->bf)->retries, 3);
	ck_assert(buffer_empty(f->bf));
	ck_assert_uint_eq(chunk_files(dir, paths, 4), 0);
	data = file_body(backup, &n);
	ck_assert_uint_eq(n, CHUNK_MAGIC_LEN + 3 * FRAME2);
	ck_assert(memcmp(data, CHUNK_MAGIC, CHUNK_MAGIC_LEN) == 0);
	ck_assert(memmem(data, n, "{\"msg\":\"a2\"}", 12) != NULL);
	ck_assert_msg(strstr(log, "[error] test.conf:1: <match> @type fake @id "
	    "fake1: gave up on chunk") != NULL, "%s", log);
	ck_assert_msg(strstr(log, "after 3 attempts (retry_max_times): fake: "
	    "503 Service Unavailable: 3 entries not delivered; the chunk is "
	    "kept in ") != NULL, "%s", log);
	fake_free(f);
	free(backup);
	free(dir);
	free(body);
}
END_TEST

START_TEST(test_give_up_send_error)
{
	/* retry_max_times 0: no retry; a send returning -1 is a failure */
	struct fake	*f = fake_start("    flush_mode immediate\n"
			    "    retry_max_times 0\n");
	const char	*log;

	f->return_error = true;
	capture_stderr();
	must_write(f, "a0 a1");
	ck_assert(run_until(f, gave_up, 3000));
	log = captured();
	ck_assert_msg(strstr(log, "cannot connect: 2 entries not delivered; "
	    "a memory chunk keeps no copy") != NULL, "%s", log);
	ck_assert_int_eq(f->sends, 1);
	ck_assert_uint_eq(buffer_stats(f->bf)->dropped_retry, 2);
	ck_assert_uint_eq(buffer_stats(f->bf)->retries, 1);
	ck_assert(buffer_empty(f->bf));
	fake_free(f);
}
END_TEST

START_TEST(test_give_up_timeout)
{
	struct fake	*f = fake_start("    flush_mode immediate\n"
			    "    retry_wait 0.01\n"
			    "    retry_timeout 0.1\n");
	uint64_t	 t0 = loop_now_ms();

	f->fail_sends = 1000;
	capture_stderr();
	must_write(f, "a0");
	ck_assert(run_until(f, gave_up, 5000));
	ck_assert(strstr(captured(), "(retry_timeout)") != NULL);
	ck_assert_uint_ge(loop_now_ms() - t0, 100);
	/* 10, 20, 40 ms (+-12.5%), then the last retry at the timeout */
	ck_assert_int_ge(f->sends, 3);
	ck_assert_int_le(f->sends, 6);
	ck_assert_uint_eq(buffer_stats(f->bf)->dropped_retry, 1);
	fake_free(f);
}
END_TEST

START_TEST(test_retry_forever)
{
	struct fake	*f = fake_start("    flush_mode immediate\n"
			    "    retry_wait 0.005\n"
			    "    retry_max_times 1\n"
			    "    retry_forever true\n"
			    "    retry_max_interval 0.01\n");

	f->fail_sends = 4;
	must_write(f, "a0");
	ck_assert(run_until(f, drained, 3000));
	ck_assert_int_eq(f->sends, 5);
	ck_assert(!buffer_gave_up(f->bf));
	ck_assert_uint_eq(buffer_stats(f->bf)->acked, 1);
	ck_assert_uint_eq(buffer_stats(f->bf)->retried, 4);
	fake_free(f);
}
END_TEST

START_TEST(test_inflight_limit)
{
	struct fake	*f = fake_start("    flush_interval 1h\n"
			    "    chunk_limit_records 1\n"
			    "    flush_thread_count 3\n");

	f->async_ms = 30;
	must_write(f, "a0 a1 a2 a3 a4");
	ck_assert_uint_eq(buffer_stats(f->bf)->queue_length, 5);
	drain(f, "a0|a1|a2|a3|a4|");
	ck_assert_uint_eq(f->max_inflight, 3);
	/* the 4th send waited for a settle */
	ck_assert_uint_ge(f->send_ms[3] - f->send_ms[0], 30);
	ck_assert_uint_eq(buffer_stats(f->bf)->inflight, 0);
	fake_free(f);
}
END_TEST

START_TEST(test_encode_error)
{
	struct fake	*f = fake_start("");
	struct batch	 b;
	struct err	 e;

	must_write(f, "a0");
	batch_init(&b);
	batch_begin(&b);
	batch_add(&b, FIELD_STR("msg"), FIELD_STR("a1"), VAL_STRING);
	batch_commit(&b);
	batch_begin(&b);			/* no msg: fake_encode fails */
	batch_add(&b, FIELD_STR("other"), FIELD_STR("x"), VAL_STRING);
	batch_commit(&b);
	ck_assert_int_eq(buffer_write(f->bf, &b, &e), -1);
	ck_assert_str_eq(e.msg, "test.conf:1: <match> @type fake @id fake1: "
	    "fake: no msg");
	ck_assert_uint_eq(buffer_stats(f->bf)->records_in, 1);
	ck_assert_uint_eq(buffer_stats(f->bf)->stage_bytes, FRAME2);
	batch_free(&b);
	fake_free(f);
}
END_TEST

/* --- tests: overflow ------------------------------------------------------ */

START_TEST(test_overflow_block)
{
	struct fake			*f = fake_start("    flush_interval 1h\n"
					    "    total_limit_size 100\n");
	const struct buffer_stats	*st = buffer_stats(f->bf);
	struct err			 e;

	/* Below the limit a batch is taken whole, even past it: the tail
	 * read it already. At the limit the next one waits. */
	must_write(f, "a0 a1 a2");
	ck_assert(!buffer_full(f->bf));
	must_write(f, "b0 b1 b2");
	ck_assert(buffer_full(f->bf));
	ck_assert_int_eq(write_words(f, "c0", &e), BUFFER_FULL);
	ck_assert_msg(strstr(e.msg, "buffer full (total_limit_size 100 bytes, "
	    "overflow_action block)") != NULL, "%s", e.msg);
	ck_assert_uint_eq(st->full, 1);
	ck_assert_uint_eq(st->records_in, 6);
	ck_assert_uint_eq(st->stage_bytes, 6 * FRAME2);
	buffer_enqueue_all(f->bf);
	ck_assert(run_until(f, drained, 3000));
	ck_assert(!buffer_full(f->bf));
	must_write(f, "c0");		/* room again */
	buffer_enqueue_all(f->bf);
	ck_assert(run_until(f, drained, 3000));
	ck_assert_str_eq(got(f), "a0 a1 a2 b0 b1 b2|c0|");
	fake_free(f);
}
END_TEST

START_TEST(test_overflow_throw)
{
	struct fake	*f = fake_start("    total_limit_size 50\n"
			    "    overflow_action throw_exception\n");
	struct err	 e;

	must_write(f, "a0 a1");
	must_write(f, "b0");
	ck_assert_int_eq(write_words(f, "c0", &e), BUFFER_FULL);
	ck_assert(strstr(e.msg, "throw_exception") != NULL);
	ck_assert_uint_eq(buffer_stats(f->bf)->full, 1);
	ck_assert_uint_eq(buffer_stats(f->bf)->records_in, 3);
	fake_free(f);
}
END_TEST

START_TEST(test_overflow_drop_oldest)
{
	struct fake			*f = fake_new("", "    flush_interval 1h\n"
					    "    chunk_limit_records 3\n"
					    "    total_limit_size 130\n"
					    "    overflow_action drop_oldest_chunk\n");
	const struct buffer_stats	*st;
	struct err			 e;

	ck_assert_int_eq(fake_open(f, &e), 0);	/* not started: chunks wait */
	st = buffer_stats(f->bf);
	must_write(f, "a0 a1 a2");
	must_write(f, "b0 b1 b2");
	ck_assert_uint_eq(st->queue_length, 2);
	capture_stderr();
	must_write(f, "c0 c1 c2");
	ck_assert(strstr(captured(), "dropped the oldest chunk") != NULL);
	ck_assert_uint_eq(st->dropped_overflow, 3);
	ck_assert_uint_eq(st->queue_length, 2);
	ck_assert_uint_eq(st->full, 0);
	ck_assert_int_eq(buffer_start(f->bf, f->loop, &e), 0);
	drain(f, "b0 b1 b2|c0 c1 c2|");
	fake_free(f);
}
END_TEST

/* --- tests: files --------------------------------------------------------- */

START_TEST(test_file_recovery)
{
	char				*body = buffer_body_file(
					    "    chunk_limit_records 3\n");
	char				*dir = xasprintf("%s/buf", tmpdir);
	char				 paths[4][256];
	struct fake			*f = fake_new("", body);
	const struct buffer_stats	*st;
	struct stat			 sb;
	mode_t				 um;
	struct err			 e;

	ck_assert_int_eq(fake_open(f, &e), 0);
	ck_assert_str_eq(buffer_dir(f->bf), dir);
	ck_assert_int_eq(stat(dir, &sb), 0);
	um = umask(0);
	umask(um);
	ck_assert_int_eq(sb.st_mode & 0777, 0755 & ~um);
	must_write(f, "a0 a1 a2 a3");
	must_write(f, "a4");
	ck_assert_uint_eq(chunk_files(dir, paths, 4), 2);
	ck_assert_int_eq(file_size(paths[1]), CHUNK_MAGIC_LEN + 2 * FRAME2);
	fake_reopen(f);			/* as after kill -9: nothing flushed */
	st = buffer_stats(f->bf);
	ck_assert_uint_eq(st->recovered_chunks, 2);
	ck_assert_uint_eq(st->recovered_records, 5);
	assert_chunks(f, 2, 5 * FRAME2, 0);
	ck_assert_uint_eq(st->torn_records, 0);
	must_write(f, "b0");
	drain(f, "a0 a1 a2|a3 a4|b0|");
	ck_assert_uint_lt(f->ids[0], f->ids[1]);
	ck_assert_uint_lt(f->ids[1], f->ids[2]);	/* new ids follow */
	ck_assert_uint_eq(chunk_files(dir, paths, 4), 0);
	fake_free(f);
	free(dir);
	free(body);
}
END_TEST

/* A chunk file written by hand, with an id far ahead of the clock. */
START_TEST(test_recovered_ids_come_first)
{
	char		*body = buffer_body_file("");
	char		*dir = xasprintf("%s/buf", tmpdir);
	char		*path = xasprintf("%s/spire-shipper.7000000000000000"
			    ".chunk", dir);
	struct strbuf	 sb = STRBUF_INIT;
	struct fake	*f = fake_new("", body);
	struct err	 e;
	size_t		 at;

	sb_add(&sb, CHUNK_MAGIC, CHUNK_MAGIC_LEN);
	at = frame_open(&sb);
	sb_adds(&sb, "{\"msg\":\"h0\"}");
	ck_assert_int_eq(frame_close(&sb, at, true, &e), 0);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	put_file(path, sb.buf, sb.len, O_TRUNC);
	ck_assert_int_eq(fake_open(f, &e), 0);
	ck_assert_uint_eq(buffer_stats(f->bf)->recovered_records, 1);
	must_write(f, "b0");
	ck_assert_int_eq(buffer_start(f->bf, f->loop, &e), 0);
	drain(f, "h0|b0|");
	ck_assert_uint_eq(f->ids[0], 0x7000000000000000ULL);
	ck_assert_uint_gt(f->ids[1], f->ids[0]);
	fake_free(f);
	sb_free(&sb);
	free(path);
	free(dir);
	free(body);
}
END_TEST

/* Writes words into one chunk file, frees the buffer, returns the path. */
static struct fake *
one_chunk_file(const char *words, char *path)
{
	char		*body = buffer_body_file("");
	char		*dir = xasprintf("%s/buf", tmpdir), paths[2][256];
	struct fake	*f = fake_new("", body);
	struct err	 e;

	ck_assert_int_eq(fake_open(f, &e), 0);
	must_write(f, words);
	buffer_free(f->bf);
	f->bf = NULL;
	ck_assert_uint_eq(chunk_files(dir, paths, 2), 1);
	strcpy(path, paths[0]);
	free(dir);
	free(body);
	return f;
}

START_TEST(test_torn_tail)
{
	char				 path[256];
	struct fake			*f = one_chunk_file("a0 a1 a2", path);
	const struct buffer_stats	*st;
	off_t				 size = file_size(path);

	put_file(path, "\x0c\x00", 2, O_APPEND);	/* half a header */
	fake_reopen(f);
	st = buffer_stats(f->bf);
	ck_assert_uint_eq(st->torn_records, 1);
	ck_assert_uint_eq(st->torn_bytes, 2);
	ck_assert_uint_eq(st->recovered_records, 3);
	ck_assert_int_eq(file_size(path), size);
	buffer_free(f->bf);

	ck_assert_int_eq(truncate(path, size - 3), 0);	/* a2 cut short */
	ck_assert_int_eq(fake_open(f, &(struct err){ 0 }), 0);
	st = buffer_stats(f->bf);
	ck_assert_uint_eq(st->torn_records, 1);
	ck_assert_uint_eq(st->torn_bytes, FRAME2 - 3);
	ck_assert_uint_eq(st->recovered_records, 2);
	ck_assert_int_eq(file_size(path), size - FRAME2);
	ck_assert_int_eq(buffer_start(f->bf, f->loop, &(struct err){ 0 }), 0);
	drain(f, "a0 a1|");
	fake_free(f);
}
END_TEST

/* Offset of entry i's frame in a chunk file of FRAME2-sized entries. */
#define AT(i)	(CHUNK_MAGIC_LEN + (i) * FRAME2)

static void
poke(const char *path, const char *bytes, size_t n, off_t at)
{
	int	 fd = open(path, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, bytes, n, at), (ssize_t)n);
	close(fd);
}

/* A flipped byte costs its own entry only: the rest is sent, and the
 * damaged file is kept beside it as .corrupt. */
START_TEST(test_bad_crc_in_the_middle)
{
	char				 path[256], *bad, *body;
	struct fake			*f = one_chunk_file("a0 a1 a2 a3 a4",
					    path);
	const struct buffer_stats	*st;
	const char			*log;
	size_t				 n;

	bad = xasprintf("%s.corrupt", path);
	/* the payload of a2: its "a" becomes "x", its CRC no longer checks */
	poke(path, "x", 1, AT(2) + FRAME_HDR + 8);
	capture_stderr();
	fake_reopen(f);
	log = captured();
	ck_assert_msg(strstr(log, "is damaged") != NULL &&
	    strstr(log, bad) != NULL && strstr(log, "1 entries lost") != NULL,
	    "%s", log);
	st = buffer_stats(f->bf);
	ck_assert_uint_eq(st->recovered_records, 4);
	ck_assert_uint_eq(st->corrupt_records, 1);
	ck_assert_uint_eq(st->corrupt_chunks, 1);
	ck_assert_uint_eq(st->torn_records, 0);
	/* set aside at start: nothing a restart would fix, /live is fine */
	ck_assert_ptr_null(buffer_damage(f->bf));
	ck_assert_uint_eq(st->damaged_chunks, 0);
	ck_assert_int_eq(file_size(path), AT(4));
	ck_assert_int_eq(file_size(bad), AT(5));
	body = file_body(bad, &n);
	ck_assert(memchr(body, 'x', n) != NULL);
	drain(f, "a0 a1 a3 a4|");
	fake_free(f);
	free(bad);
}
END_TEST

/* A damaged length: the next good frame is found all the same. */
START_TEST(test_bad_length_in_the_middle)
{
	char				 path[256];
	struct fake			*f = one_chunk_file("a0 a1 a2 a3 a4",
					    path);
	const struct buffer_stats	*st;

	poke(path, "\x7f", 1, AT(1) + 1);	/* a1's length: 32k more */
	fake_reopen(f);
	st = buffer_stats(f->bf);
	ck_assert_uint_eq(st->recovered_records, 4);
	ck_assert_uint_eq(st->corrupt_records, 1);
	drain(f, "a0 a2 a3 a4|");
	fake_free(f);
}
END_TEST

/* A damaged magic does not lose the frames after it; nor do zeros
 * (what a crash can leave) read as entries. */
START_TEST(test_bad_magic_and_zeros)
{
	char				 path[256], zeros[2 * FRAME2] = { 0 };
	struct fake			*f = one_chunk_file("a0 a1 a2 a3", path);
	const struct buffer_stats	*st;
	size_t				 n;

	poke(path, "SSCHUNK9", CHUNK_MAGIC_LEN, 0);
	poke(path, zeros, sizeof zeros, AT(1));		/* a1, a2 */
	fake_reopen(f);
	st = buffer_stats(f->bf);
	ck_assert_uint_eq(st->recovered_records, 2);
	ck_assert_uint_eq(st->corrupt_records, 2);
	ck_assert_uint_eq(st->corrupt_chunks, 1);
	ck_assert(memcmp(file_body(path, &n), CHUNK_MAGIC,
	    CHUNK_MAGIC_LEN) == 0);
	ck_assert_uint_eq(n, AT(2));
	drain(f, "a0 a3|");
	fake_free(f);
}
END_TEST

/* No room for the rewrite (its temporary name is taken here): what is
 * before the damage is kept, the rest counted lost, nothing hidden. */
START_TEST(test_damage_without_room)
{
	char				 path[256], *tmp;
	struct fake			*f = one_chunk_file("a0 a1 a2 a3 a4",
					    path);
	const struct buffer_stats	*st;
	const char			*log;

	tmp = xasprintf("%s.tmp", path);
	ck_assert_int_eq(mkdir(tmp, 0755), 0);
	poke(path, "x", 1, AT(2) + FRAME_HDR + 8);
	capture_stderr();
	fake_reopen(f);
	log = captured();
	ck_assert_msg(strstr(log, "cannot be saved") != NULL &&
	    strstr(log, "3 lost") != NULL, "%s", log);
	st = buffer_stats(f->bf);
	ck_assert_uint_eq(st->recovered_records, 2);
	ck_assert_uint_eq(st->corrupt_records + st->torn_records, 3);
	ck_assert_int_eq(file_size(path), AT(2));
	drain(f, "a0 a1|");
	fake_free(f);
	rmdir(tmp);
	free(tmp);
}
END_TEST

static bool
damaged(struct fake *f)
{
	return buffer_damage(f->bf) != NULL;
}

static bool
undamaged(struct fake *f)
{
	return buffer_damage(f->bf) == NULL;
}

static bool
retried_5(struct fake *f)
{
	return buffer_stats(f->bf)->retries >= 5;
}

/*
 * A chunk file that changes under the running buffer: its damage is
 * found when it is read back for sending, so the output never gets it;
 * it is said once, and held (for /live) while the file reads wrong,
 * until the restart whose recovery sends the entries that check.
 */
START_TEST(test_damage_found_when_sending)
{
	char		*body = buffer_body_file("    retry_wait 0.01\n"
			    "    retry_max_interval 0.02\n"
			    "    retry_forever true\n");
	char		*dir = xasprintf("%s/buf", tmpdir), paths[2][256];
	char		*bad;
	struct fake	*f = fake_start(body);
	const char	*log, *why;

	f->fail_sends = 1000;
	must_write(f, "a0 a1 a2");
	ck_assert_uint_eq(chunk_files(dir, paths, 2), 1);
	bad = xasprintf("%s.corrupt", paths[0]);
	buffer_enqueue_all(f->bf);
	sent(f, 1, "a0 a1 a2|");
	poke(paths[0], "x", 1, AT(1) + FRAME_HDR + 8);	/* a1's "a" */
	capture_stderr();
	ck_assert(run_until(f, retried_5, 3000));
	log = captured();
	ck_assert_int_eq(f->sends, 1);		/* never sent as it reads */
	why = buffer_damage(f->bf);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, paths[0]) != NULL &&
	    strstr(why, "entry 2 of 3") != NULL &&
	    strstr(why, "(its CRC)") != NULL, "%s", why);
	ck_assert_uint_eq(buffer_stats(f->bf)->damaged_chunks, 1);
	ck_assert_int_eq(count_of(log, "/live fails until a restart"), 1);

	poke(paths[0], "a", 1, AT(1) + FRAME_HDR + 8);	/* read right again */
	ck_assert(run_until(f, undamaged, 3000));
	ck_assert_uint_eq(buffer_stats(f->bf)->queue_length, 1);

	poke(paths[0], "x", 1, AT(1) + FRAME_HDR + 8);
	ck_assert(run_until(f, damaged, 3000));
	fake_reopen(f);				/* the restart */
	ck_assert_ptr_null(buffer_damage(f->bf));
	ck_assert_uint_eq(buffer_stats(f->bf)->corrupt_records, 1);
	ck_assert_int_ge(file_size(bad), AT(3));
	f->fail_sends = 0;
	sb_reset(&f->got);
	drain(f, "a0 a2|");
	fake_free(f);
	free(bad);
	free(dir);
	free(body);
}
END_TEST

/* fdatasync fails with EIO while this is set: a disk that lost a write. */
static bool	 sync_fails;

int
fdatasync(int fd)
{
	if (sync_fails) {
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_fdatasync, fd);
}

/*
 * A chunk whose sync failed may not be on disk as it reads from the page
 * cache: it is held as damaged even while it reads right, until it is
 * delivered (or a restart reads it from the disk).
 */
START_TEST(test_damage_after_failed_sync)
{
	char		*body = buffer_body_file("    retry_wait 0.01\n"
			    "    retry_max_interval 0.02\n"
			    "    retry_forever true\n");
	struct fake	*f = fake_start(body);
	const char	*why;

	f->fail_sends = 2;
	must_write(f, "a0 a1");
	capture_stderr();
	sync_fails = true;
	buffer_enqueue_all(f->bf);		/* a queued chunk is synced */
	sync_fails = false;
	ck_assert_int_eq(count_of(captured(), "/live fails until a restart"),
	    1);
	why = buffer_damage(f->bf);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, "fdatasync") != NULL &&
	    strstr(why, "Input/output error") != NULL &&
	    strstr(why, "may not be on disk as written") != NULL, "%s", why);
	sent(f, 2, "a0 a1|a0 a1|");
	ck_assert_ptr_nonnull(buffer_damage(f->bf));
	ck_assert(run_until(f, drained, 3000));
	ck_assert_ptr_null(buffer_damage(f->bf));
	ck_assert_uint_eq(buffer_stats(f->bf)->damaged_chunks, 0);
	fake_free(f);
	free(body);
}
END_TEST

START_TEST(test_foreign_files)
{
	char		*body = buffer_body_file("");
	char		*dir = xasprintf("%s/buf", tmpdir);
	char		*fluentd = xasprintf("%s/buffer.b5f0c1a2b3c4d5e6f708192a3b4c5d6e7.log",
			    dir);
	char		*meta = xasprintf("%s.meta", fluentd);
	char		*bad = xasprintf("%s/spire-shipper.0000000000000001.chunk",
			    dir);
	char		*empty = xasprintf("%s/spire-shipper.0000000000000002.chunk",
			    dir);
	char		*corrupt = xasprintf("%s.corrupt", bad), *log;
	struct fake	*f = fake_new("", body);
	struct err	 e;
	size_t		 n;

	ck_assert_int_eq(mkdir(dir, 0755), 0);
	put_file(fluentd, "\x92\xa3tag", 5, O_TRUNC);
	put_file(meta, "meta", 4, O_TRUNC);
	put_file(bad, "NOTMAGIC\x00\x00\x00\x00", 12, O_TRUNC);
	put_file(empty, "SSCH", 4, O_TRUNC);	/* crashed while created */
	capture_stderr();
	ck_assert_int_eq(fake_open(f, &e), 0);
	log = xstrdup(captured());
	ck_assert_int_eq(count_of(log, "holds Fluentd's chunk files"), 1);
	ck_assert_msg(strstr(log, dir) != NULL, "%s", log);
	ck_assert(strstr(log, "renamed to") != NULL);
	ck_assert_uint_eq(buffer_stats(f->bf)->corrupt_chunks, 1);
	ck_assert_uint_eq(buffer_stats(f->bf)->recovered_chunks, 0);
	ck_assert(buffer_empty(f->bf));
	ck_assert(memcmp(file_body(fluentd, &n), "\x92\xa3tag", 5) == 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(file_size(meta), 4);
	ck_assert_int_eq(file_size(bad), -1);
	ck_assert_int_eq(file_size(corrupt), 12);
	ck_assert_int_eq(file_size(empty), -1);
	fake_free(f);
	free(log);
	free(corrupt);
	free(empty);
	free(bad);
	free(meta);
	free(fluentd);
	free(dir);
	free(body);
}
END_TEST

/*
 * In a child limited to 4096-byte files (RLIMIT_FSIZE, SIGXFSZ ignored:
 * write(2) fails with EFBIG, as with ENOSPC): a batch whose first part
 * fits the staged chunk and whose big last record needs a chunk of its
 * own fails as a whole, and the staged chunk is as it was.
 */
static int
enospc_batch(struct fake *f, const char *dir)
{
	struct rlimit	 rl = { 4096, 4096 };
	char		 big[5001], words[5100], paths[4][256];
	struct err	 e;
	uint64_t	 staged;

	memset(big, 'z', 5000);
	big[5000] = '\0';
	snprintf(words, sizeof words, "aa bb %s", big);
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0 || fake_open(f, &e) != 0)
		return 10;
	must_write(f, "a0");
	staged = buffer_stats(f->bf)->stage_bytes;
	if (write_words(f, words, &e) != -1 ||
	    strstr(e.msg, "File too large") == NULL)
		return 11;
	if (buffer_stats(f->bf)->stage_bytes != staged ||
	    buffer_stats(f->bf)->records_in != 1 ||
	    buffer_stats(f->bf)->queue_length != 0)
		return 12;
	if (chunk_files(dir, paths, 4) != 1 ||
	    file_size(paths[0]) != (off_t)(CHUNK_MAGIC_LEN + staged))
		return 13;
	must_write(f, "a1");		/* and the buffer goes on */
	if (file_size(paths[0]) != (off_t)(CHUNK_MAGIC_LEN + 2 * FRAME2))
		return 14;
	fake_reopen(f);
	buffer_enqueue_all(f->bf);
	if (!run_until(f, drained, 3000) || strcmp(got(f), "a0 a1|") != 0)
		return 15;
	return 0;
}

/*
 * In a child limited to 4096-byte files (RLIMIT_FSIZE, SIGXFSZ ignored:
 * write(2) fails with EFBIG, as with ENOSPC): a batch whose first part
 * fits the staged chunk and whose big last record needs a chunk of its
 * own fails as a whole, and the staged chunk is as it was.
 */
static int
enospc_child(void)
{
	char		*body = buffer_body_file("    chunk_limit_size 3k\n");
	char		*dir = xasprintf("%s/buf", tmpdir);
	struct fake	*f = fake_new("", body);
	int		 rc = enospc_batch(f, dir);

	fake_free(f);
	free(dir);
	free(body);
	return rc;
}

START_TEST(test_batch_all_or_nothing)
{
	pid_t	 pid = fork();
	int	 status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(enospc_child());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* --- tests: configuration ------------------------------------------------- */

static const struct buffer_cfg *
config_of(struct fake *f)
{
	struct err	 e;

	ck_assert_msg(fake_open(f, &e) == 0, "%s", e.msg);
	return buffer_config(f->bf);
}

START_TEST(test_defaults_by_type)
{
	char			*file = buffer_body_file("");
	char			*file_flush = buffer_body_file(
				    "    flush_at_shutdown true\n"
				    "    chunk_limit_size 2M\n"
				    "    queue_limit_length 8\n"
				    "    timekey 1h\n");
	char			*star = xasprintf("    @type file\n    path "
				    "%s/star/spire.*.buffer\n", tmpdir);
	char			*star_dir = xasprintf("%s/star", tmpdir);
	struct fake		*st = fake_new("", star);
	struct fake		*m = fake_new("tag,time", "    @type memory\n");
	struct fake		*fl = fake_new("", file);
	struct fake		*ff = fake_new("", file_flush);
	const struct buffer_cfg	*c;

	c = config_of(m);
	ck_assert(c->flush_at_shutdown);
	ck_assert_uint_eq(c->chunk_limit_size, 8ULL << 20);
	ck_assert_uint_eq(c->total_limit_size, 512ULL << 20);
	ck_assert_int_eq(c->flush_mode, FLUSH_INTERVAL);
	ck_assert_int_eq(c->overflow_action, OVERFLOW_BLOCK);
	ck_assert_str_eq(c->chunk_keys, "tag,time");
	ck_assert_ptr_null(buffer_dir(m->bf));
	c = config_of(fl);
	ck_assert(!c->flush_at_shutdown);
	ck_assert_uint_eq(c->chunk_limit_size, 256ULL << 20);
	ck_assert_uint_eq(c->total_limit_size, 64ULL << 30);
	c = config_of(ff);
	ck_assert(c->flush_at_shutdown);
	ck_assert_uint_eq(c->total_limit_size, 16ULL << 20);
	ck_assert_int_eq(c->flush_mode, FLUSH_LAZY);
	config_of(st);		/* Fluentd's '*' of chunk names: its directory */
	ck_assert_str_eq(buffer_dir(st->bf), star_dir);
	ck_assert_int_eq(file_size(star_dir) >= 0, 1);
	fake_free(st);
	free(star_dir);
	free(star);
	fake_free(m);
	fake_free(fl);
	fake_free(ff);
	free(file);
	free(file_flush);
}
END_TEST

START_TEST(test_config_errors)
{
	struct fake		*f = fake_new("", "    @type file\n");
	struct fake		*g = fake_new("", "    flush_thread_count 0\n");
	struct buffer_cfg	 cfg;
	struct err		 e;
	bool			 found;

	ck_assert_int_eq(buffer_conf_load(&cfg, &f->conf.root.elems[0],
	    &found, &e), -1);
	ck_assert_str_eq(e.msg, "test.conf:4: <buffer> @type file needs path, "
	    "the directory to keep its chunk files in");
	buffer_conf_free(&cfg);
	ck_assert_int_eq(buffer_conf_load(&cfg, &g->conf.root.elems[0],
	    &found, &e), -1);
	ck_assert_str_eq(e.msg, "test.conf:5: <buffer> flush_thread_count "
	    "must be 1 or more");
	buffer_conf_free(&cfg);
	fake_free(f);
	fake_free(g);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("buffer");
	TCase	*tc = tcase_create("buffer");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, test_interval_flush);
	tcase_add_test(tc, test_size_flush);
	tcase_add_test(tc, test_full_threshold);
	tcase_add_test(tc, test_records_limit);
	tcase_add_test(tc, test_immediate);
	tcase_add_test(tc, test_retry_only_failed_entries);
	tcase_add_test(tc, test_failure_logged_once_per_interval);
	tcase_add_test(tc, test_give_up_file_backup);
	tcase_add_test(tc, test_give_up_send_error);
	tcase_add_test(tc, test_give_up_timeout);
	tcase_add_test(tc, test_retry_forever);
	tcase_add_test(tc, test_inflight_limit);
	tcase_add_test(tc, test_encode_error);
	tcase_add_test(tc, test_overflow_block);
	tcase_add_test(tc, test_overflow_throw);
	tcase_add_test(tc, test_overflow_drop_oldest);
	tcase_add_test(tc, test_file_recovery);
	tcase_add_test(tc, test_recovered_ids_come_first);
	tcase_add_test(tc, test_torn_tail);
	tcase_add_test(tc, test_bad_crc_in_the_middle);
	tcase_add_test(tc, test_bad_length_in_the_middle);
	tcase_add_test(tc, test_bad_magic_and_zeros);
	tcase_add_test(tc, test_damage_without_room);
	tcase_add_test(tc, test_damage_found_when_sending);
	tcase_add_test(tc, test_damage_after_failed_sync);
	tcase_add_test(tc, test_foreign_files);
	tcase_add_test(tc, test_batch_all_or_nothing);
	tcase_add_test(tc, test_defaults_by_type);
	tcase_add_test(tc, test_config_errors);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
