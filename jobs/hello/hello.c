/* A minimal job: prints its rank and world size, and fails when asked to
 * (JOB_FAIL_RANK), so labctl run's fan-out and failure reporting can be
 * tested without a data stack. */
#include <stdio.h>
#include <stdlib.h>

#include "joblib.h"

int main(int argc, char **argv)
{
	int rank = job_rank(), world = job_world();
	printf("hello from rank %d of %d", rank, world);
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	const char *fail = job_env("JOB_FAIL_RANK", NULL);
	if (fail && atoi(fail) == rank) {
		fprintf(stderr, "rank %d failing as asked\n", rank);
		return 3;
	}
	return 0;
}
