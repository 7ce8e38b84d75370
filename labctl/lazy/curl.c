/* libcurl (libcurl.so.4, Debian package libcurl4), loaded on first use
 * (lab_engine_open, the S3 client, http probes and checks; validate,
 * export and --help do not load it): the functions labctl calls, each with
 * the prototype from <curl/curl.h>, forwarding to the real one. See lazy.h
 * (errors: lab_lazy_load(LAB_LAZY_CURL) returns them).
 *
 * Loading it late lets labctl skip GnuTLS's implicit initialisation:
 * Debian's OpenSSL-flavoured libcurl links librtmp and libldap, which link
 * GnuTLS, whose library constructor runs gnutls_global_init() (p11-kit,
 * ...) although labctl never uses GnuTLS (curl does TLS with OpenSSL;
 * librtmp and libldap call gnutls_global_init() themselves before they use
 * it). GnuTLS skips that when GNUTLS_NO_IMPLICIT_INIT=1 is in the
 * environment while it is loaded, so the loader sets it around dlopen()
 * (unless the user set it) and removes it again. */
#define CURL_DISABLE_TYPECHECK 1
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "lazy.h"

#define CURL_FUNCS(X)                                                                              \
	X(curl_easy_cleanup)                                                                       \
	X(curl_easy_escape)                                                                        \
	X(curl_easy_getinfo)                                                                       \
	X(curl_easy_init)                                                                          \
	X(curl_easy_perform)                                                                       \
	X(curl_easy_recv)                                                                          \
	X(curl_easy_reset)                                                                         \
	X(curl_easy_send)                                                                          \
	X(curl_easy_setopt)                                                                        \
	X(curl_easy_strerror)                                                                      \
	X(curl_free)                                                                               \
	X(curl_global_cleanup)                                                                     \
	X(curl_global_init)                                                                        \
	X(curl_slist_append)                                                                       \
	X(curl_slist_free_all)

/* lazy_open with GNUTLS_NO_IMPLICIT_INIT=1 around it (see above) */
static int open_curl(struct lazy_lib *l)
{
	static const char var[] = "GNUTLS_NO_IMPLICIT_INIT";
	int set = !getenv(var) && setenv(var, "1", 0) == 0;
	int rc = lazy_open(l);
	if (set)
		unsetenv(var);
	return rc;
}

LAZY_LIBRARY(curl, CURL_FUNCS, open_curl, "libcurl.so.4", "libcurl4", "LABCTL_LAZY_CURL")
#define CU() lazy_fn()

CURLcode curl_global_init(long flags)
{
	return CU()->curl_global_init(flags);
}

void curl_global_cleanup(void)
{
	CU()->curl_global_cleanup();
}

CURL *curl_easy_init(void)
{
	return CU()->curl_easy_init();
}

/* The argument's type follows from the option's number (curl.h's
 * CURLOPTTYPE_* ranges): long, pointer, function pointer, curl_off_t, blob
 * pointer. */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
	va_list ap;
	CURLcode rc;
	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = CU()->curl_easy_setopt(curl, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_FUNCTIONPOINT)
		rc = CU()->curl_easy_setopt(curl, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_OFF_T)
		rc = CU()->curl_easy_setopt(curl, option, va_arg(ap, void (*)(void)));
	else if (option < CURLOPTTYPE_BLOB)
		rc = CU()->curl_easy_setopt(curl, option, va_arg(ap, curl_off_t));
	else
		rc = CU()->curl_easy_setopt(curl, option, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* Every CURLINFO takes one pointer. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	va_list ap;
	va_start(ap, info);
	CURLcode rc = CU()->curl_easy_getinfo(curl, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLcode curl_easy_perform(CURL *curl)
{
	return CU()->curl_easy_perform(curl);
}

CURLcode curl_easy_recv(CURL *curl, void *buffer, size_t buflen, size_t *n)
{
	return CU()->curl_easy_recv(curl, buffer, buflen, n);
}

CURLcode curl_easy_send(CURL *curl, const void *buffer, size_t buflen, size_t *n)
{
	return CU()->curl_easy_send(curl, buffer, buflen, n);
}

void curl_easy_reset(CURL *curl)
{
	CU()->curl_easy_reset(curl);
}

void curl_easy_cleanup(CURL *curl)
{
	CU()->curl_easy_cleanup(curl);
}

const char *curl_easy_strerror(CURLcode code)
{
	return CU()->curl_easy_strerror(code);
}

char *curl_easy_escape(CURL *handle, const char *string, int length)
{
	return CU()->curl_easy_escape(handle, string, length);
}

void curl_free(void *p)
{
	CU()->curl_free(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *data)
{
	return CU()->curl_slist_append(list, data);
}

void curl_slist_free_all(struct curl_slist *list)
{
	CU()->curl_slist_free_all(list);
}
