/* This binary's pthread_create: the real one (found with RTLD_NEXT, the
 * sanitizer's interceptor under ASan) unless a test set a limit with
 * threads_ok (threads_ok.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "threads_ok.h"

static atomic_int left = -1;
static int (*real_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

__attribute__((constructor)) static void find_pthread_create(void)
{
	real_pthread_create = (int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))dlsym(
		RTLD_NEXT, "pthread_create");
}

void threads_ok(int n)
{
	atomic_store(&left, n);
}

int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	int n = atomic_load(&left);
	if (n == 0)
		return EAGAIN;
	if (n > 0)
		atomic_fetch_sub(&left, 1);
	return real_pthread_create(th, attr, fn, arg);
}
