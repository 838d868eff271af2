/*
 * fsutil.c — small filesystem helpers (see fsutil.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "mem.h"

int
mkdir_parents(const char *path, mode_t mode, struct err *e)
{
	char	*p = xstrdup(path), *s;
	int	 rc = 0;

	for (s = p + 1; *s != '\0' && rc == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST)
			rc = err_set(e, "cannot create directory %s: %s", p,
			    strerror(errno));
		*s = '/';
	}
	free(p);
	return rc;
}
