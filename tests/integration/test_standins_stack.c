/* The multi-service course stack (tests/standins/course-stack):
 * PostgreSQL + pgAdmin, ZooKeeper + Kafka + schema registry + MinIO +
 * PostgreSQL + Jupyter, Spark master + two workers + Jupyter + Kafka, one
 * compose file of public images, comes up in one `labctl up -f --offline`,
 * health-gated, and each service answers its client: psql, pgAdmin's
 * login page, a schema registered, a MinIO object put and got (boto3),
 * both workers ALIVE at the master, Jupyter's API with the token, from a
 * notebook's Python in the jupyter service; kcat on Kafka's host
 * listener.
 *
 * Bounded: the tags are the per-image tests' (test_standin_*.c,
 * test_standins_kafka.c, which run before this suite and leave their
 * stand-ins), so in a full run every image here is already built; run
 * alone from nothing it builds them all (about ten minutes on 2 cores). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

Test(standins_stack, course_stack_comes_up_offline_in_one_up, .timeout = 1800)
{
	struct it_lab lab;
	struct it_run r;
	char port[16];
	snprintf(port, sizeof(port), "%d", it_free_port());
	setenv("KAFKA_HOST_PORT", port, 1);
	it_lab_make(&lab, "standin-stack", "");
	const char *file = "tests/standins/course-stack/compose.yaml";
	it_labctl_run(&r, &lab, "up -f '%s/%s' -p '%s' --offline", it_repo(), file, lab.project);
	cr_assert_eq(r.status, 0, "up -f --offline: %s\n%s", r.err, r.out);
	cr_expect_eq(it_count_containers(lab.project), 10, "ten containers (two workers)");
	it_run_free(&r);

	/* each stand-in under its public name */
	static const char *const images[] = {"postgres:16",
					     "dpage/pgadmin4",
					     "confluentinc/cp-zookeeper:7.9.0",
					     "confluentinc/cp-kafka:7.9.0",
					     "confluentinc/cp-schema-registry:7.6.1",
					     "minio/minio",
					     "apache/spark:3.5.4-python3",
					     "jupyter/pyspark-notebook:latest"};
	for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++) {
		char *label = it_sh("docker image inspect -f '{{index .Config.Labels \"io.labctl.stand-in\"}}' '%s'",
				    images[i]);
		cr_expect(*label && strcmp(label, "<no value>") != 0, "%s is a stand-in: '%s'", images[i], label);
		free(label);
	}

	/* the notebook's view: every service by name */
	char *jupyter = it_container_id(lab.project, "jupyter", 1);
	char *out = it_sh("docker exec -i %s python3 - <'%s/tests/standins/course-stack/checks.py' 2>&1", jupyter,
			  it_repo());
	cr_expect(strstr(out, "postgres ok student@course\n"), "%s", out);
	cr_expect(strstr(out, "pgadmin ok 200\n"), "%s", out);
	cr_expect(strstr(out, "schema-registry ok id="), "%s", out);
	cr_expect(strstr(out, "minio ok hello\n"), "%s", out);
	cr_expect(strstr(out, "spark ok workers=2"), "%s", out);
	/* Jupyter's REST API: the token from JUPYTER_TOKEN, refused without */
	cr_expect(strstr(out, "jupyter ok 200, 403 without the token"), "%s", out);
	cr_expect(!strstr(out, "FAIL"), "%s", out);
	free(out);
	free(jupyter);

	/* Kafka (and ZooKeeper under it) from the host's advertised listener */
	it_run(&r, "printf 'k1:alpha\\nk2:beta\\n' | kcat -P -b localhost:%s -t stack-events -K: "
		   "-X message.timeout.ms=30000 && timeout 90 kcat -b localhost:%s -G stack-group "
		   "-X auto.offset.reset=earliest -c 2 -q -f '%%s\\n' stack-events | sort",
	       port, port);
	cr_expect_str_eq(r.out, "alpha\nbeta\n", "produce/consume on the advertised listener: %s", r.err);
	it_run_free(&r);

	it_labctl_run(&r, &lab, "down -f '%s/%s' -p '%s' --volumes", it_repo(), file, lab.project);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}
