/*
 * http.h — an asynchronous HTTP client on the event loop.
 *
 * libcurl's multi interface does the protocol; the loop does the
 * waiting: curl says which sockets it wants watched and when it needs a
 * timer, and the loop calls back when either fires. Nothing blocks, so
 * a slow Elasticsearch never stalls the tail. Connections are kept alive
 * in the multi handle's cache, across requests, per host.
 */
#ifndef SHIPPER_HTTP_H
#define SHIPPER_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "strbuf.h"

struct http;
struct loop;

struct http_tls {
	bool		 verify;	/* peer and host name */
	const char	*ca_file;	/* NULL: the system's CAs */
	const char	*client_cert;	/* PEM files, or NULL */
	const char	*client_key;
	const char	*client_key_pass;
};

struct http_req {
	const char	*method;	/* GET HEAD POST PUT DELETE */
	const char	*url;
	/* "Name: value" strings, NULL-terminated; NULL: none. */
	const char *const *headers;
	/* The request body; http_request takes it over (and empties it),
	 * whether or not the request starts. */
	struct strbuf	 body;
	long		 timeout_ms;	/* the whole exchange; 0: none */
	struct http_tls	 tls;
	/* Basic authentication, or else an Authorization header value
	 * ("ApiKey ..."); NULL for none. */
	const char	*user;
	const char	*password;
	const char	*authorization;
};

struct http_resp {
	long		 status;	/* 0: no response (see error) */
	const char	*body;		/* NUL-terminated */
	size_t		 len;
	const char	*error;		/* curl's message; "" on a response */
	double		 seconds;	/* the whole exchange */
};

/*
 * Called once per request from the loop, never from http_request. The
 * response is valid during the call only. It may start new requests, or
 * free the client (no other callback runs after that).
 */
typedef void (*http_done_fn)(void *arg, const struct http_resp *resp);

/* Response headers beyond this fail the request (no peer needs more). */
#define HTTP_MAX_HEADERS	(64u << 10)

/* Why a transfer was cut off by us, and the header bytes so far. */
struct http_limits {
	size_t		 header_bytes;
	char		 refused[128];	/* "" until then */
};
/* A CURLOPT_HEADERFUNCTION over a struct http_limits (the HEADERDATA):
 * past HTTP_MAX_HEADERS it fails the transfer, saying so in refused. */
size_t	http_header_cb(char *p, size_t size, size_t n, void *limits);

struct http *http_new(struct loop *l, struct err *e);
/* Cancels every request in flight: their callbacks are not called. */
void	http_free(struct http *h);

/* Starts a request: 0, or -1 with e set (done is then never called). */
int	http_request(struct http *h, struct http_req *req, http_done_fn done,
	    void *arg, struct err *e);
/* Requests in flight. */
size_t	http_pending(const struct http *h);

/* Does the URL carry user[:password]@ before its host? Such a URL would
 * put the password into every message that names the URL. */
bool	http_url_has_credentials(const char *url);
/* The URL with its user[:password]@ replaced by "***@" (malloc'd). */
char	*http_url_redacted(const char *url);

/*
 * A failed transfer in words a user can act on: curl's message (detail,
 * else its code's), and for a certificate that did not verify the CA
 * file it was checked against (NULL: the system's) and what to change.
 */
void	http_error_text(struct strbuf *out, int curlcode, const char *detail,
	    const char *ca_file);

#endif
