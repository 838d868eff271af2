/*
 * dynlib.c — a shared library opened when first needed (see dynlib.h).
 */
#include <dlfcn.h>

#include "dynlib.h"

/* dlsym gives a void *; POSIX guarantees a function pointer fits it. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
    "function pointers are not the size of void *");

int
dynlib_open(const char *soname, const char *pkg, const char *const *names,
    void **syms, size_t n, struct err *e)
{
	void	*h;
	size_t	 i;

	/* RTLD_LOCAL: its symbols serve only the table, never another
	 * library's references. RTLD_NOW: a missing one fails here. */
	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return err_set(e, "cannot load %s: %s (install %s)", soname,
		    dlerror(), pkg);
	for (i = 0; i < n; i++)
		if ((syms[i] = dlsym(h, names[i])) == NULL) {
			err_set(e, "%s has no %s: it is too old (install a "
			    "newer %s)", soname, names[i], pkg);
			dlclose(h);
			return -1;
		}
	return 0;
}
