/* A second engine: Podman's Docker-compatible API (`podman system service
 * --time=0 unix:///run/podman/podman.sock`, which scripts/setup.sh starts
 * where Debian's podman is installed). Skipped when nothing answers there.
 * Objects are inspected with the podman CLI, not labctl's own client. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define PODMAN_SOCK "/run/podman/podman.sock"

static int podman_answers(void)
{
	char *out = it_sh("curl -sf --max-time 5 --unix-socket %s http://d/_ping && command -v podman >/dev/null && "
			  "echo yes",
			  PODMAN_SOCK);
	int yes = strstr(out, "yes") != NULL;
	free(out);
	return yes;
}

/* Everything labelled with project in Podman's store, and the temp dir. */
static void podman_cleanup(const char *project, const char *dir)
{
	free(it_sh("podman rm -f -v $(podman ps -aq --filter label=io.labctl.lab=%s) >/dev/null 2>&1;"
		   "podman network rm $(podman network ls -q --filter label=io.labctl.lab=%s) >/dev/null 2>&1;"
		   "podman volume rm $(podman volume ls -q --filter label=io.labctl.lab=%s) >/dev/null 2>&1;"
		   "rm -rf \"$(dirname '%s')\"",
		   project, project, project, dir));
}

static int podman_count(const char *what, const char *project)
{
	char *out = it_sh("podman %s -q --filter label=io.labctl.lab=%s%s | wc -l", what, project,
			  strcmp(what, "ps") == 0 ? " -a" : "");
	int n = atoi(out);
	free(out);
	return n;
}

/* labctl against Podman: DOCKER_HOST and the lab's state dir. */
#define PODMAN_ENV "DOCKER_HOST=unix://" PODMAN_SOCK " LABCTL_STATE_DIR='%s' "

/* A build through Podman's /build, a healthcheck gating a dependent, a
 * one-shot, a no-op rerun, exec, logs, verify, down. */
Test(podman, build_healthcheck_one_shot_rerun, .timeout = 300)
{
	if (!podman_answers())
		cr_skip_test("no Podman service answers on " PODMAN_SOCK " (scripts/setup.sh starts one where podman is installed)");
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "podtiny",
		    "services:\n"
		    "  app:\n"
		    "    build: ./img\n"
		    "    image: labctl-it/podtiny:1\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo app says hello; sleep infinity & wait\"]\n"
		    "    ports: [\"0:8080\"]\n"
		    "    volumes: [\"data:/data\"]\n"
		    "  once:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"echo done > /data/once.txt\"]\n"
		    "    volumes: [\"data:/data\"]\n"
		    "    depends_on: { app: { condition: service_healthy } }\n"
		    "  after:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "    volumes: [\"data:/data\"]\n"
		    "    depends_on: { once: { condition: service_completed_successfully } }\n"
		    "volumes:\n"
		    "  data: {}\n"
		    "checks:\n"
		    "  - id: built\n"
		    "    exec: { service: app, command: \"cat /built.txt\", equals: built }\n"
		    "  - id: once-ran\n"
		    "    file: { service: after, path: /data/once.txt, contains: done }\n");
	free(it_sh("mkdir -p '%s/img' && printf 'FROM debian:bookworm-slim\\nRUN echo built > /built.txt\\n"
		   "HEALTHCHECK --interval=1s CMD test -f /built.txt\\n' > '%s/img/Dockerfile'",
		   lab.dir, lab.dir));
	it_run(&r, PODMAN_ENV "'%s' up '%s'", lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "up on Podman: exit %d:\n%s\n%s", r.status, r.out, r.err);
	cr_expect(strstr(r.err, "building image 'labctl-it/podtiny:1'"), "built through /build: %s", r.err);
	it_run_free(&r);
	char *state = it_sh("podman inspect -f '{{.State.Status}}' %s-app-1 %s-after-1 %s-once-1", lab.project,
			    lab.project, lab.project);
	cr_expect_str_eq(state, "running\nrunning\nexited", "podman sees the containers: %s", state);
	free(state);
	it_run(&r, PODMAN_ENV "'%s' up '%s'", lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "rerun: %s", r.err);
	cr_expect(strstr(r.err, "is up to date: nothing changed"), "a rerun changes nothing: %s", r.err);
	it_run_free(&r);
	it_run(&r, PODMAN_ENV "'%s' exec '%s' app -- cat /built.txt", lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "built\n");
	it_run_free(&r);
	it_run(&r, PODMAN_ENV "'%s' logs '%s' app", lab.state, it_labctl(), lab.dir);
	cr_expect(strstr(r.out, "app-1 | app says hello"), "logs: %s %s", r.out, r.err);
	it_run_free(&r);
	it_run(&r, PODMAN_ENV "'%s' verify '%s'", lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "verify: %s %s", r.out, r.err);
	cr_expect(strstr(r.out, "2 passed, 0 failed"), "%s", r.out);
	it_run_free(&r);
	it_run(&r, PODMAN_ENV "'%s' down '%s' --volumes", lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "down: %s", r.err);
	it_run_free(&r);
	cr_expect_eq(podman_count("ps", lab.project), 0, "no container left");
	cr_expect_eq(podman_count("volume ls", lab.project), 0, "no volume left");
	cr_expect_eq(podman_count("network ls", lab.project), 0, "no network left");
	free(it_sh("podman rmi labctl-it/podtiny:1 >/dev/null 2>&1"));
	podman_cleanup(lab.project, lab.dir);
}

