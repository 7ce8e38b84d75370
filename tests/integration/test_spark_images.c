/* images/spark and images/jupyter for real: a standalone master and a
 * worker (the official image's commands), the object store, PostgreSQL and
 * Kafka from the labs' fragments, all built by labctl up (spark is FROM
 * labctl/jre:17, jupyter FROM labctl/spark); spark-submit of a PySpark job
 * that uses s3a://, JDBC and Kafka with no connection options but Kafka's
 * address, its executor on the worker; a notebook executed headless in the
 * jupyter container against the cluster. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *lab_yaml =
	"lab: { name: \"@NAME@\" }\n"
	"include: [\"@REPO@/labs/common/postgres.yml\", \"@REPO@/labs/common/objectstore.yml\", "
	"\"@REPO@/labs/common/kafka.yml\"]\n"
	"buckets: [lake]\n"
	"services:\n"
	"  spark-master:\n"
	"    build: \"@REPO@/images/spark\"\n"
	"    image: labctl/spark:4.2.0\n"
	"    hostname: spark-master\n"
	"    command: [/opt/spark/bin/spark-class, org.apache.spark.deploy.master.Master]\n"
	"    environment:\n"
	"      AWS_ACCESS_KEY_ID: \"${S3_ACCESS_KEY}\"\n"
	"      AWS_SECRET_ACCESS_KEY: \"${S3_SECRET_KEY}\"\n"
	"      AWS_ENDPOINT_URL: http://objectstore:9000\n"
	"      PGPASSWORD: \"${POSTGRES_PASSWORD}\"\n"
	"    x-ready:\n"
	"      http: { port: 8080, path: /json/, json: { pointer: /aliveworkers, equals: 1 } }\n"
	"      timeout: 300s\n"
	"  spark-worker:\n"
	"    image: labctl/spark:4.2.0\n"
	"    command: [/opt/spark/bin/spark-class, org.apache.spark.deploy.worker.Worker, \"spark://spark-master:7077\"]\n"
	"    environment:\n"
	"      AWS_ACCESS_KEY_ID: \"${S3_ACCESS_KEY}\"\n"
	"      AWS_SECRET_ACCESS_KEY: \"${S3_SECRET_KEY}\"\n"
	"      AWS_ENDPOINT_URL: http://objectstore:9000\n"
	"      PGPASSWORD: \"${POSTGRES_PASSWORD}\"\n"
	"      SPARK_WORKER_CORES: \"1\"\n"
	"      SPARK_WORKER_MEMORY: 1g\n"
	"    depends_on: { spark-master: { condition: service_started } }\n"
	"  jupyter:\n"
	"    build: \"@REPO@/images/jupyter\"\n"
	"    image: labctl/jupyter:4.2.0\n"
	"    environment:\n"
	"      AWS_ACCESS_KEY_ID: \"${S3_ACCESS_KEY}\"\n"
	"      AWS_SECRET_ACCESS_KEY: \"${S3_SECRET_KEY}\"\n"
	"      AWS_ENDPOINT_URL: http://objectstore:9000\n"
	"      PGPASSWORD: \"${POSTGRES_PASSWORD}\"\n"
	"      JUPYTER_TOKEN: smoketoken\n"
	"    x-ready:\n"
	"      http: { port: 8888, path: \"/api/status?token=smoketoken\", status: 200 }\n"
	"      timeout: 300s\n";

Test(spark_images, cluster_job_with_s3a_jdbc_kafka_and_a_notebook, .timeout = 1500)
{
	struct it_lab lab;
	struct it_run r;
	char port[16];
	snprintf(port, sizeof(port), "%d", it_free_port());
	setenv("LAB_KAFKA_PORT", port, 1);
	setenv("LAB_PG_PORT", "0", 1);
	setenv("LAB_S3_PORT", "0", 1);
	it_lab_make(&lab, "spark", lab_yaml);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	unsetenv("LAB_KAFKA_PORT");
	unsetenv("LAB_PG_PORT");
	unsetenv("LAB_S3_PORT");
	cr_assert_eq(r.status, 0, "labctl up: %s", r.err);
	it_run_free(&r);

	char *master = it_container_id(lab.project, "spark-master", 1);
	char *worker = it_container_id(lab.project, "spark-worker", 1);
	char *worker_ip = it_sh("docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' %s", worker);
	free(worker);
	free(it_sh("docker cp '%s/tests/integration/spark/smoke.py' %s:/tmp/smoke.py", it_repo(), master));
	it_run(&r, "docker exec %s spark-submit --master spark://spark-master:7077 /tmp/smoke.py", master);
	cr_expect_eq(r.status, 0, "spark-submit:\n%s", r.err);
	cr_expect(strstr(r.out, "S3A rows=1000 sum=499500"), "s3a write and read back:\n%s\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "JDBC rows=1000"), "JDBC:\n%s", r.out);
	cr_expect(strstr(r.out, "KAFKA rows=5"), "Kafka:\n%s", r.out);
	/* the executor ran on the worker, not in the driver */
	char want[64];
	snprintf(want, sizeof(want), "EXECUTORS ['%s']", worker_ip);
	cr_expect(strstr(r.out, want), "one executor, on the worker (%s):\n%s", worker_ip, r.out);
	it_run_free(&r);

	/* the master's record of the application, as the web UI shows it */
	char *apps = it_sh("docker exec %s python3 -c \"import json, urllib.request; "
			   "print([a['name'] for a in json.load(urllib.request.urlopen('http://localhost:8080/json/'))"
			   "['completedapps']])\"",
			   master);
	cr_expect(strstr(apps, "labctl-smoke"), "completed applications: %s", apps);
	free(apps);

	char *jup = it_container_id(lab.project, "jupyter", 1);
	free(it_sh("docker cp '%s/tests/integration/spark/notebook.py' %s:/tmp/notebook.py", it_repo(), jup));
	it_run(&r, "docker exec %s python3 /tmp/notebook.py", jup);
	cr_expect_eq(r.status, 0, "notebook:\n%s", r.err);
	cr_expect(strstr(r.out, "NOTEBOOK sum=4950"), "notebook output:\n%s\n%s", r.out, r.err);
	it_run_free(&r);
	free(jup);
	free(master);
	free(worker_ip);
	it_lab_cleanup(&lab);
}
