/*
 * source_id.c — a record's identity as text (see source_id.h). The
 * bytes hashed never change: ids written by one version must be those
 * of the next, or a replay across an upgrade would duplicate.
 */
#include "hash.h"
#include "source_id.h"

static void
hex16(char *out, uint64_t v)
{
	static const char	 digits[] = "0123456789abcdef";
	int			 i;

	for (i = 15; i >= 0; i--, v >>= 4)
		out[i] = digits[v & 15];
}

bool
source_id(const struct batch *b, const struct record *r,
    char out[SOURCE_ID_LEN + 1])
{
	unsigned char	 le[8];
	uint64_t	 h;
	int		 i;

	if (r->source_id == 0)
		return false;
	for (i = 0; i < 8; i++)		/* the same bytes on any machine */
		le[i] = (unsigned char)(r->source_id >> (8 * i));
	h = fnv1a_update(FNV1A_BASIS, le, sizeof le);
	if (b->origin != NULL)
		h = fnv1a_update(h, b->origin, b->originlen);
	/* The @ERROR copy must not overwrite the record it was made of. */
	if (r->flags & REC_ERROR_COPY)
		h = fnv1a_update(h, "@ERROR", 6);
	hex16(out, h);
	hex16(out + 16, r->offset);
	out[SOURCE_ID_LEN] = '\0';
	return true;
}
