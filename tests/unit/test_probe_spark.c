/* The spark and jupyter probes: lab files -> file:line:col messages, and
 * each probe run for real (its descriptor's run) against an HTTP server
 * on 127.0.0.1 in a thread of this test, answers -> ready or the reason it
 * is not; the number of workers wanted follows the lab's replicas after
 * lab_scale (up --scale). */

#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../labctl/lab/lab.h"
#include "../../labctl/probe/probe.h"
#include "probe_fixture.h"

static char sp_dir[PATH_MAX];
static struct fx_http sp_srv;

static void sp_start(void)
{
	fx_tmpdir_enter(sp_dir, "sparkprobe");
	fx_http_start(&sp_srv);
}

static void sp_stop(void)
{
	fx_http_stop(&sp_srv);
	fx_tmpdir_leave(sp_dir);
}

/* A lab: service m with x-ready `probe` (one line: "spark: {...}"), and
 * a service spark-worker with 2 replicas. */
static int sp_load(struct lab **lab, const char *probe, struct lab_err *err)
{
	FILE *f = fopen("lab.yml", "w");
	cr_assert(f);
	fprintf(f,
		"services:\n"
		"  m:\n    image: x\n    x-ready:\n      %s\n"
		"  spark-worker:\n    image: x\n    deploy: {replicas: 2}\n",
		probe);
	fclose(f);
	memset(err, 0, sizeof(*err));
	*lab = NULL;
	return lab_load(lab, "lab.yml", NULL, err);
}

static const struct {
	const char *probe;
	const char *want;
} sp_errors[] = {
	{"spark: {workers: 2}", "lab.yml:5:14: missing 'port' for 'spark'"},
	{"spark: {port: 8080, worker: 2}", "lab.yml:5:27: unknown key 'worker' (did you mean 'workers'?)"},
	{"spark: {port: 8080, workers: 5000}", "lab.yml:5:36: invalid workers '5000' for 'spark': 0 to 1000"},
	{"spark: 8080", "lab.yml:5:14: expected a mapping for 'spark'"},
	{"jupyter: {port: 8888}", "lab.yml:5:16: missing 'token' for 'jupyter'"},
	{"jupyter: {port: 8888, token: \"a b\"}", "lab.yml:5:36: invalid token for 'jupyter': empty or with white space"},
	{"jupyter: {port: 8888, token: t, base_url: lab}",
	 "lab.yml:5:49: invalid base_url 'lab' for 'jupyter': must begin with '/'"},
};

Test(probe_spark, parse_errors_table, .init = sp_start, .fini = sp_stop)
{
	for (size_t i = 0; i < sizeof(sp_errors) / sizeof(sp_errors[0]); i++) {
		struct lab *lab;
		struct lab_err err;
		int rc = sp_load(&lab, sp_errors[i].probe, &err);
		cr_expect_eq(rc, LAB_EINPUT, "case %zu: rc %d", i, rc);
		cr_expect_str_eq(err.msg, sp_errors[i].want, "case %zu (%s)", i, sp_errors[i].probe);
		lab_free(lab);
	}
}

/* A master's /json/ with the given worker states (Spark 4's shape, cut). */
#define MASTER(status, workers)                                                                    \
	"{\"url\" : \"spark://spark-master:7077\", \"workers\" : [" workers "], \"aliveworkers\" : 9," \
	" \"cores\" : 4, \"activeapps\" : [], \"status\" : \"" status "\"}"
#define W(state) "{\"id\" : \"worker-1\", \"host\" : \"10.0.0.3\", \"state\" : \"" state "\"}"

