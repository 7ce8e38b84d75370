/* Readiness: a service is ready when every replica is: its x-ready probes
 * pass, else its Docker healthcheck says healthy, else it runs (or it
 * exited 0 when that is what is wanted). Then its buckets, its endpoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../probe/probe.h"
#include "../s3/s3.h"
#include "../util/parallel.h"
#include "internal.h"

#define POLL_MS 50
#define DEFAULT_READY_TIMEOUT_MS 120000L

/* ==== x-ready probes ====
 * What converge asks the probe registry (labctl/probe/): one round of a
 * replica's probes, and the S3 endpoint buckets are made through. */

/* One round of rd's probes against container id (inspect: its
 * GET /containers/{id}/json). 1 all passed, 0 one did not yet (why says
 * what it answered), negative a probe that can never pass (a regex that
 * does not compile: LAB_EINPUT; a library it needs that cannot be loaded:
 * LAB_ENOLIB). */
static int run_probes(struct lab_engine *e, const struct lab *lab, const struct lab_ready *rd, const cJSON *in,
		      const char *id, struct lab_err *why)
{
	struct lab_probe_target t = {e, id, in, lab};
	int rc = lab_probe_run_all(rd, &t, why);
	return rc == 0 ? 1 : rc == LAB_EINPUT || rc == LAB_ENOLIB ? rc : 0;
}

/* A lab_probe_where's addr for the host: the port's address on the
 * container inspected (ud: a struct lab_probe_target). */
static int inspect_addr(char **host, int *hport, void *ud, int port)
{
	return lab_probe_address(host, hport, ud, port, NULL) < 0 ? LAB_ENOTFOUND : 0;
}

/* The S3 client for svc's x-buckets: what its x-ready s3 probe gives a
 * client on the host (AWS_*), on the container inspected. *env holds the
 * strings s3 points to (caller frees). */
int converge_s3_client(struct lab_s3 *s3, struct lab_strv *env, const struct lab_service *svc, const cJSON *in,
		      struct lab_err *err)
{
	const struct lab_probe *p = lab_ready_find(&svc->ready, "s3");
	if (!p)
		return lab_err_set(err, LAB_EINPUT, "service '%s' has x-buckets but no x-ready s3 probe to reach it",
				   svc->name);
	struct lab_probe_target t = {NULL, NULL, in, NULL};
	struct lab_probe_where host = {0, inspect_addr, &t};
	if (p->kind->client_env(p->cfg, &host, env) < 0)
		return lab_err_set(err, LAB_ERR, "service '%s': no address for port %d", svc->name, p->kind->port(p->cfg));
	*s3 = (struct lab_s3){lab_strv_value(env, "AWS_ENDPOINT_URL"), lab_strv_value(env, "AWS_ACCESS_KEY_ID"),
			      lab_strv_value(env, "AWS_SECRET_ACCESS_KEY"), lab_strv_value(env, "AWS_REGION"), 10000};
	return 0;
}

/* ==== end of x-ready probes ==== */

/* One readiness check of one replica. 1 ready, 0 not yet (why says what
 * it is waiting for), 2 completed (exited 0), negative failure (why set,
 * with the code of what failed: the engine's for an inspect error). */
