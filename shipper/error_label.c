/*
 * error_label.c — what outputs give up on goes to <label @ERROR>, as
 * Fluentd's emit_error_event sends it there (fluent-plugin-elasticsearch
 * does so for the documents Elasticsearch rejects for good).
 *
 * The output hands over the JSON document it sent, with its tag; it is
 * read back into a record, runs @ERROR's filters and goes to its output.
 * Only once that output has it (durably, for a buffered one) does the
 * giving output settle the entry; otherwise the document goes to its
 * dead-letter file as it would without @ERROR. Outputs inside @ERROR
 * keep their dead-letter files: an error there would loop.
 */
#include <string.h>
#include <time.h>

#include "json.h"
#include "mem.h"
#include "pipeline.h"
#include "timefmt.h"

/* The document as the open record of b; false if it is not an object. */
static bool
doc_record(struct pipeline *pl, struct batch *b, const char *doc,
    size_t len)
{
	struct record		*r;
	struct parse_error	 pe;
	const struct field	*ts;
	struct timespec		 now;

	if (pl->error_json == NULL)
		pl->error_json = json_parser_new(64);
	batch_begin(b);
	if (json_parse_record(pl->error_json, doc, len, b, NULL, NULL, &pe) !=
	    PARSE_OK) {
		batch_rollback(b);
		return false;
	}
	r = batch_open_record(b);
	r->flags |= REC_ERROR_COPY;
	ts = record_get(b, r, FIELD_STR("@timestamp"));
	if (ts == NULL || ts->type != VAL_STRING ||
	    time_parse_rfc3339(ts->val, ts->vlen, &r->time) != 0) {
		clock_gettime(CLOCK_REALTIME, &now);
		r->time = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	}
	return true;
}

static int
output_error_event(void *arg, const char *tag, const char *doc, size_t len,
    struct err *e)
{
	struct pipeline	*pl = arg;
	struct route	*rt = pipeline_route_label(pl, pl->error_label, tag,
			    strlen(tag));
	struct batch	*b = pl->error_batch;
	int		 rc = 0;

	if (b == NULL) {
		b = pl->error_batch = xmalloc(sizeof *b);
		batch_init(b);
	}
	batch_reset(b);
	if (!doc_record(pl, b, doc, len))
		return err_set(e, "not a JSON object");
	pl->stats.error_events++;
	if (route_run(rt, b))	/* dropped there: counted, as in Fluentd */
		rc = route_deliver(rt, b, e);
	batch_reset(b);
	return rc;
}

void
error_label_attach(struct pipeline *pl)
{
	size_t	 i;

	for (i = 0; pl->error_label != NULL && i < pl->ndirs; i++) {
		struct output	*o = pl->dirs[i].output;

		if (o == NULL || pl->dirs[i].label == pl->error_label)
			continue;
		o->error_sink = output_error_event;
		o->error_arg = pl;
	}
}

void
error_label_free(struct pipeline *pl)
{
	if (pl->error_batch != NULL)
		batch_free(pl->error_batch);
	free(pl->error_batch);
	if (pl->error_json != NULL)
		json_parser_free(pl->error_json);
}
