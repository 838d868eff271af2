/*
 * tail.c — `@type tail` (see tail.h): watching, reading, positions.
 *
 * Files are found by glob at start, on inotify events in their
 * directories and every refresh_interval; appends are seen through an
 * inotify watch on each file (which follows the kubelet's symlinks to
 * the real file) and a one-second stat of every file, which also
 * catches rotation (the path now names another inode), copytruncate (the
 * file shrank, or its first line changed) and deletion.
 *
 * The files of one path form a chain, oldest first: a rotated file keeps
 * the pos file entry until it has been read to its end and rotate_wait
 * has passed, then hands it to the file that replaced it. So a crash
 * while a rotated file drains replays rather than loses.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "loop.h"
#include "mem.h"
#include "metrics.h"
#include "pipeline.h"
#include "posfile.h"
#include "tail.h"
#include "tail_file.h"

#define T(field)	offsetof(struct tail_cfg, field)
static const struct param_def tail_params[] = {
	{ .name = "path", .type = PARAM_STRING, .flags = PARAM_REQUIRED,
	  .offset = T(path),
	  .help = "files to follow: globs, separated by commas" },
	{ .name = "exclude_path", .type = PARAM_ARRAY, .def = "[]",
	  .offset = T(exclude_path), .help = "globs of paths to leave out" },
	{ .name = "pos_file", .type = PARAM_STRING, .offset = T(pos_file),
	  .help = "Fluentd-format position file; unset: positions are not "
	  "kept across restarts" },
	{ .name = "tag", .type = PARAM_STRING, .flags = PARAM_REQUIRED,
	  .offset = T(tag),
	  .help = "tag of the records; * becomes the path with / as ." },
	{ .name = "read_from_head", .type = PARAM_BOOL, .def = "false",
	  .offset = T(read_from_head),
	  .help = "files found at start without a position are read from "
	  "the start (else from the end); later files always are" },
	{ .name = "refresh_interval", .type = PARAM_TIME, .def = "60",
	  .offset = T(refresh_interval),
	  .help = "how often the globs are expanded again" },
	{ .name = "rotate_wait", .type = PARAM_TIME, .def = "5",
	  .offset = T(rotate_wait),
	  .help = "how long a rotated file, read to its end, stays open "
	  "for late writes" },
	{ .name = "follow_inodes", .type = PARAM_BOOL, .def = "false",
	  .offset = T(follow_inodes),
	  .help = "key positions by inode instead of path" },
	{ .name = "path_key", .type = PARAM_STRING, .offset = T(path_key),
	  .help = "add the file's path to each record under this key" },
	{ .name = "max_line_size", .type = PARAM_SIZE, .def = "1M",
	  .offset = T(max_line_size),
	  .help = "longer lines are cut here, flagged truncated and counted" },
	{ .name = "read_lines_limit", .type = PARAM_INT, .def = "1000",
	  .flags = PARAM_NOOP, .offset = T(read_lines_limit),
	  .help = "Fluentd's batch size; reads here are by the 256 KiB" },
	{ .name = "read_bytes_limit_per_second", .type = PARAM_INT,
	  .def = "-1", .flags = PARAM_NOOP,
	  .offset = T(read_bytes_limit_per_second),
	  .help = "accepted; reading is not throttled" },
	{ .name = "enable_watch_timer", .type = PARAM_BOOL, .def = "true",
	  .flags = PARAM_NOOP, .offset = T(enable_watch_timer),
	  .help = "the 1 s stat timer always runs" },
	{ .name = "enable_stat_watcher", .type = PARAM_BOOL, .def = "true",
	  .flags = PARAM_NOOP, .offset = T(enable_stat_watcher),
	  .help = "inotify is always used" },
	{ .name = "skip_refresh_on_startup", .type = PARAM_BOOL,
	  .def = "false", .flags = PARAM_NOOP,
	  .offset = T(skip_refresh_on_startup), .help = "accepted" },
	{ .name = "ignore_repeated_permission_error", .type = PARAM_BOOL,
	  .def = "false", .offset = T(ignore_repeated_permission_error),
	  .help = "report an unreadable file once only" },
	{ .name = "multiline_flush_interval", .type = PARAM_TIME, .def = "0",
	  .offset = T(multiline_flush_interval),
	  .help = "<parse> @type multiline: an event with no new line for "
	  "this long comes out (0: only when the next one starts, at "
	  "rotation or at shutdown)" },
	{ .name = "pos_file_compaction_interval", .type = PARAM_TIME,
	  .def = "0", .flags = PARAM_NOOP,
	  .offset = T(pos_file_compaction_interval),
	  .help = "the pos file is compacted at every start" },
	{ .name = "encoding", .type = PARAM_STRING, .offset = T(encoding),
	  .help = "only UTF-8: output is always valid UTF-8" },
	{ .name = "from_encoding", .type = PARAM_STRING,
	  .offset = T(from_encoding), .help = "only UTF-8" },
	{ .name = "emit_unmatched_lines", .type = PARAM_BOOL, .def = "false",
	  .flags = PARAM_NOOP, .offset = T(emit_unmatched_lines),
	  .help = "lines that do not parse are always kept, with parse_error" },
	{ .name = "open_on_every_update", .type = PARAM_BOOL, .def = "false",
	  .offset = T(open_on_every_update),
	  .help = "must be false: files are kept open" },
	{ .name = "limit_recently_modified", .type = PARAM_INT, .def = "0",
	  .offset = T(limit_recently_modified),
	  .help = "seconds; only follow files modified this recently (0: all)" },
	{ .name = "path_timezone", .type = PARAM_STRING, .flags = PARAM_NOOP,
	  .offset = T(path_timezone), .help = "accepted" },
	{ .name = "format", .type = PARAM_STRING, .offset = T(format),
	  .help = "Fluentd v0.12's form of <parse> @type" },
	{ .name = "time_key", .type = PARAM_STRING, .offset = T(time_key),
	  .help = "with format: field holding the event time" },
	{ .name = "time_format", .type = PARAM_STRING, .offset = T(time_format),
	  .help = "with format: strptime-style format of time_key" },
	{ .name = "keep_time_key", .type = PARAM_BOOL, .def = "false",
	  .flags = PARAM_NOOP, .offset = T(keep_time_key),
	  .help = "with format: the runtime's time is always kept" },
	PARAMS_END
};
#undef T

static const char *const tail_sections[] = { "parse", NULL };

/* --- configuration ------------------------------------------------------- */

