/*
 * strmap.h — a map from strings to pointers, for the lookups that run
 * once per file (the tail's live files, the pos file's entries): a node
 * follows ten thousand files, and a list walked per file is quadratic.
 *
 * Keys are not copied: each must live as long as its entry.
 */
#ifndef SHIPPER_STRMAP_H
#define SHIPPER_STRMAP_H

#include <stddef.h>

struct strmap_node;

struct strmap {
	struct strmap_node	**b;
	size_t			 nb;	/* a power of two, or 0 */
	size_t			 n;
};

void	*strmap_get(const struct strmap *m, const char *key);
/* Maps key to v, replacing what it mapped to. */
void	 strmap_set(struct strmap *m, const char *key, void *v);
/* Forgets key if it maps to v (another entry under the key stays). */
void	 strmap_del(struct strmap *m, const char *key, const void *v);
void	 strmap_free(struct strmap *m);

#endif
