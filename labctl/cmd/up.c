/* labctl up: converge a lab on the engine and wait until it is ready.
 *
 * 1. load and validate (exit 2 before any engine call)
 * 2. images: present -> used; else build (build:) or pull
 * 3. networks and volumes carrying the lab's labels
 * 4. one thread per service: wait for its dependencies' conditions, then
 *    keep, start or (re)create each replica by config hash, then poll
 *    readiness every 50 ms until ready or its timeout
 * 5. a table: service, replicas, state, endpoint, seconds to ready
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../plan/plan.h"
#include "../probe/probe.h"
#include "../s3/s3.h"
#include "cmd.h"

#define POLL_MS 50
#define DEFAULT_READY_TIMEOUT_MS 120000L

enum svc_state { SVC_PENDING, SVC_STARTED, SVC_READY, SVC_COMPLETED, SVC_FAILED };

struct existing {
	char *id;
	char *name;
	char *service;
	char *hash;
	int replica;
	int running;
	int exited0;   /* exited with code 0: a one-shot job that already completed */
	int claimed;
};

struct up;

struct svc_run {
	struct up *up;
	struct lab_service *svc;
	char *image_id;
	enum svc_state state;
	struct lab_strv ids;     /* container id per replica */
	int created, recreated, kept, started;
	double t_started;        /* seconds from up's start to every replica started */
	double t_ready;          /* seconds from up's start */
	char *endpoint;          /* "127.0.0.1:PORT" of the first published port, or NULL */
	char *health;            /* "healthy", "running", "exited (0)" ... */
	struct lab_err err;
	int completion_wanted;   /* something depends on it with service_completed_successfully */
};

struct up {
	struct lab *lab;
	struct lab_engine *engine;
	struct svc_run *runs;
	size_t n;
	struct existing *ex;
	size_t n_ex;
	double t0;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int json;
};

static void say(struct up *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct up *u, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&u->mu);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&u->mu);
}

/* ---- images ---- */

static int ensure_image(struct up *u, struct svc_run *r, int force_build, struct lab_err *err)
{
	struct lab_service *s = r->svc;
	char *name = lab_plan_image_name(u->lab, s);
	int rc = 0;
	/* the same image may be shared by several services: resolved once
	   (services that build come first) */
	for (struct svc_run *o = u->runs; o < u->runs + u->n; o++) {
		if (o == r || !o->image_id)
			continue;
		char *oname = lab_plan_image_name(u->lab, o->svc);
		int same = strcmp(oname, name) == 0;
		free(oname);
		if (same && (o->svc->has_build || !s->has_build)) {
			r->image_id = lab_xstrdup(o->image_id);
			goto out;
		}
	}
	struct cmd_image req = {
		.name = name,
		.context = s->has_build ? s->build_context : NULL,
		.dockerfile = s->build_dockerfile,
		.args = &s->build_args,
		.target = s->build_target,
		.project = u->lab->project,
		.who = s->name,
		.force = force_build,
	};
	rc = cmd_ensure_image(u->engine, &req, &r->image_id, err);
out:
	if (rc < 0)
		lab_err_prefix(err, "service '%s'", s->name);
	free(name);
	return rc;
}

/* ---- networks and volumes ---- */

static int name_in(const cJSON *arr, const char *key, const char *name)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, key);
		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			return 1;
	}
	return 0;
}

