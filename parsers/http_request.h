/*
 * http_request.h — the head of an HTTP/1.x request, parsed in place.
 *
 * Enough of RFC 9112 for a metrics endpoint: the request line, the
 * headers that decide framing and persistence (Connection,
 * Content-Length, Transfer-Encoding, Host), everything else skipped. The
 * parser is called again as bytes arrive and either asks for more, gives
 * the request with the length of its head, or names the status to
 * answer (400, 414, 431, 501, 505) — never reading past `len`.
 */
#ifndef PARSERS_HTTP_REQUEST_H
#define PARSERS_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEADERS_MAX	64

enum http_parse {
	HTTP_PARSE_MORE,	/* the head is not complete yet */
	HTTP_PARSE_DONE,	/* req is filled; head_len bytes are the head */
	HTTP_PARSE_ERROR,	/* answer req->status and close */
};

struct http_request {
	const char	*method;
	size_t		 method_len;
	const char	*path;		/* up to '?' */
	size_t		 path_len;
	const char	*query;		/* after '?', or NULL */
	size_t		 query_len;
	int		 minor;		/* HTTP/1.minor */
	bool		 keep_alive;	/* the connection may be reused */
	unsigned long long content_length;
	bool		 chunked;	/* any Transfer-Encoding */
	size_t		 head_len;
	int		 status;	/* HTTP_PARSE_ERROR: 400, 414, ... */
	const char	*error;		/* static text for the body */
};

/* Parses buf[0..len); heads longer than max_head are refused. */
enum http_parse http_request_parse(const char *buf, size_t len,
	    size_t max_head, struct http_request *req);

/* The reason phrase of a status code ("Not Found"), or "". */
const char *http_status_text(int status);

#endif
