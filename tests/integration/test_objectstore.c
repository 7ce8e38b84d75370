/* The S3 object store (images/objectstore via labs/common/objectstore.yml):
 * authenticated readiness, buckets made by up, SigV4 from the host and from
 * a container, unsigned requests refused, objects surviving down/up. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const char *s3_lab = "lab: { name: \"@NAME@\" }\n"
			    "include: [\"@REPO@/labs/common/objectstore.yml\", \"@REPO@/labs/common/compute.yml\"]\n"
			    "buckets: [lake, raw-data]\n";

/* curl with SigV4 from the host, credentials from labctl env. */
#define S3CURL                                                                                     \
	"eval \"$(LABCTL_STATE_DIR='%s' '%s' env '%s')\" && curl -s -o /dev/null -w '%%{http_code}' "      \
	"--aws-sigv4 aws:amz:$AWS_REGION:s3 --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" "          \
	"-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -H 'Content-Type: text/plain' "

Test(objectstore, buckets_sigv4_and_persistence, .timeout = 600)
{
	struct it_lab lab;
	struct it_run r;
	setenv("LAB_S3_PORT", "0", 1);
	it_lab_make(&lab, "s3", s3_lab);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s\n%s", r.err, r.out);
	it_run_free(&r);

	/* labctl env names the endpoint and the generated keys */
	it_labctl_run(&r, &lab, "env '%s'", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "export AWS_ENDPOINT_URL='http://127.0.0.1:"), "%s", r.out);
	cr_expect(strstr(r.out, "export AWS_REGION='us-east-1'"), "%s", r.out);
	it_run_free(&r);

	/* the buckets exist: HEAD /lake signed is 200 */
	char *code = it_sh(S3CURL "-I \"$AWS_ENDPOINT_URL/lake\"", lab.state, it_labctl(), lab.dir);
	cr_expect_str_eq(code, "200", "bucket lake made by up");
	free(code);
	code = it_sh(S3CURL "-X PUT --data-binary 'hello lake' \"$AWS_ENDPOINT_URL/lake/greeting.txt\"", lab.state,
		     it_labctl(), lab.dir);
	cr_expect_str_eq(code, "200", "signed PUT");
	free(code);
	/* presigned URLs as AWS CLI v1's `aws s3 presign` makes them (botocore,
	   its signer): Signature V2 by default, refused; with what `aws
	   configure set default.s3.signature_version s3v4` writes to the config
	   file (README.md, module0's README), V4, accepted */
	const char *presign = "eval \"$(LABCTL_STATE_DIR='%s' '%s' env '%s')\" && printf '[default]\\ns3 =\\n    signature_version = s3v4\\n' > '%s/aws-config' && "
			      "for cfg in /dev/null '%s/aws-config'; do url=$(AWS_CONFIG_FILE=$cfg /usr/bin/python3 -c \""
			      "import os, botocore.session as b; c = b.get_session().create_client('s3', endpoint_url=os.environ['AWS_ENDPOINT_URL'], region_name=os.environ['AWS_REGION']); "
			      "print(c.generate_presigned_url('get_object', Params={'Bucket': 'lake', 'Key': 'greeting.txt'}, ExpiresIn=300))\") && "
			      "case $url in *X-Amz-Signature=*) v=V4;; *Signature=*) v=V2;; *) v=?;; esac; "
			      "echo \"$v $(curl -s -o /dev/null -w '%%{http_code}' \"$url\")\"; done";
	code = it_sh(presign, lab.state, it_labctl(), lab.dir, lab.dir, lab.dir);
	cr_expect_str_eq(code, "V2 403\nV4 200", "aws s3 presign: V2 refused, V4 with signature_version s3v4");
	free(code);
	/* unsigned: refused */
	code = it_sh("eval \"$(LABCTL_STATE_DIR='%s' '%s' env '%s')\" && curl -s -o /dev/null -w '%%{http_code}' "
		     "\"$AWS_ENDPOINT_URL/lake/greeting.txt\"",
		     lab.state, it_labctl(), lab.dir);
	cr_expect_str_eq(code, "403", "unsigned GET must be refused");
	free(code);
	/* wrong secret: refused */
	code = it_sh("eval \"$(LABCTL_STATE_DIR='%s' '%s' env '%s')\" && curl -s -o /dev/null -w '%%{http_code}' "
		     "--aws-sigv4 aws:amz:us-east-1:s3 --user \"$AWS_ACCESS_KEY_ID:wrong-secret-123\" "
		     "-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \"$AWS_ENDPOINT_URL/lake/greeting.txt\"",
		     lab.state, it_labctl(), lab.dir);
	cr_expect_str_eq(code, "403", "a wrong secret must be refused");
	free(code);

	/* from a container on the lab network, by service name */
	it_labctl_run(&r, &lab,
		      "exec '%s' compute -e \"K=$(LABCTL_STATE_DIR='%s' '%s' env '%s' | sed -n "
		      "\"s/^export AWS_ACCESS_KEY_ID='\\(.*\\)'/\\1/p\")\" -e \"S=$(LABCTL_STATE_DIR='%s' '%s' env '%s' | "
		      "sed -n \"s/^export AWS_SECRET_ACCESS_KEY='\\(.*\\)'/\\1/p\")\" -- sh -c "
		      "'curl -s --aws-sigv4 aws:amz:us-east-1:s3 --user \"$K:$S\" -H \"x-amz-content-sha256: "
		      "UNSIGNED-PAYLOAD\" http://objectstore:9000/lake/greeting.txt'",
		      lab.dir, lab.state, it_labctl(), lab.dir, lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "hello lake", "GET from a container through the internal network");
	it_run_free(&r);

	/* objects survive down/up */
	it_labctl_run(&r, &lab, "down '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	code = it_sh(S3CURL "\"$AWS_ENDPOINT_URL/lake/greeting.txt\"", lab.state, it_labctl(), lab.dir);
	cr_expect_str_eq(code, "200", "object kept across down/up");
	free(code);
	it_lab_cleanup(&lab);
}