static const struct {
	const char *probe;
	const char *scale; /* lab_scale before the run, or NULL */
	int status;
	const char *body;
	const char *want;  /* NULL: ready; else why not, "@URL@" the URL */
} sp_runs[] = {
	/* the default: spark-worker's replicas (2) */
	{"spark: {port: 8080}", NULL, 200, MASTER("ALIVE", W("ALIVE") "," W("ALIVE")), NULL},
	{"spark: {port: 8080}", NULL, 200, MASTER("ALIVE", W("ALIVE")), "1 of 2 workers alive"},
	/* DEAD ones (a replaced worker) do not count; aliveworkers is not trusted */
	{"spark: {port: 8080}", NULL, 200, MASTER("ALIVE", W("ALIVE") "," W("DEAD")), "1 of 2 workers alive"},
	/* after --scale */
	{"spark: {port: 8080}", "spark-worker=3", 200, MASTER("ALIVE", W("ALIVE") "," W("ALIVE")), "2 of 3 workers alive"},
	{"spark: {port: 8080}", "spark-worker=3", 200, MASTER("ALIVE", W("ALIVE") "," W("ALIVE") "," W("ALIVE")), NULL},
	{"spark: {port: 8080}", "spark-worker=0", 200, MASTER("ALIVE", ""), NULL},
	/* a number; a service by name */
	{"spark: {port: 8080, workers: 1}", "spark-worker=3", 200, MASTER("ALIVE", W("ALIVE")), NULL},
	{"spark: {port: 8080, workers: spark-worker}", NULL, 200, MASTER("ALIVE", W("ALIVE")), "1 of 2 workers alive"},
	/* the master itself */
	{"spark: {port: 8080}", NULL, 200, MASTER("STANDBY", W("ALIVE") "," W("ALIVE")), "master status is STANDBY, want ALIVE"},
	{"spark: {port: 8080}", NULL, 200, "<html>Spark Master</html>", "GET @URL@/json/: not a Spark master's JSON (no \"status\")"},
	{"spark: {port: 8080}", NULL, 503, "", "GET @URL@/json/: status 503, want 200"},
};

static cJSON *sp_inspect(int port)
{
	char inspect[320];
	snprintf(inspect, sizeof(inspect),
		 "{\"NetworkSettings\": {\"Ports\": {\"8080/tcp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"%d\"}],"
		 " \"8888/tcp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"%d\"}]}}}",
		 port, port);
	return cJSON_Parse(inspect);
}

Test(probe_spark, spark_run_table, .init = sp_start, .fini = sp_stop)
{
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", sp_srv.port);
	cJSON *in = sp_inspect(sp_srv.port);
	for (size_t i = 0; i < sizeof(sp_runs) / sizeof(sp_runs[0]); i++) {
		struct lab *lab;
		struct lab_err err;
		cr_assert_eq(sp_load(&lab, sp_runs[i].probe, &err), 0, "case %zu: %s", i, err.msg);
		if (sp_runs[i].scale)
			cr_assert_eq(lab_scale(lab, sp_runs[i].scale, &err), 0, "case %zu: %s", i, err.msg);
		fx_http_answer(&sp_srv, sp_runs[i].status, sp_runs[i].body);
		struct lab_probe_target t = {NULL, "none", in, lab};
		struct lab_err why = {0};
		int rc = lab_probe_run_all(&lab->services[0].ready, &t, &why);
		if (!sp_runs[i].want) {
			cr_expect_eq(rc, 0, "case %zu: %s", i, why.msg);
		} else {
			char want[512];
			const char *at = strstr(sp_runs[i].want, "@URL@");
			if (at)
				snprintf(want, sizeof(want), "%.*s%s%s", (int)(at - sp_runs[i].want), sp_runs[i].want, url,
					 at + 5);
			else
				snprintf(want, sizeof(want), "%s", sp_runs[i].want);
			cr_expect_eq(rc, LAB_ERR, "case %zu: not yet is LAB_ERR, got %d", i, rc);
			cr_expect_str_eq(why.msg, want, "case %zu", i);
		}
		char req[sizeof(sp_srv.req)];
		fx_http_last_request(&sp_srv, req, sizeof(req));
		cr_expect(strncmp(req, "GET /json/ ", 11) == 0, "case %zu: asked %.40s", i, req);
		lab_free(lab);
	}
	cJSON_Delete(in);
}

Test(probe_spark, spark_workers_naming_no_service_is_bad_input, .init = sp_start, .fini = sp_stop)
{
	struct lab *lab;
	struct lab_err err;
	cr_assert_eq(sp_load(&lab, "spark: {port: 8080, workers: executors}", &err), 0, "%s", err.msg);
	cJSON *in = sp_inspect(sp_srv.port);
	struct lab_probe_target t = {NULL, "none", in, lab};
	struct lab_err why = {0};
	cr_expect_eq(lab_probe_run_all(&lab->services[0].ready, &t, &why), LAB_EINPUT);
	cr_expect_str_eq(why.msg, "x-ready spark: workers names service 'executors', which the lab does not have");
	cJSON_Delete(in);
	lab_free(lab);
}

