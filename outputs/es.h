/*
 * es.h — the parts of the Elasticsearch output, one job per file:
 *
 *   elasticsearch.c  parameters, the ops table, chunks to entries
 *   es_encode.c      a record to its bulk entry: action line, document
 *   es_conn.c        hosts (round robin, failover) and request defaults
 *   es_send.c        entries to bulk requests, item results, 413 halving
 *   es_dead.c        dead-letter lines (dead_letter.c writes them)
 *   es_template.c    ILM policy and index template, before the first bulk
 *
 * The sending engine knows nothing of chunks: it takes an array of
 * entries and reports each one's result through a callback, so it is
 * tested without a buffer.
 */
#ifndef OUTPUTS_ES_H
#define OUTPUTS_ES_H

#include <stdbool.h>
#include <stdint.h>

#include "buffer.h"
#include "dead_letter.h"
#include "elasticsearch.h"
#include "http.h"
#include "jsonenc.h"
#include "plugin.h"

enum es_op { ES_OP_INDEX, ES_OP_CREATE, ES_OP_UPDATE, ES_OP_UPSERT };
enum es_compression { ES_NO_COMPRESSION, ES_BEST_SPEED, ES_BEST_COMPRESSION,
	ES_DEFAULT_COMPRESSION };
enum es_scheme { ES_HTTP, ES_HTTPS };

struct es_cfg {
	/* connection */
	char		*host;
	long long	 port;
	char		*hosts;
	int		 scheme;
	char		*path;
	char		*user;
	char		*password;
	char		*api_key;
	bool		 ssl_verify;
	char		*ca_file;
	char		*client_cert;
	char		*client_key;
	char		*client_key_pass;
	double		 request_timeout;
	double		 resurrect_after;
	int		 compression_level;
	char		**custom_headers;
	/* indexing */
	char		*index_name;
	bool		 logstash_format;
	char		*logstash_prefix;
	char		*logstash_prefix_separator;
	char		*logstash_dateformat;
	bool		 utc_index;
	char		*target_index_key;
	bool		 include_timestamp;
	char		*time_key;
	char		*time_key_format;
	bool		 time_key_exclude_timestamp;
	char		*id_key;
	char		*routing_key;
	char		*pipeline;
	int		 write_operation;
	bool		 include_tag_key;
	char		*tag_key;
	char		**remove_keys;
	char		*bulk_message_request_threshold;
	/* templates */
	char		*template_name;
	char		*template_file;
	bool		 template_overwrite;
	bool		 enable_ilm;
	char		*ilm_policy_id;
	char		*ilm_policy;
	char		*ilm_policy_file;
	bool		 ilm_policy_overwrite;
	/* ours */
	char		*dead_letter_path;
	bool		 deterministic_id;
	/* refused when given (see es_refused) */
	char		*cloud_id;
	char		*cloud_auth;
	char		*parent_key;
	char		**templates;
	char		**customize_template;
	char		**ilm_policies;
	bool		 rollover_index;
	bool		 flatten_hashes;
	bool		 include_index_in_url;
	/* accepted, no effect: one slot per type */
	char		*noop_string;
	bool		 noop_bool;
	long long	 noop_int;
	double		 noop_time;
	char		**noop_array;
};

/* --- es_encode.c --------------------------------------------------------- */

#define ES_INDEX_MAX	255	/* Elasticsearch's limit, in bytes */
#define ES_SKIP_MAX	8
#define ES_PATH_MAX	4
/* Answers nested deeper are refused unread: ES's mappings stop at 20
 * levels of fields (about 50 of JSON), and a tree costs a recursion per
 * level (see json_tree.h). */
#define ES_JSON_DEPTH_MAX	200

/* A field named by key, or by a path of keys through nested objects. */
struct es_path {
	const char	*keys[ES_PATH_MAX];
	size_t		 lens[ES_PATH_MAX];
	size_t		 depth;		/* 0: not configured */
};