static int ensure_networks_volumes(struct up *u, struct lab_err *err)
{
	cJSON *nets = NULL, *vols = NULL;
	char *filter = lab_plan_label_filter(u->lab->project);
	int rc = lab_engine_networks(u->engine, NULL, &nets, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < u->lab->n_networks; i++) {
		struct lab_network *n = &u->lab->networks[i];
		char *name = lab_plan_network_name(u->lab, n);
		if (!name_in(nets, "Name", name)) {
			if (n->external_name) {
				rc = lab_err_set(err, LAB_ERR, "external network '%s' does not exist", name);
				free(name);
				goto out;
			}
			cJSON *body = cJSON_CreateObject();
			cJSON_AddStringToObject(body, "Name", name);
			cJSON_AddBoolToObject(body, "CheckDuplicate", 1);
			cJSON *labels = cJSON_AddObjectToObject(body, "Labels");
			cJSON_AddStringToObject(labels, LAB_LABEL_LAB, u->lab->project);
			cJSON_AddStringToObject(labels, LAB_LABEL_NETWORK, n->name);
			rc = lab_engine_network_create(u->engine, body, NULL, err);
			cJSON_Delete(body);
			if (rc == LAB_EEXISTS)
				rc = 0;
			if (rc < 0) {
				free(name);
				goto out;
			}
			say(u, "network '%s' created", name);
		}
		free(name);
	}
	rc = lab_engine_volumes(u->engine, NULL, &vols, err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < u->lab->n_volumes; i++) {
		struct lab_volume *v = &u->lab->volumes[i];
		char *name = lab_plan_volume_name(u->lab, v);
		if (!name_in(vols, "Name", name)) {
			if (v->external_name) {
				rc = lab_err_set(err, LAB_ERR, "external volume '%s' does not exist", name);
				free(name);
				goto out;
			}
			cJSON *body = cJSON_CreateObject();
			cJSON_AddStringToObject(body, "Name", name);
			cJSON *labels = cJSON_AddObjectToObject(body, "Labels");
			cJSON_AddStringToObject(labels, LAB_LABEL_LAB, u->lab->project);
			cJSON_AddStringToObject(labels, LAB_LABEL_VOLUME, v->name);
			rc = lab_engine_volume_create(u->engine, body, err);
			cJSON_Delete(body);
			if (rc < 0) {
				free(name);
				goto out;
			}
			say(u, "volume '%s' created", name);
		}
		free(name);
	}
out:
	free(filter);
	cJSON_Delete(nets);
	cJSON_Delete(vols);
	return rc;
}

/* ---- existing containers ---- */

static const char *label_of(const cJSON *c, const char *key)
{
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int list_existing(struct up *u, struct lab_err *err)
{
	cJSON *list = NULL;
	char *filter = lab_plan_container_filter(u->lab->project);
	int rc = lab_engine_containers(u->engine, filter, &list, err);
	free(filter);
	if (rc < 0)
		return rc;
	size_t n = (size_t)cJSON_GetArraySize(list);
	u->ex = lab_xcalloc(n, sizeof(*u->ex));
	const cJSON *c;
	cJSON_ArrayForEach(c, list)
	{
		struct existing *e = &u->ex[u->n_ex++];
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "Id");
		const cJSON *names = cJSON_GetObjectItemCaseSensitive(c, "Names");
		const cJSON *state = cJSON_GetObjectItemCaseSensitive(c, "State");
		const cJSON *first = cJSON_GetArrayItem(names, 0);
		e->id = lab_xstrdup(cJSON_IsString(id) ? id->valuestring : "");
		e->name = lab_xstrdup(cJSON_IsString(first) ? first->valuestring + (first->valuestring[0] == '/') : "");
		e->service = lab_xstrdup(label_of(c, LAB_LABEL_SERVICE));
		e->hash = lab_xstrdup(label_of(c, LAB_LABEL_HASH));
		const char *rep = label_of(c, LAB_LABEL_REPLICA);
		e->replica = rep ? atoi(rep) : 0;
		e->running = cJSON_IsString(state) && strcmp(state->valuestring, "running") == 0;
		const char *status = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "Status"));
		e->exited0 = status && strncmp(status, "Exited (0)", 10) == 0;
	}
	cJSON_Delete(list);
	return 0;
}

static struct existing *find_existing(struct up *u, const char *name)
{
	for (size_t i = 0; i < u->n_ex; i++)
		if (strcmp(u->ex[i].name, name) == 0)
			return &u->ex[i];
	return NULL;
}

/* ---- per-service worker ---- */

