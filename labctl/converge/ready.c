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
 * Everything that knows the probe kinds is in this section: which probes a
 * service has, the address a probe reaches, one round of probes, the S3
 * endpoint buckets are made through. */

/* Host address for a container port: its published binding, else the
 * container's address on its first network. */
static char *probe_address(const cJSON *inspect, int port, int *host_port)
{
	char key[32];
	snprintf(key, sizeof(key), "%d/tcp", port);
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(inspect, "NetworkSettings");
	const cJSON *ports = cJSON_GetObjectItemCaseSensitive(ns, "Ports");
	const cJSON *b = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ports, key), 0);
	if (b) {
		const cJSON *ip = cJSON_GetObjectItemCaseSensitive(b, "HostIp");
		const cJSON *hp = cJSON_GetObjectItemCaseSensitive(b, "HostPort");
		if (cJSON_IsString(hp) && *hp->valuestring) {
			*host_port = atoi(hp->valuestring);
			const char *h = cJSON_IsString(ip) ? ip->valuestring : "";
			if (!*h || strcmp(h, "0.0.0.0") == 0)
				h = "127.0.0.1";
			if (strcmp(h, "::") == 0)
				h = "::1";
			return lab_xstrdup(h);
		}
	}
	const cJSON *nets = cJSON_GetObjectItemCaseSensitive(ns, "Networks");
	const cJSON *n;
	cJSON_ArrayForEach(n, nets)
	{
		const cJSON *ip = cJSON_GetObjectItemCaseSensitive(n, "IPAddress");
		if (cJSON_IsString(ip) && *ip->valuestring) {
			*host_port = port;
			return lab_xstrdup(ip->valuestring);
		}
	}
	return NULL;
}

static int has_probe(const struct lab_ready *rd)
{
	return rd->tcp_port || rd->http_port || rd->pg_port || rd->log_regex || rd->kafka_port || rd->s3_port;
}

/* One round of rd's probes against container id (inspect: its
 * GET /containers/{id}/json). 1 all passed, 0 one did not yet (why says
 * what it answered), negative a probe that can never pass (a regex that
 * does not compile: LAB_EINPUT; a library it needs that cannot be loaded:
 * LAB_ENOLIB). */
static int run_probes(struct lab_engine *e, const struct lab_ready *rd, const cJSON *in, const char *id,
		      struct lab_err *why)
{
	int port = 0, rc = 0;
	char *host = NULL;
	if (rd->tcp_port) {
		host = probe_address(in, rd->tcp_port, &port);
		rc = host ? lab_probe_tcp(host, port, 1000, why)
			  : lab_err_set(why, LAB_ERR, "no address for port %d", rd->tcp_port);
		free(host);
		if (rc < 0)
			return rc == LAB_ENOLIB ? rc : 0;
	}
	if (rd->http_port) {
		host = probe_address(in, rd->http_port, &port);
		if (!host) {
			lab_err_set(why, LAB_ERR, "no address for port %d", rd->http_port);
			return 0;
		}
		char *url = lab_xasprintf(strchr(host, ':') ? "http://[%s]:%d%s" : "http://%s:%d%s", host, port,
					  rd->http_path ? rd->http_path : "/");
		rc = lab_probe_http(url, rd->http_status ? rd->http_status : 200, 2000, why);
		free(url);
		free(host);
		if (rc < 0)
			return rc == LAB_ENOLIB ? rc : 0;
	}
	if (rd->pg_port) {
		host = probe_address(in, rd->pg_port, &port);
		rc = host ? lab_probe_postgres(host, port, rd->pg_user, rd->pg_password, rd->pg_database, 2000, why)
			  : lab_err_set(why, LAB_ERR, "no address for port %d", rd->pg_port);
		free(host);
		if (rc < 0)
			return rc == LAB_ENOLIB ? rc : 0;
	}
	if (rd->kafka_port) {
		host = probe_address(in, rd->kafka_port, &port);
		char *bootstrap = host ? lab_xasprintf(strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port) : NULL;
		rc = bootstrap ? lab_probe_kafka(bootstrap, rd->kafka_brokers, 2000, why)
			       : lab_err_set(why, LAB_ERR, "no address for port %d", rd->kafka_port);
		free(bootstrap);
		free(host);
		if (rc < 0)
			return rc == LAB_ENOLIB ? rc : 0;
	}
	if (rd->s3_port) {
		host = probe_address(in, rd->s3_port, &port);
		char *ep = host ? lab_xasprintf(strchr(host, ':') ? "http://[%s]:%d" : "http://%s:%d", host, port) : NULL;
		rc = ep ? lab_probe_s3(ep, rd->s3_access_key, rd->s3_secret_key, rd->s3_region, 2000, why)
			: lab_err_set(why, LAB_ERR, "no address for port %d", rd->s3_port);
		free(ep);
		free(host);
		if (rc < 0)
			return rc == LAB_ENOLIB ? rc : 0;
	}
	if (rd->log_regex) {
		rc = lab_probe_log(e, id, rd->log_regex, why);
		if (rc == LAB_EINPUT)
			return rc;
		if (rc < 0)
			return rc == LAB_ENOLIB ? rc : 0;
	}
	return 1;
}

