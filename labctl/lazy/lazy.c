/* dlopen / dlsym with labctl's error for a library that cannot be
 * loaded; see lazy.h. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "lazy.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int (*const loaders[])(struct lab_err *) = {
	[LAB_LAZY_CURL] = lazy_load_curl,
	[LAB_LAZY_PQ] = lazy_load_pq,
	[LAB_LAZY_RDKAFKA] = lazy_load_rdkafka,
	[LAB_LAZY_ARCHIVE] = lazy_load_archive,
};
_Static_assert(ARRAY_SIZE(loaders) == LAB_LAZY__COUNT, "one loader per lazily loaded library");

int lab_lazy_load(enum lab_lazy_lib lib, struct lab_err *err)
{
	if ((unsigned)lib >= LAB_LAZY__COUNT)
		return lab_err_set(err, LAB_ERR, "no lazily loaded library number %d", (int)lib);
	return loaders[lib](err);
}

/* The file to load: $env when set and not empty, else the soname. */
static const char *lazy_file(const struct lazy_lib *lib)
{
	const char *v = getenv(lib->env);
	return v && *v ? v : lib->soname;
}

int lazy_open(struct lazy_lib *lib)
{
	const char *file = lazy_file(lib);
	lib->handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
	if (lib->handle)
		return 0;
	const char *why = dlerror();
	if (file != lib->soname)
		snprintf(lib->msg, sizeof(lib->msg), "cannot load '%s' (from %s, instead of %s): %s", file, lib->env, lib->soname,
			 why ? why : "not found");
	else
		snprintf(lib->msg, sizeof(lib->msg),
			 "cannot load '%s': %s; install the Debian package %s (or set %s to the library's path)", file,
			 why ? why : "not found", lib->package, lib->env);
	return -1;
}

void *lazy_sym(struct lazy_lib *lib, const char *name)
{
	dlerror(); /* clear */
	void *p = dlsym(lib->handle, name);
	if (!p) {
		const char *why = dlerror();
		snprintf(lib->msg, sizeof(lib->msg), "cannot load '%s' from '%s': %s; upgrade the Debian package %s",
			 name, lazy_file(lib), why ? why : "symbol not found", lib->package);
	}
	return p;
}

int lazy_result(const struct lazy_lib *lib, struct lab_err *err)
{
	if (lib->loaded)
		return 0;
	return lab_err_set(err, LAB_ENOLIB, "%s", lib->msg[0] ? lib->msg : "library not loaded");
}

void lazy_need(const struct lazy_lib *lib)
{
	if (!lib->loaded)
		abort();
}
