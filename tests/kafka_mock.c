/*
 * kafka_mock.c — the Kafka peer of the integration tests: librdkafka's
 * mock cluster (the real protocol on loopback TCP), and a consumer that
 * writes everything produced to it to a file.
 *
 *   kafka_mock DIR [TOPIC[,TOPIC...] [PARTITIONS]]
 *   kafka_mock --features      librdkafka's builtin.features, and exit
 *
 * creates the topics (default: spire, 6 partitions each), writes
 * DIR/bootstrap (the bootstrap servers, once listening) and appends one
 * JSON line per message consumed from them to DIR/consumed.ndjson:
 *   {"topic":"spire","partition":0,"offset":7,"key":"...",
 *    "headers":{"h":"v"},"value":"..."}
 * (key null when there is none; the value as a JSON string); DIR/codecs
 * lists the compression codecs of the message sets fetched (none, gzip,
 * snappy, lz4, zstd), one per line, as librdkafka's consumer reports
 * them. Commands on stdin, one per line:
 *   down N | up N     broker N (1..3) stops or starts answering
 *   errors N CODE     the next N produce requests answered with CODE
 *   leader P N        broker N leads partition P (-1: every partition)
 *                     of every topic: the failover a real cluster makes
 *                     when a broker dies, which the mock does not make
 *                     by itself
 *   topic_error T CODE  metadata requests for topic T answered with CODE
 *                     (17: an invalid topic, 3: an unknown one), as a
 *                     broker answers for a name it refuses
 *   quit
 * and DIR/consumed.count holds the count after every poll.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "jsonenc.h"
#include "strbuf.h"

#define TOPICS_MAX	16

static volatile sig_atomic_t quit;
static char		*topics[TOPICS_MAX];
static int		 ntopics;
static int		 parts;
static const char	*dir;
static unsigned		 codecs_seen;	/* bit per codec name */

static const char *const codec_names[] = { "none", "gzip", "snappy", "lz4",
	"zstd" };

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void write_file(const char *name, const char *text);

/*
 * The consumer's "msg" debug line for each fetched message set ends with
 * its codec: "... fetch queue (qlen 0, v3, ..., zstd)". What the test
 * asserts is what crossed the wire, so it is read from there.
 */
static void
note_codec(const char *line)
{
	char		 list[64] = "";
	const char	*end = strrchr(line, ')'), *p;
	size_t		 i;
	unsigned	 before = codecs_seen;

	if (strstr(line, "fetch queue") == NULL || end == NULL)
		return;
	for (p = end; p > line && p[-1] != ' '; p--)
		;
	for (i = 0; i < sizeof codec_names / sizeof codec_names[0]; i++)
		if ((size_t)(end - p) == strlen(codec_names[i]) &&
		    strncmp(p, codec_names[i], (size_t)(end - p)) == 0)
			codecs_seen |= 1u << i;
	if (codecs_seen == before)
		return;
	for (i = 0; i < sizeof codec_names / sizeof codec_names[0]; i++)
		if (codecs_seen & (1u << i))
			snprintf(list + strlen(list), sizeof list - strlen(list),
			    "%s%s", list[0] ? "\n" : "", codec_names[i]);
	write_file("codecs", list);
}

/* Runs on librdkafka's broker threads, hence the lock. */
static void
log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;

	(void)rk;
	if (strcmp(fac, "CONSUME") == 0) {
		pthread_mutex_lock(&lock);
		note_codec(buf);
		pthread_mutex_unlock(&lock);
	} else if (level <= 3)
		fprintf(stderr, "kafka_mock: librdkafka %s: %s\n", fac, buf);
}

