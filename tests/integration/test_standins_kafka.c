/* Kafka and ZooKeeper stand-ins (images/catalog.yml entries cp-kafka,
 * cp-zookeeper, bitnami-kafka, bitnami-zookeeper; images/kafka/Dockerfile.3.9,
 * issue 15): the classic course stacks, as compose files written against
 * the public images' documented interface (tests/standins/), come up with
 * `labctl up -f ... --offline` on stand-ins built here, health-gated, and
 * kcat (librdkafka) produces and consumes on the advertised host listener.
 *
 * The four entries build one Dockerfile and differ only in a metadata
 * stage, so the first test's build (Maven's jars: the cold part) serves
 * the others from the build cache. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* "" when image is absent, else its io.labctl.stand-in-for label ("<no
 * value>" for an image that is not a stand-in). Caller frees. */
static char *stand_in_for(const char *image)
{
	return it_sh("docker image inspect -f '{{index .Config.Labels \"io.labctl.stand-in-for\"}}' '%s' 2>/dev/null",
		     image);
}

/* The images a test runs, NULL-terminated: dropped before, so that up
 * builds them (from the build cache but for the first). They stay after
 * it, as the other stand-in tests' do: the course stack
 * (test_standins_stack.c, later in the run) runs cp-kafka and cp-zookeeper
 * without building them again. Only stand-ins are removed, never a real
 * image of that name. */
static const char *const *test_images;

/* Remove the stand-ins among test_images. Returns 0 when a real image of
 * one of those names is on the engine (a machine with a registry):
 * nothing to stand in for. */
static int drop_stand_ins(void)
{
	int real = 0;
	for (const char *const *i = test_images; i && *i; i++) {
		char *label = stand_in_for(*i);
		if (*label && strcmp(label, "<no value>") == 0)
			real = 1;
		else if (*label)
			free(it_sh("docker rmi '%s' >/dev/null 2>&1; true", *i));
		free(label);
	}
	return !real;
}

/* The test runs the images of run (NULL-terminated): their stand-ins are
 * dropped first, or the test is skipped when a real image has one's name. */
static void use_images(const char *const *run)
{
	test_images = run;
	if (!drop_stand_ins())
		cr_skip_test("a real image of these names is on this engine: nothing to stand in for");
}

/* A free port for the file's host listener, in the variable var the file
 * reads; bootstrap (32 bytes) gets "localhost:PORT". */
static void host_listener(const char *var, char *bootstrap)
{
	char port[16];
	snprintf(port, sizeof(port), "%d", it_free_port());
	snprintf(bootstrap, 32, "localhost:%s", port);
	setenv(var, port, 1);
}

/* down -f FILE -p PROJECT --volumes succeeds; then the lab's cleanup. */
static void down_stack(struct it_lab *lab, const char *file)
{
	struct it_run r;
	it_labctl_run(&r, lab, "down -f '%s/%s' -p '%s' --volumes", it_repo(), file, lab->project);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	it_lab_cleanup(lab);
}

/* up -f FILE -p PROJECT --offline: exit 0, health-gated, each image in
 * want built as the named stand-in (one line each on stderr). */
static void up_offline(struct it_lab *lab, const char *file, const char *const *want, size_t n_want)
{
	struct it_run r;
	it_labctl_run(&r, lab, "up -f '%s/%s' -p '%s' --offline", it_repo(), file, lab->project);
	cr_assert_eq(r.status, 0, "up --offline: %s\n%s", r.err, r.out);
	for (size_t i = 0; i < n_want; i += 2) {
		char line[256];
		snprintf(line, sizeof(line),
			 "image '%s': not present and --offline; building stand-in '%s' from images/kafka", want[i],
			 want[i + 1]);
		cr_expect(strstr(r.err, line), "says '%s': %s", line, r.err);
		char *label = stand_in_for(want[i]);
		cr_expect_str_eq(label, want[i], "tagged %s and labelled as its stand-in", want[i]);
		free(label);
	}
	cr_expect(strstr(r.out, "healthy"), "health-gated: %s", r.out);
	it_run_free(&r);
}

