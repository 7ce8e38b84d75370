/* A restarted engine (or a rebooted laptop) leaves every container of a
 * lab exited; up brings the same containers back, data and all.
 * Restarting the shared dockerd would disturb everyone using it, so the
 * test does what the restart does to the lab: docker stop on each of its
 * containers, which leaves them exited, PostgreSQL with code 0 after a
 * clean shutdown. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *pg_and_app = "lab: { name: \"@NAME@\" }\n"
				"include: [\"@REPO@/labs/common/postgres.yml\"]\n"
				"services:\n"
				"  app:\n"
				"    image: debian:bookworm-slim\n"
				"    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
				"    depends_on: { postgres: { condition: service_healthy } }\n";

static void psql(struct it_run *r, const struct it_lab *lab, const char *sql)
{
	it_labctl_run(r, lab, "exec '%s' postgres -- psql -U lab -d lab -tAc \"%s\"", lab->dir, sql);
}

Test(engine_restart, stopped_lab_comes_back_with_its_data, .timeout = 600)
{
	struct it_lab lab;
	struct it_run r;
	setenv("LAB_PG_PORT", "0", 1); /* engine-chosen host port */
	it_lab_make(&lab, "restart", pg_and_app);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s\n%s", r.err, r.out);
	it_run_free(&r);
	psql(&r, &lab, "create table marks(student text, score int); insert into marks values ('ada', 97)");
	cr_assert_eq(r.status, 0, "psql: %s %s", r.out, r.err);
	it_run_free(&r);
	char *pg1 = it_container_id(lab.project, "postgres", 1), *app1 = it_container_id(lab.project, "app", 1);

	it_run(&r, "docker stop $(docker ps -q --filter label=io.labctl.lab=%s)", lab.project);
	cr_assert_eq(r.status, 0, "docker stop: %s", r.err);
	it_run_free(&r);
	char *codes = it_sh("docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' %s %s", pg1, app1);
	cr_assert_str_eq(codes, "exited 0\nexited 0", "both stopped cleanly, as after an engine restart");
	free(codes);

	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 0, "up after the restart: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.err, "-postgres-1 | started") && strstr(r.err, "-app-1 | started"), "says what it started: %s",
		  r.err);
	cr_expect(!strstr(r.err, "created"), "the same containers, not new ones: %s", r.err);
	it_run_free(&r);
	char *pg2 = it_container_id(lab.project, "postgres", 1), *app2 = it_container_id(lab.project, "app", 1);
	cr_expect_str_eq(pg2, pg1);
	cr_expect_str_eq(app2, app1);
	char *states = it_sh("docker inspect -f '{{.State.Status}}' %s %s", pg2, app2);
	cr_expect_str_eq(states, "running\nrunning");
	free(states);
	psql(&r, &lab, "select student || '=' || score from marks");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "ada=97\n", "the rows written before the restart");
	it_run_free(&r);

	/* and again: now nothing changes */
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "nothing changed"), "%s", r.err);
	it_run_free(&r);
	free(pg1), free(pg2), free(app1), free(app2);
	it_lab_cleanup(&lab);
}

/* A one-shot init that completed stays completed across the restart: not
 * run again; what waits for it starts. */
Test(engine_restart, completed_one_shot_is_not_run_again, .timeout = 300)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "restart1shot",
		    "services:\n"
		    "  init:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"echo ran >> /data/runs\"]\n"
		    "    volumes: [\"data:/data\"]\n"
		    "  app:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "    volumes: [\"data:/data\"]\n"
		    "    depends_on: { init: { condition: service_completed_successfully } }\n"
		    "volumes:\n"
		    "  data: {}\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s\n%s", r.err, r.out);
	it_run_free(&r);
	it_run(&r, "docker stop $(docker ps -q --filter label=io.labctl.lab=%s)", lab.project);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 0, "%s\n%s", r.err, r.out);
	cr_expect(strstr(r.out, "completed"), "init stays completed: %s", r.out);
	it_run_free(&r);
	char *runs = it_sh("docker exec %s-app-1 cat /data/runs", lab.project);
	cr_expect_str_eq(runs, "ran", "init ran once");
	free(runs);
	it_lab_cleanup(&lab);
}