char *
tail_expand_tag(const char *tag, const char *path)
{
	const char	*star = strchr(tag, '*');
	struct strbuf	 sb = STRBUF_INIT;
	const char	*p;

	if (star == NULL)
		return xstrdup(tag);
	sb_add(&sb, tag, (size_t)(star - tag));
	/* Fluentd: path.tr('/', '.'), dots squeezed, a leading one removed. */
	for (p = path; *p != '\0'; p++) {
		char	 c = *p == '/' ? '.' : *p;

		if (c == '.' && (sb.len == (size_t)(star - tag) ||
		    sb.buf[sb.len - 1] == '.'))
			continue;
		sb_addc(&sb, c);
	}
	sb_adds(&sb, star + 1);
	sb_cstr(&sb);
	return sb.buf;
}

static char **
split_paths(const char *s)
{
	char	**v = NULL, *copy = xstrdup(s), *tok, *save = NULL;
	size_t	 n = 0;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		size_t	 len = strlen(tok);

		while (len > 0 && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
			tok[--len] = '\0';
		if (len == 0)
			continue;
		v = xrealloc(v, (n + 2) * sizeof *v);
		v[n++] = xstrdup(tok);
		v[n] = NULL;
	}
	free(copy);
	return v;
}

static int
check_encoding(const char *enc, const struct source *s, struct err *e)
{
	if (enc == NULL || strcasecmp(enc, "utf-8") == 0 ||
	    strcasecmp(enc, "utf8") == 0 || strcasecmp(enc, "ascii-8bit") == 0)
		return 0;
	return err_at(e, s->file, s->line, "<source> @type tail encoding "
	    "'%s': only UTF-8 is read (invalid bytes are repaired on output)",
	    enc);
}

static int
tail_init(struct source *s, struct conf_elem *el, struct err *e)
{
	struct tail_cfg	*cfg = s->cfg;
	struct tail	*t = xcalloc(1, sizeof *t);

	s->priv = t;
	t->src = s;
	t->cfg = cfg;
	t->ifd = -1;
	t->paths = split_paths(cfg->path);
	if (t->paths == NULL)
		return err_at(e, el->file, el->line, "<source> @type tail: "
		    "path '%s' names no file", cfg->path);
	if (cfg->open_on_every_update)
		return err_at(e, el->file, el->line, "<source> @type tail: "
		    "open_on_every_update true is not supported: files stay "
		    "open so that rotation loses nothing");
	if (check_encoding(cfg->encoding, s, e) != 0 ||
	    check_encoding(cfg->from_encoding, s, e) != 0)
		return -1;
	if (cfg->max_line_size < 1024)
		return err_at(e, el->file, el->line, "max_line_size %llu is too "
		    "small (at least 1k)", cfg->max_line_size);
	if (source_parse_init(&t->parse, el, cfg->format, e) != 0)
		return -1;
	batch_init(&t->batch);
	return 0;
}

