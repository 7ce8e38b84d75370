/* up --swarm on the real engine.
 *
 * single_node_module0: the test makes this engine a one-node Swarm
 * (docker swarm init --advertise-addr 127.0.0.1), brings module0 up as
 * Swarm services, checks status (a task per service, with its node),
 * env, exec, verify (the student's exercises done, every check passes),
 * down --volumes (nothing of the lab left), and always leaves the swarm
 * in its .fini, also when an assertion fails. The swarm window is the
 * test's (about a minute): ordinary containers of other tests keep
 * running meanwhile (a Swarm manager runs plain containers as before).
 *
 * --endpoint-mode dnsrr: this machine's kernel has no IPVS (dockerd logs
 * "Could not get ipvs family information from the kernel"), so Swarm's
 * virtual IPs and its ingress routing mesh do not work here; DNS
 * round-robin and host-mode ports do.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static int swarm_made;        /* this test ran swarm init */
static int gwbridge_was_there; /* docker_gwbridge existed before */
static struct it_lab lab;

static void swarm_leave(void)
{
	if (lab.project[0]) {
		free(it_sh("ids=$(docker service ls -q --filter label=io.labctl.lab=%s); [ -z \"$ids\" ] || "
			   "docker service rm $ids >/dev/null 2>&1; true",
			   lab.project));
	}
	if (swarm_made) {
		free(it_sh("docker swarm leave --force >/dev/null 2>&1; true"));
		/* the bridge Swarm made for its tasks' outside traffic */
		if (!gwbridge_was_there)
			free(it_sh("docker network rm docker_gwbridge >/dev/null 2>&1; true"));
		swarm_made = 0;
	}
	if (lab.project[0])
		it_lab_cleanup(&lab);
}

static void swarm_join(void)
{
	char *state = it_sh("docker info --format '{{.Swarm.LocalNodeState}}'");
	int inactive = strcmp(state, "inactive") == 0;
	free(state);
	if (!inactive)
		cr_skip_test("the engine is already in a swarm that is not this test's: not touching it");
	char *gw = it_sh("docker network ls -q --filter name=^docker_gwbridge$");
	gwbridge_was_there = gw[0] != 0;
	free(gw);
	struct it_run r;
	it_run(&r, "docker swarm init --advertise-addr 127.0.0.1");
	swarm_made = r.status == 0;
	cr_assert_eq(r.status, 0, "swarm init: %s", r.err);
	it_run_free(&r);
}

