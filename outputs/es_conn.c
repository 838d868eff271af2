/*
 * es_conn.c — where the Elasticsearch output's requests go (see es.h).
 *
 * `hosts` (host:port or URLs, comma separated) or else host, port and
 * scheme name the nodes. Requests take them in turn; a node that did not
 * answer, or answered 5xx, is skipped for resurrect_after, unless every
 * node is in that state: then the one that failed first is tried again,
 * so the output never stops trying. Credentials never go into URLs or
 * messages: user/password or api_key are set on each request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es.h"
#include "http.h"
#include "mem.h"

static const char *const scheme_names[] = { "http", "https" };

/* "/a/b/" -> "/a/b"; "" and "/" -> "". Returns a malloc'd string. */
static char *
path_clean(const char *p)
{
	size_t	 n;

	if (p == NULL)
		return xstrdup("");
	while (*p == '/')
		p++;
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	return n ? xasprintf("/%.*s", (int)n, p) : xstrdup("");
}

/* A bare IPv6 address gets the brackets a URL needs. */
static char *
host_part(const char *h, size_t n)
{
	if (h[0] != '[' && memchr(h, ':', n) != NULL)
		return xasprintf("[%.*s]", (int)n, h);
	return xstrndup(h, n);
}

static void
host_set(struct es_host *h, const char *scheme, char *host, long long port,
    const char *path)
{
	char	*p = path_clean(path);

	h->label = xasprintf("%s:%lld", host, port);
	h->base = xasprintf("%s://%s%s", scheme, h->label, p);
	free(p);
	free(host);
}

/* "scheme://host[:port][/path]" */
static int
host_from_url(struct es_host *h, const struct es_cfg *cfg, const char *s,
    const char *what, struct err *e)
{
	const char	*sep = strstr(s, "://"), *hs = sep + 3, *end, *colon;
	char		*scheme = xstrndup(s, (size_t)(sep - s));
	long long	 port = -1;

	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		err_set(e, "%s: scheme '%s' is neither http nor https", what,
		    scheme);
		free(scheme);
		return -1;
	}
	end = hs + strcspn(hs, "/");
	colon = hs[0] == '[' ? memchr(hs, ']', (size_t)(end - hs)) : hs;
	colon = colon ? memchr(colon, ':', (size_t)(end - colon)) : NULL;
	if (colon != NULL)
		port = atoll(colon + 1);
	else
		port = strcmp(scheme, "https") == 0 ? 443 : 80;
	if (port <= 0 || port > 65535 || end == hs) {
		free(scheme);
		return err_set(e, "%s: no host or a bad port", what);
	}
	host_set(h, scheme, xstrndup(hs, (size_t)((colon ? colon : end) - hs)),
	    port, *end ? end : cfg->path);
	free(scheme);
	return 0;
}

/* "host", "host:port", "[v6]:port" or a bare v6 address. */
static int
host_from_pair(struct es_host *h, const struct es_cfg *cfg, const char *s,
    const char *what, struct err *e)
{
	const char	*close = s[0] == '[' ? strchr(s, ']') : NULL;
	const char	*colon = close ? strchr(close, ':') : strchr(s, ':');
	long long	 port = cfg->port;
	char		*end;

	if (colon != NULL && close == NULL && strchr(colon + 1, ':') != NULL)
		colon = NULL;		/* a bare IPv6 address */
	if (colon != NULL) {
		port = strtoll(colon + 1, &end, 10);
		if (*end != '\0')
			port = -1;
	}
	if (port <= 0 || port > 65535 || s[0] == '\0' || colon == s)
		return err_set(e, "%s: no host or a bad port", what);
	host_set(h, scheme_names[cfg->scheme], host_part(s, colon ?
	    (size_t)(colon - s) : strlen(s)), port, cfg->path);
	return 0;
}

static int
hosts_parse(struct es_conn *c, const struct es_cfg *cfg, struct err *e)
{
	char	**v = conf_parse_array(cfg->hosts, e);
	char	 what[300];
	size_t	 i;
	int	 rc = 0;

	if (v == NULL)
		return -1;
	c->nhosts = conf_strv_len(v);
	c->hosts = xcalloc(c->nhosts ? c->nhosts : 1, sizeof *c->hosts);
	for (i = 0; i < c->nhosts && rc == 0; i++) {
		snprintf(what, sizeof what, "hosts '%s'", v[i]);
		if (http_url_has_credentials(v[i])) {
			char	*shown = http_url_redacted(v[i]);

			rc = err_set(e, "hosts '%s': credentials in a URL are "
			    "not accepted (they would end up in logs); use "
			    "user and password, or api_key", shown);
			free(shown);
		} else if (strstr(v[i], "://") != NULL)
			rc = host_from_url(&c->hosts[i], cfg, v[i], what, e);
		else
			rc = host_from_pair(&c->hosts[i], cfg, v[i], what, e);
	}
	conf_strv_free(v);
	if (rc == 0 && c->nhosts == 0)
		return err_set(e, "hosts: no host given");
	return rc;
}

