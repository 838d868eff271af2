/*
 * test_framer.c — bytes of a log file to logical lines.
 *
 * The framer sees a file the way read() hands it over: in pieces cut
 * anywhere. So the main property tested is that the lines it emits do
 * not depend on where the pieces were cut (every split point, one byte
 * at a time, random sizes), then each feature on its own: CRI and Docker
 * partial lines joined per stream, envelope detection, max_line_size for
 * joined and for runaway lines (whose memory must stay bounded), and the
 * offset reading must resume from.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framer.h"
#include "mem.h"

#define MAXL	256

struct line {
	char		*content;
	size_t		 len;
	uint64_t	 offset;
	uint64_t	 end;
	char		 time[64];
	char		 stream[16];
	char		 logtag[16];
	int64_t		 time_ns;
	int		 kind;
	unsigned	 physical;
	bool		 truncated;
	bool		 not_envelope;
};

struct sink {
	struct line	 v[MAXL];
	size_t		 n;
};

static struct framer	 fr;
static struct sink	 out;

static void
sink_clear(struct sink *s)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].content);
	s->n = 0;
}

static void
copy_meta(char *dst, size_t size, const char *p, size_t n)
{
	if (p == NULL)
		n = 0;
	if (n >= size)
		n = size - 1;
	memcpy(dst, p ? p : "", n);
	dst[n] = '\0';
}

static void
collect(void *arg, const struct logical_line *ll)
{
	struct sink	*s = arg;
	struct line	*l;

	ck_assert_uint_lt(s->n, MAXL);
	l = &s->v[s->n++];
	memset(l, 0, sizeof *l);
	l->content = xmalloc(ll->len + 1);
	memcpy(l->content, ll->content, ll->len);
	l->content[ll->len] = '\0';
	l->len = ll->len;
	l->offset = ll->offset;
	l->end = ll->end;
	copy_meta(l->time, sizeof l->time, ll->env.time, ll->env.timelen);
	copy_meta(l->stream, sizeof l->stream, ll->env.stream,
	    ll->env.streamlen);
	copy_meta(l->logtag, sizeof l->logtag, ll->env.logtag,
	    ll->env.logtaglen);
	l->time_ns = ll->env.time_ns;
	l->kind = ll->env.stream_kind;
	l->physical = ll->physical;
	l->truncated = ll->truncated;
	l->not_envelope = ll->not_envelope;
}

static void
setup(void)
{
	memset(&fr, 0, sizeof fr);
	out.n = 0;
}

static void
teardown(void)
{
	framer_free(&fr);
	sink_clear(&out);
}

static void
init(enum envelope_type t, size_t max)
{
	framer_free(&fr);
	framer_init(&fr, t, max);
	sink_clear(&out);
}

/* Feeds s in one piece, from a buffer of exactly its size. */
static void
feed(const char *s, size_t n)
{
	char	*p = xmalloc(n ? n : 1);

	memcpy(p, s, n);
	framer_feed(&fr, p, n, collect, &out);
	free(p);
}

#define FEED(s)	feed((s), sizeof(s) - 1)

#define ck_assert_line(i, want) do {					\
	ck_assert_uint_gt(out.n, (i));					\
	ck_assert_msg(out.v[i].len == sizeof(want) - 1 &&		\
	    memcmp(out.v[i].content, (want), sizeof(want) - 1) == 0,	\
	    "line %d: [%s]", (int)(i), out.v[i].content);		\
} while (0)

#define T1	"2024-05-01T08:00:02.22432324Z"
#define T2	"2024-05-01T08:00:03Z"
#define T1_NS	1714550402224323240LL

/* --- none ----------------------------------------------------------------- */

START_TEST(test_none_lines)
{
	init(ENVELOPE_NONE, 0);
	FEED("a\nb\r\n\n\rc");
	ck_assert_uint_eq(out.n, 3);
	ck_assert_line(0, "a");
	ck_assert_uint_eq(out.v[0].offset, 0);
	ck_assert_uint_eq(out.v[0].end, 2);
	ck_assert_line(1, "b");		/* CRLF: the CR goes too */
	ck_assert_uint_eq(out.v[1].offset, 2);
	ck_assert_uint_eq(out.v[1].end, 5);
	ck_assert_line(2, "");
	ck_assert(!out.v[0].not_envelope);
	ck_assert_int_eq(out.v[0].kind, STREAM_OTHER);
	ck_assert(framer_pending(&fr));
	ck_assert_uint_eq(framer_resume_offset(&fr), 6);
	framer_finish(&fr, collect, &out);
	ck_assert_uint_eq(out.n, 4);
	ck_assert_line(3, "\rc");	/* only a trailing CR is stripped */
	ck_assert_uint_eq(out.v[3].offset, 6);
	ck_assert(!framer_pending(&fr));
	ck_assert_uint_eq(framer_resume_offset(&fr), 8);
	ck_assert_uint_eq(fr.physical_lines, 4);
	ck_assert_uint_eq(fr.partial_lines, 0);
	/* Finishing twice emits nothing more. */
	framer_finish(&fr, collect, &out);
	ck_assert_uint_eq(out.n, 4);
}
END_TEST

