/*
 * json_tree.h — yajl's tree parser for JSON from a peer (Elasticsearch,
 * the API server), with its nesting bounded.
 *
 * yajl_tree_parse accepts any depth, and yajl_tree_free (like every walk
 * of a tree) recurses once per level: a body of a million '[' from a
 * broken or hostile peer would overflow the stack. The text is measured
 * first, without allocating, and refused past max_depth.
 */
#ifndef PARSERS_JSON_TREE_H
#define PARSERS_JSON_TREE_H

#include <stddef.h>

#include <yajl/yajl_tree.h>

/* The deepest nesting of arrays and objects in the string s (inside
 * strings nothing counts), or max_depth + 1 once it is deeper. */
unsigned	json_depth(const char *s, unsigned max_depth);

/*
 * The string s as a tree (free it with yajl_tree_free), or NULL with the
 * reason in err: nested deeper than max_depth, or yajl's message.
 */
yajl_val	json_tree_parse(const char *s, unsigned max_depth, char *err,
		    size_t errlen);

#endif
