/* Work on several threads, and the clock the workers measure with. */
#ifndef LAB_PARALLEL_H
#define LAB_PARALLEL_H

#include <stddef.h>

/* Run fn(i, ud) once for every i in [0, n) on up to max_threads threads,
 * the caller's among them, and return when all are done. fn is called
 * from several threads at once: what it shares it must lock.
 * When a thread cannot be created (pthread_create fails), the threads
 * that exist share the work, at worst the caller does it alone: slower,
 * never an error, never a hang. */
void lab_parallel(size_t n, size_t max_threads, void (*fn)(size_t i, void *ud), void *ud);

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double lab_now(void);

#endif