/* Wait (at most 120 s) until kcat -L on bootstrap shows topic with
 * partitions partitions; the metadata text, caller frees. */
static char *wait_topic(const char *bootstrap, const char *topic, int partitions)
{
	char want[128];
	snprintf(want, sizeof(want), "topic \"%s\" with %d partitions", topic, partitions);
	char *md = NULL;
	for (int i = 0; i < 120; i++) {
		free(md);
		md = it_sh("kcat -L -b %s -t %s -m 5 2>&1", bootstrap, topic);
		if (strstr(md, want))
			break;
		sleep(1);
	}
	cr_expect(strstr(md, want), "%s: %s", want, md);
	return md;
}

/* kcat produces lines (key:value) to topic, then a consumer group reads
 * them back from the beginning: the values, sorted. */
static void produce_consume(const char *bootstrap, const char *topic, const char *group)
{
	struct it_run r;
	it_run(&r, "printf 'k1:alpha\\nk2:beta\\nk3:gamma\\n' | kcat -P -b %s -t %s -K: -X message.timeout.ms=30000",
	       bootstrap, topic);
	cr_assert_eq(r.status, 0, "produce on %s: %s", bootstrap, r.err);
	it_run_free(&r);
	it_run(&r,
	       "timeout 90 kcat -b %s -G %s -X auto.offset.reset=earliest -c 3 -q -f '%%s\\n' %s | sort",
	       bootstrap, group, topic);
	cr_expect_str_eq(r.out, "alpha\nbeta\ngamma\n", "consumed in group %s on %s: %s", group, bootstrap, r.err);
	it_run_free(&r);
}

/* confluentinc/cp-zookeeper + cp-kafka, ZooKeeper mode (Confluent's quick
 * start): KAFKA_* -> kafka.properties (with the '__' rule), the broker
 * waits for ZooKeeper, the init service's `cub kafka-ready` and
 * `kafka-topics` make the topic (auto-creation is off, so it is theirs),
 * a consumer group commits (offsets topic with replication factor 1), the
 * tools without .sh answer on the internal listener. */
Test(standins_kafka, cp_zookeeper_and_cp_kafka_in_zookeeper_mode, .timeout = 900)
{
	struct it_lab lab;
	struct it_run r;
	char bootstrap[32];
	static const char *const run[] = {"confluentinc/cp-zookeeper:7.9.0", "confluentinc/cp-kafka:7.9.0", NULL};
	use_images(run);
	host_listener("KAFKA_HOST_PORT", bootstrap);
	it_lab_make(&lab, "standin-cp", "");
	const char *file = "tests/standins/cp-kafka/compose.yaml";
	const char *const want[] = {"confluentinc/cp-zookeeper:7.9.0", "cp-zookeeper", "confluentinc/cp-kafka:7.9.0",
				    "cp-kafka"};
	up_offline(&lab, file, want, 4);

	char *md = wait_topic(bootstrap, "orders", 3);
	cr_expect(strstr(md, "broker 1 at localhost:"), "KAFKA_BROKER_ID and the advertised host listener: %s", md);
	free(md);
	produce_consume(bootstrap, "orders", "course-group");

	/* auto.create.topics.enable=false from KAFKA_AUTO_CREATE_TOPICS_ENABLE */
	it_run(&r, "echo x | kcat -P -b %s -t not-created -X message.timeout.ms=10000 2>&1; kcat -L -b %s -t not-created 2>&1",
	       bootstrap, bootstrap);
	cr_expect(!strstr(r.out, "topic \"not-created\" with 1 partitions"), "no topic made by a write: %s", r.out);
	it_run_free(&r);

	/* '__' -> '_': listener.name.plaintext_host.max.connections */
	char *kafka = it_container_id(lab.project, "kafka", 1);
	char *line = it_sh("docker exec %s grep '^listener.name' /etc/kafka/kafka.properties", kafka);
	cr_expect_str_eq(line, "listener.name.plaintext_host.max.connections=1000");
	free(line);
	free(kafka);

	/* the tools, Confluent's names, on the internal listener */
	it_labctl_run(&r, &lab,
		      "exec -f '%s/%s' -p '%s' kafka -- kafka-console-consumer --bootstrap-server kafka:9092 "
		      "--topic orders --from-beginning --max-messages 3 --timeout-ms 60000",
		      it_repo(), file, lab.project);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_eq(it_lines(r.out), 3, "%s", r.out);
	cr_expect(strstr(r.out, "beta"), "%s", r.out);
	it_run_free(&r);

	down_stack(&lab, file);
}