struct es_encoder {
	const struct es_cfg *cfg;
	char		 index_name[ES_INDEX_MAX + 1];	/* lower case */
	struct es_path	 id, routing, target;
	char		*path_copy;	/* what the paths point into */
	struct json_skip skip[ES_SKIP_MAX];	/* left out of documents */
	size_t		 nskip;
	struct strbuf	 scratch;	/* a record's index, lower-cased */
	/* The logstash index of the last second seen. */
	int64_t		 cached_sec;
	char		 cached_index[ES_INDEX_MAX + 1];
	size_t		 cached_len;
	bool		 cached;
};

int	es_encoder_init(struct es_encoder *enc, const struct es_cfg *cfg,
	    const struct conf_elem *el, struct err *e);
void	es_encoder_free(struct es_encoder *enc);
/* Appends r's entry: the action line and the document, each + "\n". */
void	es_encode(struct es_encoder *enc, const struct batch *b,
	    const struct record *r, struct strbuf *out);
/* The index for a record of time ns (logstash_format). */
size_t	es_logstash_index(struct es_encoder *enc, int64_t ns, char *out,
	    size_t size);
/* The index a record without target_index_key goes to, now. */
void	es_index_example(struct es_encoder *enc, int64_t now_ns,
	    char *out, size_t size);

/* --- es_conn.c ----------------------------------------------------------- */

struct es_host {
	char		*base;		/* scheme://host:port[/path] */
	char		*label;		/* host:port, for messages */
	uint64_t	 dead_until;	/* loop_now_ms(); 0: alive */
};

enum es_body { ES_BODY_JSON, ES_BODY_BULK };

struct es_conn {
	const struct es_cfg *cfg;
	struct es_host	*hosts;
	size_t		 nhosts;
	size_t		 next;		/* round robin */
	uint64_t	 resurrect_ms;
	/* "Name: value" lists, NULL-terminated, by enum es_body. */
	char		**headers[2];
	char		*authorization;	/* "ApiKey ..." or NULL */
	/* Why the credentials were last refused; "" since one was taken. */
	char		 refused[ERR_MAX];
};

int	es_conn_init(struct es_conn *c, const struct es_cfg *cfg,
	    const struct conf_elem *el, struct err *e);
void	es_conn_free(struct es_conn *c);
/* The host for the next request: the next live one in turn; when all
 * failed, the one that failed first. */
struct es_host *es_conn_pick(struct es_conn *c, uint64_t now);
/* A request to h got no answer or a 5xx: skip it for a while. */
void	es_conn_failed(struct es_conn *c, struct es_host *h, uint64_t now);
/* A request to h failed with status (0: no answer): es_conn_failed for
 * no answer or a 5xx; returns advice for the message, "" or " (...)". */
const char *es_conn_failure(struct es_conn *c, struct es_host *h,
	    long status, uint64_t now);
/*
 * What an answer to a whole request says of the credentials: a 401 or
 * 403 refuses them (why, the request's error, is kept for /ready); any
 * other status below 500 took them. No answer, or a 5xx (perhaps a
 * proxy's), says nothing.
 */
void	es_conn_answered(struct es_conn *c, long status, const char *why);
/* A request to url with TLS, authentication, headers for a body of that
 * kind and the timeout set; the caller adds the body. */
void	es_conn_request(const struct es_conn *c, struct http_req *rq,
	    const char *method, const char *url, enum es_body kind);
/* base + "/" + rel, malloc'd. */
char	*es_url(const struct es_host *h, const char *rel);

/* --- es_dead.c ----------------------------------------------------------- */

struct es_dead {
	int		 status;
	const char	*index;
	const char	*id;
	const char	*type;
	const char	*reason;
	const char	*cause;		/* caused_by.reason, or "" */
	const char	*doc;		/* the document line as sent */
	size_t		 doclen;
};

/* Appends one dead-letter line (JSON and "\n"). */
void	es_dead_line(struct strbuf *out, int64_t now_ns,
	    const struct es_dead *d);
/* Splits an entry into its action's index and _id and its document. */
void	es_entry_parts(const char *p, size_t len, struct strbuf *index,
	    struct strbuf *id, const char **doc, size_t *doclen);

/* --- es_template.c ------------------------------------------------------- */

enum es_tpl_step {
	T_ILM_GET, T_ILM_PUT, T_TPL_GET, T_TPL_PUT, T_READY,
	T_VERIFY_COMPOSABLE, T_VERIFY_LEGACY, T_DONE,
};

