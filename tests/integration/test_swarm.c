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
 * student_instances: two students' instances of module0 on that one-node
 * Swarm, side by side, each taken down on its own.
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
#include <time.h>
#include <unistd.h>

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

/* How many Swarm services carry io.labctl.lab=project. */
static int swarm_services(const char *project)
{
	char *n = it_sh("docker service ls -q --filter label=io.labctl.lab=%s | wc -l", project);
	int v = atoi(n);
	free(n);
	return v;
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
	cr_expect_eq(swarm_services(lab.project), 5, "five Swarm services");
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
	cr_expect_eq(swarm_services(lab.project), 0, "no Swarm service left");
	cr_expect_eq(it_count_containers(lab.project), 0, "no container left");
	cr_expect_eq(it_count_networks(lab.project), 0, "no network left");
	cr_expect_eq(it_count_volumes(lab.project), 0, "no volume left");
}

/* Two students' instances of module0 on Swarm (up --student ID --swarm):
 * each its own services under its own project, host ports of its own from
 * the port range, status with the node, verify and down --volumes per
 * student, the other instance untouched. */
static char st_project[2][64];

static void students_leave(void)
{
	for (int i = 0; i < 2; i++) {
		if (!st_project[i][0])
			continue;
		free(it_sh("ids=$(docker service ls -q --filter label=io.labctl.lab=%s); [ -z \"$ids\" ] || "
			   "docker service rm $ids >/dev/null 2>&1; true",
			   st_project[i]));
		char select[200];
		snprintf(select, sizeof(select), "awk '$2 == \"%s\" {print $1}'", st_project[i]);
		it_remove_labelled("io.labctl.lab", select);
	}
	swarm_leave();
}

Test(swarm, student_instances, .timeout = 600, .init = swarm_join, .fini = students_leave)
{
	struct it_run r;
	it_lab_make(&lab, "swarmst", "services: {}\n"); /* for its state dir only */
	char id[2][24], env[600];
	snprintf(env, sizeof(env), "LABCTL_STATE_DIR='%s' '%s'", lab.state, it_labctl());
	for (int i = 0; i < 2; i++) {
		snprintf(id[i], sizeof(id[i]), "sw%c%d", 'a' + i, (int)getpid() % 100000);
		snprintf(st_project[i], sizeof(st_project[i]), "module0-%s", id[i]);
		it_run(&r, "%s up module0 --student %s --swarm --endpoint-mode dnsrr", env, id[i]);
		cr_assert_eq(r.status, 0, "up --student %s --swarm: %s\n%s", id[i], r.out, r.err);
		cr_expect(strstr(r.out, "lab 'module0-") || strstr(r.err, "is up"), "%s%s", r.out, r.err);
		it_run_free(&r);
		cr_expect_eq(swarm_services(st_project[i]), 5, "five Swarm services of %s", st_project[i]);
	}
	/* ports of their own, from the range */
	char *pa = it_sh("%s env module0 --student %s | sed -n \"s/^export PGPORT='\\(.*\\)'/\\1/p\"", env, id[0]);
	char *pb = it_sh("%s env module0 --student %s | sed -n \"s/^export PGPORT='\\(.*\\)'/\\1/p\"", env, id[1]);
	cr_expect(atoi(pa) >= 20000 && atoi(pa) <= 29999 && atoi(pb) >= 20000 && atoi(pb) <= 29999 && strcmp(pa, pb),
		  "PGPORT %s and %s: two ports of the range", pa, pb);
	char want[64];
	snprintf(want, sizeof(want), "%s->5432/host", pb);
	it_run(&r, "%s status module0 --student %s", env, id[1]);
	cr_expect(strstr(r.out, "NODE") && strstr(r.out, want), "status of %s: a task row with %s:\n%s", id[1], want,
		  r.out);
	it_run_free(&r);
	free(pa);
	free(pb);
	it_run(&r, "%s verify module0 --student %s", env, id[1]);
	cr_expect_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_expect(strstr(r.out, "2 passed, 3 failed"), "a fresh instance: %s", r.out);
	it_run_free(&r);

	/* one student's down leaves the other's instance running */
	it_run(&r, "%s down module0 --student %s --volumes", env, id[0]);
	cr_expect_eq(r.status, 0, "down: %s", r.err);
	it_run_free(&r);
	cr_expect_eq(swarm_services(st_project[0]), 0, "%s's services gone", st_project[0]);
	cr_expect_eq(it_count_volumes(st_project[0]), 0, "%s's volumes gone", st_project[0]);
	cr_expect_eq(swarm_services(st_project[1]), 5, "%s's services kept", st_project[1]);
	it_run(&r, "%s down module0 --student %s --volumes", env, id[1]);
	cr_expect_eq(r.status, 0, "down: %s", r.err);
	it_run_free(&r);
	for (int i = 0; i < 2; i++) {
		cr_expect_eq(swarm_services(st_project[i]), 0, "no service of %s left", st_project[i]);
		cr_expect_eq(it_count_containers(st_project[i]), 0, "no container of %s left", st_project[i]);
		cr_expect_eq(it_count_networks(st_project[i]), 0, "no network of %s left", st_project[i]);
		cr_expect_eq(it_count_volumes(st_project[i]), 0, "no volume of %s left", st_project[i]);
	}
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
	it_lab_make(&l, "swarmno",
		    "services:\n  a:\n    image: debian:bookworm-slim\n    command: [sleep, '60']\n"
		    "    deploy: { placement: { constraints: [node.role==manager] } }\n");
	it_labctl_run(&r, &l, "up '%s' --swarm", l.dir);
	cr_expect_eq(r.status, 2, "%s", r.err);
	cr_expect(strstr(r.err, "is not a Swarm manager (its swarm state is 'inactive'): run 'docker swarm init'"), "%s",
		  r.err);
	/* --swarm applies deploy.placement: no warning that it is ignored */
	cr_expect_null(strstr(r.err, "ignored without Swarm"), "%s", r.err);
	it_run_free(&r);
	/* without --swarm it is ignored, and said so */
	it_labctl_run(&r, &l, "validate '%s'", l.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "lab.yml:5:26: warning: 'deploy.placement' is ignored without Swarm (Docker Compose "
				"ignores it too; up --swarm applies it)"),
		  "%s", r.err);
	it_run_free(&r);
	cr_expect_eq(it_count_networks(l.project), 0, "nothing made");
	it_lab_cleanup(&l);
}

