/*
 * reference.h — the configuration reference, from the parameter tables.
 *
 * `spire-shipper --reference` prints it; the README's reference section
 * (and so the man page) is this output, and a test keeps them equal.
 */
#ifndef SHIPPER_REFERENCE_H
#define SHIPPER_REFERENCE_H

#include "strbuf.h"

void	reference_write(struct strbuf *out);

#endif