/* verify's count of objects under a prefix over more than one
 * ListObjectsV2 page (1000 keys) is exact. The keys hold '&', so the
 * store's continuation token comes XML-escaped ("r&amp;d/..."): sent back
 * undecoded it named another place in the listing, the store answered the
 * first page again with the same token, and the check looped until its
 * timeout. A min_count that is met stops the listing early, and says so. */
Test(objectstore, prefix_count_over_pages_is_exact, .timeout = 600)
{
	struct it_lab lab;
	struct it_run r;
	setenv("LAB_S3_PORT", "0", 1);
	it_lab_make(&lab, "s3pages",
		    "lab: { name: \"@NAME@\" }\n"
		    "include: [\"@REPO@/labs/common/objectstore.yml\"]\n"
		    "buckets: [lake]\n"
		    "checks:\n"
		    "  - { id: exact, s3: { bucket: lake, prefix: \"r&d/\", count: 1100 } }\n"
		    "  - { id: too-many, s3: { bucket: lake, prefix: \"r&d/\", max_count: 1099 } }\n"
		    "  - { id: enough, s3: { bucket: lake, prefix: \"r&d/\", min_count: 10 } }\n"
		    "  - { id: one-page, s3: { bucket: lake, prefix: \"r&d/part-00\", count: 100 } }\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s\n%s", r.err, r.out);
	it_run_free(&r);
	/* 1100 signed PUTs, 8 at a time */
	char *failed = it_sh("eval \"$(LABCTL_STATE_DIR='%s' '%s' env '%s')\" && seq -f '%%04g' 0 1099 | "
			     "xargs -P 8 -I{} curl -sf -o /dev/null -X PUT --aws-sigv4 aws:amz:$AWS_REGION:s3 "
			     "--user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" "
			     "-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -H 'Content-Type: application/json' --data-binary '{}' "
			     "\"$AWS_ENDPOINT_URL/lake/r%%26d/part-{}.json\" || echo failed",
			     lab.state, it_labctl(), lab.dir);
	cr_assert_str_eq(failed, "", "uploading 1100 objects");
	free(failed);
	it_labctl_run(&r, &lab, "verify '%s' --format json", lab.dir);
	cr_expect_eq(r.status, 1, "too-many fails: exit %d: %s", r.status, r.err);
	char json[400];
	snprintf(json, sizeof(json), "%s/../verify.json", lab.dir);
	FILE *f = fopen(json, "w");
	cr_assert_not_null(f);
	fputs(r.out, f);
	fclose(f);
	it_run_free(&r);
	/* one line per check: id status observed / expected */
	char *got = it_sh("python3 -c 'import json, sys\n"
			  "for c in json.load(open(sys.argv[1]))[\"checks\"]:\n"
			  "    print(c[\"id\"], c[\"status\"], c[\"observed\"], \"/\", c[\"expected\"])' '%s'",
			  json);
	cr_expect_str_eq(got,
			 "exact passed 1100 objects under 'lake/r&d/' / 1100 objects\n"
			 "too-many failed 1100 objects under 'lake/r&d/' / <= 1099 objects\n"
			 "enough passed at least 1000 objects under 'lake/r&d/' / >= 10 objects\n"
			 "one-page passed 100 objects under 'lake/r&d/part-00' / 100 objects");
	free(got);
	it_lab_cleanup(&lab);
}
