/*
 * es_template.c — the ILM policy and the index template, installed
 * before the first bulk request (see es.h).
 *
 * An index created by a bulk request takes its mappings from the
 * templates installed at that moment; a document indexed before the
 * template is there fixes dynamic mappings for the whole index (a day,
 * with daily indices). So the output's sends wait (and the buffer keeps
 * the data) until the steps below have all succeeded, each retried with
 * backoff:
 *
 *   GET  _ilm/policy/<id>          (unless ilm_policy_overwrite)
 *   PUT  _ilm/policy/<id>          (if it was missing)
 *   GET  _index_template/<name>    (or _template/<name>: legacy;
 *   PUT  _index_template/<name>     unless template_overwrite)
 *
 * Then, without holding anything up, GET _index_template and _template:
 * when no installed index_patterns covers the index this output writes
 * (`index_name spire-logs` against `spire-logs-*`), one warning says so.
 *
 * A step that failed runs again at its own backoff, or sooner when a
 * chunk is sent: the buffer's retries then pace it, so a fixed cause (a
 * password, a privilege) is found at the buffer's next attempt, and the
 * failure reaches the buffer, which reports it once per retry interval.
 * This file reports it only when no chunk was waiting for the step.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_tree.h>

#include "es.h"
#include "fsutil.h"
#include "json_tree.h"
#include "log.h"
#include "loop.h"
#include "mem.h"

#define TPL_FILE_MAX	(4UL * 1024 * 1024)
#define TPL_RETRY_MS	1000		/* doubled per failure ... */
#define TPL_RETRY_MAX_MS 30000		/* ... up to this */

/* --- pure helpers -------------------------------------------------------- */

static bool
glob_match(const char *p, const char *s)
{
	const char	*star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == *s) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star + 1;
			s = ++resume;
		} else
			return false;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

bool
es_patterns_cover(char *const *patterns, size_t n, const char *index)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (glob_match(patterns[i], index))
			return true;
	return false;
}

static void
patterns_add(char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof **v);
	(*v)[(*n)++] = xstrdup(s);
	(*v)[*n] = NULL;
}

/* index_patterns' value: a string or an array of them. */
static void
patterns_of(yajl_val x, char ***out, size_t *n)
{
	size_t	 j;

	if (YAJL_IS_STRING(x))
		patterns_add(out, n, YAJL_GET_STRING(x));
	for (j = 0; YAJL_IS_ARRAY(x) && j < x->u.array.len; j++)
		if (YAJL_IS_STRING(x->u.array.values[j]))
			patterns_add(out, n,
			    YAJL_GET_STRING(x->u.array.values[j]));
}

/* Every string under an "index_patterns" key, at any depth. */
static void
patterns_walk(yajl_val v, char ***out, size_t *n)
{
	size_t	 i;

	if (YAJL_IS_ARRAY(v))
		for (i = 0; i < v->u.array.len; i++)
			patterns_walk(v->u.array.values[i], out, n);
	if (!YAJL_IS_OBJECT(v))
		return;
	for (i = 0; i < v->u.object.len; i++) {
		if (strcmp(v->u.object.keys[i], "index_patterns") == 0)
			patterns_of(v->u.object.values[i], out, n);
		else
			patterns_walk(v->u.object.values[i], out, n);
	}
}

void
es_patterns_collect(const char *json, size_t len, char ***v, size_t *n)
{
	char		*copy = xstrndup(json, len);
	yajl_val	 top = json_tree_parse(copy, ES_JSON_DEPTH_MAX, NULL, 0);

	if (top != NULL)
		patterns_walk(top, v, n);
	yajl_tree_free(top);
	free(copy);
}

/*
 * Composable templates (ES 7.8+) put settings and mappings under a
 * "template" object and may have priority, composed_of, data_stream;
 * legacy ones have them at the top. Both have index_patterns on top.
 */
