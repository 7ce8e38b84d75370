/* dlopen / dlsym with labctl's one-line error and exit status 3; see lazy.h. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "../util/err.h"
#include "lazy.h"

static _Noreturn void lazy_fail(const struct lazy_lib *lib, const char *name)
{
	const char *why = dlerror();
	fflush(stdout);
	if (name)
		fprintf(stderr, "labctl: cannot load %s from %s (%s); upgrade the Debian package %s\n", name,
			lib->soname, why ? why : "symbol not found", lib->package);
	else
		fprintf(stderr, "labctl: cannot load %s (%s); install the Debian package %s\n", lib->soname,
			why ? why : "not found", lib->package);
	exit(LAB_EXIT_ENGINE);
}

void lazy_open(struct lazy_lib *lib)
{
	lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib->handle)
		lazy_fail(lib, NULL);
}

void *lazy_sym(struct lazy_lib *lib, const char *name)
{
	dlerror(); /* clear */
	void *p = dlsym(lib->handle, name);
	if (!p)
		lazy_fail(lib, name);
	return p;
}