START_TEST(test_none_lone_cr)
{
	init(ENVELOPE_NONE, 0);
	FEED("\r\n\r\r\n");
	ck_assert_uint_eq(out.n, 2);
	ck_assert_line(0, "");
	ck_assert_line(1, "\r");
}
END_TEST

/* --- CRI ------------------------------------------------------------------ */

START_TEST(test_cri_lines)
{
	init(ENVELOPE_CRI, 0);
	FEED(T1 " stdout F {\"level\":\"info\"}\n"
	    "2024-05-01T10:00:03.5+02:00 stderr F panic: x\n"
	    T2 " stdout F\n"
	    T2 " stdout F \n"
	    T2 " stdout F:x tagged\n");
	ck_assert_uint_eq(out.n, 5);
	ck_assert_line(0, "{\"level\":\"info\"}");
	ck_assert_str_eq(out.v[0].time, T1);
	ck_assert_int_eq(out.v[0].time_ns, T1_NS);
	ck_assert_str_eq(out.v[0].stream, "stdout");
	ck_assert_str_eq(out.v[0].logtag, "F");
	ck_assert_int_eq(out.v[0].kind, STREAM_STDOUT);
	ck_assert_uint_eq(out.v[0].physical, 1);
	ck_assert_line(1, "panic: x");
	ck_assert_int_eq(out.v[1].kind, STREAM_STDERR);
	ck_assert_int_eq(out.v[1].time_ns, 1714550403500000000LL);
	ck_assert_line(2, "");		/* empty, without its space */
	ck_assert_line(3, "");
	ck_assert_line(4, "tagged");
	ck_assert_str_eq(out.v[4].logtag, "F:x");
	ck_assert_uint_eq(fr.physical_lines, 5);
}
END_TEST

START_TEST(test_cri_partial_join)
{
	init(ENVELOPE_CRI, 0);
	FEED(T1 " stdout P {\"level\":\"in\n");
	ck_assert_uint_eq(out.n, 0);
	ck_assert(framer_pending(&fr));
	ck_assert_uint_eq(framer_resume_offset(&fr), 0);
	FEED(T2 " stdout P fo\",\n");
	FEED(T2 " stdout F \"msg\":\"x\"}\n");
	ck_assert_uint_eq(out.n, 1);
	ck_assert_line(0, "{\"level\":\"info\",\"msg\":\"x\"}");
	ck_assert_uint_eq(out.v[0].offset, 0);
	ck_assert_uint_eq(out.v[0].end, fr.pos);
	ck_assert_uint_eq(out.v[0].physical, 3);
	ck_assert_str_eq(out.v[0].time, T1);	/* the first chunk's */
	ck_assert_str_eq(out.v[0].stream, "stdout");
	/* Joined, the line is whole: F, not the first chunk's P. */
	ck_assert_str_eq(out.v[0].logtag, "F");
	ck_assert(!out.v[0].truncated);
	ck_assert_uint_eq(fr.partial_lines, 2);
	ck_assert_uint_eq(fr.physical_lines, 3);
	ck_assert(!framer_pending(&fr));
	ck_assert_uint_eq(framer_resume_offset(&fr), fr.pos);
}
END_TEST

/* stdout and stderr are joined each on its own. */
START_TEST(test_cri_interleaved)
{
	static const char s[] =
	    T1 " stdout P a1\n"		/* 0 */
	    T1 " stderr P b1\n"		/* 42 */
	    T1 " stderr F whole\n"	/* but b1 is still open: joins */
	    T1 " stdout P a2\n"
	    T1 " stdout F a3\n"
	    T1 " stderr P b2\n"
	    T1 " stderr F b3\n";

	init(ENVELOPE_CRI, 0);
	FEED(s);
	ck_assert_uint_eq(out.n, 3);
	ck_assert_line(0, "b1whole");
	ck_assert_str_eq(out.v[0].stream, "stderr");
	ck_assert_uint_eq(out.v[0].offset, 42);
	ck_assert_line(1, "a1a2a3");
	ck_assert_str_eq(out.v[1].stream, "stdout");
	ck_assert_uint_eq(out.v[1].offset, 0);
	ck_assert_uint_eq(out.v[1].physical, 3);
	ck_assert_line(2, "b2b3");
}
END_TEST

