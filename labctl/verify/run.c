/* Running checks: one thread per check, a deadline each; each kind's run
 * (verify/checks/<kind>.c) gets a struct lab_check_ctx with the lookups
 * below and leaves its outcome there. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../endpoints/endpoints.h"
#include "../probe/probe.h"
#include "check.h"

struct vsync {
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

struct vjob {
	struct lab_check_ctx x;   /* first: the ctx a kind's run gets is the job */
	const struct lab_endpoints *ep; /* the lab's containers, read only */
	struct vsync *sync;
	int done;                 /* under sync->mu */
	double started;           /* seconds, CLOCK_MONOTONIC */
	long duration_ms;
	pthread_t th;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long lab_check_left_ms(const struct lab_check_ctx *x)
{
	long ms = (long)((x->deadline - now_s()) * 1000.0);
	return ms < 100 ? 100 : ms;
}

void lab_check_outcome(struct lab_check_ctx *x, enum lab_verify_status st, const char *fmt, ...)
{
	if (x->message || x->status != LAB_VERIFY_PASSED)
		return;
	x->status = st;
	if (fmt) {
		struct lab_buf b = LAB_BUF_INIT;
		va_list ap;
		va_start(ap, fmt);
		lab_buf_vprintf(&b, fmt, ap);
		va_end(ap);
		x->message = lab_buf_detach(&b);
	}
}

int lab_check_need_lib(struct lab_check_ctx *x, enum lab_lazy_lib lib)
{
	struct lab_err err = {0};
	if (lab_lazy_load(lib, &err) == 0)
		return 0;
	lab_check_outcome(x, LAB_VERIFY_ERROR, "%s", err.msg);
	return -1;
}

void lab_check_set_str(char **dst, char *s)
{
	free(*dst);
	*dst = s;
}

/* Id of the running container of service (replica 1), or NULL with the
 * outcome set. */
static const char *container_of(struct lab_check_ctx *x, const char *service)
{
	const struct vjob *j = (const struct vjob *)x;
	const cJSON *c = lab_endpoints_container(j->ep, service, 1);
	const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "State"));
	if (c && lab_endpoints_running(c))
		return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "Id"));
	lab_check_outcome(x, LAB_VERIFY_ERROR, "service '%s' is not running%s%s (labctl up %s)", service,
			  state ? ": " : "", state ? state : "", x->lab->project);
	return NULL;
}

/* Where the host reaches container port `port` of service's running
 * replica 1 (lab_endpoint_host): "host:port" with IPv6 hosts in brackets,
 * or NULL with the outcome set. */
static char *endpoint(struct lab_check_ctx *x, const char *service, int port)
{
	const struct vjob *j = (const struct vjob *)x;
	char *host = NULL, *out = NULL;
	int hport = 0;
	if (!container_of(x, service))
		return NULL;
	if (lab_endpoint_host(&host, &hport, lab_endpoints_container(j->ep, service, 1), port) < 0) {
		lab_check_outcome(x, LAB_VERIFY_ERROR, "no address for port %d of service '%s'", port, service);
		return NULL;
	}
	out = lab_probe_hostport(host, hport);
	free(host);
	return out;
}

/* What a client on the host needs for service's probe of kind probe
 * (lab_endpoints_env), from its running replica 1. */
static int client_env(struct lab_check_ctx *x, const char *service, const char *probe, const char *what,
		      struct lab_strv *env)
{
	const struct vjob *j = (const struct vjob *)x;
	const struct lab_service *svc = lab_find_service(x->lab, service);
	const struct lab_probe *p = svc ? lab_ready_find(&svc->ready, probe) : NULL;
	size_t before = env->n;
	if (!p) {
		lab_check_outcome(x, LAB_VERIFY_ERROR, "service '%s' has no x-ready %s probe (%s)", service, probe, what);
		return -1;
	}
	if (!container_of(x, service))
		return -1;
	/* replica 1 runs; others (more Kafka brokers) count when they do */
	lab_endpoints_env(env, j->ep, LAB_ENDPOINTS_HOST, svc, probe);
	if (env->n == before) {
		lab_check_outcome(x, LAB_VERIFY_ERROR, "no address for port %d of service '%s'", p->kind->port(p->cfg),
				  service);
		return -1;
	}
	return 0;
}

/* Compare against the check's expectation; fails the check when it does
 * not hold. Returns 1 when it holds. */
int lab_check_expect(struct lab_check_ctx *x, const char *observed, const char *what)
{
	const struct lab_expect *e = &x->check->expect;
	char *want = NULL;
	int ok = lab_verify_compare(e, observed, x->key, &want);
	if (!ok) {
		if (e->equals_hash && !e->equals && !e->has_min && !e->has_max)
			lab_check_outcome(x, LAB_VERIFY_FAILED, "%s '%s' is not the expected answer", what, observed);
		else
			lab_check_outcome(x, LAB_VERIFY_FAILED, "%s is '%s', want %s", what, observed, want);
	}
	lab_check_set_str(&x->expected, want);
	return ok;
}

int lab_check_has_expect(const struct lab_expect *e)
{
	return e->equals || e->equals_hash || e->has_min || e->has_max;
}

/* ---- the runner ---- */

