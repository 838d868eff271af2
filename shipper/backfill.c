/*
 * backfill.c — ship archived logs once (see backfill.h).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backfill.h"
#include "buffer.h"
#include "framer.h"
#include "hash.h"
#include "log.h"
#include "loop.h"
#include "mem.h"
#include "posfile.h"
#include "reader.h"
#include "registry.h"
#include "source_origin.h"
#include "source_parse.h"
#include "tail.h"

#define BF_CHUNK	(256 * 1024)

struct bf_file {
	char		*path;
	char		*base;		/* without rotation suffixes */
	long double	 rank;		/* in its lineage: larger is newer */
	bool		 ranked;	/* its name gave the rank */
	time_t		 mtime;
	uint64_t	 size;
	bool		 named;		/* given by name, not found in a dir */
};

struct bf_run {
	struct pipeline	*pl;
	const struct backfill_opts *o;
	struct bf_file	*files;
	size_t		 nfiles;
	uint64_t	 total_bytes;	/* on disk */
	uint64_t	 done_bytes;	/* on disk, of finished files */
	unsigned	 failed;
	unsigned	 skipped;
	unsigned	 read;
	double		 started;
	double		 last_draw;
	/* The file being read. */
	struct loop	*loop;		/* buffered outputs send meanwhile */
	struct source	*src;
	struct route	*rt;
	struct batch	 batch;
	struct multiline ml;		/* multiline's events of the file */
	struct buffer_stats acks;	/* of the buffered outputs, at the end */
	uint64_t	 source_id;
	const char	*path;
	char		*origin;
	int64_t		 now;
};

static double
mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- names --------------------------------------------------------------- */

unsigned
backfill_shard_of(const char *path, unsigned n)
{
	const char	*base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return n ? (unsigned)(fnv1a(base, strlen(base)) % n) : 0;
}

/* --- collecting files ---------------------------------------------------- */

static void
add_file(struct bf_run *br, const char *path, bool named)
{
	struct stat	 st;
	struct bf_file	*f;
	const char	*slash = strrchr(path, '/');
	size_t		 i;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	for (i = 0; i < br->nfiles; i++)
		if (strcmp(br->files[i].path, path) == 0)
			return;
	if (br->o->nshards > 1 &&
	    backfill_shard_of(path, br->o->nshards) != br->o->shard)
		return;
	br->files = xrealloc(br->files, (br->nfiles + 1) * sizeof *br->files);
	f = &br->files[br->nfiles++];
	f->path = xstrdup(path);
	f->base = rotated_base_name(slash ? slash + 1 : path);
	f->ranked = rotated_rank(slash ? slash + 1 : path, &f->rank);
	f->mtime = st.st_mtime;
	f->size = (uint64_t)st.st_size;
	f->named = named;
}

static void
add_dir(struct bf_run *br, const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	struct stat	 st;
	char		*p;

	if (d == NULL) {
		log_error("backfill: cannot read directory %s: %s", dir,
		    strerror(errno));
		br->failed++;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			add_dir(br, p);
		else
			add_file(br, p, false);
		free(p);
	}
	closedir(d);
}