/* While one stream waits for its F, the other's lines come through. */
START_TEST(test_cri_resume_offset)
{
	uint64_t	 open;

	init(ENVELOPE_CRI, 0);
	FEED(T1 " stdout F first\n");
	ck_assert_uint_eq(framer_resume_offset(&fr),
	    sizeof(T1 " stdout F first\n") - 1);
	open = fr.pos;
	FEED(T1 " stdout P open\n");
	FEED(T1 " stderr F other\n");
	FEED(T1 " stderr F more\n");
	ck_assert_uint_eq(out.n, 3);
	ck_assert_uint_eq(framer_resume_offset(&fr), open);
	FEED(T1 " stderr F unfinis");		/* carried, later */
	ck_assert_uint_eq(framer_resume_offset(&fr), open);
	FEED("hed\n" T1 " stdout F done\n");
	ck_assert_uint_eq(out.n, 5);
	ck_assert_line(3, "unfinished");
	ck_assert_line(4, "opendone");
	ck_assert_uint_eq(out.v[4].offset, open);
	ck_assert_uint_eq(framer_resume_offset(&fr), fr.pos);
	/* A carried line alone holds the position at its start. */
	FEED(T1 " stdout F x");
	ck_assert_uint_eq(framer_resume_offset(&fr), fr.pos -
	    (sizeof(T1 " stdout F x") - 1));
}
END_TEST

/* --- Docker --------------------------------------------------------------- */

START_TEST(test_docker_lines)
{
	init(ENVELOPE_DOCKER, 0);
	FEED("{\"log\":\"time=\\\"x\\\" level=info\\n\",\"stream\":\"stdout\","
	    "\"time\":\"" T1 "\"}\n"
	    "{\"log\":\"a\\u0000b\\t\\n\",\"stream\":\"stderr\",\"time\":\"" T2
	    "\",\"attrs\":{\"k\":[1]}}\n");
	ck_assert_uint_eq(out.n, 2);
	ck_assert_line(0, "time=\"x\" level=info");
	ck_assert_str_eq(out.v[0].time, T1);
	ck_assert_int_eq(out.v[0].time_ns, T1_NS);
	ck_assert_str_eq(out.v[0].logtag, "");	/* Docker has none */
	ck_assert_line(1, "a\0b\t");
	ck_assert_int_eq(out.v[1].kind, STREAM_STDERR);
}
END_TEST

START_TEST(test_docker_partial_join)
{
	init(ENVELOPE_DOCKER, 0);
	FEED("{\"log\":\"part one, \",\"stream\":\"stdout\",\"time\":\"" T1
	    "\"}\n"
	    "{\"log\":\"err line\\n\",\"stream\":\"stderr\",\"time\":\"" T2
	    "\"}\n"
	    "{\"log\":\"part two, \",\"stream\":\"stdout\",\"time\":\"" T1
	    "\"}\n"
	    "{\"log\":\"end\\n\",\"stream\":\"stdout\",\"time\":\"" T1 "\"}\n");
	ck_assert_uint_eq(out.n, 2);
	ck_assert_line(0, "err line");
	ck_assert_line(1, "part one, part two, end");
	ck_assert_uint_eq(out.v[1].offset, 0);
	ck_assert_uint_eq(out.v[1].physical, 3);
	ck_assert_str_eq(out.v[1].time, T1);
	ck_assert_uint_eq(fr.partial_lines, 2);
}
END_TEST

/* --- container: the envelope found per file -------------------------------- */

START_TEST(test_auto_detect)
{
	init(ENVELOPE_AUTO, 0);
	FEED(T1 " stdout F cri line\n{\"log\":\"docker\\n\"}\n");
	ck_assert_uint_eq(out.n, 2);
	ck_assert_line(0, "cri line");
	ck_assert(!out.v[0].not_envelope);
	ck_assert_int_eq(fr.type, ENVELOPE_CRI);
	/* Once it is CRI, a Docker line is not of its format. */
	ck_assert(out.v[1].not_envelope);
	ck_assert_line(1, "{\"log\":\"docker\\n\"}");

	init(ENVELOPE_AUTO, 0);
	FEED("\n{\"log\":\"docker\\n\",\"stream\":\"stdout\"}\n" T1
	    " stdout F cri\n");
	ck_assert_uint_eq(out.n, 3);
	/* An empty first line decides nothing. */
	ck_assert(out.v[0].not_envelope);
	ck_assert_line(1, "docker");
	ck_assert(!out.v[1].not_envelope);
	ck_assert_int_eq(fr.type, ENVELOPE_DOCKER);
	ck_assert(out.v[2].not_envelope);

	/* A reset to the start looks again; elsewhere it keeps its mind. */
	framer_reset(&fr, 100);
	ck_assert_int_eq(fr.type, ENVELOPE_DOCKER);
	framer_reset(&fr, 0);
	ck_assert_int_eq(fr.type, ENVELOPE_AUTO);
	sink_clear(&out);
	FEED(T1 " stdout F cri again\n");
	ck_assert_line(0, "cri again");
	ck_assert(!out.v[0].not_envelope);
}
END_TEST

