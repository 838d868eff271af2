/*
 * main.c — spire-shipper's command line and its three modes: follow
 * (the node collector), --backfill (ship archives once and exit) and
 * --dry-run (show what the configuration means).
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "autoconfig.h"
#include "backfill.h"
#include "config.h"
#include "dryrun.h"
#include "fsutil.h"
#include "log.h"
#include "loop.h"
#include "mem.h"
#include "pipeline.h"
#include "reference.h"

extern const char default_conf[];

#define EXIT_USAGE	2
/* Kubernetes gives a pod 30 s between SIGTERM and SIGKILL. */
#define SHUTDOWN_DRAIN_MS 20000
/* Allocations from this size up are mapped, and unmapped when freed. */
#define MMAP_THRESHOLD	(256 * 1024)
#define TRIM_MS		60000

struct options {
	const char	*conf;
	bool		 dry_run;
	bool		 skip_unsupported;
	bool		 backfill;
	unsigned	 shard;
	unsigned	 nshards;
	const char	*summary_json;
	int		 log_level;
	bool		 progress;
	char		**paths;
	size_t		 npaths;
};

static void
usage(FILE *out)
{
	fprintf(out,
"usage: spire-shipper [-c FILE] [--dry-run]\n"
"       spire-shipper [-c FILE] --backfill PATH... [--shard I/N]\n"
"\n"
"Follows SPIRE's container logs, keeps their security events and ships\n"
"them (Elasticsearch, Kafka, files, stdout), reading Fluentd's\n"
"configuration language.\n"
"\n"
"  -c, --config FILE     configuration (Fluentd syntax); without it the\n"
"                        built-in one: /var/log/containers/spire-*.log,\n"
"                        WARN/ERROR and audit events, NDJSON on stdout\n"
"      --dry-run         print the pipeline as understood, warn, exit\n"
"      --skip-unsupported  skip <source>/<filter>/<match> of plugin types\n"
"                        the shipper lacks (one warning each), run the rest\n"
"      --backfill PATH.. read files, directories or globs (plain or .gz)\n"
"                        from start to end, then exit\n"
"      --shard I/N       backfill only the files of shard I (0..N-1)\n"
"      --summary-json F  backfill: also write the summary to F as JSON\n"
"      --no-progress     backfill: no progress bar even on a terminal\n"
"      --log-level L     fatal, error, warn, info, debug or trace\n"
"      --reference       print the configuration reference (Markdown)\n"
"  -V, --version         print the version\n"
"  -h, --help            this help\n"
"\n"
"Exit status: 0 success; 1 configuration error, or (backfill) anything\n"
"that could not be read or delivered; 2 command line error.\n");
}

static void
print_reference(void)
{
	struct strbuf	 sb = STRBUF_INIT;

	reference_write(&sb);
	fwrite(sb.buf, 1, sb.len, stdout);
	sb_free(&sb);
}

static int
parse_shard(const char *s, struct options *o)
{
	char		*end;
	unsigned long	 i, n;

	i = strtoul(s, &end, 10);
	if (end == s || *end != '/')
		return -1;
	n = strtoul(end + 1, &end, 10);
	if (*end != '\0' || n == 0 || i >= n || n > 1000000)
		return -1;
	o->shard = (unsigned)i;
	o->nshards = (unsigned)n;
	return 0;
}

enum { OPT_DRY_RUN = 256, OPT_BACKFILL, OPT_SHARD, OPT_SUMMARY, OPT_LOG,
	OPT_NO_PROGRESS, OPT_REFERENCE, OPT_SKIP_UNSUPPORTED };

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "skip-unsupported", no_argument, NULL, OPT_SKIP_UNSUPPORTED },
	{ "backfill", no_argument, NULL, OPT_BACKFILL },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "summary-json", required_argument, NULL, OPT_SUMMARY },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "log-level", required_argument, NULL, OPT_LOG },
	{ "reference", no_argument, NULL, OPT_REFERENCE },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int