Test(swarm, single_node_module0, .timeout = 600, .init = swarm_join, .fini = swarm_leave)
{
	struct it_run r;
	it_lab_make(&lab, "swarm0", "services: {}\n"); /* for its names and state dir only */
	int pg = it_free_port(), s3 = it_free_port(), kport = it_free_port();
	char env[700];
	snprintf(env, sizeof(env), "LABCTL_STATE_DIR='%s' LAB_PG_PORT=%d LAB_S3_PORT=%d LAB_KAFKA_PORT=%d '%s'", lab.state,
		 pg, s3, kport, it_labctl());

	it_run(&r, "%s up -p %s module0 --swarm --endpoint-mode dnsrr", env, lab.project);
	cr_assert_eq(r.status, 0, "up --swarm: exit %d:\n%s\n%s", r.status, r.out, r.err);
	cr_expect(strstr(r.err, "swarm_kafka | created") || strstr(r.err, "_kafka | created"), "%s", r.err);
	cr_expect(strstr(r.err, "note: volume '") && strstr(r.err, "is made by the node each task"),
		  "up says volumes are local to a node:\n%s", r.err);
	cr_expect(strstr(r.out, "init                 1/1       completed"), "%s", r.out);
	char want[64];
	snprintf(want, sizeof(want), "127.0.0.1:%d", pg);
	cr_expect(strstr(r.out, want), "postgres' endpoint %s:\n%s", want, r.out);
	it_run_free(&r);

	/* Swarm runs them: a service per lab service, labelled */
	char *n = it_sh("docker service ls -q --filter label=io.labctl.lab=%s | wc -l", lab.project);
	cr_expect_str_eq(n, "5", "five Swarm services");
	free(n);
	char *mode = it_sh("docker service inspect %s_postgres --format '{{.Spec.EndpointSpec.Mode}} "
			   "{{(index .Spec.EndpointSpec.Ports 0).PublishMode}} {{.Spec.TaskTemplate.RestartPolicy.Condition}}'",
			   lab.project);
	cr_expect_str_eq(mode, "dnsrr host any", "postgres' spec");
	free(mode);
	char *init = it_sh("docker service inspect %s_init --format '{{.Spec.TaskTemplate.RestartPolicy.Condition}}'",
			   lab.project);
	cr_expect_str_eq(init, "none", "the one-shot init job is not restarted");
	free(init);

	/* status: a row per task with its node */
	char *node = it_sh("docker info --format '{{.Name}}'");
	it_run(&r, "%s status -p %s module0", env, lab.project);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "NODE"), "%s", r.out);
	const char *services[] = {"compute", "init", "kafka", "objectstore", "postgres"};
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		char row[128];
		snprintf(row, sizeof(row), "%-20s %-8s %-16s %s", services[i], "1", node,
			 strcmp(services[i], "init") == 0 ? "complete" : "running");
		cr_expect(strstr(r.out, row), "status row '%s':\n%s", row, r.out);
	}
	it_run_free(&r);
	free(node);

	/* the student's exercises, through exec on the tasks' containers and
	   the host endpoints; then every check passes */
	it_run(&r, "%s verify -p %s module0", env, lab.project);
	cr_expect_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_expect(strstr(r.out, "2 passed, 3 failed"), "a fresh lab: %s", r.out);
	it_run_free(&r);
	it_run(&r,
	       "%s exec -p %s module0 compute -- psql -c \"insert into airports (iata, name) values "
	       "('ORD', 'O''Hare'), ('ATL', 'Hartsfield'), ('DEN', 'Denver')\"",
	       env, lab.project);
	cr_expect_eq(r.status, 0, "exec: %s", r.err);
	it_run_free(&r);
	char *topic = it_sh("%s verify -p %s module0 --only your-topic --format json | python3 -c "
			    "'import json,sys; print(json.load(sys.stdin)[\"checks\"][0][\"description\"].split()[2])'",
			    env, lab.project);
	cr_assert(strlen(topic) > 6, "topic from params: '%s'", topic);
	it_run(&r, "%s exec -p %s module0 kafka -- kafka-topics.sh --bootstrap-server kafka:9092 --create --topic '%s' --partitions 3",
	       env, lab.project, topic);
	cr_expect_eq(r.status, 0, "create topic: %s %s", r.out, r.err);
	it_run_free(&r);
	free(topic);
	it_run(&r,
	       "eval \"$(%s env -p %s module0)\" && curl -sSf -X PUT --aws-sigv4 aws:amz:$AWS_REGION:s3 "
	       "--user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "
	       "-H 'Content-Type: text/plain' --data-binary 'hello swarm' \"$AWS_ENDPOINT_URL/lake/hello.txt\"",
	       env, lab.project);
	cr_expect_eq(r.status, 0, "put object: %s %s", r.out, r.err);
	it_run_free(&r);
	it_run(&r, "%s verify -p %s module0", env, lab.project);
	cr_expect_eq(r.status, 0, "verify on Swarm: %s %s", r.out, r.err);
	cr_expect(strstr(r.out, "5 passed, 0 failed"), "%s", r.out);
	it_run_free(&r);

	/* a plain up of the same lab is refused while Swarm runs it */
	it_run(&r, "%s up -p %s module0", env, lab.project);
	cr_expect_eq(r.status, 2, "%s", r.err);
	cr_expect(strstr(r.err, "runs as Swarm services"), "%s", r.err);
	it_run_free(&r);

	it_run(&r, "%s down -p %s module0 --volumes", env, lab.project);
	cr_expect_eq(r.status, 0, "down: %s", r.err);
	cr_expect(strstr(r.err, "swarm service '"), "%s", r.err);
	it_run_free(&r);
	n = it_sh("docker service ls -q --filter label=io.labctl.lab=%s | wc -l", lab.project);
	cr_expect_str_eq(n, "0", "no Swarm service left");
	free(n);
	cr_expect_eq(it_count_containers(lab.project), 0, "no container left");
	cr_expect_eq(it_count_networks(lab.project), 0, "no network left");
	cr_expect_eq(it_count_volumes(lab.project), 0, "no volume left");
}

/* Not a manager: up --swarm says what to do, exit 2, nothing made. */
Test(swarm, not_a_manager, .timeout = 60)
{
	char *state = it_sh("docker info --format '{{.Swarm.LocalNodeState}}'");
	int inactive = strcmp(state, "inactive") == 0;
	free(state);
	if (!inactive)
		cr_skip_test("the engine is in a swarm now");
	struct it_lab l;
	struct it_run r;
	it_lab_make(&l, "swarmno", "services:\n  a: { image: debian:bookworm-slim, command: [sleep, '60'] }\n");
	it_labctl_run(&r, &l, "up '%s' --swarm", l.dir);
	cr_expect_eq(r.status, 2, "%s", r.err);
	cr_expect(strstr(r.err, "is not a Swarm manager (its swarm state is 'inactive'): run 'docker swarm init'"), "%s",
		  r.err);
	it_run_free(&r);
	cr_expect_eq(it_count_networks(l.project), 0, "nothing made");
	it_lab_cleanup(&l);
}