/* A where for client_env: container port P is published as 10000+P. */
static int sp_addr(char **host, int *hport, void *ud, int port)
{
	(void)ud;
	if (port == 7077)
		return LAB_ENOTFOUND;
	*host = strdup("127.0.0.1");
	*hport = 10000 + port;
	return 0;
}

Test(probe_spark, spark_client_env_and_ui)
{
	char cwd[PATH_MAX];
	fx_tmpdir_enter(cwd, "sparkenv");
	struct lab *lab;
	struct lab_err err;
	cr_assert_eq(sp_load(&lab, "spark: {port: 8080}", &err), 0, "%s", err.msg);
	struct lab_probe_where where = {0, sp_addr, NULL};
	struct lab_strv urls = LAB_STRV_INIT, env = LAB_STRV_INIT;
	cr_expect_eq(lab_probe_ui_urls(&urls, &lab->services[0].ready, &where), 1);
	cr_expect_str_eq(urls.n ? urls.v[0] : "", "http://127.0.0.1:18080/");
	lab_probe_client_env(&env, &lab->services[0].ready, &where);
	cr_expect_null(lab_strv_value(&env, "SPARK_MASTER_URL"), "7077 not published: no master URL on the host");
	struct lab_probe_where in = {1, sp_addr, NULL};
	lab_strv_free(&env);
	lab_probe_client_env(&env, &lab->services[0].ready, &in);
	cr_expect_str_eq(lab_strv_value(&env, "SPARK_UI_URL"), "http://127.0.0.1:18080/");
	lab_strv_free(&env);
	lab_strv_free(&urls);
	lab_free(lab);
	fx_tmpdir_leave(cwd);
}

Test(probe_spark, jupyter_sends_the_token_and_refusal_says_so, .init = sp_start, .fini = sp_stop)
{
	struct lab *lab;
	struct lab_err err;
	cr_assert_eq(sp_load(&lab, "jupyter: {port: 8888, token: s3cr3t, base_url: /nb}", &err), 0, "%s", err.msg);
	cJSON *in = sp_inspect(sp_srv.port);
	struct lab_probe_target t = {NULL, "none", in, lab};
	struct lab_err why = {0};
	fx_http_answer(&sp_srv, 200, "{\"started\": \"x\"}");
	cr_expect_eq(lab_probe_run_all(&lab->services[0].ready, &t, &why), 0, "%s", why.msg);
	char req[sizeof(sp_srv.req)];
	fx_http_last_request(&sp_srv, req, sizeof(req));
	cr_expect(strncmp(req, "GET /nb/api/status ", 19) == 0, "asked %.60s", req);
	cr_expect(strstr(req, "\r\nAuthorization: token s3cr3t\r\n"), "sent the token: %s", req);
	fx_http_answer(&sp_srv, 403, "");
	memset(&why, 0, sizeof(why));
	cr_expect_eq(lab_probe_run_all(&lab->services[0].ready, &t, &why), LAB_ERR);
	char want[160];
	snprintf(want, sizeof(want), "GET http://127.0.0.1:%d/nb/api/status: status 403: the server refuses the lab's token",
		 sp_srv.port);
	cr_expect_str_eq(why.msg, want);

	/* the client's environment: the URL with the token, for env and up's table */
	struct lab_probe_where where = {0, sp_addr, NULL};
	struct lab_strv urls = LAB_STRV_INIT, env = LAB_STRV_INIT;
	cr_expect_eq(lab_probe_ui_urls(&urls, &lab->services[0].ready, &where), 1);
	cr_expect_str_eq(urls.n ? urls.v[0] : "", "http://127.0.0.1:18888/nb/lab?token=s3cr3t");
	lab_probe_client_env(&env, &lab->services[0].ready, &where);
	cr_expect_str_eq(lab_strv_value(&env, "JUPYTER_TOKEN"), "s3cr3t");
	lab_strv_free(&env);
	cJSON_Delete(in);
	lab_strv_free(&urls);
	lab_free(lab);
}
