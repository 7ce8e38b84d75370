/* up / down / status against the real engine, with light containers. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Two services: web waits for db to be started; a TERM-aware sleeper so
 * stop is instant. */
static const char *two_services =
	"lab: { name: \"@NAME@\", title: \"two services\" }\n"
	"services:\n"
	"  db:\n"
	"    image: debian:bookworm-slim\n"
	"    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo db is up; sleep infinity & wait\"]\n"
	"    volumes: [\"data:/data\"]\n"
	"    x-ready: { log: \"db is up\" }\n"
	"  web:\n"
	"    image: debian:bookworm-slim\n"
	"    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
	"    environment: { GREETING: hello }\n"
	"    depends_on: { db: { condition: service_healthy } }\n"
	"volumes:\n"
	"  data: {}\n";

Test(lifecycle, up_from_nothing_then_noop_rerun_keeps_ids)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "noop", two_services);

	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up failed (%d): %s", r.status, r.err);
	cr_expect(strstr(r.out, "SERVICE") && strstr(r.out, "db") && strstr(r.out, "web"), "table: %s", r.out);
	cr_expect(strstr(r.out, "ready"), "db ready by its log probe: %s", r.out);
	it_run_free(&r);
	cr_expect_eq(it_count_containers(lab.project), 2);
	cr_expect_eq(it_count_networks(lab.project), 1);
	cr_expect_eq(it_count_volumes(lab.project), 1);
	char *db1 = it_container_id(lab.project, "db", 1), *web1 = it_container_id(lab.project, "web", 1);
	cr_expect(strlen(db1) == 64 && strlen(web1) == 64);
	char *state = it_sh("docker inspect -f '{{.State.Status}}' %s", web1);
	cr_expect_str_eq(state, "running");
	free(state);

	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 0, "rerun failed: %s", r.err);
	cr_expect(strstr(r.err, "nothing changed"), "rerun should say nothing changed: %s", r.err);
	cr_expect(!strstr(r.err, "created"), "rerun must not create: %s", r.err);
	it_run_free(&r);
	char *db2 = it_container_id(lab.project, "db", 1), *web2 = it_container_id(lab.project, "web", 1);
	cr_expect_str_eq(db2, db1, "db recreated on a no-op rerun");
	cr_expect_str_eq(web2, web1, "web recreated on a no-op rerun");

	free(db1), free(db2), free(web1), free(web2);
	it_lab_cleanup(&lab);
}

Test(lifecycle, only_the_changed_service_is_recreated)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "change", two_services);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up failed: %s", r.err);
	it_run_free(&r);
	char *db1 = it_container_id(lab.project, "db", 1), *web1 = it_container_id(lab.project, "web", 1);

	/* change web's environment only */
	char *changed = strdup(two_services);
	char *p = strstr(changed, "hello");
	memcpy(p, "howdy", 5);
	it_lab_write(&lab, changed);
	free(changed);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up after change failed: %s", r.err);
	cr_expect(strstr(r.err, "recreated"), "says what it recreated: %s", r.err);
	it_run_free(&r);
	char *db2 = it_container_id(lab.project, "db", 1), *web2 = it_container_id(lab.project, "web", 1);
	cr_expect_str_eq(db2, db1, "db changed nothing but was recreated");
	cr_expect_str_neq(web2, web1, "web changed but was kept");
	cr_expect_eq(it_count_containers(lab.project), 2, "no duplicates");
	char *env = it_sh("docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' %s | grep GREETING", web2);
	cr_expect_str_eq(env, "GREETING=howdy");
	free(env);
	free(db1), free(db2), free(web1), free(web2);
	it_lab_cleanup(&lab);
}

Test(lifecycle, down_keeps_volumes_and_foreign_containers)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "down", two_services);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up failed: %s", r.err);
	it_run_free(&r);
	/* a container the user made by hand, named like the lab's, no labels */
	char *foreign = it_sh("docker run -d --name %s-mine debian:bookworm-slim sleep 300", lab.project);
	cr_assert(strlen(foreign) >= 12, "could not start the foreign container");
	/* one that docker-compose made from an image labctl built: Docker
	   copies the image's labels into it, so it may carry io.labctl.lab */
	char *composed = it_sh("docker run -d --label io.labctl.lab=%s --name %s_db_1 debian:bookworm-slim sleep 300",
			       lab.project, lab.project);
	cr_assert(strlen(composed) >= 12, "could not start the compose-like container");
	it_labctl_run(&r, &lab, "status '%s'", lab.dir);
	cr_expect(strstr(r.out, "_db_1") == NULL, "status lists another tool's container:\n%s", r.out);
	it_run_free(&r);

	it_labctl_run(&r, &lab, "down '%s'", lab.dir);
	cr_expect_eq(r.status, 0, "down failed: %s", r.err);
	cr_expect(strstr(r.err, "kept"), "down says volumes are kept: %s", r.err);
	it_run_free(&r);
	cr_expect_eq(it_count_containers(lab.project), 1, "only the compose-like container is left");
	char *kept = it_sh("docker inspect -f '{{.State.Running}}' %s", composed);
	cr_expect_str_eq(kept, "true", "down touched a container labctl did not make");
	free(kept);
	cr_expect_eq(it_count_networks(lab.project), 0);
	cr_expect_eq(it_count_volumes(lab.project), 1, "named volume must survive down");
	char *still = it_sh("docker inspect -f '{{.State.Running}}' %s", foreign);
	cr_expect_str_eq(still, "true", "down touched a container without the lab's labels");
	free(still);

	it_labctl_run(&r, &lab, "down '%s' --volumes", lab.dir);
	cr_expect_eq(r.status, 0, "down --volumes failed: %s", r.err);
	it_run_free(&r);
	cr_expect_eq(it_count_volumes(lab.project), 0, "--volumes removes the named volume");

	it_run(&r, "docker rm -f %s %s", foreign, composed);
	it_run_free(&r);
	free(foreign);
	free(composed);
	it_lab_cleanup(&lab);
}

