/* s3 checks: a bucket exists; an object exists, with min_size /
 * contains / equals_hash on its content; a count of objects under a
 * prefix against count / min_count / max_count (default: at least one).
 * Signed with the keys of the service's x-ready s3 probe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "../../s3/s3.h"
#include "../check.h"

struct s3_conf {
	char *bucket;            /* must exist */
	char *key;               /* object must exist; contains / min_size / equals_hash apply to it */
	char *prefix;            /* count of objects under it uses expect (equals/min/max) */
	int has_prefix;          /* prefix or a count was given */
	long min_size;           /* bytes; -1 = not checked */
	char *contains;          /* or NULL */
};

static const char *const s3_keys[] = {"service", "bucket", "key", "prefix", "count", "min_count", "max_count",
				      "min_size", "contains", "equals_hash", NULL};

static void parse_s3(struct lab_check *c, struct lab_ld *L, const struct lab_node *m)
{
	struct s3_conf *o = lab_xcalloc(1, sizeof(*o));
	const struct lab_expect *e = &c->expect;
	c->conf = o;
	o->min_size = -1;
	c->service = lab_ld_check_service(L, c, m, "s3", 1);
	lab_ld_check_need(L, c, m, "bucket", "the bucket that must exist");
	o->bucket = lab_ld_opt_str(L, m, "bucket");
	o->key = lab_ld_opt_str(L, m, "key");
	o->prefix = lab_ld_opt_str(L, m, "prefix");
	o->contains = lab_ld_opt_str(L, m, "contains");
	lab_ld_opt_long(L, m, "min_size", &o->min_size, 0);
	lab_ld_check_expect(L, m, &c->expect, "count", "min_count", "max_count");
	o->has_prefix = o->prefix != NULL || e->equals || e->has_min || e->has_max;
	if (o->key && o->has_prefix && (e->equals || e->has_min || e->has_max))
		lab_ld_diag(L, &m->mark, "s3 check '%s': 'key' and a count under 'prefix' are separate checks", c->id);
	if ((o->contains || o->min_size >= 0 || e->equals_hash) && !o->key)
		lab_ld_diag(L, &m->mark, "s3 check '%s': 'contains', 'min_size' and 'equals_hash' need 'key'", c->id);
}

static void free_s3(void *conf)
{
	struct s3_conf *o = conf;
	if (!o)
		return;
	free(o->bucket);
	free(o->key);
	free(o->prefix);
	free(o->contains);
	free(o);
}

static char *esc(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = lab_xstrdup(e);
	curl_free(e);
	return out;
}

/* Whether objects beyond the count listed so far cannot change how w
 * judges it: a min_count (alone, or the default "at least one") that is
 * met, or a count / max_count already exceeded. The listing then stops:
 * each page costs the store a walk of everything under the prefix
 * (S3Proxy's filesystem backend), so lake-days (min_count: 181) needs one
 * page, not all of them (docs/BENCHMARKS.md). */
static int count_decided(const struct lab_expect *w, long count)
{
	if (w->equals) {
		char *end = NULL;
		double v = strtod(w->equals, &end);
		return end != w->equals && *end == '\0' && (double)count > v;
	}
	if (w->has_max && (double)count > w->max)
		return 1;
	if (w->has_max)
		return 0;
	return (double)count >= (w->has_min ? w->min : 1);
}

