/*
 * pipeline_metrics.c — the pipeline's counters as metrics and as
 * Fluentd's /api/plugins.json (see pipeline_metrics.h).
 *
 * Process-wide counters come from struct stats, one row per field in
 * stat_metrics below; per plugin ones from each instance, labelled as
 * fluent-plugin-prometheus labels them: plugin_id (the @id, else
 * in_tail_0, filter_grep_2, out_file_0, numbered per kind in
 * configuration order) and type. Every drop reason and bad-line kind is
 * written, zeros included, so that rate() has a series from the start.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "jsonenc.h"
#include "metrics.h"
#include "pipeline_metrics.h"
#include "plugin_metrics.h"
#include "registry.h"
#include "tail.h"

/* --- plugins ------------------------------------------------------------- */

static void
view_init(struct plugin_view *v, const char *category, const char *prefix,
    const char *type, const char *id, size_t n)
{
	memset(v, 0, sizeof *v);
	v->category = category;
	v->type = type;
	if (id != NULL)
		snprintf(v->id, sizeof v->id, "%s", id);
	else
		snprintf(v->id, sizeof v->id, "%s_%s_%zu", prefix, type, n);
}

void
pipeline_visit_plugins(const struct pipeline *pl, plugin_visit_fn fn,
    void *arg)
{
	struct plugin_view	 v;
	size_t			 i, nf = 0, no = 0;

	for (i = 0; i < pl->nsources; i++) {
		const struct source *s = pl->sources[i];

		view_init(&v, "input", "in", s->ops->name, s->id, i);
		v.params = s->ops->params;
		v.cfg = s->cfg;
		v.source = s;
		fn(arg, &v);
	}
	for (i = 0; i < pl->ndirs; i++) {
		const struct filter *f = pl->dirs[i].filter;
		const struct output *o = pl->dirs[i].output;

		if (f != NULL) {
			view_init(&v, "filter", "filter", f->ops->name, f->id,
			    nf++);
			v.params = f->ops->params;
			v.cfg = f->cfg;
			v.filter = f;
		} else {
			view_init(&v, "output", "out", o->ops->name, o->id,
			    no++);
			v.params = o->ops->params;
			v.cfg = o->cfg;
			v.output = o;
		}
		fn(arg, &v);
	}
}

/* --- metrics ------------------------------------------------------------- */

static const struct {
	const char	*name;
	enum metric_type type;
	const char	*help;
} families[] = {
	{ "spire_shipper_input_lines_total", METRIC_COUNTER,
	  "Logical lines read by a source (partial lines joined)." },
	{ "spire_shipper_input_bytes_total", METRIC_COUNTER,
	  "Bytes read by a source, uncompressed." },
	{ "spire_shipper_files_watched", METRIC_GAUGE,
	  "Files a tail source follows now, rotated ones still draining "
	  "included." },
	{ "spire_shipper_filter_records_in_total", METRIC_COUNTER,
	  "Records a filter was given." },
	{ "spire_shipper_filter_records_out_total", METRIC_COUNTER,
	  "Records a filter passed on." },
	{ "spire_shipper_filter_records_dropped_total", METRIC_COUNTER,
	  "Records a filter dropped, by reason (grep drops include those made "
	  "while parsing)." },
	{ "spire_shipper_output_records_total", METRIC_COUNTER,
	  "Records an output wrote." },
	{ "spire_shipper_output_bytes_total", METRIC_COUNTER,
	  "Bytes an output wrote (a buffered output: into its buffer)." },
	{ "spire_shipper_output_errors_total", METRIC_COUNTER,
	  "Writes an output failed." },
	{ "spire_shipper_records_dropped_total", METRIC_COUNTER,
	  "Records dropped, by reason: every line read is delivered or "
	  "dropped for one of these." },
	{ "spire_shipper_parse_errors_total", METRIC_COUNTER,
	  "Lines that did not parse, by kind; they are kept with a "
	  "parse_error field." },
};

static const struct {
	const char	*name;
	size_t		 offset;
	const char	*help;
} stat_metrics[] = {
#define ST(f)	offsetof(struct stats, f)
	{ "spire_shipper_files_opened_total", ST(files),
	  "Files opened for reading." },
	{ "spire_shipper_physical_lines_total", ST(physical_lines),
	  "Lines as the container runtime wrote them." },
	{ "spire_shipper_partial_lines_total", ST(partial_lines),
	  "Partial runtime lines (CRI P, Docker without newline) joined into "
	  "a later one." },
	{ "spire_shipper_multiline_lines_total", ST(multiline_lines),
	  "Lines joined to the multiline event an earlier line started." },
	{ "spire_shipper_multiline_orphan_lines_total",
	  ST(multiline_orphans), "Lines before any multiline first line, "
	  "each kept as a record of its own." },
	{ "spire_shipper_truncated_lines_total", ST(truncated),
	  "Lines longer than max_line_size, cut and flagged truncated." },
	{ "spire_shipper_records_gated_total", ST(gated),
	  "Of the grep drops, those made while parsing (the grep's test "
	  "moved into the parser)." },
	{ "spire_shipper_records_delivered_total", ST(records_out),
	  "Records every output together took." },
	{ "spire_shipper_error_events_total", ST(error_events),
	  "Error events sent to <label @ERROR>: records a parser filter "
	  "failed on, documents Elasticsearch rejected for good." },
	{ "spire_shipper_read_errors_total", ST(read_errors),
	  "Read errors on input files." },
	{ "spire_shipper_rotations_total", ST(rotations),
	  "Rotations seen (renamed, replaced or deleted files)." },
	{ "spire_shipper_copytruncates_total", ST(truncations),
	  "Files truncated in place (copytruncate) seen." },
	{ "spire_shipper_pos_file_writes_total", ST(pos_writes),
	  "Position file updates." },
	{ "spire_shipper_time_fallbacks_total", ST(time_fallbacks),
	  "Times that did not match time_format and were read as RFC 3339." },
	{ "spire_shipper_time_errors_total", ST(time_errors),
	  "Time fields that did not parse: the field is kept as written, the "
	  "record has the runtime's time (else the time it was read)." },
#undef ST
};

