/*
 * pipeline_fixture.h — a pipeline built from configuration text, the
 * batch its records are fed through and a buffer for their JSON, as a
 * Check fixture (setup, teardown), for the tests that run filters
 * through the real pipeline.
 */
#ifndef PIPELINE_FIXTURE_H
#define PIPELINE_FIXTURE_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "mem.h"
#include "pipeline.h"
#include "record.h"
#include "strbuf.h"

static struct pipeline	*pl;
static struct batch	 b;
static struct strbuf	 sb;
static struct err	 e;

static void
setup(void)
{
	log_set_level(LOG_ERROR);	/* no "no <match>" warnings */
	batch_init(&b);
	memset(&sb, 0, sizeof sb);
	pl = NULL;
}

static void
teardown(void)
{
	pipeline_free(pl);
	pl = NULL;
	batch_free(&b);
	sb_free(&sb);
}

static struct pipeline *
pipeline_from(const char *text, struct err *err)
{
	struct conf	*c = xcalloc(1, sizeof *c);

	if (conf_load_string(c, text, "test.conf", err) != 0) {
		conf_free(c);
		free(c);
		return NULL;
	}
	return pipeline_new(c, 0, err);
}

static void
build(const char *text)
{
	pipeline_free(pl);
	if ((pl = pipeline_from(text, &e)) == NULL)
		ck_abort_msg("pipeline: %s", e.msg);
}

#endif