static void
tail_destroy(struct source *s)
{
	struct tail	*t = s->priv;
	size_t		 i;

	if (t == NULL)
		return;
	metrics_unregister(t);
	tail_files_free(t);
	for (i = 0; i < t->ndirs; i++)
		free(t->dirs[i].dir);
	free(t->dirs);
	if (t->ifd != -1)
		close(t->ifd);
	if (t->have_pf)
		posfile_close(&t->pf);
	conf_strv_free(t->paths);
	source_parse_free(&t->parse);
	batch_free(&t->batch);
	free(t->buf);
	free(t->lost_dir);
	free(t->starved_path);
	free(t);
}

bool
tail_matches(const struct source *s, const char *path)
{
	const struct tail	*t = s->priv;
	const char		*base = strrchr(path, '/');
	size_t			 i;

	base = base ? base + 1 : path;
	for (i = 0; t->paths[i] != NULL; i++) {
		const char	*pb = strrchr(t->paths[i], '/');

		pb = pb ? pb + 1 : t->paths[i];
		if (fnmatch(t->paths[i], path, FNM_PATHNAME) == 0 ||
		    fnmatch(pb, base, FNM_PERIOD) == 0)
			return true;
	}
	return false;
}

const struct tail_cfg *
tail_config(const struct source *s)
{
	return s->cfg;
}

struct source_parse *
tail_parse(const struct source *s)
{
	return &((struct tail *)s->priv)->parse;
}

/* --- finding files ------------------------------------------------------- */

bool
tail_excluded(const struct tail *t, const char *path)
{
	char *const	*x;

	for (x = t->cfg->exclude_path; x != NULL && *x != NULL; x++)
		if (fnmatch(*x, path, FNM_PATHNAME | FNM_PERIOD) == 0)
			return true;
	return false;
}

static bool
recently_modified(const struct tail *t, const char *path)
{
	struct stat	 st;

	if (t->cfg->limit_recently_modified <= 0)
		return true;
	if (stat(path, &st) != 0)
		return false;
	return time(NULL) - st.st_mtime <= t->cfg->limit_recently_modified;
}

/* Once per streak: files left closed, for want of file descriptors. */
static void
report_starved(struct tail *t)
{
	if (t->starved_now > 0 && !t->starved)
		log_warn("tail: %zu files are open, as many as the open file "
		    "limit (%llu) allows with room left for the outputs: %zu "
		    "more (%s%s) are not followed until some close; raise the "
		    "limit (ulimit -n, systemd's LimitNOFILE, the container "
		    "runtime's nofile)", tail_open_fds(), fd_limit(),
		    t->starved_now, t->starved_path,
		    t->starved_now > 1 ? " and others" : "");
	else if (t->starved_now == 0 && t->starved)
		log_info("tail: every file is followed now");
	t->starved = t->starved_now > 0;
}

/* Globs every path pattern and follows what is new. */
void
tail_scan(struct tail *t, bool startup)
{
	glob_t	 g;
	size_t	 i, j;

	t->starved_now = 0;
	for (i = 0; t->paths[i] != NULL; i++) {
		memset(&g, 0, sizeof g);
		if (glob(t->paths[i], GLOB_NOSORT, NULL, &g) != 0) {
			globfree(&g);
			continue;
		}
		for (j = 0; j < g.gl_pathc; j++) {
			const char	*p = g.gl_pathv[j];
			struct stat	 st;

			if (tail_excluded(t, p) || stat(p, &st) != 0 ||
			    !S_ISREG(st.st_mode) || tail_file_find_path(t, p) ||
			    !recently_modified(t, p))
				continue;
			tail_file_start(t, p, startup);
		}
		globfree(&g);
	}
	report_starved(t);
}

