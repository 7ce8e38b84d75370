/* Kafka from images/kafka through labs/common/kafka.yml and module1:
 * both listeners in both directions, consumer-group offsets and topics
 * surviving down/up, and a replicated topic serving with a broker down. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *kafka_lab = "lab: { name: \"@NAME@\" }\n"
			       "include: [\"@REPO@/labs/common/kafka.yml\", \"@REPO@/labs/common/compute.yml\"]\n";

Test(kafka, host_and_internal_listeners_both_ways_and_persistence, .timeout = 900)
{
	struct it_lab lab;
	struct it_run r;
	char port[16];
	snprintf(port, sizeof(port), "%d", it_free_port());
	setenv("LAB_KAFKA_PORT", port, 1);
	it_lab_make(&lab, "kafka", kafka_lab);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s\n%s", r.err, r.out);
	it_run_free(&r);

	/* labctl env gives the host listener */
	it_labctl_run(&r, &lab, "env '%s'", lab.dir);
	char want[64];
	snprintf(want, sizeof(want), "export KAFKA_BOOTSTRAP_SERVERS='127.0.0.1:%s'", port);
	cr_expect(strstr(r.out, want), "%s", r.out);
	it_run_free(&r);

	/* host -> container */
	it_run(&r, "printf 'a\\nb\\nc\\n' | kcat -P -b localhost:%s -t from-host", port);
	cr_assert_eq(r.status, 0, "produce from host: %s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "exec '%s' compute -- kcat -C -b kafka:9092 -t from-host -o beginning -e -q", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "a\nb\nc\n", "consumed inside through the internal listener");
	it_run_free(&r);

	/* container -> host, the messages from labctl exec's stdin (the issue's
	   `seq 1 10 | labctl exec module1 compute -- kcat -P ...`) */
	it_run(&r, "seq 1 10 | LABCTL_STATE_DIR='%s' '%s' exec '%s' compute -- kcat -P -b kafka:9092 -t from-inside",
	       lab.state, it_labctl(), lab.dir);
	cr_assert_eq(r.status, 0, "produce inside: %s", r.err);
	it_run_free(&r);
	it_run(&r, "kcat -C -b localhost:%s -t from-inside -o beginning -e -q", port);
	cr_expect_str_eq(r.out, "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
			 "the 10 lines of stdin, consumed on the host through the host listener: %s", r.err);
	it_run_free(&r);

	/* a consumer group commits offset 3 on from-host */
	it_labctl_run(&r, &lab,
		      "exec '%s' kafka -- kafka-console-consumer.sh --bootstrap-server kafka:9092 --topic from-host "
		      "--group lab-group --from-beginning --max-messages 3",
		      lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);

	it_labctl_run(&r, &lab, "down '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);

	/* topic data and the group's committed offset survived */
	it_run(&r, "kcat -C -b localhost:%s -t from-host -o beginning -e -q | wc -l", port);
	cr_expect_str_eq(r.out, "3\n", "messages kept across down/up");
	it_run_free(&r);
	it_labctl_run(&r, &lab,
		      "exec '%s' kafka -- kafka-consumer-groups.sh --bootstrap-server kafka:9092 --describe "
		      "--group lab-group",
		      lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	/* TOPIC PARTITION CURRENT-OFFSET ... for from-host partition 0: 3 */
	char *line = strstr(r.out, "from-host");
	int partition = -1;
	long offset = -1;
	cr_assert(line, "group describes from-host: %s", r.out);
	sscanf(line, "from-host %d %ld", &partition, &offset);
	cr_expect_eq(offset, 3, "committed offset kept across down/up: %s", r.out);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

Test(kafka, module1_replicated_topic_survives_a_broker_down, .timeout = 900)
{
	struct it_lab lab;
	struct it_run r;
	char p[3][16];
	for (int i = 0; i < 3; i++) {
		char var[32];
		snprintf(p[i], sizeof(p[i]), "%d", it_free_port());
		snprintf(var, sizeof(var), "LAB_KAFKA_PORT%d", i + 1);
		setenv(var, p[i], 1);
	}
	it_lab_make(&lab, "module1", "");
	it_labctl_run(&r, &lab, "up -p %s module1", lab.project);
	cr_assert_eq(r.status, 0, "up module1: %s\n%s", r.err, r.out);
	it_run_free(&r);

	/* metadata from the host lists three brokers, each at its own host port */
	it_run(&r, "kcat -L -b localhost:%s -m 5 | grep -c 'broker [123] at 127.0.0.1:'", p[0]);
	cr_expect_str_eq(r.out, "3\n", "3 brokers listed: %s", r.err);
	it_run_free(&r);

	it_labctl_run(&r, &lab,
		      "exec -p %s module1 kafka1 -- kafka-topics.sh --bootstrap-server kafka1:9092 --create "
		      "--topic events --partitions 6",
		      lab.project);
	cr_assert_eq(r.status, 0, "create topic: %s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab,
		      "exec -p %s module1 kafka1 -- kafka-topics.sh --bootstrap-server kafka1:9092 --describe --topic events",
		      lab.project);
	cr_expect(strstr(r.out, "PartitionCount: 6") && strstr(r.out, "ReplicationFactor: 3"), "%s", r.out);
	cr_expect(strstr(r.out, "min.insync.replicas=2"), "%s", r.out);
	it_run_free(&r);

	it_run(&r, "seq 1 100 | kcat -P -b localhost:%s -t events -X acks=all", p[0]);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);

	/* one broker down: acks=all writes still succeed (2 in sync >= min ISR 2), reads too */
	char *k2 = it_container_id(lab.project, "kafka2", 1);
	it_run(&r, "docker stop -t 30 %s", k2);
	cr_assert_eq(r.status, 0);
	it_run_free(&r);
	it_run(&r, "seq 101 200 | kcat -P -b localhost:%s -t events -X acks=all -X message.timeout.ms=60000", p[0]);
	cr_expect_eq(r.status, 0, "produce with a broker down: %s", r.err);
	it_run_free(&r);
	it_run(&r, "kcat -C -b localhost:%s -t events -o beginning -e -q | sort -n | uniq | wc -l", p[2]);
	cr_expect_str_eq(r.out, "200\n", "all 200 messages served with a broker down: %s", r.err);
	it_run_free(&r);

	/* up brings the stopped broker back */
	it_labctl_run(&r, &lab, "up -p %s module1", lab.project);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	char *state = it_sh("docker inspect -f '{{.State.Running}}' %s", k2);
	cr_expect_str_eq(state, "true");
	free(state);
	free(k2);
	it_labctl_run(&r, &lab, "down -p %s module1 --volumes", lab.project);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}
