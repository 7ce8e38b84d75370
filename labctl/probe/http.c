/* x-ready http: PORT, or {port, path, status, json} -- an HTTP GET of
 * http://<address>:<port><path> (path default "/") answers with status
 * (default 200), and with json: {pointer, equals}, a JSON body whose value
 * at pointer (RFC 6901) equals `equals`:
 *
 *   http: {port: 8080, path: /health, json: {pointer: /status, equals: UP}}
 *
 * equals is typed as YAML reads a plain scalar (the core schema): true /
 * false a boolean, null (or ~, or nothing) null, a decimal integer or
 * fraction a number (compared by value: 3 equals 3.0), anything else and
 * every quoted scalar a string (compared exactly). A JSON value of another
 * type is not equal. Without equals, the pointer only has to find a
 * value. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "../lab/lab_private.h"
#include "../lazy/lazy.h"
#include "../util/json_pointer.h"
#include "probe.h"

#define BODY_MAX (1u << 20)

static const char *const http_keys[] = {"port", "path", "status", "json", NULL};
static const char *const json_keys[] = {"pointer", "equals", NULL};

enum want_type { WANT_ANY, WANT_STRING, WANT_NUMBER, WANT_BOOL, WANT_NULL };

struct http_cfg {
	int port;
	char *path;     /* default "/" */
	int status;     /* default 200 */
	char *pointer;  /* json.pointer; NULL: the body is not read */
	enum want_type want;  /* json.equals's type; WANT_ANY when not given */
	char *equals;   /* json.equals as written */
	double number;  /* WANT_NUMBER */
	int boolean;    /* WANT_BOOL */
};

/* A decimal number as YAML 1.2's core schema reads one:
 * [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int yaml_number(const char *s, double *out)
{
	const char *p = s;
	size_t digits = 0;
	if (*p == '-' || *p == '+')
		p++;
	for (; isdigit((unsigned char)*p); p++)
		digits++;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			digits++;
	if (!digits)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p)
		return 0;
	*out = strtod(s, NULL);
	return 1;
}

/* json: {pointer, equals} into c. */
static void json_parse(struct http_cfg *c, struct lab_ld *L, const struct lab_node *n)
{
	if (lab_ld_want(L, n, LAB_NODE_MAP, "json") < 0 || lab_ld_check_keys(L, n, json_keys, 0))
		return;
	const struct lab_node *p = lab_node_get(n, "pointer"), *eq = lab_node_get(n, "equals");
	const char *ptr = NULL;
	struct lab_err why = {0};
	if (!p)
		lab_ld_diag(L, &n->mark, "missing 'pointer' for 'json'");
	else if ((ptr = lab_ld_str(L, p, "pointer")) && lab_json_pointer_check(ptr, &why) < 0)
		lab_ld_diag(L, &p->mark, "invalid JSON pointer '%s' for 'pointer': %s", ptr, why.msg);
	else if (ptr)
		c->pointer = lab_xstrdup(ptr);
	if (!eq)
		return;
	if (eq->kind != LAB_NODE_SCALAR) {
		lab_ld_diag(L, &eq->mark, "expected a string, number or boolean for 'equals'");
		return;
	}
	const char *t = eq->text;
	c->equals = lab_xstrdup(t);
	if (eq->quoted)
		c->want = WANT_STRING;
	else if (lab_node_is_null(eq))
		c->want = WANT_NULL;
	else if (!strcmp(t, "true") || !strcmp(t, "True") || !strcmp(t, "TRUE"))
		c->want = WANT_BOOL, c->boolean = 1;
	else if (!strcmp(t, "false") || !strcmp(t, "False") || !strcmp(t, "FALSE"))
		c->want = WANT_BOOL, c->boolean = 0;
	else if (yaml_number(t, &c->number))
		c->want = WANT_NUMBER;
	else
		c->want = WANT_STRING;
}

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
	const struct lab_node *js = lab_node_get(n, "json");
	if (js)
		json_parse(c, L, js);
}

static void http_free(void *cfg)
{
	struct http_cfg *c = cfg;
	if (!c)
		return;
	free(c->path);
	free(c->pointer);
	free(c->equals);
	free(c);
}

static int http_port(const void *cfg)
{
	return ((const struct http_cfg *)cfg)->port;
}

struct body {
	struct lab_buf buf;   /* capped at BODY_MAX */
	int keep;             /* the body is wanted (json:) */
	int over;             /* it was larger than BODY_MAX */
};

static size_t on_body(char *p, size_t s, size_t n, void *ud)
{
	struct body *b = ud;
	if (b->keep && !b->over && lab_buf_append(&b->buf, p, s * n) < 0)
		b->over = 1;
	return s * n;
}

/* JSON text of v for a message, cut at 80 bytes. New string. */
static char *json_text(const cJSON *v)
{
	char *t = cJSON_PrintUnformatted(v);
	char *out = lab_xasprintf("%.80s%s", t ? t : "?", t && strlen(t) > 80 ? "..." : "");
	free(t);
	return out;
}

/* Does v equal c's json.equals? */
static int json_equals(const struct http_cfg *c, const cJSON *v)
{
	switch (c->want) {
	case WANT_ANY:
		return 1;
	case WANT_STRING:
		return cJSON_IsString(v) && strcmp(v->valuestring, c->equals) == 0;
	case WANT_NUMBER:
		return cJSON_IsNumber(v) && v->valuedouble == c->number;
	case WANT_BOOL:
		return cJSON_IsBool(v) && !!cJSON_IsTrue(v) == c->boolean;
	case WANT_NULL:
		return cJSON_IsNull(v);
	}
	return 0;
}

