/*
 * json_tree.c — a depth check, then yajl's tree parser (see json_tree.h).
 */
#include <stdio.h>
#include <string.h>

#include "json_tree.h"

unsigned
json_depth(const char *s, unsigned max_depth)
{
	unsigned	 depth = 0, deepest = 0;
	int		 in_string = 0;
	char		 c;

	for (; (c = *s) != '\0'; s++) {
		if (in_string) {
			if (c == '\\' && s[1] != '\0')
				s++;	/* the escaped byte is no quote */
			else if (c == '"')
				in_string = 0;
		} else if (c == '"')
			in_string = 1;
		else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				return max_depth + 1;
			if (depth > deepest)
				deepest = depth;
		} else if ((c == ']' || c == '}') && depth > 0)
			depth--;
	}
	return deepest;
}

yajl_val
json_tree_parse(const char *s, unsigned max_depth, char *err, size_t errlen)
{
	char		 ybuf[256], *nl;
	yajl_val	 v;

	if (json_depth(s, max_depth) > max_depth) {
		if (errlen > 0)
			snprintf(err, errlen, "JSON nested deeper than %u "
			    "levels", max_depth);
		return NULL;
	}
	v = yajl_tree_parse(s, ybuf, sizeof ybuf);
	if (v == NULL && errlen > 0) {
		if ((nl = strchr(ybuf, '\n')) != NULL)
			*nl = '\0';
		snprintf(err, errlen, "invalid JSON: %s", ybuf);
	}
	return v;
}