/* ---- three nodes: Docker-in-Docker on a network of the test's ----
 *
 * Three containers of labctl/swarm-node:1 (images/swarm-node,
 * Debian's docker.io; scripts/setup.sh builds it) named <project>-swm,
 * -sw1, -sw2, hostnames swm, sw1, sw2, on a bridge network the test makes;
 * swm inits a swarm (advertising its address on that network), sw1 and
 * sw2 join with the worker token. labctl talks to swm
 * (DOCKER_HOST=tcp://<swm>:2375, the test network only). The host's own
 * engine never joins a swarm here; every container, volume and network
 * the test made is removed in its .fini.
 *
 * The lab is module0 itself, spread by an override file (-f, as Compose
 * merges it over the lab and the services it includes): compute on the
 * manager swm, kafka and objectstore on sw1, postgres and its init job on
 * sw2, Kafka advertising sw1's address. Images: there is no registry
 * here, so each node gets the images of its own tasks with `docker save |
 * docker load` (the manager all of them: labctl resolves every service's
 * image on the engine it talks to): about 1.7 GB of loads where every
 * image into every node would be 2.7 GB. A registry would cost more on
 * one machine: a push gzips every layer (13 s of CPU for the 404 MB Kafka
 * image, against 3 s to save it) before any node pulls. */

static char tri_project[64];

/* What dockerd in a container needs. Not --privileged: that asks for every
 * capability, and this machine's bounding set lacks CAP_SYS_RESOURCE
 * (CapBnd 000001fffeffffff), so runc fails with "unable to apply caps:
 * operation not permitted". Every capability but that one, no seccomp or
 * AppArmor profile, /proc and /sys unmasked, and the cgroup hierarchy (v1
 * here) writable; the node's dockerd puts its containers under a cgroup
 * parent of its own (--cgroup-parent=/<project>-<node>), not under the
 * host engine's /docker, and .fini removes those cgroups. */
#define NODE_PRIVILEGES                                                                                          \
	"--cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined --security-opt "                  \
	"apparmor=unconfined --security-opt systempaths=unconfined -v /sys/fs/cgroup:/sys/fs/cgroup:rw"

static void tri_cleanup(void)
{
	if (!tri_project[0])
		return;
	free(it_sh("ids=$(docker ps -aq --filter label=io.labctl.swarm-test=%s); [ -z \"$ids\" ] || docker rm -f -v $ids "
		   ">/dev/null 2>&1; docker network rm %s-net >/dev/null 2>&1; "
		   "for d in /sys/fs/cgroup/*/%s-sw*; do [ -d \"$d\" ] && find \"$d\" -depth -type d -exec rmdir {} + ; done "
		   ">/dev/null 2>&1; true",
		   tri_project, tri_project, tri_project));
}

