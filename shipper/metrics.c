/*
 * metrics.c — the registry of collectors and health checks, and the
 * Prometheus text exposition format 0.0.4 they are written in (see
 * metrics.h).
 *
 * A scrape asks every collector for its samples into families kept in
 * memory, then writes each family once, in the order it was first
 * declared: HELP, TYPE, samples. So collectors of different modules
 * may add to the same family, and the output is still valid.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "autoconfig.h"
#include "log.h"
#include "loop.h"
#include "mem.h"
#include "metrics.h"
#include "utf8.h"

struct sample {
	char		*series;	/* the family name, plus a suffix */
	char		*labels;	/* {a="b",...} as written, or "" */
	double		 value;
};

struct family {
	char		*name;
	enum metric_type type;
	char		*help;
	struct sample	*samples;
	size_t		 nsamples;
	size_t		 cap;
};

struct metrics_out {
	struct family	*families;
	size_t		 n;
	size_t		 cap;
};

struct collector {
	const char		*name;
	metrics_collect_fn	 fn;
	void			*arg;
};

struct check {
	enum health_kind	 kind;
	const char		*name;
	health_check_fn		 fn;
	void			*arg;
};

static struct collector	*collectors;
static size_t		 ncollectors;
static struct check	*checks;
static size_t		 nchecks;
static bool		 started;
static double		 max_unacked_age;

static const char *const type_names[] = {
	[METRIC_COUNTER] = "counter",
	[METRIC_GAUGE] = "gauge",
	[METRIC_HISTOGRAM] = "histogram",
	[METRIC_UNTYPED] = "untyped",
};

/* --- names and text ------------------------------------------------------ */

static bool
name_valid(const char *s, bool colon)
{
	size_t	 i;

	if (s == NULL || *s == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		char	 c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_' || (colon && c == ':') ||
		    (i > 0 && c >= '0' && c <= '9'))
			continue;
		return false;
	}
	return true;
}

bool
metric_name_valid(const char *name)
{
	return name_valid(name, true);
}

bool
metric_label_name_valid(const char *name)
{
	return name_valid(name, false) && strncmp(name, "__", 2) != 0;
}

/*
 * Escapes for HELP (\\ and \n) and label values (also \"), invalid
 * UTF-8 replaced by U+FFFD: the format is UTF-8 text.
 */
static void
put_escaped(struct strbuf *sb, const char *s, bool quote)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len = strlen(s), n;

	while (len > 0) {
		if (*p == '\\' || *p == '\n' || (quote && *p == '"')) {
			sb_addc(sb, '\\');
			sb_addc(sb, *p == '\n' ? 'n' : (char)*p);
			n = 1;
		} else if ((n = utf8_seq_len(p, len)) > 0)
			sb_add(sb, p, n);
		else {
			n = utf8_invalid_len(p, len);
			sb_adds(sb, "\xef\xbf\xbd");
		}
		p += n;
		len -= n;
	}
}

static void
put_labels(struct strbuf *sb, const struct metric_label *l, size_t n,
    const char *le)
{
	size_t	 i;

	if (n == 0 && le == NULL)
		return;
	sb_addc(sb, '{');
	for (i = 0; i < n; i++) {
		sb_addf(sb, "%s%s=\"", i ? "," : "", l[i].name);
		put_escaped(sb, l[i].value != NULL ? l[i].value : "", true);
		sb_addc(sb, '"');
	}
	if (le != NULL)
		sb_addf(sb, "%sle=\"%s\"", n ? "," : "", le);
	sb_addc(sb, '}');
}

/* Go's strconv for floats as Prometheus clients write them. */
static void
put_value(struct strbuf *sb, double v)
{
	char	 buf[40];

	if (isnan(v))
		sb_adds(sb, "NaN");
	else if (isinf(v))
		sb_adds(sb, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		sb_addf(sb, "%.0f", v);
	else {
		snprintf(buf, sizeof buf, "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, sizeof buf, "%.17g", v);
		sb_adds(sb, buf);
	}
}

/* --- building an exposition ---------------------------------------------- */

static struct family *
family_find(struct metrics_out *o, const char *name)
{
	size_t	 i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->families[i].name, name) == 0)
			return &o->families[i];
	return NULL;
}

