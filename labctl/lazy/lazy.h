/* Lazily loaded shared libraries.
 *
 * libpq, librdkafka, libarchive and libcurl are not linked into labctl:
 * only the commands that use them load them (libpq and librdkafka: the
 * readiness probes of up, verify; libarchive: run, verify, image build
 * contexts; libcurl: the first curl call, main's curl_global_init before
 * any command runs), so the others do not pay for their code, their
 * dependencies (libstdc++, ICU, libxml2, ...) and their library
 * constructors. See curl.c for why a late libcurl also saves GnuTLS's
 * initialisation.
 *
 * labctl/lazy/pq.c, rdkafka.c, archive.c and curl.c define a trampoline
 * with the exact prototype from the library's header for every function
 * labctl uses. The first call into a library (from any thread; the load runs once,
 * under pthread_once) dlopen()s it by soname with RTLD_NOW | RTLD_LOCAL and
 * resolves all of that library's functions at once; later calls are one
 * indirect call.
 *
 * When the library (or one of its functions) cannot be loaded, labctl
 * prints one line to stderr, e.g.
 *   labctl: cannot load libpq.so.5 (<dlerror>); install the Debian package libpq5
 * and exits with status 3. The libraries and their packages:
 *   libpq.so.5        libpq5
 *   librdkafka.so.1   librdkafka1
 *   libarchive.so.13  libarchive13
 *   libcurl.so.4      libcurl4
 *
 * A function labctl starts to use must be added to its library's file
 * (else the link fails with an undefined reference).
 */
#ifndef LAB_LAZY_H
#define LAB_LAZY_H

/* A library loaded on first use. */
struct lazy_lib {
	const char *soname;  /* e.g. "libpq.so.5" */
	const char *package; /* the Debian package that ships it, e.g. "libpq5" */
	void *handle;        /* set by lazy_open */
};

/* dlopen lib->soname (RTLD_NOW | RTLD_LOCAL) into lib->handle. Not
 * thread-safe by itself: call it from a pthread_once routine.
 * Errors: prints the one-line message above and exits with status 3. */
void lazy_open(struct lazy_lib *lib);

/* The address of the function name in lib (opened with lazy_open).
 * Errors: a missing symbol (a library too old) prints
 *   labctl: cannot load NAME from SONAME (<dlerror>); upgrade the Debian package PACKAGE
 * and exits with status 3. Never returns NULL. */
void *lazy_sym(struct lazy_lib *lib, const char *name);

#endif