Test(lifecycle, status_lists_services_and_json)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "status", two_services);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up failed: %s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "status '%s'", lab.dir);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "db") && strstr(r.out, "web") && strstr(r.out, "running"), "%s", r.out);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "status '%s' --json", lab.dir);
	cr_expect_eq(r.status, 0);
	cr_expect(r.out[0] == '[', "json array: %s", r.out);
	cr_expect(strstr(r.out, "\"service\":\t\"db\"") || strstr(r.out, "\"service\": \"db\""), "%s", r.out);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

Test(lifecycle, replicas_scale_up_and_down)
{
	struct it_lab lab;
	struct it_run r;
	const char *yaml = "services:\n"
			   "  worker:\n"
			   "    image: debian:bookworm-slim\n"
			   "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
			   "    deploy: { replicas: 3 }\n";
	it_lab_make(&lab, "replicas", yaml);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up failed: %s", r.err);
	cr_expect(strstr(r.out, "3/3"), "table shows 3/3 replicas: %s", r.out);
	it_run_free(&r);
	cr_expect_eq(it_count_containers(lab.project), 3);
	/* made at once, still one container per replica number, all running */
	for (int i = 1; i <= 3; i++) {
		char *state = it_sh("docker inspect -f '{{.State.Running}} {{index .Config.Labels \"io.labctl.replica\"}}' "
				    "%s-worker-%d",
				    lab.project, i);
		char want[32];
		snprintf(want, sizeof(want), "true %d", i);
		cr_expect_str_eq(state, want, "replica %d", i);
		free(state);
	}
	/* up again: nothing changes; --json gives when the replicas were
	   started and ready, in seconds from up's start */
	it_labctl_run(&r, &lab, "up '%s' --json", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	char *json = it_sh("printf '%%s' '%s' | python3 -c 'import json,sys; d=json.load(sys.stdin); s=d[\"services\"][0]; "
			   "print(d[\"changed\"], s[\"ready_replicas\"], s[\"created\"], "
			   "0 <= s[\"seconds_to_start\"] <= s[\"seconds_to_ready\"])'",
			   r.out);
	cr_expect_str_eq(json, "False 3 0 True", "%s", r.out);
	free(json);
	it_run_free(&r);
	it_lab_write(&lab, "services:\n"
			   "  worker:\n"
			   "    image: debian:bookworm-slim\n"
			   "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
			   "    deploy: { replicas: 1 }\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 0, "scale down failed: %s", r.err);
	it_run_free(&r);
	cr_expect_eq(it_count_containers(lab.project), 1);
	it_lab_cleanup(&lab);
}

Test(lifecycle, changed_build_context_rebuilds_and_recreates_only_that_service)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "rebuild",
		    "services:\n"
		    "  built:\n"
		    "    build: ./ctx\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "  other:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n");
	it_run(&r, "mkdir -p %s/ctx && printf 'FROM debian:bookworm-slim\\nCOPY greeting /greeting\\n' > %s/ctx/Dockerfile "
		   "&& echo one > %s/ctx/greeting",
	       lab.dir, lab.dir, lab.dir);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "building image"), "first up builds: %s", r.err);
	it_run_free(&r);
	char *built1 = it_container_id(lab.project, "built", 1), *other1 = it_container_id(lab.project, "other", 1);

	/* same context, touched (a fresh clone has new mtimes): no rebuild */
	it_run(&r, "touch %s/ctx/greeting", lab.dir);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect(!strstr(r.err, "building image") && strstr(r.err, "nothing changed"), "%s", r.err);
	it_run_free(&r);

	it_run(&r, "echo two > %s/ctx/greeting", lab.dir);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "build context changed"), "%s", r.err);
	it_run_free(&r);
	char *built2 = it_container_id(lab.project, "built", 1), *other2 = it_container_id(lab.project, "other", 1);
	cr_expect_str_neq(built2, built1, "the rebuilt service is recreated");
	cr_expect_str_eq(other2, other1, "the other service is kept");
	char *content = it_sh("docker exec %s cat /greeting", built2);
	cr_expect_str_eq(content, "two");
	free(content), free(built1), free(built2), free(other1), free(other2);
	it_run(&r, "docker rmi -f %s-built >/dev/null 2>&1", lab.project);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}