static rd_kafka_t *
handle(rd_kafka_type_t type, const char *bootstrap)
{
	rd_kafka_conf_t	*conf = rd_kafka_conf_new();
	char		 err[512];
	rd_kafka_t	*rk;

	if (bootstrap != NULL) {
		rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err,
		    sizeof err);
		rd_kafka_conf_set(conf, "group.id", "kafka_mock", err,
		    sizeof err);
		rd_kafka_conf_set(conf, "enable.auto.commit", "false", err,
		    sizeof err);
		rd_kafka_conf_set(conf, "debug", "msg", err, sizeof err);
		rd_kafka_conf_set_log_cb(conf, log_cb);
	}
	if ((rk = rd_kafka_new(type, conf, err, sizeof err)) == NULL) {
		fprintf(stderr, "kafka_mock: %s\n", err);
		exit(2);
	}
	return rk;
}

static void
write_file(const char *name, const char *text)
{
	char	 path[4096], tmp[4200];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
	if ((f = fopen(tmp, "w")) == NULL)
		exit(2);
	fprintf(f, "%s\n", text);
	fclose(f);
	rename(tmp, path);
}

static void
put_message(struct strbuf *sb, const rd_kafka_message_t *m)
{
	rd_kafka_headers_t	*hdrs = NULL;
	const char		*name;
	const void		*val;
	size_t			 vlen, i;

	sb_adds(sb, "{\"topic\":");
	json_put_string(sb, rd_kafka_topic_name(m->rkt),
	    strlen(rd_kafka_topic_name(m->rkt)));
	sb_addf(sb, ",\"partition\":%d,\"offset\":%lld,\"key\":",
	    (int)m->partition, (long long)m->offset);
	if (m->key != NULL)
		json_put_string(sb, m->key, m->key_len);
	else
		sb_adds(sb, "null");
	sb_adds(sb, ",\"headers\":{");
	if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR)
		for (i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val,
		    &vlen) == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
			if (i > 0)
				sb_addc(sb, ',');
			json_put_string(sb, name, strlen(name));
			sb_addc(sb, ':');
			json_put_string(sb, val ? val : "", val ? vlen : 0);
		}
	sb_adds(sb, "},\"value\":");
	json_put_string(sb, m->payload ? m->payload : "", m->len);
	sb_adds(sb, "}\n");
}

static void
produce_errors(rd_kafka_mock_cluster_t *mc, int n, int code)
{
	rd_kafka_resp_err_t	*errs = calloc((size_t)n, sizeof *errs);
	int			 i;

	for (i = 0; i < n; i++)
		errs[i] = (rd_kafka_resp_err_t)code;
	rd_kafka_mock_push_request_errors_array(mc, 0 /* Produce */, (size_t)n,
	    errs);
	free(errs);
}

static void
lead(rd_kafka_mock_cluster_t *mc, int p, int broker)
{
	int	 t, i;

	for (t = 0; t < ntopics; t++)
		for (i = p < 0 ? 0 : p; i < (p < 0 ? parts : p + 1); i++)
			rd_kafka_mock_partition_set_leader(mc, topics[t], i,
			    broker);
}

static void
command(rd_kafka_mock_cluster_t *mc, char *line)
{
	char	 name[256];
	int	 n, code, p;

	if (sscanf(line, "down %d", &n) == 1)
		rd_kafka_mock_broker_set_down(mc, n);
	else if (sscanf(line, "up %d", &n) == 1)
		rd_kafka_mock_broker_set_up(mc, n);
	else if (sscanf(line, "errors %d %d", &n, &code) == 2)
		produce_errors(mc, n, code);
	else if (sscanf(line, "leader %d %d", &p, &n) == 2)
		lead(mc, p, n);
	else if (sscanf(line, "topic_error %255s %d", name, &code) == 2)
		rd_kafka_mock_topic_set_error(mc, name,
		    (rd_kafka_resp_err_t)code);
	else if (strncmp(line, "quit", 4) == 0)
		quit = 1;
	fprintf(stderr, "kafka_mock: %s", line);
}

/* Reads whole lines from stdin (non-blocking). */
static void
commands(rd_kafka_mock_cluster_t *mc, struct strbuf *in)
{
	char	 buf[512], line[512], *nl;
	ssize_t	 r;
	size_t	 used;

	while ((r = read(0, buf, sizeof buf)) > 0)
		sb_add(in, buf, (size_t)r);
	if (r == 0 && in->len == 0)
		return;
	while (in->len > 0 && (nl = memchr(in->buf, '\n', in->len)) != NULL) {
		used = (size_t)(nl - in->buf) + 1;
		snprintf(line, sizeof line, "%.*s", (int)used, in->buf);
		command(mc, line);
		memmove(in->buf, in->buf + used, in->len - used);
		in->len -= used;
	}
}

