/* Threads that cannot be made (threads_ok.h): lab_parallel still runs
 * every item exactly once, on fewer threads; lab_parallel_all (logs
 * --follow) runs none and says why. Neither hangs nor crashes. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <string.h>

#include "../../labctl/util/parallel.h"
#include "threads_ok.h"

#define N 20

static atomic_int runs[N];

static void count(size_t i, void *ud)
{
	(void)ud;
	atomic_fetch_add(&runs[i], 1);
}

Test(threads, parallel_runs_every_item_once_when_threads_cannot_be_made)
{
	/* how many threads may be made (-1: all) */
	static const int ok[] = {-1, 0, 1, 3, 100};
	for (size_t c = 0; c < sizeof(ok) / sizeof(ok[0]); c++) {
		for (int i = 0; i < N; i++)
			atomic_store(&runs[i], 0);
		threads_ok(ok[c]);
		lab_parallel(N, 8, count, NULL);
		threads_ok(-1);
		for (int i = 0; i < N; i++)
			cr_expect_eq(atomic_load(&runs[i]), 1, "%d threads may be made: item %d ran %d times", ok[c], i,
				     atomic_load(&runs[i]));
	}
}

struct slot {
	atomic_int *calls;
	int ran;
};

static void *mark(void *p)
{
	struct slot *s = p;
	s->ran = 1;
	atomic_fetch_add(s->calls, 1);
	return NULL;
}

Test(threads, parallel_all_runs_all_or_none)
{
	atomic_int calls = 0;
	struct slot slots[5];
	for (int i = 0; i < 5; i++)
		slots[i] = (struct slot){&calls, 0};
	struct lab_err err = {0};
	cr_expect_eq(lab_parallel_all(5, mark, slots, sizeof(slots[0]), &err), 0, "%s", err.msg);
	cr_expect_eq(atomic_load(&calls), 5);
	for (int i = 0; i < 5; i++)
		cr_expect_eq(slots[i].ran, 1, "slot %d", i);

	atomic_store(&calls, 0);
	threads_ok(2);
	cr_expect_eq(lab_parallel_all(5, mark, slots, sizeof(slots[0]), &err), LAB_ERR);
	threads_ok(-1);
	cr_expect_eq(atomic_load(&calls), 0, "none ran: %d", atomic_load(&calls));
	cr_expect_str_eq(err.msg, "cannot start thread 3 of 5: Resource temporarily unavailable");
}