/* Lines not of the envelope's format come through raw and flagged. */
START_TEST(test_not_envelope)
{
	init(ENVELOPE_CRI, 10);
	FEED(T1 " stdout P par\n"
	    "garbage line\n"
	    "2024-13-01T00:00:00Z stdout F bad month\n"
	    T1 " stdout X bad tag\n"
	    T1 " stdout F tial\n");
	ck_assert_uint_eq(out.n, 4);
	ck_assert(out.v[0].not_envelope);
	ck_assert_line(0, "garbage li");	/* cut at max_line_size */
	ck_assert(out.v[0].truncated);		/* and flagged so */
	ck_assert_int_eq(out.v[0].kind, STREAM_OTHER);
	ck_assert(out.v[1].not_envelope);
	ck_assert(out.v[2].not_envelope);
	/* The open partial was not disturbed. */
	ck_assert_line(3, "partial");
	ck_assert(!out.v[3].not_envelope);
	ck_assert(!out.v[3].truncated);
	ck_assert_uint_eq(fr.truncated, 3);	/* the three raw lines */

	init(ENVELOPE_DOCKER, 0);
	FEED("not json\n{\"stream\":\"stdout\"}\n{\"log\":1}\n{\"log\":\"x\"} y\n");
	ck_assert_uint_eq(out.n, 4);
	ck_assert(out.v[0].not_envelope && out.v[1].not_envelope &&
	    out.v[2].not_envelope && out.v[3].not_envelope);
	ck_assert_line(3, "{\"log\":\"x\"} y");
}
END_TEST

/* --- split anywhere ------------------------------------------------------- */

static const char cri_sample[] =
	T1 " stdout F {\"level\":\"info\",\"msg\":\"caf\xc3\xa9\"}\n"
	T1 " stdout P {\"level\":\"error\",\n"
	T1 " stderr F panic: boom\r\n"
	T1 " stdout P \"msg\":\"long\",\n"
	"garbage\n"
	"\n"
	T1 " stdout F \"n\":1}\n"
	T1 " stderr P tail without F\n"
	T1 " stdout F last";

static const char docker_sample[] =
	"{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"" T1 "\"}\n"
	"{\"log\":\"p1 \",\"stream\":\"stdout\",\"time\":\"" T1 "\"}\n"
	"{\"log\":\"e\\u00e9\\n\",\"stream\":\"stderr\",\"time\":\"" T2 "\"}\n"
	"{\"log\":\"p2\\n\",\"stream\":\"stdout\",\"time\":\"" T1 "\"}\n"
	"not docker\n"
	"{\"log\":\"unterminated\"";

static const char none_sample[] =
	"line one\r\nline two\n\nthree\rx\nlast";

static void
expect_same(const struct sink *a, const struct sink *b, const char *how)
{
	size_t	 i;

	ck_assert_msg(a->n == b->n, "%s: %zu lines, not %zu", how, b->n, a->n);
	for (i = 0; i < a->n; i++) {
		const struct line *x = &a->v[i], *y = &b->v[i];

		ck_assert_msg(x->len == y->len && memcmp(x->content, y->content,
		    x->len) == 0, "%s: line %zu: [%s] vs [%s]", how, i,
		    x->content, y->content);
		ck_assert_msg(x->offset == y->offset && x->end == y->end &&
		    x->physical == y->physical && x->truncated == y->truncated &&
		    x->not_envelope == y->not_envelope && x->kind == y->kind &&
		    strcmp(x->time, y->time) == 0 &&
		    strcmp(x->logtag, y->logtag) == 0, "%s: line %zu differs",
		    how, i);
	}
}

/* Feeds s in pieces of the sizes next() gives, then finishes. */
static void
run_pieces(enum envelope_type t, size_t max, const char *s, size_t n,
    size_t (*next)(size_t at, size_t left, void *arg), void *arg,
    struct sink *into)
{
	struct framer	 f;
	size_t		 at = 0, k;
	char		*p;