static int replica_ready(struct svc_run *r, struct lab_engine *e, const char *id, struct lab_err *why)
{
	cJSON *in = NULL;
	int rc = lab_engine_container_inspect(e, id, &in, why);
	if (rc < 0)
		return rc;
	const struct lab_ready *rd = &r->svc->ready;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(in, "State");
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(st, "Status");
	const cJSON *health = cJSON_GetObjectItemCaseSensitive(st, "Health");
	const cJSON *hstatus = cJSON_GetObjectItemCaseSensitive(health, "Status");
	if (!cJSON_IsString(hstatus) || !*hstatus->valuestring) {
		/* Podman reports "Health": {"Status": ""} for a container
		   without a healthcheck, where Docker has no "Health" */
		health = NULL;
		hstatus = NULL;
	}
	const char *s = cJSON_IsString(status) ? status->valuestring : "";
	int probes = lab_ready_has_probes(rd);
	int result = 0;
	if (strcmp(s, "exited") == 0 || strcmp(s, "dead") == 0) {
		int code = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(st, "ExitCode"));
		if (code == 0 && (r->completion_wanted || (!probes && !health))) {
			result = 2;
		} else {
			result = lab_err_set(why, LAB_ERR, "container exited with code %d", code);
		}
		goto out;
	}
	if (strcmp(s, "running") != 0) {
		lab_err_set(why, LAB_ERR, "container is %s", s);
		goto out;
	}
	if (r->completion_wanted) {
		lab_err_set(why, LAB_ERR, "still running (waiting for it to complete)");
		goto out;
	}
	if (probes) {
		result = run_probes(e, r->cv->lab, rd, in, id, why);
		goto out;
	}
	if (cJSON_IsString(hstatus)) {
		/* the lab's healthcheck or the image's HEALTHCHECK */
		r->health_gated = 1;
		const char *hs = hstatus->valuestring;
		char *ran = NULL;
		if (strcmp(hs, "healthy") != 0 && lab_engine_podman(e) && lab_now() >= r->hc_next) {
			/* Podman runs healthchecks from systemd timers, which a
			   machine without systemd does not have: run it here, at
			   its interval (at most every second, at least every 0.25 s) */
			double every = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
					       cJSON_GetObjectItemCaseSensitive(
						       cJSON_GetObjectItemCaseSensitive(in, "Config"), "Healthcheck"),
					       "Interval")) / 1e9;
			r->hc_next = lab_now() + (every >= 0.25 && every <= 1.0 ? every : every < 0.25 ? 0.25 : 1.0);
			struct lab_err herr = {0};
			if (lab_engine_podman_healthcheck(e, id, &ran, &herr) == 0)
				hs = ran;
		}
		if (strcmp(hs, "healthy") == 0)
			result = 1;
		else
			lab_err_set(why, LAB_ERR, "healthcheck says %s", hs);
		free(ran);
		goto out;
	}
	result = 1;
out:
	cJSON_Delete(in);
	return result;
}

static int last_logs(int stream, const char *data, size_t len, void *ud)
{
	lab_buf_append(ud, data, len);
	return 0;
}

void converge_fail_with_logs(struct svc_run *r, struct lab_engine *e, const char *container, int code,
			     const char *reason)
{
	struct lab_buf logs = LAB_BUF_INIT;
	struct lab_err ignore = {0};
	if (container && *container)
		lab_engine_logs(e, container, 15, 0, last_logs, &logs, &ignore);
	lab_err_set(&r->err, code, "service '%s' %s%s%s", r->svc->name, reason, logs.len ? "\nlast log lines:\n" : "",
		    lab_buf_cstr(&logs));
	lab_buf_release(&logs);
}