/* bitnamilegacy/zookeeper + bitnamilegacy/kafka, ZooKeeper mode:
 * ALLOW_ANONYMOUS_LOGIN, zkServer.sh status as the healthcheck,
 * KAFKA_CFG_* (num.partitions=2 for an auto-created topic), the legacy
 * alias KAFKA_BROKER_ID. */
Test(standins_kafka, bitnami_zookeeper_and_kafka_in_zookeeper_mode, .timeout = 900)
{
	struct it_lab lab;
	struct it_run r;
	char bootstrap[32];
	static const char *const run[] = {"bitnamilegacy/zookeeper:3.9", "bitnamilegacy/kafka:3.9", NULL};
	use_images(run);
	host_listener("KAFKA_HOST_PORT", bootstrap);
	it_lab_make(&lab, "standin-bn", "");
	const char *file = "tests/standins/bitnami-kafka/compose.yaml";
	const char *const want[] = {"bitnamilegacy/zookeeper:3.9", "bitnami-zookeeper", "bitnamilegacy/kafka:3.9",
				    "bitnami-kafka"};
	up_offline(&lab, file, want, 4);

	produce_consume(bootstrap, "events", "course-group");
	char *md = wait_topic(bootstrap, "events", 2);
	cr_expect(strstr(md, "broker 7 at localhost:"), "KAFKA_BROKER_ID=7 (alias of KAFKA_CFG_BROKER_ID): %s", md);
	free(md);

	it_labctl_run(&r, &lab, "exec -f '%s/%s' -p '%s' zookeeper -- zkServer.sh status", it_repo(), file,
		      lab.project);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "Mode: standalone"), "%s", r.out);
	it_run_free(&r);

	down_stack(&lab, file);
}

/* KRaft, no ZooKeeper: bitnami/kafka (KAFKA_CFG_PROCESS_ROLES, NODE_ID,
 * CONTROLLER_QUORUM_VOTERS, KAFKA_KRAFT_CLUSTER_ID) and cp-kafka 7.x
 * (KAFKA_PROCESS_ROLES, CLUSTER_ID, a listener bound to the container's
 * name), side by side. */
Test(standins_kafka, bitnami_kafka_and_cp_kafka_in_kraft_mode, .timeout = 900)
{
	struct it_lab lab;
	char bootstrap[32], cp_bootstrap[32];
	static const char *const run[] = {"bitnami/kafka:latest", "confluentinc/cp-kafka:7.9.0", NULL};
	use_images(run);
	host_listener("KAFKA_HOST_PORT", bootstrap);
	host_listener("CP_KAFKA_HOST_PORT", cp_bootstrap);
	it_lab_make(&lab, "standin-kraft", "");
	const char *file = "tests/standins/kafka-kraft/compose.yaml";
	const char *const want[] = {"bitnami/kafka:latest", "bitnami-kafka", "confluentinc/cp-kafka:7.9.0", "cp-kafka"};
	up_offline(&lab, file, want, 4);

	produce_consume(bootstrap, "bitnami-topic", "g1");
	char *md = wait_topic(bootstrap, "bitnami-topic", 1);
	cr_expect(strstr(md, "broker 0 at localhost:"), "KAFKA_CFG_NODE_ID=0: %s", md);
	free(md);
	produce_consume(cp_bootstrap, "cp-topic", "g1");
	md = wait_topic(cp_bootstrap, "cp-topic", 1);
	cr_expect(strstr(md, "broker 1 at localhost:"), "KAFKA_NODE_ID=1: %s", md);
	free(md);

	/* the cluster ids the files gave, in the formatted storage */
	char *kafka = it_container_id(lab.project, "kafka", 1);
	char *id = it_sh("docker exec %s sed -n 's/^cluster.id=//p' /bitnami/kafka/data/meta.properties", kafka);
	cr_expect_str_eq(id, "Fzq6RHXd-DksK6NVqI57sA", "KAFKA_KRAFT_CLUSTER_ID");
	free(id);
	free(kafka);
	kafka = it_container_id(lab.project, "cp-kafka", 1);
	id = it_sh("docker exec %s sed -n 's/^cluster.id=//p' /var/lib/kafka/data/meta.properties", kafka);
	cr_expect_str_eq(id, "MkU3OEVBNTcwNTJENDM2Qk", "CLUSTER_ID");
	free(id);
	free(kafka);

	down_stack(&lab, file);
}

