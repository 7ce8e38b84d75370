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
		    "    depends_on: { init: { condition: service_completed_successfully } }\n"
		    "  broken:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"echo cannot do it >&2; exit 4\"]\n"
		    "  never:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"true\"]\n"
		    "    depends_on: { broken: { condition: service_completed_successfully } }\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "service 'broken'") && strstr(r.err, "exited with code 4"), "%s", r.err);
	cr_expect(strstr(r.err, "cannot do it"), "shows broken's logs: %s", r.err);
	it_run_free(&r);
	char *app = it_container_id(lab.project, "app", 1);
	char *never = it_container_id(lab.project, "never", 1);
	cr_expect(strlen(app) == 64, "app started after init completed");
	cr_expect_str_eq(never, "", "never must not start after broken failed");
	/* app started only after init finished */
	char *init_done = it_sh("docker inspect -f '{{.State.FinishedAt}}' %s",
				it_container_id(lab.project, "init", 1));
	char *app_start = it_sh("docker inspect -f '{{.State.StartedAt}}' %s", app);
	cr_expect(strcmp(app_start, init_done) > 0, "app started %s before init finished %s", app_start, init_done);
	free(init_done), free(app_start), free(app), free(never);
	it_lab_cleanup(&lab);
}