parse_options(int argc, char **argv, struct options *o)
{
	int	 c;

	memset(o, 0, sizeof *o);
	o->nshards = 1;
	o->log_level = -1;
	o->progress = isatty(STDERR_FILENO);
	while ((c = getopt_long(argc, argv, "c:hV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->conf = optarg;
			break;
		case OPT_DRY_RUN:
			o->dry_run = true;
			break;
		case OPT_SKIP_UNSUPPORTED:
			o->skip_unsupported = true;
			break;
		case OPT_BACKFILL:
			o->backfill = true;
			break;
		case OPT_SHARD:
			if (parse_shard(optarg, o) != 0) {
				fprintf(stderr, "spire-shipper: --shard %s: "
				    "expected I/N with 0 <= I < N, e.g. 0/4\n",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_SUMMARY:
			o->summary_json = optarg;
			break;
		case OPT_NO_PROGRESS:
			o->progress = false;
			break;
		case OPT_LOG:
			if ((o->log_level = log_level_parse(optarg)) < 0) {
				fprintf(stderr, "spire-shipper: --log-level %s: "
				    "use fatal, error, warn, info, debug or "
				    "trace\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_REFERENCE:
			print_reference();
			exit(0);
		case 'V':
			printf("spire-shipper %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	o->paths = argv + optind;
	o->npaths = (size_t)(argc - optind);
	if (o->npaths > 0 && !o->backfill) {
		fprintf(stderr, "spire-shipper: unexpected argument '%s' (paths "
		    "are for --backfill)\n", o->paths[0]);
		return EXIT_USAGE;
	}
	if (o->backfill && o->npaths == 0) {
		fprintf(stderr, "spire-shipper: --backfill needs at least one "
		    "file, directory or glob\n");
		return EXIT_USAGE;
	}
	if (o->nshards > 1 && !o->backfill) {
		fprintf(stderr, "spire-shipper: --shard goes with --backfill\n");
		return EXIT_USAGE;
	}
	return 0;
}

static struct pipeline *
load(const struct options *o, unsigned flags)
{
	struct conf	*c = xcalloc(1, sizeof *c);
	struct pipeline	*pl;
	struct err	 e;
	int		 rc;

	if (o->conf != NULL)
		rc = conf_load_file(c, o->conf, &e);
	else
		rc = conf_load_string(c, default_conf, "(built-in default "
		    "configuration)", &e);
	if (rc != 0 || (pl = pipeline_new(c, flags, &e)) == NULL) {
		fprintf(stderr, "spire-shipper: %s\n", e.msg);
		if (rc != 0) {
			conf_free(c);
			free(c);
		}
		return NULL;
	}
	return pl;
}

static void
on_stop_signal(int signo, void *arg)
{
	struct loop	*l = arg;

	log_info("%s: stopping: no more reading, flushing outputs, saving "
	    "positions", strsignal(signo));
	loop_stop(l);
}

static void
on_hup(int signo, void *arg)
{
	(void)signo;
	(void)arg;
	log_info("SIGHUP ignored: restart the shipper to load a new "
	    "configuration");
}

/* The loop with its signals, and the pipeline started on it. */
static struct loop *
start(struct pipeline *pl)
{
	struct loop	*l;
	struct err	 e;

	if ((l = loop_new(&e)) == NULL ||
	    loop_add_signal(l, SIGTERM, on_stop_signal, l, &e) != 0 ||
	    loop_add_signal(l, SIGINT, on_stop_signal, l, &e) != 0 ||
	    loop_add_signal(l, SIGHUP, on_hup, l, &e) != 0 ||
	    pipeline_start(pl, l, &e) != 0) {
		fprintf(stderr, "spire-shipper: %s\n", e.msg);
		loop_free(l);
		return NULL;
	}
	return l;
}

static int
run_backfill(struct pipeline *pl, const struct backfill_opts *bo)
{
	struct loop	*l;
	int		 rc;

	pl->flags |= PIPELINE_SKIP_SOURCES;
	if ((l = start(pl)) == NULL)
		return 1;
	rc = backfill_run(pl, l, bo);
	loop_free(l);
	return rc;
}

/*
 * Memory freed inside the heap stays resident until it is trimmed: once
 * an outage's backlog has been sent, about a megabyte of holes between
 * what lives on. Once a minute costs next to nothing.
 */
static void
on_trim(void *arg)
{
	(void)arg;
#ifdef __GLIBC__
	(void)malloc_trim(0);	/* 1 if it gave memory back: either is fine */
#endif
}

static int
run_follow(struct pipeline *pl)
{
	struct loop	*l;
	struct err	 e;
	int		 rc = 0;

	if ((l = start(pl)) == NULL)
		return 1;
	loop_add_timer(l, TRIM_MS, true, on_trim, NULL);
	log_info("spire-shipper %s started: %zu source%s", PACKAGE_VERSION,
	    pl->nsources, pl->nsources == 1 ? "" : "s");
	if (loop_run(l, &e) != 0) {
		log_error("%s", e.msg);
		rc = 1;
	}
	pipeline_stop(pl);
	/* What a memory buffer holds is sent now or lost: a second signal
	 * or the timeout gives up on it; file buffers keep theirs. */
	if (pipeline_drain(pl, l, false, SHUTDOWN_DRAIN_MS, &e) != 0) {
		log_error("stopping: %s", e.msg);
		rc = 1;
	}
	pipeline_stop_outputs(pl);
	if (pipeline_flush(pl, &e) != 0) {
		log_error("flushing outputs: %s", e.msg);
		rc = 1;
	}
	log_info("stopped: %llu lines read, %llu records delivered",
	    (unsigned long long)pl->stats.lines,
	    (unsigned long long)pl->stats.records_out);
	loop_free(l);
	return rc;
}

int
main(int argc, char **argv)
{
	struct options		 o;
	struct backfill_opts	 bo;
	struct pipeline		*pl;
	int			 rc;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);	/* a file size limit is an error, not death */
	/*
	 * Bulk bodies and responses of up to a chunk come and go with every
	 * flush. Once one is freed glibc raises its mmap threshold past
	 * that size and keeps the next ones' pages in the heap, so resident
	 * memory would stay at the high-water mark of the largest backlog
	 * an outage left. A fixed threshold gives them back when freed. A
	 * malloc without the knob (ASan's) keeps its own policy: ignored.
	 */
#ifdef __GLIBC__
	(void)mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
#endif
	if ((rc = parse_options(argc, argv, &o)) != 0)
		return rc;
	if (o.log_level >= 0)
		log_set_level((enum log_level)o.log_level);
	pl = load(&o, (o.dry_run ? PIPELINE_DRY_RUN : o.backfill ?
	    PIPELINE_SKIP_SOURCES : 0) |
	    (o.skip_unsupported ? PIPELINE_SKIP_UNSUPPORTED : 0));
	if (pl == NULL)
		return 1;
	if (o.log_level >= 0)
		log_set_level((enum log_level)o.log_level);
	if (o.dry_run) {
		dryrun_print(pl, o.conf ? o.conf : "(built-in default)", stdout);
		pipeline_free(pl);
		return 0;
	}
	log_debug("open file limit: %llu", fd_limit_raise());
	if (o.backfill) {
		memset(&bo, 0, sizeof bo);
		bo.paths = o.paths;
		bo.npaths = o.npaths;
		bo.shard = o.shard;
		bo.nshards = o.nshards;
		bo.progress = o.progress;
		bo.summary_json = o.summary_json;
		rc = run_backfill(pl, &bo);
	} else
		rc = run_follow(pl);
	pipeline_free(pl);
	return rc;
}
