/*
 * dynlib.h — a shared library opened only when a configuration needs it.
 *
 * libcurl and librdkafka bring TLS, HTTP/2, Kerberos, LDAP and three
 * compressors with them: linked, their mappings and relocations were
 * over half of the shipper's resident memory in a pipeline that uses
 * none of them. So the plugins that need them open them with dlopen at
 * init (a missing library is then a config-time error, --dry-run
 * included), and their functions are resolved once into a table.
 *
 * A library's functions are listed once, each as
 * F(return type, name, (parameters), (arguments)), V(...) when it
 * returns void, P(...) when it is variadic (no stub: a C function cannot
 * pass its variable arguments on; forwarded by hand). The list
 * gives an index per function into the table (a static array named
 * dynlib_sym), the names to resolve, and a stub per function under the
 * library's own name, with its header's prototype (the compiler checks
 * they agree), that calls through the table: callers keep calling
 * curl_easy_init().
 */
#ifndef SHIPPER_DYNLIB_H
#define SHIPPER_DYNLIB_H

#include <stddef.h>

#include "err.h"

#define DYNLIB_INDEX(r, n, p, a)	dynlib_ix_##n,
#define DYNLIB_NAME(r, n, p, a)		#n,
/* The resolved n, typed as the library's header declares it. */
#define DYNLIB_FN(n)	((__typeof__(n) *)dynlib_sym[dynlib_ix_##n])
#define DYNLIB_STUB(r, n, p, a)		r (n) p { return DYNLIB_FN(n) a; }
#define DYNLIB_STUB_VOID(r, n, p, a)	void (n) p { DYNLIB_FN(n) a; }
#define DYNLIB_NONE(r, n, p, a)

/*
 * Opens soname once and resolves names[0..n) into syms: 0, or -1 with e
 * set to what is missing and the package that provides it (pkg). The
 * library stays loaded for the life of the process.
 */
int	dynlib_open(const char *soname, const char *pkg,
	    const char *const *names, void **syms, size_t n, struct err *e);

#endif
