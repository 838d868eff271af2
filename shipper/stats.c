/*
 * stats.c — counters for every stage (see stats.h).
 */
#include "stats.h"

const char *
drop_reason_name(enum drop_reason r)
{
	switch (r) {
	case DROP_GREP:		return "grep";
	case DROP_UNMATCHED:	return "unmatched_tag";
	case DROP_OUTPUT:	return "output_rejected";
	case DROP_AUDIT_AGENT_SYNC: return "audit_agent_sync";
	case DROP_NREASONS:	break;
	}
	return "?";
}

uint64_t
stats_bad_total(const struct stats *st)
{
	uint64_t	 n = 0;
	int		 k;

	for (k = BAD_NONE + 1; k < BAD_NKINDS; k++)
		n += st->bad[k];
	return n;
}

uint64_t
stats_dropped_total(const struct stats *st)
{
	uint64_t	 n = 0;
	int		 r;

	for (r = 0; r < DROP_NREASONS; r++)
		n += st->dropped[r];
	return n;
}
