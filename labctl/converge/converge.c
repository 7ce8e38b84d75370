/* lab_converge: the order of things and the service workers. The steps
 * themselves are in resources.c (before the workers), replica.c (a
 * service's containers) and ready.c (readiness, buckets, endpoint). */
#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../plan/plan.h"
#include "../util/parallel.h"
#include "internal.h"

void converge_emit(struct cv *c, struct lab_converge_event *ev)
{
	if (!c->opts->progress)
		return;
	ev->elapsed_ms = (long)((lab_now() - c->t0) * 1000.0);
	pthread_mutex_lock(&c->emit_mu);
	c->opts->progress(ev, c->opts->progress_ud);
	pthread_mutex_unlock(&c->emit_mu);
}

static struct svc_run *find_run(struct cv *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->runs[i].svc->name, name) == 0)
			return &c->runs[i];
	return NULL;
}

/* 1 when every dependency of r meets its condition, 0 not yet, negative
 * (r->err set) when r is not to be started: a dependency failed, or
 * another service did (fail fast). Called with c->mu held. */
static int deps_satisfied(struct cv *c, struct svc_run *r)
{
	for (size_t d = 0; d < r->svc->n_deps; d++) {
		const struct svc_run *o = find_run(c, r->svc->deps[d].service);
		if (o && o->state == SVC_FAILED && o->outcome == LAB_CONVERGE_FAILED)
			return lab_err_set(&r->err, LAB_ERR, "not started: dependency '%s' failed", o->svc->name);
	}
	if (atomic_load(&c->abort))
		return lab_err_set(&r->err, LAB_ERR, "not started: service '%s' failed", c->abort_by);
	for (size_t d = 0; d < r->svc->n_deps; d++) {
		const struct lab_dep *dep = &r->svc->deps[d];
		struct svc_run *o = find_run(c, dep->service);
		if (!o)
			continue;
		switch (dep->condition) {
		case LAB_DEP_STARTED:
			if (o->state == SVC_PENDING)
				return 0;
			break;
		case LAB_DEP_HEALTHY:
			if (o->state != SVC_READY && o->state != SVC_COMPLETED)
				return 0;
			break;
		case LAB_DEP_COMPLETED:
			if (o->state != SVC_COMPLETED)
				return 0;
			break;
		}
	}
	return 1;
}

/* What r waits for while its dependencies are not met (under c->mu):
 * "dependency 'db' (service_healthy)", or NULL. */
static const char *first_unmet(struct cv *c, struct svc_run *r, char *buf, size_t n)
{
	static const char *const cond[] = {
		[LAB_DEP_STARTED] = "service_started",
		[LAB_DEP_HEALTHY] = "service_healthy",
		[LAB_DEP_COMPLETED] = "service_completed_successfully",
	};
	for (size_t d = 0; d < r->svc->n_deps; d++) {
		const struct lab_dep *dep = &r->svc->deps[d];
		struct svc_run *o = find_run(c, dep->service);
		int met = !o || (dep->condition == LAB_DEP_STARTED && o->state != SVC_PENDING) ||
			  (dep->condition == LAB_DEP_HEALTHY && (o->state == SVC_READY || o->state == SVC_COMPLETED)) ||
			  (dep->condition == LAB_DEP_COMPLETED && o->state == SVC_COMPLETED);
		if (!met) {
			snprintf(buf, n, "dependency '%s' (%s)", dep->service, cond[dep->condition]);
			return buf;
		}
	}
	return NULL;
}

/* r's state becomes state, and the workers waiting on it hear of it. */
static void set_state(struct cv *c, struct svc_run *r, enum svc_state state)
{
	pthread_mutex_lock(&c->mu);
	r->state = state;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->mu);
}

/* r failed (r->err says why; outcome how): its dependents hear of it,
 * the renderer too. The first to fail itself makes the others stop. */
static void fail_service(struct cv *c, struct svc_run *r, enum lab_converge_outcome outcome)
{
	if (!r->err.code)
		lab_err_set(&r->err, LAB_ERR, "service '%s' failed", r->svc->name);
	pthread_mutex_lock(&c->mu);
	r->outcome = outcome;
	r->state = SVC_FAILED;
	if (outcome == LAB_CONVERGE_FAILED) {
		if (!c->abort_by)
			c->abort_by = r->svc->name;
		atomic_store(&c->abort, 1);
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->mu);
	struct lab_converge_event ev = {.kind = LAB_CONVERGE_SERVICE_FAILED, .service = r->svc->name, .reason = r->err.msg};
	converge_emit(c, &ev);
}

