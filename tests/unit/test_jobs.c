/* lab_jobs_run (labctl/jobs) against the fake engine (fake_engine.h): a
 * job whose binary is in the cache, run on two replicas, one failing:
 * the events (each output line with its replica and stream), the exec
 * bodies, the result and the error; and a replica not running stops it
 * before anything is copied. */
#include <criterion/criterion.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../labctl/engine/context.h"
#include "../../labctl/jobs/jobs.h"
#include "fake_engine.h"

#define OK_200(body) FE_HTTP("200 OK", body)
#define OK_201(body) FE_HTTP("201 Created", body)
#define STREAM_HEAD "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: close\r\n\r\n"

/* Two replicas of compute, labelled as up labels them; replica 2 in state2. */
#define LISTING(state2)                                                                                      \
	OK_200("[{\"Id\":\"c1\",\"State\":\"running\",\"Labels\":{\"io.labctl.service\":\"compute\","            \
	       "\"io.labctl.replica\":\"1\"}},{\"Id\":\"c2\",\"State\":\"" state2 "\",\"Labels\":{"              \
	       "\"io.labctl.service\":\"compute\",\"io.labctl.replica\":\"2\"}}]")

struct jbt {
	char dir[64];
	struct lab *lab;
	struct fe_server fe;
	struct lab_engine *e;
	struct lab_strv events;
	struct lab_jobs_result *res;
	struct lab_err err;
	int rc;
};

