/*
 * strmap.c — strings to pointers, chained, doubling (see strmap.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "mem.h"
#include "strmap.h"

struct strmap_node {
	const char		*key;
	void			*v;
	uint64_t		 h;
	struct strmap_node	*next;
};

static uint64_t
key_hash(const char *key)
{
	return fnv1a(key, strlen(key));
}

static struct strmap_node **
slot(const struct strmap *m, const char *key, uint64_t h)
{
	struct strmap_node	**pp = &m->b[h & (m->nb - 1)];

	while (*pp != NULL && ((*pp)->h != h || strcmp((*pp)->key, key) != 0))
		pp = &(*pp)->next;
	return pp;
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_node	*nd;

	if (m->nb == 0)
		return NULL;
	nd = *slot(m, key, key_hash(key));
	return nd != NULL ? nd->v : NULL;
}

static void
grow(struct strmap *m)
{
	size_t			 nb = m->nb ? 2 * m->nb : 64, i;
	struct strmap_node	**b = xcalloc(nb, sizeof *b), *nd, *next;

	for (i = 0; i < m->nb; i++)
		for (nd = m->b[i]; nd != NULL; nd = next) {
			next = nd->next;
			nd->next = b[nd->h & (nb - 1)];
			b[nd->h & (nb - 1)] = nd;
		}
	free(m->b);
	m->b = b;
	m->nb = nb;
}

void
strmap_set(struct strmap *m, const char *key, void *v)
{
	uint64_t		 h = key_hash(key);
	struct strmap_node	**pp, *nd;

	if (m->n >= m->nb)
		grow(m);
	pp = slot(m, key, h);
	if ((nd = *pp) == NULL) {
		nd = *pp = xcalloc(1, sizeof *nd);
		nd->h = h;
		m->n++;
	}
	nd->key = key;
	nd->v = v;
}

void
strmap_del(struct strmap *m, const char *key, const void *v)
{
	struct strmap_node	**pp, *nd;

	if (m->nb == 0)
		return;
	pp = slot(m, key, key_hash(key));
	if ((nd = *pp) == NULL || nd->v != v)
		return;
	*pp = nd->next;
	free(nd);
	m->n--;
}

void
strmap_free(struct strmap *m)
{
	struct strmap_node	*nd, *next;
	size_t			 i;

	for (i = 0; i < m->nb; i++)
		for (nd = m->b[i]; nd != NULL; nd = next) {
			next = nd->next;
			free(nd);
		}
	free(m->b);
	memset(m, 0, sizeof *m);
}