static struct family *
family_add(struct metrics_out *o, const char *name, enum metric_type type,
    const char *help)
{
	struct family	*f;

	o->families = xgrow(o->families, &o->cap, o->n + 1, sizeof *f);
	f = &o->families[o->n++];
	memset(f, 0, sizeof *f);
	f->name = xstrdup(name);
	f->type = type;
	f->help = help != NULL ? xstrdup(help) : NULL;
	return f;
}

void
metric_family(struct metrics_out *o, const char *name, enum metric_type type,
    const char *help)
{
	struct family	*f = family_find(o, name);

	if (f != NULL) {
		if (f->type != type)
			log_warn("metrics: %s declared as %s and as %s; kept "
			    "the first", name, type_names[f->type],
			    type_names[type]);
		return;
	}
	if (!metric_name_valid(name)) {
		log_warn("metrics: invalid metric name '%s' left out", name);
		return;
	}
	family_add(o, name, type, help);
}

static void
family_put(struct family *f, const char *suffix, char *labels, double v)
{
	size_t		 nl = strlen(f->name), i;
	struct sample	*s;

	for (i = 0; i < f->nsamples; i++) {
		s = &f->samples[i];
		if (strcmp(s->labels, labels) == 0 &&
		    strncmp(s->series, f->name, nl) == 0 &&
		    strcmp(s->series + nl, suffix) == 0) {
			s->value += v;
			free(labels);
			return;
		}
	}
	f->samples = xgrow(f->samples, &f->cap, f->nsamples + 1, sizeof *s);
	s = &f->samples[f->nsamples++];
	s->series = xasprintf("%s%s", f->name, suffix);
	s->labels = labels;
	s->value = v;
}

static bool
labels_valid(const char *family, const struct metric_label *l, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (!metric_label_name_valid(l[i].name) ||
		    strcmp(l[i].name, "le") == 0) {
			log_warn("metrics: %s: invalid label name '%s' left "
			    "out", family, l[i].name ? l[i].name : "(null)");
			return false;
		}
	}
	return true;
}

/* The family of name, declared as untyped if nobody declared it. */
static struct family *
family_for_sample(struct metrics_out *o, const char *name)
{
	struct family	*f = family_find(o, name);

	if (f == NULL && metric_name_valid(name))
		f = family_add(o, name, METRIC_UNTYPED, NULL);
	return f;
}

static char *
labels_text(const struct metric_label *l, size_t n, const char *le)
{
	struct strbuf	 sb = STRBUF_INIT;

	put_labels(&sb, l, n, le);
	return sb_take(&sb);
}

void
metric_sample(struct metrics_out *o, const char *name,
    const struct metric_label *labels, size_t nlabels, double value)
{
	struct family	*f = family_for_sample(o, name);

	if (f == NULL || !labels_valid(name, labels, nlabels))
		return;
	family_put(f, "", labels_text(labels, nlabels, NULL), value);
}

void
metric_histogram(struct metrics_out *o, const char *name,
    const struct metric_label *labels, size_t nlabels, const double *bounds,
    const uint64_t *counts, size_t nbounds, double sum, uint64_t count)
{
	struct family	*f = family_for_sample(o, name);
	struct strbuf	 le = STRBUF_INIT;
	uint64_t	 cum = 0;
	size_t		 i;

	if (f == NULL || !labels_valid(name, labels, nlabels))
		return;
	for (i = 0; i < nbounds; i++) {
		cum += counts[i];
		sb_reset(&le);
		put_value(&le, bounds[i]);
		family_put(f, "_bucket", labels_text(labels, nlabels,
		    sb_cstr(&le)), (double)cum);
	}
	family_put(f, "_bucket", labels_text(labels, nlabels, "+Inf"),
	    (double)count);
	family_put(f, "_sum", labels_text(labels, nlabels, NULL), sum);
	family_put(f, "_count", labels_text(labels, nlabels, NULL),
	    (double)count);
	sb_free(&le);
}