/* The S3 client for svc's x-buckets: its x-ready s3 probe's address on
 * the container inspected and credentials. *ep_out gets the endpoint
 * string s3 points to (caller frees). */
static int buckets_s3(struct lab_s3 *s3, char **ep_out, const struct lab_service *svc, const cJSON *in,
		      struct lab_err *err)
{
	const struct lab_ready *rd = &svc->ready;
	if (!rd->s3_port)
		return lab_err_set(err, LAB_EINPUT, "service '%s' has x-buckets but no x-ready s3 probe to reach it",
				   svc->name);
	int port = 0;
	char *host = probe_address(in, rd->s3_port, &port);
	if (!host)
		return lab_err_set(err, LAB_ERR, "service '%s': no address for port %d", svc->name, rd->s3_port);
	*ep_out = lab_xasprintf(strchr(host, ':') ? "http://[%s]:%d" : "http://%s:%d", host, port);
	free(host);
	*s3 = (struct lab_s3){*ep_out, rd->s3_access_key, rd->s3_secret_key, rd->s3_region, 10000};
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
	const char *s = cJSON_IsString(status) ? status->valuestring : "";
	int probes = has_probe(rd);
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
		result = run_probes(e, rd, in, id, why);
		goto out;
	}
	if (cJSON_IsString(hstatus)) {
		if (strcmp(hstatus->valuestring, "healthy") == 0)
			result = 1;
		else
			lab_err_set(why, LAB_ERR, "healthcheck says %s", hstatus->valuestring);
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

/* r->err: code (what really failed), "service 'x' <reason>" and the first
 * replica's last log lines. */
static void fail_with_logs(struct svc_run *r, struct lab_engine *e, int code, const char *reason)
{
	struct lab_buf logs = LAB_BUF_INIT;
	struct lab_err ignore = {0};
	if (r->ids.n)
		lab_engine_logs(e, r->ids.v[0], 15, 0, last_logs, &logs, &ignore);
	lab_err_set(&r->err, code, "service '%s' %s%s%s", r->svc->name, reason, logs.len ? "\nlast log lines:\n" : "",
		    lab_buf_cstr(&logs));
	lab_buf_release(&logs);
}

enum svc_state converge_wait_ready(struct cv *c, struct svc_run *r, struct lab_engine *e)
{
	long timeout = r->svc->ready.timeout_ms ? r->svc->ready.timeout_ms : DEFAULT_READY_TIMEOUT_MS;
	double deadline = lab_now() + (double)timeout / 1000.0;
	struct lab_err why = {0};
	struct lab_buf said = LAB_BUF_INIT; /* the reason last reported as waiting */
	enum svc_state final = SVC_FAILED;
	for (;;) {
		int ready = 0, completed = 0, failed = 0;
		for (size_t i = 0; i < r->ids.n; i++) {
			memset(&why, 0, sizeof(why));
			int rc = replica_ready(r, e, r->ids.v[i], &why);
			if (rc < 0) {
				failed = rc;
				break;
			}
			if (rc == 0)
				break;
			ready++;
			completed += rc == 2;
		}
		if (failed) {
			fail_with_logs(r, e, failed, why.msg);
			break;
		}
		if ((size_t)ready == r->ids.n) {
			final = completed == ready && ready > 0 ? SVC_COMPLETED : SVC_READY;
			r->health = final == SVC_COMPLETED ? "completed"
				    : has_probe(&r->svc->ready) ? "ready"
				    : r->svc->healthcheck.present && !r->svc->healthcheck.disable ? "healthy"
												   : "running";
			break;
		}
		if (lab_now() > deadline) {
			char *reason = lab_xasprintf("not ready after %.0fs: %.500s", (double)timeout / 1000.0,
						     why.msg[0] ? why.msg : "no answer");
			fail_with_logs(r, e, LAB_ETIMEOUT, reason);
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
		struct timespec ts = {0, POLL_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
	lab_buf_release(&said);
	return final;
}

int converge_buckets(struct cv *c, struct svc_run *r, struct lab_engine *e, struct lab_err *err)
{
	if (!r->svc->buckets.n)
		return 0;
	if (!r->ids.n)
		return lab_err_set(err, LAB_EINPUT, "service '%s' has x-buckets but no x-ready s3 probe to reach it",
				   r->svc->name);
	cJSON *in = NULL;
	char *ep = NULL;
	struct lab_s3 s3;
	int rc = lab_engine_container_inspect(e, r->ids.v[0], &in, err);
	if (rc == 0)
		rc = buckets_s3(&s3, &ep, r->svc, in, err);
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
	cJSON_Delete(in);
	free(ep);
	return rc;
}

void converge_endpoint(struct svc_run *r, struct lab_engine *e)
{
	if (!r->svc->n_ports || !r->ids.n)
		return;
	cJSON *in = NULL;
	struct lab_err ignore = {0};
	if (lab_engine_container_inspect(e, r->ids.v[0], &in, &ignore) < 0)
		return;
	int port = 0;
	char *host = probe_address(in, r->svc->ports[0].container_port, &port);
	if (host && port)
		r->endpoint = lab_xasprintf(strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
	free(host);
	cJSON_Delete(in);
}