enum svc_state converge_wait(struct cv *c, struct svc_run *r, struct lab_engine *e, long poll_ms,
			     converge_poll_fn poll)
{
	long timeout = r->svc->ready.timeout_ms ? r->svc->ready.timeout_ms : DEFAULT_READY_TIMEOUT_MS;
	double deadline = lab_now() + (double)timeout / 1000.0;
	struct lab_buf said = LAB_BUF_INIT; /* the reason last reported as waiting */
	enum svc_state final = SVC_FAILED;
	for (;;) {
		struct lab_err why = {0};
		char *logs_from = NULL;
		int rc = poll(c, r, e, &why, &logs_from);
		if (rc < 0) {
			converge_fail_with_logs(r, e, logs_from, rc, why.msg);
			free(logs_from);
			break;
		}
		free(logs_from);
		if (rc > CV_POLL_WAIT) {
			final = rc == CV_POLL_COMPLETED ? SVC_COMPLETED : SVC_READY;
			r->health = final == SVC_COMPLETED		      ? "completed"
				    : rc == CV_POLL_NONE		      ? "scaled to 0"
				    : lab_ready_has_probes(&r->svc->ready) ? "ready"
				    : r->health_gated			      ? "healthy"
									      : "running";
			break;
		}
		if (atomic_load(&c->abort)) {
			/* another service failed: the result is known, waiting
			   longer changes nothing (the containers keep running) */
			pthread_mutex_lock(&c->mu);
			lab_err_set(&r->err, LAB_ERR, "stopped waiting: service '%s' failed", c->abort_by);
			r->outcome = LAB_CONVERGE_ABANDONED;
			pthread_mutex_unlock(&c->mu);
			break;
		}
		if (lab_now() > deadline) {
			char *reason = lab_xasprintf("not ready after %.0fs: %.500s", (double)timeout / 1000.0,
						     why.msg[0] ? why.msg : "no answer");
			converge_fail_with_logs(r, e, r->ids.n ? r->ids.v[0] : NULL, LAB_ETIMEOUT, reason);
			free(reason);
			break;
		}
		if (strcmp(lab_buf_cstr(&said), why.msg) != 0) {
			lab_buf_reset(&said);
			lab_buf_puts(&said, why.msg);
			struct lab_converge_event ev = {
				.kind = LAB_CONVERGE_SERVICE_WAITING, .service = r->svc->name, .reason = why.msg};
			converge_emit(c, &ev);
		}
		struct timespec ts = {poll_ms / 1000, (poll_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	lab_buf_release(&said);
	return final;
}

/* One look at every replica of r (a converge_poll_fn): the first that is
 * not ready says why, the first failed one gives its logs. */
static int replicas_poll(struct cv *c, struct svc_run *r, struct lab_engine *e, struct lab_err *why,
			 char **logs_from)
{
	size_t ready = 0, completed = 0;
	for (size_t i = 0; i < r->ids.n; i++) {
		memset(why, 0, sizeof(*why));
		int rc = replica_ready(r, e, r->ids.v[i], why);
		if (rc < 0) {
			*logs_from = lab_xstrdup(r->ids.v[0]);
			return rc;
		}
		if (rc == 0)
			return CV_POLL_WAIT;
		ready++;
		completed += rc == 2;
	}
	if (ready == 0)
		return CV_POLL_NONE;
	return completed == ready ? CV_POLL_COMPLETED : CV_POLL_READY;
}

enum svc_state converge_wait_ready(struct cv *c, struct svc_run *r, struct lab_engine *e)
{
	return converge_wait(c, r, e, POLL_MS, replicas_poll);
}

int converge_buckets(struct cv *c, struct svc_run *r, struct lab_engine *e, struct lab_err *err)
{
	if (!r->svc->buckets.n || r->svc->replicas == 0)
		return 0;
	if (!r->ids.n)
		return lab_err_set(err, LAB_EINPUT, "service '%s' has x-buckets but no x-ready s3 probe to reach it",
				   r->svc->name);
	cJSON *in = NULL;
	int rc = lab_engine_container_inspect(e, r->ids.v[0], &in, err);
	if (rc == 0)
		rc = converge_make_buckets(c, r, in, err);
	cJSON_Delete(in);
	return rc;
}

int converge_make_buckets(struct cv *c, struct svc_run *r, const cJSON *in, struct lab_err *err)
{
	struct lab_strv env = LAB_STRV_INIT;
	struct lab_s3 s3;
	int rc = converge_s3_client(&s3, &env, r->svc, in, err);
	for (size_t i = 0; i < r->svc->buckets.n && rc == 0; i++) {
		rc = lab_s3_create_bucket(&s3, r->svc->buckets.v[i], err);
		if (rc < 0)
			lab_err_prefix(err, "service '%s'", r->svc->name);
	}
	if (rc == 0) {
		struct lab_converge_event ev = {
			.kind = LAB_CONVERGE_BUCKETS_READY, .service = r->svc->name, .count = r->svc->buckets.n};
		converge_emit(c, &ev);
	}
	lab_strv_free(&env);
	return rc;
}

void converge_endpoint(struct svc_run *r, struct lab_engine *e)
{
	if (!r->ids.n)
		return;
	cJSON *in = NULL;
	struct lab_err ignore = {0};
	if (lab_engine_container_inspect(e, r->ids.v[0], &in, &ignore) < 0)
		return;
	struct lab_probe_target t = {e, r->ids.v[0], in, NULL};
	int port = 0;
	char *host = NULL;
	if (r->svc->n_ports &&
	    lab_probe_address(&host, &port, &t, r->svc->ports[0].container_port, &ignore) == 0 && port)
		r->endpoint = lab_probe_hostport(host, port);
	free(host);
	struct lab_probe_where where = {0, inspect_addr, &t};
	lab_probe_service_ui(&r->ui, r->svc, &where);
	cJSON_Delete(in);
}
