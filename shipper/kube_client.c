/*
 * kube_client.c — HTTPS requests to the API server (see kube_client.h).
 *
 * Every request counts once in the metrics by the class of its answer,
 * and takes its Authorization header from a token checked against its
 * file first: a stat per request, not per record.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autoconfig.h"
#include "http.h"
#include "kube_client.h"
#include "log.h"
#include "mem.h"

#define KUBE_BODY_MAX	(64u << 20)	/* a list of every pod of a node */
#define KUBE_LINE_MAX	(16u << 20)	/* one watch event */
#define KUBE_TOKEN_MAX	65536

static const char *const req_class_names[KUBE_REQ_NCLASSES] = {
	"ok", "unauthorized", "forbidden", "not_found", "gone",
	"client_error", "server_error", "failed",
};

const char *
kube_req_class_name(enum kube_req_class c)
{
	return c < KUBE_REQ_NCLASSES ? req_class_names[c] : "?";
}

enum kube_req_class
kube_req_class_of(long status)
{
	if (status >= 200 && status < 300)
		return KUBE_REQ_OK;
	switch (status) {
	case 401:	return KUBE_REQ_UNAUTHORIZED;
	case 403:	return KUBE_REQ_FORBIDDEN;
	case 404:	return KUBE_REQ_NOT_FOUND;
	case 410:	return KUBE_REQ_GONE;
	}
	if (status >= 400 && status < 500)
		return KUBE_REQ_CLIENT_ERROR;
	if (status >= 500 && status < 600)
		return KUBE_REQ_SERVER_ERROR;
	return KUBE_REQ_FAILED;
}

void
kube_client_init(struct kube_client *kc)
{
	pthread_mutex_init(&kc->mu, NULL);
	kc->token = NULL;
	kc->tok_known = kc->tok_reread = false;
	kc->tok_errno = 0;
}

static void
token_forget(struct kube_client *kc)
{
	if (kc->token != NULL) {
		explicit_bzero(kc->token, strlen(kc->token));
		free(kc->token);
		kc->token = NULL;
	}
}

void
kube_client_free(struct kube_client *kc)
{
	token_forget(kc);
	pthread_mutex_destroy(&kc->mu);
}

/* --- the token ----------------------------------------------------------- */

static void
token_problem(struct kube_client *kc, int err, const char *what)
{
	if (err == kc->tok_errno)
		return;		/* said already */
	kc->tok_errno = err;
	log_error("kubernetes_metadata: bearer_token_file %s: %s: %s; "
	    "requests use the last token read (if any) until the file can "
	    "be read", kc->token_file, what, strerror(err));
}

