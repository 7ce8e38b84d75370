/* Work on several threads, and the clock the workers measure with. */
#ifndef LAB_PARALLEL_H
#define LAB_PARALLEL_H

#include <stddef.h>

#include "err.h"

/* Run fn(i, ud) once for every i in [0, n) on up to max_threads threads,
 * the caller's among them, and return when all are done. fn is called
 * from several threads at once: what it shares it must lock.
 * When a thread cannot be created (pthread_create fails), the threads
 * that exist share the work, at worst the caller does it alone: slower,
 * never an error, never a hang. */
void lab_parallel(size_t n, size_t max_threads, void (*fn)(size_t i, void *ud), void *ud);

/* Run fn on n threads at once, the i-th with base + i * size (work that
 * must all run at the same time, like following every container's log),
 * and return when all are done. All or none: when a thread cannot be
 * created, fn runs on none (those made return without calling it) and the
 * error is LAB_ERR "cannot start thread I of N: <why>". */
int lab_parallel_all(size_t n, void *(*fn)(void *), void *base, size_t size, struct lab_err *err);

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double lab_now(void);

#endif
