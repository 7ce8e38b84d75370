/* PySpark jobs: a script spark-submitted to the lab's standalone master
 * from a driver container (client deploy mode), then what the cluster
 * says about the application: its id, state, and the workers that ran
 * its executors.
 *
 * Sources of the rules: Spark "Submitting Applications" (spark-submit
 * --master spark://HOST:PORT --deploy-mode client); the standalone
 * master's and worker's web UI JSON (GET /json/ on the master's UI port
 * and on the worker's, 8081 by default: SPARK_WORKER_WEBUI_PORT), whose
 * documents Spark's deploy JsonProtocol writes (master: activeapps,
 * completedapps with id, name, state, duration; worker: executors and
 * finishedexecutors with appid). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../endpoints/endpoints.h"
#include "../plan/plan.h"
#include "../probe/probe.h"
#include "internal.h"

#define WORKER_UI_PORT 8081

/* The service with the spark probe, and that probe. */
static const struct lab_service *master_service(const struct lab *lab, const struct lab_probe **probe)
{
	const struct lab_service *s = lab_find_service_with_probe(lab, "spark");
	*probe = s ? lab_ready_find(&s->ready, "spark") : NULL;
	return s;
}

int jobs_spark_prepare(struct run *r, struct lab_err *err)
{
	const struct lab_job *job = r->job;
	const struct lab_probe *probe = NULL;
	if (!master_service(r->lab, &probe))
		return lab_err_set(err, LAB_EINPUT,
				   "job '%s' is a PySpark script, but no service of the lab has an x-ready spark probe (the master)",
				   job->name);
	if (jobs_read_file(&r->binary, job->script) < 0)
		return lab_err_set(err, LAB_ERR, "job '%s': cannot read '%s'", job->name, job->script);
	const char *base = strrchr(job->script, '/');
	base = base ? base + 1 : job->script;
	struct lab_buf tar = LAB_BUF_INIT;
	char *path = lab_xasprintf("labctl-jobs/%s", base);
	/* under /tmp: any user the image runs as (jovyan, spark) can read it */
	struct tar_file files[] = {{"labctl-jobs/", NULL, 0, 0777}, {path, r->binary.data, r->binary.len, 0644}};
	int rc = jobs_tar_build(&tar, files, 2, err);
	for (size_t i = 0; rc == 0 && i < r->n; i++)
		rc = lab_engine_put_archive(r->engine, r->reps[i].id, "/tmp", tar.data, tar.len, err);
	lab_buf_release(&tar);
	free(path);
	if (rc < 0)
		return rc;
	/* the environment: the lab's internal endpoints (SPARK_MASTER_URL
	   among them), datasets in a bucket as s3a:// URLs */
	for (size_t i = 0; i < r->n; i++) {
		struct lab_strv *env = &r->reps[i].env;
		lab_strv_pushf(env, "LAB_JOB=%s", job->name);
		lab_strv_pushf(env, "LAB_NAME=%s", r->lab->project);
		lab_strv_pushf(env, "LAB_REPLICA=%s", r->reps[i].prefix);
		for (size_t d = 0; d < job->datasets.n; d++) {
			const struct lab_dataset *ds = lab_find_dataset(r->lab, job->datasets.v[d]);
			if (!ds->bucket)
				return lab_err_set(err, LAB_EINPUT,
						   "job '%s' needs dataset '%s', which names no bucket: a Spark job reads it from the object store",
						   job->name, ds->name);
			char *k = lab_xasprintf("LAB_DATASET_%s", ds->name);
			for (char *p = k + 12; *p; p++)
				*p = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
			lab_strv_pushf(env, "%s=s3a://%s/%s", k, ds->bucket, ds->file);
			free(k);
		}
		jobs_endpoints_env(r->lab, env);
		lab_strv_copy(env, &job->env);
	}
	const char *master = lab_strv_value(&r->reps[0].env, "SPARK_MASTER_URL");
	if (!master)
		return lab_err_set(err, LAB_ERR, "job '%s': no address for the Spark master", job->name);
	lab_strv_push(&r->argv, "spark-submit");
	lab_strv_push(&r->argv, "--master");
	lab_strv_push(&r->argv, master);
	lab_strv_push(&r->argv, "--deploy-mode");
	lab_strv_push(&r->argv, "client");
	lab_strv_push(&r->argv, "--name");
	lab_strv_push(&r->argv, job->name);
	lab_strv_pushf(&r->argv, "/tmp/labctl-jobs/%s", base);
	lab_strv_copy(&r->argv, &job->args);
	if (r->opts->args)
		lab_strv_copy(&r->argv, r->opts->args);
	return 0;
}

