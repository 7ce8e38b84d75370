/* lab_parallel: a fixed pool of threads taking indexes from a counter. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "buf.h"
#include "parallel.h"

struct par {
	size_t n, next;
	void (*fn)(size_t, void *);
	void *ud;
	pthread_mutex_t mu;
};

static void *par_worker(void *p)
{
	struct par *par = p;
	for (;;) {
		pthread_mutex_lock(&par->mu);
		size_t i = par->next++;
		pthread_mutex_unlock(&par->mu);
		if (i >= par->n)
			return NULL;
		par->fn(i, par->ud);
	}
}

void lab_parallel(size_t n, size_t max_threads, void (*fn)(size_t i, void *ud), void *ud)
{
	struct par par = {n, 0, fn, ud, PTHREAD_MUTEX_INITIALIZER};
	size_t t = n < max_threads ? n : max_threads;
	if (t <= 1) {
		for (size_t i = 0; i < n; i++)
			fn(i, ud);
		return;
	}
	/* t - 1 more threads; the caller is the t-th worker */
	pthread_t *th = lab_xcalloc(t - 1, sizeof(pthread_t));
	size_t made = 0;
	while (made < t - 1 && pthread_create(&th[made], NULL, par_worker, &par) == 0)
		made++;
	par_worker(&par);
	for (size_t i = 0; i < made; i++)
		pthread_join(th[i], NULL);
	free(th);
	pthread_mutex_destroy(&par.mu);
}

double lab_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