/* The JSON body's value at c->pointer equals c's json.equals. */
static int json_check(const struct http_cfg *c, const char *url, const struct body *b, struct lab_err *err)
{
	if (b->over)
		return lab_err_set(err, LAB_ERR, "GET %s: body larger than %u bytes", url, BODY_MAX);
	cJSON *doc = cJSON_ParseWithLength(b->buf.data ? b->buf.data : "", b->buf.len);
	const cJSON *v = lab_json_pointer_get(doc, c->pointer);
	int rc = 0;
	if (!doc) {
		rc = lab_err_set(err, LAB_ERR, "GET %s: the body is not JSON", url);
	} else if (!v) {
		rc = lab_err_set(err, LAB_ERR, "GET %s: no value at '%s' in the body", url, c->pointer);
	} else if (!json_equals(c, v)) {
		cJSON *w = c->want == WANT_STRING ? cJSON_CreateString(c->equals) : NULL;
		char *got = json_text(v), *want = w ? json_text(w) : lab_xstrdup(c->want == WANT_NULL ? "null" : c->equals);
		rc = lab_err_set(err, LAB_ERR, "GET %s: '%s' is %s, want %s", url, c->pointer, got, want);
		free(got);
		free(want);
		cJSON_Delete(w);
	}
	cJSON_Delete(doc);
	return rc;
}

/* GET url; passes when the status is c's, and the body matches c's json:
 * when it has one. */
static int http_get(const struct http_cfg *c, const char *url, int timeout_ms, struct lab_err *err)
{
	int rc = lab_lazy_load(LAB_LAZY_CURL, err);
	if (rc < 0)
		return rc;
	CURL *h = curl_easy_init();
	if (!h)
		return lab_err_set(err, LAB_ERR, "curl_easy_init failed");
	struct body b = {.keep = c->pointer != NULL};
	lab_buf_init(&b.buf, BODY_MAX);
	long status = 0;
	int want = c->status ? c->status : 200;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	CURLcode cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		rc = lab_err_set(err, LAB_ERR, "GET %s: %s", url, curl_easy_strerror(cc));
	} else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (status != want)
			rc = lab_err_set(err, LAB_ERR, "GET %s: status %ld, want %d", url, status, want);
		else if (c->pointer)
			rc = json_check(c, url, &b, err);
	}
	lab_buf_release(&b.buf);
	curl_easy_cleanup(h);
	return rc;
}

static int http_run(const void *cfg, const struct lab_probe_target *t, struct lab_err *why)
{
	const struct http_cfg *c = cfg;
	char *url = NULL;
	int rc = lab_probe_url(&url, t, "http", c->port, c->path ? c->path : "/", why);
	if (rc == 0)
		rc = http_get(c, url, 2000, why);
	free(url);
	return rc;
}

/* s with POSIX ERE's special characters escaped and ' written for a
 * single-quoted shell word, appended to out. */
static void ere_quoted(struct lab_buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\'')
			lab_buf_puts(out, "'\\''");
		else if (strchr("\\.[]()*+?{}|^$", *s))
			lab_buf_printf(out, "\\%c", *s);
		else
			lab_buf_append(out, s, 1);
	}
}

/* curl's status; with json:, also a grep of the body for the pointer's
 * last member name and the value: an approximation (Compose has no JSON
 * parser) that holds for the usual {"status": "UP"}. A pointer whose last
 * token is an array index, or "", checks the status only. */
static void http_compose_test(const void *cfg, struct lab_buf *out)
{
	const struct http_cfg *c = cfg;
	const char *path = c->path ? c->path : "/";
	lab_buf_printf(out, "test \"$(curl -s -o /dev/null -w '%%{http_code}' http://127.0.0.1:%d%s)\" = %d", c->port,
		       path, c->status ? c->status : 200);
	const char *last = c->pointer ? strrchr(c->pointer, '/') : NULL;
	if (!last || !last[1] || strspn(last + 1, "0123456789") == strlen(last + 1) || !strcmp(last + 1, "-"))
		return;
	struct lab_buf name = LAB_BUF_INIT;
	for (const char *p = last + 1; *p; p++) {
		if (*p == '~' && (p[1] == '0' || p[1] == '1'))
			lab_buf_puts(&name, *++p == '0' ? "~" : "/");
		else
			lab_buf_append(&name, p, 1);
	}
	lab_buf_printf(out, " && curl -s http://127.0.0.1:%d%s | grep -Eq '\"", c->port, path);
	ere_quoted(out, lab_buf_cstr(&name));
	lab_buf_puts(out, "\"[[:space:]]*:");
	if (c->want != WANT_ANY) {
		lab_buf_puts(out, "[[:space:]]*");
		if (c->want == WANT_STRING)
			lab_buf_puts(out, "\"");
		ere_quoted(out, c->want == WANT_NULL ? "null" : c->want == WANT_BOOL ? (c->boolean ? "true" : "false") : c->equals);
		lab_buf_puts(out, c->want == WANT_STRING ? "\"[[:space:]]*[,}]" : "[[:space:]]*[,}]");
	}
	lab_buf_puts(out, "'");
	lab_buf_release(&name);
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