static void
families_write(struct metrics_out *o, struct strbuf *out)
{
	size_t	 i, j;

	for (i = 0; i < o->n; i++) {
		struct family	*f = &o->families[i];

		if (f->nsamples == 0)
			continue;	/* as client libraries do */
		if (f->help != NULL) {
			sb_addf(out, "# HELP %s ", f->name);
			put_escaped(out, f->help, false);
			sb_addc(out, '\n');
		}
		sb_addf(out, "# TYPE %s %s\n", f->name, type_names[f->type]);
		for (j = 0; j < f->nsamples; j++) {
			sb_addf(out, "%s%s ", f->samples[j].series,
			    f->samples[j].labels);
			put_value(out, f->samples[j].value);
			sb_addc(out, '\n');
		}
	}
}

static void
families_free(struct metrics_out *o)
{
	size_t	 i, j;

	for (i = 0; i < o->n; i++) {
		struct family	*f = &o->families[i];

		for (j = 0; j < f->nsamples; j++) {
			free(f->samples[j].series);
			free(f->samples[j].labels);
		}
		free(f->samples);
		free(f->name);
		free(f->help);
	}
	free(o->families);
}

/* --- the process's own metrics ------------------------------------------- */

struct proc_stat {
	double	 cpu_seconds;
	double	 start_time;
	double	 rss_bytes;
	double	 vsize_bytes;
};

static double
boot_time(void)
{
	FILE		*f = fopen("/proc/stat", "r");
	char		 line[256];
	double		 bt = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "btime %lf", &bt) == 1)
			break;
	fclose(f);
	return bt;
}

/* /proc/self/stat: fields after the command name, which may hold spaces. */
static bool
proc_stat_read(struct proc_stat *ps)
{
	FILE			*f = fopen("/proc/self/stat", "r");
	char			 buf[1024], *p;
	unsigned long long	 utime, stime, start, vsize;
	long long		 rss;
	double			 tick = (double)sysconf(_SC_CLK_TCK);
	size_t			 n;

	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d "
	    "%*d %*d %*d %*d %llu %llu %lld", &utime, &stime, &start, &vsize,
	    &rss) != 5)
		return false;
	ps->cpu_seconds = (double)(utime + stime) / tick;
	ps->start_time = boot_time() + (double)start / tick;
	ps->vsize_bytes = (double)vsize;
	ps->rss_bytes = (double)rss * (double)sysconf(_SC_PAGESIZE);
	return true;
}

static double
open_fds(void)
{
	DIR		*d = opendir("/proc/self/fd");
	struct dirent	*de;
	double		 n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

#define PROCESS_METRIC(o, name, type, help, v) do {			\
	metric_family(o, name, type, help);				\
	metric_sample(o, name, METRIC_NO_LABELS, v);			\
} while (0)

static void
process_collect(struct metrics_out *o)
{
	struct proc_stat	 ps;
	struct rlimit		 rl;

	if (proc_stat_read(&ps)) {
		PROCESS_METRIC(o, "process_cpu_seconds_total", METRIC_COUNTER,
		    "Total user and system CPU time spent in seconds.",
		    ps.cpu_seconds);
		PROCESS_METRIC(o, "process_resident_memory_bytes", METRIC_GAUGE,
		    "Resident memory size in bytes.", ps.rss_bytes);
		PROCESS_METRIC(o, "process_virtual_memory_bytes", METRIC_GAUGE,
		    "Virtual memory size in bytes.", ps.vsize_bytes);
		PROCESS_METRIC(o, "process_start_time_seconds", METRIC_GAUGE,
		    "Start time of the process since unix epoch in seconds.",
		    ps.start_time);
	}
	PROCESS_METRIC(o, "process_open_fds", METRIC_GAUGE,
	    "Number of open file descriptors.", open_fds());
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		PROCESS_METRIC(o, "process_max_fds", METRIC_GAUGE,
		    "Maximum number of open file descriptors.",
		    (double)rl.rlim_cur);
	metric_family(o, "spire_shipper_build_info", METRIC_GAUGE,
	    "The shipper's version and compiler; always 1.");
	metric_sample(o, "spire_shipper_build_info", METRIC_LABELS(
	    { "version", PACKAGE_VERSION }, { "compiler", __VERSION__ }), 1);
}

