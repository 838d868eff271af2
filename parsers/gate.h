/*
 * gate.h — a filter predicate tested while a record is being parsed.
 *
 * Most SPIRE lines are INFO or DEBUG and a grep on `level` drops them. The
 * pipeline compiler hands the parser a gate built from the grep that
 * follows it; the parser feeds each top-level field to the gate as it is
 * read and abandons the line the moment the gate says it cannot pass.
 * A gate is only an early exit: records it lets through still run the
 * real filters, so it may keep too much but must never drop a record the
 * filters would keep.
 *
 * A record passes when every `require` test matches (the last value of
 * its key wins; a key that never came is tested as the empty string) or
 * any `rescue` test matches (SPIRE's audit records are kept whatever their
 * level).
 */
#ifndef PARSERS_GATE_H
#define PARSERS_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GATE_MAX	4

struct gate_test {
	const char	*key;
	size_t		 klen;
	/* val is the decoded string, or the JSON text of a non-string. */
	bool		(*match)(const void *arg, const char *val, size_t len);
	const void	*arg;
};

struct gate {
	struct gate_test require[GATE_MAX];
	unsigned	 nrequire;
	struct gate_test rescue[GATE_MAX];
	unsigned	 nrescue;
};

struct gate_state {
	uint8_t		 req[GATE_MAX];	/* 0 unseen, 1 matched, 2 failed */
	bool		 rescued;
	bool		 final;		/* fields now come from the parse */
};

enum gate_verdict {
	GATE_OPEN,	/* keep reading */
	GATE_DROP,	/* the record cannot pass: stop */
};

static inline bool
gate_active(const struct gate *g)
{
	return g != NULL && g->nrequire > 0;
}

void	gate_start(struct gate_state *st);
/*
 * Feeds one top-level field. Before gate_final() (fields of the record
 * as it was before parsing) nothing is dropped early; afterwards a failed
 * requirement with no rescue possible drops at once.
 */
enum gate_verdict gate_feed(const struct gate *g, struct gate_state *st,
	    const char *key, size_t klen, const char *val, size_t vlen);
void	gate_final(struct gate_state *st);
/* At the end of the record: can it pass? */
bool	gate_passes(const struct gate *g, const struct gate_state *st);

#endif
