/*
 * http_request.c — the head of an HTTP/1.x request (see http_request.h).
 *
 * Lines end in CRLF or a bare LF (RFC 9112 2.2 lets a recipient accept
 * LF); a bare CR, a folded header, whitespace before a header's colon,
 * two different Content-Lengths or a missing Host in HTTP/1.1 are
 * errors, because a proxy in front of us might read them otherwise.
 */
#include <string.h>
#include <strings.h>

#include "http_request.h"

struct cursor {
	const char	*p;
	const char	*end;	/* of the head, past its empty line */
};

static bool
is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

static enum http_parse
fail(struct http_request *req, int status, const char *why)
{
	req->status = status;
	req->error = why;
	return HTTP_PARSE_ERROR;
}

/* Where the head ends (past the empty line), or NULL. */
static const char *
head_end(const char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return buf + i + 2;
		if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
			return buf + i + 3;
	}
	return NULL;
}

/* The next line of c without its terminator; false on a bare CR. */
static bool
next_line(struct cursor *c, const char **line, size_t *len)
{
	const char	*nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	const char	*cr;

	if (nl == NULL)
		return false;
	*line = c->p;
	*len = (size_t)(nl - c->p);
	if (*len > 0 && nl[-1] == '\r')
		(*len)--;
	c->p = nl + 1;
	cr = memchr(*line, '\r', *len);
	return cr == NULL;
}

/* "http://host:port/path" (absolute-form) to its path. */
static void
strip_authority(const char **t, size_t *len)
{
	const char	*p = *t, *end = *t + *len;
	size_t		 skip;

	if (*len > 7 && strncasecmp(p, "http://", 7) == 0)
		skip = 7;
	else if (*len > 8 && strncasecmp(p, "https://", 8) == 0)
		skip = 8;
	else
		return;
	for (p += skip; p < end && *p != '/'; p++)
		;
	if (p == end) {
		*t = "/";
		*len = 1;
		return;
	}
	*len = (size_t)(end - p);
	*t = p;
}

static enum http_parse
parse_target(struct http_request *req, const char *t, size_t len)
{
	const char	*q;
	size_t		 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)t[i] <= 0x20 || t[i] == 0x7f)
			return fail(req, 400, "invalid character in the "
			    "request target");
	strip_authority(&t, &len);
	if (len == 0 || (t[0] != '/' && !(len == 1 && t[0] == '*')))
		return fail(req, 400, "the request target is not a path");
	req->path = t;
	req->path_len = len;
	if ((q = memchr(t, '?', len)) != NULL) {
		req->path_len = (size_t)(q - t);
		req->query = q + 1;
		req->query_len = len - req->path_len - 1;
	}
	return HTTP_PARSE_DONE;
}

static enum http_parse
parse_request_line(struct http_request *req, const char *l, size_t len)
{
	const char	*sp1, *sp2, *v;
	size_t		 i;

	if ((sp1 = memchr(l, ' ', len)) == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - l))) == NULL)
		return fail(req, 400, "malformed request line");
	req->method = l;
	req->method_len = (size_t)(sp1 - l);
	if (req->method_len == 0)
		return fail(req, 400, "no method");
	for (i = 0; i < req->method_len; i++)
		if (!is_tchar(l[i]))
			return fail(req, 400, "invalid method");
	v = sp2 + 1;
	if ((size_t)(l + len - v) != 8 || memcmp(v, "HTTP/", 5) != 0 ||
	    v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
		return fail(req, 400, "malformed HTTP version");
	if (v[5] != '1')
		return fail(req, 505, "only HTTP/1.0 and HTTP/1.1 are served");
	req->minor = v[7] - '0';
	return parse_target(req, sp1 + 1, (size_t)(sp2 - sp1 - 1));
}

static bool
name_is(const char *n, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(n, want, len) == 0;
}

/* Connection: a comma-separated list of tokens. */
static void
connection_tokens(const char *v, size_t len, bool *close, bool *keep)
{
	size_t	 i = 0, s;

	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		for (s = i; i < len && v[i] != ',' && v[i] != ' ' &&
		    v[i] != '\t'; i++)
			;
		if (name_is(v + s, i - s, "close"))
			*close = true;
		else if (name_is(v + s, i - s, "keep-alive"))
			*keep = true;
	}
}

