/* The Spark cluster for real (images/spark, images/jupyter through
 * labs/common/spark.yml and jupyter.yml): up from nothing with 2 workers
 * ALIVE, --scale spark-worker=3 giving 3, the flights-batch PySpark job
 * on the cluster (executors on the workers, not local) with totals equal
 * to counts made from the CSV by awk, the module5 notebook executed
 * headless by nbclient in the jupyter container. The lab's sample (20,000
 * flights) keeps it bounded. Facts are read with docker exec, not from
 * labctl. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *spark_lab =
	"lab: { name: \"@NAME@\" }\n"
	"include:\n"
	"  - \"@REPO@/labs/common/postgres.yml\"\n"
	"  - \"@REPO@/labs/common/objectstore.yml\"\n"
	"  - \"@REPO@/labs/common/spark.yml\"\n"
	"  - \"@REPO@/labs/common/jupyter.yml\"\n"
	"buckets: [lake]\n"
	"datasets:\n"
	"  flights: { file: flights-3m.csv.gz, sample: \"@REPO@/labs/module5/data/flights-sample.csv.gz\", bucket: datasets }\n"
	"  airports: { file: airports.csv, sample: \"@REPO@/labs/module5/data/airports.csv\", bucket: datasets }\n"
	"jobs:\n"
	"  flights-batch: { script: flights-batch.py, source: \"@REPO@/jobs\", on: jupyter, datasets: [flights, airports] }\n";

/* ALIVE workers in the master's JSON, read inside the master container. */
static int alive_workers(const char *project)
{
	char *n = it_sh("docker exec %s-spark-master-1 python3 -c \"import json, urllib.request as u; "
			"d = json.load(u.urlopen('http://127.0.0.1:8080/json/')); "
			"print(sum(w['state'] == 'ALIVE' for w in d['workers']))\"",
			project);
	int v = atoi(n);
	free(n);
	return v;
}

