/* x-ready http: PORT, or {port, path, status} -- an HTTP GET of
 * http://<address>:<port><path> (path default "/") answers with status
 * (default 200). */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "../lab/lab_private.h"
#include "../lazy/lazy.h"
#include "probe.h"

static const char *const http_keys[] = {"port", "path", "status", NULL};

struct http_cfg {
	int port;
	char *path;     /* default "/" */
	int status;     /* default 200 */
};

static void http_parse(void **cfg, struct lab_ld *L, const struct lab_node *n)
{
	struct http_cfg *c = NULL;
	int port = 0;
	if (n->kind != LAB_NODE_MAP) {
		if (lab_ld_port(L, n, "http", &port) < 0)
			return;
		c = lab_xcalloc(1, sizeof(*c));
		c->port = port;
		c->path = lab_xstrdup("/");
		c->status = 200;
		*cfg = c;
		return;
	}
	if (lab_ld_check_keys(L, n, http_keys, 0))
		return;
	const struct lab_node *p = lab_node_get(n, "port"), *pa = lab_node_get(n, "path"),
			      *st = lab_node_get(n, "status");
	if (!p) {
		lab_ld_diag(L, &n->mark, "missing 'port' for 'http'");
		return;
	}
	if (lab_ld_port(L, p, "port", &port) < 0)
		return;
	c = lab_xcalloc(1, sizeof(*c));
	c->port = port;
	c->status = 200;
	*cfg = c;
	const char *path = "/";
	long status = 200;
	if ((pa && !(path = lab_ld_str(L, pa, "path"))) || (st && lab_ld_int(L, st, "status", &status) < 0))
		return;
	if (status < 100 || status > 599)
		lab_ld_diag(L, &st->mark, "invalid status '%s' for 'status'", st->text);
	c->status = (int)status;
	c->path = lab_xstrdup(path);
}

static void http_free(void *cfg)
{
	struct http_cfg *c = cfg;
	if (!c)
		return;
	free(c->path);
	free(c);
}

static int http_port(const void *cfg)
{
	return ((const struct http_cfg *)cfg)->port;
}

static size_t discard(char *p, size_t s, size_t n, void *ud)
{
	return s * n;
}

/* GET url; passes when the status equals expect_status. */
static int http_get(const char *url, int expect_status, int timeout_ms, struct lab_err *err)
{
	int rc = lab_lazy_load(LAB_LAZY_CURL, err);
	if (rc < 0)
		return rc;
	CURL *c = curl_easy_init();
	if (!c)
		return lab_err_set(err, LAB_ERR, "curl_easy_init failed");
	long status = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	CURLcode cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		rc = lab_err_set(err, LAB_ERR, "GET %s: %s", url, curl_easy_strerror(cc));
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status != expect_status)
			rc = lab_err_set(err, LAB_ERR, "GET %s: status %ld, want %d", url, status, expect_status);
	}
	curl_easy_cleanup(c);
	return rc;
}

static int http_run(const void *cfg, const struct lab_probe_target *t, struct lab_err *why)
{
	const struct http_cfg *c = cfg;
	char *host = NULL, *hp = NULL, *url = NULL;
	int port = 0;
	int rc = lab_probe_address(&host, &port, t, c->port, why);
	if (rc < 0)
		goto out;
	hp = lab_probe_hostport(host, port);
	url = lab_xasprintf("http://%s%s", hp, c->path ? c->path : "/");
	rc = http_get(url, c->status ? c->status : 200, 2000, why);
out:
	free(url);
	free(hp);
	free(host);
	return rc;
}

static void http_compose_test(const void *cfg, struct lab_buf *out)
{
	const struct http_cfg *c = cfg;
	lab_buf_printf(out, "test \"$(curl -s -o /dev/null -w '%%{http_code}' http://127.0.0.1:%d%s)\" = %d", c->port,
		       c->path ? c->path : "/", c->status ? c->status : 200);
}

const struct lab_probe_kind lab_probe_http = {
	.name = "http",
	.keys = http_keys,
	.parse = http_parse,
	.free = http_free,
	.port = http_port,
	.run = http_run,
	.compose_test = http_compose_test,
	.compose_rank = 2,
	.client_env = NULL,
};
