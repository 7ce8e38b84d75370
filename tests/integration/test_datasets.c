/* Datasets uploaded to the object store by up: the sample when
 * LABCTL_DATA_DIR lacks the full file, the full file (sha256 checked) when
 * it has it, nothing sent when the object is there with the same content,
 * a wrong checksum refused. The object's bytes are read back with a signed
 * GET from the host (curl), independent of labctl's S3 client. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* sha256 of "full,file\n1,2\n" and of "sample\n" */
#define FULL_TEXT "full,file\n1,2\n"
#define SAMPLE_TEXT "sample\n"

static const char *ds_lab = "lab: { name: \"@NAME@\" }\n"
			    "include: [\"@REPO@/labs/common/objectstore.yml\"]\n"
			    "datasets:\n"
			    "  things: { file: things.csv, sample: sample.csv, sha256: \"@SHA@\", bucket: datasets }\n";

/* The object's sha256 as a signed GET from the host reads it. */
static char *object_sha(const struct it_lab *lab)
{
	return it_sh("eval \"$(LABCTL_STATE_DIR='%s' '%s' env '%s')\" && curl -sf "
		     "--aws-sigv4 aws:amz:$AWS_REGION:s3 --user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\" "
		     "-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \"$AWS_ENDPOINT_URL/datasets/things.csv\" | sha256sum | cut -c1-64",
		     lab->state, it_labctl(), lab->dir);
}

Test(datasets, uploaded_once_sample_then_full_file, .timeout = 600)
{
	struct it_lab lab;
	struct it_run r;
	setenv("LAB_S3_PORT", "0", 1);
	char *full_sha = it_sh("printf '" FULL_TEXT "' | sha256sum | cut -c1-64");
	char *sample_sha = it_sh("printf '" SAMPLE_TEXT "' | sha256sum | cut -c1-64");
	char *yaml = strdup(ds_lab), *at = strstr(yaml, "@SHA@");
	char *text = NULL;
	cr_assert(asprintf(&text, "%.*s%s%s", (int)(at - yaml), yaml, full_sha, at + 5) > 0);
	it_lab_make(&lab, "ds", text);
	char *data = NULL;
	cr_assert(asprintf(&data, "%s/data", lab.dir) > 0);
	free(it_sh("mkdir -p '%s' && printf '" SAMPLE_TEXT "' > '%s/sample.csv'", data, lab.dir));
	setenv("LABCTL_DATA_DIR", data, 1);

	/* no full file: the sample, said so */
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.err, "dataset 'things' | uploaded the sample to s3://datasets/things.csv"), "%s", r.err);
	it_run_free(&r);
	char *got = object_sha(&lab);
	cr_expect_str_eq(got, sample_sha, "the object is the sample");
	free(got);

	/* again: nothing sent */
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "s3://datasets/things.csv already there (sample"), "%s", r.err);
	cr_expect(!strstr(r.err, "uploaded"), "%s", r.err);
	it_run_free(&r);

	/* the full file in the data directory: it replaces the sample */
	free(it_sh("printf '" FULL_TEXT "' > '%s/things.csv'", data));
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "uploaded the full file to s3://datasets/things.csv"), "%s", r.err);
	it_run_free(&r);
	got = object_sha(&lab);
	cr_expect_str_eq(got, full_sha, "the object is the full file");
	free(got);

	/* a full file whose checksum is not the lab's: refused, exit 1 */
	free(it_sh("printf 'tampered\\n' > '%s/things.csv'", data));
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "dataset 'things': '"), "%s", r.err);
	cr_expect(strstr(r.err, "the lab expects"), "%s", r.err);
	it_run_free(&r);
	got = object_sha(&lab);
	cr_expect_str_eq(got, full_sha, "the object is untouched");
	free(got);

	free(data), free(text), free(yaml), free(full_sha), free(sample_sha);
	it_lab_cleanup(&lab);
}