static void
health_collect(struct metrics_out *o)
{
	struct strbuf	 why = STRBUF_INIT;

	PROCESS_METRIC(o, "spire_shipper_ready", METRIC_GAUGE,
	    "1 when /ready answers 200: the pipeline runs and no readiness "
	    "check fails.", health_check(HEALTH_READY, &why));
	PROCESS_METRIC(o, "spire_shipper_live", METRIC_GAUGE,
	    "1 when /live answers 200: no liveness check fails.",
	    health_check(HEALTH_LIVE, &why));
	sb_free(&why);
}

/* --- the registry -------------------------------------------------------- */

void
metrics_register(const char *name, metrics_collect_fn fn, void *arg)
{
	size_t	 i;

	for (i = 0; i < ncollectors; i++)
		if (collectors[i].fn == fn && collectors[i].arg == arg)
			return;
	collectors = xrealloc(collectors, (ncollectors + 1) *
	    sizeof *collectors);
	collectors[ncollectors].name = name;
	collectors[ncollectors].fn = fn;
	collectors[ncollectors].arg = arg;
	ncollectors++;
}

void
health_register(enum health_kind kind, const char *name, health_check_fn fn,
    void *arg)
{
	size_t	 i;

	for (i = 0; i < nchecks; i++)
		if (checks[i].kind == kind && checks[i].fn == fn &&
		    checks[i].arg == arg)
			return;
	checks = xrealloc(checks, (nchecks + 1) * sizeof *checks);
	checks[nchecks].kind = kind;
	checks[nchecks].name = name;
	checks[nchecks].fn = fn;
	checks[nchecks].arg = arg;
	nchecks++;
}

void
metrics_unregister(const void *arg)
{
	size_t	 i, j;

	for (i = j = 0; i < ncollectors; i++)
		if (collectors[i].arg != arg)
			collectors[j++] = collectors[i];
	ncollectors = j;
	for (i = j = 0; i < nchecks; i++)
		if (checks[i].arg != arg)
			checks[j++] = checks[i];
	nchecks = j;
	if (ncollectors == 0) {
		free(collectors);
		collectors = NULL;
	}
	if (nchecks == 0) {
		free(checks);
		checks = NULL;
	}
}

void
metrics_collect(struct strbuf *out)
{
	struct metrics_out	 o;
	size_t			 i;

	memset(&o, 0, sizeof o);
	for (i = 0; i < ncollectors; i++)
		collectors[i].fn(collectors[i].arg, &o);
	health_collect(&o);
	process_collect(&o);
	families_write(&o, out);
	families_free(&o);
}

/* --- health -------------------------------------------------------------- */

void
health_set_started(bool on)
{
	started = on;
}

bool
health_started(void)
{
	return started;
}

bool
health_check(enum health_kind kind, struct strbuf *why)
{
	bool	 ok = true;
	size_t	 i, mark;

	if (kind == HEALTH_READY && !started) {
		sb_adds(why, "the pipeline has not started (or is stopping)\n");
		ok = false;
	}
	for (i = 0; i < nchecks; i++) {
		if (checks[i].kind != kind)
			continue;
		mark = why->len;
		if (checks[i].fn(checks[i].arg, why))
			continue;
		ok = false;
		if (why->len == mark)
			sb_addf(why, "%s: check failed", checks[i].name);
		sb_addc(why, '\n');
	}
	return ok;
}

void
health_set_max_unacked_age(double seconds)
{
	max_unacked_age = seconds;
}

bool
health_unacked_ok(uint64_t oldest_ms, const char *what, struct strbuf *why)
{
	uint64_t	 now = loop_now_ms();
	double		 age;

	if (oldest_ms == 0 || max_unacked_age <= 0 || now <= oldest_ms)
		return true;
	age = (double)(now - oldest_ms) / 1000;
	if (age <= max_unacked_age)
		return true;
	sb_addf(why, "%s: the oldest unacknowledged record has waited %.0f s "
	    "(liveness_max_unacked_age %.0f s): the output is not taking "
	    "records", what, age, max_unacked_age);
	return false;
}
