/* What the user sees when things go wrong: bad files, no engine, a
 * service that never gets ready, dependencies that fail. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

Test(errors, bad_file_exits_2_and_creates_nothing)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "bad",
		    "services:\n"
		    "  db:\n"
		    "    image: debian:bookworm-slim\n"
		    "    volumes: [\"data:/data\"]\n"
		    "  web:\n"
		    "    imgae: debian:bookworm-slim\n"
		    "    depends_on: [db]\n"
		    "volumes:\n"
		    "  data: {}\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 2, "exit code: %d, stderr: %s", r.status, r.err);
	cr_expect(strstr(r.err, "lab.yml:6:5: unknown key 'imgae' (did you mean 'image'?)"), "stderr: %s", r.err);
	it_run_free(&r);
	cr_expect_eq(it_count_containers(lab.project), 0);
	cr_expect_eq(it_count_networks(lab.project), 0);
	cr_expect_eq(it_count_volumes(lab.project), 0);
	it_lab_cleanup(&lab);
}

Test(errors, unreachable_engine_exits_3)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "noengine", "services:\n  a:\n    image: debian:bookworm-slim\n");
	it_run(&r, "DOCKER_HOST=unix:///tmp/labctl-no-such.sock LABCTL_STATE_DIR='%s' '%s' up '%s'", lab.state,
	       it_labctl(), lab.dir);
	cr_expect_eq(r.status, 3, "exit code: %d", r.status);
	cr_expect(strstr(r.err, "/tmp/labctl-no-such.sock"), "names the socket: %s", r.err);
	cr_expect(strstr(r.err, "dockerd") || strstr(r.err, "DOCKER_HOST"), "says how to start one: %s", r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

/* A library labctl loads on first use that cannot be loaded is an error
 * returned to the command, also from the threads of verify and up: the
 * command still reports (every check, the table) and picks the exit code.
 * LABCTL_LAZY_<LIB> names the file to load instead of the soname. */
Test(errors, missing_library_is_reported_not_exited_on)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "nolib",
		    "services:\n"
		    "  db:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "    x-ready: { postgres: { port: 5432, user: lab, password: x }, timeout: 2s }\n"
		    "checks:\n"
		    "  - id: rows\n"
		    "    sql: { service: db, query: \"select 1\", equals: 1 }\n"
		    "  - id: web\n"
		    "    http: { url: \"http://127.0.0.1:1/\", status: 200 }\n");
	/* verify: the sql check runs in its thread and is an error naming the
	   library; the other check still runs; the summary is printed */
	it_run(&r, "LABCTL_LAZY_PQ=/nonexistent/libpq.so.5 LABCTL_STATE_DIR='%s' '%s' verify '%s'", lab.state,
	       it_labctl(), lab.dir);
	cr_expect_eq(r.status, 1, "a check errored: exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.out, "cannot load '/nonexistent/libpq.so.5' (from LABCTL_LAZY_PQ, instead of libpq.so.5)"),
		  "the check's error names the library: %s", r.out);
	cr_expect(strstr(r.out, "web"), "the other check ran: %s", r.out);
	cr_expect(strstr(r.out, "0 passed, 2 failed"), "the summary is printed: %s", r.out);
	it_run_free(&r);
	/* up: the probe, on the service's thread, fails the service at once
	   (a probe that can never pass), naming the library */
	it_run(&r, "LABCTL_LAZY_PQ=/nonexistent/libpq.so.5 LABCTL_STATE_DIR='%s' '%s' up '%s'", lab.state, it_labctl(),
	       lab.dir);
	cr_expect_eq(r.status, 1, "the service failed: exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "service 'db'") && strstr(r.err, "cannot load '/nonexistent/libpq.so.5'"),
		  "names the service and the library: %s", r.err);
	cr_expect(!strstr(r.err, "not ready after"), "not a timeout: %s", r.err);
	cr_expect(strstr(r.out, "failed"), "the table is printed: %s", r.out);
	it_run_free(&r);
	/* libcurl: every engine command needs it (exit 3, as for the engine);
	   validate does not load it */
	it_run(&r, "LABCTL_LAZY_CURL=/nonexistent/libcurl.so.4 LABCTL_STATE_DIR='%s' '%s' status '%s'", lab.state,
	       it_labctl(), lab.dir);
	cr_expect_eq(r.status, 3, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "labctl: cannot load '/nonexistent/libcurl.so.4'"), "%s", r.err);
	it_run_free(&r);
	it_run(&r, "LABCTL_LAZY_CURL=/nonexistent/libcurl.so.4 LABCTL_STATE_DIR='%s' '%s' validate '%s'", lab.state,
	       it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

Test(errors, never_ready_service_fails_naming_it_with_logs)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "notready",
		    "services:\n"
		    "  slow:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo still warming up; sleep infinity & wait\"]\n"
		    "    x-ready: { tcp: 9999, timeout: 2s }\n"
		    "  after:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"true\"]\n"
		    "    depends_on: { slow: { condition: service_healthy } }\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 1, "exit code %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "service 'slow' not ready after 2s"), "names the service: %s", r.err);
	cr_expect(strstr(r.err, "still warming up"), "shows its last log lines: %s", r.err);
	cr_expect(strstr(r.err, "dependency 'slow' failed"), "dependent not started: %s", r.err);
	it_run_free(&r);
	cr_expect_eq(it_count_containers(lab.project), 1, "the dependent service was never created");
	it_lab_cleanup(&lab);
}

Test(errors, completed_successfully_orders_one_shot_jobs)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "oneshot",
		    "services:\n"
		    "  init:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"sleep 1; exit 0\"]\n"
		    "  app:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "    depends_on: { init: { condition: service_completed_successfully } }\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 0, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.out, "completed"), "%s", r.out);
	it_run_free(&r);
	char *app = it_container_id(lab.project, "app", 1);
	cr_expect(strlen(app) == 64, "app started after init completed");
	/* app started only after init finished */
	char *init_done = it_sh("docker inspect -f '{{.State.FinishedAt}}' %s",
				it_container_id(lab.project, "init", 1));
	char *app_start = it_sh("docker inspect -f '{{.State.StartedAt}}' %s", app);
	cr_expect(strcmp(app_start, init_done) > 0, "app started %s before init finished %s", app_start, init_done);
	free(init_done), free(app_start), free(app);
	it_lab_cleanup(&lab);
}
