/* Work on several threads, and the clock the workers measure with. */
#ifndef LAB_PARALLEL_H
#define LAB_PARALLEL_H

#include <stddef.h>

/* Run fn(i, ud) once for every i in [0, n) on up to max_threads threads
 * and return when all are done. fn is called from several threads at
 * once: what it shares it must lock. */
void lab_parallel(size_t n, size_t max_threads, void (*fn)(size_t i, void *ud), void *ud);

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double lab_now(void);

#endif
