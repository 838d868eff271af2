/*
 * test_es_bulk.c — parsers/es_bulk on Elasticsearch 8 bulk responses:
 * all created; a version conflict on create (409), a mapping error with
 * its caused_by (400), a rejection (429) and a shard failure (503)
 * side by side; the same fed a byte at a time; and bodies that are no
 * bulk response (a proxy's HTML, truncated JSON, a request-level error
 * object, wrong shapes, nesting past 64 levels), each an error with a
 * reason.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "es_bulk.h"
#include "strbuf.h"

#define MAX_ITEMS	8

struct got {
	size_t	 n;
	char	 action[MAX_ITEMS][16];
	int	 status[MAX_ITEMS];
	char	 index[MAX_ITEMS][64];
	char	 id[MAX_ITEMS][64];
	char	 type[MAX_ITEMS][64];
	char	 reason[MAX_ITEMS][5000];
	char	 cause[MAX_ITEMS][256];
	size_t	 stop_at;	/* 0: never */
};

static int
collect(void *arg, const struct es_bulk_item *it)
{
	struct got	*g = arg;

	ck_assert_uint_eq(it->n, g->n);
	ck_assert_uint_lt(g->n, MAX_ITEMS);
	snprintf(g->action[g->n], sizeof g->action[0], "%s", it->action);
	g->status[g->n] = it->status;
	snprintf(g->index[g->n], sizeof g->index[0], "%s", it->index);
	snprintf(g->id[g->n], sizeof g->id[0], "%s", it->id);
	snprintf(g->type[g->n], sizeof g->type[0], "%s", it->error_type);
	snprintf(g->reason[g->n], sizeof g->reason[0], "%s", it->error_reason);
	snprintf(g->cause[g->n], sizeof g->cause[0], "%s",
	    it->caused_by_reason);
	g->n++;
	return g->stop_at != 0 && g->n == g->stop_at;
}

/* As ES 8.x answers two documents indexed and created. */
static const char created[] =
    "{\"errors\":false,\"took\":7,\"items\":["
    "{\"index\":{\"_index\":\"spire-logs-2024.05.01\",\"_id\":\"a1\","
    "\"_version\":1,\"result\":\"created\",\"_shards\":{\"total\":2,"
    "\"successful\":1,\"failed\":0},\"_seq_no\":0,\"_primary_term\":1,"
    "\"status\":201}},"
    "{\"create\":{\"_index\":\"spire-logs-2024.05.01\",\"_id\":\"a2\","
    "\"_version\":1,\"result\":\"created\",\"_shards\":{\"total\":2,"
    "\"successful\":1,\"failed\":0},\"_seq_no\":1,\"_primary_term\":1,"
    "\"status\":201}}]}";

static const char mixed[] =
    "{\"took\":486,\"errors\":true,\"items\":["
    "{\"create\":{\"_index\":\"spire-logs-2024.05.01\",\"_id\":\"dup\","
    "\"status\":409,\"error\":{\"type\":\"version_conflict_engine_exception\","
    "\"reason\":\"[dup]: version conflict, document already exists "
    "(current version [1])\",\"index_uuid\":\"aAsFqTI0Tc2W0LCWgPNrOA\","
    "\"shard\":\"0\",\"index\":\"spire-logs-2024.05.01\"}}},"
    "{\"index\":{\"_index\":\"spire-logs-2024.05.01\",\"_id\":\"bad\","
    "\"status\":400,\"error\":{\"type\":\"document_parsing_exception\","
    "\"reason\":\"[1:42] failed to parse field [metrics.count] of type "
    "[long] in document with id 'bad'. Preview of field's value: 'many'\","
    "\"caused_by\":{\"type\":\"illegal_argument_exception\",\"reason\":"
    "\"For input string: \\\"many\\\"\"}}}},"
    "{\"index\":{\"_index\":\"spire-logs-2024.05.01\",\"_id\":\"busy\","
    "\"status\":429,\"error\":{\"type\":\"es_rejected_execution_exception\","
    "\"reason\":\"rejected execution of coordinating operation "
    "[coordinating_and_primary_bytes=105126959, replica_bytes=0, "
    "all_bytes=105126959, coordinating_operation_bytes=2597635, "
    "max_coordinating_and_primary_bytes=107374182]\"}}},"
    "{\"index\":{\"_index\":\"spire-logs-2024.05.01\",\"_id\":\"down\","
    "\"status\":503,\"error\":{\"type\":\"unavailable_shards_exception\","
    "\"reason\":\"[spire-logs-2024.05.01][0] primary shard is not active\","
    "\"root_cause\":[{\"type\":\"x\",\"reason\":\"ignored\"}]}}},"
    "{\"index\":{\"_index\":\"spire-logs-2024.05.01\",\"_id\":\"ok\","
    "\"_version\":2,\"result\":\"updated\",\"status\":200}}"
    "]}";