static void run_s3(struct lab_check_ctx *x)
{
	const struct lab_check *c = x->check;
	const struct s3_conf *o = c->conf;
	struct lab_strv env = LAB_STRV_INIT;
	struct lab_buf resp = LAB_BUF_INIT;
	struct lab_err err = {0};
	const char *url = NULL;
	char *path = NULL, *token = NULL;
	long status = 0;
	int more = 0; /* the listing stopped before its end: the count is a lower bound */
	if (lab_check_need_lib(x, LAB_LAZY_CURL) < 0)
		return;
	if (x->client_env(x, c->service, "s3", "port and keys", &env) < 0)
		goto out;
	url = lab_strv_value(&env, "AWS_ENDPOINT_URL");
	struct lab_s3 s3 = {url, lab_strv_value(&env, "AWS_ACCESS_KEY_ID"), lab_strv_value(&env, "AWS_SECRET_ACCESS_KEY"),
			    lab_strv_value(&env, "AWS_REGION"), lab_check_left_ms(x)};
	path = lab_xasprintf("/%s", o->bucket);
	x->expected = lab_xasprintf("bucket '%s' exists", o->bucket);
	if (lab_s3_request(&s3, "HEAD", path, NULL, 0, &status, NULL, &err) < 0) {
		lab_check_outcome(x, LAB_VERIFY_ERROR, "%s", err.msg);
		goto out;
	}
	if (status == 404) {
		x->observed = lab_xasprintf("bucket '%s' does not exist", o->bucket);
		lab_check_outcome(x, LAB_VERIFY_FAILED, "bucket '%s' does not exist", o->bucket);
		goto out;
	}
	if (status != 200) {
		lab_check_outcome(x, LAB_VERIFY_ERROR, "HEAD %s%s: status %ld", url, path, status);
		goto out;
	}
	x->observed = lab_xasprintf("bucket '%s' exists", o->bucket);
	if (o->key) {
		free(path);
		path = lab_xasprintf("/%s/%s", o->bucket, o->key);
		lab_buf_init(&resp, LAB_CHECK_BODY_MAX);
		lab_check_set_str(&x->expected, lab_xasprintf("object '%s/%s' exists%s%s%s", o->bucket, o->key,
						    o->min_size >= 0 ? ", of at least the minimum size" : "",
						    o->contains ? ", containing '" : "", o->contains ? o->contains : ""));
		if (o->contains)
			lab_check_set_str(&x->expected, lab_xasprintf("%s'", x->expected));
		if (lab_s3_request(&s3, "GET", path, NULL, 0, &status, &resp, &err) < 0) {
			lab_check_outcome(x, LAB_VERIFY_ERROR, "%s", err.msg);
			goto out;
		}
		if (status == 404) {
			lab_check_set_str(&x->observed, lab_xasprintf("object '%s/%s' does not exist", o->bucket, o->key));
			lab_check_outcome(x, LAB_VERIFY_FAILED, "object '%s/%s' does not exist", o->bucket, o->key);
			goto out;
		}
		if (status != 200) {
			lab_check_outcome(x, LAB_VERIFY_ERROR, "GET %s%s: status %ld", url, path, status);
			goto out;
		}
		lab_check_set_str(&x->observed, lab_xasprintf("%zu bytes", resp.len));
		if (o->min_size >= 0 && (long)resp.len < o->min_size)
			lab_check_outcome(x, LAB_VERIFY_FAILED, "object '%s/%s' has %zu bytes, want at least %ld", o->bucket, o->key,
				resp.len, o->min_size);
		if (o->contains && !strstr(lab_buf_cstr(&resp), o->contains))
			lab_check_outcome(x, LAB_VERIFY_FAILED, "object '%s/%s' does not contain '%s'", o->bucket, o->key,
				o->contains);
		if (c->expect.equals_hash && !lab_verify_compare(&c->expect, lab_buf_cstr(&resp), x->key, NULL))
			lab_check_outcome(x, LAB_VERIFY_FAILED, "object '%s/%s' is not the expected answer", o->bucket, o->key);
	}
	if (o->has_prefix) {
		long count = 0;
		char *pre = esc(o->prefix ? o->prefix : "");
		for (int page = 0;; page++) {
			char *tok = token ? esc(token) : NULL;
			free(path);
			/* query parameters in canonical (sorted) order for SigV4;
			   1000 keys a page is ListObjectsV2's most */
			path = lab_xasprintf("/%s?%s%s%slist-type=2&max-keys=1000&prefix=%s", o->bucket,
					     tok ? "continuation-token=" : "", tok ? tok : "", tok ? "&" : "", pre);
			free(tok);
			lab_buf_release(&resp);
			lab_buf_init(&resp, LAB_CHECK_BODY_MAX);
			if (lab_s3_request(&s3, "GET", path, NULL, 0, &status, &resp, &err) < 0 || status != 200) {
				if (status && status != 200)
					lab_check_outcome(x, LAB_VERIFY_ERROR, "GET %s%s: status %ld", url, path, status);
				else
					lab_check_outcome(x, LAB_VERIFY_ERROR, "%s", err.msg);
				break;
			}
			for (const char *p = lab_buf_cstr(&resp); (p = strstr(p, "<Key>")); p += 5)
				count++;
			char *trunc = lab_s3_xml_field(lab_buf_cstr(&resp), "IsTruncated");
			char *next = trunc && strcmp(trunc, "true") == 0
					     ? lab_s3_xml_field(lab_buf_cstr(&resp), "NextContinuationToken")
					     : NULL;
			free(trunc);
			if (next && token && strcmp(next, token) == 0) {
				lab_check_outcome(x, LAB_VERIFY_ERROR,
					"listing '%s/%s': the store gave the same continuation token for page %d as "
					"for page %d ('%s')", o->bucket, o->prefix ? o->prefix : "", page + 1, page,
					next);
				free(next);
				break;
			}
			free(token);
			token = next;
			if (!token)
				break;
			if (count_decided(&c->expect, count)) {
				more = 1;
				break;
			}
		}
		free(pre);
		if (x->status == LAB_VERIFY_PASSED) {
			struct lab_expect one = {0};
			const struct lab_expect *w = &c->expect;
			if (!w->equals && !w->has_min && !w->has_max) {
				one.has_min = 1;
				one.min = 1;
				w = &one;
			}
			char num[32], *want = NULL;
			snprintf(num, sizeof(num), "%ld", count);
			int ok = lab_verify_compare(w, num, x->key, &want);
			lab_check_set_str(&x->observed, lab_xasprintf("%s%ld objects under '%s/%s'", more ? "at least " : "",
							    count, o->bucket, o->prefix ? o->prefix : ""));
			lab_check_set_str(&x->expected, lab_xasprintf("%s objects", want));
			if (!ok)
				lab_check_outcome(x, LAB_VERIFY_FAILED, "%s%ld objects under '%s/%s', want %s",
					more ? "at least " : "", count, o->bucket, o->prefix ? o->prefix : "", want);
			free(want);
		}
	}
out:
	lab_buf_release(&resp);
	lab_strv_free(&env);
	free(path);
	free(token);
}

const struct lab_check_kind lab_check_s3 = {"s3", s3_keys, parse_s3, free_s3, run_s3};
