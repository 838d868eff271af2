/*
 * gate_fixtures.h — the gates the parser tests share: a level test like
 * the one a grep on ^(error|warning)$ compiles to, and the same with
 * SPIRE's audit records rescued.
 */
#ifndef GATE_FIXTURES_H
#define GATE_FIXTURES_H

#include <stdbool.h>
#include <string.h>

#include "gate.h"

/* Does val equal one of the NULL-terminated words at arg? */
static bool
match_any(const void *arg, const char *val, size_t len)
{
	const char *const	*w;

	for (w = arg; *w != NULL; w++)
		if (strlen(*w) == len && memcmp(*w, val, len) == 0)
			return true;
	return false;
}

static const char *const warn_error[] = { "warning", "error", NULL };
static const char *const audit[] = { "audit", NULL };

static const struct gate level_gate = {
	.require = { { "level", 5, match_any, warn_error } },
	.nrequire = 1,
};

static const struct gate audit_gate = {
	.require = { { "level", 5, match_any, warn_error } },
	.nrequire = 1,
	.rescue = { { "type", 4, match_any, audit } },
	.nrescue = 1,
};

#endif