struct es_tpl_call;

struct es_templates {
	enum es_tpl_step step;
	struct es_tpl_call *call;	/* the request in flight */
	bool		 ready;		/* sends may go */
	unsigned	 failures;	/* of the current step, for backoff */
	uint64_t	 failed_ms;	/* loop_now_ms() of the last failure */
	struct loop_timer *retry;
	char		*template_body;
	bool		 composable;
	char		*ilm_body;
	char		**seen_patterns; /* index_patterns found installed */
	size_t		 nseen;
	bool		 covered;	/* our index matches one of them */
	bool		 verified;	/* some GET of templates answered */
	char		 last_error[ERR_MAX];
};

struct es;

int	es_templates_start(struct es *es, struct err *e);
/* In elasticsearch.c: the template steps finished (ok), or one failed
 * and is retried later (!ok): the chunks that waited go, or fail. */
void	es_templates_settled(struct es *es, bool ok);
/* A chunk is to be sent before the steps are done: true when it waits
 * for them (a step in flight, or one that failed run again now, not at
 * its own backoff); false when a step failed less than a second ago:
 * the chunk fails with tpl.last_error. */
bool	es_templates_join(struct es *es);
void	es_templates_stop(struct es *es);
/*
 * The template's kind and index_patterns from its JSON: composable when
 * index_patterns is a top-level key. 0, or -1 with why in errmsg.
 */
int	es_template_parse(const char *json, size_t len, bool *composable,
	    char ***patterns, char *errmsg, size_t errsize);
/* Every string of every "index_patterns" in a GET _index_template or
 * GET _template response, appended to *v (NULL-terminated). */
void	es_patterns_collect(const char *json, size_t len, char ***v,
	    size_t *n);
/* Does an index pattern list (Elasticsearch's `*` wildcards) cover index? */
bool	es_patterns_cover(char *const *patterns, size_t n, const char *index);

/* --- es_send.c ----------------------------------------------------------- */

struct es_entry {
	const char	*p;
	uint32_t	 len;
	size_t		 slot;		/* the caller's index of it */
	const char	*tag;		/* its records' tag; NULL: unknown */
};

/* Where results go: the chunk, in the output; a recorder, in tests.
 * error_event (optional): <label @ERROR>, for the rejected documents
 * (see struct output's error_sink); else the dead-letter file. */
struct es_sink {
	void		(*settle)(void *arg, size_t slot, enum entry_result r);
	void		(*done)(void *arg, const struct err *fail);
	void		*arg;
	int		(*error_event)(void *arg, const char *tag,
			    const char *doc, size_t len, struct err *e);
	void		*error_arg;
};

struct es_attempt;

/*
 * Sends entries (copied: the bytes must stay valid until done) in bulk
 * requests of at most bulk_message_request_threshold bytes each, one
 * request at a time; each entry is settled once through the sink, then
 * done runs once (fail NULL when every request was answered). Never
 * calls the sink before returning. 0, or -1 with e set (nothing sent).
 */
int	es_send_entries(struct es *es, const struct es_entry *ents, size_t n,
	    const struct es_sink *sink, struct err *e);
/* Drops every attempt in flight without calling its sink. */
void	es_send_cancel_all(struct es *es);
/* "type: reason" from an Elasticsearch error body, else its first bytes. */
void	es_error_reason(const char *body, size_t len, struct strbuf *out);

/* --- the output's state -------------------------------------------------- */

struct es {
	const struct es_cfg *cfg;
	char		 who[256];	/* "<match> at file:line" */
	struct loop	*loop;
	struct http	*http;
	uint64_t	 threshold;	/* bytes per bulk request; 0: none */
	struct es_encoder enc;
	struct es_conn	 conn;
	struct dead_letter dead;
	struct es_templates tpl;
	struct es_counters counters;
	struct es_attempt *attempts;	/* in flight */
	struct chunk	**waiting;	/* sent before the template was in */
	size_t		 nwaiting;
	int		(*error_sink)(void *, const char *, const char *,
			    size_t, struct err *);	/* the output's */
	void		*error_arg;
	bool		 type_name_given;
	struct strbuf	 noops;		/* no-effect parameters given */
};

extern const struct output_ops output_elasticsearch;

#endif
