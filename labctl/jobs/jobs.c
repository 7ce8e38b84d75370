/* lab_jobs_run: replicas, build, deploy, then the job on every replica at
 * once. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../plan/plan.h"
#include "../swarm/swarm.h"
#include "../util/parallel.h"
#include "internal.h"

/* Replicas deployed to at once. */
#define MAX_PARALLEL_DEPLOYS 8

void jobs_emit(struct run *r, struct lab_jobs_event *ev)
{
	if (!r->opts->progress)
		return;
	ev->elapsed_ms = (long)((lab_now() - r->t0) * 1000.0);
	pthread_mutex_lock(&r->emit_mu);
	r->opts->progress(ev, r->opts->progress_ud);
	pthread_mutex_unlock(&r->emit_mu);
}

/* Replica i of svc has no container on this engine: when it is a Swarm
 * task running on another node (up --swarm), say so. The limit: the
 * binary goes in through the Engine API of the engine labctl talks to
 * (PUT /containers/{id}/archive, POST /containers/{id}/exec), which
 * reaches only its own node's containers; a manager does not proxy them.
 * LAB_ERR with the node and what to do; 0 when it is not that case. */
static int swarm_elsewhere(struct run *r, const struct lab_service *svc, int i, struct lab_err *err)
{
	struct lab_swarm_info sw;
	struct lab_err ignore = {0};
	struct lab_swarm_task *t = NULL;
	size_t n = 0;
	int rc = 0;
	if (lab_swarm_info(&sw, r->engine, &ignore) == 0 && !strcmp(sw.state, "active") && sw.manager &&
	    lab_swarm_tasks(&t, &n, r->engine, r->lab->project, 0, &ignore) == 0) {
		for (size_t k = 0; k < n; k++)
			if (!strcmp(t[k].service, svc->name) && t[k].slot == i && !strcmp(t[k].state, "running") &&
			    (!sw.node_id || strcmp(t[k].node_id, sw.node_id) != 0)) {
				rc = lab_err_set(err, LAB_ERR,
						 "job '%s' runs on '%s' replica %d, a Swarm task on node '%s' (%s): labctl "
						 "run copies the binary in through the engine it talks to ('%s'), which "
						 "reaches only its own node's containers; set DOCKER_HOST to that node's "
						 "engine, or keep '%s' on this node (deploy.placement.constraints: "
						 "[node.role==manager])",
						 r->job->name, svc->name, i, t[k].node, *t[k].node_addr ? t[k].node_addr : "?",
						 lab_engine_host(r->engine), svc->name);
				break;
			}
	}
	lab_swarm_tasks_free(t, n);
	lab_swarm_info_release(&sw);
	return rc;
}

static int find_replicas(struct run *r, struct lab_err *err)
{
	cJSON *list = NULL;
	char *filter = lab_plan_container_filter(r->lab->project);
	const struct lab_service *svc = lab_find_service(r->lab, r->job->service);
	if (!svc) { /* the loader checked the name: a profile left the service out */
		free(filter);
		return lab_err_set(err, LAB_EINPUT,
				   "job '%s' runs on service '%s', which none of the active profiles enables (--profile NAME "
				   "or COMPOSE_PROFILES, as for up)",
				   r->job->name, r->job->service);
	}
	int want = r->job->replicas ? r->job->replicas : svc->replicas;
	int rc = lab_engine_containers(r->engine, filter, &list, err);
	free(filter);
	if (rc < 0)
		return rc;
	r->reps = lab_xcalloc((size_t)(want > 0 ? want : 1), sizeof(*r->reps));
	for (int i = 1; i <= want; i++) {
		const cJSON *c, *found = NULL;
		cJSON_ArrayForEach(c, list)
		{
			const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
			const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LAB_LABEL_SERVICE));
			char repbuf[16];
			const char *rep = lab_plan_replica_label(labels, repbuf);
			if (s && rep && strcmp(s, svc->name) == 0 && atoi(rep) == i)
				found = c;
		}
		const char *state = found ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(found, "State")) : NULL;
		if (!found && (rc = swarm_elsewhere(r, svc, i, err)) < 0)
			break;
		if (!state || strcmp(state, "running") != 0) {
			rc = lab_err_set(err, LAB_ERR, "job '%s' runs on '%s' replica %d, which is %s (labctl up %s)",
					 r->job->name, svc->name, i, state ? state : "not created", r->lab->project);
			break;
		}
		struct replica *rep = &r->reps[r->n++];
		rep->id = lab_xstrdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(found, "Id")));
		rep->index = i;
		rep->prefix = lab_xasprintf("%s-%d", svc->name, i);
		rep->run = r;
	}
	cJSON_Delete(list);
	return rc;
}

/* ---- deploy ---- */

static char *env_name(const char *prefix, const char *name)
{
	char *s = lab_xasprintf("%s%s", prefix, name);
	for (char *p = s + strlen(prefix); *p; p++)
		*p = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	return s;
}

