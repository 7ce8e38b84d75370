/* Stand-ins (images/catalog.yml) for apache/spark, bitnami/spark,
 * jupyter/pyspark-notebook and base-notebook, confluentinc/cp-schema-registry:
 * compose files under tests/standins/ written against the public images'
 * documented interfaces come up with `labctl up -f FILE --offline`, health
 * gated, and a real client does what the image is for: a PySpark job on
 * the workers with spark-submit, the Jupyter REST API with the token from
 * the log (or JUPYTER_TOKEN, or none), a schema registered and read back
 * over the Confluent REST API. Facts are read with docker and curl, not
 * from labctl. The stand-in images stay (tagged with the public names,
 * labelled io.labctl.stand-in-for) for the next run, as labctl images do. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* `labctl up -f tests/standins/DIR/compose.yml -p PROJECT --offline` */
static void up_offline(struct it_run *r, const struct it_lab *lab, const char *dir)
{
	it_labctl_run(r, lab, "up -f '%s/tests/standins/%s/compose.yml' -p '%s' --offline", it_repo(), dir,
		      lab->project);
}

/* The io.labctl.stand-in-for label of image (caller frees; "" when none). */
static char *stand_in_for(const char *image)
{
	return it_sh("docker image inspect -f '{{index .Config.Labels \"io.labctl.stand-in-for\"}}' '%s' 2>/dev/null",
		     image);
}

/* The test is about labctl building the stand-in: a stand-in of that name
 * built before is removed (its layers stay in the build cache, so the
 * build is quick); a real image of that name (a machine that pulled it)
 * is left alone and used as it is. */
static void make_absent(const char *image)
{
	char *label = stand_in_for(image);
	if (*label && strcmp(label, "<no value>") != 0)
		free(it_sh("docker rmi '%s' >/dev/null 2>&1; true", image));
	free(label);
}

/* ALIVE workers in the master's JSON (web UI :8080/json/), read inside
 * the master container. */
static int alive_workers(const char *container)
{
	char *n = it_sh("docker exec %s python3 -c \"import json, urllib.request as u; "
			"d = json.load(u.urlopen('http://127.0.0.1:8080/json/')); "
			"print(sum(w['state'] == 'ALIVE' for w in d['workers']))\"",
			container);
	int v = atoi(n);
	free(n);
	return v;
}

/* Workers (containers PROJECT-SERVICE-1..n) whose own JSON lists an
 * executor, running or finished: the job ran there, not in local mode. */
static int workers_with_executors(const char *project, const char *service, int n)
{
	char *busy = it_sh("for i in $(seq 1 %d); do docker exec %s-%s-$i python3 -c \"import json, urllib.request as u; "
			   "d = json.load(u.urlopen('http://127.0.0.1:8081/json/')); "
			   "print(len(d['executors']) + len(d['finishedexecutors']))\"; done | awk '$1 > 0' | wc -l",
			   n, project, service);
	int v = atoi(busy);
	free(busy);
	return v;
}

Test(standin_spark, apache_spark_cluster_runs_a_job, .timeout = 1500)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "sapache", "services: {}\n");
	make_absent("apache/spark:3.5.4-python3");
	up_offline(&r, &lab, "apache-spark");
	if (r.status != 0)
		it_lab_cleanup(&lab); /* cr_assert ends the test: nothing left behind */
	cr_assert_eq(r.status, 0, "up -f --offline: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.err, "image 'apache/spark:3.5.4-python3': ") &&
			  strstr(r.err, "building stand-in 'apache-spark' from images/spark"),
		  "%s", r.err);
	cr_expect(strstr(r.out, "spark-worker         2/2"), "%s", r.out);
	it_run_free(&r);
	char *label = stand_in_for("apache/spark:3.5.4-python3");
	cr_expect_str_eq(label, "apache/spark:3.5.4-python3", "the image is the labelled stand-in");
	free(label);

	char master[128];
	snprintf(master, sizeof(master), "%s-spark-master-1", lab.project);
	/* health-gated: the workers were healthy (registered) when up returned */
	cr_expect_eq(alive_workers(master), 2, "both workers ALIVE at spark://spark-master:7077");

	/* the course's client: spark-submit in the master container, the
	   job from the compose file's bind mount */
	char *out = it_sh("docker exec %s /opt/spark/bin/spark-submit --master spark://spark-master:7077 "
			  "--executor-memory 512m /opt/spark/work-dir/job.py 2>/dev/null | grep '^spark '",
			  master);
	cr_expect(strncmp(out, "spark 3.5.4 sum-of-squares 333833500 ", 37) == 0,
		  "the tag's Spark version ran the job: '%s'", out);
	free(out);
	cr_expect_eq(workers_with_executors(lab.project, "spark-worker", 2), 2, "executors on both workers");
	it_lab_cleanup(&lab);
}

