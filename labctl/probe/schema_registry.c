/* x-ready schema_registry: PORT, or {port} -- a schema registry that speaks
 * the Confluent Schema Registry REST API answers GET /subjects with 200 and
 * a JSON array (the subjects; [] when none). Clients get
 * SCHEMA_REGISTRY_URL=http://<address>:<port>, the variable
 * confluent-kafka's examples read.
 *
 * API: https://docs.confluent.io/platform/current/schema-registry/develop/api.html */
#include <stdlib.h>

#include "../lab/lab_private.h"
#include "../rest/rest.h"
#include "probe.h"

static const char *const sr_keys[] = {"port", NULL};

struct sr_cfg {
	int port;
};

static void sr_parse(void **cfg, struct lab_ld *L, const struct lab_node *n)
{
	int port = 0;
	if (n->kind == LAB_NODE_MAP) {
		if (lab_ld_check_keys(L, n, sr_keys, 0))
			return;
		const struct lab_node *p = lab_node_get(n, "port");
		if (!p) {
			lab_ld_diag(L, &n->mark, "missing 'port' for 'schema_registry'");
			return;
		}
		n = p;
	}
	if (lab_ld_port(L, n, "schema_registry", &port) < 0)
		return;
	struct sr_cfg *c = lab_xcalloc(1, sizeof(*c));
	c->port = port;
	*cfg = c;
}

static void sr_free(void *cfg)
{
	free(cfg);
}

static int sr_port(const void *cfg)
{
	return ((const struct sr_cfg *)cfg)->port;
}

static int sr_run(const void *cfg, const struct lab_probe_target *t, struct lab_err *why)
{
	const struct sr_cfg *c = cfg;
	char *url = NULL;
	int rc = lab_probe_url(&url, t, "http", c->port, "/subjects", why);
	if (rc < 0)
		return rc;
	struct lab_rest_resp r;
	rc = lab_rest("GET", url, NULL, 2000, &r, why);
	if (rc == 0 && r.status != 200)
		rc = lab_err_set(why, LAB_ERR, "GET %s: status %ld: %.200s", url, r.status, lab_rest_message(&r));
	else if (rc == 0 && !cJSON_IsArray(r.json))
		rc = lab_err_set(why, LAB_ERR, "GET %s: not a JSON array of subjects: %.80s", url, r.body);
	lab_rest_resp_release(&r);
	free(url);
	return rc;
}

static void sr_compose_test(const void *cfg, struct lab_buf *out)
{
	lab_buf_printf(out, "curl -fsS -o /dev/null http://127.0.0.1:%d/subjects", ((const struct sr_cfg *)cfg)->port);
}

static int sr_client_env(const void *cfg, const struct lab_probe_where *w, struct lab_strv *env)
{
	return lab_probe_env_put_url(env, "SCHEMA_REGISTRY_URL", w, ((const struct sr_cfg *)cfg)->port);
}

const struct lab_probe_kind lab_probe_schema_registry = {
	.name = "schema_registry",
	.keys = sr_keys,
	.parse = sr_parse,
	.free = sr_free,
	.port = sr_port,
	.run = sr_run,
	.compose_test = sr_compose_test,
	.compose_rank = 1,
	.client_env = sr_client_env,
};
