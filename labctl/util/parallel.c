/* lab_parallel: a fixed pool of threads taking indexes from a counter;
 * lab_parallel_all: a thread each, all or none. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
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

/* lab_parallel_all: every thread waits at the gate until all are made
 * (go) or one could not be (stop). */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int state; /* 0 waiting, 1 go, -1 stop */
};

struct gated {
	struct gate *gate;
	void *(*fn)(void *);
	void *arg;
};

static void *gated_main(void *p)
{
	struct gated *g = p;
	pthread_mutex_lock(&g->gate->mu);
	while (g->gate->state == 0)
		pthread_cond_wait(&g->gate->cv, &g->gate->mu);
	int go = g->gate->state > 0;
	pthread_mutex_unlock(&g->gate->mu);
	return go ? g->fn(g->arg) : NULL;
}

int lab_parallel_all(size_t n, void *(*fn)(void *), void *base, size_t size, struct lab_err *err)
{
	struct gate gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	pthread_t *th = lab_xcalloc(n ? n : 1, sizeof(*th));
	struct gated *gs = lab_xcalloc(n ? n : 1, sizeof(*gs));
	size_t made = 0;
	int rc = 0;
	for (; made < n; made++) {
		gs[made] = (struct gated){&gate, fn, (char *)base + made * size};
		int e = pthread_create(&th[made], NULL, gated_main, &gs[made]);
		if (e != 0) {
			char why[128];
			rc = lab_err_set(err, LAB_ERR, "cannot start thread %zu of %zu: %s", made + 1, n,
					 strerror_r(e, why, sizeof(why)));
			break;
		}
	}
	pthread_mutex_lock(&gate.mu);
	gate.state = rc == 0 ? 1 : -1;
	pthread_cond_broadcast(&gate.cv);
	pthread_mutex_unlock(&gate.mu);
	for (size_t i = 0; i < made; i++)
		pthread_join(th[i], NULL);
	pthread_cond_destroy(&gate.cv);
	pthread_mutex_destroy(&gate.mu);
	free(th);
	free(gs);
	return rc;
}

double lab_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
