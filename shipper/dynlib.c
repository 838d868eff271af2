/*
 * dynlib.c — a shared library opened when first needed (see dynlib.h).
 */
#include <dlfcn.h>
#include <string.h>

#include "dynlib.h"

int
dynlib_open(const char *soname, const char *pkg, const char *const *names,
    void **syms, size_t n, struct err *e)
{
	void	*h;
	size_t	 i;

	if (syms[n - 1] != NULL)	/* all resolved, or none */
		return 0;
	/* RTLD_LOCAL: its symbols serve only the table, never another
	 * library's references. RTLD_NOW: a missing one fails here. */
	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return err_set(e, "cannot load %s: %s (install %s)", soname,
		    dlerror(), pkg);
	for (i = 0; i < n; i++)
		if ((syms[i] = dlsym(h, names[i])) == NULL) {
			err_set(e, "%s has no %s: it is too old (install a "
			    "newer %s)", soname, names[i], pkg);
			memset(syms, 0, n * sizeof *syms);
			dlclose(h);
			return -1;
		}
	return 0;
}
