/*
 * http.c — the HTTP client (see http.h) on libcurl's multi interface.
 *
 * The one idea: curl never waits. Its socket callback tells us which
 * descriptors to watch (they go into the loop), its timer callback when
 * to wake it (one loop timer), and both lead back to
 * curl_multi_socket_action; finished transfers are then collected with
 * curl_multi_info_read and their callbacks run. Each request is one easy
 * handle, freed when it finishes: connections belong to the multi
 * handle's cache, so the next request to the same host reuses them.
 */
#include <string.h>
#include <sys/epoll.h>

#include <curl/curl.h>

#include "http.h"
#include "libcurl.h"
#include "loop.h"
#include "mem.h"

/*
 * A response larger than this is refused, not buffered without end. It
 * fits the DaemonSet's memory limit, and is above the largest bulk
 * response: 20 MiB (bulk_message_request_threshold) of 100-byte
 * documents is 210000 items of about 190 bytes, 40 MiB.
 */
#define HTTP_MAX_RESPONSE	(64UL << 20)

struct http_xfer {
	struct http		*h;
	CURL			*easy;
	struct curl_slist	*headers;
	struct strbuf		 body;		/* the request's, owned */
	struct strbuf		 resp;
	struct http_limits	 lim;
	char			*ca_file;	/* for messages */
	http_done_fn		 done;
	void			*arg;
	char			 errbuf[CURL_ERROR_SIZE];
	struct http_xfer	*prev, *next;
};

struct http {
	struct loop		*loop;
	CURLM			*multi;
	struct loop_timer	*timer;
	struct http_xfer	*xfers;
	size_t			 nxfers;
	bool			 closing;	/* in http_free: no new timer */
	bool			 collecting;	/* running done callbacks */
	bool			 free_pending;	/* http_free came from one */
};

static void	http_destroy(struct http *h);

/* --- transfers ----------------------------------------------------------- */

static void
xfer_unlink(struct http *h, struct http_xfer *x)
{
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		h->xfers = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	h->nxfers--;
}

static void
xfer_free(struct http *h, struct http_xfer *x)
{
	xfer_unlink(h, x);
	curl_multi_remove_handle(h->multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	sb_free(&x->body);
	sb_free(&x->resp);
	free(x->ca_file);
	free(x);
}

static size_t
xfer_write(char *p, size_t size, size_t n, void *arg)
{
	struct http_xfer	*x = arg;

	if (x->resp.len + size * n > HTTP_MAX_RESPONSE) {
		snprintf(x->lim.refused, sizeof x->lim.refused, "response "
		    "larger than %lu MiB: refused", HTTP_MAX_RESPONSE >> 20);
		return 0;	/* curl fails the transfer */
	}
	sb_add(&x->resp, p, size * n);
	return size * n;
}

size_t
http_header_cb(char *p, size_t size, size_t n, void *limits)
{
	struct http_limits	*lim = limits;

	(void)p;
	lim->header_bytes += size * n;
	if (lim->header_bytes <= HTTP_MAX_HEADERS)
		return size * n;
	snprintf(lim->refused, sizeof lim->refused, "response headers larger "
	    "than %u KiB: refused", HTTP_MAX_HEADERS >> 10);
	return 0;	/* curl fails the transfer */
}

static void
xfer_finish(struct http *h, struct http_xfer *x, CURLcode rc)
{
	struct http_resp	 r;
	struct strbuf		 why = STRBUF_INIT;
	curl_off_t		 us = 0;

	memset(&r, 0, sizeof r);
	if (rc == CURLE_OK)
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r.status);
	curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &us);
	r.seconds = (double)us / 1e6;
	r.body = sb_cstr(&x->resp);
	r.len = x->resp.len;
	if (rc != CURLE_OK) {
		/* Our reason, when we cut it off: curl's errbuf would only
		 * say that a callback refused. */
		http_error_text(&why, rc, x->lim.refused[0] ? x->lim.refused :
		    x->errbuf, x->ca_file);
		r.error = sb_cstr(&why);
	} else
		r.error = "";
	x->done(x->arg, &r);
	sb_free(&why);
	xfer_free(h, x);
}