Test(standin_spark, bitnami_spark_mode_and_master_url, .timeout = 1500)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "sbitnami", "services: {}\n");
	make_absent("bitnami/spark:3.5.4");
	make_absent("bitnamilegacy/spark:3.5.4");
	up_offline(&r, &lab, "bitnami-spark");
	if (r.status != 0)
		it_lab_cleanup(&lab); /* cr_assert ends the test: nothing left behind */
	cr_assert_eq(r.status, 0, "up -f --offline: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.err, "building stand-in 'bitnami-spark' from images/spark"), "%s", r.err);
	it_run_free(&r);
	char *label = stand_in_for("bitnami/spark:3.5.4");
	cr_expect_str_eq(label, "bitnami/spark:3.5.4");
	free(label);
	label = stand_in_for("bitnamilegacy/spark:3.5.4");
	cr_expect_str_eq(label, "bitnamilegacy/spark:3.5.4");
	free(label);

	char master[128];
	snprintf(master, sizeof(master), "%s-spark-1", lab.project);
	cr_expect_eq(alive_workers(master), 2, "both SPARK_MODE=worker containers ALIVE at SPARK_MASTER_URL");
	/* Bitnami's user and SPARK_HOME */
	char *who = it_sh("docker exec %s sh -c 'echo $(id -u) $SPARK_HOME $(pwd)'", master);
	cr_expect_str_eq(who, "1001 /opt/bitnami/spark /opt/bitnami/spark");
	free(who);
	/* a worker's SPARK_WORKER_MEMORY and _CORES, as the master sees them */
	char *res = it_sh("docker exec %s python3 -c \"import json, urllib.request as u; "
			  "d = json.load(u.urlopen('http://127.0.0.1:8080/json/')); "
			  "print(sorted((w['cores'], w['memory']) for w in d['workers']))\"",
			  master);
	cr_expect_str_eq(res, "[(1, 1024), (1, 1024)]");
	free(res);

	char *out = it_sh("docker exec %s spark-submit --master spark://spark:7077 --executor-memory 512m "
			  "/opt/bitnami/spark/jobs/job.py 2>/dev/null | grep '^spark '",
			  master);
	cr_expect(strncmp(out, "spark 3.5.4 sum-of-squares 333833500 ", 37) == 0, "the job: '%s'", out);
	free(out);
	cr_expect_eq(workers_with_executors(lab.project, "spark-worker", 2), 2, "executors on both workers");
	it_lab_cleanup(&lab);
}

/* curl's body and status for the published 8888 of PROJECT-SERVICE-1:
 * "STATUS BODY" (caller frees). */
static char *jupyter_get(const char *project, const char *service, const char *method, const char *path)
{
	return it_sh("p=$(docker port %s-%s-1 8888/tcp | head -1); "
		     "curl -s -X %s -o /tmp/standin-jupyter-$$ -w '%%{http_code}' \"http://$p%s\"; "
		     "printf ' '; cat /tmp/standin-jupyter-$$; rm -f /tmp/standin-jupyter-$$",
		     project, service, method, path);
}