	framer_init(&f, t, max);
	while (at < n) {
		k = next(at, n - at, arg);
		if (k > n - at)
			k = n - at;
		p = xmalloc(k ? k : 1);
		memcpy(p, s + at, k);
		framer_feed(&f, p, k, collect, into);
		free(p);
		at += k;
	}
	framer_finish(&f, collect, into);
	ck_assert_uint_eq(f.pos, n);
	framer_free(&f);
}

static size_t
all_at_once(size_t at, size_t left, void *arg)
{
	(void)at;
	(void)arg;
	return left;
}

static size_t
one_byte(size_t at, size_t left, void *arg)
{
	(void)at;
	(void)left;
	(void)arg;
	return 1;
}

static size_t
split_at(size_t at, size_t left, void *arg)
{
	size_t	 k = *(size_t *)arg;

	return at < k ? k - at : left;
}

static size_t
random_size(size_t at, size_t left, void *arg)
{
	unsigned	*seed = arg;

	(void)at;
	(void)left;
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) % 40;	/* zero-length feeds too */
}

static const struct {
	enum envelope_type	 type;
	const char		*s;
	size_t			 n;
	size_t			 max;
} samples[] = {
	{ ENVELOPE_CRI, cri_sample, sizeof cri_sample - 1, 0 },
	{ ENVELOPE_CRI, cri_sample, sizeof cri_sample - 1, 12 },
	{ ENVELOPE_AUTO, cri_sample, sizeof cri_sample - 1, 0 },
	{ ENVELOPE_DOCKER, docker_sample, sizeof docker_sample - 1, 0 },
	{ ENVELOPE_DOCKER, docker_sample, sizeof docker_sample - 1, 3 },
	{ ENVELOPE_AUTO, docker_sample, sizeof docker_sample - 1, 0 },
	{ ENVELOPE_NONE, none_sample, sizeof none_sample - 1, 0 },
	{ ENVELOPE_NONE, none_sample, sizeof none_sample - 1, 4 },
};

START_TEST(test_split_anywhere)
{
	struct sink	*whole = xcalloc(1, sizeof *whole);
	struct sink	*part = xcalloc(1, sizeof *part);
	size_t		 k, n = samples[_i].n;
	unsigned	 seed;
	char		 how[64];

	run_pieces(samples[_i].type, samples[_i].max, samples[_i].s, n,
	    all_at_once, NULL, whole);
	ck_assert_uint_gt(whole->n, 3);
	run_pieces(samples[_i].type, samples[_i].max, samples[_i].s, n,
	    one_byte, NULL, part);
	expect_same(whole, part, "one byte at a time");
	for (k = 0; k <= n; k++) {
		sink_clear(part);
		run_pieces(samples[_i].type, samples[_i].max, samples[_i].s, n,
		    split_at, &k, part);
		snprintf(how, sizeof how, "split at %zu", k);
		expect_same(whole, part, how);
	}
	for (seed = 1; seed <= 50; seed++) {
		unsigned s = seed;

		sink_clear(part);
		run_pieces(samples[_i].type, samples[_i].max, samples[_i].s, n,
		    random_size, &s, part);
		snprintf(how, sizeof how, "random pieces, seed %u", seed);
		expect_same(whole, part, how);
	}
	sink_clear(whole);
	sink_clear(part);
	free(whole);
	free(part);
}
END_TEST

/* The whole sample's lines, in one piece. */
START_TEST(test_cri_sample_lines)
{
	struct sink	*s = xcalloc(1, sizeof *s);

	run_pieces(ENVELOPE_CRI, 0, cri_sample, sizeof cri_sample - 1,
	    all_at_once, NULL, s);
	ck_assert_uint_eq(s->n, 7);
	ck_assert_str_eq(s->v[0].content, "{\"level\":\"info\",\"msg\":"
	    "\"caf\xc3\xa9\"}");
	ck_assert_str_eq(s->v[1].content, "panic: boom\r");	/* CRI keeps it */
	ck_assert(s->v[2].not_envelope);
	ck_assert(s->v[3].not_envelope);
	ck_assert_uint_eq(s->v[3].len, 0);
	ck_assert_str_eq(s->v[4].content, "{\"level\":\"error\",\"msg\":"
	    "\"long\",\"n\":1}");
	ck_assert_str_eq(s->v[5].content, "last");	/* unterminated */
	/* Still waiting for its F when the file ended: emitted as it is. */
	ck_assert_str_eq(s->v[6].content, "tail without F");
	ck_assert_str_eq(s->v[6].logtag, "P");
	sink_clear(s);
	free(s);
}
END_TEST

/* --- max_line_size -------------------------------------------------------- */