static void *job_main(void *p)
{
	struct vjob *j = p;
	const char *cond = j->x.check->skip_unless;
	int holds = cond ? lab_check_sql_holds(&j->x, cond) : 1;
	if (holds == 0)
		lab_check_outcome(&j->x, LAB_VERIFY_SKIPPED, "not true: %s", cond);
	else if (holds > 0)
		j->x.check->kind->run(&j->x);
	j->duration_ms = (long)((now_s() - j->started) * 1000.0);
	pthread_mutex_lock(&j->sync->mu);
	j->done = 1;
	pthread_cond_broadcast(&j->sync->cv);
	pthread_mutex_unlock(&j->sync->mu);
	return NULL;
}

void lab_verify_results_free(struct lab_verify_result *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++) {
		free(r[i].observed);
		free(r[i].expected);
		free(r[i].message);
	}
	free(r);
}

int lab_verify_run(struct lab_verify_result **out, size_t *n_out, size_t *abandoned, const struct lab *lab,
		   struct lab_engine *e, const struct lab_strv *only, const char *key, struct lab_err *err)
{
	int rc = 0;
	struct lab_endpoints *ep = NULL;
	struct vjob **jobs = NULL;
	struct vsync *sync = NULL;
	size_t n = 0, left = 0;
	*out = NULL;
	*n_out = 0;
	*abandoned = 0;
	for (size_t i = 0; only && i < only->n; i++)
		if (!lab_find_check(lab, only->v[i])) {
			const char **ids = lab_xcalloc(lab->n_checks + 1, sizeof(*ids));
			for (size_t k = 0; k < lab->n_checks; k++)
				ids[k] = lab->checks[k].id;
			const char *near = lab_suggest(only->v[i], ids, lab->n_checks);
			rc = lab_err_set(err, LAB_EINPUT, "lab '%s' has no check '%s'%s%s%s", lab->project, only->v[i],
					 near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
			free(ids);
			return rc;
		}
	ep = lab_xcalloc(1, sizeof(*ep));
	if ((rc = lab_endpoints_read(ep, lab, e, err)) < 0)
		goto out;
	sync = lab_xcalloc(1, sizeof(*sync));
	pthread_mutex_init(&sync->mu, NULL);
	pthread_cond_init(&sync->cv, NULL);
	jobs = lab_xcalloc(lab->n_checks + 1, sizeof(*jobs));
	for (size_t i = 0; i < lab->n_checks; i++) {
		const struct lab_check *c = &lab->checks[i];
		if (only && only->n && lab_strv_find(only, c->id) < 0)
			continue;
		struct vjob *j = lab_xcalloc(1, sizeof(*j));
		j->x.lab = lab;
		j->x.check = c;
		j->x.e = lab_engine_dup(e);
		j->x.key = key ? key : lab->seed ? lab->seed : "";
		j->x.container = container_of;
		j->x.endpoint = endpoint;
		j->x.client_env = client_env;
		j->ep = ep;
		j->sync = sync;
		j->started = now_s();
		j->x.deadline = j->started + (double)c->timeout_ms / 1000.0;
		jobs[n++] = j;
		if (!j->x.e) {
			lab_check_outcome(&j->x, LAB_VERIFY_ERROR, "cannot open a connection to the engine");
			j->done = 1;
		} else if (pthread_create(&j->th, NULL, job_main, j) != 0) {
			lab_check_outcome(&j->x, LAB_VERIFY_ERROR, "cannot start a thread for the check");
			j->done = 1;
			j->th = 0;
		}
	}
	/* wait until each is done or past its deadline */
	pthread_mutex_lock(&sync->mu);
	for (;;) {
		double t = now_s(), next = 0;
		left = 0;
		for (size_t i = 0; i < n; i++) {
			struct vjob *j = jobs[i];
			if (j->done || t >= j->x.deadline)
				continue;
			left++;
			if (!next || j->x.deadline < next)
				next = j->x.deadline;
		}
		if (!left)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		double wait = next - t + 0.001;
		ts.tv_sec += (time_t)wait;
		ts.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&sync->cv, &sync->mu, &ts);
	}
	struct lab_verify_result *res = lab_xcalloc(n + 1, sizeof(*res));
	for (size_t i = 0; i < n; i++) {
		struct vjob *j = jobs[i];
		const struct lab_check *c = j->x.check;
		res[i].check = c;
		if (!j->done) {
			/* abandoned: its thread still runs and owns its fields */
			res[i].status = LAB_VERIFY_TIMEOUT;
			res[i].message = lab_xasprintf("no answer within %.1fs", (double)c->timeout_ms / 1000.0);
			res[i].duration_ms = c->timeout_ms;
			(*abandoned)++;
			pthread_detach(j->th);
			jobs[i] = NULL;
			continue;
		}
		res[i].status = j->x.status;
		res[i].observed = j->x.observed;
		res[i].expected = j->x.expected;
		res[i].message = j->x.message;
		res[i].duration_ms = j->duration_ms;
		if (j->x.status == LAB_VERIFY_TIMEOUT && !j->x.message)
			res[i].message = lab_xasprintf("no answer within %.1fs", (double)c->timeout_ms / 1000.0);
	}
	pthread_mutex_unlock(&sync->mu);
	for (size_t i = 0; i < n; i++) {
		if (!jobs[i])
			continue;
		if (jobs[i]->th)
			pthread_join(jobs[i]->th, NULL);
		lab_engine_free(jobs[i]->x.e);
		free(jobs[i]);
	}
	*out = res;
	*n_out = n;
out:
	free(jobs);
	if (!*abandoned) {
		lab_endpoints_release(ep);
		free(ep);
		if (sync) {
			pthread_mutex_destroy(&sync->mu);
			pthread_cond_destroy(&sync->cv);
			free(sync);
		}
	}
	return rc;
}

