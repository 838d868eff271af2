/*
 * libcurl.c — the libcurl functions the shipper calls, resolved from the
 * library when a plugin first needs it (see dynlib.h, libcurl.h).
 */
#include <stdarg.h>

#include <curl/curl.h>

#include "autoconfig.h"
#include "dynlib.h"
#include "libcurl.h"

#define CURL_FUNCTIONS(F, V, P) \
	F(CURLcode, curl_global_init, (long flags), (flags)) \
	V(void, curl_global_cleanup, (void), ()) \
	F(CURL *, curl_easy_init, (void), ()) \
	V(void, curl_easy_cleanup, (CURL *c), (c)) \
	P(CURLcode, curl_easy_setopt, (), ()) \
	P(CURLcode, curl_easy_getinfo, (), ()) \
	F(const char *, curl_easy_strerror, (CURLcode rc), (rc)) \
	F(char *, curl_easy_escape, (CURL *c, const char *s, int len), \
	    (c, s, len)) \
	V(void, curl_free, (void *p), (p)) \
	F(struct curl_slist *, curl_slist_append, \
	    (struct curl_slist *l, const char *s), (l, s)) \
	V(void, curl_slist_free_all, (struct curl_slist *l), (l)) \
	F(CURLM *, curl_multi_init, (void), ()) \
	F(CURLMcode, curl_multi_cleanup, (CURLM *m), (m)) \
	P(CURLMcode, curl_multi_setopt, (), ()) \
	F(CURLMcode, curl_multi_add_handle, (CURLM *m, CURL *c), (m, c)) \
	F(CURLMcode, curl_multi_remove_handle, (CURLM *m, CURL *c), (m, c)) \
	F(CURLMcode, curl_multi_assign, (CURLM *m, curl_socket_t s, void *p), \
	    (m, s, p)) \
	F(CURLMcode, curl_multi_socket_action, \
	    (CURLM *m, curl_socket_t s, int ev, int *running), \
	    (m, s, ev, running)) \
	F(CURLMcode, curl_multi_perform, (CURLM *m, int *running), \
	    (m, running)) \
	F(CURLMcode, curl_multi_poll, (CURLM *m, struct curl_waitfd *fds, \
	    unsigned int nfds, int ms, int *ret), (m, fds, nfds, ms, ret)) \
	F(CURLMcode, curl_multi_wakeup, (CURLM *m), (m)) \
	F(CURLMsg *, curl_multi_info_read, (CURLM *m, int *left), (m, left)) \
	F(const char *, curl_multi_strerror, (CURLMcode rc), (rc))

enum { CURL_FUNCTIONS(DYNLIB_INDEX, DYNLIB_INDEX, DYNLIB_INDEX) CURL_N };
static void	*dynlib_sym[CURL_N];

int
libcurl_load(struct err *e)
{
	static const char *const names[] = {
		CURL_FUNCTIONS(DYNLIB_NAME, DYNLIB_NAME, DYNLIB_NAME)
	};

	/* The runtime package of the -dev one configure found. */
	return dynlib_open(CURL_SONAME, "libcurl4", names, dynlib_sym, CURL_N,
	    e);
}

CURL_FUNCTIONS(DYNLIB_STUB, DYNLIB_STUB_VOID, DYNLIB_NONE)

/*
 * The variadic ones. curl.h numbers each option by the type of its
 * argument (CURLOPTTYPE_LONG, _OBJECTPOINT, _FUNCTIONPOINT, _OFF_T,
 * _BLOB, 10000 apart), which is how libcurl itself reads it; any
 * function pointer is read as one type, as libcurl does too.
 */
#define FORWARD_OPTION(f, h, o, ap) \
	((o) / 10000 * 10000 == CURLOPTTYPE_LONG ? \
	    f(h, o, va_arg(ap, long)) : \
	(o) / 10000 * 10000 == CURLOPTTYPE_FUNCTIONPOINT ? \
	    f(h, o, va_arg(ap, void (*)(void))) : \
	(o) / 10000 * 10000 == CURLOPTTYPE_OFF_T ? \
	    f(h, o, va_arg(ap, curl_off_t)) : \
	    f(h, o, va_arg(ap, void *)))
#define FORWARD_SETOPT(r, n, handle, option) \
	r (n)(handle *h, option o, ...) \
	{ \
		va_list	 ap; \
		r	 rc; \
		va_start(ap, o); \
		rc = FORWARD_OPTION(DYNLIB_FN(n), h, o, ap); \
		va_end(ap); \
		return rc; \
	}
FORWARD_SETOPT(CURLcode, curl_easy_setopt, CURL, CURLoption)
FORWARD_SETOPT(CURLMcode, curl_multi_setopt, CURLM, CURLMoption)

/* Every CURLINFO_ takes a pointer to where the answer goes. */
CURLcode
(curl_easy_getinfo)(CURL *c, CURLINFO info, ...)
{
	va_list		 ap;
	CURLcode	 rc;

	va_start(ap, info);
	rc = DYNLIB_FN(curl_easy_getinfo)(c, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}
