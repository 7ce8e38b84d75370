/* lab_scale (up --scale SERVICE=N): specs -> replicas or the message;
 * and a dataset's bucket needs an object store. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../labctl/lab/lab.h"

static struct lab *load(const char *yaml, struct lab_err *err)
{
	char dir[] = "/tmp/scaletest-XXXXXX", path[PATH_MAX];
	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lab.yml", dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(yaml, f);
	fclose(f);
	struct lab *lab = NULL;
	memset(err, 0, sizeof(*err));
	lab_load(&lab, path, NULL, err);
	unlink(path);
	rmdir(dir);
	return lab;
}

static const char *const two =
	"services:\n"
	"  spark-master: {image: x}\n"
	"  spark-worker: {image: x, deploy: {replicas: 2}}\n"
	"  named: {image: x, container_name: only}\n";

Test(scale, table)
{
	static const struct {
		const char *spec;
		int replicas;       /* of spark-worker after, when want is NULL */
		const char *want;   /* the error */
	} t[] = {
		{"spark-worker=3", 3, NULL},
		{"spark-worker=0", 0, NULL},
		{"spark-worker=1000", 1000, NULL},
		{"spark-worker=1001", 2, "--scale 'spark-worker=1001': '1001' is not a number of replicas (0 to 1000)"},
		{"spark-worker=-1", 2, "--scale 'spark-worker=-1': '-1' is not a number of replicas (0 to 1000)"},
		{"spark-worker=3x", 2, "--scale 'spark-worker=3x': '3x' is not a number of replicas (0 to 1000)"},
		{"spark-worker=", 2, "--scale 'spark-worker=': expected SERVICE=N"},
		{"=3", 2, "--scale '=3': expected SERVICE=N"},
		{"spark-worker", 2, "--scale 'spark-worker': expected SERVICE=N"},
		{"spark-wroker=3", 2, "--scale: no such service 'spark-wroker' (did you mean 'spark-worker'?)"},
		{"worker=3", 2, "--scale: no such service 'worker'"},
		{"named=2", 2, "--scale 'named=2': service 'named' sets container_name, so it has one container at most"},
		{"named=0", 2, NULL},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct lab_err err;
		struct lab *lab = load(two, &err);
		cr_assert(lab, "%s", err.msg);
		memset(&err, 0, sizeof(err));
		int rc = lab_scale(lab, t[i].spec, &err);
		if (t[i].want) {
			cr_expect_eq(rc, LAB_EINPUT, "case %zu", i);
			cr_expect_str_eq(err.msg, t[i].want, "case %zu", i);
		} else {
			cr_expect_eq(rc, 0, "case %zu: %s", i, err.msg);
		}
		cr_expect_eq(lab_find_service(lab, "spark-worker")->replicas, t[i].replicas, "case %zu", i);
		lab_free(lab);
	}
}

Test(scale, dataset_bucket_needs_an_object_store)
{
	struct lab_err err;
	struct lab *lab = load("services: {a: {image: x}}\n"
			       "datasets:\n  flights: {file: f.csv, bucket: datasets}\n",
			       &err);
	cr_expect_null(lab);
	cr_expect(strstr(err.msg, ":3:3: dataset 'flights' has a bucket but no service has an x-ready s3 probe to upload it to"),
		  "%s", err.msg);
	lab_free(lab);
	lab = load("services: {a: {image: x}}\n"
		   "datasets:\n  flights: {file: f.csv, bucket: Bad_Bucket}\n",
		   &err);
	cr_expect_null(lab);
	cr_expect(strstr(err.msg, "invalid bucket name 'Bad_Bucket'"), "%s", err.msg);
	lab_free(lab);
}