/* The stand-in keeps the public image's refusals: bitnami/zookeeper
 * without ALLOW_ANONYMOUS_LOGIN=yes (and without auth) exits 1 with
 * Bitnami's message. With no healthcheck in the file (the public image has
 * none), up counts the service ready once it runs, as Compose would; the
 * container then stops, and its log says why. */
Test(standins_kafka, bitnami_zookeeper_without_allow_anonymous_login_refuses_to_start, .timeout = 600)
{
	struct it_lab lab;
	struct it_run r;
	static const char *const run[] = {"bitnamilegacy/zookeeper:3.9", NULL};
	use_images(run);
	it_lab_make(&lab, "standin-zkanon",
		    "services:\n"
		    "  zookeeper:\n"
		    "    image: bitnamilegacy/zookeeper:3.9\n"
		    "    environment:\n"
		    "      ZOO_TICK_TIME: 2000\n");
	it_labctl_run(&r, &lab, "up '%s' --offline", lab.dir);
	cr_expect(r.status == 0 || r.status == 1, "exit %d: %s", r.status, r.err);
	it_run_free(&r);
	char *id = it_container_id(lab.project, "zookeeper", 1);
	cr_assert(*id, "the container was made");
	char *code = it_sh("timeout 60 docker wait %s", id);
	cr_expect_str_eq(code, "1", "the entrypoint refuses (exit 1)");
	free(code);
	it_run(&r, "docker logs %s 2>&1", id);
	cr_expect(strstr(r.out, "Set the environment variable ALLOW_ANONYMOUS_LOGIN=yes to allow unauthenticated users "
				"to connect to ZooKeeper."),
		  "%s", r.out);
	cr_expect(!strstr(r.out, "Starting ZooKeeper"), "no server started: %s", r.out);
	it_run_free(&r);
	free(id);
	it_lab_cleanup(&lab);
}

/* apache/kafka as its docs run it (tests/standins/apache-kafka): the
 * single-node plaintext example on 3.9.1 (KAFKA_* -> server.properties as
 * the official image's KafkaDockerWrapper writes them, CLUSTER_ID, the
 * broker's own healthcheck through /opt/kafka/bin), produce/consume on the
 * advertised host listener; and `apache/kafka` with no environment at all:
 * Kafka 4's single-node KRaft broker on 9092 with the default cluster id. */