static int deps_satisfied(struct up *u, struct svc_run *r, struct lab_err *err)
{
	for (size_t d = 0; d < r->svc->n_deps; d++) {
		const struct lab_dep *dep = &r->svc->deps[d];
		struct svc_run *o = NULL;
		for (size_t i = 0; i < u->n; i++)
			if (strcmp(u->runs[i].svc->name, dep->service) == 0)
				o = &u->runs[i];
		if (!o)
			continue;
		if (o->state == SVC_FAILED)
			return lab_err_set(err, LAB_ERR, "not started: dependency '%s' failed", dep->service);
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

static int connect_extra_networks(struct up *u, struct svc_run *r, const char *id, struct lab_err *err)
{
	for (size_t i = 1; i < r->svc->networks.n; i++) {
		const struct lab_network *n = lab_plan_find_network(u->lab, r->svc->networks.v[i]);
		char *name = n ? lab_plan_network_name(u->lab, n) : lab_xstrdup(r->svc->networks.v[i]);
		char *esc = lab_engine_escape(name);
		char *path = lab_xasprintf("/networks/%s/connect", esc);
		cJSON *body = cJSON_CreateObject();
		cJSON_AddStringToObject(body, "Container", id);
		cJSON *ep = cJSON_AddObjectToObject(body, "EndpointConfig");
		cJSON *al = cJSON_AddArrayToObject(ep, "Aliases");
		cJSON_AddItemToArray(al, cJSON_CreateString(r->svc->name));
		int rc = lab_engine_json(u->engine, "POST", path, body, NULL, err);
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
	struct up *u;
	struct svc_run *r;
	const char *hash;
	struct rep_result *res;
};

/* Keep, start or (re)create replica rep (1-based) of r's service. */
static void converge_one(struct up *u, struct svc_run *r, struct lab_engine *e, const char *hash, int rep,
			 struct rep_result *out)
{
	struct lab_err *err = &out->err;
	char *name = lab_plan_container_name(u->lab, r->svc, rep);
	struct existing *ex = find_existing(u, name);
	int rc = 0;
	if (ex && ex->hash && strcmp(ex->hash, hash) == 0) {
		ex->claimed = 1;
		/* a one-shot job that completed with this very configuration
		   is done: running it again is not "nothing changed" */
		int done = ex->exited0 && (!r->svc->restart || strcmp(r->svc->restart, "no") == 0);
		if (!ex->running && !done) {
			rc = lab_engine_container_start(e, ex->id, err);
			if (rc == 0)
				say(u, "%s | started", name);
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
		rc = lab_engine_container_stop(e, ex->id, 10, err);
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
	cJSON *body = lab_plan_container_body(u->lab, r->svc, r->image_id, rep);
	char *id = NULL;
	rc = lab_engine_container_create(e, name, body, &id, err);
	cJSON_Delete(body);
	if (rc == 0)
		rc = connect_extra_networks(u, r, id, err);
	if (rc == 0)
		rc = lab_engine_container_start(e, id, err);
	if (rc == 0) {
		out->id = id;
		id = NULL;
		out->recreated = ex != NULL;
		out->created = ex == NULL;
		say(u, "%s | %s", name, ex ? "recreated (configuration changed)" : "created");
	}
	free(id);
	free(name);
}

static void converge_worker(size_t i, void *ud)
{
	struct replica_job *job = ud;
	struct lab_engine *e = lab_engine_dup(job->u->engine);
	converge_one(job->u, job->r, e, job->hash, (int)i + 1, &job->res[i]);
	lab_engine_free(e);
}

/* At most this many replicas of one service are created at once: the
 * engine serialises much of container start-up, more threads only queue. */
#define MAX_PARALLEL_REPLICAS 16

/* Converge every replica of r's service, several at once (one engine
 * connection each); r->ids gets the container ids in replica order. On
 * failure returns the first failed replica's error. */
static int converge_replicas(struct up *u, struct svc_run *r, struct lab_engine *e, struct lab_err *err)
{
	char hash[65];
	lab_plan_config_hash(hash, u->lab, r->svc, r->image_id);
	size_t n = (size_t)r->svc->replicas;
	struct replica_job job = {u, r, hash, lab_xcalloc(n ? n : 1, sizeof(struct rep_result))};
	if (n == 1)
		converge_one(u, r, e, hash, 1, &job.res[0]);
	else
		cmd_parallel(n, MAX_PARALLEL_REPLICAS, converge_worker, &job);
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
	r->t_started = cmd_now() - u->t0;
	return rc;
}

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

/* One readiness check of one replica. 1 ready, 0 not yet, 2 completed
 * (exited 0), negative failure (err set). */
static int replica_ready(struct up *u, struct svc_run *r, struct lab_engine *e, const char *id,
			 struct lab_err *why)
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
		int port = 0;
		char *host = NULL;
		if (rd->tcp_port) {
			host = probe_address(in, rd->tcp_port, &port);
			rc = host ? lab_probe_tcp(host, port, 1000, why)
				  : lab_err_set(why, LAB_ERR, "no address for port %d", rd->tcp_port);
			free(host);
			if (rc < 0)
				goto out;
		}
		if (rd->http_port) {
			host = probe_address(in, rd->http_port, &port);
			if (!host) {
				lab_err_set(why, LAB_ERR, "no address for port %d", rd->http_port);
				goto out;
			}
			char *url = lab_xasprintf(strchr(host, ':') ? "http://[%s]:%d%s" : "http://%s:%d%s", host,
						  port, rd->http_path ? rd->http_path : "/");
			rc = lab_probe_http(url, rd->http_status ? rd->http_status : 200, 2000, why);
			free(url);
			free(host);
			if (rc < 0)
				goto out;
		}
		if (rd->pg_port) {
			host = probe_address(in, rd->pg_port, &port);
			rc = host ? lab_probe_postgres(host, port, rd->pg_user, rd->pg_password, rd->pg_database,
						       2000, why)
				  : lab_err_set(why, LAB_ERR, "no address for port %d", rd->pg_port);
			free(host);
			if (rc < 0)
				goto out;
		}
		if (rd->kafka_port) {
			host = probe_address(in, rd->kafka_port, &port);
			char *bootstrap = host ? lab_xasprintf(strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port) : NULL;
			rc = bootstrap ? lab_probe_kafka(bootstrap, rd->kafka_brokers, 2000, why)
				       : lab_err_set(why, LAB_ERR, "no address for port %d", rd->kafka_port);
			free(bootstrap);
			free(host);
			if (rc < 0)
				goto out;
		}
		if (rd->s3_port) {
			host = probe_address(in, rd->s3_port, &port);
			char *ep = host ? lab_xasprintf(strchr(host, ':') ? "http://[%s]:%d" : "http://%s:%d", host, port)
					: NULL;
			rc = ep ? lab_probe_s3(ep, rd->s3_access_key, rd->s3_secret_key, rd->s3_region, 2000, why)
				: lab_err_set(why, LAB_ERR, "no address for port %d", rd->s3_port);
			free(ep);
			free(host);
			if (rc < 0)
				goto out;
		}
		if (rd->log_regex) {
			rc = lab_probe_log(e, id, rd->log_regex, why);
			if (rc == LAB_EINPUT) {
				result = rc;
				goto out;
			}
			if (rc < 0)
				goto out;
		}
		result = 1;
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

static void fail_with_logs(struct up *u, struct svc_run *r, struct lab_engine *e, const char *reason)
{
	struct lab_buf logs = LAB_BUF_INIT;
	struct lab_err ignore = {0};
	if (r->ids.n)
		lab_engine_logs(e, r->ids.v[0], 15, 0, last_logs, &logs, &ignore);
	lab_err_set(&r->err, LAB_ETIMEOUT, "service '%s' %s%s%s", r->svc->name, reason,
		    logs.len ? "\nlast log lines:\n" : "", lab_buf_cstr(&logs));
	lab_buf_release(&logs);
}

static void set_endpoint(struct svc_run *r, struct lab_engine *e)
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

/* x-buckets: made through the first replica's S3 endpoint once it is ready,
 * so that "ready" means the buckets exist. */
static int create_buckets(struct up *u, struct svc_run *r, struct lab_engine *e, struct lab_err *err)
{
	const struct lab_ready *rd = &r->svc->ready;
	if (!r->svc->buckets.n)
		return 0;
	if (!rd->s3_port || !r->ids.n)
		return lab_err_set(err, LAB_EINPUT, "service '%s' has x-buckets but no x-ready s3 probe to reach it",
				   r->svc->name);
	cJSON *in = NULL;
	int rc = lab_engine_container_inspect(e, r->ids.v[0], &in, err);
	if (rc < 0)
		return rc;
	int port = 0;
	char *host = probe_address(in, rd->s3_port, &port);
	cJSON_Delete(in);
	if (!host)
		return lab_err_set(err, LAB_ERR, "service '%s': no address for port %d", r->svc->name, rd->s3_port);
	char *ep = lab_xasprintf(strchr(host, ':') ? "http://[%s]:%d" : "http://%s:%d", host, port);
	struct lab_s3 s3 = {ep, rd->s3_access_key, rd->s3_secret_key, rd->s3_region, 10000};
	for (size_t i = 0; i < r->svc->buckets.n && rc == 0; i++) {
		rc = lab_s3_create_bucket(&s3, r->svc->buckets.v[i], err);
		if (rc < 0)
			lab_err_prefix(err, "service '%s'", r->svc->name);
	}
	if (rc == 0)
		say(u, "%s | buckets ready: %zu", r->svc->name, r->svc->buckets.n);
	free(ep);
	free(host);
	return rc;
}

static void *service_worker(void *arg)
{
	struct svc_run *r = arg;
	struct up *u = r->up;
	struct lab_engine *e = lab_engine_dup(u->engine);
	enum svc_state final = SVC_FAILED;

	pthread_mutex_lock(&u->mu);
	for (;;) {
		int ok = deps_satisfied(u, r, &r->err);
		if (ok < 0)
			break;
		if (ok)
			break;
		pthread_cond_wait(&u->cv, &u->mu);
	}
	pthread_mutex_unlock(&u->mu);
	if (r->err.code)
		goto done;

	if (converge_replicas(u, r, e, &r->err) < 0) {
		lab_err_prefix(&r->err, "service '%s'", r->svc->name);
		goto done;
	}
	pthread_mutex_lock(&u->mu);
	r->state = SVC_STARTED;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);

	long timeout = r->svc->ready.timeout_ms ? r->svc->ready.timeout_ms : DEFAULT_READY_TIMEOUT_MS;
	double deadline = cmd_now() + (double)timeout / 1000.0;
	struct lab_err why = {0};
	for (;;) {
		int ready = 0, completed = 0, failed = 0;
		for (size_t i = 0; i < r->ids.n; i++) {
			memset(&why, 0, sizeof(why));
			int rc = replica_ready(u, r, e, r->ids.v[i], &why);
			if (rc < 0) {
				failed = 1;
				break;
			}
			if (rc == 0)
				break;
			ready++;
			completed += rc == 2;
		}
		if (failed) {
			fail_with_logs(u, r, e, why.msg);
			goto done;
		}
		if ((size_t)ready == r->ids.n) {
			final = completed == ready && ready > 0 ? SVC_COMPLETED : SVC_READY;
			r->health = lab_xstrdup(final == SVC_COMPLETED ? "completed"
					       : has_probe(&r->svc->ready) ? "ready"
					       : r->svc->healthcheck.present && !r->svc->healthcheck.disable
						 ? "healthy"
						 : "running");
			break;
		}
		if (cmd_now() > deadline) {
			char *reason = lab_xasprintf("not ready after %.0fs: %.500s", (double)timeout / 1000.0,
						     why.msg[0] ? why.msg : "no answer");
			fail_with_logs(u, r, e, reason);
			free(reason);
			goto done;
		}
		struct timespec ts = {0, POLL_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (create_buckets(u, r, e, &r->err) < 0) {
		final = SVC_FAILED;
		goto done;
	}
	r->t_ready = cmd_now() - u->t0;
	set_endpoint(r, e);
	say(u, "%s | %s in %.2fs", r->svc->name, r->health, r->t_ready);
done:
	if (final == SVC_FAILED && !r->err.code)
		lab_err_set(&r->err, LAB_ERR, "service '%s' failed", r->svc->name);
	pthread_mutex_lock(&u->mu);
	r->state = final;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	lab_engine_free(e);
	return NULL;
}

/* ---- surplus replicas and orphans ---- */

static int remove_unclaimed(struct up *u, int remove_orphans, struct lab_err *err)
{
	for (size_t i = 0; i < u->n_ex; i++) {
		struct existing *ex = &u->ex[i];
		const struct lab_service *s = ex->service ? lab_find_service(u->lab, ex->service) : NULL;
		int surplus = s && (ex->replica > s->replicas || ex->replica < 1);
		/* a container of a known service under a name we no longer use
		   (e.g. container_name changed) is surplus too */
		if (s && !surplus) {
			char *want = lab_plan_container_name(u->lab, s, ex->replica);
			surplus = strcmp(want, ex->name) != 0;
			free(want);
		}
		if (!s && !remove_orphans) {
			say(u, "orphan container '%s' (service '%s' is not in the lab file; --remove-orphans removes it)",
			    ex->name, ex->service ? ex->service : "?");
			continue;
		}
		if (!s || surplus) {
			int rc = lab_engine_container_stop(u->engine, ex->id, 10, err);
			if (rc == 0 || rc == LAB_ENOTFOUND)
				rc = lab_engine_container_remove(u->engine, ex->id, 1, err);
			if (rc < 0 && rc != LAB_ENOTFOUND)
				return rc;
			ex->claimed = 1;
			say(u, "%s | removed (%s)", ex->name, s ? "replica no longer wanted" : "orphan");
		}
	}
	return 0;
}

static const int *table_waves;

static int by_wave(const void *a, const void *b)
{
	const struct svc_run *x = a, *y = b;
	size_t i = (size_t)(x->svc - x->up->lab->services), j = (size_t)(y->svc - y->up->lab->services);
	if (table_waves[i] != table_waves[j])
		return table_waves[i] - table_waves[j];
	return i < j ? -1 : i > j;
}

static void print_table(struct up *u, int changes)
{
	if (u->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "lab", u->lab->project);
		cJSON_AddBoolToObject(o, "changed", changes > 0);
		cJSON *arr = cJSON_AddArrayToObject(o, "services");
		for (size_t i = 0; i < u->n; i++) {
			struct svc_run *r = &u->runs[i];
			cJSON *s = cJSON_CreateObject();
			cJSON_AddStringToObject(s, "service", r->svc->name);
			cJSON_AddNumberToObject(s, "replicas", r->svc->replicas);
			cJSON_AddNumberToObject(s, "ready_replicas",
						r->state == SVC_READY || r->state == SVC_COMPLETED ? (double)r->ids.n : 0);
			cJSON_AddStringToObject(s, "state", r->state == SVC_FAILED ? "failed" : r->health ? r->health : "?");
			if (r->endpoint)
				cJSON_AddStringToObject(s, "endpoint", r->endpoint);
			else
				cJSON_AddNullToObject(s, "endpoint");
			cJSON_AddNumberToObject(s, "seconds_to_start", r->t_started);
			cJSON_AddNumberToObject(s, "seconds_to_ready", r->state == SVC_FAILED ? -1 : r->t_ready);
			cJSON_AddNumberToObject(s, "created", r->created);
			cJSON_AddNumberToObject(s, "recreated", r->recreated);
			if (r->err.code)
				cJSON_AddStringToObject(s, "error", r->err.msg);
			cJSON_AddItemToArray(arr, s);
		}
		char *text = cJSON_Print(o);
		printf("%s\n", text);
		free(text);
		cJSON_Delete(o);
		return;
	}
	printf("%-20s %-9s %-10s %-22s %s\n", "SERVICE", "REPLICAS", "STATE", "ENDPOINT", "READY");
	for (size_t i = 0; i < u->n; i++) {
		struct svc_run *r = &u->runs[i];
		char reps[32], ready[32];
		int ok = r->state == SVC_READY || r->state == SVC_COMPLETED;
		snprintf(reps, sizeof(reps), "%zu/%d", ok ? r->ids.n : 0, r->svc->replicas);
		if (ok)
			snprintf(ready, sizeof(ready), "%.2fs", r->t_ready);
		else
			snprintf(ready, sizeof(ready), "-");
		printf("%-20s %-9s %-10s %-22s %s\n", r->svc->name, reps,
		       r->state == SVC_FAILED ? "failed" : r->health ? r->health : "?",
		       r->endpoint ? r->endpoint : "-", ready);
	}
}

int cmd_up(const struct cmd *cmd, int argc, char **argv)
{
	struct cmd_args args;
	int code = cmd_parse(cmd, argc, argv, &args);
	if (code)
		return args.help ? 0 : code;
	struct lab *lab = NULL;
	struct lab_engine *engine = NULL;
	struct up u = {0};
	pthread_t *th = NULL;
	struct lab_err err = {0};
	code = cmd_lab_arg(cmd, &args, 1, &lab);
	if (code)
		goto out;
	code = cmd_open_engine(&engine);
	if (code)
		goto out;

	u.lab = lab;
	u.engine = engine;
	u.t0 = cmd_now();
	u.json = cmd_opt(cmd, &args, "json") != NULL;
	pthread_mutex_init(&u.mu, NULL);
	pthread_cond_init(&u.cv, NULL);
	u.n = lab->n_services;
	u.runs = lab_xcalloc(u.n ? u.n : 1, sizeof(*u.runs));
	for (size_t i = 0; i < u.n; i++)
		u.runs[i].svc = &lab->services[i], u.runs[i].up = &u;
	for (size_t i = 0; i < u.n; i++)
		for (size_t d = 0; d < lab->services[i].n_deps; d++)
			if (lab->services[i].deps[d].condition == LAB_DEP_COMPLETED)
				for (size_t j = 0; j < u.n; j++)
					if (strcmp(lab->services[j].name, lab->services[i].deps[d].service) == 0)
						u.runs[j].completion_wanted = 1;

	int force_build = cmd_opt(cmd, &args, "build") != NULL;
	/* services that build go first: others may run the image they build */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < u.n; i++)
			if (u.runs[i].svc->has_build == !pass && ensure_image(&u, &u.runs[i], force_build, &err) < 0)
				goto engine_fail;
	if (ensure_networks_volumes(&u, &err) < 0 || list_existing(&u, &err) < 0 ||
	    remove_unclaimed(&u, cmd_opt(cmd, &args, "remove-orphans") != NULL, &err) < 0)
		goto engine_fail;

	th = lab_xcalloc(u.n ? u.n : 1, sizeof(pthread_t));
	for (size_t i = 0; i < u.n; i++)
		pthread_create(&th[i], NULL, service_worker, &u.runs[i]);
	for (size_t i = 0; i < u.n; i++)
		pthread_join(th[i], NULL);

	/* report in dependency order: what starts first comes first */
	int *waves = NULL;
	size_t n_waves = 0;
	if (lab_plan_waves(&waves, &n_waves, lab, &err) == 0) {
		table_waves = waves;
		qsort(u.runs, u.n, sizeof(*u.runs), by_wave);
	}
	free(waves);
	table_waves = NULL;
	int failed = 0, changes = 0;
	for (size_t i = 0; i < u.n; i++) {
		failed += u.runs[i].state == SVC_FAILED;
		changes += u.runs[i].created + u.runs[i].recreated + u.runs[i].started;
	}
	print_table(&u, changes);
	if (failed) {
		int engine_error = 0;
		for (size_t i = 0; i < u.n; i++) {
			if (u.runs[i].state != SVC_FAILED)
				continue;
			fprintf(stderr, "labctl: %s\n", u.runs[i].err.msg);
			engine_error |= u.runs[i].err.code == LAB_EENGINE || u.runs[i].err.code == LAB_EUNREACHABLE;
		}
		code = engine_error ? LAB_EXIT_ENGINE : LAB_EXIT_FAIL;
	} else if (!changes) {
		fprintf(stderr, "lab '%s' is up to date: nothing changed (%zu services)\n", lab->project, u.n);
	} else {
		fprintf(stderr, "lab '%s' is up: %zu services ready in %.2fs\n", lab->project, u.n,
			cmd_now() - u.t0);
	}
	goto out;

engine_fail:
	code = cmd_fail(&err);
out:
	free(th);
	for (size_t i = 0; i < u.n; i++) {
		free(u.runs[i].image_id);
		free(u.runs[i].endpoint);
		free(u.runs[i].health);
		lab_strv_free(&u.runs[i].ids);
	}
	free(u.runs);
	for (size_t i = 0; i < u.n_ex; i++) {
		free(u.ex[i].id);
		free(u.ex[i].name);
		free(u.ex[i].service);
		free(u.ex[i].hash);
	}
	free(u.ex);
	lab_engine_free(engine);
	lab_free(lab);
	cmd_args_free(&args);
	return code;
}
