#include "rest.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "../lazy/lazy.h"
#include "../util/buf.h"

#define BODY_MAX (1u << 20)

struct sink {
	struct lab_buf buf;
	int over;
};

static size_t on_body(char *p, size_t s, size_t n, void *ud)
{
	struct sink *k = ud;
	if (!k->over && lab_buf_append(&k->buf, p, s * n) < 0)
		k->over = 1;
	return s * n;
}

int lab_rest(const char *method, const char *url, const char *body, int timeout_ms, struct lab_rest_resp *resp,
	     struct lab_err *err)
{
	memset(resp, 0, sizeof(*resp));
	int rc = lab_lazy_load(LAB_LAZY_CURL, err);
	if (rc < 0)
		return rc;
	CURL *h = curl_easy_init();
	if (!h)
		return lab_err_set(err, LAB_ERR, "curl_easy_init failed");
	struct sink k = {0};
	lab_buf_init(&k.buf, BODY_MAX);
	struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (body)
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	CURLcode cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		rc = lab_err_set(err, LAB_ERR, "%s %s: %s", method, url, curl_easy_strerror(cc));
	} else if (k.over) {
		rc = lab_err_set(err, LAB_ERR, "%s %s: body larger than %u bytes", method, url, BODY_MAX);
	} else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
		resp->body = k.buf.data ? lab_buf_detach(&k.buf) : lab_xstrdup("");
		resp->json = cJSON_Parse(resp->body);
	}
	lab_buf_release(&k.buf);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return rc;
}

void lab_rest_resp_release(struct lab_rest_resp *resp)
{
	if (!resp)
		return;
	free(resp->body);
	cJSON_Delete(resp->json);
	resp->body = NULL;
	resp->json = NULL;
}

const char *lab_rest_message(const struct lab_rest_resp *resp)
{
	const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(resp->json, "message"));
	if (m)
		return m;
	return resp->body && *resp->body ? resp->body : "(empty body)";
}