static void
add_arg(struct bf_run *br, const char *arg)
{
	struct stat	 st;
	glob_t		 g;
	size_t		 i;

	if (stat(arg, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			add_dir(br, arg);
		else
			add_file(br, arg, true);
		return;
	}
	memset(&g, 0, sizeof g);
	if (glob(arg, 0, NULL, &g) != 0) {
		log_error("backfill: %s: no such file, directory or matching "
		    "glob", arg);
		br->failed++;
		globfree(&g);
		return;
	}
	for (i = 0; i < g.gl_pathc; i++)
		add_arg(br, g.gl_pathv[i]);
	globfree(&g);
}

/*
 * Oldest first within a file's lineage: x.log.2.gz, x.log.1, x.log, by
 * name. Not by mtime first: a .gz gets the time it was compressed, after
 * the .1 that is newer than it; mtime only where names do not tell.
 */
static int
file_cmp(const void *a, const void *b)
{
	const struct bf_file	*x = a, *y = b;
	int			 c = strcmp(x->base, y->base);

	if (c != 0)
		return c;
	if (x->ranked && y->ranked && x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(y->path, x->path);
}

/* --- reading ------------------------------------------------------------- */

static struct source *
source_for(struct bf_run *br, const char *base)
{
	size_t	 i;

	for (i = 0; i < br->pl->nsources; i++) {
		struct source	*s = br->pl->sources[i];

		if (s->ops == registry_source("tail") && tail_matches(s, base))
			return s;
	}
	return NULL;
}

/* The path the file had when it was live, for its tag. */
static char *
live_path(const struct source *s, const char *base)
{
	const struct tail_cfg	*cfg = tail_config(s);
	char			*first = xstrdup(cfg->path), *comma, *slash, *p;

	if ((comma = strchr(first, ',')) != NULL)
		*comma = '\0';
	slash = strrchr(first, '/');
	if (slash == NULL)
		p = xstrdup(base);
	else {
		slash[1] = '\0';
		p = xasprintf("%s%s", first + strspn(first, " \t"), base);
	}
	free(first);
	return p;
}

/* A logical line, or a multiline event, becomes a record. */
static void
on_record(void *arg, const struct logical_line *ll)
{
	struct bf_run		*br = arg;
	struct source_parse	*sp = tail_parse(br->src);
	const struct tail_cfg	*cfg = tail_config(br->src);
	struct record		*r = batch_begin(&br->batch);

	r->source_id = br->source_id;
	source_parse_record(sp, &br->batch, r, ll, br->now, cfg->path_key,
	    br->path, &br->pl->stats);
	br->pl->stats.lines++;
	route_run(br->rt, &br->batch);
}

static void
on_line(void *arg, const struct logical_line *ll)
{
	struct bf_run		*br = arg;
	struct source_parse	*sp = tail_parse(br->src);

	if (source_parse_joins(sp))
		source_parse_join(sp, &br->ml, ll, on_record, br, br->path,
		    &br->pl->stats);
	else
		on_record(br, ll);
}

static void
draw_progress(struct bf_run *br, uint64_t cur, bool final)
{
	double		 now = mono(), el = now - br->started, rate;
	uint64_t	 done = br->done_bytes + cur;
	unsigned	 pct, i, bar;
	char		 line[160];
	int		 n;

	if (!br->o->progress || (!final && now - br->last_draw < 0.2))
		return;
	br->last_draw = now;
	pct = br->total_bytes ? (unsigned)(done * 100 / br->total_bytes) : 100;
	rate = el > 0 ? (double)done / el : 0;
	bar = pct / 5;
	n = snprintf(line, sizeof line, "\r[");
	for (i = 0; i < 20; i++)
		line[n++] = i < bar ? '#' : ' ';
	snprintf(line + n, sizeof line - (size_t)n, "] %3u%% %.1f/%.1f MB "
	    "%.1f MB/s ETA %.0fs ", pct, (double)done / 1e6,
	    (double)br->total_bytes / 1e6, rate / 1e6, rate > 0 ?
	    (double)(br->total_bytes - done) / rate : 0.0);
	fputs(line, stderr);
	if (final)
		fputs("\r\033[K", stderr);
}

static void
counts_from(struct bf_run *br, struct framer *fr)
{
	br->pl->stats.physical_lines += fr->physical_lines;
	br->pl->stats.partial_lines += fr->partial_lines;
	br->pl->stats.truncated += fr->truncated;
	fr->physical_lines = fr->partial_lines = fr->truncated = 0;
}

static int
deliver(struct bf_run *br, struct framer *fr)
{
	struct err	 e;
	int		 rc = 0;

	counts_from(br, fr);
	/* A full buffer: wait for its output, the archive is not going
	 * anywhere. Otherwise one non-blocking turn lets sends progress. */
	while (route_blocked(br->rt) && !loop_stopping(br->loop))
		if (loop_turn(br->loop, 50, &e) != 0)
			break;
	if (loop_turn(br->loop, 0, &e) != 0)
		log_error("backfill: %s", e.msg);
	br->batch.source = br->path;
	br->batch.sourcelen = strlen(br->path);
	br->batch.origin = br->origin;
	br->batch.originlen = strlen(br->origin);
	if (route_deliver(br->rt, &br->batch, &e) != 0) {
		log_error("backfill: %s: %s", br->path, e.msg);
		rc = -1;
	}
	batch_reset(&br->batch);
	return rc;
}

/* Reads one file through the framer into the route; -1 on any failure. */
static int
read_file(struct bf_run *br, struct reader *rd, struct framer *fr, char *buf)
{
	struct err	 e;
	ssize_t		 n;
	int		 rc = 0;
	bool		 first = true;

	while ((n = reader_read(rd, buf, BF_CHUNK, &e)) > 0) {
		br->pl->stats.bytes += (uint64_t)n;
		if (first)
			br->source_id = fingerprint_bytes(buf, (size_t)n, true);
		first = false;
		framer_feed(fr, buf, (size_t)n, on_line, br);
		if (deliver(br, fr) != 0)
			rc = -1;
		draw_progress(br, rd->raw_offset, false);
	}
	if (n < 0) {
		log_error("backfill: %s", e.msg);
		br->pl->stats.read_errors++;
		rc = -1;
	}
	framer_finish(fr, on_line, br);
	source_parse_join_flush(tail_parse(br->src), &br->ml, on_record, br,
	    br->path, &br->pl->stats);
	if (deliver(br, fr) != 0)
		rc = -1;
	return rc;
}

static int
ship_file(struct bf_run *br, struct bf_file *bf, char *buf)
{
	struct reader	 rd;
	struct framer	 fr;
	struct err	 e;
	char		*lp;
	int		 rc;

	if ((br->src = source_for(br, bf->base)) == NULL) {
		if (bf->named)
			log_error("backfill: %s: no <source> path matches %s; "
			    "skipped", bf->path, bf->base);
		br->skipped++;
		return bf->named ? -1 : 0;
	}
	if (reader_open(&rd, bf->path, &e) != 0) {
		log_error("backfill: %s", e.msg);
		br->pl->stats.read_errors++;
		return -1;
	}
	lp = live_path(br->src, bf->base);
	{
		char	*tag = tail_expand_tag(tail_config(br->src)->tag, lp);

		br->rt = pipeline_route_label(br->pl, br->src->label, tag,
		    strlen(tag));
		free(tag);
	}
	free(lp);
	br->path = bf->path;
	br->origin = source_origin(bf->path);
	br->source_id = 0;
	framer_init(&fr, tail_parse(br->src)->envelope,
	    tail_config(br->src)->max_line_size);
	multiline_init(&br->ml, tail_config(br->src)->max_line_size);
	br->pl->stats.files++;
	/* Filters look at the file its records come from (kubernetes). */
	br->batch.source = br->path;
	br->batch.sourcelen = strlen(br->path);
	rc = read_file(br, &rd, &fr, buf);
	framer_free(&fr);
	multiline_free(&br->ml);
	reader_close(&rd);
	free(br->origin);
	br->origin = NULL;
	br->read++;
	return rc;
}

/* --- the summary --------------------------------------------------------- */

static void
summary_kinds(const struct stats *st, FILE *out, bool json)
{
	int	 k, first = 1;

	for (k = BAD_NONE + 1; k < BAD_NKINDS; k++) {
		if (!json && st->bad[k] == 0)
			continue;
		fprintf(out, json ? "%s\"%s\":%llu" : "%s%s %llu", first ? "" :
		    ", ", bad_kind_name(k), (unsigned long long)st->bad[k]);
		first = 0;
	}
}

static void
summary_drops(const struct stats *st, FILE *out, bool json)
{
	int	 r;

	for (r = 0; r < DROP_NREASONS; r++)
		fprintf(out, json ? "%s\"%s\":%llu" : "%s%s %llu", r ? ", " : "",
		    drop_reason_name(r), (unsigned long long)st->dropped[r]);
}

static void
summary_text(const struct bf_run *br, double secs)
{
	const struct stats	*st = &br->pl->stats;
	uint64_t		 bad = stats_bad_total(st);

	fprintf(stderr, "spire-shipper backfill: %s in %.2f s\n",
	    br->failed ? "FAILED" : "done", secs);
	fprintf(stderr, "  files      %u read, %u failed, %u skipped (no "
	    "matching <source>)\n", br->read, br->failed, br->skipped);
	fprintf(stderr, "  input      %.2f MB, %llu lines (%llu logical, %llu "
	    "partial joined), %.2f MB/s, %.0f lines/s\n",
	    (double)st->bytes / 1e6, (unsigned long long)st->physical_lines,
	    (unsigned long long)st->lines,
	    (unsigned long long)st->partial_lines,
	    secs > 0 ? (double)st->bytes / 1e6 / secs : 0.0,
	    secs > 0 ? (double)st->lines / secs : 0.0);
	if (st->multiline_lines + st->multiline_orphans > 0)
		fprintf(stderr, "  multiline  %llu lines joined to events, %llu "
		    "before any first line\n",
		    (unsigned long long)st->multiline_lines,
		    (unsigned long long)st->multiline_orphans);
	fprintf(stderr, "  records    %llu kept, passed to the outputs", (unsigned long
	    long)st->records_out);
	if (st->error_events > 0)
		fprintf(stderr, ", %llu error events copied to @ERROR",
		    (unsigned long long)st->error_events);
	fputc('\n', stderr);
	if (br->acks.records_in > 0)
		fprintf(stderr, "  buffered   %llu acknowledged, %llu rejected "
		    "(dead letters; %llu more to @ERROR), %llu sent again, %llu "
		    "given up\n", (unsigned long long)br->acks.acked,
		    (unsigned long long)br->acks.dead,
		    (unsigned long long)br->acks.errored,
		    (unsigned long long)br->acks.retried,
		    (unsigned long long)(br->acks.dropped_retry +
		    br->acks.dropped_overflow));
	fprintf(stderr, "  dropped    %llu (", (unsigned long long)
	    stats_dropped_total(st));
	summary_drops(st, stderr, false);
	fprintf(stderr, "; %llu of the grep's while parsing)\n",
	    (unsigned long long)st->gated);
	fprintf(stderr, "  bad lines  %llu%s", (unsigned long long)bad,
	    bad ? " (" : "");
	summary_kinds(st, stderr, false);
	fprintf(stderr, "%s\n", bad ? ")" : "");
	fprintf(stderr, "  truncated  %llu lines over max_line_size\n",
	    (unsigned long long)st->truncated);
	fprintf(stderr, "  errors     %llu read, %llu delivery\n",
	    (unsigned long long)st->read_errors,
	    (unsigned long long)st->output_errors);
}

static void
summary_json(const struct bf_run *br, double secs, const char *path)
{
	const struct stats	*st = &br->pl->stats;
	FILE			*out = fopen(path, "w");

	if (out == NULL) {
		log_error("backfill: cannot write %s: %s", path,
		    strerror(errno));
		return;
	}
	fprintf(out, "{\"files_read\":%u,\"files_failed\":%u,"
	    "\"files_skipped\":%u,\"bytes\":%llu,\"physical_lines\":%llu,"
	    "\"partial_lines\":%llu,\"multiline_lines\":%llu,"
	    "\"multiline_orphans\":%llu,\"lines\":%llu,\"records_out\":%llu,"
	    "\"gated\":%llu,\"truncated\":%llu,\"read_errors\":%llu,"
	    "\"output_errors\":%llu,\"seconds\":%.3f,\"acked\":%llu,"
	    "\"dead_letters\":%llu,\"resent\":%llu,\"given_up\":%llu,"
	    "\"error_events\":%llu,\"rejected_to_error\":%llu,"
	    "\"dropped\":{", br->read, br->failed, br->skipped,
	    (unsigned long long)st->bytes,
	    (unsigned long long)st->physical_lines,
	    (unsigned long long)st->partial_lines,
	    (unsigned long long)st->multiline_lines,
	    (unsigned long long)st->multiline_orphans,
	    (unsigned long long)st->lines,
	    (unsigned long long)st->records_out,
	    (unsigned long long)st->gated, (unsigned long long)st->truncated,
	    (unsigned long long)st->read_errors,
	    (unsigned long long)st->output_errors, secs,
	    (unsigned long long)br->acks.acked,
	    (unsigned long long)br->acks.dead,
	    (unsigned long long)br->acks.retried,
	    (unsigned long long)(br->acks.dropped_retry +
	    br->acks.dropped_overflow), (unsigned long long)st->error_events,
	    (unsigned long long)br->acks.errored);
	summary_drops(st, out, true);
	fprintf(out, "},\"bad\":{");
	summary_kinds(st, out, true);
	fprintf(out, "}}\n");
	fclose(out);
}

int
backfill_run(struct pipeline *pl, struct loop *l,
    const struct backfill_opts *o)
{
	struct bf_run	 br;
	struct err	 e;
	char		*buf = xmalloc(BF_CHUNK);
	size_t		 i;
	double		 secs;

	memset(&br, 0, sizeof br);
	br.pl = pl;
	br.loop = l;
	br.o = o;
	br.started = mono();
	br.now = (int64_t)time(NULL) * 1000000000;
	batch_init(&br.batch);
	for (i = 0; i < o->npaths; i++)
		add_arg(&br, o->paths[i]);
	qsort(br.files, br.nfiles, sizeof *br.files, file_cmp);
	for (i = 0; i < br.nfiles; i++)
		br.total_bytes += br.files[i].size;
	for (i = 0; i < br.nfiles; i++) {
		if (loop_stopping(l)) {
			log_warn("backfill: interrupted: %zu of %zu files not "
			    "read; what was read is still sent", br.nfiles - i,
			    br.nfiles);
			br.failed += (unsigned)(br.nfiles - i);
			break;
		}
		if (ship_file(&br, &br.files[i], buf) != 0)
			br.failed++;
		br.done_bytes += br.files[i].size;
	}
	if (pipeline_drain(pl, l, true, 0, &e) != 0) {
		log_error("backfill: %s", e.msg);
		br.failed++;
	}
	pipeline_stop_outputs(pl);
	if (pipeline_flush(pl, &e) != 0) {
		log_error("backfill: flushing the outputs: %s", e.msg);
		br.failed++;
	}
	pipeline_buffer_totals(pl, &br.acks);
	draw_progress(&br, 0, true);
	secs = mono() - br.started;
	summary_text(&br, secs);
	if (o->summary_json != NULL)
		summary_json(&br, secs, o->summary_json);
	pipeline_stop(pl);
	for (i = 0; i < br.nfiles; i++) {
		free(br.files[i].path);
		free(br.files[i].base);
	}
	free(br.files);
	batch_free(&br.batch);
	free(buf);
	return br.failed || pl->stats.output_errors || pl->stats.read_errors ||
	    br.acks.dead || br.acks.dropped_overflow || br.acks.dropped_retry ?
	    1 : 0;
}
