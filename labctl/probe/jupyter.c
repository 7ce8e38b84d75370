/* x-ready jupyter: {port, token, base_url} -- a Jupyter Server is ready
 * when GET http://<address>:<port><base_url>api/status with the header
 * "Authorization: token <token>" answers 200: the server is up and takes
 * this token (Jupyter Server REST API, /api/status needs an authenticated
 * user; a wrong token is 403, so the probe also proves the token):
 *
 *   jupyter: {port: 8888, token: "${JUPYTER_TOKEN}"}
 *
 * base_url defaults to "/" (Jupyter's ServerApp.base_url). Clients get
 * JUPYTER_TOKEN and JUPYTER_URL (http://<address>:<port><base_url>lab?token=<token>),
 * the URL up shows. */
#include <stdlib.h>
#include <string.h>

#include "../lab/lab_private.h"
#include "probe.h"

static const char *const jupyter_keys[] = {"port", "token", "base_url", NULL};

struct jupyter_cfg {
	int port;
	char *token;
	char *base_url;  /* begins and ends with '/' */
};

static void jupyter_free(void *cfg)
{
	struct jupyter_cfg *c = cfg;
	if (!c)
		return;
	free(c->token);
	free(c->base_url);
	free(c);
}

static void jupyter_parse(void **cfg, struct lab_ld *L, const struct lab_node *n)
{
	if (lab_ld_want(L, n, LAB_NODE_MAP, "jupyter") < 0 || lab_ld_check_keys(L, n, jupyter_keys, 0))
		return;
	const struct lab_node *p = lab_node_get(n, "port"), *t = lab_node_get(n, "token"), *b = lab_node_get(n, "base_url");
	int port = 0;
	if (!p) {
		lab_ld_diag(L, &n->mark, "missing 'port' for 'jupyter'");
		return;
	}
	if (lab_ld_port(L, p, "port", &port) < 0)
		return;
	struct jupyter_cfg *c = lab_xcalloc(1, sizeof(*c));
	c->port = port;
	*cfg = c;
	const char *ts = t ? lab_ld_str(L, t, "token") : NULL;
	if (!t)
		lab_ld_diag(L, &n->mark, "missing 'token' for 'jupyter'");
	else if (ts && (!*ts || strpbrk(ts, " \t\r\n")))
		lab_ld_diag(L, &t->mark, "invalid token for 'jupyter': empty or with white space");
	else if (ts)
		c->token = lab_xstrdup(ts);
	const char *bs = b ? lab_ld_str(L, b, "base_url") : "/";
	if (!bs)
		bs = "/";
	if (bs[0] != '/') {
		lab_ld_diag(L, &b->mark, "invalid base_url '%s' for 'jupyter': must begin with '/'", bs);
		bs = "/";
	}
	size_t len = strlen(bs);
	c->base_url = lab_xasprintf("%s%s", bs, bs[len - 1] == '/' ? "" : "/");
}

static int jupyter_port(const void *cfg)
{
	return ((const struct jupyter_cfg *)cfg)->port;
}

static int jupyter_run(const void *cfg, const struct lab_probe_target *t, struct lab_err *why)
{
	const struct jupyter_cfg *c = cfg;
	char *url = NULL, *auth = NULL, *path = lab_xasprintf("%sapi/status", c->base_url);
	int rc = lab_probe_url(&url, t, "http", c->port, path, why);
	if (rc < 0)
		goto out;
	auth = lab_xasprintf("Authorization: token %s", c->token ? c->token : "");
	long status = 0;
	if ((rc = lab_probe_http_get(url, auth, 2000, &status, NULL, why)) < 0)
		goto out;
	if (status == 401 || status == 403)
		rc = lab_err_set(why, LAB_ERR, "GET %s: status %ld: the server refuses the lab's token", url, status);
	else if (status != 200)
		rc = lab_err_set(why, LAB_ERR, "GET %s: status %ld, want 200", url, status);
out:
	free(auth);
	free(url);
	free(path);
	return rc;
}

/* The image's python3 (the jupyter image, on the spark image, has no
 * curl). The probe's token is written into the test as it is: export
 * compose keeps credentials as ${VAR} references, which Compose
 * interpolates. */
static void jupyter_compose_test(const void *cfg, struct lab_buf *out)
{
	const struct jupyter_cfg *c = cfg;
	lab_buf_printf(out,
		       "python3 -c \"import urllib.request as u; "
		       "u.urlopen(u.Request('http://127.0.0.1:%d%sapi/status', headers={'Authorization': 'token %s'}), timeout=2)\"",
		       c->port, c->base_url, c->token ? c->token : "");
}

static int jupyter_client_env(const void *cfg, const struct lab_probe_where *where, struct lab_strv *env)
{
	const struct jupyter_cfg *c = cfg;
	char *url = NULL, *path = lab_xasprintf("%slab?token=%s", c->base_url, c->token ? c->token : "");
	int rc = lab_probe_where_url(&url, where, "http", c->port, path);
	if (rc == 0) {
		lab_probe_env_put(env, "JUPYTER_URL", url);
		lab_probe_env_put(env, "JUPYTER_TOKEN", c->token ? c->token : "");
	}
	free(url);
	free(path);
	return rc;
}

const struct lab_probe_kind lab_probe_jupyter = {
	.name = "jupyter",
	.keys = jupyter_keys,
	.parse = jupyter_parse,
	.free = jupyter_free,
	.port = jupyter_port,
	.run = jupyter_run,
	.compose_test = jupyter_compose_test,
	.compose_rank = 1,
	.client_env = jupyter_client_env,
	.ui_env = "JUPYTER_URL",
};