static void
parse_ok(const char *body, size_t len, struct got *g,
    struct es_bulk_summary *sum)
{
	char	 err[256];

	memset(g, 0, sizeof *g);
	ck_assert_msg(es_bulk_parse(body, len, collect, g, sum, err,
	    sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(sum->items, g->n);
}

START_TEST(test_created)
{
	struct got		 g;
	struct es_bulk_summary	 sum;

	parse_ok(created, strlen(created), &g, &sum);
	ck_assert_uint_eq(g.n, 2);
	ck_assert(!sum.errors);
	ck_assert_int_eq(sum.took, 7);
	ck_assert_str_eq(g.action[0], "index");
	ck_assert_str_eq(g.action[1], "create");
	ck_assert_int_eq(g.status[0], 201);
	ck_assert_str_eq(g.id[1], "a2");
	ck_assert_str_eq(g.index[0], "spire-logs-2024.05.01");
	ck_assert_str_eq(g.type[0], "");
	ck_assert_str_eq(g.reason[1], "");
}
END_TEST

static void
check_mixed(const struct got *g, const struct es_bulk_summary *sum)
{
	static const int	 status[] = { 409, 400, 429, 503, 200 };
	static const char *const ids[] = { "dup", "bad", "busy", "down", "ok" };
	size_t			 i;

	ck_assert(sum->errors);
	ck_assert_int_eq(sum->took, 486);
	ck_assert_uint_eq(g->n, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(g->status[i], status[i]);
		ck_assert_str_eq(g->id[i], ids[i]);
	}
	ck_assert_str_eq(g->action[0], "create");
	ck_assert_str_eq(g->type[0], "version_conflict_engine_exception");
	ck_assert_str_eq(g->type[1], "document_parsing_exception");
	ck_assert_ptr_nonnull(strstr(g->reason[1], "[metrics.count]"));
	ck_assert_str_eq(g->cause[1], "For input string: \"many\"");
	ck_assert_str_eq(g->type[2], "es_rejected_execution_exception");
	ck_assert_str_eq(g->type[3], "unavailable_shards_exception");
	/* root_cause is skipped: its reason is not the item's. */
	ck_assert_str_eq(g->reason[3],
	    "[spire-logs-2024.05.01][0] primary shard is not active");
	ck_assert_str_eq(g->type[4], "");
}

START_TEST(test_mixed_items)
{
	struct got		 g;
	struct es_bulk_summary	 sum;

	parse_ok(mixed, strlen(mixed), &g, &sum);
	check_mixed(&g, &sum);
}
END_TEST

START_TEST(test_streamed_byte_by_byte)
{
	static struct got	 g;
	struct es_bulk_summary	 sum;
	struct es_bulk_parser	*p = es_bulk_new(collect, &g);
	size_t			 i;

	memset(&g, 0, sizeof g);
	for (i = 0; i < strlen(mixed); i++)
		ck_assert_int_eq(es_bulk_feed(p, mixed + i, 1), 0);
	ck_assert_int_eq(es_bulk_finish(p, &sum), 0);
	check_mixed(&g, &sum);
	es_bulk_free(p);
}
END_TEST

/* An old ES's error string; an escaped id; an unknown action. */
START_TEST(test_string_error_and_escapes)
{
	static const char	 body[] = "{\"items\":[{\"update\":{\"_id\":"
				    "\"a\\\"b\\u00e9\",\"status\":404,\"error\":"
				    "\"DocumentMissingException[[x][1]]\"}}]}";
	struct got		 g;
	struct es_bulk_summary	 sum;

	parse_ok(body, strlen(body), &g, &sum);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_str_eq(g.action[0], "update");
	ck_assert_str_eq(g.id[0], "a\"b\xc3\xa9");
	ck_assert_str_eq(g.reason[0], "DocumentMissingException[[x][1]]");
	ck_assert_int_eq(sum.took, -1);
	ck_assert(!sum.errors);
}
END_TEST

START_TEST(test_long_reason_cut)
{
	char			 body[12000], reason[9000];
	struct got		 g;
	struct es_bulk_summary	 sum;

	memset(reason, 'r', sizeof reason - 1);
	reason[sizeof reason - 1] = '\0';
	snprintf(body, sizeof body, "{\"items\":[{\"index\":{\"status\":400,"
	    "\"error\":{\"type\":\"t\",\"reason\":\"%s\"}}}]}", reason);
	parse_ok(body, strlen(body), &g, &sum);
	ck_assert_uint_eq(strlen(g.reason[0]), 4096);
}
END_TEST

static void
parse_fails(const char *body, const char *want)
{
	struct got		 g;
	struct es_bulk_summary	 sum;
	char			 err[256];

	memset(&g, 0, sizeof g);
	ck_assert_int_eq(es_bulk_parse(body, strlen(body), collect, &g, &sum,
	    err, sizeof err), -1);
	ck_assert_msg(strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);
}

START_TEST(test_not_bulk_responses)
{
	char	 trunc[sizeof mixed];

	parse_fails("<html><body><h1>502 Bad Gateway</h1></body></html>",
	    "not a bulk response: lexical error");
	snprintf(trunc, sizeof trunc, "%.*s", (int)strlen(mixed) / 2, mixed);
	parse_fails(trunc, "premature EOF");
	parse_fails("{\"error\":{\"root_cause\":[{\"type\":\"illegal_argument_"
	    "exception\",\"reason\":\"Malformed action/metadata line [1]\"}],"
	    "\"type\":\"illegal_argument_exception\",\"reason\":\"Malformed "
	    "action/metadata line [1]\"},\"status\":400}", "no items array");
	parse_fails("", "empty body");
	parse_fails("[1,2]", "an array, not an object");
	parse_fails("42", "a scalar");
	parse_fails("{\"items\":[1]}", "an item is not an object");
	parse_fails("{\"items\":[[]]}", "an item is not an object");
	parse_fails("{\"items\":[{\"index\":7}]}", "action is not an object");
	parse_fails("{\"items\":[]} {\"items\":[]}", "trailing garbage");
}
END_TEST

/* A one-item response whose item has a key nested n deep. */
static void
deep_item(struct strbuf *sb, int n)
{
	int	 i;

	sb_reset(sb);
	sb_adds(sb, "{\"items\":[{\"index\":{\"x\":");
	for (i = 0; i < n; i++)
		sb_addc(sb, '[');
	for (i = 0; i < n; i++)
		sb_addc(sb, ']');
	sb_adds(sb, ",\"status\":201}}]}");
}

/* A value nested past 64 levels (inside a skipped key) ends the parse:
 * yajl would keep a byte per level, for a body of any size; 50 levels
 * is deep, and fine. */
START_TEST(test_nested_too_deep)
{
	struct strbuf		 sb = STRBUF_INIT;
	struct got		 g;
	struct es_bulk_summary	 sum;

	deep_item(&sb, 100000);
	parse_fails(sb_cstr(&sb), "nested too deep");
	deep_item(&sb, 50);
	parse_ok(sb.buf, sb.len, &g, &sum);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_int_eq(g.status[0], 201);
	sb_free(&sb);
}
END_TEST

START_TEST(test_callback_stops)
{
	struct got		 g;
	struct es_bulk_summary	 sum;
	char			 err[256];

	memset(&g, 0, sizeof g);
	g.stop_at = 2;
	ck_assert_int_eq(es_bulk_parse(mixed, strlen(mixed), collect, &g, &sum,
	    err, sizeof err), -1);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_str_eq(err, "stopped at item 1");
}
END_TEST

static Suite *
test_suite(void)
{
	Suite	*s = suite_create("es_bulk");
	TCase	*tc = tcase_create("es_bulk");

	tcase_add_test(tc, test_created);
	tcase_add_test(tc, test_mixed_items);
	tcase_add_test(tc, test_streamed_byte_by_byte);
	tcase_add_test(tc, test_string_error_and_escapes);
	tcase_add_test(tc, test_long_reason_cut);
	tcase_add_test(tc, test_not_bulk_responses);
	tcase_add_test(tc, test_nested_too_deep);
	tcase_add_test(tc, test_callback_stops);
	suite_add_tcase(s, tc);
	return s;
}

#include "check_main.h"