static enum http_parse
content_length(struct http_request *req, const char *v, size_t len,
    bool *seen)
{
	unsigned long long	 n = 0;
	size_t			 i;

	if (len == 0)
		return fail(req, 400, "empty Content-Length");
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9' || n > (~0ULL - 9) / 10)
			return fail(req, 400, "invalid Content-Length");
		n = n * 10 + (unsigned)(v[i] - '0');
	}
	if (*seen && n != req->content_length)
		return fail(req, 400, "conflicting Content-Length headers");
	*seen = true;
	req->content_length = n;
	return HTTP_PARSE_DONE;
}

struct head_state {
	bool	 close;
	bool	 keep;
	bool	 have_length;
	unsigned hosts;
	unsigned headers;
};

static enum http_parse
parse_header(struct http_request *req, struct head_state *hs, const char *l,
    size_t len)
{
	const char	*colon = memchr(l, ':', len), *v, *ve;
	size_t		 nlen, i;

	if (l[0] == ' ' || l[0] == '\t')
		return fail(req, 400, "folded header lines are not accepted");
	if (++hs->headers > HTTP_HEADERS_MAX)
		return fail(req, 431, "too many header fields");
	if (colon == NULL || colon == l)
		return fail(req, 400, "malformed header field");
	nlen = (size_t)(colon - l);
	for (i = 0; i < nlen; i++)
		if (!is_tchar(l[i]))
			return fail(req, 400, "invalid header field name");
	for (v = colon + 1, ve = l + len; v < ve && (*v == ' ' || *v == '\t');
	    v++)
		;
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	if (name_is(l, nlen, "connection"))
		connection_tokens(v, (size_t)(ve - v), &hs->close, &hs->keep);
	else if (name_is(l, nlen, "content-length"))
		return content_length(req, v, (size_t)(ve - v),
		    &hs->have_length);
	else if (name_is(l, nlen, "transfer-encoding"))
		req->chunked = true;
	else if (name_is(l, nlen, "host"))
		hs->hosts++;
	return HTTP_PARSE_DONE;
}

static enum http_parse
parse_head(struct http_request *req, struct cursor *c)
{
	struct head_state	 hs;
	const char		*l;
	size_t			 len;
	enum http_parse		 r;

	memset(&hs, 0, sizeof hs);
	if (!next_line(c, &l, &len))
		return fail(req, 400, "bare CR in the request line");
	if ((r = parse_request_line(req, l, len)) != HTTP_PARSE_DONE)
		return r;
	for (;;) {
		if (!next_line(c, &l, &len))
			return fail(req, 400, "bare CR in a header field");
		if (len == 0)
			break;
		if ((r = parse_header(req, &hs, l, len)) != HTTP_PARSE_DONE)
			return r;
	}
	if (req->minor >= 1 && hs.hosts != 1)
		return fail(req, 400, "HTTP/1.1 needs exactly one Host header");
	req->keep_alive = req->minor >= 1 ? !hs.close : hs.keep && !hs.close;
	return HTTP_PARSE_DONE;
}

enum http_parse
http_request_parse(const char *buf, size_t len, size_t max_head,
    struct http_request *req)
{
	struct cursor	 c;
	const char	*start = buf, *end;
	size_t		 avail;

	memset(req, 0, sizeof *req);
	/* Empty lines before a request are ignored (RFC 9112 2.2). */
	while (start < buf + len && (*start == '\r' || *start == '\n'))
		start++;
	avail = len - (size_t)(start - buf);
	if (avail > max_head)
		avail = max_head;
	if ((end = head_end(start, avail)) == NULL) {
		if (avail < max_head)
			return HTTP_PARSE_MORE;
		if (memchr(start, '\n', avail) == NULL)
			return fail(req, 414, "request line too long");
		return fail(req, 431, "request header fields too large");
	}
	c.p = start;
	c.end = end;
	if (parse_head(req, &c) != HTTP_PARSE_DONE)
		return HTTP_PARSE_ERROR;
	req->head_len = (size_t)(end - buf);
	return HTTP_PARSE_DONE;
}

const char *
http_status_text(int status)
{
	static const struct { int code; const char *text; } texts[] = {
		{ 200, "OK" }, { 400, "Bad Request" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 408, "Request Timeout" },
		{ 413, "Content Too Large" }, { 414, "URI Too Long" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" },
		{ 503, "Service Unavailable" },
		{ 505, "HTTP Version Not Supported" },
	};
	size_t	 i;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++)
		if (texts[i].code == status)
			return texts[i].text;
	return "";
}
