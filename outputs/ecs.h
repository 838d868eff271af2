/*
 * ecs.h — `<format> @type ecs`: a record as an Elastic Common Schema 8
 * document, for a SIEM (the mapping is the README's table, and ecs.c's
 * one table of security events).
 */
#ifndef OUTPUTS_ECS_H
#define OUTPUTS_ECS_H

#include "record.h"
#include "strbuf.h"

/* Appends r as one ECS JSON object (no newline). */
void	ecs_put_record(struct strbuf *out, const struct batch *b,
	    const struct record *r);

#endif
