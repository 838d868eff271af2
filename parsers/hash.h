/*
 * hash.h — FNV-1a, 64 bits: file fingerprints, tag tables and backfill
 * shards. Fingerprints become record identities, so this never changes.
 */
#ifndef PARSERS_HASH_H
#define PARSERS_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_BASIS	14695981039346656037ULL
#define FNV1A_PRIME	1099511628211ULL

/* Goes on hashing n more bytes after h (FNV1A_BASIS to start). */
static inline uint64_t
fnv1a_update(uint64_t h, const void *p, size_t n)
{
	const unsigned char	*s = p;

	while (n-- > 0)
		h = (h ^ *s++) * FNV1A_PRIME;
	return h;
}

static inline uint64_t
fnv1a(const void *p, size_t n)
{
	return fnv1a_update(FNV1A_BASIS, p, n);
}

#endif
