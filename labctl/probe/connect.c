/* x-ready connect: PORT, or {port, plugins: [CLASS, ...]} -- a Kafka
 * Connect worker's REST API answers GET /connectors with 200 (the worker
 * has joined its group and read its config topic: Connect answers 503
 * before), and GET /connector-plugins lists every class in plugins (the
 * connector classes the lab's connectors need). Clients get
 * KAFKA_CONNECT_URL=http://<address>:<port>.
 *
 * API: Kafka Connect REST interface (kafka.apache.org/documentation/#connect_rest). */
#include <stdlib.h>
#include <string.h>

#include "../lab/lab_private.h"
#include "../rest/rest.h"
#include "../util/buf.h"
#include "probe.h"

static const char *const connect_keys[] = {"port", "plugins", NULL};

struct connect_cfg {
	int port;
	struct lab_strv plugins;  /* connector classes that must be listed */
};

static void connect_parse(void **cfg, struct lab_ld *L, const struct lab_node *n)
{
	int port = 0;
	const struct lab_node *pl = NULL;
	if (n->kind == LAB_NODE_MAP) {
		if (lab_ld_check_keys(L, n, connect_keys, 0))
			return;
		const struct lab_node *p = lab_node_get(n, "port");
		if (!p) {
			lab_ld_diag(L, &n->mark, "missing 'port' for 'connect'");
			return;
		}
		pl = lab_node_get(n, "plugins");
		n = p;
	}
	if (lab_ld_port(L, n, "connect", &port) < 0)
		return;
	struct connect_cfg *c = lab_xcalloc(1, sizeof(*c));
	c->port = port;
	*cfg = c;
	if (pl)
		lab_ld_strlist(L, pl, "plugins", 0, &c->plugins);
}

static void connect_free(void *cfg)
{
	struct connect_cfg *c = cfg;
	if (!c)
		return;
	lab_strv_free(&c->plugins);
	free(c);
}

static int connect_port(const void *cfg)
{
	return ((const struct connect_cfg *)cfg)->port;
}

/* GET base+path with status 200 into *r (released by the caller). */
static int get200(const char *base, const char *path, struct lab_rest_resp *r, struct lab_err *why)
{
	char *url = lab_xasprintf("%s%s", base, path);
	int rc = lab_rest("GET", url, NULL, 2000, r, why);
	if (rc == 0 && r->status != 200)
		rc = lab_err_set(why, LAB_ERR, "GET %s: status %ld: %.200s", url, r->status, lab_rest_message(r));
	free(url);
	return rc;
}

/* Every class of c->plugins is in list ([{"class": ...}, ...]). */
static int plugins_listed(const struct connect_cfg *c, const cJSON *list, const char *base, struct lab_err *why)
{
	for (size_t i = 0; i < c->plugins.n; i++) {
		const cJSON *p;
		int found = 0;
		cJSON_ArrayForEach(p, list)
		{
			const char *cls = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "class"));
			if (cls && strcmp(cls, c->plugins.v[i]) == 0)
				found = 1;
		}
		if (!found) {
			struct lab_buf has = LAB_BUF_INIT;
			cJSON_ArrayForEach(p, list)
			{
				const char *cls = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "class"));
				lab_buf_printf(&has, "%s%s", has.len ? ", " : "", cls ? cls : "?");
			}
			lab_err_set(why, LAB_ERR, "GET %s/connector-plugins: no plugin '%s' (it has: %.600s)", base,
				    c->plugins.v[i], has.len ? lab_buf_cstr(&has) : "none");
			lab_buf_release(&has);
			return LAB_ERR;
		}
	}
	return 0;
}

static int connect_run(const void *cfg, const struct lab_probe_target *t, struct lab_err *why)
{
	const struct connect_cfg *c = cfg;
	char *base = NULL;
	int rc = lab_probe_url(&base, t, "http", c->port, NULL, why);
	if (rc < 0)
		return rc;
	struct lab_rest_resp r = {0};
	rc = get200(base, "/connectors", &r, why);
	lab_rest_resp_release(&r);
	if (rc == 0 && c->plugins.n) {
		rc = get200(base, "/connector-plugins", &r, why);
		if (rc == 0)
			rc = plugins_listed(c, r.json, base, why);
		lab_rest_resp_release(&r);
	}
	free(base);
	return rc;
}

/* the worker's REST API, and a grep for each plugin class */
static void connect_compose_test(const void *cfg, struct lab_buf *out)
{
	const struct connect_cfg *c = cfg;
	lab_buf_printf(out, "curl -fsS -o /dev/null http://127.0.0.1:%d/connectors", c->port);
	if (c->plugins.n) {
		lab_buf_printf(out, " && p=$(curl -fsS http://127.0.0.1:%d/connector-plugins)", c->port);
		for (size_t i = 0; i < c->plugins.n; i++) {
			lab_buf_puts(out, " && echo \"$p\" | grep -qF '\"");
			for (const char *s = c->plugins.v[i]; *s; s++)
				lab_buf_puts(out, *s == '\'' ? "'\\''" : (char[]){*s, 0});
			lab_buf_puts(out, "\"'");
		}
	}
}

static int connect_client_env(const void *cfg, const struct lab_probe_where *w, struct lab_strv *env)
{
	return lab_probe_env_put_url(env, "KAFKA_CONNECT_URL", w, ((const struct connect_cfg *)cfg)->port);
}

const struct lab_probe_kind lab_probe_connect = {
	.name = "connect",
	.keys = connect_keys,
	.parse = connect_parse,
	.free = connect_free,
	.port = connect_port,
	.run = connect_run,
	.compose_test = connect_compose_test,
	.compose_rank = 1,
	.client_env = connect_client_env,
};
