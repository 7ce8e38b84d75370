/* x-ready spark: {port, workers, master_port} -- a Spark standalone
 * master is ready when its web UI's JSON API (GET http://<address>:<port>/json/,
 * the document the master's MasterPage renders as JSON: Spark's
 * org.apache.spark.deploy.JsonProtocol.writeMasterState) says
 * "status": "ALIVE" and lists at least the expected number of workers in
 * state ALIVE:
 *
 *   spark: {port: 8080}                      # workers: the replicas of service spark-worker
 *   spark: {port: 8080, workers: 3}          # a number
 *   spark: {port: 8080, workers: executors}  # the replicas of the service named so
 *
 * A service name is read when up runs, so `up --scale spark-worker=3`
 * waits for 3. Without workers: the service named spark-worker when the
 * lab has one, else 1. Workers that died and were replaced stay listed as
 * DEAD for a while; only ALIVE ones count.
 *
 * Clients get SPARK_MASTER_URL (spark://<address>:<master_port>, default
 * 7077) and SPARK_UI_URL (http://<address>:<port>/), the web UI up shows. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lab/lab_private.h"
#include "probe.h"

static const char *const spark_keys[] = {"port", "workers", "master_port", NULL};

#define DEFAULT_WORKER_SERVICE "spark-worker"

struct spark_cfg {
	int port;
	int master_port;     /* default 7077 */
	int workers;         /* a number, or -1: count the replicas of service */
	char *service;       /* workers: SERVICE, or NULL (spark-worker, else 1) */
};

static void spark_free(void *cfg)
{
	struct spark_cfg *c = cfg;
	if (!c)
		return;
	free(c->service);
	free(c);
}

static void spark_parse(void **cfg, struct lab_ld *L, const struct lab_node *n)
{
	if (lab_ld_want(L, n, LAB_NODE_MAP, "spark") < 0 || lab_ld_check_keys(L, n, spark_keys, 0))
		return;
	const struct lab_node *p = lab_node_get(n, "port"), *w = lab_node_get(n, "workers"),
			      *mp = lab_node_get(n, "master_port");
	int port = 0;
	if (!p) {
		lab_ld_diag(L, &n->mark, "missing 'port' for 'spark'");
		return;
	}
	if (lab_ld_port(L, p, "port", &port) < 0)
		return;
	struct spark_cfg *c = lab_xcalloc(1, sizeof(*c));
	c->port = port;
	c->master_port = 7077;
	c->workers = -1;
	*cfg = c;
	if (mp)
		lab_ld_port(L, mp, "master_port", &c->master_port);
	if (!w)
		return;
	const char *ws = lab_ld_str(L, w, "workers");
	if (!ws)
		return;
	if (isdigit((unsigned char)ws[0]) && !w->quoted) {
		long v = 0;
		if (lab_ld_int(L, w, "workers", &v) == 0) {
			if (v < 0 || v > 1000)
				lab_ld_diag(L, &w->mark, "invalid workers '%s' for 'spark': 0 to 1000", ws);
			else
				c->workers = (int)v;
		}
		return;
	}
	c->service = lab_xstrdup(ws);
}

static int spark_port(const void *cfg)
{
	return ((const struct spark_cfg *)cfg)->port;
}

/* How many ALIVE workers c wants, as the lab t runs is (with --scale). */
static int wanted_workers(const struct spark_cfg *c, const struct lab *lab, struct lab_err *why)
{
	if (c->workers >= 0)
		return c->workers;
	const char *name = c->service ? c->service : DEFAULT_WORKER_SERVICE;
	const struct lab_service *s = lab ? lab_find_service(lab, name) : NULL;
	if (s)
		return s->replicas;
	if (c->service)
		return lab_err_set(why, LAB_EINPUT, "x-ready spark: workers names service '%s', which the lab does not have",
				   c->service);
	return 1;
}

static int spark_run(const void *cfg, const struct lab_probe_target *t, struct lab_err *why)
{
	const struct spark_cfg *c = cfg;
	char *url = NULL;
	struct lab_buf body = LAB_BUF_INIT;
	cJSON *doc = NULL;
	int want = wanted_workers(c, t->lab, why);
	int rc = want < 0 ? want : lab_probe_url(&url, t, "http", c->port, "/json/", why);
	if (rc < 0)
		goto out;
	long status = 0;
	if ((rc = lab_probe_http_get(url, NULL, 2000, &status, &body, why)) < 0)
		goto out;
	if (status != 200) {
		rc = lab_err_set(why, LAB_ERR, "GET %s: status %ld, want 200", url, status);
		goto out;
	}
	doc = cJSON_ParseWithLength(body.data ? body.data : "", body.len);
	const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "status"));
	if (!doc || !st) {
		rc = lab_err_set(why, LAB_ERR, "GET %s: not a Spark master's JSON (no \"status\")", url);
		goto out;
	}
	if (strcmp(st, "ALIVE") != 0) {
		rc = lab_err_set(why, LAB_ERR, "master status is %s, want ALIVE", st);
		goto out;
	}
	int alive = 0;
	const cJSON *wk;
	cJSON_ArrayForEach(wk, cJSON_GetObjectItemCaseSensitive(doc, "workers"))
	{
		const char *ws = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(wk, "state"));
		alive += ws && strcmp(ws, "ALIVE") == 0;
	}
	if (alive < want)
		rc = lab_err_set(why, LAB_ERR, "%d of %d workers alive", alive, want);
out:
	cJSON_Delete(doc);
	lab_buf_release(&body);
	free(url);
	return rc;
}

/* The master's JSON read by the image's python3 (the spark image has no
 * curl): ALIVE and at least N ALIVE workers. N is deploy.replicas as the
 * file has it when the workers are named by service; export compose
 * writes the file that way (a compose file has no --scale of its own to
 * know about), so it is 1 there unless the probe gives a number. */
static void spark_compose_test(const void *cfg, struct lab_buf *out)
{
	const struct spark_cfg *c = cfg;
	int want = c->workers >= 0 ? c->workers : 1;
	lab_buf_printf(out,
		       "python3 -c \"import json, urllib.request as u; "
		       "d = json.load(u.urlopen('http://127.0.0.1:%d/json/', timeout=2)); "
		       "exit(0 if d['status'] == 'ALIVE' and sum(w['state'] == 'ALIVE' for w in d['workers']) >= %d else 1)\"",
		       c->port, want);
}

static int spark_client_env(const void *cfg, const struct lab_probe_where *where, struct lab_strv *env)
{
	const struct spark_cfg *c = cfg;
	char *url = NULL;
	if (lab_probe_where_url(&url, where, "http", c->port, "/") < 0)
		return LAB_ENOTFOUND;
	lab_probe_env_put(env, "SPARK_UI_URL", url);
	free(url);
	if (lab_probe_where_url(&url, where, "spark", c->master_port, NULL) == 0)
		lab_probe_env_put(env, "SPARK_MASTER_URL", url);
	free(url);
	return 0;
}

const char *lab_probe_spark_workers(const struct lab_probe *p)
{
	const struct spark_cfg *c = p->cfg;
	if (c->workers >= 0 && !c->service)
		return NULL;
	return c->service ? c->service : DEFAULT_WORKER_SERVICE;
}

const struct lab_probe_kind lab_probe_spark = {
	.name = "spark",
	.keys = spark_keys,
	.parse = spark_parse,
	.free = spark_free,
	.port = spark_port,
	.run = spark_run,
	.compose_test = spark_compose_test,
	.compose_rank = 1,
	.client_env = spark_client_env,
	.ui_env = "SPARK_UI_URL",
};