int
es_template_parse(const char *json, size_t len, bool *composable,
    char ***patterns, char *errmsg, size_t errsize)
{
	static const char *const marks[] = { "template", "composed_of",
		"priority", "data_stream" };
	char		*copy = xstrndup(json, len);
	yajl_val	 top = yajl_tree_parse(copy, errmsg, errsize), pats;
	const char	*path[] = { "index_patterns", NULL };
	size_t		 i, n = 0;
	int		 rc = 0;

	free(copy);
	if (top == NULL)
		return -1;
	*composable = false;
	*patterns = NULL;
	pats = yajl_tree_get(top, path, yajl_t_any);
	if (!YAJL_IS_OBJECT(top) || pats == NULL) {
		snprintf(errmsg, errsize, "no index_patterns at the top: not "
		    "an index template");
		rc = -1;
	}
	for (i = 0; rc == 0 && i < sizeof marks / sizeof marks[0]; i++) {
		const char	*p[] = { marks[i], NULL };
		yajl_val	 m = yajl_tree_get(top, p, yajl_t_any);

		if (m != NULL && (i > 0 || YAJL_IS_OBJECT(m)))
			*composable = true;
	}
	if (rc == 0)
		patterns_of(pats, patterns, &n);
	yajl_tree_free(top);
	return rc;
}

/* --- the steps ----------------------------------------------------------- */

static const char *const step_names[] = {
	"check the ILM policy", "install the ILM policy",
	"check the index template", "install the index template", "ready",
	"read the index templates", "read the legacy templates", "done",
};

static void step_run(struct es *es);

struct es_tpl_call {
	struct es	*es;
	struct es_host	*host;
	char		*url;
};

static void
call_free(struct es_tpl_call *sc)
{
	if (sc->es->tpl.call == sc)
		sc->es->tpl.call = NULL;
	free(sc->url);
	free(sc);
}


static bool
step_applies(const struct es *es, enum es_tpl_step s)
{
	const struct es_templates	*t = &es->tpl;

	switch (s) {
	case T_ILM_GET:	return t->ilm_body && !es->cfg->ilm_policy_overwrite;
	case T_ILM_PUT:	return t->ilm_body != NULL;
	case T_TPL_GET:	return t->template_body && !es->cfg->template_overwrite;
	case T_TPL_PUT:	return t->template_body != NULL;
	default:	return true;
	}
}

/* The step's request path, malloc'd, and its body (or NULL). */
static char *
step_path(const struct es *es, enum es_tpl_step s, const char **body)
{
	const char	*kind = es->tpl.composable ? "_index_template" :
			    "_template";

	*body = NULL;
	switch (s) {
	case T_ILM_PUT:
		*body = es->tpl.ilm_body;
		/* FALLTHROUGH */
	case T_ILM_GET:
		return xasprintf("_ilm/policy/%s", es->cfg->ilm_policy_id);
	case T_TPL_PUT:
		*body = es->tpl.template_body;
		/* FALLTHROUGH */
	case T_TPL_GET:
		return xasprintf("%s/%s", kind, es->cfg->template_name);
	case T_VERIFY_COMPOSABLE:
		return xstrdup("_index_template");
	default:
		return xstrdup("_template");
	}
}

static void
on_retry(void *arg)
{
	struct es	*es = arg;

	es->tpl.retry = NULL;
	step_run(es);
}

/* Runs the current step again after a backoff that doubles. */
static void
retry_later(struct es *es)
{
	struct es_templates	*t = &es->tpl;
	uint64_t		 ms = TPL_RETRY_MS;
	unsigned		 i;

	for (i = 0; i < t->failures && ms < TPL_RETRY_MAX_MS; i++)
		ms *= 2;
	if (ms > TPL_RETRY_MAX_MS)
		ms = TPL_RETRY_MAX_MS;
	t->failures++;
	t->failed_ms = loop_now_ms();
	if (es->nwaiting == 0)	/* else the buffer reports it, see above */
		log_warn("%s; retrying in %llu s, or when the buffer next "
		    "sends (it keeps the records meanwhile)", t->last_error,
		    (unsigned long long)(ms / 1000));
	t->retry = loop_add_timer(es->loop, ms, false, on_retry, es);
	es_templates_settled(es, false);
}

/* At most a request a second however many chunks come: each of them is
 * an attempt of the buffer's, one after the other in a round. */
bool
es_templates_join(struct es *es)
{
	struct es_templates	*t = &es->tpl;

	if (t->retry == NULL)	/* in flight */
		return true;
	if (loop_now_ms() < t->failed_ms + TPL_RETRY_MS)
		return false;
	loop_del_timer(es->loop, t->retry);
	t->retry = loop_add_timer(es->loop, 0, false, on_retry, es);
	return true;
}