static int
features(void)
{
	rd_kafka_conf_t	*conf = rd_kafka_conf_new();
	char		 buf[1024];
	size_t		 len = sizeof buf;

	if (rd_kafka_conf_get(conf, "builtin.features", buf, &len) !=
	    RD_KAFKA_CONF_OK)
		return 2;
	printf("%s\n", buf);
	rd_kafka_conf_destroy(conf);
	return 0;
}

static void
topics_split(char *list)
{
	char	*t;

	for (t = strtok(list, ","); t != NULL && ntopics < TOPICS_MAX;
	    t = strtok(NULL, ","))
		topics[ntopics++] = t;
}

static rd_kafka_t *
consumer(rd_kafka_mock_cluster_t *mc)
{
	rd_kafka_t			*c;
	rd_kafka_topic_partition_list_t	*tp;
	int				 t, i;

	c = handle(RD_KAFKA_CONSUMER, rd_kafka_mock_cluster_bootstraps(mc));
	tp = rd_kafka_topic_partition_list_new(ntopics * parts);
	for (t = 0; t < ntopics; t++)
		for (i = 0; i < parts; i++)
			rd_kafka_topic_partition_list_add(tp, topics[t],
			    i)->offset = RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(c, tp);
	rd_kafka_topic_partition_list_destroy(tp);
	return c;
}

int
main(int argc, char **argv)
{
	rd_kafka_t			*mrk, *c;
	rd_kafka_mock_cluster_t		*mc;
	struct strbuf			 in = STRBUF_INIT, out = STRBUF_INIT;
	char				 path[4096], count[32];
	char				 deflt[] = "spire";
	unsigned long long		 n = 0;
	FILE				*f;
	int				 t;

	if (argc == 2 && strcmp(argv[1], "--features") == 0)
		return features();
	if (argc < 2) {
		fprintf(stderr, "usage: kafka_mock DIR [TOPIC[,TOPIC...] "
		    "[PARTITIONS]] | kafka_mock --features\n");
		return 2;
	}
	dir = argv[1];
	topics_split(argc > 2 ? argv[2] : deflt);
	parts = argc > 3 ? atoi(argv[3]) : 6;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	mrk = handle(RD_KAFKA_PRODUCER, NULL);
	if ((mc = rd_kafka_mock_cluster_new(mrk, 3)) == NULL) {
		fprintf(stderr, "kafka_mock: no mock cluster\n");
		return 2;
	}
	for (t = 0; t < ntopics; t++)
		if (rd_kafka_mock_topic_create(mc, topics[t], parts, 3) != 0) {
			fprintf(stderr, "kafka_mock: cannot create topic %s\n",
			    topics[t]);
			return 2;
		}
	c = consumer(mc);
	snprintf(path, sizeof path, "%s/consumed.ndjson", dir);
	if ((f = fopen(path, "a")) == NULL)
		return 2;
	write_file("bootstrap", rd_kafka_mock_cluster_bootstraps(mc));
	while (!quit) {
		rd_kafka_message_t	*m = rd_kafka_consumer_poll(c, 100);

		for (; m != NULL; m = rd_kafka_consumer_poll(c, 0)) {
			if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
				sb_reset(&out);
				put_message(&out, m);
				fwrite(out.buf, 1, out.len, f);
				n++;
			}
			rd_kafka_message_destroy(m);
		}
		fflush(f);
		snprintf(count, sizeof count, "%llu", n);
		write_file("consumed.count", count);
		commands(mc, &in);
	}
	fclose(f);
	rd_kafka_consumer_close(c);
	rd_kafka_destroy(c);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(mrk);
	sb_free(&in);
	sb_free(&out);
	return 0;
}
