/* labctl run: a job built in the builder image, copied into every replica
 * through the Engine API and run there with its rank; failures named;
 * datasets copied with their checksum verified, or the lab's sample. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *job_lab =
	"services:\n"
	"  compute:\n"
	"    build: \"@REPO@/images/compute\"\n"
	"    image: labctl/compute:1\n"
	"    deploy: { replicas: 4 }\n"
	"datasets:\n"
	"  airports: { file: airports.csv, sample: sample.csv,\n"
	"              sha256: 903c7169e6d558eefb95295fe2947ec8503135fbb855ea5c737cf4a90ea603ad }\n"
	"jobs:\n"
	"  hello:\n"
	"    binary: hello\n"
	"    source: \"@REPO@/jobs\"\n"
	"    on: compute\n"
	"    args: [--from-lab]\n"
	"    env: { JOB_FAIL_RANK: \"${FAIL_RANK:--1}\" }\n"
	"    datasets: [airports]\n";

Test(jobs, run_on_four_replicas_with_ranks_and_named_failures, .timeout = 900)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "jobs", job_lab);
	it_run(&r, "printf 'iata,name\\nORD,Chicago\\n' > %s/sample.csv", lab.dir);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s", r.err);
	it_run_free(&r);

	it_labctl_run(&r, &lab, "jobs '%s'", lab.dir);
	cr_expect(strstr(r.out, "hello") && strstr(r.out, "compute") && strstr(r.out, "airports"), "%s", r.out);
	it_run_free(&r);

	/* the full file from the data directory, checksum verified */
	it_run(&r, "LABCTL_DATA_DIR='%s/../shared/data' LABCTL_STATE_DIR='%s' '%s' run '%s' hello -- extra", it_repo(),
	       lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "run: %s", r.err);
	for (int rank = 0; rank < 4; rank++) {
		char want[96];
		snprintf(want, sizeof(want), "compute-%d | hello from rank %d of 4 --from-lab extra", rank + 1, rank);
		cr_expect(strstr(r.out, want), "missing '%s' in:\n%s", want, r.out);
	}
	cr_expect(strstr(r.err, "sha256 verified"), "%s", r.err);
	it_run_free(&r);
	char *c3 = it_container_id(lab.project, "compute", 3);
	char *lines = it_sh("docker exec %s sh -c 'wc -l < $(ls /lab/data/airports.csv)'", c3);
	cr_expect_str_eq(lines, "3377", "the full airports.csv is in replica 3");
	free(lines);
	char *which = it_sh("docker exec %s sh -c 'command -v hello'", c3);
	cr_expect_str_eq(which, "/usr/local/bin/hello");
	free(which);
	free(c3);

	/* one failing replica: run fails and names it */
	it_run(&r, "FAIL_RANK=2 LABCTL_DATA_DIR='%s/../shared/data' LABCTL_STATE_DIR='%s' '%s' run '%s' hello", it_repo(),
	       lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "job 'hello' failed on compute-3 (exit 3)"), "%s", r.err);
	cr_expect(strstr(r.err, "compute-3 | rank 2 failing as asked"), "%s", r.err);
	cr_expect(strstr(r.out, "compute-4 | hello from rank 3 of 4"), "the others still ran: %s", r.out);
	it_run_free(&r);

	/* no data directory: the lab's sample, said so */
	it_run(&r, "LABCTL_DATA_DIR= LABCTL_STATE_DIR='%s' '%s' run '%s' hello", lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "using the lab's sample sample.csv"), "%s", r.err);
	it_run_free(&r);

	/* a data file whose checksum differs: refused, nothing run */
	it_run(&r, "mkdir -p %s/baddata && echo tampered > %s/baddata/airports.csv && LABCTL_DATA_DIR=%s/baddata "
		   "LABCTL_STATE_DIR='%s' '%s' run '%s' hello",
	       lab.dir, lab.dir, lab.dir, lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "the lab expects 903c7169"), "%s", r.err);
	cr_expect(!strstr(r.out, "hello from"), "%s", r.out);
	it_run_free(&r);

	/* a job that does not exist: usage error */
	it_labctl_run(&r, &lab, "run '%s' nope", lab.dir);
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "has no job 'nope'"), "%s", r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}
