/*
 * gate.c — a filter predicate tested during the parse (see gate.h).
 */
#include <string.h>

#include "gate.h"

void
gate_start(struct gate_state *st)
{
	memset(st, 0, sizeof *st);
}

void
gate_final(struct gate_state *st)
{
	st->final = true;
}

static bool
gate_failed(const struct gate *g, const struct gate_state *st)
{
	unsigned	 i;

	for (i = 0; i < g->nrequire; i++)
		if (st->req[i] == 2)
			return true;
	return false;
}

enum gate_verdict
gate_feed(const struct gate *g, struct gate_state *st, const char *key,
    size_t klen, const char *val, size_t vlen)
{
	const struct gate_test	*t;
	unsigned		 i;

	for (i = 0; i < g->nrescue && !st->rescued; i++) {
		t = &g->rescue[i];
		if (t->klen == klen && memcmp(t->key, key, klen) == 0 &&
		    t->match(t->arg, val, vlen))
			st->rescued = true;
	}
	for (i = 0; i < g->nrequire; i++) {
		t = &g->require[i];
		if (t->klen == klen && memcmp(t->key, key, klen) == 0)
			st->req[i] = t->match(t->arg, val, vlen) ? 1 : 2;
	}
	/* With a rescue still possible the record must be read to its end. */
	if (st->final && !st->rescued && g->nrescue == 0 && gate_failed(g, st))
		return GATE_DROP;
	return GATE_OPEN;
}

bool
gate_passes(const struct gate *g, const struct gate_state *st)
{
	unsigned	 i;

	if (st->rescued)
		return true;
	for (i = 0; i < g->nrequire; i++) {
		const struct gate_test	*t = &g->require[i];

		/* A missing key is tested as "", as Fluentd's grep does. */
		if (st->req[i] == 2 || (st->req[i] == 0 &&
		    !t->match(t->arg, "", 0)))
			return false;
	}
	return true;
}