static void
collect_plugin(void *arg, const struct plugin_view *v)
{
	struct metrics_out	*o = arg;
	const struct source	*s = v->source;
	const struct filter	*f = v->filter;
	const struct output	*out = v->output;

	if (s != NULL) {
		plugin_sample(o, "spire_shipper_input_lines_total", v, s->lines);
		plugin_sample(o, "spire_shipper_input_bytes_total", v, s->bytes);
		if (s->ops == registry_source("tail"))
			plugin_sample(o, "spire_shipper_files_watched", v,
			    tail_files_watched(s));
	} else if (f != NULL) {
		plugin_sample(o, "spire_shipper_filter_records_in_total", v,
		    f->in);
		plugin_sample(o, "spire_shipper_filter_records_out_total", v,
		    f->in - f->dropped);
		metric_sample(o, "spire_shipper_filter_records_dropped_total",
		    METRIC_LABELS({ "plugin_id", v->id }, { "type", v->type },
		    { "reason", drop_reason_name(f->drop_reason) }),
		    (double)f->dropped);
	} else {
		plugin_sample(o, "spire_shipper_output_records_total", v,
		    out->records);
		plugin_sample(o, "spire_shipper_output_bytes_total", v,
		    out->bytes);
		plugin_sample(o, "spire_shipper_output_errors_total", v,
		    out->errors);
	}
	plugin_metrics_collect(o, v);
}

static void
collect_stats(const struct stats *st, struct metrics_out *o)
{
	size_t	 i;
	int	 k;

	for (i = 0; i < sizeof stat_metrics / sizeof stat_metrics[0]; i++) {
		metric_family(o, stat_metrics[i].name, METRIC_COUNTER,
		    stat_metrics[i].help);
		metric_sample(o, stat_metrics[i].name, METRIC_NO_LABELS,
		    (double)*(const uint64_t *)((const char *)st +
		    stat_metrics[i].offset));
	}
	for (k = 0; k < DROP_NREASONS; k++)
		metric_sample(o, "spire_shipper_records_dropped_total",
		    METRIC_LABELS({ "reason", drop_reason_name(k) }),
		    (double)st->dropped[k]);
	for (k = BAD_NONE + 1; k < BAD_NKINDS; k++)
		metric_sample(o, "spire_shipper_parse_errors_total",
		    METRIC_LABELS({ "kind", bad_kind_name(k) }),
		    (double)st->bad[k]);
}

static void
pipeline_collect(void *arg, struct metrics_out *o)
{
	const struct pipeline	*pl = arg;
	size_t			 i;

	for (i = 0; i < sizeof families / sizeof families[0]; i++)
		metric_family(o, families[i].name, families[i].type,
		    families[i].help);
	plugin_metrics_families(o);
	pipeline_visit_plugins(pl, collect_plugin, o);
	collect_stats(&pl->stats, o);
}

void
pipeline_metrics_register(struct pipeline *pl)
{
	metrics_register("pipeline", pipeline_collect, pl);
}

/* --- /api/plugins.json --------------------------------------------------- */

struct plugins_json {
	struct strbuf	*out;
	bool		 config;
	bool		 retry;
	bool		 first;
};

static void
json_key(struct strbuf *out, const char *key)
{
	sb_addc(out, ',');
	json_put_string(out, key, strlen(key));
	sb_addc(out, ':');
}

static void
json_u64(struct strbuf *out, const char *key, uint64_t v)
{
	json_key(out, key);
	sb_addf(out, "%llu", (unsigned long long)v);
}

static void
plugin_json(void *arg, const struct plugin_view *v)
{
	struct plugins_json	*pj = arg;
	struct strbuf		*out = pj->out;

	sb_adds(out, pj->first ? "\n    {\"plugin_id\":" : ",\n    {"
	    "\"plugin_id\":");
	pj->first = false;
	json_put_string(out, v->id, strlen(v->id));
	json_key(out, "plugin_category");
	json_put_string(out, v->category, strlen(v->category));
	json_key(out, "type");
	json_put_string(out, v->type, strlen(v->type));
	if (pj->config) {
		json_key(out, "config");
		params_json(v->params, v->cfg, v->type, out);
	}
	json_key(out, "output_plugin");
	sb_adds(out, v->output != NULL ? "true" : "false");
	if (v->output != NULL) {
		json_u64(out, "retry_count", v->output->errors);
		json_u64(out, "emit_records", v->output->records);
		json_u64(out, "emit_size", v->output->bytes);
		if (pj->retry)
			sb_adds(out, ",\"retry\":{}");
	} else {
		sb_adds(out, ",\"retry_count\":null");
		json_u64(out, "emit_records", v->source != NULL ?
		    v->source->lines : v->filter->in - v->filter->dropped);
		json_u64(out, "emit_size", v->source != NULL ?
		    v->source->bytes : 0);
	}
	sb_addc(out, '}');
}

void
pipeline_plugins_json(const struct pipeline *pl, bool include_config,
    bool include_retry, struct strbuf *out)
{
	struct plugins_json	 pj = {
		.out = out, .config = include_config, .retry = include_retry,
		.first = true,
	};

	sb_adds(out, "{\n  \"plugins\": [");
	pipeline_visit_plugins(pl, plugin_json, &pj);
	sb_adds(out, "\n  ]\n}\n");
}
