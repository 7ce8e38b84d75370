/* http checks: GET a URL (url:, or service + port + path: through the
 * service's published port) and compare the status, that the body
 * contains a string, and with pointer: the JSON body's value at that JSON
 * Pointer (RFC 6901; a string as it is, any other value as JSON text)
 * against equals / min / max / equals_hash, e.g. a Kafka Connect status:
 *
 *   http: {service: connect, port: 8083, path: /connectors/sink/status,
 *          pointer: /tasks/0/state, equals: RUNNING}
 *
 * A pointer that finds nothing fails the check ("no value at ..."). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "../../util/json_pointer.h"
#include "../check.h"

struct http_conf {
	char *url;               /* or NULL: service + port + path */
	int port;                /* container port of the service */
	char *path;              /* default "/" */
	int status;              /* expected HTTP status, default 200 */
	char *contains;          /* the body contains it, or NULL */
	char *pointer;           /* JSON Pointer into the body, compared with the check's expect; or NULL */
};

static const char *const http_keys[] = {"url", "service", "port", "path", "status", "contains",
					"pointer", "equals", "min", "max", "equals_hash", NULL};

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
	w->pointer = lab_ld_opt_str(L, m, "pointer");
	struct lab_err why = {0};
	if (w->pointer && lab_json_pointer_check(w->pointer, &why) < 0)
		lab_ld_diag(L, &lab_node_get(m, "pointer")->mark, "invalid JSON pointer '%s' for 'pointer': %s", w->pointer,
			    why.msg);
	lab_ld_check_expect(L, m, &c->expect, "equals", "min", "max");
	if (lab_check_has_expect(&c->expect) && !w->pointer)
		lab_ld_diag(L, &m->mark, "http check '%s' compares a value (equals, min, max) but has no 'pointer'", c->id);
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
	free(w->pointer);
	free(w);
}

static size_t http_write(char *p, size_t size, size_t n, void *ud)
{
	return lab_buf_append(ud, p, size * n) < 0 ? 0 : size * n;
}

/* The body's value at w->pointer against the check's expect. */
static void pointer_compare(struct lab_check_ctx *x, const struct http_conf *w, const char *url,
			    const struct lab_buf *body)
{
	cJSON *doc = cJSON_ParseWithLength(body->data ? body->data : "", body->len);
	const cJSON *v = lab_json_pointer_get(doc, w->pointer);
	if (!doc) {
		lab_check_outcome(x, LAB_VERIFY_FAILED, "GET %s: the body is not JSON", url);
	} else if (!v) {
		lab_check_outcome(x, LAB_VERIFY_FAILED, "GET %s: no value at '%s' in the body", url, w->pointer);
	} else {
		char *text = cJSON_IsString(v) ? lab_xstrdup(v->valuestring) : cJSON_PrintUnformatted(v);
		lab_check_set_str(&x->observed, lab_xstrdup(text));
		if (lab_check_has_expect(&x->check->expect))
			lab_check_expect(x, text, w->pointer);
		free(text);
	}
	cJSON_Delete(doc);
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
	else if (w->pointer)
		pointer_compare(x, w, url, &body);
out:
	if (h)
		curl_easy_cleanup(h);
	lab_buf_release(&body);
	free(url);
	free(ep);
}

const struct lab_check_kind lab_check_http = {"http", http_keys, parse_http, free_http, run_http};