/* Runs the callbacks of every finished transfer. */
static void
http_collect(struct http *h)
{
	struct http_xfer	*x;
	CURLMsg			*m;
	int			 left;

	h->collecting = true;
	while (!h->free_pending &&
	    (m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		xfer_finish(h, x, m->data.result);
	}
	h->collecting = false;
	if (h->free_pending)	/* a callback freed the client */
		http_destroy(h);
}

/* --- curl's sockets and timer on the loop -------------------------------- */

static void
on_socket_ready(int fd, uint32_t events, void *arg)
{
	struct http	*h = arg;
	int		 mask = 0, running;

	if (events & EPOLLIN)
		mask |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		mask |= CURL_CSELECT_ERR;
	curl_multi_socket_action(h->multi, fd, mask, &running);
	http_collect(h);
}

static void
on_timer(void *arg)
{
	struct http	*h = arg;
	int		 running;

	h->timer = NULL;	/* one-shot: the loop frees it */
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_collect(h);
}

static uint32_t
poll_events(int what)
{
	switch (what) {
	case CURL_POLL_IN:	return EPOLLIN;
	case CURL_POLL_OUT:	return EPOLLOUT;
	default:		return EPOLLIN | EPOLLOUT;
	}
}

/*
 * curl's CURLMOPT_SOCKETFUNCTION. socketp is NULL until we registered
 * the socket with the loop; then it is the socket itself, marked.
 */
static int
socket_cb(CURL *easy, curl_socket_t s, int what, void *arg, void *socketp)
{
	struct http	*h = arg;
	struct err	 e;
	int		 rc;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (socketp != NULL)
			loop_del_fd(h->loop, s);
		return 0;
	}
	if (socketp == NULL) {
		rc = loop_add_fd(h->loop, s, poll_events(what),
		    on_socket_ready, h, &e);
		if (rc == 0)
			curl_multi_assign(h->multi, s, h);
	} else
		rc = loop_mod_fd(h->loop, s, poll_events(what), &e);
	return rc == 0 ? 0 : -1;
}

/* curl's CURLMOPT_TIMERFUNCTION: -1 deletes, else wake after ms. */
static int
timer_cb(CURLM *multi, long ms, void *arg)
{
	struct http	*h = arg;

	(void)multi;
	if (h->timer != NULL) {
		loop_del_timer(h->loop, h->timer);
		h->timer = NULL;
	}
	if (ms >= 0 && !h->closing)
		h->timer = loop_add_timer(h->loop, (uint64_t)ms, false,
		    on_timer, h);
	return 0;
}

/* --- the client ---------------------------------------------------------- */

struct http *
http_new(struct loop *l, struct err *e)
{
	struct http	*h;

	if (libcurl_load(e) != 0)
		return NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		err_set(e, "curl_global_init failed");
		return NULL;
	}
	h = xcalloc(1, sizeof *h);
	h->loop = l;
	if ((h->multi = curl_multi_init()) == NULL) {
		free(h);
		curl_global_cleanup();
		err_set(e, "curl_multi_init failed");
		return NULL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	if (h->collecting) {	/* from a done callback: when it returns */
		h->free_pending = true;
		return;
	}
	http_destroy(h);
}

static void
http_destroy(struct http *h)
{
	h->closing = true;
	while (h->xfers != NULL)
		xfer_free(h, h->xfers);
	/* Closes the cached connections; their sockets leave the loop
	 * through socket_cb. */
	curl_multi_cleanup(h->multi);
	if (h->timer != NULL)
		loop_del_timer(h->loop, h->timer);
	free(h);
	curl_global_cleanup();
}

size_t
http_pending(const struct http *h)
{
	return h->nxfers;
}

static void
set_method(CURL *c, const char *method, const struct strbuf *body)
{
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0 || body->len > 0) {
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->len ?
		    body->buf : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)body->len);
	}
}

static void
set_tls(CURL *c, const struct http_tls *t)
{
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, t->verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, t->verify ? 2L : 0L);
	if (t->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, t->ca_file);
	if (t->client_cert != NULL)
		curl_easy_setopt(c, CURLOPT_SSLCERT, t->client_cert);
	if (t->client_key != NULL)
		curl_easy_setopt(c, CURLOPT_SSLKEY, t->client_key);
	if (t->client_key_pass != NULL)
		curl_easy_setopt(c, CURLOPT_KEYPASSWD, t->client_key_pass);
}

static struct curl_slist *
build_headers(const struct http_req *req)
{
	struct curl_slist	*l = NULL;
	struct strbuf		 sb = STRBUF_INIT;
	size_t			 i;

	/* No "Expect: 100-continue" round trip before large bodies. */
	l = curl_slist_append(l, "Expect:");
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
		l = curl_slist_append(l, req->headers[i]);
	if (req->user == NULL && req->authorization != NULL) {
		sb_addf(&sb, "Authorization: %s", req->authorization);
		l = curl_slist_append(l, sb_cstr(&sb));
		sb_free(&sb);
	}
	return l;
}

