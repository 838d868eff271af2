/* floor.c — the least any shipper must do: parse both JSON levels of every
 * line with yajl (the Docker/CRI envelope's object, then its `log` string as
 * JSON) and nothing else. Its CPU time is the floor the benchmark quotes
 * beside spire-shipper's and rsyslog's.
 *
 *   floor FILE...   prints "lines N levels W" (W: records with warning/error)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

struct outer {
	int depth, want;	/* want: the next string is the top-level `log` */
	char *log; size_t len, cap;
};
struct inner {
	int depth, want, warn;
};

static int o_map_start(void *c) { ((struct outer *)c)->depth++; return 1; }
static int o_map_end(void *c) { ((struct outer *)c)->depth--; return 1; }
static int o_key(void *c, const unsigned char *k, size_t n)
{
	struct outer *o = c;
	o->want = o->depth == 1 && n == 3 && !memcmp(k, "log", 3);
	return 1;
}
static int o_string(void *c, const unsigned char *s, size_t n)
{
	struct outer *o = c;
	if (o->want) {
		if (n + 1 > o->cap) {
			o->cap = 2 * (n + 1);
			if (!(o->log = realloc(o->log, o->cap)))
				abort();
		}
		memcpy(o->log, s, n);
		o->len = n;
		o->want = 0;
	}
	return 1;
}
static const yajl_callbacks outer_cb = {
	.yajl_string = o_string, .yajl_start_map = o_map_start,
	.yajl_map_key = o_key, .yajl_end_map = o_map_end,
};

static int i_map_start(void *c) { ((struct inner *)c)->depth++; return 1; }
static int i_map_end(void *c) { ((struct inner *)c)->depth--; return 1; }
static int i_key(void *c, const unsigned char *k, size_t n)
{
	struct inner *i = c;
	i->want = i->depth == 1 && n == 5 && !memcmp(k, "level", 5);
	return 1;
}
static int i_string(void *c, const unsigned char *s, size_t n)
{
	struct inner *i = c;
	if (i->want && ((n == 7 && !memcmp(s, "warning", 7)) ||
	    (n == 5 && !memcmp(s, "error", 5))))
		i->warn = 1;
	i->want = 0;
	return 1;
}
static const yajl_callbacks inner_cb = {
	.yajl_string = i_string, .yajl_start_map = i_map_start,
	.yajl_map_key = i_key, .yajl_end_map = i_map_end,
};

/* parse — one complete JSON text; 0 when it is not valid JSON. */
static int parse(const yajl_callbacks *cb, void *ctx, const char *s, size_t n)
{
	yajl_handle h = yajl_alloc(cb, NULL, ctx);
	int ok = yajl_parse(h, (const unsigned char *)s, n) == yajl_status_ok &&
	    yajl_complete_parse(h) == yajl_status_ok;
	yajl_free(h);
	return ok;
}

int main(int argc, char **argv)
{
	struct outer o = { 0 };
	unsigned long lines = 0, levels = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	for (int a = 1; a < argc; a++) {
		FILE *f = fopen(argv[a], "r");
		if (!f) {
			perror(argv[a]);
			return 1;
		}
		while ((n = getline(&line, &cap, f)) > 0) {
			struct inner in = { 0 };
			lines++;
			o.depth = o.want = 0;
			o.len = 0;
			if (parse(&outer_cb, &o, line, (size_t)n) && o.len &&
			    parse(&inner_cb, &in, o.log, o.len) && in.warn)
				levels++;
		}
		fclose(f);
	}
	printf("lines %lu levels %lu\n", lines, levels);
	free(line);
	free(o.log);
	return 0;
}