START_TEST(test_truncate_joined)
{
	init(ENVELOPE_CRI, 10);
	FEED(T1 " stdout P 123456\n" T1 " stdout P 789012\n"
	    T1 " stdout F 345\n" T1 " stdout F next\n");
	ck_assert_uint_eq(out.n, 2);
	ck_assert_line(0, "1234567890");
	ck_assert(out.v[0].truncated);
	ck_assert_uint_eq(out.v[0].physical, 3);
	ck_assert_line(1, "next");
	ck_assert(!out.v[1].truncated);
	ck_assert_uint_eq(fr.truncated, 1);
	/* Exactly max_line_size is not truncated. */
	FEED(T1 " stdout P 12345\n" T1 " stdout F 67890\n");
	ck_assert_line(2, "1234567890");
	ck_assert(!out.v[2].truncated);
	/* One physical line over the limit. */
	FEED(T1 " stdout F 12345678901\n");
	ck_assert_line(3, "1234567890");
	ck_assert(out.v[3].truncated);
	ck_assert_uint_eq(fr.truncated, 2);
}
END_TEST

START_TEST(test_truncate_none)
{
	init(ENVELOPE_NONE, 8);
	FEED("12345678\n123456789\r\nabc\n");
	ck_assert_uint_eq(out.n, 3);
	ck_assert_line(0, "12345678");
	ck_assert(!out.v[0].truncated);
	ck_assert_line(1, "12345678");
	ck_assert(out.v[1].truncated);
	ck_assert_line(2, "abc");
	ck_assert_uint_eq(out.v[2].offset, 20);
}
END_TEST

/*
 * A line with no newline for megabytes: cut at max_line_size, the rest
 * skipped as it comes, never held in memory.
 */
START_TEST(test_runaway_line)
{
	enum { CHUNK = 65536, MAX = 1000 };
	char	*chunk = xmalloc(CHUNK);
	size_t	 i, bound = 2 * (2 * MAX + 65536) + 2 * CHUNK;

	init(ENVELOPE_NONE, MAX);
	FEED("before\n");
	memset(chunk, 'x', CHUNK);
	for (i = 0; i < 160; i++) {		/* 10 MB */
		framer_feed(&fr, chunk, CHUNK, collect, &out);
		ck_assert_uint_le(fr.carry.cap, bound);
	}
	ck_assert_uint_eq(out.n, 2);
	ck_assert_uint_eq(out.v[1].len, MAX);
	ck_assert(out.v[1].truncated);
	ck_assert_uint_eq(out.v[1].offset, 7);
	ck_assert(framer_pending(&fr));
	/* Mid-skip, reading resumes at the cut line: never inside it. */
	ck_assert_uint_eq(framer_resume_offset(&fr), 7);
	FEED("yyy\nafter\n");
	ck_assert_uint_eq(out.n, 3);
	ck_assert_line(2, "after");
	ck_assert_uint_eq(out.v[2].offset, 7 + 160 * CHUNK + 4);
	ck_assert_uint_eq(fr.truncated, 1);
	ck_assert(!framer_pending(&fr));
	ck_assert_uint_eq(framer_resume_offset(&fr), fr.pos);
	free(chunk);
}
END_TEST

/* The same runaway line one byte at a time. */
START_TEST(test_runaway_bytes)
{
	size_t	 i;

	init(ENVELOPE_CRI, 100);
	FEED(T1 " stdout F ");
	for (i = 0; i < 300000; i++)
		feed("z", 1);
	ck_assert_uint_le(fr.carry.cap, 2 * (2 * 100 + 65536) + 64);
	ck_assert_uint_eq(out.n, 1);
	ck_assert(out.v[0].truncated);
	ck_assert_uint_eq(out.v[0].len, 100);
	FEED("\n" T1 " stdout F ok\n");
	ck_assert_uint_eq(out.n, 2);
	ck_assert_line(1, "ok");
}
END_TEST

/*
 * A line begun in one read and ended in a huge one: only what the limit
 * needs is copied.
 */
START_TEST(test_long_line_after_carry)
{
	enum { BIG = 4 * 1024 * 1024, MAX = 1000 };
	char	*big = xmalloc(BIG + 1);

	init(ENVELOPE_NONE, MAX);
	FEED("0123456789");
	memset(big, 'q', BIG);
	big[BIG] = '\n';
	framer_feed(&fr, big, BIG + 1, collect, &out);
	ck_assert_uint_le(fr.carry.cap, 2 * (2 * MAX + 65536));
	ck_assert_uint_eq(out.n, 1);
	ck_assert_uint_eq(out.v[0].len, MAX);
	ck_assert(out.v[0].truncated);
	ck_assert_mem_eq(out.v[0].content, "0123456789qqq", 13);
	/* And in a single read: nothing carried at all. */
	init(ENVELOPE_NONE, MAX);
	framer_feed(&fr, big, BIG + 1, collect, &out);
	ck_assert_uint_eq(fr.carry.cap, 0);
	ck_assert_uint_eq(out.n, 1);
	ck_assert(out.v[0].truncated);
	free(big);
}
END_TEST