Test(standin_spark, jupyter_notebooks_token_and_rest_api, .timeout = 1500)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "sjupyter", "services: {}\n");
	const char *names[] = {"jupyter/pyspark-notebook:latest", "quay.io/jupyter/base-notebook:latest",
			       "jupyter/base-notebook:latest"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		make_absent(names[i]);
	up_offline(&r, &lab, "jupyter");
	if (r.status != 0)
		it_lab_cleanup(&lab); /* cr_assert ends the test: nothing left behind */
	cr_assert_eq(r.status, 0, "up -f --offline: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.err, "building stand-in 'jupyter-notebook' from images/jupyter"), "%s", r.err);
	/* the label is the name as the compose file writes it ("open" names
	   jupyter/base-notebook with no tag) */
	const char *written[] = {"jupyter/pyspark-notebook:latest", "quay.io/jupyter/base-notebook:latest",
				 "jupyter/base-notebook"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *label = stand_in_for(names[i]);
		cr_expect_str_eq(label, written[i]);
		free(label);
	}
	/* up returned once the images' HEALTHCHECK said healthy */
	cr_expect(strstr(r.out, "pyspark              1/1       healthy"), "%s", r.out);
	cr_expect(strstr(r.out, "base                 1/1       healthy"), "%s", r.out);
	cr_expect(strstr(r.out, "open                 1/1       healthy"), "%s", r.out);
	it_run_free(&r);
	/* the student's way: the URL with the token from the log */
	char *token = it_sh("docker logs %s-pyspark-1 2>&1 | grep -o 'http://127.0.0.1:8888/lab?token=[0-9a-f]*' | "
			    "head -1 | sed 's/.*token=//'",
			    lab.project);
	cr_expect(strlen(token) >= 32, "a token in the log line 'http://127.0.0.1:8888/lab?token=...': '%s'", token);
	char path[256];
	snprintf(path, sizeof(path), "/api/contents/work?token=%s", token);
	char *got = jupyter_get(lab.project, "pyspark", "GET", path);
	cr_expect(strncmp(got, "200 ", 4) == 0 && strstr(got, "\"name\": \"hello.ipynb\""),
		  "/home/jovyan/work is the bind mount: %s", got);
	free(got);
	got = jupyter_get(lab.project, "pyspark", "GET", "/api/contents/work");
	cr_expect(strncmp(got, "403 ", 4) == 0, "no token, no notebooks: %s", got);
	free(got);
	free(token);
	/* jovyan, uid 1000 gid 100; pyspark in the kernel's Python */
	char *id = it_sh("docker exec %s-pyspark-1 sh -c 'echo $(id -un) $(id -u) $(id -g) $HOME'", lab.project);
	cr_expect_str_eq(id, "jovyan 1000 100 /home/jovyan");
	free(id);
	char *rows = it_sh("docker exec %s-pyspark-1 python3 -c \"from pyspark.sql import SparkSession; "
			   "s = SparkSession.builder.master('local[1]').getOrCreate(); print('rows', s.range(10).count())\" "
			   "2>/dev/null",
			   lab.project);
	cr_expect_str_eq(rows, "rows 10");
	free(rows);

	/* JUPYTER_TOKEN: a kernel started and listed over the REST API */
	got = jupyter_get(lab.project, "base", "POST", "/api/kernels?token=standin-secret");
	cr_expect(strncmp(got, "201 ", 4) == 0 && strstr(got, "\"name\": \"python3\""), "POST /api/kernels: %s", got);
	free(got);
	got = jupyter_get(lab.project, "base", "GET", "/api/kernels?token=standin-secret");
	cr_expect(strncmp(got, "200 ", 4) == 0 && strstr(got, "\"execution_state\""), "GET /api/kernels: %s", got);
	free(got);
	got = jupyter_get(lab.project, "base", "GET", "/api/kernels?token=wrong");
	cr_expect(strncmp(got, "403 ", 4) == 0, "a wrong token: %s", got);
	free(got);

	/* start-notebook.sh --NotebookApp.token='': open */
	got = jupyter_get(lab.project, "open", "GET", "/api/contents");
	cr_expect(strncmp(got, "200 ", 4) == 0 && strstr(got, "\"name\": \"work\""), "no token needed: %s", got);
	free(got);
	it_lab_cleanup(&lab);
}

/* curl to the registry's published 8085 of PROJECT-schema-registry-1:
 * "STATUS BODY" (caller frees). body may be NULL. */
static char *registry(const char *project, const char *method, const char *path, const char *body)
{
	return it_sh("p=$(docker port %s-schema-registry-1 8085/tcp | head -1); "
		     "curl -s -X %s -H 'Content-Type: application/vnd.schemaregistry.v1+json' %s%s%s "
		     "-o /tmp/standin-sr-$$ -w '%%{http_code}' \"http://$p%s\"; "
		     "printf ' '; cat /tmp/standin-sr-$$; rm -f /tmp/standin-sr-$$",
		     project, method, body ? "--data '" : "", body ? body : "", body ? "'" : "", path);
}

Test(standin_spark, cp_schema_registry_registers_and_fetches, .timeout = 900)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "sregistry", "services: {}\n");
	make_absent("confluentinc/cp-schema-registry:7.6.1");
	up_offline(&r, &lab, "cp-schema-registry");
	if (r.status != 0)
		it_lab_cleanup(&lab); /* cr_assert ends the test: nothing left behind */
	cr_assert_eq(r.status, 0, "up -f --offline: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.err, "building stand-in 'cp-schema-registry' from images/schema-registry"), "%s", r.err);
	it_run_free(&r);
	char *label = stand_in_for("confluentinc/cp-schema-registry:7.6.1");
	cr_expect_str_eq(label, "confluentinc/cp-schema-registry:7.6.1");
	free(label);

	/* SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL: full */
	char *got = registry(lab.project, "GET", "/config", NULL);
	cr_expect_str_eq(got, "200 {\"compatibilityLevel\": \"FULL\"}");
	free(got);
	const char *v1 = "{\"schema\": \"{\\\"type\\\": \\\"record\\\", \\\"name\\\": \\\"Flight\\\", \\\"fields\\\": "
			 "[{\\\"name\\\": \\\"origin\\\", \\\"type\\\": \\\"string\\\"}]}\"}";
	got = registry(lab.project, "POST", "/subjects/flights-value/versions", v1);
	cr_expect_str_eq(got, "200 {\"id\": 1}");
	free(got);
	got = registry(lab.project, "GET", "/subjects/flights-value/versions/latest", NULL);
	cr_expect(strncmp(got, "200 ", 4) == 0 && strstr(got, "\"version\": 1") && strstr(got, "Flight"), "%s", got);
	free(got);
	got = registry(lab.project, "GET", "/schemas/ids/1", NULL);
	cr_expect(strncmp(got, "200 ", 4) == 0 && strstr(got, "origin"), "%s", got);
	free(got);
	/* a new field without a default breaks FULL compatibility */
	const char *v2 = "{\"schema\": \"{\\\"type\\\": \\\"record\\\", \\\"name\\\": \\\"Flight\\\", \\\"fields\\\": "
			 "[{\\\"name\\\": \\\"origin\\\", \\\"type\\\": \\\"string\\\"}, "
			 "{\\\"name\\\": \\\"dest\\\", \\\"type\\\": \\\"string\\\"}]}\"}";
	got = registry(lab.project, "POST", "/subjects/flights-value/versions", v2);
	cr_expect(strncmp(got, "409 ", 4) == 0, "incompatible under FULL: %s", got);
	free(got);
	/* the schemas live in the broker's topic */
	char *topics = it_sh("docker exec %s-kafka-1 kafka-topics.sh --bootstrap-server kafka:29092 --list 2>/dev/null",
			     lab.project);
	cr_expect(strstr(topics, "_schemas"), "%s", topics);
	free(topics);
	it_lab_cleanup(&lab);
}