Test(spark, cluster_scale_batch_job_and_notebook, .timeout = 1500)
{
	struct it_lab lab;
	struct it_run r;
	const char *ports[] = {"LAB_PG_PORT", "LAB_S3_PORT", "LAB_SPARK_UI_PORT", "LAB_JUPYTER_PORT",
			       "LAB_SPARK_DRIVER_UI_PORT"};
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		setenv(ports[i], "0", 1);
	setenv("LABCTL_DATA_DIR", "/nonexistent", 1); /* the sample */
	it_lab_make(&lab, "spark", spark_lab);

	/* up from nothing: the master is ready when both workers are ALIVE */
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.out, "spark-worker         2/2"), "%s", r.out);
	cr_expect(strstr(r.out, "web UIs:") && strstr(r.out, "/lab?token="), "UIs with the token: %s", r.out);
	cr_expect(strstr(r.err, "uploaded the sample to s3://datasets/flights-3m.csv.gz"), "%s", r.err);
	it_run_free(&r);
	cr_expect_eq(alive_workers(lab.project), 2);

	/* --scale spark-worker=3: 3 ALIVE when up returns */
	it_labctl_run(&r, &lab, "up '%s' --scale spark-worker=3", lab.dir);
	cr_assert_eq(r.status, 0, "up --scale: %s\n%s", r.err, r.out);
	it_run_free(&r);
	cr_expect_eq(alive_workers(lab.project), 3, "3 ALIVE workers right after up --scale returned");

	/* the batch job, on the cluster */
	it_labctl_run(&r, &lab, "run '%s' flights-batch", lab.dir);
	cr_expect_eq(r.status, 0, "run: %s", r.err);
	cr_expect(strstr(r.out, "jupyter-1 | input rows: 20000"), "%s", r.out);
	cr_expect(strstr(r.err, "job 'flights-batch': application app-"), "%s", r.err);
	cr_expect(strstr(r.err, "FINISHED") && strstr(r.err, "executors on spark-worker-"), "%s", r.err);
	it_run_free(&r);
	/* not local mode: workers ran its executors (each worker's own JSON) */
	char *busy = it_sh("for i in 1 2 3; do docker exec %s-spark-worker-$i python3 -c \"import json, urllib.request as u; "
			   "d = json.load(u.urlopen('http://127.0.0.1:8081/json/')); "
			   "print(len(d['executors']) + len(d['finishedexecutors']))\"; done | awk '$1 > 0' | wc -l",
			   lab.project);
	cr_expect(atoi(busy) >= 2, "executors on %s workers, want at least 2", busy);
	free(busy);

	/* totals: per month, from the CSV by awk, and from flights_summary */
	char *want = it_sh("zcat '%s/labs/module5/data/flights-sample.csv.gz' | tail -n +2 | "
			   "awk -F, '{c[substr($1, 1, 7)]++} END {for (m in c) print m \"|\" c[m]}' | sort",
			   it_repo());
	char *got = it_sh("docker exec %s-postgres-1 psql -U lab -d lab -Atc "
			  "\"select month, sum(flights) from flights_summary group by month order by month\"",
			  lab.project);
	cr_expect(strlen(want) > 10, "awk counted: %s", want);
	cr_expect_str_eq(got, want, "per-month totals");
	free(want), free(got);
	char *parts = it_sh("docker exec %s-objectstore-1 sh -c 'ls /data/lake/flights_monthly/ 2>/dev/null || "
			    "find /data -path \"*flights_monthly/month=*\" | head -3'",
			    lab.project);
	cr_expect(strstr(parts, "month=2001-"), "Parquet partitions by month: %s", parts);
	free(parts);

	/* the notebook, headless, in the jupyter container */
	char *nb = it_sh("docker cp '%s/labs/module5/notebooks/flights.ipynb' %s-jupyter-1:/tmp/flights.ipynb && "
			 "docker exec %s-jupyter-1 python3 -c \"import nbformat, nbclient; "
			 "nb = nbformat.read('/tmp/flights.ipynb', as_version=4); "
			 "nbclient.NotebookClient(nb, timeout=600, kernel_name='python3').execute(); "
			 "e = [o for c in nb.cells if c.cell_type == 'code' for o in c.outputs if o.output_type == 'error']; "
			 "i = sum('image/png' in o.get('data', {}) for c in nb.cells if c.cell_type == 'code' for o in c.outputs); "
			 "print('errors', len(e), 'images', i)\" 2>/dev/null | tail -1",
			 it_repo(), lab.project, lab.project);
	cr_expect_str_eq(nb, "errors 0 images 1", "the notebook ran");
	free(nb);
	it_lab_cleanup(&lab);
}

/* A compose file written for apache/spark runs with labctl's image. */
Test(spark, official_image_compose_file_runs_under_up_f, .timeout = 300)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "sparkcompose", "services: {}\n");
	it_labctl_run(&r, &lab, "up -f '%s/tests/fixtures/lab/compose/spark-official.yml' -p '%s'", it_repo(),
		      lab.project);
	cr_assert_eq(r.status, 0, "up -f: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.out, "spark-worker         2/2"), "%s", r.out);
	it_run_free(&r);
	/* no probe in a plain compose file: up returns when they run; the
	   workers register within seconds */
	int alive = 0;
	for (int i = 0; i < 60 && alive < 2; i++) {
		alive = alive_workers(lab.project);
		if (alive < 2)
			free(it_sh("sleep 1"));
	}
	cr_expect_eq(alive, 2, "both workers ALIVE at spark://spark-master:7077");
	it_labctl_run(&r, &lab, "up -f '%s/tests/fixtures/lab/compose/spark-official.yml' -p '%s' --scale spark-worker=3",
		      it_repo(), lab.project);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	for (int i = 0; i < 60 && alive < 3; i++) {
		alive = alive_workers(lab.project);
		if (alive < 3)
			free(it_sh("sleep 1"));
	}
	cr_expect_eq(alive, 3, "a third worker after --scale");
	it_lab_cleanup(&lab);
}