/*
 * A physical line of exactly max_physical bytes is whole, not cut: a
 * Docker line whose bulk is a skipped member and whose log is short.
 */
START_TEST(test_exact_physical_limit)
{
	static const char head[] = "{\"log\":\"short\\n\",\"attrs\":{\"k\":\"";
	size_t		 maxp, i;
	char		*line;

	for (i = 0; i < 2; i++) {
		init(ENVELOPE_DOCKER, 10);
		maxp = fr.max_physical + i;	/* then one byte over */
		line = xmalloc(maxp + 1);
		memcpy(line, head, sizeof head - 1);
		memset(line + sizeof head - 1, 'v', maxp - (sizeof head - 1));
		memcpy(line + maxp - 3, "\"}}", 3);
		line[maxp] = '\n';
		feed(line, 5);		/* carried, then ended */
		feed(line + 5, maxp + 1 - 5);
		ck_assert_uint_eq(out.n, 1);
		ck_assert_line(0, "short");
		ck_assert(!out.v[0].not_envelope);
		ck_assert_msg(out.v[0].truncated == (i == 1), "%zu over", i);
		free(line);
	}
}
END_TEST

/*
 * What a long line grew is given back once it is out, as it is when a
 * file is read again from its position: a node has many files, and
 * each would otherwise keep buffers the size of the longest line it met.
 */
START_TEST(test_long_lines_let_go)
{
	enum { KEEP = 16 * 1024, PIECE = 16384, PIECES = 12 };	/* framer.c */
	struct strbuf	 in = STRBUF_INIT;
	char		*piece = xmalloc(PIECE);
	size_t		 i;

	init(ENVELOPE_CRI, 0);
	memset(piece, 'p', PIECE);
	for (i = 0; i < PIECES; i++) {
		sb_adds(&in, T1 " stdout P ");
		sb_add(&in, piece, PIECE);
		sb_addc(&in, '\n');
	}
	sb_adds(&in, T1 " stdout F end\n" T1 " stdout F short\n");
	feed(in.buf, 100);			/* a long line carried */
	ck_assert_uint_eq(fr.carry.len, 100);
	feed(in.buf + 100, in.len - 100);
	ck_assert_uint_eq(out.n, 2);
	ck_assert_uint_eq(out.v[0].len, PIECES * PIECE + 3);
	ck_assert_uint_eq(out.v[0].physical, PIECES + 1);
	ck_assert_line(1, "short");
	for (i = 0; i < FRAMER_STREAMS; i++)
		ck_assert_uint_le(fr.part[i].buf.cap, KEEP);
	ck_assert_uint_le(fr.carry.cap, KEEP);
	/* A long physical line carried over reads. */
	sb_reset(&in);
	sb_adds(&in, T1 " stdout F ");
	sb_add(&in, piece, PIECE);
	sb_add(&in, piece, PIECE);
	feed(in.buf, in.len);
	ck_assert_uint_gt(fr.carry.cap, KEEP);
	FEED("\n" T1 " stdout F ok\n");
	ck_assert_uint_eq(out.n, 4);
	ck_assert_uint_le(fr.carry.cap, KEEP);
	/* A long Docker line unescaped, then an ordinary one. */
	init(ENVELOPE_DOCKER, 0);
	sb_reset(&in);
	sb_adds(&in, "{\"log\":\"");
	sb_add(&in, piece, PIECE);
	sb_add(&in, piece, PIECE);
	sb_adds(&in, "\\n\",\"stream\":\"stdout\",\"time\":\"" T1 "\"}\n");
	feed(in.buf, in.len);
	ck_assert_uint_gt(fr.scratch.cap, KEEP);
	FEED("{\"log\":\"ok\\n\",\"stream\":\"stdout\",\"time\":\"" T1 "\"}\n");
	ck_assert_uint_eq(out.n, 2);
	ck_assert_line(1, "ok");
	ck_assert_uint_le(fr.scratch.cap, KEEP);
	/* A read again from a position forgets the partial line it held. */
	init(ENVELOPE_CRI, 0);
	sb_reset(&in);
	sb_adds(&in, T1 " stdout P ");
	sb_add(&in, piece, PIECE);
	sb_add(&in, piece, PIECE);
	sb_addc(&in, '\n');
	feed(in.buf, in.len);
	ck_assert_uint_gt(fr.part[STREAM_STDOUT].buf.cap, KEEP);
	framer_reset(&fr, 0);
	ck_assert_uint_le(fr.part[STREAM_STDOUT].buf.cap, KEEP);
	sb_free(&in);
	free(piece);
}
END_TEST