/* The file's token, trailing white space removed; NULL with errno. */
static char *
token_read(const char *path)
{
	char	*buf = xmalloc(KUBE_TOKEN_MAX + 1);
	ssize_t	 n;
	size_t	 len = 0;
	int	 fd = open(path, O_RDONLY | O_CLOEXEC), saved;

	if (fd < 0) {
		free(buf);
		return NULL;
	}
	while (len < KUBE_TOKEN_MAX && (n = read(fd, buf + len,
	    KUBE_TOKEN_MAX - len)) > 0)
		len += (size_t)n;
	saved = errno;
	close(fd);
	if (n < 0) {
		explicit_bzero(buf, len);
		free(buf);
		errno = saved;
		return NULL;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	    buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	return buf;
}

static bool
token_file_changed(const struct kube_client *kc, const struct stat *st)
{
	return !kc->tok_known || kc->tok_reread || st->st_dev != kc->tok_dev ||
	    st->st_ino != kc->tok_ino || st->st_size != kc->tok_size ||
	    st->st_mtim.tv_sec != kc->tok_mtime.tv_sec ||
	    st->st_mtim.tv_nsec != kc->tok_mtime.tv_nsec;
}

/* Reads the token again if its file changed; under mu. True if it did. */
static bool
token_refresh(struct kube_client *kc)
{
	struct stat	 st;
	char		*t;
	bool		 changed;

	if (kc->token_file == NULL)
		return false;
	if (stat(kc->token_file, &st) != 0) {
		token_problem(kc, errno, "cannot stat it");
		return false;
	}
	if (!token_file_changed(kc, &st))
		return false;
	if ((t = token_read(kc->token_file)) == NULL) {
		token_problem(kc, errno, "cannot read it");
		return false;
	}
	changed = kc->token == NULL || strcmp(t, kc->token) != 0;
	token_forget(kc);
	kc->token = t;
	kc->tok_dev = st.st_dev;
	kc->tok_ino = st.st_ino;
	kc->tok_size = st.st_size;
	kc->tok_mtime = st.st_mtim;
	kc->tok_known = true;
	kc->tok_reread = false;
	kc->tok_errno = 0;
	KUBE_COUNT(&kc->metrics->token_reloads);
	return changed;
}

/* After a 401: is there a different token to try? */
static bool
token_after_401(struct kube_client *kc)
{
	bool	 changed;

	pthread_mutex_lock(&kc->mu);
	kc->tok_reread = true;
	changed = token_refresh(kc);
	pthread_mutex_unlock(&kc->mu);
	return changed;
}

static struct curl_slist *
request_headers(struct kube_client *kc)
{
	struct curl_slist	*h = curl_slist_append(NULL,
				    "Accept: application/json");
	char			*auth = NULL;

	pthread_mutex_lock(&kc->mu);
	token_refresh(kc);
	if (kc->token != NULL && kc->token[0] != '\0')
		auth = xasprintf("Authorization: Bearer %s", kc->token);
	pthread_mutex_unlock(&kc->mu);
	if (auth != NULL) {
		h = curl_slist_append(h, auth);
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	return h;
}

/* --- connections --------------------------------------------------------- */

static bool
answer_ok(struct kube_conn *c)
{
	long	 status = 0;

	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	return status >= 200 && status < 300;
}

/* One watch event per line; a line may arrive in pieces. */
static bool
stream_data(struct kube_conn *c, const char *p, size_t n)
{
	const char	*nl;

	while (n > 0) {
		size_t	 take;

		nl = memchr(p, '\n', n);
		take = nl ? (size_t)(nl - p) : n;
		if (c->line.len + take > KUBE_LINE_MAX) {
			snprintf(c->lim.refused, sizeof c->lim.refused,
			    "a watch event larger than %u MiB: refused",
			    KUBE_LINE_MAX >> 20);
			return false;
		}
		sb_add(&c->line, p, take);
		if (nl == NULL)
			return true;
		if (c->line.len > 0 && !c->line_fn(c->line_arg,
		    sb_cstr(&c->line), c->line.len)) {
			c->line_stop = true;
			return false;
		}
		sb_reset(&c->line);
		p = nl + 1;
		n -= take + 1;
	}
	return true;
}

static size_t
on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct kube_conn	*c = arg;
	size_t			 n = size * nmemb;

	if (c->line_fn != NULL && answer_ok(c))
		return stream_data(c, p, n) ? n : 0;
	if (c->body.len + n > KUBE_BODY_MAX) {
		snprintf(c->lim.refused, sizeof c->lim.refused, "an answer "
		    "larger than %u MiB: refused", KUBE_BODY_MAX >> 20);
		return 0;
	}
	sb_add(&c->body, p, n);
	return n;
}

int
kube_conn_init(struct kube_conn *c, struct kube_client *kc, struct err *e)
{
	struct kube_client	*k = kc;

	memset(c, 0, sizeof *c);
	c->kc = kc;
	if ((c->easy = curl_easy_init()) == NULL ||
	    (c->multi = curl_multi_init()) == NULL) {
		kube_conn_free(c);
		return err_set(e, "kubernetes_metadata: libcurl cannot make a "
		    "handle (out of memory?)");
	}
	curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->easy, CURLOPT_USERAGENT, "spire-shipper/"
	    PACKAGE_VERSION);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->easy, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(c->easy, CURLOPT_HEADERDATA, &c->lim);
	curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT_MS, k->open_timeout_ms);
	curl_easy_setopt(c->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c->easy, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(c->easy, CURLOPT_TCP_KEEPINTVL, 10L);
	curl_easy_setopt(c->easy, CURLOPT_SSL_VERIFYPEER, k->verify_ssl ? 1L :
	    0L);
	curl_easy_setopt(c->easy, CURLOPT_SSL_VERIFYHOST, k->verify_ssl ? 2L :
	    0L);
	if (!k->partial_chain)
		curl_easy_setopt(c->easy, CURLOPT_SSL_OPTIONS,
		    (long)CURLSSLOPT_NO_PARTIALCHAIN);
	if (k->ca_file != NULL)
		curl_easy_setopt(c->easy, CURLOPT_CAINFO, k->ca_file);
	if (k->client_cert != NULL)
		curl_easy_setopt(c->easy, CURLOPT_SSLCERT, k->client_cert);
	if (k->client_key != NULL)
		curl_easy_setopt(c->easy, CURLOPT_SSLKEY, k->client_key);
	return 0;
}

