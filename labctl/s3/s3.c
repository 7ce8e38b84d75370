#include "s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "../lazy/lazy.h"

struct s3_body {
	const char *data;
	size_t len, off;
};

static size_t s3_read(char *buf, size_t size, size_t n, void *ud)
{
	struct s3_body *b = ud;
	size_t want = size * n, left = b->len - b->off;
	if (want > left)
		want = left;
	memcpy(buf, b->data + b->off, want);
	b->off += want;
	return want;
}

static size_t s3_write(char *p, size_t size, size_t n, void *ud)
{
	struct lab_buf *b = ud;
	if (!b)
		return size * n;
	return lab_buf_append(b, p, size * n) < 0 ? 0 : size * n;
}

/* Response headers wanted: x-amz-meta-sha256 and ETag. */
struct s3_heads {
	char *meta_sha256;
	char *etag;
};

static char *header_value(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	if (len <= n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	const char *v = line + n + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t' || *v == '"'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '"'))
		end--;
	return lab_xstrndup(v, (size_t)(end - v));
}

static size_t s3_header(char *p, size_t size, size_t n, void *ud)
{
	struct s3_heads *h = ud;
	char *v;
	if (!h->meta_sha256 && (v = header_value(p, size * n, "x-amz-meta-sha256")))
		h->meta_sha256 = v;
	else if (!h->etag && (v = header_value(p, size * n, "ETag")))
		h->etag = v;
	return size * n;
}

struct s3_progress {
	lab_s3_progress_fn fn;
	void *ud;
};

static int s3_xfer(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow;
	struct s3_progress *p = ud;
	p->fn((size_t)ulnow, (size_t)ultotal, p->ud);
	return 0;
}

/* One signed request with extra headers (may be NULL), the response
 * headers wanted (may be NULL) and upload progress (may be NULL). */
static int s3_perform(const struct lab_s3 *s3, const char *method, const char *path, const void *body,
		      size_t body_len, struct curl_slist *extra, struct s3_heads *heads, struct s3_progress *prog,
		      long *status, struct lab_buf *resp, struct lab_err *err)
{
	int rc = lab_lazy_load(LAB_LAZY_CURL, err);
	if (rc < 0)
		return rc;
	CURL *c = curl_easy_init();
	if (!c)
		return lab_err_set(err, LAB_ERR, "curl_easy_init failed");
	char *url = lab_xasprintf("%s%s", s3->endpoint, path);
	char *sigv4 = lab_xasprintf("aws:amz:%s:s3", s3->region ? s3->region : "us-east-1");
	char *userpwd = lab_xasprintf("%s:%s", s3->access_key, s3->secret_key);
	struct s3_body b = {body, body_len, 0};
	/* SigV4 for S3 needs the payload's SHA-256 in x-amz-content-sha256;
	   curl 7.88 signs the header when given but does not add it */
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hash_hdr[128] = "x-amz-content-sha256: ";
	EVP_Digest(body ? body : "", body ? body_len : 0, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		snprintf(hash_hdr + 22 + 2 * i, 3, "%02x", md[i]);
	struct curl_slist *hdrs = curl_slist_append(NULL, "Expect:");
	hdrs = curl_slist_append(hdrs, hash_hdr);
	for (struct curl_slist *x = extra; x; x = x->next)
		hdrs = curl_slist_append(hdrs, x->data);
	if (resp && !resp->max)
		resp->max = 64u << 20;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s3->timeout_ms ? s3->timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s3_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	if (heads) {
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, s3_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, heads);
	}
	if (prog && prog->fn) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, s3_xfer);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, prog);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	if (strcmp(method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, s3_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &b);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body_len);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	CURLcode cc = curl_easy_perform(c);
	if (cc != CURLE_OK)
		rc = lab_err_set(err, LAB_ERR, "%s %s: %s", method, url, curl_easy_strerror(cc));
	else if (status)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	free(url);
	free(sigv4);
	free(userpwd);
	return rc;
}

/* Replace XML's five predefined entities and numeric character
 * references (XML 1.0, sections 4.1 and 4.6) in s[0..len) with the
 * characters they stand for; an unknown or malformed reference is kept as
 * is. New string. */