/* --- finish and reset ----------------------------------------------------- */

START_TEST(test_finish_pending)
{
	init(ENVELOPE_CRI, 0);
	FEED(T1 " stdout P open stdout\n" T1 " stderr P open stderr\n"
	    T1 " stdout F");		/* an unfinished last line */
	ck_assert_uint_eq(out.n, 0);
	framer_finish(&fr, collect, &out);
	/* The carried line ends the stdout partial; stderr's is flushed. */
	ck_assert_uint_eq(out.n, 2);
	ck_assert_line(0, "open stdout");
	ck_assert_str_eq(out.v[0].logtag, "F");
	ck_assert_line(1, "open stderr");
	ck_assert_str_eq(out.v[1].logtag, "P");
	ck_assert_uint_eq(out.v[1].end, fr.pos);
	ck_assert(!framer_pending(&fr));
}
END_TEST

START_TEST(test_reset)
{
	int	 i;

	init(ENVELOPE_CRI, 5);
	FEED(T1 " stdout P 1234567\n" T1 " stderr F carried");
	ck_assert(framer_pending(&fr));
	framer_reset(&fr, 1000);
	ck_assert(!framer_pending(&fr));
	ck_assert_uint_eq(framer_resume_offset(&fr), 1000);
	ck_assert_uint_eq(fr.pos, 1000);
	/* Nothing of before comes out, not even the cut partial's state. */
	FEED(T1 " stdout P ab\n" T1 " stdout F cd\n");
	ck_assert_uint_eq(out.n, 1);
	ck_assert_line(0, "abcd");
	ck_assert(!out.v[0].truncated);
	ck_assert_uint_eq(out.v[0].offset, 1000);
	framer_finish(&fr, collect, &out);
	ck_assert_uint_eq(out.n, 1);

	/* A reset in the middle of a skipped line ends the skipping. */
	init(ENVELOPE_NONE, 4);
	for (i = 0; i < 20000; i++)
		FEED("xxxxxxxxxx");
	ck_assert_uint_eq(out.n, 1);
	framer_reset(&fr, 0);
	FEED("ok\n");
	ck_assert_uint_eq(out.n, 2);
	ck_assert_line(1, "ok");
	ck_assert_uint_eq(out.v[1].offset, 0);
}
END_TEST

START_TEST(test_default_max)
{
	init(ENVELOPE_NONE, 0);
	ck_assert_uint_eq(fr.max_line, 1024 * 1024);
	ck_assert_uint_gt(fr.max_physical, fr.max_line);
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("framer");
	TCase	*tl = tcase_create("lines");
	TCase	*tx = tcase_create("split");
	TCase	*tm = tcase_create("limits");

	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_test(tl, test_none_lines);
	tcase_add_test(tl, test_none_lone_cr);
	tcase_add_test(tl, test_cri_lines);
	tcase_add_test(tl, test_cri_partial_join);
	tcase_add_test(tl, test_cri_interleaved);
	tcase_add_test(tl, test_cri_resume_offset);
	tcase_add_test(tl, test_docker_lines);
	tcase_add_test(tl, test_docker_partial_join);
	tcase_add_test(tl, test_auto_detect);
	tcase_add_test(tl, test_not_envelope);
	tcase_add_test(tl, test_finish_pending);
	tcase_add_test(tl, test_reset);
	tcase_add_test(tl, test_default_max);
	suite_add_tcase(s, tl);

	tcase_add_checked_fixture(tx, setup, teardown);
	tcase_add_loop_test(tx, test_split_anywhere, 0,
	    (int)(sizeof samples / sizeof samples[0]));
	tcase_add_test(tx, test_cri_sample_lines);
	tcase_set_timeout(tx, 60);
	suite_add_tcase(s, tx);

	tcase_add_checked_fixture(tm, setup, teardown);
	tcase_add_test(tm, test_truncate_joined);
	tcase_add_test(tm, test_truncate_none);
	tcase_add_test(tm, test_runaway_line);
	tcase_add_test(tm, test_runaway_bytes);
	tcase_add_test(tm, test_long_line_after_carry);
	tcase_add_test(tm, test_exact_physical_limit);
	tcase_add_test(tm, test_long_lines_let_go);
	tcase_set_timeout(tm, 60);
	suite_add_tcase(s, tm);
	return s;
}

#include "check_main.h"