struct copy_ctx {
	struct run *run;
	struct dataset_copy *dcs;
	size_t n_dcs;
	struct lab_err *errs;
};

static void deploy_replica(size_t i, void *ud)
{
	struct copy_ctx *c = ud;
	struct run *r = c->run;
	struct replica *rep = &r->reps[i];
	struct lab_engine *e = lab_engine_dup(r->engine);
	struct lab_buf tar = LAB_BUF_INIT;
	if (!e) {
		lab_err_set(&c->errs[i], LAB_ERR, "cannot open another connection to the engine");
		return;
	}
	/* the binary, then the datasets */
	char *path = lab_xstrdup(r->job->binary);
	struct tar_file f = {path, r->binary.data, r->binary.len, 0755};
	int rc = jobs_tar_build(&tar, &f, 1, &c->errs[i]);
	if (rc == 0)
		rc = lab_engine_put_archive(e, rep->id, JOBS_BIN_DIR, tar.data, tar.len, &c->errs[i]);
	for (size_t d = 0; rc == 0 && d < c->n_dcs; d++)
		rc = jobs_dataset_copy(r, e, rep, &c->dcs[d], &c->errs[i]);
	if (rc < 0 && !c->errs[i].code)
		c->errs[i].code = rc;
	free(path);
	lab_buf_release(&tar);
	lab_engine_free(e);
}

static int deploy(struct run *r, struct lab_err *err)
{
	struct copy_ctx c = {r, NULL, 0, NULL};
	int rc = 0;
	c.dcs = lab_xcalloc(r->job->datasets.n + 1, sizeof(*c.dcs));
	for (size_t d = 0; d < r->job->datasets.n && rc == 0; d++) {
		c.dcs[d].ds = lab_find_dataset(r->lab, r->job->datasets.v[d]);
		c.n_dcs++;
		rc = jobs_dataset_resolve(r, &c.dcs[d], err);
	}
	if (rc == 0) {
		c.errs = lab_xcalloc(r->n ? r->n : 1, sizeof(struct lab_err));
		lab_parallel(r->n, MAX_PARALLEL_DEPLOYS, deploy_replica, &c);
		for (size_t i = 0; i < r->n && rc == 0; i++)
			if (c.errs[i].code) {
				*err = c.errs[i];
				rc = lab_err_prefix(err, "%s", r->reps[i].prefix);
			}
	}
	/* each replica's environment */
	for (size_t i = 0; rc == 0 && i < r->n; i++) {
		struct lab_strv *env = &r->reps[i].env;
		lab_strv_pushf(env, "LAB_RANK=%zu", i);
		lab_strv_pushf(env, "LAB_WORLD_SIZE=%zu", r->n);
		lab_strv_pushf(env, "LAB_JOB=%s", r->job->name);
		lab_strv_pushf(env, "LAB_NAME=%s", r->lab->project);
		lab_strv_pushf(env, "LAB_REPLICA=%s", r->reps[i].prefix);
		for (size_t d = 0; d < c.n_dcs; d++) {
			char *k = env_name("LAB_DATASET_", c.dcs[d].ds->name);
			lab_strv_pushf(env, "%s=%s/%s", k, JOBS_DATA_DIR, c.dcs[d].name);
			free(k);
		}
		jobs_endpoints_env(r->lab, env);
		lab_strv_copy(env, &r->job->env);
	}
	for (size_t d = 0; d < c.n_dcs; d++) {
		free(c.dcs[d].path);
		free(c.dcs[d].name);
		lab_buf_release(&c.dcs[d].data);
	}
	free(c.dcs);
	free(c.errs);
	return rc;
}

/* ---- run ---- */

/* Where one stream's lines go. */
struct out_dest {
	struct replica *rep;
	int stream;
};

static int emit_line(const char *text, size_t len, int cont, void *ud)
{
	const struct out_dest *d = ud;
	if (d->rep->run->job->script && !cont)
		jobs_spark_scan_line(d->rep->run, text, len);
	struct lab_jobs_event ev = {.kind = LAB_JOBS_OUTPUT,
				    .replica = d->rep->prefix,
				    .stream = d->stream,
				    .text = text,
				    .len = len,
				    .cont = cont};
	jobs_emit(d->rep->run, &ev);
	return 0;
}

static int replica_output(int stream, const char *data, size_t len, void *ud)
{
	struct replica *rep = ud;
	struct out_dest d = {rep, stream == 2 ? 2 : 1};
	return lab_lines_feed(&rep->lines[stream == 2], data, len, emit_line, &d);
}

