/* Datasets uploaded to the lab's object store once per content (see
 * converge.h, step 4b). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../probe/probe.h"
#include "../s3/s3.h"
#include "../util/file.h"
#include "../util/parallel.h"
#include "internal.h"

/* A dataset is at most this big (read whole into memory to hash and send). */
#define DATASET_MAX ((size_t)2 << 30)
/* A whole upload's time limit. */
#define UPLOAD_TIMEOUT_MS 1800000L

static void hex(char *out, const unsigned char *md, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

struct upload {
	struct cv *c;
	const char *dataset;
	const char *url;
	double t0, last;
};

static void on_progress(size_t sent, size_t total, void *ud)
{
	struct upload *u = ud;
	double now = lab_now();
	if (!total || now - u->last < 0.5 || sent >= total)
		return;
	u->last = now;
	struct lab_converge_event ev = {.kind = LAB_CONVERGE_DATASET_PROGRESS,
					.dataset = u->dataset,
					.name = u->url,
					.bytes = sent,
					.total = total,
					.rate = now > u->t0 ? (double)sent / (now - u->t0) : 0};
	converge_emit(u->c, &ev);
}

/* The data of ds: the full file when $LABCTL_DATA_DIR has it (its sha256
 * the lab's), else the sample. *what: "full file" or "sample". */
static int resolve(struct lab_buf *data, const char **what, const struct lab_dataset *ds, char sha[65],
		   struct lab_err *err)
{
	const char *dir = getenv("LABCTL_DATA_DIR");
	char *msg = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (dir && *dir) {
		char *full = lab_xasprintf("%s/%s", dir, ds->file);
		int rc = lab_read_file(data, full, DATASET_MAX, &msg);
		free(msg);
		msg = NULL;
		if (rc == 0) {
			EVP_Digest(data->data ? data->data : "", data->len, md, &n, EVP_sha256(), NULL);
			hex(sha, md, n);
			if (ds->sha256 && strcmp(sha, ds->sha256) != 0) {
				rc = lab_err_set(err, LAB_ERR, "dataset '%s': '%s' has sha256 %s, the lab expects %s",
						 ds->name, full, sha, ds->sha256);
				free(full);
				return rc;
			}
			free(full);
			*what = "full file";
			return 0;
		}
		free(full);
		lab_buf_reset(data);
	}
	if (!ds->sample)
		return lab_err_set(err, LAB_ERR, "dataset '%s': '%s' not found in LABCTL_DATA_DIR (%s) and the lab has no sample",
				   ds->name, ds->file, dir && *dir ? dir : "unset");
	if (lab_read_file(data, ds->sample, DATASET_MAX, &msg) < 0) {
		int rc = lab_err_set(err, LAB_ERR, "dataset '%s': %s", ds->name, msg ? msg : "cannot read the sample");
		free(msg);
		return rc;
	}
	EVP_Digest(data->data ? data->data : "", data->len, md, &n, EVP_sha256(), NULL);
	hex(sha, md, n);
	*what = "sample";
	return 0;
}

static struct svc_run *s3_run(struct cv *c)
{
	const struct lab_service *s = lab_find_service_with_probe(c->lab, "s3");
	for (size_t i = 0; s && i < c->n; i++)
		if (c->runs[i].svc == s)
			return &c->runs[i];
	return NULL;
}

static int upload_one(struct cv *c, struct lab_s3 *s3, const struct lab_dataset *ds, struct lab_err *err)
{
	struct lab_buf data = LAB_BUF_INIT;
	const char *what = NULL;
	char sha[65] = "", md5[33] = "";
	char *url = NULL;
	int rc = resolve(&data, &what, ds, sha, err);
	if (rc < 0)
		goto out;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(data.data ? data.data : "", data.len, md, &n, EVP_md5(), NULL);
	hex(md5, md, n);
	url = lab_xasprintf("s3://%s/%s", ds->bucket, ds->file);
	if ((rc = lab_s3_create_bucket(s3, ds->bucket, err)) < 0)
		goto out;
	int same = 0;
	if ((rc = lab_s3_object_same(&same, s3, ds->bucket, ds->file, sha, md5, err)) < 0)
		goto out;
	if (same) {
		struct lab_converge_event ev = {.kind = LAB_CONVERGE_DATASET_PRESENT,
						.dataset = ds->name,
						.name = url,
						.reason = what,
						.bytes = data.len};
		converge_emit(c, &ev);
		goto out;
	}
	struct upload u = {c, ds->name, url, lab_now(), lab_now()};
	struct lab_s3 big = *s3;
	big.timeout_ms = UPLOAD_TIMEOUT_MS;
	rc = lab_s3_put_object(&big, ds->bucket, ds->file, data.data ? data.data : "", data.len, sha, on_progress, &u,
			       err);
	if (rc == 0) {
		double dt = lab_now() - u.t0;
		struct lab_converge_event ev = {.kind = LAB_CONVERGE_DATASET_UPLOADED,
						.dataset = ds->name,
						.name = url,
						.reason = what,
						.bytes = data.len,
						.rate = dt > 0 ? (double)data.len / dt : 0};
		converge_emit(c, &ev);
	}
out:
	if (rc < 0 && what) /* resolve's errors name the dataset already */
		lab_err_prefix(err, "dataset '%s'", ds->name);
	free(url);
	lab_buf_release(&data);
	return rc;
}

int converge_datasets(struct cv *c, struct lab_err *err)
{
	int any = 0;
	for (size_t i = 0; i < c->lab->n_datasets; i++)
		any |= c->lab->datasets[i].bucket != NULL;
	if (!any)
		return 0;
	struct svc_run *r = s3_run(c);
	if (!r || !r->ids.n)
		return lab_err_set(err, LAB_ERR, "datasets with a bucket need an object store, and it runs no container");
	cJSON *in = NULL;
	struct lab_strv env = LAB_STRV_INIT;
	struct lab_s3 s3;
	int rc = lab_engine_container_inspect(c->engine, r->ids.v[0], &in, err);
	if (rc == 0)
		rc = converge_s3_client(&s3, &env, r->svc, in, err);
	for (size_t i = 0; rc == 0 && i < c->lab->n_datasets; i++)
		if (c->lab->datasets[i].bucket)
			rc = upload_one(c, &s3, &c->lab->datasets[i], err);
	cJSON_Delete(in);
	lab_strv_free(&env);
	return rc;
}