static void jbt_write(const char *dir, const char *rel, const char *content)
{
	char *path = lab_xasprintf("%s/%s", dir, rel);
	for (char *p = strchr(path + strlen(dir) + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(content, f);
	fclose(f);
	free(path);
}

/* The lab, its job sources, and the job's binary already in the cache
 * ($LABCTL_CACHE_DIR/jobs/<sources' hash>/hello), so no builder runs. */
static void jbt_setup(struct jbt *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/labctl-jbt-XXXXXX");
	cr_assert_not_null(mkdtemp(t->dir));
	jbt_write(t->dir, "lab.yml",
		  "lab: {name: jbt}\n"
		  "services:\n"
		  "  compute:\n"
		  "    image: img:1\n"
		  "    deploy: {replicas: 2}\n"
		  "jobs:\n"
		  "  hello: {binary: hello, on: compute, source: jobs, args: [--greet]}\n");
	jbt_write(t->dir, "jobs/Makefile", "all:\n");
	jbt_write(t->dir, "jobs/hello/hello.c", "int main(void) { return 0; }\n");
	char *path = lab_xasprintf("%s/lab.yml", t->dir);
	cr_assert_eq(lab_load(&t->lab, path, NULL, &t->err), 0, "%s", t->err.msg);
	free(path);
	char hash[65], rel[128];
	cr_assert_eq(lab_context_hash(hash, t->lab->jobs[0].source, "Makefile", &t->err), 0, "%s", t->err.msg);
	snprintf(rel, sizeof(rel), "cache/jobs/%.16s/hello", hash);
	jbt_write(t->dir, rel, "#!binary");
	char *cache = lab_xasprintf("%s/cache", t->dir);
	setenv("LABCTL_CACHE_DIR", cache, 1);
	free(cache);
}

static const char *const kinds[] = {
	[LAB_JOBS_IMAGE] = "image",
	[LAB_JOBS_BUILD_CACHED] = "cached",
	[LAB_JOBS_BUILD_STARTING] = "starting",
	[LAB_JOBS_BUILD_COMPILING] = "compiling",
	[LAB_JOBS_BUILD_OUTPUT] = "make",
	[LAB_JOBS_BUILD_DONE] = "built",
	[LAB_JOBS_DATASET_FULL] = "dataset",
	[LAB_JOBS_DATASET_SAMPLE] = "sample",
	[LAB_JOBS_DATASET_COPYING] = "copying",
	[LAB_JOBS_DATASET_COPIED] = "copied",
	[LAB_JOBS_RUNNING] = "running",
	[LAB_JOBS_OUTPUT] = "output",
};

/* No lock: jobs promises one call at a time. */
static void jbt_record(const struct lab_jobs_event *ev, void *ud)
{
	struct jbt *t = ud;
	switch (ev->kind) {
	case LAB_JOBS_OUTPUT:
		lab_strv_pushf(&t->events, "output %s %d %s", ev->replica, ev->stream, ev->text);
		break;
	case LAB_JOBS_RUNNING:
		lab_strv_pushf(&t->events, "running %s %zu", ev->binary, ev->count);
		break;
	default:
		lab_strv_pushf(&t->events, "%s %s", kinds[ev->kind], ev->binary ? ev->binary : "");
	}
}

static void jbt_run(struct jbt *t, const struct fe_route *routes, size_t n)
{
	struct lab_strv extra = LAB_STRV_INIT;
	lab_strv_push(&extra, "extra");
	fe_start(&t->fe, routes, n);
	cr_assert_eq(lab_engine_open(&t->e, t->fe.host, &t->err), 0, "%s", t->err.msg);
	struct lab_jobs_opts opts = {.args = &extra, .progress = jbt_record, .progress_ud = t};
	t->rc = lab_jobs_run(&t->res, t->lab, &t->lab->jobs[0], t->e, &opts, &t->err);
	lab_strv_free(&extra);
}

static int jbt_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void jbt_free(struct jbt *t)
{
	lab_jobs_result_free(t->res);
	lab_engine_free(t->e);
	fe_stop(&t->fe);
	lab_free(t->lab);
	lab_strv_free(&t->events);
	nftw(t->dir, jbt_rm, 16, FTW_DEPTH | FTW_PHYS);
	unsetenv("LABCTL_CACHE_DIR");
}

static int jbt_has(const struct jbt *t, const char *event)
{
	return lab_strv_find(&t->events, event) >= 0;
}

Test(jobs, runs_on_every_replica_and_names_the_one_that_failed)
{
	static char out1[512], out2[512];
	static const char *const frames1[] = {"1hello from 0\n", NULL};
	static const char *const frames2[] = {"2oops\r\n", "1part", "1ial", NULL};
	size_t len1 = fe_framed(out1, sizeof(out1), STREAM_HEAD, frames1);
	size_t len2 = fe_framed(out2, sizeof(out2), STREAM_HEAD, frames2);
	struct jbt t;
	jbt_setup(&t);
	struct fe_route routes[] = {
		{"GET /_ping", FE_PING_OK, 0, 0},
		{"GET /v1.41/containers/json", LISTING("running"), 0, 0},
		{"PUT /v1.41/containers/c1/archive?path=%2Fusr%2Flocal%2Fbin", OK_200(""), 0, 0},
		{"PUT /v1.41/containers/c2/archive?path=%2Fusr%2Flocal%2Fbin", OK_200(""), 0, 0},
		{"POST /v1.41/containers/c1/exec", OK_201("{\"Id\":\"x1\"}"), 0, 0},
		{"POST /v1.41/containers/c2/exec", OK_201("{\"Id\":\"x2\"}"), 0, 0},
		{"POST /v1.41/exec/x1/start", out1, len1, 0},
		{"POST /v1.41/exec/x2/start", out2, len2, 0},
		{"GET /v1.41/exec/x1/json", OK_200("{\"Running\":false,\"ExitCode\":0}"), 0, 0},
		{"GET /v1.41/exec/x2/json", OK_200("{\"Running\":false,\"ExitCode\":3}"), 0, 0},
	};
	jbt_run(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, LAB_ERR, "%d %s", t.rc, t.err.msg);
	cr_expect_str_eq(t.err.msg, "job 'hello' failed on compute-2 (exit 3)");
	cr_assert_not_null(t.res);
	cr_assert_eq(t.res->n, 2);
	cr_expect_str_eq(t.res->replicas[0].name, "compute-1");
	cr_expect_eq(t.res->replicas[0].exit_code, 0);
	cr_expect_eq(t.res->replicas[1].exit_code, 3);
	cr_expect_eq(t.res->replicas[1].err.code, 0);

	cr_expect(jbt_has(&t, "cached hello"), "the cached binary is used");
	cr_expect(jbt_has(&t, "running hello 2"));
	cr_expect(jbt_has(&t, "output compute-1 1 hello from 0"));
	cr_expect(jbt_has(&t, "output compute-2 2 oops"), "stderr line, '\\r' dropped");
	cr_expect(jbt_has(&t, "output compute-2 1 partial"), "a last line without '\\n' comes at the end");
	cr_expect_lt(lab_strv_find(&t.events, "running hello 2"), lab_strv_find(&t.events, "output compute-1 1 hello from 0"));

	/* what each replica ran: the job's args, then run's, with its rank */
	for (int i = 0; i < 2; i++) {
		long at = fe_find(&t.fe, i ? "POST /v1.41/containers/c2/exec" : "POST /v1.41/containers/c1/exec", 0);
		cr_assert_geq(at, 0);
		const char *body = fe_body(&t.fe, (size_t)at);
		cr_expect(strstr(body, "\"Cmd\":[\"/usr/local/bin/hello\",\"--greet\",\"extra\"]"), "%s", body);
		char rank[32];
		snprintf(rank, sizeof(rank), "\"LAB_RANK=%d\"", i);
		cr_expect(strstr(body, rank) && strstr(body, "\"LAB_WORLD_SIZE=2\"") && strstr(body, "\"LAB_REPLICA=compute-"),
			  "%s", body);
	}
	jbt_free(&t);
}

Test(jobs, replica_not_running_stops_before_anything_is_copied)
{
	struct jbt t;
	jbt_setup(&t);
	struct fe_route routes[] = {
		{"GET /_ping", FE_PING_OK, 0, 0},
		{"GET /v1.41/containers/json", LISTING("exited"), 0, 0},
	};
	jbt_run(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, LAB_ERR, "%d %s", t.rc, t.err.msg);
	cr_expect_null(t.res);
	cr_expect_str_eq(t.err.msg, "job 'hello' runs on 'compute' replica 2, which is exited (labctl up jbt)");
	cr_expect_eq(fe_find(&t.fe, "PUT ", 0), -1);
	cr_expect_eq(t.events.n, 0);
	jbt_free(&t);
}