static void
step_failed(struct es *es, const struct es_tpl_call *sc,
    const struct http_resp *resp)
{
	struct es_templates	*t = &es->tpl;
	struct strbuf		 why = STRBUF_INIT;
	char			 what[ERR_MAX - 300];	/* and who */
	const char		*advice;

	advice = es_conn_failure(&es->conn, sc->host, resp->status,
	    loop_now_ms());
	if (resp->status == 0)
		sb_addf(&why, "no response: %s", resp->error);
	else {
		sb_addf(&why, "HTTP %ld: ", resp->status);
		es_error_reason(resp->body, resp->len, &why);
	}
	sb_adds(&why, advice);
	snprintf(what, sizeof what, "cannot %s: %s: %s", step_names[t->step],
	    sc->url, sb_cstr(&why));
	sb_free(&why);
	snprintf(t->last_error, sizeof t->last_error, "%s: %s", es->who, what);
	es_conn_answered(&es->conn, resp->status, what);
	retry_later(es);
}

static void
verify_done(struct es *es)
{
	struct es_templates	*t = &es->tpl;
	struct strbuf		 pats = STRBUF_INIT;
	char			 index[ES_INDEX_MAX + 1];
	struct timespec		 ts;
	size_t			 i;

	if (!t->verified)
		return;		/* no answer to judge by */
	clock_gettime(CLOCK_REALTIME, &ts);
	es_index_example(&es->enc, (int64_t)ts.tv_sec * 1000000000, index,
	    sizeof index);
	t->covered = es_patterns_cover(t->seen_patterns, t->nseen, index);
	if (t->covered)
		return;
	for (i = 0; i < t->nseen && i < 20; i++)
		sb_addf(&pats, "%s%s", i ? ", " : "", t->seen_patterns[i]);
	log_warn("%s: the index this output writes (%s%s) matches no index "
	    "template installed in Elasticsearch (index_patterns: %s), so its "
	    "fields get dynamic mappings, not the template's; make index_name "
	    "(or logstash_prefix with logstash_format true) fit a pattern, or "
	    "install a template for it with template_name and template_file",
	    es->who, index, es->cfg->logstash_format ? ", a daily index" : "",
	    t->nseen ? sb_cstr(&pats) : "none");
	sb_free(&pats);
}

static void
step_next(struct es *es, unsigned skip)
{
	es->tpl.step += skip;
	es->tpl.failures = 0;
	step_run(es);
}

static void
on_step(void *arg, const struct http_resp *resp)
{
	struct es_tpl_call	*sc = arg;
	struct es		*es = sc->es;
	struct es_templates	*t = &es->tpl;
	bool			 get = t->step == T_ILM_GET ||
				    t->step == T_TPL_GET;

	/* Reading every template takes a privilege a writer may lack: these
	 * answers say nothing of its credentials (es_conn_answered). */
	if (t->step >= T_VERIFY_COMPOSABLE) {
		if (resp->status == 200) {
			t->verified = true;
			es_patterns_collect(resp->body, resp->len,
			    &t->seen_patterns, &t->nseen);
		}
		if (t->step == T_VERIFY_LEGACY)
			verify_done(es);
		step_next(es, 1);
	} else if (get && resp->status == 200) {
		es_conn_answered(&es->conn, resp->status, NULL);
		log_info("%s: %s exists: kept (set %s true to replace it)",
		    es->who, sc->url, t->step == T_ILM_GET ?
		    "ilm_policy_overwrite" : "template_overwrite");
		step_next(es, 2);	/* no PUT */
	} else if ((get && resp->status == 404) ||
	    (!get && resp->status >= 200 && resp->status < 300)) {
		es_conn_answered(&es->conn, resp->status, NULL);
		if (!get)
			log_info("%s: installed %s", es->who, sc->url);
		step_next(es, 1);
	} else
		step_failed(es, sc, resp);
	call_free(sc);
}

