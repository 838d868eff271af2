/*
 * buffer_stub.c — weak stand-ins for the chunk functions of buffer.c,
 * so that buffered outputs link before buffer.c exists. buffer.c's
 * definitions replace them; delete this file when it lands.
 */
#include <stdio.h>
#include <stdlib.h>

#include "buffer.h"

static void __attribute__((noreturn))
no_buffer(const char *fn)
{
	fprintf(stderr, "spire-shipper: %s: this build has no buffer.c\n", fn);
	abort();
}

__attribute__((weak)) const struct buffer_cfg *
buffer_config(const struct buffer *bf)
{
	(void)bf;
	return NULL;
}

__attribute__((weak)) size_t
chunk_nentries(const struct chunk *c)
{
	(void)c;
	no_buffer(__func__);
}

__attribute__((weak)) const char *
chunk_entry(const struct chunk *c, size_t i, uint32_t *len)
{
	(void)c, (void)i, (void)len;
	no_buffer(__func__);
}

__attribute__((weak)) bool
chunk_entry_pending(const struct chunk *c, size_t i)
{
	(void)c, (void)i;
	no_buffer(__func__);
}

__attribute__((weak)) void
chunk_settle(struct chunk *c, size_t i, enum entry_result r)
{
	(void)c, (void)i, (void)r;
	no_buffer(__func__);
}

__attribute__((weak)) void
chunk_done(struct chunk *c, const struct err *fail)
{
	(void)c, (void)fail;
	no_buffer(__func__);
}
