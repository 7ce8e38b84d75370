/* What every probe kind shares: the configured list of a service, running
 * it, the Compose healthcheck and the client environment it gives, and
 * where the host reaches a container's port. The kinds themselves are in
 * tcp.c, http.c, ... and listed in registry.c. */
#include "probe.h"

#include "../endpoints/endpoints.h"
#include "../lazy/lazy.h"

#include <curl/curl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct lab_probe_kind *lab_probe_kind_find(const char *name)
{
	for (size_t i = 0; lab_probe_kinds[i]; i++)
		if (strcmp(lab_probe_kinds[i]->name, name) == 0)
			return lab_probe_kinds[i];
	return NULL;
}

int lab_ready_has_probes(const struct lab_ready *rd)
{
	return rd->n_probes > 0;
}

const struct lab_probe *lab_ready_find(const struct lab_ready *rd, const char *name)
{
	for (size_t i = 0; i < rd->n_probes; i++)
		if (strcmp(rd->probes[i].kind->name, name) == 0)
			return &rd->probes[i];
	return NULL;
}

void lab_ready_add(struct lab_ready *rd, const struct lab_probe_kind *kind, void *cfg, const struct lab_mark *mark)
{
	rd->probes = lab_xrealloc(rd->probes, (rd->n_probes + 1) * sizeof(*rd->probes));
	rd->probes[rd->n_probes++] = (struct lab_probe){kind, cfg, *mark};
}

void lab_ready_clear(struct lab_ready *rd)
{
	if (!rd)
		return;
	for (size_t i = 0; i < rd->n_probes; i++)
		rd->probes[i].kind->free(rd->probes[i].cfg);
	free(rd->probes);
	rd->probes = NULL;
	rd->n_probes = 0;
}

