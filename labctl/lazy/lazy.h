/* Lazily loaded shared libraries.
 *
 * libpq, librdkafka, libarchive and libcurl are not linked into labctl:
 * only the commands that use them load them (libpq and librdkafka: the
 * readiness probes of up, verify; libarchive: run, verify, image build
 * contexts; libcurl: lab_engine_open, the S3 client, http probes and
 * checks), so the others do not pay for their code, their dependencies
 * (libstdc++, ICU, libxml2, ...) and their library constructors. See
 * curl.c for why a late libcurl also saves GnuTLS's initialisation.
 *
 * labctl/lazy/pq.c, rdkafka.c, archive.c and curl.c define a trampoline
 * with the exact prototype from the library's header for every function
 * labctl uses. A module that uses a library calls lab_lazy_load first and
 * returns its error: loading happens once per process (from any thread,
 * under pthread_once), dlopen()s the library with RTLD_NOW | RTLD_LOCAL and
 * resolves all of that library's functions at once; later calls are one
 * indirect call. Nothing here prints or exits: a library that cannot be
 * loaded is a LAB_ENOLIB error for the caller, which the command layer
 * reports with exit code 3. (A trampoline called although the library
 * could not be loaded, i.e. by code that skipped lab_lazy_load, abort()s:
 * that is a bug, not a missing library.)
 *
 * The libraries, their packages and the variable that names another file
 * for one (a full path or another soname, for systems whose library has
 * another name or lives elsewhere; also used by tests to make loading fail):
 *   libcurl.so.4      libcurl4       LABCTL_LAZY_CURL
 *   libpq.so.5        libpq5         LABCTL_LAZY_PQ
 *   librdkafka.so.1   librdkafka1    LABCTL_LAZY_RDKAFKA
 *   libarchive.so.13  libarchive13   LABCTL_LAZY_ARCHIVE
 *
 * A function labctl starts to use must be added to its library's file
 * (else the link fails with an undefined reference).
 */
#ifndef LAB_LAZY_H
#define LAB_LAZY_H

#include <pthread.h>

#include "../util/err.h"

enum lab_lazy_lib {
	LAB_LAZY_CURL,
	LAB_LAZY_PQ,
	LAB_LAZY_RDKAFKA,
	LAB_LAZY_ARCHIVE,
	LAB_LAZY__COUNT,
};

/* Load lib (once per process; thread-safe; later calls give the first
 * outcome). Call it before the first call into the library.
 * Errors: LAB_ENOLIB, e.g.
 *   cannot load 'libpq.so.5': libpq.so.5: cannot open shared object file: No such file or directory;
 *   install the Debian package libpq5 (or set LABCTL_LAZY_PQ to the library's path)
 * or, for a library too old,
 *   cannot load 'PQfoo' from 'libpq.so.5': <dlerror>; upgrade the Debian package libpq5 */
int lab_lazy_load(enum lab_lazy_lib lib, struct lab_err *err);

/* ---- for the library files (pq.c, rdkafka.c, archive.c, curl.c) ---- */

/* A library loaded on first use. */
struct lazy_lib {
	const char *soname;  /* e.g. "libpq.so.5" */
	const char *package; /* the Debian package that ships it, e.g. "libpq5" */
	const char *env;     /* the variable that overrides soname, e.g. "LABCTL_LAZY_PQ" */
	void *handle;        /* set by lazy_open */
	int loaded;          /* every function resolved */
	char msg[1024];      /* why not, when not */
};

/* dlopen lib's file ($env, else soname; RTLD_NOW | RTLD_LOCAL) into
 * lib->handle. Call it from a pthread_once routine. Returns 0, or -1 with
 * lib->msg set. */
int lazy_open(struct lazy_lib *lib);

/* The address of the function name in lib (opened with lazy_open), or NULL
 * with lib->msg set (a library too old). */
void *lazy_sym(struct lazy_lib *lib, const char *name);

/* lib's outcome after its pthread_once routine ran: 0, or LAB_ENOLIB with
 * lib->msg in err. */
int lazy_result(const struct lazy_lib *lib, struct lab_err *err);

/* For trampolines: lib after loading; abort()s when it could not be loaded
 * (the caller skipped lab_lazy_load, see above). */
void lazy_need(const struct lazy_lib *lib);

/* The whole loader of one library file: a table fn with a pointer for
 * every function FUNCS lists (an X-macro: FUNCS(X) expands X(name) for
 * each), the struct lazy_lib lib {SONAME, PACKAGE, ENV}, int
 * lazy_load_NAME(struct lab_err *) for lab_lazy_load, and lazy_fn(), the
 * table after loading, which the file's trampolines call through (it
 * loads on first use too: unit tests call the library directly).
 * OPEN(&lib) dlopens: lazy_open, or a wrapper around it (curl.c). */
#define LAZY_FIELD(f) __typeof__(f) *f;
#define LAZY_RESOLVE(f)                                                                            \
	if (!(fn.f = (__typeof__(fn.f))lazy_sym(&lib, #f)))                                        \
		return;
#define LAZY_LIBRARY(NAME, FUNCS, OPEN, SONAME, PACKAGE, ENV)                                     \
	static struct {                                                                            \
		FUNCS(LAZY_FIELD)                                                                  \
	} fn;                                                                                      \
	static struct lazy_lib lib = {SONAME, PACKAGE, ENV, NULL, 0, ""};                          \
	static pthread_once_t once = PTHREAD_ONCE_INIT;                                            \
	static void load(void)                                                                     \
	{                                                                                          \
		if (OPEN(&lib) < 0)                                                                \
			return;                                                                    \
		FUNCS(LAZY_RESOLVE)                                                                \
		lib.loaded = 1;                                                                    \
	}                                                                                          \
	int lazy_load_##NAME(struct lab_err *err)                                                  \
	{                                                                                          \
		pthread_once(&once, load);                                                         \
		return lazy_result(&lib, err);                                                     \
	}                                                                                          \
	static __typeof__(fn) *lazy_fn(void)                                                       \
	{                                                                                          \
		pthread_once(&once, load);                                                         \
		lazy_need(&lib);                                                                   \
		return &fn;                                                                        \
	}

/* The loaders lab_lazy_load dispatches to, one per library file. */
int lazy_load_curl(struct lab_err *err);
int lazy_load_pq(struct lab_err *err);
int lazy_load_rdkafka(struct lab_err *err);
int lazy_load_archive(struct lab_err *err);

#endif