/* The literal directory in front of a glob's first wildcard. */
static char *
glob_dir(const char *pattern)
{
	const char	*w = strpbrk(pattern, "*?[{");
	char		*d, *slash;

	d = w ? xstrndup(pattern, (size_t)(w - pattern)) : xstrdup(pattern);
	if ((slash = strrchr(d, '/')) == NULL) {
		free(d);
		return xstrdup(".");
	}
	if (slash == d)
		slash[1] = '\0';
	else
		*slash = '\0';
	return d;
}

static void
dir_watch(struct tail *t, const char *dir)
{
	size_t	 i;
	int	 wd;

	for (i = 0; i < t->ndirs; i++)
		if (strcmp(t->dirs[i].dir, dir) == 0)
			return;
	wd = inotify_add_watch(t->ifd, dir, IN_CREATE | IN_MOVED_TO |
	    IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR);
	if (wd < 0) {
		log_debug("tail: cannot watch directory %s: %s (found by the "
		    "periodic rescan instead)", dir, strerror(errno));
		return;
	}
	t->dirs = xrealloc(t->dirs, (t->ndirs + 1) * sizeof *t->dirs);
	t->dirs[t->ndirs].wd = wd;
	t->dirs[t->ndirs].dir = xstrdup(dir);
	t->ndirs++;
}

/* --- health ------------------------------------------------------------- */

/*
 * Without its inotify descriptor or a directory's watch the source only
 * finds new files at refresh_interval, and appends only by the stat
 * timer: a restart sets the watches up again.
 */
static bool
tail_live(void *arg, struct strbuf *why)
{
	const struct tail	*t = arg;

	if (t->watch_errno != 0) {
		sb_addf(why, "<source> @type tail (%s:%d): reading inotify "
		    "events failed: %s", t->src->file, t->src->line,
		    strerror(t->watch_errno));
		return false;
	}
	if (t->lost_dir != NULL) {
		sb_addf(why, "<source> @type tail (%s:%d): the watch on %s "
		    "ended (directory removed or unmounted)", t->src->file,
		    t->src->line, t->lost_dir);
		return false;
	}
	return true;
}

size_t
tail_files_watched(const struct source *s)
{
	const struct tail	*t = s->priv;
	const struct tail_file	*f;
	size_t			 n = 0;

	for (f = t->files; f != NULL; f = f->next)
		if (!f->gone)
			n++;
	return n;
}

/* --- events -------------------------------------------------------------- */

static int
poke_order(const void *a, const void *b)
{
	int	 x = ((const struct tail_poke *)a)->wd;
	int	 y = ((const struct tail_poke *)b)->wd;

	return x < y ? -1 : x > y;
}

/* The events of one read, by watch, their masks merged. */
static size_t
merge_pokes(struct tail_poke *pk, size_t n)
{
	size_t	 i, m = 0;

	qsort(pk, n, sizeof *pk, poke_order);
	for (i = 0; i < n; i++) {
		if (m > 0 && pk[m - 1].wd == pk[i].wd)
			pk[m - 1].mask |= pk[i].mask;
		else
			pk[m++] = pk[i];
	}
	return m;
}

static void
tail_inotify(int fd, uint32_t events, void *arg)
{
	struct tail	*t = arg;
	char		 buf[16384] __attribute__((aligned(8)));
	struct tail_poke pk[sizeof buf / sizeof(struct inotify_event)];
	ssize_t		 n;
	size_t		 npk;
	bool		 rescan = false;

	(void)events;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		char	*p = buf;

		npk = 0;
		while (p < buf + n) {
			const struct inotify_event *ev = (void *)p;
			size_t	 i;

			p += sizeof *ev + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				rescan = true;
				/* Events were lost: look at every file. */
				pk[npk].wd = -1;
				pk[npk++].mask = IN_MODIFY | IN_ATTRIB;
				continue;
			}
			for (i = 0; i < t->ndirs; i++) {
				if (t->dirs[i].wd != ev->wd)
					continue;
				rescan = true;
				if ((ev->mask & IN_IGNORED) && t->lost_dir ==
				    NULL)
					t->lost_dir = xstrdup(t->dirs[i].dir);
			}
			pk[npk].wd = ev->wd;
			pk[npk++].mask = ev->mask;
		}
		tail_files_poke(t, pk, merge_pokes(pk, npk));
	}
	if (n == -1 && errno != EAGAIN && errno != EINTR)
		t->watch_errno = errno;
	if (rescan)
		tail_scan(t, false);
	if (t->check_soon)
		tail_files_check(t);
	tail_files_work(t);
}