int lab_probe_run_all(const struct lab_ready *rd, const struct lab_probe_target *t, struct lab_err *why)
{
	for (size_t i = 0; i < rd->n_probes; i++) {
		const struct lab_probe *p = &rd->probes[i];
		int rc = p->kind->run(p->cfg, t, why);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int lab_probe_address(char **host, int *hport, const struct lab_probe_target *t, int port, struct lab_err *err)
{
	if (lab_endpoint_host(host, hport, t->inspect, port) < 0)
		return lab_err_set(err, LAB_ERR, "no address for port %d", port);
	return 0;
}

int lab_probe_compose_test(struct lab_strv *test, const struct lab_ready *rd)
{
	const struct lab_probe *best = NULL;
	for (size_t i = 0; i < rd->n_probes; i++) {
		const struct lab_probe *p = &rd->probes[i];
		if (p->kind->compose_test && (!best || p->kind->compose_rank < best->kind->compose_rank))
			best = p;
	}
	if (!best)
		return 0;
	struct lab_buf cmd = LAB_BUF_INIT;
	best->kind->compose_test(best->cfg, &cmd);
	lab_strv_push(test, "CMD-SHELL");
	lab_strv_take(test, lab_buf_detach(&cmd));
	return 1;
}

int lab_probe_client_env(struct lab_strv *env, const struct lab_ready *rd, const struct lab_probe_where *where)
{
	int missing = 0;
	for (size_t i = 0; i < rd->n_probes; i++) {
		const struct lab_probe *p = &rd->probes[i];
		if (p->kind->client_env && p->kind->client_env(p->cfg, where, env) < 0)
			missing++;
	}
	return missing;
}

int lab_probe_ui_urls(struct lab_strv *urls, const struct lab_ready *rd, const struct lab_probe_where *where)
{
	int n = 0;
	for (size_t i = 0; i < rd->n_probes; i++) {
		const struct lab_probe *p = &rd->probes[i];
		if (!p->kind->ui_env || !p->kind->client_env)
			continue;
		struct lab_strv env = LAB_STRV_INIT;
		const char *url = NULL;
		if (p->kind->client_env(p->cfg, where, &env) == 0 && (url = lab_strv_value(&env, p->kind->ui_env))) {
			lab_strv_push(urls, url);
			n++;
		}
		lab_strv_free(&env);
	}
	return n;
}

int lab_probe_service_ui(char **url, const struct lab_service *s, const struct lab_probe_where *where)
{
	*url = NULL;
	if (s->ui_port)
		return lab_probe_where_url(url, where, "http", s->ui_port, s->ui_path ? s->ui_path : "/");
	struct lab_strv urls = LAB_STRV_INIT;
	if (lab_probe_ui_urls(&urls, &s->ready, where) > 0)
		*url = lab_xstrdup(urls.v[0]);
	lab_strv_free(&urls);
	return *url ? 0 : LAB_ENOTFOUND;
}

#define HTTP_BODY_MAX (1u << 20)

struct get_body {
	struct lab_buf *buf;
	int over;
};

static size_t on_get_body(char *p, size_t s, size_t n, void *ud)
{
	struct get_body *b = ud;
	if (b->buf && !b->over && (b->buf->len + s * n > HTTP_BODY_MAX || lab_buf_append(b->buf, p, s * n) < 0))
		b->over = 1;
	return s * n;
}

int lab_probe_http_get(const char *url, const char *header, int timeout_ms, long *status, struct lab_buf *body,
		       struct lab_err *err)
{
	int rc = lab_lazy_load(LAB_LAZY_CURL, err);
	if (rc < 0)
		return rc;
	CURL *h = curl_easy_init();
	if (!h)
		return lab_err_set(err, LAB_ERR, "curl_easy_init failed");
	struct curl_slist *hdrs = header ? curl_slist_append(NULL, header) : NULL;
	struct get_body b = {body, 0};
	*status = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_get_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	if (hdrs)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	CURLcode cc = curl_easy_perform(h);
	if (cc != CURLE_OK)
		rc = lab_err_set(err, LAB_ERR, "GET %s: %s", url, curl_easy_strerror(cc));
	else if (b.over)
		rc = lab_err_set(err, LAB_ERR, "GET %s: body larger than %u bytes", url, HTTP_BODY_MAX);
	else
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return rc;
}

char *lab_probe_hostport(const char *host, int port)
{
	return lab_xasprintf(strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
}

static char *url_of(const char *scheme, const char *host, int port, const char *path)
{
	char *hp = lab_probe_hostport(host, port);
	char *url = lab_xasprintf("%s://%s%s", scheme, hp, path ? path : "");
	free(hp);
	return url;
}

int lab_probe_url(char **url, const struct lab_probe_target *t, const char *scheme, int port, const char *path,
		  struct lab_err *err)
{
	char *host = NULL;
	int hport = 0;
	*url = NULL;
	int rc = lab_probe_address(&host, &hport, t, port, err);
	if (rc == 0)
		*url = url_of(scheme, host, hport, path);
	free(host);
	return rc;
}

int lab_probe_where_url(char **url, const struct lab_probe_where *w, const char *scheme, int port, const char *path)
{
	char *host = NULL;
	int hport = 0;
	*url = NULL;
	if (w->addr(&host, &hport, w->ud, port) < 0 || !hport) {
		free(host);
		return LAB_ENOTFOUND;
	}
	*url = url_of(scheme, host, hport, path);
	free(host);
	return 0;
}

void lab_probe_env_put(struct lab_strv *env, const char *key, const char *value)
{
	if (lab_strv_find_key(env, key) < 0)
		lab_strv_pushf(env, "%s=%s", key, value);
}

int lab_probe_env_put_url(struct lab_strv *env, const char *key, const struct lab_probe_where *w, int port)
{
	char *url = NULL;
	if (lab_probe_where_url(&url, w, "http", port, NULL) < 0)
		return LAB_ENOTFOUND;
	lab_probe_env_put(env, key, url);
	free(url);
	return 0;
}

void lab_probe_env_append(struct lab_strv *env, const char *key, const char *value)
{
	long i = lab_strv_find_key(env, key);
	if (i < 0) {
		lab_strv_pushf(env, "%s=%s", key, value);
		return;
	}
	const char *list = env->v[i] + strlen(key) + 1;
	size_t n = strlen(value);
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && strncmp(p, value, n) == 0)
			return;
		p += len + (end != NULL);
	}
	char *s = lab_xasprintf("%s,%s", env->v[i], value);
	free(env->v[i]);
	env->v[i] = s;
}
