/* x-ready s3: {port, access_key, secret_key, region (default us-east-1)}
 * -- an AWS SigV4-signed ListBuckets (GET /) answers 200, so the store is
 * up and accepts these keys. */
#include <stdlib.h>
#include <string.h>

#include "../lab/lab_private.h"
#include "../s3/s3.h"
#include "probe.h"

static const char *const s3_keys[] = {"port", "access_key", "secret_key", "region", NULL};

struct s3_cfg {
	int port;
	char *access_key, *secret_key, *region;
};

static void s3_free(void *cfg)
{
	struct s3_cfg *c = cfg;
	if (!c)
		return;
	free(c->access_key);
	free(c->secret_key);
	free(c->region);
	free(c);
}

static void s3_parse(void **cfg, struct lab_ld *L, const struct lab_node *n)
{
	if (lab_ld_want(L, n, LAB_NODE_MAP, "s3") < 0 || lab_ld_check_keys(L, n, s3_keys, 0))
		return;
	struct s3_cfg *c = lab_xcalloc(1, sizeof(*c));
	const struct lab_node *p = lab_node_get(n, "port");
	if (!p)
		lab_ld_diag(L, &n->mark, "missing 'port' for 's3'");
	else
		lab_ld_port(L, p, "port", &c->port);
	const char *names[] = {"access_key", "secret_key", "region"};
	char **dst[] = {&c->access_key, &c->secret_key, &c->region};
	for (size_t i = 0; i < 3; i++) {
		const struct lab_node *v = lab_node_get(n, names[i]);
		const char *vs = v ? lab_ld_str(L, v, names[i]) : NULL;
		if (vs)
			*dst[i] = lab_xstrdup(vs);
		else if (i < 2)
			lab_ld_diag(L, &n->mark, "missing '%s' for 's3'", names[i]);
	}
	if (!c->region)
		c->region = lab_xstrdup("us-east-1");
	if (!c->port) {
		s3_free(c);
		return;
	}
	*cfg = c;
}

static int s3_port(const void *cfg)
{
	return ((const struct s3_cfg *)cfg)->port;
}

static int s3_run(const void *cfg, const struct lab_probe_target *t, struct lab_err *why)
{
	const struct s3_cfg *c = cfg;
	char *endpoint = NULL;
	struct lab_buf resp = LAB_BUF_INIT;
	long status = 0;
	int rc = lab_probe_url(&endpoint, t, "http", c->port, NULL, why);
	if (rc < 0)
		goto out;
	struct lab_s3 s3 = {endpoint, c->access_key, c->secret_key, c->region, 2000};
	rc = lab_s3_request(&s3, "GET", "/", NULL, 0, &status, &resp, why);
	if (rc == 0 && status != 200) {
		char *code = lab_s3_xml_field(lab_buf_cstr(&resp), "Code");
		rc = lab_err_set(why, LAB_ERR, "GET %s/: status %ld%s%s", endpoint, status, code ? " " : "",
				 code ? code : "");
		free(code);
	}
out:
	lab_buf_release(&resp);
	free(endpoint);
	return rc;
}

/* AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION, the
 * names the AWS CLI and SDKs read. */
static int s3_client_env(const void *cfg, const struct lab_probe_where *w, struct lab_strv *env)
{
	const struct s3_cfg *c = cfg;
	char *url = NULL;
	if (lab_strv_find_key(env, "AWS_ENDPOINT_URL") >= 0)
		return 0;
	if (lab_probe_where_url(&url, w, "http", c->port, NULL) < 0)
		return LAB_ENOTFOUND;
	lab_strv_pushf(env, "AWS_ENDPOINT_URL=%s", url);
	lab_strv_pushf(env, "AWS_ACCESS_KEY_ID=%s", c->access_key ? c->access_key : "");
	lab_strv_pushf(env, "AWS_SECRET_ACCESS_KEY=%s", c->secret_key ? c->secret_key : "");
	lab_strv_pushf(env, "AWS_REGION=%s", c->region ? c->region : "us-east-1");
	free(url);
	return 0;
}

const struct lab_probe_kind lab_probe_s3 = {
	.name = "s3",
	.keys = s3_keys,
	.parse = s3_parse,
	.free = s3_free,
	.port = s3_port,
	.run = s3_run,
	.compose_test = NULL, /* SigV4 needs more than curl's shell: the image's HEALTHCHECK */
	.client_env = s3_client_env,
};