static void
set_auth(CURL *c, const struct http_req *req)
{
	if (req->user == NULL)
		return;
	curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(c, CURLOPT_USERNAME, req->user);
	curl_easy_setopt(c, CURLOPT_PASSWORD,
	    req->password != NULL ? req->password : "");
}

static void
xfer_setup(struct http_xfer *x, const struct http_req *req)
{
	CURL	*c = x->easy;

	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_PRIVATE, x);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, xfer_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x->lim);
	/* A Content-Length over the limit fails before the body is read. */
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)HTTP_MAX_RESPONSE);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (req->timeout_ms > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	set_method(c, req->method, &x->body);
	set_tls(c, &req->tls);
	if (req->tls.ca_file != NULL)
		x->ca_file = xstrdup(req->tls.ca_file);
	set_auth(c, req);
	x->headers = build_headers(req);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->headers);
}

int
http_request(struct http *h, struct http_req *req, http_done_fn done,
    void *arg, struct err *e)
{
	struct http_xfer	*x = xcalloc(1, sizeof *x);
	CURLMcode		 mc;

	x->h = h;
	x->done = done;
	x->arg = arg;
	x->body = req->body;
	memset(&req->body, 0, sizeof req->body);
	if ((x->easy = curl_easy_init()) == NULL) {
		sb_free(&x->body);
		free(x);
		return err_set(e, "curl_easy_init failed");
	}
	xfer_setup(x, req);
	x->next = h->xfers;
	if (h->xfers != NULL)
		h->xfers->prev = x;
	h->xfers = x;
	h->nxfers++;
	if ((mc = curl_multi_add_handle(h->multi, x->easy)) != CURLM_OK) {
		xfer_free(h, x);
		return err_set(e, "%s %s: %s", req->method, req->url,
		    curl_multi_strerror(mc));
	}
	return 0;
}

/* Where the URL's user[:password]@ is: [*start, '@'), or NULL. */
static const char *
url_userinfo(const char *url, const char **start)
{
	const char	*sep = strstr(url, "://"), *host, *end, *at;

	host = sep != NULL ? sep + 3 : url;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	*start = host;
	return at;
}

bool
http_url_has_credentials(const char *url)
{
	const char	*start;

	return url_userinfo(url, &start) != NULL;
}

char *
http_url_redacted(const char *url)
{
	const char	*start, *at = url_userinfo(url, &start);

	if (at == NULL)
		return xstrdup(url);
	return xasprintf("%.*s***%s", (int)(start - url), url, at);
}

/*
 * curl's own words say what failed in TLS, not where the trust came from
 * nor what to change: a wrong CA must be fixable from the message alone.
 */
void
http_error_text(struct strbuf *out, int curlcode, const char *detail,
    const char *ca_file)
{
	const char	*msg = detail != NULL && detail[0] != '\0' ? detail :
			    curl_easy_strerror((CURLcode)curlcode);
	const char	*trust = ca_file != NULL ? ca_file :
			    "the system's CA certificates (no ca_file)";

	switch (curlcode) {
	case CURLE_PEER_FAILED_VERIFICATION:
		if (strstr(msg, "subject name") != NULL ||
		    strstr(msg, "host name") != NULL) {
			sb_addf(out, "TLS: the server's certificate is not "
			    "for this host name (%s): connect by a name the "
			    "certificate has, or have it reissued for this "
			    "one", msg);
			return;
		}
		sb_addf(out, "TLS: the server's certificate could not be "
		    "verified with %s%s (%s): set ca_file to the CA "
		    "certificate that signed the server's certificate",
		    ca_file != NULL ? "ca_file " : "", trust, msg);
		return;
	case CURLE_SSL_CACERT_BADFILE:
		sb_addf(out, "TLS: ca_file %s cannot be read or holds no CA "
		    "certificate (%s): give a readable PEM file", trust, msg);
		return;
	case CURLE_SSL_CERTPROBLEM:
		sb_addf(out, "TLS: client_cert or client_key cannot be used "
		    "(%s)", msg);
		return;
	case CURLE_SSL_CONNECT_ERROR:
		sb_addf(out, "TLS handshake failed (%s): check that the "
		    "server speaks TLS on that port, and whether it wants a "
		    "client certificate (client_cert, client_key)", msg);
		return;
	case CURLE_FILESIZE_EXCEEDED:
		sb_addf(out, "response larger than %lu MiB: refused",
		    HTTP_MAX_RESPONSE >> 20);
		return;
	}
	sb_adds(out, msg);
}