static void run_replica(size_t i, void *ud)
{
	struct run *r = ud;
	struct replica *rep = &r->reps[i];
	struct lab_engine *e = lab_engine_dup(r->engine);
	rep->exit_code = -1;
	if (!e) {
		lab_err_set(&rep->err, LAB_ERR, "cannot open another connection to the engine");
		return;
	}
	lab_lines_init(&rep->lines[0], 0);
	lab_lines_init(&rep->lines[1], 0);
	int rc = lab_engine_exec(e, rep->id, r->argv.v, &rep->env, NULL, NULL, replica_output, rep, &rep->exit_code,
				 &rep->err);
	struct out_dest out = {rep, 1}, errs = {rep, 2};
	lab_lines_finish(&rep->lines[0], emit_line, &out);
	lab_lines_finish(&rep->lines[1], emit_line, &errs);
	if (rc < 0)
		rep->exit_code = -1;
	lab_engine_free(e);
}

static struct lab_jobs_result *make_result(struct run *r)
{
	struct lab_jobs_result *res = lab_xcalloc(1, sizeof(*res));
	res->replicas = lab_xcalloc(r->n ? r->n : 1, sizeof(*res->replicas));
	res->n = r->n;
	for (size_t i = 0; i < r->n; i++) {
		res->replicas[i].name = lab_xstrdup(r->reps[i].prefix);
		res->replicas[i].replica = r->reps[i].index;
		res->replicas[i].exit_code = r->reps[i].exit_code;
		res->replicas[i].err = r->reps[i].err;
	}
	res->seconds = lab_now() - r->t0;
	return res;
}

/* err: "job 'x' failed on a (exit 3), b (<error>)" when a replica failed;
 * returns its code as documented in jobs.h. */
static int failures(const struct lab_jobs_result *res, const struct lab_job *job, struct lab_err *err)
{
	struct lab_buf failed = LAB_BUF_INIT;
	int engine = 0;
	for (size_t i = 0; i < res->n; i++) {
		const struct lab_jobs_replica *rep = &res->replicas[i];
		if (rep->exit_code == 0)
			continue;
		if (rep->err.code) {
			lab_buf_printf(&failed, "%s%s (%s)", failed.len ? ", " : "", rep->name, rep->err.msg);
			if (!engine)
				engine = rep->err.code;
		} else {
			lab_buf_printf(&failed, "%s%s (exit %d)", failed.len ? ", " : "", rep->name, rep->exit_code);
		}
	}
	int rc = 0;
	if (failed.len)
		rc = lab_err_set(err, engine ? engine : LAB_ERR, "job '%s' failed on %s", job->name, lab_buf_cstr(&failed));
	lab_buf_release(&failed);
	return rc;
}

int lab_jobs_run(struct lab_jobs_result **out, struct lab *lab, const struct lab_job *job, struct lab_engine *e,
		 const struct lab_jobs_opts *opts, struct lab_err *err)
{
	static const struct lab_jobs_opts no_opts;
	struct run r = {.lab = lab, .job = job, .engine = e, .opts = opts ? opts : &no_opts, .t0 = lab_now()};
	int rc;
	*out = NULL;
	pthread_mutex_init(&r.emit_mu, NULL);
	struct timespec since;
	clock_gettime(CLOCK_REALTIME, &since);
	if ((rc = find_replicas(&r, err)) < 0)
		goto out;
	if (job->script) {
		if ((rc = jobs_spark_prepare(&r, err)) < 0)
			goto out;
	} else {
		if ((rc = jobs_build_binary(&r, err)) < 0 || (rc = deploy(&r, err)) < 0)
			goto out;
		lab_strv_pushf(&r.argv, "%s/%s", JOBS_BIN_DIR, job->binary);
		lab_strv_copy(&r.argv, &job->args);
		if (r.opts->args)
			lab_strv_copy(&r.argv, r.opts->args);
	}
	const char *what = job->binary ? job->binary : "spark-submit";
	struct lab_jobs_event ev = {.kind = LAB_JOBS_RUNNING, .binary = what, .count = r.n};
	jobs_emit(&r, &ev);
	lab_parallel(r.n, r.n, run_replica, &r);
	*out = make_result(&r);
	if (job->script)
		jobs_spark_report(&r, (double)since.tv_sec * 1000.0 - 1000.0, *out);
	rc = failures(*out, job, err);
out:
	for (size_t i = 0; i < r.n; i++) {
		free(r.reps[i].id);
		free(r.reps[i].prefix);
		lab_lines_release(&r.reps[i].lines[0]);
		lab_lines_release(&r.reps[i].lines[1]);
		lab_strv_free(&r.reps[i].env);
	}
	free(r.reps);
	lab_strv_free(&r.argv);
	lab_buf_release(&r.binary);
	free(r.app_id);
	pthread_mutex_destroy(&r.emit_mu);
	return rc;
}

void lab_jobs_result_free(struct lab_jobs_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->n; i++)
		free(res->replicas[i].name);
	free(res->replicas);
	free(res->app_id);
	free(res->app_state);
	lab_strv_free(&res->executors);
	free(res);
}