static void *service_worker(void *arg)
{
	struct svc_run *r = arg;
	struct cv *c = r->cv;
	struct lab_engine *e = NULL;
	int ok;

	char said[300] = "", now[300];
	pthread_mutex_lock(&c->mu);
	while ((ok = deps_satisfied(c, r)) == 0) {
		const char *what = first_unmet(c, r, now, sizeof(now));
		if (what && strcmp(what, said) != 0) {
			/* emit without c->mu (converge_emit's rule) */
			snprintf(said, sizeof(said), "%s", what);
			pthread_mutex_unlock(&c->mu);
			struct lab_converge_event ev = {
				.kind = LAB_CONVERGE_SERVICE_WAITING, .service = r->svc->name, .reason = said, .dependency = 1};
			converge_emit(c, &ev);
			pthread_mutex_lock(&c->mu);
			continue; /* a state may have changed meanwhile */
		}
		pthread_cond_wait(&c->cond, &c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	if (ok < 0) {
		fail_service(c, r, LAB_CONVERGE_NOT_STARTED);
		return NULL;
	}
	e = lab_engine_dup(c->engine);
	if (!e) {
		lab_err_set(&r->err, LAB_ERR, "service '%s': cannot open another connection to the engine", r->svc->name);
		goto failed;
	}
	if ((c->swarm ? converge_swarm_service(c, r, e, &r->err) : converge_replicas(c, r, e, &r->err)) < 0) {
		lab_err_prefix(&r->err, "service '%s'", r->svc->name);
		goto failed;
	}
	set_state(c, r, SVC_STARTED);
	enum svc_state final = c->swarm ? converge_swarm_wait(c, r, e) : converge_wait_ready(c, r, e);
	if (final == SVC_FAILED && r->outcome == LAB_CONVERGE_ABANDONED) {
		fail_service(c, r, LAB_CONVERGE_ABANDONED);
		lab_engine_free(e);
		return NULL;
	}
	if (final == SVC_FAILED ||
	    (c->swarm ? converge_swarm_buckets(c, r, &r->err) : converge_buckets(c, r, e, &r->err)) < 0)
		goto failed;
	r->t_ready = lab_now() - c->t0;
	if (c->swarm)
		converge_swarm_endpoint(r);
	else
		converge_endpoint(r, e);
	struct lab_converge_event ev = {.kind = LAB_CONVERGE_SERVICE_READY, .service = r->svc->name, .state = r->health};
	converge_emit(c, &ev);
	set_state(c, r, final);
	lab_engine_free(e);
	return NULL;
failed:
	fail_service(c, r, LAB_CONVERGE_FAILED);
	lab_engine_free(e);
	return NULL;
}

/* Run every service's worker and wait for all. A worker whose thread
 * cannot be made fails at once, and so its dependents do too. */
static void run_workers(struct cv *c)
{
	pthread_t *th = lab_xcalloc(c->n ? c->n : 1, sizeof(pthread_t));
	int *made = lab_xcalloc(c->n ? c->n : 1, sizeof(int));
	for (size_t i = 0; i < c->n; i++) {
		int rc = pthread_create(&th[i], NULL, service_worker, &c->runs[i]);
		if (rc == 0) {
			made[i] = 1;
			continue;
		}
		char buf[128];
		lab_err_set(&c->runs[i].err, LAB_ERR, "service '%s': cannot start a thread for it: %s",
			    c->runs[i].svc->name, strerror_r(rc, buf, sizeof(buf)));
		fail_service(c, &c->runs[i], LAB_CONVERGE_FAILED);
	}
	for (size_t i = 0; i < c->n; i++)
		if (made[i])
			pthread_join(th[i], NULL);
	free(made);
	free(th);
}

/* ---- the result ---- */

static int by_wave(const void *a, const void *b, void *ud)
{
	const struct cv *c = ud;
	const int *waves = c->waves;
	const struct svc_run *x = a, *y = b;
	size_t i = (size_t)(x->svc - c->lab->services), j = (size_t)(y->svc - c->lab->services);
	if (waves[i] != waves[j])
		return waves[i] - waves[j];
	return i < j ? -1 : i > j;
}

/* c->runs in dependency order: what starts first comes first. */
static void sort_by_wave(struct cv *c)
{
	size_t n_waves = 0;
	struct lab_err ignore = {0};
	if (lab_plan_waves(&c->waves, &n_waves, c->lab, &ignore) == 0)
		qsort_r(c->runs, c->n, sizeof(*c->runs), by_wave, c);
	free(c->waves);
	c->waves = NULL;
}

static struct lab_converge_result *make_result(struct cv *c)
{
	struct lab_converge_result *res = lab_xcalloc(1, sizeof(*res));
	res->services = lab_xcalloc(c->n ? c->n : 1, sizeof(*res->services));
	res->n_services = c->n;
	for (size_t i = 0; i < c->n; i++) {
		struct svc_run *r = &c->runs[i];
		struct lab_converge_service *s = &res->services[i];
		int ok = r->state == SVC_READY || r->state == SVC_COMPLETED;
		s->name = lab_xstrdup(r->svc->name);
		s->replicas = r->svc->replicas;
		s->ready_replicas = ok ? (int)r->ids.n : 0;
		static const char *const failed[] = {
			[LAB_CONVERGE_OK] = "failed",
			[LAB_CONVERGE_FAILED] = "failed",
			[LAB_CONVERGE_NOT_STARTED] = "not started",
			[LAB_CONVERGE_ABANDONED] = "starting",
		};
		s->outcome = r->state == SVC_FAILED ? r->outcome : LAB_CONVERGE_OK;
		s->state = r->state == SVC_FAILED ? failed[r->outcome] : r->health ? r->health : "?";
		s->endpoint = r->endpoint;
		r->endpoint = NULL;
		s->ui = r->ui;
		r->ui = NULL;
		s->seconds_to_start = r->t_started;
		s->seconds_to_ready = r->state == SVC_FAILED ? -1 : r->t_ready;
		s->created = r->created;
		s->recreated = r->recreated;
		s->started = r->started;
		s->kept = r->kept;
		s->err = r->err;
		res->changes += r->created + r->recreated + r->started;
	}
	res->seconds = lab_now() - c->t0;
	return res;
}

/* The error lab_converge returns: among the services that failed
 * themselves (should there be none, among all that failed) the first
 * engine error, else the first; NULL when none failed. */
static const struct lab_err *result_error(const struct lab_converge_result *res)
{
	for (int own = 1; own >= 0; own--) {
		const struct lab_err *first = NULL;
		for (size_t i = 0; i < res->n_services; i++) {
			const struct lab_converge_service *s = &res->services[i];
			if (!s->err.code || (own && s->outcome != LAB_CONVERGE_FAILED))
				continue;
			if (s->err.code == LAB_EENGINE || s->err.code == LAB_EUNREACHABLE)
				return &s->err;
			if (!first)
				first = &s->err;
		}
		if (first)
			return first;
	}
	return NULL;
}

void lab_converge_result_free(struct lab_converge_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->n_services; i++) {
		free(res->services[i].name);
		free(res->services[i].endpoint);
		free(res->services[i].ui);
	}
	free(res->services);
	converge_connectors_free(res->connectors, res->n_connectors);
	free(res);
}

int lab_converge(struct lab_converge_result **out, struct lab *lab, struct lab_engine *e,
		 const struct lab_converge_opts *opts, struct lab_err *err)
{
	static const struct lab_converge_opts no_opts;
	struct cv c = {.lab = lab, .engine = e, .opts = opts ? opts : &no_opts, .t0 = lab_now()};
	int rc = 0;
	*out = NULL;
	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.cond, NULL);
	pthread_mutex_init(&c.emit_mu, NULL);
	c.n = lab->n_services;
	c.runs = lab_xcalloc(c.n ? c.n : 1, sizeof(*c.runs));
	for (size_t i = 0; i < c.n; i++)
		c.runs[i].svc = &lab->services[i], c.runs[i].cv = &c;
	for (size_t i = 0; i < c.n; i++)
		for (size_t d = 0; d < lab->services[i].n_deps; d++)
			if (lab->services[i].deps[d].condition == LAB_DEP_COMPLETED)
				for (size_t j = 0; j < c.n; j++)
					if (strcmp(lab->services[j].name, lab->services[i].deps[d].service) == 0)
						c.runs[j].completion_wanted = 1;

	c.swarm = c.opts->swarm || lab->swarm;
	if (c.swarm) {
		if ((rc = converge_images(&c, err)) < 0 || (rc = converge_swarm_prepare(&c, err)) < 0)
			goto out;
	} else if ((rc = converge_check_ports(&c, err)) < 0 || (rc = converge_images(&c, err)) < 0 ||
		   (rc = converge_networks_volumes(&c, err)) < 0 || (rc = converge_list_existing(&c, err)) < 0 ||
		   (rc = converge_remove_unclaimed(&c, err)) < 0) {
		goto out;
	}
	run_workers(&c);
	sort_by_wave(&c);
	*out = make_result(&c);
	const struct lab_err *failed = result_error(*out);
	if (failed) {
		*err = *failed;
		rc = failed->code == LAB_EENGINE || failed->code == LAB_EUNREACHABLE ? failed->code : LAB_ERR;
		err->code = rc;
	} else {
		/* the connectors first (when the lab has some), then the datasets */
		rc = lab->n_connectors ? converge_connectors(&c, *out, e, err) : 0;
		if (rc == 0)
			rc = converge_datasets(&c, err);
		(*out)->seconds = lab_now() - c.t0;
	}
out:
	for (size_t i = 0; i < c.n; i++) {
		free(c.runs[i].image_id);
		free(c.runs[i].endpoint);
		free(c.runs[i].ui);
		lab_strv_free(&c.runs[i].ids);
		free(c.runs[i].swarm_id);
		cJSON_Delete(c.runs[i].swarm_in);
	}
	free(c.swarm_node);
	free(c.swarm_host);
	cJSON_Delete(c.swarm_services);
	free(c.runs);
	for (size_t i = 0; i < c.n_ex; i++) {
		free(c.ex[i].id);
		free(c.ex[i].name);
		free(c.ex[i].service);
		free(c.ex[i].hash);
	}
	free(c.ex);
	converge_standins_free(&c);
	for (size_t i = 0; c.net_ids && i < lab->n_networks; i++)
		free(c.net_ids[i]);
	free(c.net_ids);
	pthread_mutex_destroy(&c.mu);
	pthread_cond_destroy(&c.cond);
	pthread_mutex_destroy(&c.emit_mu);
	return rc;
}
