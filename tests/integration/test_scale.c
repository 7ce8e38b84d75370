/* up --scale SERVICE=N against the real engine: replicas added, the
 * highest-numbered removed, the rest kept, 0 allowed, bad input refused
 * before anything is made. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *scaled =
	"lab: { name: \"@NAME@\" }\n"
	"services:\n"
	"  head:\n"
	"    image: debian:bookworm-slim\n"
	"    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
	"  worker:\n"
	"    image: debian:bookworm-slim\n"
	"    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
	"    deploy: { replicas: 2 }\n"
	"    depends_on: [head]\n";

/* Replica numbers of service's containers, as "1,2,3" (sorted). */
static char *replicas_of(const char *project, const char *service)
{
	return it_sh("docker ps -a --filter label=io.labctl.lab=%s --filter label=io.labctl.service=%s "
		     "--format '{{.Label \"io.labctl.replica\"}}' | sort -n | paste -sd, -",
		     project, service);
}

Test(scale, up_scale_adds_and_removes_replicas_and_keeps_the_rest, .timeout = 300)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "scale", scaled);

	it_labctl_run(&r, &lab, "up '%s' --scale worker=3", lab.dir);
	cr_assert_eq(r.status, 0, "up --scale worker=3 failed (%d): %s", r.status, r.err);
	cr_expect(strstr(r.out, "3/3"), "the table shows 3 of 3 workers: %s", r.out);
	it_run_free(&r);
	char *reps = replicas_of(lab.project, "worker");
	cr_expect_str_eq(reps, "1,2,3");
	free(reps);
	char *w1 = it_container_id(lab.project, "worker", 1), *h1 = it_container_id(lab.project, "head", 1);

	it_labctl_run(&r, &lab, "status '%s'", lab.dir);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "3/3") && strstr(r.out, "1/3"), "status shows the replica counts: %s", r.out);
	it_run_free(&r);

	/* the same scale again changes nothing */
	it_labctl_run(&r, &lab, "up '%s' --scale worker=3", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "nothing changed"), "same scale is a no-op: %s", r.err);
	it_run_free(&r);

	/* without --scale: back to deploy.replicas, the highest goes */
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "-worker-3 | removed"), "replica 3 removed: %s", r.err);
	cr_expect(!strstr(r.err, "created"), "nothing created or recreated: %s", r.err);
	it_run_free(&r);
	reps = replicas_of(lab.project, "worker");
	cr_expect_str_eq(reps, "1,2");
	free(reps);
	char *w1b = it_container_id(lab.project, "worker", 1), *h1b = it_container_id(lab.project, "head", 1);
	cr_expect_str_eq(w1b, w1, "worker 1 kept");
	cr_expect_str_eq(h1b, h1, "head kept");

	/* 0: the service runs no container, the others are kept */
	it_labctl_run(&r, &lab, "up '%s' --scale worker=0 --scale head=1", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "0/0"), "table: %s", r.out);
	it_run_free(&r);
	reps = replicas_of(lab.project, "worker");
	cr_expect_str_eq(reps, "");
	free(reps);
	char *h1c = it_container_id(lab.project, "head", 1);
	cr_expect_str_eq(h1c, h1, "head kept");

	free(w1), free(h1), free(w1b), free(h1b), free(h1c);
	it_lab_cleanup(&lab);
}

Test(scale, bad_scale_is_exit_2_and_changes_nothing)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "scalebad", scaled);
	it_labctl_run(&r, &lab, "up '%s' --scale wroker=3", lab.dir);
	cr_expect_eq(r.status, 2, "unknown service is bad input: %d %s", r.status, r.err);
	cr_expect(strstr(r.err, "no such service 'wroker' (did you mean 'worker'?)"), "%s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up '%s' --scale worker=-1", lab.dir);
	cr_expect_eq(r.status, 2, "%s", r.err);
	cr_expect(strstr(r.err, "'-1' is not a number of replicas"), "%s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up '%s' --scale worker", lab.dir);
	cr_expect_eq(r.status, 2, "%s", r.err);
	cr_expect(strstr(r.err, "expected SERVICE=N"), "%s", r.err);
	it_run_free(&r);
	cr_expect_eq(it_count_containers(lab.project), 0, "nothing made");
	cr_expect_eq(it_count_networks(lab.project), 0, "nothing made");
	it_lab_cleanup(&lab);
}