Test(standins_kafka, apache_kafka_single_node_and_no_environment, .timeout = 900)
{
	struct it_lab lab;
	struct it_run r;
	char bootstrap[32];
	static const char *const run[] = {"apache/kafka:3.9.1", "apache/kafka", NULL};
	use_images(run);
	host_listener("KAFKA_HOST_PORT", bootstrap);
	it_lab_make(&lab, "standin-apache", "");
	const char *file = "tests/standins/apache-kafka/compose.yaml";
	const char *const want[] = {"apache/kafka:3.9.1", "apache-kafka-3", "apache/kafka", "apache-kafka"};
	up_offline(&lab, file, want, 4);

	produce_consume(bootstrap, "quickstart-events", "course-group");
	char *md = wait_topic(bootstrap, "quickstart-events", 1);
	cr_expect(strstr(md, "broker 1 at localhost:"), "KAFKA_NODE_ID and the advertised host listener: %s", md);
	free(md);

	char *broker = it_container_id(lab.project, "broker", 1);
	/* KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS -> group.initial.rebalance.delay.ms */
	char *line = it_sh("docker exec %s grep -c -x -e 'group.initial.rebalance.delay.ms=0' "
			   "-e 'controller.quorum.voters=1@broker:29093' -e 'node.id=1' /opt/kafka/config/server.properties",
			   broker);
	cr_expect_str_eq(line, "3", "the environment's properties in server.properties");
	free(line);
	char *id = it_sh("docker exec %s sed -n 's/^cluster.id=//p' /tmp/kraft-combined-logs/meta.properties", broker);
	cr_expect_str_eq(id, "4L6g3nShT-eMCtK--X86sw", "CLUSTER_ID formats the storage");
	free(id);
	char *ver = it_sh("docker exec %s sh -c 'ls /opt/kafka/libs/kafka_2.13-*.jar'", broker);
	cr_expect_str_eq(ver, "/opt/kafka/libs/kafka_2.13-3.9.1.jar", "the 3.9.1 tag runs Kafka 3.9.1");
	free(ver);
	free(broker);

	/* no environment: the distribution's single-node file, the default id */
	char *plain = it_container_id(lab.project, "plain", 1);
	id = it_sh("docker exec %s sed -n 's/^cluster.id=//p' /tmp/kraft-combined-logs/meta.properties", plain);
	cr_expect_str_eq(id, "5L6g3nShT-eMCtK--X86sw", "CLUSTER_ID's default");
	free(id);
	ver = it_sh("docker exec %s sh -c 'ls /opt/kafka/libs/kafka_2.13-*.jar'", plain);
	cr_expect_str_eq(ver, "/opt/kafka/libs/kafka_2.13-4.4.0.jar", "latest runs Kafka 4");
	free(ver);
	it_run(&r, "docker exec %s sh -c 'echo hello | /opt/kafka/bin/kafka-console-producer.sh --bootstrap-server "
		   "localhost:9092 --topic plain-events && /opt/kafka/bin/kafka-console-consumer.sh --bootstrap-server "
		   "localhost:9092 --topic plain-events --from-beginning --max-messages 1 --timeout-ms 60000'",
	       plain);
	cr_expect(strstr(r.out, "hello\n"), "produce/consume on localhost:9092 in the container: %s\n%s", r.out, r.err);
	it_run_free(&r);
	free(plain);

	down_stack(&lab, file);
}

/* apache/kafka's isolated example, one controller and one broker on a 4.x
 * tag: the controller has no advertised listeners, the broker reaches the
 * static quorum, a client produces and consumes on the broker's advertised
 * host listener. */
Test(standins_kafka, apache_kafka_controller_and_broker_apart, .timeout = 900)
{
	struct it_lab lab;
	struct it_run r;
	char bootstrap[32];
	static const char *const run[] = {"apache/kafka:4.1.0", NULL};
	use_images(run);
	host_listener("KAFKA_HOST_PORT", bootstrap);
	it_lab_make(&lab, "standin-apache-split", "");
	const char *file = "tests/standins/apache-kafka/split.yaml";
	it_labctl_run(&r, &lab, "up -f '%s/%s' -p '%s' --offline", it_repo(), file, lab.project);
	cr_assert_eq(r.status, 0, "up --offline: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.err, "image 'apache/kafka:4.1.0': not present and --offline; building stand-in "
				"'apache-kafka' from images/kafka"),
		  "%s", r.err);
	it_run_free(&r);

	produce_consume(bootstrap, "split-events", "course-group");
	char *md = wait_topic(bootstrap, "split-events", 1);
	cr_expect(strstr(md, "broker 4 at localhost:"), "the broker's node id and host listener: %s", md);
	free(md);
	char *ctl = it_container_id(lab.project, "controller-1", 1);
	char *props = it_sh("docker exec %s grep -E '^(process.roles|advertised.listeners)=' "
			    "/opt/kafka/config/server.properties",
			    ctl);
	cr_expect_str_eq(props, "process.roles=controller", "a controller only, no advertised listeners");
	free(props);
	free(ctl);

	down_stack(&lab, file);
}