static char *node_ip(const char *name)
{
	return it_sh("docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' %s-%s", tri_project,
		     name);
}

/* docker load of images (one stream: shared layers once) into node, timed */
static void load_into(const char *node, const char *images)
{
	struct it_run r;
	time_t t0 = time(NULL);
	it_run(&r, "docker save %s | docker exec -i %s-%s docker load -q", images, tri_project, node);
	cr_assert_eq(r.status, 0, "load %s into %s: %s", images, node, r.err);
	cr_log_info("swarm: %s into %s in %lds\n", images, node, (long)(time(NULL) - t0));
	it_run_free(&r);
}

/* the lab's volumes on node, sorted, space-separated */
static char *node_volumes(const char *node, const char *project)
{
	return it_sh("docker exec %s-%s docker volume ls -q --filter label=io.labctl.lab=%s | sort | paste -sd' ' -",
		     tri_project, node, project);
}

Test(swarm, three_nodes_module0_spread, .timeout = 900, .fini = tri_cleanup)
{
	struct it_run r;
	time_t start = time(NULL);
	char *have = it_sh("docker image inspect -f ok labctl/swarm-node:1 2>/dev/null");
	cr_assert_str_eq(have, "ok", "labctl/swarm-node:1 is missing: scripts/setup.sh builds it (images/swarm-node)");
	free(have);
	snprintf(tri_project, sizeof(tri_project), "it%d-swarm3", (int)getpid());
	it_run(&r, "docker network create --label io.labctl.swarm-test=%s %s-net", tri_project, tri_project);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	const char *nodes[] = {"swm", "sw1", "sw2"};
	for (int i = 0; i < 3; i++) {
		it_run(&r,
		       "docker run -d --name %s-%s --hostname %s --network %s-net --label io.labctl.swarm-test=%s "
		       NODE_PRIVILEGES " -v /var/lib/docker labctl/swarm-node:1 --cgroup-parent=/%s-%s",
		       tri_project, nodes[i], nodes[i], tri_project, tri_project, tri_project, nodes[i]);
		cr_assert_eq(r.status, 0, "node %s: %s", nodes[i], r.err);
		it_run_free(&r);
	}
	for (int i = 0; i < 3; i++) {
		it_run(&r, "for i in $(seq 120); do docker exec %s-%s docker version >/dev/null 2>&1 && exit 0; sleep 0.5; done; "
			   "docker logs --tail 20 %s-%s; exit 1",
		       tri_project, nodes[i], tri_project, nodes[i]);
		cr_assert_eq(r.status, 0, "dockerd in %s: %s %s", nodes[i], r.out, r.err);
		it_run_free(&r);
	}
	char *mip = node_ip("swm"), *w1ip = node_ip("sw1"), *w2ip = node_ip("sw2");
	it_run(&r, "docker exec %s-swm docker swarm init --advertise-addr %s", tri_project, mip);
	cr_assert_eq(r.status, 0, "swarm init: %s", r.err);
	it_run_free(&r);
	char *token = it_sh("docker exec %s-swm docker swarm join-token -q worker", tri_project);
	for (int i = 1; i < 3; i++) {
		it_run(&r, "docker exec %s-%s docker swarm join --token %s %s:2377", tri_project, nodes[i], token, mip);
		cr_assert_eq(r.status, 0, "join %s: %s", nodes[i], r.err);
		it_run_free(&r);
	}
	free(token);
	cr_log_info("swarm: three nodes up in %lds\n", (long)(time(NULL) - start));

	/* each node the images of its tasks; the manager all four and the
	   labctl/jre:17 two of them are built FROM (labctl checks a base built
	   here is current before it uses an image built on it) */
	time_t t0 = time(NULL);
	load_into("swm", "labctl/postgres:15 labctl/kafka:4.4.0 labctl/objectstore:4.1.0 labctl/compute:1 labctl/jre:17");
	load_into("sw1", "labctl/kafka:4.4.0 labctl/objectstore:4.1.0");
	load_into("sw2", "labctl/postgres:15");
	cr_log_info("swarm: images into the nodes in %lds\n", (long)(time(NULL) - t0));

	struct it_lab l;
	it_lab_make(&l, "swarm3", "services: {}\n"); /* for its names and state dir only */
	char spread[300];
	snprintf(spread, sizeof(spread), "%s/spread.yml", l.dir);
	FILE *f = fopen(spread, "w");
	cr_assert(f);
	fprintf(f,
		"services:\n"
		"  compute: { deploy: { placement: { constraints: [node.hostname==swm] } } }\n"
		"  kafka:\n"
		"    environment: { KAFKA_EXTERNAL_HOST: '%s', KAFKA_HEAP_OPTS: '-Xms128m -Xmx256m' }\n"
		"    deploy: { placement: { constraints: [node.hostname==sw1] } }\n"
		"  objectstore: { deploy: { placement: { constraints: [node.hostname==sw1] } } }\n"
		"  postgres: { deploy: { placement: { constraints: [node.hostname==sw2] } } }\n"
		"  init: { deploy: { placement: { constraints: [node.hostname==sw2] } } }\n",
		w1ip);
	fclose(f);
	int pg = it_free_port(), s3 = it_free_port(), kport = it_free_port();
	char env[900], lab[700];
	snprintf(env, sizeof(env), "DOCKER_HOST=tcp://%s:2375 LABCTL_STATE_DIR='%s' LAB_PG_PORT=%d LAB_S3_PORT=%d "
		 "LAB_KAFKA_PORT=%d '%s'", mip, l.state, pg, s3, kport, it_labctl());
	snprintf(lab, sizeof(lab), "-p %s -f '%s/labs/module0/lab.yml' -f '%s'", l.project, it_repo(), spread);
	t0 = time(NULL);
	it_run(&r, "%s up %s --swarm --endpoint-mode dnsrr", env, lab);
	cr_log_info("swarm: module0 up on three nodes in %lds\n", (long)(time(NULL) - t0));
	cr_assert_eq(r.status, 0, "up on three nodes: exit %d\n%s\n%s", r.status, r.out, r.err);
	/* up's endpoints: each at the address of the node its task runs on */
	char want[64];
	snprintf(want, sizeof(want), "%s:%d", w2ip, pg);
	cr_expect(strstr(r.out, want), "postgres' endpoint on sw2 %s:\n%s", want, r.out);
	it_run_free(&r);

	/* spread: each service on the node its constraint names */
	it_run(&r, "%s status %s", env, lab);
	cr_expect_eq(r.status, 0, "%s", r.err);
	static const struct {
		const char *svc, *node, *state;
	} where[] = {{"compute", "swm", "running"},
		     {"init", "sw2", "complete"},
		     {"kafka", "sw1", "running"},
		     {"objectstore", "sw1", "running"},
		     {"postgres", "sw2", "running"}};
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		char row[128];
		snprintf(row, sizeof(row), "%-20s %-8s %-16s %s", where[i].svc, "1", where[i].node, where[i].state);
		cr_expect(strstr(r.out, row), "status row '%s':\n%s", row, r.out);
	}
	it_run_free(&r);

	/* the README's exercises: psql from compute (swm) into postgres (sw2)
	   over the overlay; the topic made in the broker's own container,
	   through sw1's engine (exec reaches the containers of the engine it
	   talks to); a signed PUT from this host to sw1's published port */
	it_run(&r, "%s verify %s", env, lab);
	cr_expect_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_expect(strstr(r.out, "2 passed, 3 failed"), "a fresh lab: %s", r.out);
	it_run_free(&r);
	it_run(&r,
	       "%s exec %s compute -- psql -c \"insert into airports (iata, name) values "
	       "('ORD', 'O''Hare'), ('ATL', 'Hartsfield'), ('DEN', 'Denver')\"",
	       env, lab);
	cr_expect_eq(r.status, 0, "exec psql on swm: %s", r.err);
	it_run_free(&r);
	char *topic = it_sh("%s verify %s --only your-topic --format json | python3 -c "
			    "'import json,sys; print(json.load(sys.stdin)[\"checks\"][0][\"description\"].split()[2])'",
			    env, lab);
	cr_assert(strlen(topic) > 6, "topic from params: '%s'", topic);
	char env1[900];
	snprintf(env1, sizeof(env1), "DOCKER_HOST=tcp://%s:2375 LABCTL_STATE_DIR='%s' '%s'", w1ip, l.state, it_labctl());
	it_run(&r, "%s exec %s kafka -- kafka-topics.sh --bootstrap-server kafka:9092 --create --topic '%s' --partitions 3",
	       env1, lab, topic);
	cr_expect_eq(r.status, 0, "create topic through sw1: %s %s", r.out, r.err);
	it_run_free(&r);
	free(topic);
	/* a producer and a consumer on swm, the broker on sw1 */
	it_run(&r,
	       "%s exec %s compute -- sh -c \"printf 'across-1\\nacross-2\\nacross-3\\n' | kcat -P -b kafka:9092 -t across "
	       "-X acks=all && kcat -C -b kafka:9092 -t across -o beginning -c 3 -e\"",
	       env, lab);
	cr_expect_eq(r.status, 0, "%s %s", r.out, r.err);
	cr_expect(strstr(r.out, "across-1\nacross-2\nacross-3"), "read back across the overlay: %s", r.out);
	it_run_free(&r);
	it_run(&r,
	       "eval \"$(%s env %s)\" && echo \"$AWS_ENDPOINT_URL\" | grep -q '%s' && curl -sSf -X PUT --aws-sigv4 "
	       "aws:amz:$AWS_REGION:s3 --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" -H 'x-amz-content-sha256: "
	       "UNSIGNED-PAYLOAD' -H 'Content-Type: text/plain' --data-binary 'hello swarm' \"$AWS_ENDPOINT_URL/lake/hello.txt\"",
	       env, lab, w1ip);
	cr_expect_eq(r.status, 0, "put object at sw1: %s %s", r.out, r.err);
	it_run_free(&r);
	it_run(&r, "%s verify %s", env, lab);
	cr_expect_eq(r.status, 0, "verify on three nodes: %s %s", r.out, r.err);
	cr_expect(strstr(r.out, "5 passed, 0 failed"), "%s", r.out);
	it_run_free(&r);

	/* plain down: each node keeps the lab's volumes */
	char want1[300], want2[300];
	snprintf(want1, sizeof(want1), "%s_kafkadata %s_s3data", l.project, l.project);
	snprintf(want2, sizeof(want2), "%s_pgdata", l.project);
	it_run(&r, "%s down %s", env, lab);
	cr_expect_eq(r.status, 0, "down: %s", r.err);
	it_run_free(&r);
	char *v1 = node_volumes("sw1", l.project), *v2 = node_volumes("sw2", l.project);
	cr_expect_str_eq(v1, want1, "sw1 keeps its volumes after down");
	cr_expect_str_eq(v2, want2, "sw2 keeps its volumes after down");
	free(v1);
	free(v2);

	/* up again: postgres, pinned to sw2, finds its rows there */
	t0 = time(NULL);
	it_run(&r, "%s up %s --swarm --endpoint-mode dnsrr", env, lab);
	cr_log_info("swarm: module0 up again in %lds\n", (long)(time(NULL) - t0));
	cr_assert_eq(r.status, 0, "up again: %s %s", r.out, r.err);
	it_run_free(&r);
	it_run(&r, "%s verify %s --only airports-loaded", env, lab);
	cr_expect_eq(r.status, 0, "the rows on sw2's volume: %s %s", r.out, r.err);
	it_run_free(&r);

	/* a plain down again: where the tasks ran is kept on the swarm, a
	   config per node; then down --volumes, with no service left to say
	   where they ran, reaches sw1 and sw2 from those */
	it_run(&r, "%s down %s", env, lab);
	cr_expect_eq(r.status, 0, "down: %s", r.err);
	it_run_free(&r);
	char *kept = it_sh("docker exec %s-swm docker config ls -q --filter label=io.labctl.lab=%s "
			   "--filter label=io.labctl.role=volume-sweep | wc -l",
			   tri_project, l.project);
	cr_expect_str_eq(kept, "2", "a config per node of the workers kept by the plain down");
	free(kept);
	t0 = time(NULL);
	it_run(&r, "%s down %s --volumes", env, lab);
	cr_log_info("swarm: down --volumes on three nodes in %lds\n", (long)(time(NULL) - t0));
	cr_expect_eq(r.status, 0, "down --volumes: %s", r.err);
	char said[300];
	snprintf(said, sizeof(said), "volume '%s_pgdata' removed on node 'sw2'", l.project);
	cr_expect(strstr(r.err, said), "%s in:\n%s", said, r.err);
	snprintf(said, sizeof(said), "volume '%s_kafkadata' removed on node 'sw1'", l.project);
	cr_expect(strstr(r.err, said), "%s in:\n%s", said, r.err);
	it_run_free(&r);
	for (int i = 0; i < 3; i++) {
		char *v = node_volumes(nodes[i], l.project);
		cr_expect_str_eq(v, "", "no volume of the lab left on %s", nodes[i]);
		free(v);
	}
	char *left = it_sh("docker exec %s-swm docker service ls -q | wc -l", tri_project);
	cr_expect_str_eq(left, "0", "no service left (the sweep's neither)");
	free(left);
	left = it_sh("docker exec %s-swm docker config ls -q | wc -l", tri_project);
	cr_expect_str_eq(left, "0", "no config left");
	free(left);
	cr_log_info("swarm: three-node test in %lds\n", (long)(time(NULL) - start));
	free(mip);
	free(w1ip);
	free(w2ip);
	it_lab_cleanup(&l);
}
