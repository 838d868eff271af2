/*
 * source_origin.c — see source_origin.h.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "source_origin.h"
#include "tail.h"

/* The kubelet's "0.log", "12.log". */
static bool
numbered_log(const char *base)
{
	const char	*p = base;

	while (isdigit((unsigned char)*p))
		p++;
	return p > base && strcmp(p, ".log") == 0;
}

/* The start of the path component that ends just before `end`. */
static const char *
component_start(const char *path, const char *end)
{
	while (end > path && end[-1] != '/')
		end--;
	return end;
}

char *
source_origin_of(const char *resolved)
{
	const char	*slash = strrchr(resolved, '/');
	const char	*dir, *pod;
	char		*base, *s;

	base = rotated_base_name(slash ? slash + 1 : resolved);
	if (slash == NULL || !numbered_log(base))
		return base;
	dir = component_start(resolved, slash);
	if (dir == resolved || (pod = component_start(resolved, dir - 1)) ==
	    dir - 1)
		return base;
	s = xasprintf("%.*s%s", (int)(slash + 1 - pod), pod, base);
	free(base);
	return s;
}

char *
source_origin(const char *path)
{
	char	*real = realpath(path, NULL);
	char	*s = source_origin_of(real != NULL ? real : path);

	free(real);
	return s;
}