/* module0 (PostgreSQL, Kafka, the object store, an init job, compute)
 * against Podman: up, status, env, verify, down. The images labctl would
 * build are copied from the Docker engine when it has them (docker save |
 * podman load), to save the builds; else labctl builds them through
 * Podman's /build. */
Test(podman, module0_lifecycle, .timeout = 900)
{
	if (!podman_answers())
		cr_skip_test("no Podman service answers on " PODMAN_SOCK " (scripts/setup.sh starts one where podman is installed)");
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "pod0", "services: {}\n"); /* for its names and state dir only */
	free(it_sh("for i in labctl/postgres:15 labctl/kafka:4.4.0 labctl/objectstore:4.1.0 labctl/compute:1; do "
		   "podman image exists $i || { docker image inspect $i >/dev/null 2>&1 && docker save $i | podman load -q; }; "
		   "done >/dev/null 2>&1"));
	int kport = it_free_port();
	char env[600];
	snprintf(env, sizeof(env), PODMAN_ENV "LAB_PG_PORT=0 LAB_S3_PORT=0 LAB_KAFKA_PORT=%d '%s'", lab.state, kport,
		 it_labctl());
	it_run(&r, "%s up -p %s module0", env, lab.project);
	cr_assert_eq(r.status, 0, "up module0 on Podman: exit %d:\n%s\n%s", r.status, r.out, r.err);
	it_run_free(&r);

	it_run(&r, "%s status -p %s module0", env, lab.project);
	cr_expect_eq(r.status, 0, "%s", r.err);
	const char *services[] = {"compute", "init", "kafka", "objectstore", "postgres"};
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		cr_expect(strstr(r.out, services[i]), "status lists %s:\n%s", services[i], r.out);
	cr_expect(strstr(r.out, "completed"), "the init job ran and completed:\n%s", r.out);
	it_run_free(&r);

	it_run(&r, "%s env -p %s module0", env, lab.project);
	cr_expect_eq(r.status, 0, "%s", r.err);
	char want[64];
	snprintf(want, sizeof(want), "export KAFKA_BOOTSTRAP_SERVERS='127.0.0.1:%d'", kport);
	cr_expect(strstr(r.out, "export PGHOST='127.0.0.1'") && strstr(r.out, "export AWS_ENDPOINT_URL='http://127.0.0.1:"),
		  "%s", r.out);
	it_run_free(&r);
	/* the host endpoints answer: psql through env */
	char *one = it_sh("eval \"$(%s env -p %s module0)\" && psql -Atc 'select 1'", env, lab.project);
	cr_expect_str_eq(one, "1", "psql through labctl env");
	free(one);

	/* a fresh lab: the table and the bucket are there, the student's
	   work is not */
	it_run(&r, "%s verify -p %s module0", env, lab.project);
	cr_expect_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_expect(strstr(r.out, "2 passed, 3 failed"), "%s", r.out);
	it_run_free(&r);
	it_run(&r,
	       "%s exec -p %s module0 compute -- psql -c \"insert into airports (iata, name) values "
	       "('ORD', 'O''Hare'), ('ATL', 'Hartsfield'), ('DEN', 'Denver')\"",
	       env, lab.project);
	cr_expect_eq(r.status, 0, "exec: %s", r.err);
	it_run_free(&r);
	it_run(&r, "%s verify -p %s module0 --only airports-table,airports-loaded,lake-bucket", env, lab.project);
	cr_expect_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_expect(strstr(r.out, "3 passed, 0 failed"), "%s", r.out);
	it_run_free(&r);

	it_run(&r, "%s down -p %s module0 --volumes", env, lab.project);
	cr_expect_eq(r.status, 0, "down: %s", r.err);
	it_run_free(&r);
	cr_expect_eq(podman_count("ps", lab.project), 0, "no container left");
	cr_expect_eq(podman_count("volume ls", lab.project), 0, "no volume left");
	cr_expect_eq(podman_count("network ls", lab.project), 0, "no network left");
	podman_cleanup(lab.project, lab.dir);
}
