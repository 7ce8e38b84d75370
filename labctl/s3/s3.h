/* A minimal S3 client: path-style requests signed with AWS Signature
 * Version 4 by libcurl (CURLOPT_AWS_SIGV4, "aws:amz:<region>:s3"), for
 * readiness probes, bucket creation and checks. Endpoints are
 * "http://host:port"; objects are addressed as /<bucket>/<key>.
 * The payload SHA-256 goes in x-amz-content-sha256 ("Authenticating
 * Requests: Using the Authorization Header (AWS Signature Version 4)").
 * Reference: Amazon S3 API Reference (CreateBucket, ListBuckets,
 * PutObject, GetObject, ListObjectsV2). */
#ifndef LAB_S3_H
#define LAB_S3_H

#include <stddef.h>

#include "../util/buf.h"
#include "../util/err.h"

struct lab_s3 {
	const char *endpoint;   /* "http://127.0.0.1:9000" */
	const char *access_key;
	const char *secret_key;
	const char *region;     /* NULL = "us-east-1" */
	long timeout_ms;        /* per request; 0 = 10000 */
};

/* One signed request: method, path ("/" or "/bucket" or "/bucket/key",
 * query appended as given), optional body. *status gets the HTTP status;
 * resp (may be NULL) the body (capped at 64 MiB). Returns 0 when the
 * request got an answer (any status); LAB_ERR with "METHOD URL: <curl
 * error>" when it did not. */
int lab_s3_request(const struct lab_s3 *s3, const char *method, const char *path, const void *body,
		   size_t body_len, long *status, struct lab_buf *resp, struct lab_err *err);

/* PUT /bucket. Returns 0 when created or already owned by us
 * (BucketAlreadyOwnedByYou); LAB_ERR with the status and S3's <Code>
 * and <Message> otherwise. */
int lab_s3_create_bucket(const struct lab_s3 *s3, const char *bucket, struct lab_err *err);

/* Upload progress: bytes sent of total so far (called often; total 0
 * until known). */
typedef void (*lab_s3_progress_fn)(size_t sent, size_t total, void *ud);

/* HEAD /bucket/key: *same = 1 when the object exists with this content:
 * its user metadata x-amz-meta-sha256 (as lab_s3_put_object sets it)
 * equals sha256 (hex), or, for an object without it, its ETag equals md5
 * (hex; a single-part PUT's ETag is the MD5 of the body; md5 may be
 * NULL). *same = 0 when absent (404) or different. Returns 0, or LAB_ERR
 * for another status or no answer. */
int lab_s3_object_same(int *same, const struct lab_s3 *s3, const char *bucket, const char *key, const char *sha256,
		       const char *md5, struct lab_err *err);

/* PUT /bucket/key with data, its sha256 (hex) as user metadata
 * x-amz-meta-sha256 (S3 "PutObject": x-amz-meta-*), progress reported to
 * progress (may be NULL). s3->timeout_ms bounds the whole upload.
 * Returns 0 on 200; LAB_ERR with the status and S3's Code and Message. */
int lab_s3_put_object(const struct lab_s3 *s3, const char *bucket, const char *key, const void *data, size_t len,
		      const char *sha256, lab_s3_progress_fn progress, void *ud, struct lab_err *err);

/* The text of the first <field>...</field> of an S3 XML body (caller
 * frees), or NULL when there is none: "<Code>" of an error, a listing's
 * "<NextContinuationToken>". Entities are decoded (XML 1.0 4.1, 4.6:
 * &amp; &lt; &gt; &quot; &apos; &#N; &#xN;): S3 escapes them in keys and
 * tokens ("r&amp;d/x" is the key "r&d/x"), and a token sent back escaped
 * names another place in the listing. */
char *lab_s3_xml_field(const char *xml, const char *field);

#endif
