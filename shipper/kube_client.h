/*
 * kube_client.h — requests to the Kubernetes API server, over HTTPS with
 * libcurl.
 *
 * A kube_client is what every request shares: the API's base URL, the TLS
 * settings and the bearer token. The token is read from its file when the
 * file changes (inode, size or mtime: projected service-account tokens are
 * rotated by swapping a symlink) and after a 401, and is never logged.
 * A kube_conn is one thread's connection: an easy handle driven by its own
 * multi handle, so that another thread can wake it (kube_conn_wakeup) and
 * a watch that waits for events stops at once when the filter stops.
 */
#ifndef SHIPPER_KUBE_CLIENT_H
#define SHIPPER_KUBE_CLIENT_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include <curl/curl.h>

#include "err.h"
#include "filter_kubernetes.h"
#include "http.h"
#include "strbuf.h"

struct kube_client {
	/* Set by the owner before kube_client_init; not copied. */
	const char	*base;		/* e.g. https://10.0.0.1:443/api/v1 */
	const char	*ca_file;
	const char	*client_cert;
	const char	*client_key;
	const char	*token_file;	/* NULL: no Authorization header */
	bool		 verify_ssl;
	bool		 partial_chain;
	long		 open_timeout_ms;
	long		 read_timeout_ms;
	struct kube_metrics *metrics;
	const bool	*stop;		/* read with __atomic_load_n */

	/* The token, under mu. */
	pthread_mutex_t	 mu;
	char		*token;
	dev_t		 tok_dev;
	ino_t		 tok_ino;
	off_t		 tok_size;
	struct timespec	 tok_mtime;
	bool		 tok_known;	/* the fields above describe a read */
	bool		 tok_reread;	/* after a 401 */
	int		 tok_errno;	/* the last failure reported */
};

void	kube_client_init(struct kube_client *kc);
void	kube_client_free(struct kube_client *kc);

struct kube_conn {
	struct kube_client *kc;
	CURL		*easy;
	CURLM		*multi;
	struct strbuf	 body;		/* kube_get's answer */
	struct strbuf	 line;		/* kube_watch's partial line */
	bool		(*line_fn)(void *arg, const char *line, size_t len);
	void		*line_arg;
	bool		 line_stop;	/* line_fn said stop */
	struct http_limits lim;		/* why we cut the answer off */
	char		 errbuf[CURL_ERROR_SIZE];
};

int	kube_conn_init(struct kube_conn *c, struct kube_client *kc,
	    struct err *e);
void	kube_conn_free(struct kube_conn *c);
/* From any thread: the connection's current wait returns now. */
void	kube_conn_wakeup(struct kube_conn *c);

/*
 * GET base + path: 0 with the HTTP status and c->body (NUL-terminated)
 * once the server answered, whatever the status; -1 with e set when it
 * did not (connection, TLS, timeout, stop). After a 401 the token file is
 * read again and the request retried once.
 */
int	kube_get(struct kube_conn *c, const char *path, long *status,
	    struct err *e);
/*
 * GET base + path as a stream (watch=true): fn gets each line, NUL-
 * terminated, until the server ends the stream, fn returns false, or the
 * filter stops. 0 with the status when the server answered, -1 with e
 * set otherwise. A non-2xx body is left in c->body. The path asks for
 * timeoutSeconds=KUBE_WATCH_TIMEOUT_S; a stream still open past that and
 * open_timeout + read_timeout is cut, so that a half-open connection
 * costs a reconnect, not the watch.
 */
#define KUBE_WATCH_TIMEOUT_S	300
int	kube_watch(struct kube_conn *c, const char *path,
	    bool (*fn)(void *arg, const char *line, size_t len), void *arg,
	    long *status, struct err *e);

#endif
