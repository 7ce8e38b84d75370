/* The lab's connectors: (lab/connectors.c): once every service is ready,
 * each is created or updated through its worker's Kafka Connect REST API
 * and waited for until it and its tasks run, or one fails.
 *
 *   PUT  /connectors/{name}/config   {config}   201 created, 200 updated
 *                                              (idempotent: the same config
 *                                              changes nothing); 400 when the
 *                                              connector's validation fails
 *   GET  /connectors/{name}/status             {"connector": {"state",
 *                                              "trace"?}, "tasks": [{"id",
 *                                              "state", "trace"?}]}
 *   POST /connectors/{name}/restart?includeTasks=true&onlyFailed=true
 *                                              (KIP-745) for one that existed
 *                                              and had failed: a rerun of up
 *                                              tries it again
 *
 * Source: Kafka Connect REST interface (kafka.apache.org/documentation/
 * #connect_rest), Kafka 4.4. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../probe/probe.h"
#include "../rest/rest.h"
#include "../util/parallel.h"
#include "internal.h"

#define CONNECTOR_TIMEOUT_MS 60000L
#define STATUS_POLL_MS 250
#define REST_TIMEOUT_MS 30000  /* Connect's own request timeout is 90 s; validation connects to databases */

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* The lines of a Java trace that say what happened: the first, and each
 * "Caused by:" (the root cause is usually the last). New string. */
static char *trace_summary(const char *trace)
{
	struct lab_buf b = LAB_BUF_INIT;
	const char *p = trace;
	int first = 1;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
			n--;
		if (first || strncmp(p, "Caused by: ", 11) == 0)
			lab_buf_printf(&b, "%s%.*s", b.len ? "\n  " : "", (int)(n > 400 ? 400 : n), p);
		first = 0;
		p = nl ? nl + 1 : NULL;
	}
	return b.len ? lab_buf_detach(&b) : lab_xstrdup("(no trace)");
}

/* Record connector i's outcome in res and report it. */
static void settle(struct cv *c, struct lab_converge_result *res, size_t i, const char *state, const char *message,
		   const char *trace)
{
	struct lab_converge_connector *k = &res->connectors[i];
	k->name = lab_xstrdup(c->lab->connectors[i].name);
	k->service = lab_xstrdup(c->lab->connectors[i].service);
	k->state = lab_xstrdup(state);
	k->message = lab_xstrdup(message);
	k->trace = lab_xstrdup(trace);
	struct lab_converge_event ev = {.kind = LAB_CONVERGE_CONNECTOR,
					.service = k->service,
					.name = k->name,
					.state = k->state,
					.reason = k->message};
	converge_emit(c, &ev);
}