static char **
headers_for(const struct es_cfg *cfg, const char *content_type,
    const char *encoding)
{
	size_t	 n = cfg->custom_headers ?
	    conf_strv_len(cfg->custom_headers) / 2 : 0, i, k = 0;
	char	**v = xcalloc(n + 3, sizeof *v);

	v[k++] = xasprintf("Content-Type: %s", content_type);
	if (encoding != NULL)
		v[k++] = xasprintf("Content-Encoding: %s", encoding);
	for (i = 0; i < n; i++)
		v[k++] = xasprintf("%s: %s", cfg->custom_headers[2 * i],
		    cfg->custom_headers[2 * i + 1]);
	return v;
}

int
es_conn_init(struct es_conn *c, const struct es_cfg *cfg,
    const struct conf_elem *el, struct err *e)
{
	char	 why[ERR_MAX];
	int	 rc;

	memset(c, 0, sizeof *c);
	c->cfg = cfg;
	c->resurrect_ms = (uint64_t)(cfg->resurrect_after * 1000);
	if (cfg->user != NULL && cfg->password == NULL)
		return param_err_at(e, el, "user", "user '%s' needs a password",
		    cfg->user);
	if (cfg->api_key != NULL)
		c->authorization = xasprintf("ApiKey %s", cfg->api_key);
	c->headers[ES_BODY_JSON] = headers_for(cfg, "application/json", NULL);
	c->headers[ES_BODY_BULK] = headers_for(cfg, "application/x-ndjson",
	    cfg->compression_level != ES_NO_COMPRESSION ? "gzip" : NULL);
	if (cfg->hosts != NULL)
		rc = hosts_parse(c, cfg, e);
	else {
		c->nhosts = 1;
		c->hosts = xcalloc(1, sizeof *c->hosts);
		rc = host_from_pair(&c->hosts[0], cfg, cfg->host, "host", e);
	}
	if (rc != 0) {
		memcpy(why, e->msg, sizeof why);
		return param_err_at(e, el, cfg->hosts ? "hosts" : "host", "%s",
		    why);
	}
	return 0;
}

void
es_conn_free(struct es_conn *c)
{
	size_t	 i;

	for (i = 0; i < c->nhosts; i++) {
		free(c->hosts[i].base);
		free(c->hosts[i].label);
	}
	free(c->hosts);
	conf_strv_free(c->headers[ES_BODY_JSON]);
	conf_strv_free(c->headers[ES_BODY_BULK]);
	free(c->authorization);
	memset(c, 0, sizeof *c);
}

struct es_host *
es_conn_pick(struct es_conn *c, uint64_t now)
{
	size_t	 k, i, best = 0;

	for (k = 0; k < c->nhosts; k++) {
		i = (c->next + k) % c->nhosts;
		if (c->hosts[i].dead_until <= now) {
			c->hosts[i].dead_until = 0;
			c->next = i + 1;
			return &c->hosts[i];
		}
		if (c->hosts[i].dead_until < c->hosts[best].dead_until)
			best = i;
	}
	c->next = best + 1;
	return &c->hosts[best];
}

void
es_conn_failed(struct es_conn *c, struct es_host *h, uint64_t now)
{
	h->dead_until = now + (c->resurrect_ms ? c->resurrect_ms : 1);
}

const char *
es_conn_failure(struct es_conn *c, struct es_host *h, long status,
    uint64_t now)
{
	if (status == 401)
		return " (check user and password, or api_key: Elasticsearch "
		    "did not accept them)";
	if (status == 403)
		return " (the credentials were accepted, but lack a privilege: "
		    "index and create_index on the indices written; "
		    "manage_index_templates and manage_ilm for the template "
		    "and the ILM policy)";
	if (status != 0 && status < 500)
		return "";
	es_conn_failed(c, h, now);
	return c->nhosts > 1 ? " (the next attempt goes to another host)" : "";
}

void
es_conn_answered(struct es_conn *c, long status, const char *why)
{
	if (status == 401 || status == 403)
		snprintf(c->refused, sizeof c->refused, "%s", why);
	else if (status > 0 && status < 500)
		c->refused[0] = '\0';
}

void
es_conn_request(const struct es_conn *c, struct http_req *rq,
    const char *method, const char *url, enum es_body kind)
{
	const struct es_cfg	*cfg = c->cfg;

	memset(rq, 0, sizeof *rq);
	rq->method = method;
	rq->url = url;
	rq->headers = (const char *const *)c->headers[kind];
	rq->timeout_ms = (long)(cfg->request_timeout * 1000);
	rq->tls.verify = cfg->ssl_verify;
	rq->tls.ca_file = cfg->ca_file;
	rq->tls.client_cert = cfg->client_cert;
	rq->tls.client_key = cfg->client_key;
	rq->tls.client_key_pass = cfg->client_key_pass;
	rq->user = cfg->user;
	rq->password = cfg->password;
	rq->authorization = c->authorization;
}

char *
es_url(const struct es_host *h, const char *rel)
{
	return xasprintf("%s/%s", h->base, rel);
}