static void
tail_stat_timer(void *arg)
{
	struct tail	*t = arg;

	tail_files_check(t);
	tail_files_work(t);
	tail_positions_sync(t);
}

static void
tail_refresh_timer(void *arg)
{
	struct tail	*t = arg;

	tail_scan(t, false);
	tail_files_work(t);
}

static int
tail_start(struct source *s, struct loop *l, struct err *e)
{
	struct tail	*t = s->priv;
	size_t		 i;

	t->loop = l;
	t->buf = xmalloc(TAIL_READ_CHUNK);
	if (t->cfg->pos_file != NULL) {
		if (posfile_open(&t->pf, t->cfg->pos_file, t->cfg->follow_inodes,
		    e) != 0)
			return -1;
		t->have_pf = true;
		if (t->pf.bad_lines > 0)
			log_warn("tail: pos file %s: %zu damaged line%s (the "
			    "first is line %zu) could not be read and were "
			    "dropped; the file as it was is kept as %s. The "
			    "files they named are read again from their start "
			    "(lines may be delivered twice); a file named by "
			    "no line is read from its %s", t->cfg->pos_file,
			    t->pf.bad_lines, t->pf.bad_lines == 1 ? "" : "s",
			    t->pf.first_bad, t->pf.quarantine,
			    t->cfg->read_from_head ? "start" : "end");
	}
	t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (t->ifd == -1)
		return err_set(e, "inotify_init1: %s (raise "
		    "fs.inotify.max_user_instances)", strerror(errno));
	if (loop_add_fd(l, t->ifd, EPOLLIN, tail_inotify, t, e) != 0)
		return -1;
	for (i = 0; t->paths[i] != NULL; i++) {
		char	*d = glob_dir(t->paths[i]);

		dir_watch(t, d);
		free(d);
	}
	tail_scan(t, true);
	tail_recover(t);
	t->stat_timer = loop_add_timer(l, 1000, true, tail_stat_timer, t);
	t->refresh_timer = loop_add_timer(l, (uint64_t)(t->cfg->refresh_interval
	    * 1000 > 1 ? t->cfg->refresh_interval * 1000 : 1000), true,
	    tail_refresh_timer, t);
	health_register(HEALTH_LIVE, "tail", tail_live, t);
	t->started = true;
	return 0;
}

static void
tail_stop(struct source *s)
{
	struct tail	*t = s->priv;

	if (!t->started)
		return;
	t->stopping = true;
	tail_files_drain_rotated(t);
	tail_files_flush_events(t);
	tail_positions_sync(t);
	loop_del_timer(t->loop, t->stat_timer);
	if (t->unblock_timer != NULL)
		loop_del_timer(t->loop, t->unblock_timer);
	t->unblock_timer = NULL;
	loop_del_timer(t->loop, t->refresh_timer);
	loop_del_fd(t->loop, t->ifd);
	metrics_unregister(t);
	t->started = false;
}

static void
tail_check(const struct source *s, warn_fn warn, void *arg)
{
	const struct tail	*t = s->priv;
	const struct tail_cfg	*cfg = t->cfg;
	const char		*tk = t->parse.cfg.time.time_key;

	if (tk != NULL && strcmp(tk, "time") != 0)
		warn(arg, t->parse.tk_file, t->parse.tk_line, "time_key %s: neither "
		    "the container runtime nor SPIRE writes a '%s' field (both "
		    "use 'time'), so the event time comes from the runtime's "
		    "'time'", tk, tk);
	if (cfg->pos_file == NULL)
		warn(arg, s->file, s->line, "no pos_file: after a restart every "
		    "file is read again from %s", cfg->read_from_head ?
		    "its start (duplicates)" : "its end (losing lines)");
	if (t->parse.envelope == ENVELOPE_DOCKER)
		warn(arg, t->parse.file, t->parse.line, "<parse> @type json reads "
		    "only Docker json-file logs; containerd and CRI-O nodes "
		    "write CRI lines: use @type container to read both");
}

const struct source_ops source_tail = {
	.name = "tail",
	.help = "follow log files (Fluentd's in_tail)",
	.params = tail_params,
	.sections = tail_sections,
	.cfg_size = sizeof(struct tail_cfg),
	.init = tail_init,
	.start = tail_start,
	.stop = tail_stop,
	.destroy = tail_destroy,
	.check = tail_check,
	.reference = source_parse_reference,
};
