/*
 * fuzz_es_bulk.c — the Elasticsearch bulk-response reader.
 *
 * The body is read three ways: whole (es_bulk_parse), fed in small
 * pieces (a read may end anywhere), and whole with the callback stopping
 * the parse at item k. Checks: items come numbered from 0 with strings
 * that are never NULL and a status in 0..999; the pieces give the same
 * items, result and summary as the whole; a stop gives the first k+1
 * items and an error.
 */
#include "fuzz.h"

#include "es_bulk.h"

#define MAX_ITEMS	1024

struct items {
	uint64_t	 digest[MAX_ITEMS];
	size_t		 n;
	size_t		 stop_at;	/* (size_t)-1: never */
};

static uint64_t
mix(uint64_t h, const char *s)
{
	FUZZ_ASSERT(s != NULL);
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;
}

static int
on_item(void *arg, const struct es_bulk_item *it)
{
	struct items	*v = arg;
	uint64_t	 h = 0xcbf29ce484222325ULL;

	FUZZ_ASSERT(it->n == v->n);
	FUZZ_ASSERT(it->status >= 0 && it->status < 1000);
	h = mix(h, it->action);
	h = mix(h, it->index);
	h = mix(h, it->id);
	h = mix(h, it->error_type);
	h = mix(h, it->error_reason);
	h = mix(h, it->caused_by_type);
	h = mix(h, it->caused_by_reason);
	h ^= (uint64_t)it->status;
	if (v->n < MAX_ITEMS)
		v->digest[v->n] = h;
	v->n++;
	return v->n - 1 == v->stop_at;
}

static int
same_items(const struct items *a, const struct items *b, size_t n)
{
	size_t	 i;

	for (i = 0; i < n && i < MAX_ITEMS; i++)
		if (a->digest[i] != b->digest[i])
			return 0;
	return 1;
}

static struct items	 whole, pieces, stopped;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*body = (const char *)data;
	struct es_bulk_summary	 sw, sp;
	struct es_bulk_parser	*p;
	char			 err[256];
	size_t			 off, step, n;
	int			 rw, rp;

	memset(&whole, 0, sizeof whole);
	whole.stop_at = (size_t)-1;
	rw = es_bulk_parse(body, size, on_item, &whole, &sw, err, sizeof err);
	FUZZ_ASSERT(rw == 0 ? sw.items == whole.n : err[0] != '\0');

	pieces = whole;
	pieces.n = 0;
	p = es_bulk_new(on_item, &pieces);
	step = size > 0 ? 1 + data[0] % 61 : 1;
	for (rp = 0, off = 0; rp == 0 && off < size; off += n) {
		n = size - off < step ? size - off : step;
		rp = es_bulk_feed(p, body + off, n);
	}
	if (rp == 0)
		rp = es_bulk_finish(p, &sp);
	FUZZ_ASSERT(rp == rw && pieces.n == whole.n &&
	    same_items(&pieces, &whole, whole.n));
	FUZZ_ASSERT(rp != 0 || (sp.items == sw.items &&
	    sp.errors == sw.errors && sp.took == sw.took));
	FUZZ_ASSERT(rp == 0 || es_bulk_error(p)[0] != '\0');
	es_bulk_free(p);

	if (whole.n > 0) {
		memset(&stopped, 0, sizeof stopped);
		stopped.stop_at = size > 1 ? data[1] % whole.n : 0;
		FUZZ_ASSERT(es_bulk_parse(body, size, on_item, &stopped, &sw,
		    err, sizeof err) == -1);
		FUZZ_ASSERT(stopped.n == stopped.stop_at + 1 &&
		    same_items(&stopped, &whole, stopped.n));
	}
	return 0;
}