static char *xml_unescape(const char *s, size_t len)
{
	static const struct {
		const char *ref;
		char c;
	} named[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
	struct lab_buf b = LAB_BUF_INIT;
	for (size_t i = 0; i < len;) {
		size_t k = 0;
		if (s[i] == '&') {
			for (size_t n = 0; n < sizeof(named) / sizeof(named[0]) && !k; n++) {
				size_t rl = strlen(named[n].ref);
				if (i + rl <= len && strncmp(s + i, named[n].ref, rl) == 0) {
					lab_buf_append(&b, &named[n].c, 1);
					k = rl;
				}
			}
			if (!k && i + 3 < len && s[i + 1] == '#') {
				int hex = s[i + 2] == 'x';
				size_t j = i + 2 + (size_t)hex;
				unsigned long cp = 0;
				size_t digits = 0;
				for (; j < len && digits < 8; j++, digits++) {
					char ch = s[j];
					int d = ch >= '0' && ch <= '9'                ? ch - '0'
						: hex && ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
						: hex && ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
										: -1;
					if (d < 0)
						break;
					cp = cp * (hex ? 16 : 10) + (unsigned long)d;
				}
				if (digits && j < len && s[j] == ';' && cp > 0 && cp <= 0x10FFFF) {
					/* UTF-8 */
					char u[4];
					size_t n = 0;
					if (cp < 0x80) {
						u[n++] = (char)cp;
					} else if (cp < 0x800) {
						u[n++] = (char)(0xC0 | (cp >> 6));
						u[n++] = (char)(0x80 | (cp & 0x3F));
					} else if (cp < 0x10000) {
						u[n++] = (char)(0xE0 | (cp >> 12));
						u[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
						u[n++] = (char)(0x80 | (cp & 0x3F));
					} else {
						u[n++] = (char)(0xF0 | (cp >> 18));
						u[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
						u[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
						u[n++] = (char)(0x80 | (cp & 0x3F));
					}
					lab_buf_append(&b, u, n);
					k = j + 1 - i;
				}
			}
		}
		if (!k) {
			lab_buf_append(&b, s + i, 1);
			k = 1;
		}
		i += k;
	}
	return lab_buf_detach(&b);
}

int lab_s3_request(const struct lab_s3 *s3, const char *method, const char *path, const void *body,
		   size_t body_len, long *status, struct lab_buf *resp, struct lab_err *err)
{
	return s3_perform(s3, method, path, body, body_len, NULL, NULL, NULL, status, resp, err);
}

int lab_s3_object_same(int *same, const struct lab_s3 *s3, const char *bucket, const char *key, const char *sha256,
		       const char *md5, struct lab_err *err)
{
	struct s3_heads h = {0};
	long status = 0;
	char *path = lab_xasprintf("/%s/%s", bucket, key);
	int rc = s3_perform(s3, "HEAD", path, NULL, 0, NULL, &h, NULL, &status, NULL, err);
	*same = 0;
	if (rc == 0 && status == 200)
		*same = (h.meta_sha256 && strcasecmp(h.meta_sha256, sha256) == 0) ||
			(!h.meta_sha256 && md5 && h.etag && strcasecmp(h.etag, md5) == 0);
	else if (rc == 0 && status != 404)
		rc = lab_err_set(err, LAB_ERR, "HEAD %s%s: status %ld", s3->endpoint, path, status);
	free(h.meta_sha256);
	free(h.etag);
	free(path);
	return rc;
}

int lab_s3_put_object(const struct lab_s3 *s3, const char *bucket, const char *key, const void *data, size_t len,
		      const char *sha256, lab_s3_progress_fn progress, void *ud, struct lab_err *err)
{
	struct lab_buf resp = LAB_BUF_INIT;
	long status = 0;
	char *path = lab_xasprintf("/%s/%s", bucket, key);
	char *meta = lab_xasprintf("x-amz-meta-sha256: %s", sha256);
	struct curl_slist *extra = curl_slist_append(NULL, meta);
	struct s3_progress prog = {progress, ud};
	int rc = s3_perform(s3, "PUT", path, data, len, extra, NULL, &prog, &status, &resp, err);
	if (rc == 0 && status != 200) {
		char *code = lab_s3_xml_field(lab_buf_cstr(&resp), "Code");
		char *msg = lab_s3_xml_field(lab_buf_cstr(&resp), "Message");
		rc = lab_err_set(err, LAB_ERR, "PUT %s%s: %ld %s%s%s", s3->endpoint, path, status, code ? code : "",
				 msg ? ": " : "", msg ? msg : "");
		free(code);
		free(msg);
	}
	curl_slist_free_all(extra);
	free(meta);
	free(path);
	lab_buf_release(&resp);
	return rc;
}

char *lab_s3_xml_field(const char *xml, const char *field)
{
	if (!xml)
		return NULL;
	char open[64], close[64];
	snprintf(open, sizeof(open), "<%s>", field);
	snprintf(close, sizeof(close), "</%s>", field);
	const char *a = strstr(xml, open);
	if (!a)
		return NULL;
	a += strlen(open);
	const char *z = strstr(a, close);
	return z ? xml_unescape(a, (size_t)(z - a)) : NULL;
}

int lab_s3_create_bucket(const struct lab_s3 *s3, const char *bucket, struct lab_err *err)
{
	struct lab_buf resp = LAB_BUF_INIT;
	long status = 0;
	char *path = lab_xasprintf("/%s", bucket);
	int rc = lab_s3_request(s3, "PUT", path, "", 0, &status, &resp, err);
	if (rc == 0 && status != 200) {
		char *code = lab_s3_xml_field(lab_buf_cstr(&resp), "Code");
		char *msg = lab_s3_xml_field(lab_buf_cstr(&resp), "Message");
		if (status == 409 && code && strcmp(code, "BucketAlreadyOwnedByYou") == 0)
			rc = 0;
		else
			rc = lab_err_set(err, LAB_ERR, "create bucket '%s': PUT %s%s: %ld %s%s%s", bucket, s3->endpoint,
					 path, status, code ? code : "", msg ? ": " : "", msg ? msg : "");
		free(code);
		free(msg);
	}
	free(path);
	lab_buf_release(&resp);
	return rc;
}
