/* One service's replicas: kept, started or (re)created by config hash,
 * several at once. */
#include <stdlib.h>
#include <string.h>

#include "../plan/plan.h"
#include "../util/parallel.h"
#include "internal.h"

/* At most this many replicas of one service are created at once: the
 * engine serialises much of container start-up, more threads only queue. */
#define MAX_PARALLEL_REPLICAS 16

static struct existing *find_existing(struct cv *c, const char *name)
{
	for (size_t i = 0; i < c->n_ex; i++)
		if (strcmp(c->ex[i].name, name) == 0)
			return &c->ex[i];
	return NULL;
}

static int connect_extra_networks(struct cv *c, struct svc_run *r, struct lab_engine *e, const char *id,
				  struct lab_err *err)
{
	for (size_t i = 1; i < r->svc->networks.n; i++) {
		/* by id: a name several networks carry is refused by the engine */
		const struct lab_network *n = lab_plan_find_network(c->lab, r->svc->networks.v[i]);
		char *name = n ? lab_xstrdup(c->net_ids[n - c->lab->networks]) : lab_xstrdup(r->svc->networks.v[i]);
		char *esc = lab_engine_escape(name);
		char *path = lab_xasprintf("/networks/%s/connect", esc);
		cJSON *body = cJSON_CreateObject();
		cJSON_AddStringToObject(body, "Container", id);
		cJSON *ep = cJSON_AddObjectToObject(body, "EndpointConfig");
		cJSON *al = cJSON_AddArrayToObject(ep, "Aliases");
		cJSON_AddItemToArray(al, cJSON_CreateString(r->svc->name));
		lab_plan_add_aliases(al, r->svc, r->svc->networks.v[i]);
		int rc = lab_engine_json(e, "POST", path, body, NULL, err);
		cJSON_Delete(body);
		free(path);
		free(esc);
		free(name);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* What converging one replica did. */
struct rep_result {
	char *id;                 /* container id, NULL on failure */
	int created, recreated, kept, started;
	struct lab_err err;
};

/* The replicas of one service converged in parallel: res[i] is replica i+1. */
struct replica_job {
	struct cv *cv;
	struct svc_run *r;
	const char *hash;
	struct rep_result *res;
};

static void emit_container(struct cv *c, struct svc_run *r, enum lab_converge_kind kind, const char *name,
			   const char *reason)
{
	struct lab_converge_event ev = {.kind = kind, .service = r->svc->name, .name = name, .reason = reason};
	converge_emit(c, &ev);
}

/* Create, connect and start replica rep as name. A container that did not
 * get that far is removed: only a started container is complete (see
 * converge.h). *id_out gets the new container's id. */
static int create_complete(char **id_out, struct cv *c, struct svc_run *r, struct lab_engine *e, const char *name,
			   int rep, struct lab_err *err)
{
	cJSON *body = lab_plan_container_body(c->lab, r->svc, r->image_id, rep);
	char *id = NULL;
	const char *failed = NULL;
	int rc = lab_engine_container_create_on(e, name, r->svc->ctr.platform, body, &id, err);
	cJSON_Delete(body);
	if (rc < 0)
		goto out;
	rc = connect_extra_networks(c, r, e, id, err);
	if (rc < 0) {
		failed = "its networks could not be connected";
		goto out;
	}
	rc = lab_engine_container_start(e, id, err);
	if (rc < 0)
		failed = "it could not be started";
out:
	if (failed) {
		struct lab_err ignore = {0};
		if (lab_engine_container_remove(e, id, 1, &ignore) == 0)
			emit_container(c, r, LAB_CONVERGE_CONTAINER_REMOVED, name, failed);
	}
	if (rc == 0)
		*id_out = id;
	else
		free(id);
	return rc;
}

/* The first dependency of r's service with restart: true that this
 * converge made anew (created or recreated), or NULL. Read once the
 * dependency is started (the waves): its counts are final by then. */
static const char *dep_made_anew(struct cv *c, const struct svc_run *r)
{
	for (size_t i = 0; i < r->svc->n_deps; i++) {
		const struct lab_dep *d = &r->svc->deps[i];
		if (!d->restart)
			continue;
		for (size_t j = 0; j < c->n; j++)
			if (!strcmp(c->runs[j].svc->name, d->service) && c->runs[j].created + c->runs[j].recreated > 0)
				return d->service;
	}
	return NULL;
}

/* Keep, start or (re)create replica rep (1-based) of r's service. */
static void converge_one(struct cv *c, struct svc_run *r, struct lab_engine *e, const char *hash, int rep,
			 struct rep_result *out)
{
	struct lab_err *err = &out->err;
	char *name = lab_plan_container_name(c->lab, r->svc, rep);
	struct existing *ex = find_existing(c, name);
	int rc = 0;
	if (ex && ex->hash && strcmp(ex->hash, hash) == 0 && !ex->never_started) {
		ex->claimed = 1;
		/* a one-shot (something waits for it to complete) that
		   completed with this very configuration is done: running it
		   again is not "nothing changed". Any other service that
		   exited, whatever its code, was stopped under it (an engine
		   restart, a reboot, docker stop exit 0 like a clean shutdown)
		   and is started again. */
		int done = ex->exited0 && r->completion_wanted;
		const char *anew = ex->running ? dep_made_anew(c, r) : NULL;
		if (!ex->running && !done) {
			rc = lab_engine_container_start(e, ex->id, err);
			if (rc == 0)
				emit_container(c, r, LAB_CONVERGE_CONTAINER_STARTED, name, NULL);
		} else if (anew) {
			/* Compose: depends_on restart: true restarts the dependent
			   when its dependency is updated */
			rc = lab_engine_container_restart(e, ex->id, err);
			if (rc == 0) {
				char *why = lab_xasprintf("depends on '%s' with restart: true, made anew", anew);
				emit_container(c, r, LAB_CONVERGE_CONTAINER_STARTED, name, why);
				free(why);
			}
		}
		if (rc == 0) {
			out->id = lab_xstrdup(ex->id);
			out->kept = ex->running;
			out->started = !ex->running && !done;
		}
		free(name);
		return;
	}
	if (ex) {
		ex->claimed = 1;
		/* as Compose (no up --timeout): the old container's own
		   StopTimeout, its stop_grace_period, else the engine's 10 s */
		rc = lab_engine_container_stop(e, ex->id, LAB_STOP_TIMEOUT_CONTAINER, err);
		if (rc == 0 || rc == LAB_ENOTFOUND)
			rc = lab_engine_container_remove(e, ex->id, 1, err);
		if (rc == LAB_ENOTFOUND) {
			rc = 0;
			memset(err, 0, sizeof(*err));
		}
		if (rc < 0) {
			free(name);
			return;
		}
	}
	char *id = NULL;
	if (create_complete(&id, c, r, e, name, rep, err) == 0) {
		out->id = id;
		out->recreated = ex != NULL;
		out->created = ex == NULL;
		if (!ex)
			emit_container(c, r, LAB_CONVERGE_CONTAINER_CREATED, name, NULL);
		else
			emit_container(c, r, LAB_CONVERGE_CONTAINER_RECREATED, name,
				       ex->hash && strcmp(ex->hash, hash) == 0 ? "left incomplete by an earlier run"
									       : "configuration changed");
	}
	free(name);
}

static void converge_worker(size_t i, void *ud)
{
	struct replica_job *job = ud;
	struct lab_engine *e = lab_engine_dup(job->cv->engine);
	if (!e) {
		lab_err_set(&job->res[i].err, LAB_ERR, "replica %zu: cannot open another connection to the engine",
			    i + 1);
		return;
	}
	converge_one(job->cv, job->r, e, job->hash, (int)i + 1, &job->res[i]);
	lab_engine_free(e);
}

int converge_replicas(struct cv *c, struct svc_run *r, struct lab_engine *e, struct lab_err *err)
{
	char hash[65];
	lab_plan_config_hash(hash, c->lab, r->svc, r->image_id);
	size_t n = (size_t)r->svc->replicas;
	struct replica_job job = {c, r, hash, lab_xcalloc(n ? n : 1, sizeof(struct rep_result))};
	if (n == 1)
		converge_one(c, r, e, hash, 1, &job.res[0]);
	else
		lab_parallel(n, MAX_PARALLEL_REPLICAS, converge_worker, &job);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct rep_result *res = &job.res[i];
		if (res->id && rc == 0) {
			lab_strv_push(&r->ids, res->id);
			r->created += res->created;
			r->recreated += res->recreated;
			r->kept += res->kept;
			r->started += res->started;
		} else if (!res->id && rc == 0) {
			*err = res->err;
			rc = err->code ? err->code : LAB_ERR;
		}
		free(res->id);
	}
	free(job.res);
	r->t_started = lab_now() - c->t0;
	return rc;
}