void jobs_spark_scan_line(struct run *r, const char *text, size_t len)
{
	/* StandaloneSchedulerBackend logs "Connected to Spark cluster with app ID app-..." */
	static const char mark[] = "with app ID ";
	if (r->app_id || len > 4096)
		return;
	char *line = lab_xstrndup(text, len);
	char *p = strstr(line, mark);
	if (p) {
		p += sizeof(mark) - 1;
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-");
		if (n > 4 && strncmp(p, "app-", 4) == 0)
			r->app_id = lab_xstrndup(p, n);
	}
	free(line);
}

/* GET http://<host of container c, port>/json/ parsed, or NULL. */
static cJSON *ui_json(const cJSON *c, int port)
{
	char *host = NULL;
	int hport = 0;
	struct lab_err ignore = {0};
	if (lab_endpoint_host(&host, &hport, c, port) < 0)
		return NULL;
	char *hp = lab_probe_hostport(host, hport), *url = lab_xasprintf("http://%s/json/", hp);
	struct lab_buf body = LAB_BUF_INIT;
	long status = 0;
	cJSON *doc = NULL;
	if (lab_probe_http_get(url, NULL, 3000, &status, &body, &ignore) == 0 && status == 200)
		doc = cJSON_ParseWithLength(body.data ? body.data : "", body.len);
	lab_buf_release(&body);
	free(url);
	free(hp);
	free(host);
	return doc;
}

/* The app in the master's activeapps/completedapps with id (or, without
 * one, the latest named name that started at or after since_ms). */
static const cJSON *find_app(const cJSON *master, const char *id, const char *name, double since_ms)
{
	const char *lists[] = {"completedapps", "activeapps"};
	const cJSON *best = NULL;
	double best_start = 0;
	for (size_t l = 0; l < 2; l++) {
		const cJSON *a;
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(master, lists[l]))
		{
			const char *aid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "id"));
			const char *an = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "name"));
			double start = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "starttime"));
			if (id) {
				if (aid && strcmp(aid, id) == 0)
					return a;
				continue;
			}
			if (an && strcmp(an, name) == 0 && start >= since_ms && start >= best_start)
				best = a, best_start = start;
		}
	}
	return best;
}

void jobs_spark_report(struct run *r, double since_ms, struct lab_jobs_result *res)
{
	const struct lab_probe *probe = NULL;
	const struct lab_service *ms = master_service(r->lab, &probe);
	struct lab_endpoints ep;
	struct lab_err ignore = {0};
	if (!ms || lab_endpoints_read(&ep, r->lab, r->engine, &ignore) < 0)
		return;
	const cJSON *mc = lab_endpoints_container(&ep, ms->name, 1);
	cJSON *master = mc ? ui_json(mc, probe->kind->port(probe->cfg)) : NULL;
	const cJSON *app = find_app(master, r->app_id, r->job->name, since_ms);
	const char *id = app ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(app, "id")) : r->app_id;
	if (id)
		res->app_id = lab_xstrdup(id);
	if (app) {
		const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(app, "state"));
		res->app_state = st ? lab_xstrdup(st) : NULL;
		res->app_seconds = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(app, "duration")) / 1000.0;
	}
	const char *workers = lab_probe_spark_workers(probe);
	const struct lab_service *ws = workers ? lab_find_service(r->lab, workers) : NULL;
	for (int i = 1; id && ws && i <= ws->replicas; i++) {
		const cJSON *wc = lab_endpoints_container(&ep, ws->name, i);
		cJSON *w = wc && lab_endpoints_running(wc) ? ui_json(wc, WORKER_UI_PORT) : NULL;
		int n = 0;
		const char *lists[] = {"executors", "finishedexecutors"};
		for (size_t l = 0; w && l < 2; l++) {
			const cJSON *x;
			cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(w, lists[l]))
			{
				const char *aid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "appid"));
				n += aid && strcmp(aid, id) == 0;
			}
		}
		if (n)
			lab_strv_pushf(&res->executors, "%s-%d=%d", ws->name, i, n);
		cJSON_Delete(w);
	}
	cJSON_Delete(master);
	lab_endpoints_release(&ep);
}
