/*
 * kafka_mock.c — the Kafka peer of the integration tests: librdkafka's
 * mock cluster (the real protocol on loopback TCP), and a consumer that
 * writes everything produced to it to a file.
 *
 *   kafka_mock DIR [TOPIC [PARTITIONS]]
 *
 * writes DIR/bootstrap (the bootstrap servers, once listening) and
 * appends one JSON line per consumed message to DIR/consumed.ndjson:
 *   {"partition":0,"offset":7,"key":"...","headers":{"h":"v"},"value":"..."}
 * (key null when there is none; the value as a JSON string). Commands
 * on stdin, one per line:
 *   down N | up N     broker N (1..3) stops or starts answering
 *   errors N CODE     the next N produce requests answered with CODE
 *   leader P N        broker N leads partition P (-1: every partition):
 *                     the failover a real cluster makes when a broker
 *                     dies, which the mock does not make by itself
 *   quit
 * and DIR/consumed.count holds the count after every poll.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "jsonenc.h"
#include "strbuf.h"

static volatile sig_atomic_t quit;
static const char	*topic;
static int		 parts;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
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
		rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
	}
	if ((rk = rd_kafka_new(type, conf, err, sizeof err)) == NULL) {
		fprintf(stderr, "kafka_mock: %s\n", err);
		exit(2);
	}
	return rk;
}

static void
write_file(const char *dir, const char *name, const char *text)
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

	sb_addf(sb, "{\"partition\":%d,\"offset\":%lld,\"key\":",
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
command(rd_kafka_mock_cluster_t *mc, char *line)
{
	int	 n, code, p, i;

	if (sscanf(line, "down %d", &n) == 1)
		rd_kafka_mock_broker_set_down(mc, n);
	else if (sscanf(line, "up %d", &n) == 1)
		rd_kafka_mock_broker_set_up(mc, n);
	else if (sscanf(line, "errors %d %d", &n, &code) == 2) {
		rd_kafka_resp_err_t	*errs = calloc((size_t)n, sizeof *errs);

		for (i = 0; i < n; i++)
			errs[i] = (rd_kafka_resp_err_t)code;
		rd_kafka_mock_push_request_errors_array(mc, 0 /* Produce */,
		    (size_t)n, errs);
		free(errs);
	} else if (sscanf(line, "leader %d %d", &p, &n) == 2)
		for (i = p < 0 ? 0 : p; i < (p < 0 ? parts : p + 1); i++)
			rd_kafka_mock_partition_set_leader(mc, topic, i, n);
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

int
main(int argc, char **argv)
{
	const char			*dir;
	rd_kafka_t			*mrk, *c;
	rd_kafka_mock_cluster_t		*mc;
	rd_kafka_topic_partition_list_t	*tp;
	struct strbuf			 in = STRBUF_INIT, out = STRBUF_INIT;
	char				 path[4096], count[32];
	unsigned long long		 n = 0;
	FILE				*f;
	int				 i;

	if (argc < 2) {
		fprintf(stderr, "usage: kafka_mock DIR [TOPIC [PARTITIONS]]\n");
		return 2;
	}
	dir = argv[1];
	topic = argc > 2 ? argv[2] : "spire";
	parts = argc > 3 ? atoi(argv[3]) : 6;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	mrk = handle(RD_KAFKA_PRODUCER, NULL);
	if ((mc = rd_kafka_mock_cluster_new(mrk, 3)) == NULL ||
	    rd_kafka_mock_topic_create(mc, topic, parts, 3) != 0) {
		fprintf(stderr, "kafka_mock: no mock cluster\n");
		return 2;
	}
	c = handle(RD_KAFKA_CONSUMER, rd_kafka_mock_cluster_bootstraps(mc));
	tp = rd_kafka_topic_partition_list_new(parts);
	for (i = 0; i < parts; i++)
		rd_kafka_topic_partition_list_add(tp, topic, i)->offset =
		    RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(c, tp);
	rd_kafka_topic_partition_list_destroy(tp);
	snprintf(path, sizeof path, "%s/consumed.ndjson", dir);
	if ((f = fopen(path, "a")) == NULL)
		return 2;
	write_file(dir, "bootstrap", rd_kafka_mock_cluster_bootstraps(mc));
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
		write_file(dir, "consumed.count", count);
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
