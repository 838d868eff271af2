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

/* What both levels track: the depth, and whether the next value is that
 * of the top-level member named key. */
struct level {
	int depth, want;
	const char *key;
};
struct outer {
	struct level l;	/* first: the callbacks below see a struct level */
	char *log; size_t len, cap;
};
struct inner {
	struct level l;
	int warn;
};

static int map_start(void *c) { ((struct level *)c)->depth++; return 1; }
static int map_end(void *c) { ((struct level *)c)->depth--; return 1; }
static int map_key(void *c, const unsigned char *k, size_t n)
{
	struct level *l = c;
	l->want = l->depth == 1 && n == strlen(l->key) && !memcmp(k, l->key, n);
	return 1;
}

static int o_string(void *c, const unsigned char *s, size_t n)
{
	struct outer *o = c;
	if (o->l.want) {
		if (n + 1 > o->cap) {
			o->cap = 2 * (n + 1);
			if (!(o->log = realloc(o->log, o->cap)))
				abort();
		}
		memcpy(o->log, s, n);
		o->len = n;
		o->l.want = 0;
	}
	return 1;
}
static const yajl_callbacks outer_cb = {
	.yajl_string = o_string, .yajl_start_map = map_start,
	.yajl_map_key = map_key, .yajl_end_map = map_end,
};

static int i_string(void *c, const unsigned char *s, size_t n)
{
	struct inner *i = c;
	if (i->l.want && ((n == 7 && !memcmp(s, "warning", 7)) ||
	    (n == 5 && !memcmp(s, "error", 5))))
		i->warn = 1;
	i->l.want = 0;
	return 1;
}
static const yajl_callbacks inner_cb = {
	.yajl_string = i_string, .yajl_start_map = map_start,
	.yajl_map_key = map_key, .yajl_end_map = map_end,
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
	struct outer o = { .l.key = "log" };
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
			struct inner in = { .l.key = "level" };
			lines++;
			o.l.depth = o.l.want = 0;
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