static void
step_run(struct es *es)
{
	struct es_templates	*t = &es->tpl;
	struct es_tpl_call	*sc;
	struct http_req		 rq;
	const char		*body;
	char			*rel;
	struct err		 e;

	while (t->step < T_DONE && !step_applies(es, t->step))
		t->step++;
	if (t->step == T_READY) {
		t->ready = true;
		t->step++;
		es_templates_settled(es, true);
	}
	if (t->step == T_DONE)
		return;
	sc = xcalloc(1, sizeof *sc);
	sc->es = es;
	sc->host = es_conn_pick(&es->conn, loop_now_ms());
	rel = step_path(es, t->step, &body);
	sc->url = es_url(sc->host, rel);
	free(rel);
	es_conn_request(&es->conn, &rq, body ? "PUT" : "GET", sc->url,
	    ES_BODY_JSON);
	if (body != NULL)
		sb_adds(&rq.body, body);
	if (http_request(es->http, &rq, on_step, sc, &e) != 0) {
		snprintf(t->last_error, sizeof t->last_error, "%s: %.1700s",
		    es->who, e.msg);
		call_free(sc);
		retry_later(es);
		return;
	}
	t->call = sc;
}

/* --- start and stop ------------------------------------------------------ */

static int
load_json(const char *path, const char *what, struct strbuf *out,
    struct err *e)
{
	char		 why[256];
	yajl_val	 v;

	if (file_slurp(path, TPL_FILE_MAX, out, e) != 0)
		return err_wrap(e, "%s", what);
	if ((v = yajl_tree_parse(sb_cstr(out), why, sizeof why)) == NULL)
		return err_set(e, "%s %s is not JSON: %s", what, path, why);
	yajl_tree_free(v);
	return 0;
}

static int
load_template(struct es *es, struct err *e)
{
	const struct es_cfg	*cfg = es->cfg;
	struct strbuf		 sb = STRBUF_INIT;
	char			 why[256], **pats = NULL;
	int			 rc;

	if (load_json(cfg->template_file, "template_file", &sb, e) != 0) {
		sb_free(&sb);
		return -1;
	}
	rc = es_template_parse(sb.buf, sb.len, &es->tpl.composable, &pats,
	    why, sizeof why);
	conf_strv_free(pats);
	if (rc != 0) {
		sb_free(&sb);
		return err_set(e, "template_file %s: %s", cfg->template_file,
		    why);
	}
	es->tpl.template_body = sb_take(&sb);
	return 0;
}

/* ilm_policy text or ilm_policy_file, as {"policy": ...}. */
static int
load_ilm(struct es *es, struct err *e)
{
	const struct es_cfg	*cfg = es->cfg;
	struct strbuf		 sb = STRBUF_INIT, wrapped = STRBUF_INIT;
	const char		*path[] = { "policy", NULL };
	char			 why[256];
	yajl_val		 v;

	if (cfg->ilm_policy_file != NULL) {
		if (load_json(cfg->ilm_policy_file, "ilm_policy_file", &sb,
		    e) != 0) {
			sb_free(&sb);
			return -1;
		}
	} else
		sb_adds(&sb, cfg->ilm_policy);
	if ((v = yajl_tree_parse(sb_cstr(&sb), why, sizeof why)) == NULL) {
		sb_free(&sb);
		return err_set(e, "ilm_policy is not JSON: %s", why);
	}
	if (yajl_tree_get(v, path, yajl_t_object) == NULL) {
		sb_addf(&wrapped, "{\"policy\":%s}", sb.buf);
		sb_free(&sb);
		sb = wrapped;
	}
	yajl_tree_free(v);
	es->tpl.ilm_body = sb_take(&sb);
	return 0;
}

int
es_templates_start(struct es *es, struct err *e)
{
	const struct es_cfg	*cfg = es->cfg;

	es->tpl.step = T_ILM_GET;
	if (cfg->template_file != NULL && load_template(es, e) != 0)
		return err_wrap(e, "%s", es->who);
	if ((cfg->ilm_policy != NULL || cfg->ilm_policy_file != NULL) &&
	    load_ilm(es, e) != 0)
		return err_wrap(e, "%s", es->who);
	step_run(es);
	return 0;
}

void
es_templates_stop(struct es *es)
{
	struct es_templates	*t = &es->tpl;

	if (t->retry != NULL)
		loop_del_timer(es->loop, t->retry);
	t->retry = NULL;
	if (t->call != NULL)	/* its request was cancelled with the client */
		call_free(t->call);
	free(t->template_body);
	free(t->ilm_body);
	conf_strv_free(t->seen_patterns);
	t->template_body = t->ilm_body = NULL;
	t->seen_patterns = NULL;
	t->nseen = 0;
}