void
kube_conn_free(struct kube_conn *c)
{
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	sb_free(&c->body);
	sb_free(&c->line);
	memset(c, 0, sizeof *c);
}

void
kube_conn_wakeup(struct kube_conn *c)
{
	if (c->multi != NULL)
		curl_multi_wakeup(c->multi);
}

static bool
stopping(const struct kube_conn *c)
{
	return c->kc->stop != NULL && __atomic_load_n(c->kc->stop,
	    __ATOMIC_ACQUIRE);
}

/* Runs the transfer; a stop (kube_conn_wakeup) ends the wait at once. */
static CURLcode
perform(struct kube_conn *c)
{
	CURLcode	 rc = CURLE_OK;
	CURLMsg		*m;
	int		 running = 1, left;

	curl_multi_add_handle(c->multi, c->easy);
	while (running) {
		if (stopping(c)) {
			rc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		if (curl_multi_perform(c->multi, &running) != CURLM_OK) {
			rc = CURLE_OUT_OF_MEMORY;
			break;
		}
		if (running && curl_multi_poll(c->multi, NULL, 0, 1000,
		    NULL) != CURLM_OK) {
			rc = CURLE_OUT_OF_MEMORY;
			break;
		}
	}
	while (!running && (m = curl_multi_info_read(c->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE)
			rc = m->data.result;
	curl_multi_remove_handle(c->multi, c->easy);
	return rc;
}

static int
request(struct kube_conn *c, const char *path, bool stream, long *status,
    struct err *e)
{
	struct kube_client	*kc = c->kc;
	char			*url = xasprintf("%s%s", kc->base, path);
	struct curl_slist	*h = request_headers(kc);
	CURLcode		 rc;
	bool			 answered;

	sb_reset(&c->body);
	sb_reset(&c->line);
	c->line_stop = false;
	memset(&c->lim, 0, sizeof c->lim);
	c->errbuf[0] = '\0';
	curl_easy_setopt(c->easy, CURLOPT_URL, url);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, (stream ?
	    KUBE_WATCH_TIMEOUT_S * 1000L : 0L) + kc->open_timeout_ms +
	    kc->read_timeout_ms);
	rc = perform(c);
	*status = 0;
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, status);
	answered = rc == CURLE_OK || (rc == CURLE_WRITE_ERROR &&
	    c->line_stop);
	if (rc != CURLE_ABORTED_BY_CALLBACK)	/* not ours to stop */
		KUBE_COUNT(&kc->metrics->requests[answered ?
		    kube_req_class_of(*status) : KUBE_REQ_FAILED]);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	if (!answered) {
		struct strbuf	 why = STRBUF_INIT;

		if (rc == CURLE_ABORTED_BY_CALLBACK)
			sb_adds(&why, "stopped");
		else
			http_error_text(&why, rc, c->lim.refused[0] ?
			    c->lim.refused : c->errbuf, kc->ca_file);
		err_set(e, "GET %s: %s", url, sb_cstr(&why));
		sb_free(&why);
		*status = 0;
	}
	free(url);
	sb_cstr(&c->body);
	return answered ? 0 : -1;
}

int
kube_get(struct kube_conn *c, const char *path, long *status, struct err *e)
{
	int	 rc;

	c->line_fn = NULL;
	rc = request(c, path, false, status, e);
	if (rc == 0 && *status == 401 && token_after_401(c->kc))
		rc = request(c, path, false, status, e);
	return rc;
}

int
kube_watch(struct kube_conn *c, const char *path,
    bool (*fn)(void *arg, const char *line, size_t len), void *arg,
    long *status, struct err *e)
{
	int	 rc;

	c->line_fn = fn;
	c->line_arg = arg;
	rc = request(c, path, true, status, e);
	if (rc == 0 && *status == 401)
		token_after_401(c->kc);
	c->line_fn = NULL;
	return rc;
}