/* {"key": "value", ...} of a connector's config. New string. */
static char *config_json(const struct lab_connector *k)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < k->config.n; i++) {
		const char *kv = k->config.v[i], *eq = strchr(kv, '=');
		char *key = lab_xstrndup(kv, (size_t)(eq - kv));
		cJSON_AddStringToObject(o, key, eq + 1);
		free(key);
	}
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* The failed part of a status answer, or NULL: *what ("connector", "task
 * 0") and its trace. */
static const char *failed_part(const cJSON *st, char *what, size_t len)
{
	const cJSON *conn = get(st, "connector"), *t;
	const char *s = cJSON_GetStringValue(get(conn, "state"));
	if (s && !strcmp(s, "FAILED")) {
		snprintf(what, len, "connector");
		const char *tr = cJSON_GetStringValue(get(conn, "trace"));
		return tr ? tr : "";
	}
	cJSON_ArrayForEach(t, get(st, "tasks"))
	{
		s = cJSON_GetStringValue(get(t, "state"));
		if (s && !strcmp(s, "FAILED")) {
			snprintf(what, len, "task %d", (int)cJSON_GetNumberValue(get(t, "id")));
			const char *tr = cJSON_GetStringValue(get(t, "trace"));
			return tr ? tr : "";
		}
	}
	return NULL;
}

/* 1 when the connector and at least one task, all of them, are RUNNING. */
static int all_running(const cJSON *st)
{
	const char *s = cJSON_GetStringValue(get(get(st, "connector"), "state"));
	const cJSON *t;
	int n = 0;
	if (!s || strcmp(s, "RUNNING") != 0)
		return 0;
	cJSON_ArrayForEach(t, get(st, "tasks"))
	{
		s = cJSON_GetStringValue(get(t, "state"));
		if (!s || strcmp(s, "RUNNING") != 0)
			return 0;
		n++;
	}
	return n > 0;
}

/* What the status says, for a timeout: "connector UNASSIGNED, 0 tasks". */
static void describe(const cJSON *st, char *out, size_t len)
{
	const char *s = cJSON_GetStringValue(get(get(st, "connector"), "state"));
	snprintf(out, len, "connector %s, %d task(s)", s ? s : "unknown", cJSON_GetArraySize(get(st, "tasks")));
}

/* One connector: PUT, then poll its status. Returns 0 when RUNNING,
 * LAB_ERR when it failed or did not run in time (err says why), or the
 * transport's error. */
static int one_connector(struct cv *c, struct lab_converge_result *res, size_t i, const char *base,
			 struct lab_err *err)
{
	const struct lab_connector *k = &c->lab->connectors[i];
	char *body = config_json(k);
	char *url = lab_xasprintf("%s/connectors/%s/config", base, k->name);
	char *status_url = lab_xasprintf("%s/connectors/%s/status", base, k->name);
	struct lab_rest_resp resp = {0};
	double t0 = lab_now();
	int rc, existed = 0, restarted = 0;
	char said[160] = "no status yet";

	/* PUT; a rebalance in progress (409) or a worker still starting (503)
	   passes: try again */
	for (;;) {
		rc = lab_rest("PUT", url, body, REST_TIMEOUT_MS, &resp, err);
		if (rc < 0)
			goto out;
		if (resp.status == 200 || resp.status == 201)
			break;
		if ((resp.status == 409 || resp.status == 503) && (lab_now() - t0) * 1000 < CONNECTOR_TIMEOUT_MS) {
			lab_rest_resp_release(&resp);
			sleep_ms(STATUS_POLL_MS);
			continue;
		}
		char *sum = trace_summary(lab_rest_message(&resp));
		rc = lab_err_set(err, LAB_ERR, "connector '%s' FAILED: PUT %s: status %ld: %s", k->name, url,
				 resp.status, sum);
		settle(c, res, i, "FAILED", err->msg, lab_rest_message(&resp));
		free(sum);
		goto out;
	}
	existed = resp.status == 200;
	lab_rest_resp_release(&resp);

	for (;;) {
		rc = lab_rest("GET", status_url, NULL, REST_TIMEOUT_MS, &resp, err);
		if (rc < 0)
			goto out;
		if (resp.status == 200) {
			char what[32];
			const char *trace = failed_part(resp.json, what, sizeof(what));
			if (trace && existed && !restarted) {
				/* it had failed before this up: try it again, once */
				char *rs = lab_xasprintf("%s/connectors/%s/restart?includeTasks=true&onlyFailed=true", base,
							 k->name);
				struct lab_rest_resp rr = {0};
				struct lab_err ignore = {0};
				lab_rest("POST", rs, NULL, REST_TIMEOUT_MS, &rr, &ignore);
				lab_rest_resp_release(&rr);
				free(rs);
				restarted = 1;
			} else if (trace) {
				char *sum = trace_summary(trace);
				rc = lab_err_set(err, LAB_ERR, "connector '%s' FAILED (%s): %s", k->name, what, sum);
				settle(c, res, i, "FAILED", err->msg, trace);
				free(sum);
				goto out;
			} else if (all_running(resp.json)) {
				settle(c, res, i, "RUNNING", NULL, NULL);
				rc = 0;
				goto out;
			}
			describe(resp.json, said, sizeof(said));
		}
		lab_rest_resp_release(&resp);
		if ((lab_now() - t0) * 1000 >= CONNECTOR_TIMEOUT_MS) {
			rc = lab_err_set(err, LAB_ERR, "connector '%s' not RUNNING after %ld s (%s)", k->name,
					 CONNECTOR_TIMEOUT_MS / 1000, said);
			settle(c, res, i, "FAILED", err->msg, NULL);
			goto out;
		}
		sleep_ms(STATUS_POLL_MS);
	}
out:
	lab_rest_resp_release(&resp);
	free(status_url);
	free(url);
	free(body);
	return rc;
}

/* A lab_probe_where's addr for the host: the port on the container
 * inspected (ud: a struct lab_probe_target). */
static int inspect_addr(char **host, int *hport, void *ud, int port)
{
	return lab_probe_address(host, hport, ud, port, NULL) < 0 ? LAB_ENOTFOUND : 0;
}

/* The REST base URL ("http://127.0.0.1:18083") of service's first replica,
 * through its x-ready connect probe, for the host. New string, or NULL
 * with err set. */
static char *worker_url(struct cv *c, const char *service, struct lab_engine *e, struct lab_err *err)
{
	const struct svc_run *r = NULL;
	for (size_t i = 0; i < c->n && !r; i++)
		if (!strcmp(c->runs[i].svc->name, service))
			r = &c->runs[i];
	const struct lab_probe *p = r ? lab_ready_find(&r->svc->ready, "connect") : NULL;
	if (!p || !r->ids.n) {
		lab_err_set(err, LAB_EINPUT, "service '%s' has no x-ready connect probe or no container", service);
		return NULL;
	}
	cJSON *in = NULL;
	struct lab_strv env = LAB_STRV_INIT;
	char *url = NULL;
	if (lab_engine_container_inspect(e, r->ids.v[0], &in, err) < 0)
		return NULL;
	struct lab_probe_target t = {NULL, NULL, in, NULL};
	struct lab_probe_where host = {0, inspect_addr, &t};
	if (p->kind->client_env(p->cfg, &host, &env) < 0 || !lab_strv_value(&env, "KAFKA_CONNECT_URL"))
		lab_err_set(err, LAB_ERR, "service '%s': no address for port %d", service, p->kind->port(p->cfg));
	else
		url = lab_xstrdup(lab_strv_value(&env, "KAFKA_CONNECT_URL"));
	cJSON_Delete(in);
	lab_strv_free(&env);
	return url;
}

int converge_connectors(struct cv *c, struct lab_converge_result *res, struct lab_engine *e, struct lab_err *err)
{
	const struct lab *lab = c->lab;
	int rc = 0;
	res->connectors = lab_xcalloc(lab->n_connectors, sizeof(*res->connectors));
	res->n_connectors = lab->n_connectors;
	/* every connector is tried, so that the table shows each; the first
	   failure is the one returned */
	for (size_t i = 0; i < lab->n_connectors; i++) {
		struct lab_err one = {0};
		char *base = worker_url(c, lab->connectors[i].service, e, &one);
		int orc = base ? one_connector(c, res, i, base, &one) : one.code ? one.code : LAB_ERR;
		if (orc < 0 && !res->connectors[i].state)
			settle(c, res, i, "FAILED", one.msg, NULL);
		if (orc < 0 && rc == 0) {
			rc = orc == LAB_EINPUT ? LAB_ERR : orc;
			*err = one;
			err->code = rc;
		}
		free(base);
	}
	return rc;
}

void converge_connectors_free(struct lab_converge_connector *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(k[i].name);
		free(k[i].service);
		free(k[i].state);
		free(k[i].message);
		free(k[i].trace);
	}
	free(k);
}
