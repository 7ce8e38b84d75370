/* http checks: GET a URL (url:, or service + port + path: through the
 * service's published port) and compare the status, and that the body
 * contains a string. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "../check.h"

struct http_conf {
	char *url;               /* or NULL: service + port + path */
	int port;                /* container port of the service */
	char *path;              /* default "/" */
	int status;              /* expected HTTP status, default 200 */
	char *contains;          /* the body contains it, or NULL */
};

static const char *const http_keys[] = {"url", "service", "port", "path", "status", "contains", NULL};

static void parse_http(struct lab_check *c, struct lab_ld *L, const struct lab_node *m)
{
	struct http_conf *w = lab_xcalloc(1, sizeof(*w));
	long v = 0;
	c->conf = w;
	w->url = lab_ld_opt_str(L, m, "url");
	c->service = lab_ld_check_service(L, c, m, NULL, 0);
	w->path = lab_ld_opt_str(L, m, "path");
	w->contains = lab_ld_opt_str(L, m, "contains");
	lab_ld_opt_long(L, m, "port", &v, 1);
	w->port = (int)v;
	v = 200;
	lab_ld_opt_long(L, m, "status", &v, 100);
	w->status = (int)v;
	if (!w->url == !c->service || (c->service && !w->port))
		lab_ld_diag(L, &m->mark, "http check '%s' needs 'url', or 'service' and 'port' (and 'path')", c->id);
}

static void free_http(void *conf)
{
	struct http_conf *w = conf;
	if (!w)
		return;
	free(w->url);
	free(w->path);
	free(w->contains);
	free(w);
}

static size_t http_write(char *p, size_t size, size_t n, void *ud)
{
	return lab_buf_append(ud, p, size * n) < 0 ? 0 : size * n;
}

static void run_http(struct lab_check_ctx *x)
{
	const struct lab_check *c = x->check;
	const struct http_conf *w = c->conf;
	char *url = NULL, *ep = NULL;
	struct lab_buf body = LAB_BUF_INIT;
	CURL *h = NULL;
	if (lab_check_need_lib(x, LAB_LAZY_CURL) < 0)
		return;
	if (w->url) {
		url = lab_xstrdup(w->url);
	} else {
		if (!(ep = x->endpoint(x, c->service, w->port)))
			goto out;
		const char *p = w->path ? w->path : "/";
		url = lab_xasprintf("http://%s%s%s", ep, *p == '/' ? "" : "/", p);
	}
	lab_buf_init(&body, LAB_CHECK_BODY_MAX);
	h = curl_easy_init();
	if (!h) {
		lab_check_outcome(x, LAB_VERIFY_ERROR, "curl_easy_init failed");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, lab_check_left_ms(x));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	x->expected = lab_xasprintf("status %d%s%s%s", w->status, w->contains ? ", body contains '" : "",
				    w->contains ? w->contains : "", w->contains ? "'" : "");
	CURLcode cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		lab_check_outcome(x, cc == CURLE_OPERATION_TIMEDOUT ? LAB_VERIFY_TIMEOUT : LAB_VERIFY_ERROR, "GET %s: %s", url,
			curl_easy_strerror(cc));
		goto out;
	}
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	x->observed = lab_xasprintf("status %ld, %zu bytes", status, body.len);
	if (status != w->status)
		lab_check_outcome(x, LAB_VERIFY_FAILED, "GET %s: status %ld, want %d", url, status, w->status);
	else if (w->contains && !strstr(lab_buf_cstr(&body), w->contains))
		lab_check_outcome(x, LAB_VERIFY_FAILED, "GET %s: the body does not contain '%s'", url, w->contains);
out:
	if (h)
		curl_easy_cleanup(h);
	lab_buf_release(&body);
	free(url);
	free(ep);
}

const struct lab_check_kind lab_check_http = {"http", http_keys, parse_http, free_http, run_http};
